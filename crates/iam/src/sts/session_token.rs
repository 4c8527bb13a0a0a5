//! GetSessionToken (spec §3.3): temporary credentials for a user or root signing with a
//! long-term key. Not subject to policy; the session acts as the user.

use super::assume_role::token_code_members;
use super::violations::Violations;
use super::{Credentials, SessionGrant};
use crate::error::{IamError, IamResult};
use crate::principal::{Caller, Principal};
use crate::session::SessionKind;
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
        // Every member's model constraints first, reported together.
        let mut v = Violations::new();
        if let Some(d) = &input.duration_seconds {
            v.int_range(d, "DurationSeconds", 900, 129_600);
        }
        if let Some(sn) = &input.serial_number {
            v.length(sn, "SerialNumber", 9, 256);
        }
        if let Some(tc) = &input.token_code {
            token_code_members(&mut v, tc);
        }
        v.finish()?;
        let requested = match &input.duration_seconds {
            Some(d) => Some(validate::int_range(d, "DurationSeconds", 900, 129_600)?),
            None => None,
        };
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
            Principal::AssumedRole(_) | Principal::FederatedUser(_) => {
                return Err(IamError::access_denied(
                    "Cannot call GetSessionToken with session credentials",
                ));
            }
        };
        let credentials = self.issue_session(
            SessionGrant {
                mfa,
                origin_key_id: caller.origin_key_id(),
                ..SessionGrant::principal(kind, caller.account_id(), user_id, duration)
            },
            "GetSessionToken",
        )?;
        tracing::info!(caller = %caller.arn(), access_key_id = %credentials.access_key_id, duration, "issued session token");
        Ok(credentials)
    }
}
