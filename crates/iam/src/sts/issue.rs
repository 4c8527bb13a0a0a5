//! The one place a temporary credential is minted. AssumeRole, GetSessionToken,
//! AssumeRoleWithWebIdentity and the workload endpoints decide *what* a session is granted;
//! this module adds what every session gets the same way: a fresh `ASIA…` key id that
//! encodes the account the session acts in, a secret, the issue and expiry times, and the
//! sealed token.

use chrono::{DateTime, Duration, Utc};
use hourglass_store::{Role, Secret};

use super::Credentials;
use crate::Identity;
use crate::error::{IamError, IamResult};
use crate::ids::new_secret;
use crate::session::{self, FederatedSession, SessionClaims, SessionKind};

/// What a new session is granted, decided by the operation that issues it.
#[derive(Debug, Clone)]
pub(crate) struct SessionGrant {
    pub kind: SessionKind,
    /// The account the session acts in (the role's, or the calling user's).
    pub account_id: String,
    pub role_id: Option<String>,
    pub user_id: Option<String>,
    pub session_name: Option<String>,
    /// Lifetime in seconds, already validated and capped by the caller.
    pub duration_secs: i64,
    /// An absolute end the session may not outlive (SAML's `SessionNotOnOrAfter`).
    pub not_after: Option<DateTime<Utc>>,
    pub source_identity: Option<String>,
    pub tags: Vec<(String, String)>,
    pub transitive_tag_keys: Vec<String>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub chain_depth: u8,
    pub mfa: bool,
    pub federated: Option<FederatedSession>,
    pub origin_key_id: Option<String>,
}

impl SessionGrant {
    /// A plain session of `role` named `session_name`: no tags, no session policies, no
    /// MFA, not chained, not federated, no long-term key behind it.
    pub(crate) fn role(role: &Role, session_name: &str, duration_secs: i64) -> Self {
        Self {
            role_id: Some(role.role_id.clone()),
            session_name: Some(session_name.to_owned()),
            ..Self::principal(SessionKind::Role, &role.account_id, None, duration_secs)
        }
    }

    /// A GetSessionToken session acting as the user (or root) itself.
    pub(crate) fn principal(
        kind: SessionKind,
        account_id: &str,
        user_id: Option<String>,
        duration_secs: i64,
    ) -> Self {
        Self {
            kind,
            account_id: account_id.to_owned(),
            role_id: None,
            user_id,
            session_name: None,
            duration_secs,
            not_after: None,
            source_identity: None,
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            policy: None,
            policy_arns: Vec::new(),
            chain_depth: 0,
            mfa: false,
            federated: None,
            origin_key_id: None,
        }
    }
}

impl Identity {
    /// Mints the credentials for `grant`. `operation` names the issuing call in metrics.
    /// Nothing is written to the store: the sealed token is the session.
    pub(crate) fn issue_session(
        &self,
        grant: SessionGrant,
        operation: &'static str,
    ) -> IamResult<Credentials> {
        let now = self.clock.now();
        let wanted = now + Duration::seconds(grant.duration_secs);
        let expires = grant.not_after.map_or(wanted, |limit| limit.min(wanted));
        let access_key_id = session::new_temporary_key_id(&grant.account_id);
        let secret = new_secret();
        let claims = SessionClaims {
            kind: grant.kind,
            account_id: grant.account_id,
            secret: secret.clone(),
            role_id: grant.role_id,
            user_id: grant.user_id,
            session_name: grant.session_name,
            issued_ms: now.timestamp_millis(),
            expires_ms: expires.timestamp_millis(),
            source_identity: grant.source_identity,
            tags: grant.tags,
            transitive_tag_keys: grant.transitive_tag_keys,
            policy: grant.policy,
            policy_arns: grant.policy_arns,
            chain_depth: grant.chain_depth,
            mfa: grant.mfa,
            federated: grant.federated,
            origin_key_id: grant.origin_key_id,
        };
        let token =
            session::seal(self.key_ring()?, &access_key_id, &claims).map_err(IamError::Internal)?;
        self.telemetry.credentials_issued(operation);
        Ok(Credentials {
            access_key_id,
            secret_access_key: Secret::new(secret),
            session_token: token,
            expiration: expires,
        })
    }
}
