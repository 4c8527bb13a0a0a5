//! STS operations.

use crate::Identity;
use crate::principal::Caller;

/// GetCallerIdentity's answer.
#[derive(Debug, Clone)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
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
