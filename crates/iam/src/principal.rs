//! Who is calling: the principal behind a verified signature.

use std::sync::Arc;

use hourglass_store::{Role, User};

use crate::session::SessionClaims;

/// The S3 canonical user id of an account (64 hex digits; S3 never shows account ids),
/// which bucket policies may name the account by (`"CanonicalUser": "…"`).
pub fn canonical_user_id(account_id: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(
        format!("hourglass-canonical:{account_id}").as_bytes(),
    ))
}

/// The identity a request acts as.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The account's root user.
    Root { account_id: String },
    /// An IAM user signing with one of its long-term keys (or GetSessionToken credentials).
    User(User),
    /// A role session created by AssumeRole.
    AssumedRole(Box<AssumedRole>),
    /// A federated-user session created by GetFederationToken.
    FederatedUser(Box<FederatedUser>),
}

/// A GetFederationToken session: its permissions are the parent's policies intersected
/// with the session policies frozen in the token (none passed: no permissions).
#[derive(Debug, Clone)]
pub struct FederatedUser {
    pub account_id: String,
    /// The `Name` passed to GetFederationToken.
    pub name: String,
    /// `arn:aws:sts::ACCT:federated-user/{name}`.
    pub arn: String,
    /// `ACCT:{name}`.
    pub federated_user_id: String,
    /// The IAM user that called GetFederationToken (as it is now); `None` for root.
    pub parent: Option<User>,
    /// The parent's ARN: the user's, or the account root's.
    pub parent_arn: String,
}

impl FederatedUser {
    pub fn new(account_id: &str, name: &str, parent: Option<User>) -> Self {
        FederatedUser {
            account_id: account_id.to_owned(),
            name: name.to_owned(),
            arn: federated_user_arn(account_id, name),
            federated_user_id: format!("{account_id}:{name}"),
            parent_arn: parent
                .as_ref()
                .map_or_else(|| root_arn(account_id), |u| u.arn.clone()),
            parent,
        }
    }
}

/// A role session: the role as it is now (policies are read at request time) and the
/// session's own name.
#[derive(Debug, Clone)]
pub struct AssumedRole {
    pub role: Role,
    pub session_name: String,
    /// `arn:aws:sts::ACCT:assumed-role/{role}/{session}` (no path).
    pub arn: String,
    /// `AROA…:{session}`.
    pub assumed_role_id: String,
}

impl AssumedRole {
    pub fn new(role: Role, session_name: &str) -> Self {
        let arn = assumed_role_arn(&role.account_id, &role.name, session_name);
        let assumed_role_id = format!("{}:{session_name}", role.role_id);
        AssumedRole {
            role,
            session_name: session_name.to_owned(),
            arn,
            assumed_role_id,
        }
    }
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
    /// `aws:UserAgent`, when the front knows it.
    pub user_agent: Option<String>,
    /// Temporary credentials (`ASIA…`): what the session token carried. `None` for
    /// long-term keys.
    pub session: Option<Arc<SessionClaims>>,
}

impl Caller {
    pub fn account_id(&self) -> &str {
        match &self.principal {
            Principal::Root { account_id } => account_id,
            Principal::User(u) => &u.account_id,
            Principal::AssumedRole(r) => &r.role.account_id,
            Principal::FederatedUser(f) => &f.account_id,
        }
    }

    /// The caller's ARN as GetCallerIdentity reports it.
    pub fn arn(&self) -> String {
        match &self.principal {
            Principal::Root { account_id } => root_arn(account_id),
            Principal::User(u) => u.arn.clone(),
            Principal::AssumedRole(r) => r.arn.clone(),
            Principal::FederatedUser(f) => f.arn.clone(),
        }
    }

    /// `UserId` of GetCallerIdentity (§3.1): the account id for root, `AIDA…` for users,
    /// `AROA…:session` for role sessions, `ACCT:name` for federated users.
    pub fn user_id(&self) -> &str {
        match &self.principal {
            Principal::Root { account_id } => account_id,
            Principal::User(u) => &u.user_id,
            Principal::AssumedRole(r) => &r.assumed_role_id,
            Principal::FederatedUser(f) => &f.federated_user_id,
        }
    }

    pub fn is_root(&self) -> bool {
        matches!(self.principal, Principal::Root { .. })
    }

    /// The IAM user behind the request (long-term key or GetSessionToken credentials).
    pub fn user(&self) -> Option<&User> {
        match &self.principal {
            Principal::User(u) => Some(u),
            _ => None,
        }
    }

    /// The long-term key behind the request: the signing key itself, or the key a
    /// session descends from (`None` for sessions issued before origins were recorded).
    pub fn origin_key_id(&self) -> Option<String> {
        match &self.session {
            Some(s) => s.origin_key_id.clone(),
            None => Some(self.access_key_id.clone()),
        }
    }

    /// Whether the request was signed with temporary credentials.
    pub fn is_temporary(&self) -> bool {
        self.session.is_some()
    }

    /// "User: arn" prefix used in AccessDenied messages (AWS says `User:` for every kind).
    pub fn describe(&self) -> String {
        format!("User: {}", self.arn())
    }
}

pub fn root_arn(account_id: &str) -> String {
    format!("arn:aws:iam::{account_id}:root")
}

/// `arn:aws:sts::ACCT:assumed-role/{role}/{session}`.
pub fn assumed_role_arn(account_id: &str, role_name: &str, session_name: &str) -> String {
    format!("arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}")
}

/// `arn:aws:sts::ACCT:federated-user/{name}`.
pub fn federated_user_arn(account_id: &str, name: &str) -> String {
    format!("arn:aws:sts::{account_id}:federated-user/{name}")
}

/// `arn:aws:iam::ACCT:{kind}{path}{name}`.
pub fn entity_arn(account_id: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:{kind}{path}{name}")
}
