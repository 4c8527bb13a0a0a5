//! GetFederationToken: a federated-user session for an IAM user (or root) signing with a
//! long-term key. The session acts as `arn:aws:sts::ACCT:federated-user/NAME`; its
//! permissions are the parent's identity policies intersected with the session policies
//! passed here, so a session created without session policies has no permissions of its
//! own (only a resource policy naming it can grant it anything).

use super::assume_role::{
    packed_policy_fits, packed_policy_percent, session_policy_members, validate_session_policies,
    validate_session_tags,
};
use super::violations::Violations;
use super::{Credentials, SessionGrant};
use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::principal::{Caller, Principal, federated_user_arn};
use crate::session::SessionKind;
use crate::{Identity, validate};

/// GetFederationToken parameters, as received.
#[derive(Debug, Clone, Default)]
pub struct FederationTokenInput {
    pub name: String,
    pub duration_seconds: Option<String>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub tags: Vec<(String, String)>,
}

/// GetFederationToken's answer.
#[derive(Debug, Clone)]
pub struct FederationTokenOutput {
    pub credentials: Credentials,
    /// `ACCT:NAME`.
    pub federated_user_id: String,
    /// `arn:aws:sts::ACCT:federated-user/NAME`.
    pub arn: String,
    /// Present when session policies or tags were passed.
    pub packed_policy_size: Option<u32>,
}

const USER_DEFAULT: i64 = 43_200;
const ROOT_MAX: i64 = 3_600;

/// Model constraints (every member, reported together), then the rules beyond them;
/// checked before anything else, for root too.
pub(crate) fn validate_input(input: &FederationTokenInput) -> IamResult<()> {
    let mut v = Violations::new();
    v.name_like(&input.name, "Name", 2, 32);
    session_policy_members(&mut v, input.policy.as_deref(), &input.policy_arns);
    if let Some(d) = &input.duration_seconds {
        v.int_range(d, "DurationSeconds", 900, 129_600);
    }
    v.max_members(input.tags.len(), "Tags", 50);
    v.finish()?;
    validate_session_policies(input.policy.as_deref())?;
    validate_session_tags(&input.tags)?;
    Ok(())
}

impl Identity {
    /// GetFederationToken.
    pub async fn get_federation_token(
        &self,
        caller: &Caller,
        input: FederationTokenInput,
    ) -> IamResult<FederationTokenOutput> {
        validate_input(&input)?;
        if caller.session.is_some() {
            return Err(IamError::access_denied(
                "Cannot call GetFederationToken with session credentials",
            ));
        }
        let account_id = caller.account_id().to_owned();
        let arn = federated_user_arn(&account_id, &input.name);
        let requested = input
            .duration_seconds
            .as_deref()
            .map(|d| validate::int_range(d, "DurationSeconds", 900, 129_600))
            .transpose()?;
        let (parent_user_id, duration) = match &caller.principal {
            // Root: at most one hour, longer requests silently clamped (AWS).
            Principal::Root { .. } => (None, requested.unwrap_or(ROOT_MAX).min(ROOT_MAX)),
            Principal::User(u) => (Some(u.user_id.clone()), requested.unwrap_or(USER_DEFAULT)),
            Principal::AssumedRole(_) | Principal::FederatedUser(_) => {
                return Err(IamError::access_denied(
                    "Cannot call GetFederationToken with session credentials",
                ));
            }
        };
        let mut access = Access::new("sts:GetFederationToken", &arn);
        if !input.tags.is_empty() {
            access = access.with_request_tags(&input.tags);
        }
        self.authorize(caller, &access).await?;
        self.passed_session_policies(&account_id, input.policy.as_deref(), &input.policy_arns)
            .await?;
        let packed = (input.policy.is_some()
            || !input.policy_arns.is_empty()
            || !input.tags.is_empty())
        .then(|| packed_policy_percent(input.policy.as_deref(), &input.policy_arns, &input.tags));
        if let Some(p) = packed {
            packed_policy_fits(p)?;
        }
        let credentials = self.issue_session(
            SessionGrant {
                session_name: Some(input.name.clone()),
                tags: input.tags.clone(),
                policy: input.policy.clone(),
                policy_arns: input.policy_arns.clone(),
                origin_key_id: caller.origin_key_id(),
                ..SessionGrant::principal(
                    SessionKind::FederatedUser,
                    &account_id,
                    parent_user_id,
                    duration,
                )
            },
            "GetFederationToken",
        )?;
        tracing::info!(
            caller = %caller.arn(),
            session = %arn,
            access_key_id = %credentials.access_key_id,
            duration,
            "issued federation token"
        );
        Ok(FederationTokenOutput {
            credentials,
            federated_user_id: format!("{account_id}:{}", input.name),
            arn,
            packed_policy_size: packed.map(|p| u32::try_from(p).unwrap_or(u32::MAX)),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn input(name: &str) -> FederationTokenInput {
        FederationTokenInput {
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn names_and_durations() {
        assert!(validate_input(&input("Bob")).is_ok());
        assert!(validate_input(&input("a=b,c.d@e-f_g+h")).is_ok());
        let short = validate_input(&input("B")).err().map(|e| e.to_string());
        assert_eq!(
            short.as_deref(),
            Some(
                "1 validation error detected: Value 'B' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 2"
            )
        );
        assert!(validate_input(&input(&"x".repeat(33))).is_err());
        let spaced = validate_input(&input("has space"))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            spaced.as_deref(),
            Some(
                "1 validation error detected: Value 'has space' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
            )
        );
        let long = FederationTokenInput {
            duration_seconds: Some("129601".into()),
            ..input("Bob")
        };
        assert!(validate_input(&long).is_err());
        let ok = FederationTokenInput {
            duration_seconds: Some("129600".into()),
            ..input("Bob")
        };
        assert!(validate_input(&ok).is_ok());
        let many = FederationTokenInput {
            policy_arns: (0..11)
                .map(|i| format!("arn:aws:iam::123456789012:policy/p{i}"))
                .collect(),
            ..input("Bob")
        };
        assert!(validate_input(&many).is_err());
    }
}
