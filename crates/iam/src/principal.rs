//! Who is calling: the principal behind a verified signature.

use hourglass_store::User;

/// The identity a request acts as.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The account's root user.
    Root { account_id: String },
    /// An IAM user signing with one of its long-term keys.
    User(User),
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The access key id that signed the request.
    pub access_key_id: String,
    /// The region from the signature scope (`aws:RequestedRegion`).
    pub region: String,
    /// `aws:SourceIp`.
    pub source_ip: std::net::IpAddr,
    /// `aws:SecureTransport`.
    pub secure_transport: bool,
}

impl Caller {
    pub fn account_id(&self) -> &str {
        match &self.principal {
            Principal::Root { account_id } => account_id,
            Principal::User(u) => &u.account_id,
        }
    }

    /// The caller's ARN as GetCallerIdentity reports it.
    pub fn arn(&self) -> String {
        match &self.principal {
            Principal::Root { account_id } => root_arn(account_id),
            Principal::User(u) => u.arn.clone(),
        }
    }

    /// `UserId` of GetCallerIdentity (§3.1): the account id for root, `AIDA…` for users.
    pub fn user_id(&self) -> &str {
        match &self.principal {
            Principal::Root { account_id } => account_id,
            Principal::User(u) => &u.user_id,
        }
    }

    pub fn is_root(&self) -> bool {
        matches!(self.principal, Principal::Root { .. })
    }

    /// "User: arn" / "Root: arn" style prefix used in AccessDenied messages.
    pub fn describe(&self) -> String {
        format!("User: {}", self.arn())
    }
}

pub fn root_arn(account_id: &str) -> String {
    format!("arn:aws:iam::{account_id}:root")
}

/// `arn:aws:iam::ACCT:{kind}{path}{name}`.
pub fn entity_arn(account_id: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:{kind}{path}{name}")
}
