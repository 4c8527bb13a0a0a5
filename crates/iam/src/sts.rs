//! STS operations (spec §3): GetCallerIdentity, AssumeRole, GetSessionToken,
//! GetAccessKeyInfo, DecodeAuthorizationMessage. Temporary credentials are stateless
//! (see [`crate::session`]).

mod access_key_info;
mod assume_role;
mod decode;
mod session_token;

pub use assume_role::{AssumeRoleInput, AssumedRoleOutput, packed_policy_percent};
pub use session_token::SessionTokenInput;

use chrono::{DateTime, Utc};
use hourglass_store::Secret;

use crate::Identity;
use crate::error::IamError;
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

/// AWS's refusal of MFA parameters; MFA devices are not modelled, so no code can be valid.
pub(crate) fn mfa_unsupported() -> IamError {
    IamError::access_denied(
        "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user. (This server does not support MFA devices.)",
    )
}

impl Identity {
    /// GetCallerIdentity: never denied by any policy (spec §3.4).
    pub fn get_caller_identity(&self, caller: &Caller) -> CallerIdentity {
        CallerIdentity {
            account: caller.account_id().to_owned(),
            arn: caller.arn(),
            user_id: caller.user_id().to_owned(),
        }
    }
}
