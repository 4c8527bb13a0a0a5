//! Operation tables of the JSON-protocol services: each service lists its operations once
//! (the operation name and its handler) and [`json_operations!`] derives the typed enum,
//! its parser, the IAM action each grants and the service's [`JsonApi`] entry, so a new
//! operation costs one table line and its handler, and a new service one table and one
//! line in [`crate::api::json_services`].

use std::future::Future;
use std::pin::Pin;

use hourglass_iam::authz::Access;
use hourglass_iam::{Caller, Identity, RequestParts};
use hourglass_wire::json::{JsonVersion, Limits};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::errors::JsonApiError;
use crate::state::AppState;

/// An operation's answer: the output members, or the error AWS would send.
pub type JsonResult = Result<Value, JsonApiError>;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the front knows about a JSON service.
pub struct ServiceSpec {
    /// `X-Amz-Target` prefixes naming the service (`AWSOrganizationsV20161128`, and for
    /// CloudTrail both its short and its fully qualified form).
    pub target_prefixes: &'static [&'static str],
    /// The SigV4 signing name (`cloudtrail`, `organizations`, `secretsmanager`).
    pub signing_name: &'static str,
    /// The content type answers carry when the request names none.
    pub version: JsonVersion,
}

/// One JSON-protocol service, as the front sees it.
pub trait JsonApi: Send + Sync {
    fn spec(&self) -> &'static ServiceSpec;

    /// The operation's canonical name and the IAM action it grants, when the service has
    /// it. Names are case-sensitive, as AWS's are.
    fn operation(&self, name: &str) -> Option<(&'static str, &'static str)>;

    /// Runs the named operation.
    fn call<'a>(&'a self, ctx: &'a JsonCtx<'a>) -> BoxFuture<'a, JsonResult>;
}

/// Everything an operation needs about its request.
pub struct JsonCtx<'a> {
    /// The operation's name, from the table.
    pub operation: &'static str,
    /// The IAM action the operation grants (`cloudtrail:LookupEvents`).
    pub iam_action: &'static str,
    /// The body, already checked for size and nesting; members by model name.
    pub input: &'a Map<String, Value>,
    pub body: &'a [u8],
    pub caller: &'a Caller,
    pub request: &'a RequestParts<'a>,
    pub identity: &'a Identity,
    pub state: &'a AppState,
    pub request_id: &'a str,
}

impl JsonCtx<'_> {
    /// The body as the operation's typed input; a member of the wrong type is
    /// `SerializationException`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, JsonApiError> {
        Ok(hourglass_wire::json::decode(
            self.body,
            &Limits {
                max_bytes: self.body.len(),
                ..Limits::default()
            },
        )?)
    }

    /// The authorization question this operation asks about `resource`, to which a
    /// handler may add request-specific condition keys.
    pub fn access(&self, resource: &str) -> Access {
        Access::new(self.iam_action, resource)
    }

    /// Asks the one authorizer whether the caller may perform this operation on
    /// `resource` (identity policies only).
    pub async fn authorize(&self, resource: &str) -> Result<(), JsonApiError> {
        self.authorize_access(&self.access(resource)).await
    }

    pub async fn authorize_access(&self, access: &Access) -> Result<(), JsonApiError> {
        Ok(self.identity.authorize(self.caller, access).await?)
    }
}

/// Encodes an operation's typed output.
pub fn output<T: Serialize>(out: &T) -> JsonResult {
    serde_json::to_value(out).map_err(|e| {
        tracing::error!(error = %e, "JSON output could not be encoded");
        JsonApiError::internal()
    })
}

/// Declares a JSON service's operation enum and its [`JsonApi`] entry from its table.
///
/// ```ignore
/// json_operations! {
///     /// CloudTrail (2013-11-01).
///     pub enum CloudTrailOperation, pub static CLOUDTRAIL: CloudTrailApi = ServiceSpec {
///         target_prefixes: &["CloudTrail_20131101"], signing_name: "cloudtrail",
///         version: JsonVersion::V1_1,
///     }, "cloudtrail" {
///         LookupEvents => lookup::lookup_events;
///     }
/// }
/// ```
/// Each handler is an `async fn(&JsonCtx<'_>) -> JsonResult`.
// Unused in a build until the first service registers its table.
#[allow(unused_macros)]
macro_rules! json_operations {
    (
        $(#[$meta:meta])*
        $vis:vis enum $Enum:ident, $svis:vis static $STATIC:ident: $Api:ident = $spec:expr, $prefix:literal {
            $( $Op:ident => $($handler:ident)::+; )+
        }
    ) => {
        $crate::operation_enum::operation_enum! {
            $(#[$meta])*
            $vis enum $Enum, $prefix { $($Op),+ }
        }

        impl $Enum {
            /// The operation an `X-Amz-Target` suffix names.
            pub fn parse(name: &str) -> Option<Self> {
                Self::from_name(name)
            }

            pub async fn dispatch(
                self,
                ctx: &$crate::json::JsonCtx<'_>,
            ) -> $crate::json::JsonResult {
                match self {
                    $(Self::$Op => $($handler)::+(ctx).await,)+
                }
            }
        }

        /// The service's entry in [`crate::api::json_services`].
        $vis struct $Api;

        $svis static $STATIC: $Api = $Api;

        impl $crate::json::JsonApi for $Api {
            fn spec(&self) -> &'static $crate::json::ServiceSpec {
                static SPEC: $crate::json::ServiceSpec = $spec;
                &SPEC
            }

            fn operation(&self, name: &str) -> Option<(&'static str, &'static str)> {
                $Enum::parse(name).map(|op| (op.name(), op.iam_action()))
            }

            fn call<'a>(
                &'a self,
                ctx: &'a $crate::json::JsonCtx<'a>,
            ) -> $crate::json::BoxFuture<'a, $crate::json::JsonResult> {
                Box::pin(async move {
                    match $Enum::parse(ctx.operation) {
                        Some(op) => op.dispatch(ctx).await,
                        None => Err($crate::json::JsonApiError::unknown_operation()),
                    }
                })
            }
        }
    };
}

#[allow(unused_imports)]
pub(crate) use json_operations;

#[cfg(test)]
mod tests {
    use super::*;

    async fn echo(ctx: &JsonCtx<'_>) -> JsonResult {
        Ok(Value::from(ctx.operation))
    }

    json_operations! {
        /// A service for testing the table macro.
        pub enum TestOperation, pub static TEST: TestApi = ServiceSpec {
            target_prefixes: &["Test_20200101", "com.example.Test_20200101"],
            signing_name: "test",
            version: JsonVersion::V1_0,
        }, "test" {
            DoThing => echo;
            ListThings => echo;
        }
    }

    #[test]
    fn table_derives_names_actions_and_lookup() {
        assert_eq!(TestOperation::ALL.len(), 2);
        assert_eq!(
            TestOperation::parse("DoThing"),
            Some(TestOperation::DoThing)
        );
        assert_eq!(
            TestOperation::parse("dothing"),
            None,
            "names are case-sensitive"
        );
        assert_eq!(TestOperation::ListThings.iam_action(), "test:ListThings");
        assert_eq!(TEST.operation("DoThing"), Some(("DoThing", "test:DoThing")));
        assert_eq!(TEST.operation("Nope"), None);
        assert_eq!(TEST.spec().signing_name, "test");
        assert_eq!(TEST.spec().version, JsonVersion::V1_0);
    }
}
