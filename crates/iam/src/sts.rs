//! STS operations (spec §3): GetCallerIdentity, AssumeRole, GetSessionToken, GetFederationToken,
//! GetAccessKeyInfo, DecodeAuthorizationMessage. Temporary credentials are stateless
//! (see [`crate::session`]).

mod access_key_info;
mod assume_role;
mod decode;
mod federation_token;
mod issue;
mod session_token;
mod violations;

pub use assume_role::{AssumeRoleInput, AssumedRoleOutput, packed_policy_percent};
pub(crate) use assume_role::{
    DEFAULT_DURATION, packed_policy_fits, push_request_tag_keys, role_session_duration,
    validate_input as validate_assume_role_input,
};
pub use federation_token::{FederationTokenInput, FederationTokenOutput};
pub(crate) use issue::SessionGrant;
pub use session_token::SessionTokenInput;

use chrono::{DateTime, Utc};
use hourglass_store::{EntityRef, Secret, SizeCheck};

use crate::Identity;
use crate::error::IamResult;
use crate::principal::Caller;

/// GetCallerIdentity's answer.
#[derive(Debug, Clone)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

/// Temporary credentials as STS returns them.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: String,
    pub expiration: DateTime<Utc>,
}

/// The inline policy AWS's "Revoke active sessions" writes on a role.
pub const REVOKE_POLICY_NAME: &str = "AWSRevokeOlderSessions";

/// AWS's revocation policy: deny everything to sessions issued before `cutoff`.
pub fn revoke_policy_document(cutoff: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":["*"],"Resource":["*"],"Condition":{{"DateLessThan":{{"aws:TokenIssueTime":"{cutoff}"}}}}}}]}}"#
    )
}

impl Identity {
    /// Revokes the live sessions of a role (spec §5.8): writes `AWSRevokeOlderSessions`
    /// with the current time rounded up to the next second (`aws:TokenIssueTime` has second
    /// precision, so every session issued before the call is covered). Returns the cutoff.
    pub async fn revoke_role_sessions(&self, role_name: &str) -> IamResult<String> {
        let role = self.store.get_role(&self.account_id, role_name).await?;
        let now = self.clock.now();
        let mut secs = now.timestamp();
        if now.timestamp_subsec_nanos() > 0 {
            secs += 1;
        }
        let cutoff = DateTime::<Utc>::from_timestamp(secs, 0)
            .unwrap_or(now)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let document = revoke_policy_document(&cutoff);
        let size = u32::try_from(hourglass_policy::policy_size(&document)).unwrap_or(u32::MAX);
        let limit =
            u32::try_from(hourglass_policy::limits::INLINE_ROLE_AGGREGATE).unwrap_or(u32::MAX);
        self.store
            .put_inline_policy(
                &self.account_id,
                &EntityRef::Role(role.name.clone()),
                REVOKE_POLICY_NAME,
                &document,
                SizeCheck { size, limit },
            )
            .await?;
        tracing::info!(role = %role.arn, %cutoff, "revoked older sessions");
        Ok(cutoff)
    }

    /// GetCallerIdentity: never denied by any policy (spec §3.4).
    pub fn get_caller_identity(&self, caller: &Caller) -> CallerIdentity {
        CallerIdentity {
            account: caller.account_id().to_owned(),
            arn: caller.arn(),
            user_id: caller.user_id().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn revoke_policy_is_awss_and_valid() {
        let text = revoke_policy_document("2024-05-01T12:00:00Z");
        hourglass_policy::parse(&text, hourglass_policy::PolicyKind::Identity).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"],
            "2024-05-01T12:00:00Z"
        );
        assert_eq!(v["Statement"][0]["Action"], serde_json::json!(["*"]));
    }
}
