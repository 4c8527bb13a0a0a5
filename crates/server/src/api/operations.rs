//! Operation tables: each Query service lists its operations once — the action name, the
//! handler and the parameter schema — and [`operations!`] derives the typed enum, its
//! parser, its IAM action name and its dispatch from that list, so a new operation costs one
//! table line and its handler.

use crate::api::{ApiResult, Ctx};
use crate::query::{Params, QueryError, Service};

/// Declares a service's operation enum from its table.
///
/// Each entry is `Action => handler, [Param, ...];` where `handler` is a path to an
/// `async fn(&Ctx, ...) -> ApiResult`, optionally followed by extra arguments in parentheses
/// (`attachments::attach(EntityKind::User)`), and the parameter list is every top-level
/// parameter the action accepts besides `Action` and `Version`. An entry may end with
/// `, unsigned` for actions AWS accepts without a signature.
macro_rules! operations {
    (@unsigned) => { false };
    (@unsigned unsigned) => { true };
    (@call $ctx:ident, $($handler:ident)::+) => { $($handler)::+($ctx).await };
    (@call $ctx:ident, $($handler:ident)::+ ($($arg:expr),*)) => {
        $($handler)::+($ctx, $($arg),*).await
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $Enum:ident for $service:expr, $prefix:literal {
            $(
                $Op:ident => $($handler:ident)::+ $(($($arg:expr),*))?,
                    [$($param:ident),* $(,)?] $(, $flag:ident)?;
            )+
        }
    ) => {
        $crate::operation_enum::operation_enum! {
            $(#[$meta])*
            $vis enum $Enum, $prefix { $($Op),+ }
        }

        impl $Enum {
            /// The service whose `Version` this enum serves.
            pub const SERVICE: $crate::query::Service = $service;

            /// The operation an `Action` names; any other name is AWS's InvalidAction.
            pub fn parse(action: &str) -> Result<Self, $crate::query::QueryError> {
                Self::from_name(action).ok_or_else(|| $crate::query::QueryError::InvalidAction {
                    action: action.to_owned(),
                    version: Self::SERVICE.version().to_owned(),
                })
            }

            /// The top-level parameters the action accepts (lists and structures by their
            /// base name), besides the common ones every request may carry.
            pub fn params(self) -> &'static [&'static str] {
                match self {
                    $(Self::$Op => &[$(stringify!($param)),*],)+
                }
            }

            /// True for actions AWS accepts without a signature.
            pub fn is_unsigned(self) -> bool {
                match self {
                    $(Self::$Op => $crate::api::operations::operations!(@unsigned $($flag)?),)+
                }
            }

            /// Runs the operation's handler.
            pub async fn dispatch(self, ctx: &$crate::api::Ctx<'_>) -> $crate::api::ApiResult {
                match self {
                    $(Self::$Op => $crate::api::operations::operations!(@call ctx, $($handler)::+ $(($($arg),*))?),)+
                }
            }
        }

        impl std::str::FromStr for $Enum {
            type Err = $crate::query::QueryError;

            fn from_str(action: &str) -> Result<Self, Self::Err> {
                Self::parse(action)
            }
        }
    };
}

pub(crate) use operations;

use super::{iam::IamOperation, sts::StsOperation};

/// A decoded Query operation of either service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Iam(IamOperation),
    Sts(StsOperation),
}

impl Operation {
    /// The operation `action` names in `service`; unknown names are InvalidAction.
    pub fn parse(service: Service, action: &str) -> Result<Self, QueryError> {
        match service {
            Service::Iam => IamOperation::parse(action).map(Self::Iam),
            Service::Sts => StsOperation::parse(action).map(Self::Sts),
        }
    }

    pub fn service(self) -> Service {
        match self {
            Self::Iam(_) => IamOperation::SERVICE,
            Self::Sts(_) => StsOperation::SERVICE,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Iam(op) => op.name(),
            Self::Sts(op) => op.name(),
        }
    }

    pub fn iam_action(self) -> &'static str {
        match self {
            Self::Iam(op) => op.iam_action(),
            Self::Sts(op) => op.iam_action(),
        }
    }

    pub fn params(self) -> &'static [&'static str] {
        match self {
            Self::Iam(op) => op.params(),
            Self::Sts(op) => op.params(),
        }
    }

    pub fn is_unsigned(self) -> bool {
        match self {
            Self::Iam(op) => op.is_unsigned(),
            Self::Sts(op) => op.is_unsigned(),
        }
    }

    /// Refuses parameters outside the operation's schema (UnknownParameter), so a typo is
    /// an error rather than a silently ignored setting.
    pub fn check_params(self, params: &Params) -> Result<(), QueryError> {
        Ok(params.check_declared(self.params())?)
    }

    /// Checks the parameters against the schema, then runs the handler.
    pub async fn dispatch(self, ctx: &Ctx<'_>) -> ApiResult {
        self.check_params(ctx.params)?;
        match self {
            Self::Iam(op) => op.dispatch(ctx).await,
            Self::Sts(op) => op.dispatch(ctx).await,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::query::errors::from_query;

    fn all() -> Vec<Operation> {
        let iam = IamOperation::ALL.iter().map(|o| Operation::Iam(*o));
        let sts = StsOperation::ALL.iter().map(|o| Operation::Sts(*o));
        iam.chain(sts).collect()
    }

    #[test]
    fn every_entry_round_trips_name_and_enum() {
        let ops = all();
        assert_eq!(IamOperation::ALL.len(), 152);
        assert_eq!(StsOperation::ALL.len(), 8);
        for op in &ops {
            assert_eq!(Operation::parse(op.service(), op.name()).unwrap(), *op);
            assert_eq!(
                op.name().parse::<IamOperation>().is_ok(),
                op.service() == Service::Iam
            );
        }
        let mut names: Vec<_> = ops
            .iter()
            .map(|o| (o.service().version(), o.name()))
            .collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ops.len(), "an action is listed twice");
    }

    #[test]
    fn iam_actions_are_the_service_prefix_and_the_name() {
        for op in all() {
            let prefix = op.service().signing_name();
            assert_eq!(op.iam_action(), format!("{prefix}:{}", op.name()));
        }
        assert_eq!(IamOperation::CreateUser.iam_action(), "iam:CreateUser");
        assert_eq!(StsOperation::AssumeRole.iam_action(), "sts:AssumeRole");
    }

    #[test]
    fn unknown_actions_are_invalid_action_with_the_service_version() {
        let cases = [
            (Service::Iam, "CreateBucket", "2010-05-08"),
            (Service::Iam, "AssumeRole", "2010-05-08"),
            (Service::Sts, "CreateUser", "2011-06-15"),
            (Service::Sts, "createuser", "2011-06-15"),
        ];
        for (service, action, version) in cases {
            let e = Operation::parse(service, action).unwrap_err();
            let wire = from_query(&e);
            assert_eq!((wire.status, wire.code), (400, "InvalidAction"));
            assert_eq!(
                wire.message,
                format!("Could not find operation {action} for version {version}")
            );
        }
        assert!(" CreateUser".parse::<IamOperation>().is_err());
    }

    #[test]
    fn parameters_outside_the_schema_are_unknown_parameter() {
        let params = Params::decode(
            "",
            b"Action=CreateUser&Version=2010-05-08&UserName=a&Tags.member.1.Key=k&Tags.member.1.Value=v",
        )
        .unwrap();
        let create = Operation::Iam(IamOperation::CreateUser);
        assert!(create.check_params(&params).is_ok());
        let e = Operation::Iam(IamOperation::GetUser)
            .check_params(&params)
            .unwrap_err();
        let wire = from_query(&e);
        assert_eq!((wire.status, wire.code), (400, "UnknownParameter"));
        assert!(
            wire.message.starts_with("The parameter Tags.member.1."),
            "{}",
            wire.message
        );
        assert!(wire.message.ends_with(" is not recognized."));

        let params = Params::decode(
            "",
            b"Action=GetCallerIdentity&Version=2011-06-15&UserName=a",
        )
        .unwrap();
        let e = Operation::Sts(StsOperation::GetCallerIdentity)
            .check_params(&params)
            .unwrap_err();
        assert_eq!(e.to_string(), "The parameter UserName is not recognized.");
    }

    #[test]
    fn schemas_name_each_parameter_once() {
        for op in all() {
            let mut p = op.params().to_vec();
            p.sort_unstable();
            p.dedup();
            assert_eq!(
                p.len(),
                op.params().len(),
                "{} repeats a parameter",
                op.name()
            );
        }
    }

    #[test]
    fn only_federation_actions_are_unsigned() {
        assert!(all().iter().all(|op| !op.is_unsigned()
            || *op == Operation::Sts(StsOperation::AssumeRoleWithWebIdentity)
            || *op == Operation::Sts(StsOperation::AssumeRoleWithSAML)));
        assert!(crate::api::is_unsigned_action(
            Service::Sts,
            "AssumeRoleWithWebIdentity"
        ));
        assert!(crate::api::is_unsigned_action(
            Service::Sts,
            "AssumeRoleWithSAML"
        ));
        assert!(!crate::api::is_unsigned_action(Service::Sts, "AssumeRole"));
        assert!(!crate::api::is_unsigned_action(
            Service::Iam,
            "AssumeRoleWithSAML"
        ));
    }
}
