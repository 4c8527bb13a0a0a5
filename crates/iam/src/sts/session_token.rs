//! GetSessionToken (spec §3.3): temporary credentials for a user or root signing with a
//! long-term key. Not subject to policy; the session acts as the user.

use chrono::Duration;
use hourglass_store::Secret;

use super::Credentials;
use crate::error::{IamError, IamResult};
use crate::ids::new_secret;
use crate::principal::{Caller, Principal};
use crate::session::{self, SessionClaims, SessionKind};
use crate::{Identity, validate};

/// GetSessionToken parameters, as received.
#[derive(Debug, Clone, Default)]
pub struct SessionTokenInput {
    pub duration_seconds: Option<String>,
    pub serial_number: Option<String>,
    pub token_code: Option<String>,
}

const USER_DEFAULT: i64 = 43_200;
const ROOT_MAX: i64 = 3_600;

impl Identity {
    /// GetSessionToken.
    pub async fn get_session_token(
        &self,
        caller: &Caller,
        input: SessionTokenInput,
    ) -> IamResult<Credentials> {
        let requested = match &input.duration_seconds {
            Some(d) => Some(validate::int_range(d, "DurationSeconds", 900, 129_600)?),
            None => None,
        };
        if let Some(sn) = &input.serial_number {
            validate::length(sn, "SerialNumber", 9, 256)?;
        }
        if let Some(tc) = &input.token_code {
            validate::length(tc, "TokenCode", 6, 6)?;
        }
        if caller.session.is_some() {
            return Err(IamError::access_denied(
                "Cannot call GetSessionToken with session credentials",
            ));
        }
        let mfa = self
            .verify_mfa(
                caller,
                input.serial_number.as_deref(),
                input.token_code.as_deref(),
            )
            .await?;
        let (kind, user_id, duration) = match &caller.principal {
            // Root: at most one hour, longer requests silently clamped.
            Principal::Root { .. } => (
                SessionKind::Root,
                None,
                requested.unwrap_or(ROOT_MAX).min(ROOT_MAX),
            ),
            Principal::User(u) => (
                SessionKind::User,
                Some(u.user_id.clone()),
                requested.unwrap_or(USER_DEFAULT),
            ),
            Principal::AssumedRole(_) => {
                return Err(IamError::access_denied(
                    "Cannot call GetSessionToken with session credentials",
                ));
            }
        };
        let now = self.clock.now();
        let expires = now + Duration::seconds(duration);
        let access_key_id = session::new_temporary_key_id(&self.account_id);
        let secret = new_secret();
        let claims = SessionClaims {
            kind,
            account_id: caller.account_id().to_owned(),
            secret: secret.clone(),
            role_id: None,
            user_id,
            session_name: None,
            issued_ms: now.timestamp_millis(),
            expires_ms: expires.timestamp_millis(),
            source_identity: None,
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            policy: None,
            policy_arns: Vec::new(),
            chain_depth: 0,
            mfa,
            federated: None,
            origin_key_id: caller.origin_key_id(),
        };
        let token =
            session::seal(self.key_ring()?, &access_key_id, &claims).map_err(IamError::Internal)?;
        tracing::info!(caller = %caller.arn(), access_key_id = %access_key_id, duration, "issued session token");
        self.telemetry.credentials_issued("GetSessionToken");
        Ok(Credentials {
            access_key_id,
            secret_access_key: Secret::new(secret),
            session_token: token,
            expiration: expires,
        })
    }
}
