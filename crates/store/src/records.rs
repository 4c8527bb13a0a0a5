//! Records of the IAM areas added after the first schema: instance profiles, account
//! settings, MFA devices, login profiles and the other credentials kept on users.

use chrono::{DateTime, Utc};

use crate::keyring::Secret;
use crate::model::{Role, Tag, User};

/// An instance profile and the (at most one) role in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceProfile {
    pub account_id: String,
    /// `AIPA…`.
    pub profile_id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub create_date: DateTime<Utc>,
    pub roles: Vec<Role>,
    pub tags: Vec<Tag>,
}

/// Input of [`Store::create_instance_profile`](crate::Store::create_instance_profile).
#[derive(Debug, Clone)]
pub struct NewInstanceProfile {
    pub account_id: String,
    pub profile_id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub create_date: DateTime<Utc>,
    pub tags: Vec<Tag>,
}

/// A virtual MFA device; `user` and `enable_date` are set while it is enabled for a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaDevice {
    pub account_id: String,
    /// The device ARN (`arn:aws:iam::ACCT:mfa/PATH/NAME`).
    pub serial: String,
    pub name: String,
    pub path: String,
    pub create_date: DateTime<Utc>,
    pub user: Option<User>,
    pub enable_date: Option<DateTime<Utc>>,
    pub tags: Vec<Tag>,
}

/// Input of [`Store::create_virtual_mfa_device`](crate::Store::create_virtual_mfa_device):
/// the seed is sealed by the store's key ring before it is written.
#[derive(Debug, Clone)]
pub struct NewMfaDevice {
    pub account_id: String,
    pub serial: String,
    pub name: String,
    pub path: String,
    pub create_date: DateTime<Utc>,
    /// The Base32 TOTP seed.
    pub seed: Secret,
    pub tags: Vec<Tag>,
}

/// Which virtual devices ListVirtualMFADevices returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaAssignment {
    Assigned,
    Unassigned,
    Any,
}

/// A user's console password (a memory-hard hash, never the password) and its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginProfile {
    pub user_name: String,
    pub create_date: DateTime<Utc>,
    pub password_reset_required: bool,
    /// PHC-format hash of the current password.
    pub password_hash: String,
    /// Hashes of previous passwords, newest first (reuse prevention).
    pub history: Vec<String>,
    pub changed_date: DateTime<Utc>,
    pub last_used_date: Option<DateTime<Utc>>,
}

/// A change of login profile: a new password hash (the old one moves into the history,
/// which is cut to `keep_history` entries) and/or the reset flag.
#[derive(Debug, Clone, Default)]
pub struct LoginProfileUpdate {
    pub password_hash: Option<String>,
    pub keep_history: usize,
    pub password_reset_required: Option<bool>,
}

/// The credentials other than access keys that IAM keeps on users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    SigningCertificate,
    SshPublicKey,
    ServiceSpecific,
}

impl CredentialKind {
    /// The `kind` column value.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::SigningCertificate => "cert",
            CredentialKind::SshPublicKey => "ssh",
            CredentialKind::ServiceSpecific => "service",
        }
    }

    pub(crate) fn not_found(self, id: &str) -> String {
        match self {
            CredentialKind::SigningCertificate => {
                format!("The Certificate with id {id} cannot be found.")
            }
            CredentialKind::SshPublicKey => format!("The Public Key with id {id} cannot be found."),
            CredentialKind::ServiceSpecific => {
                format!("No such credential {id} exists")
            }
        }
    }

    pub(crate) fn duplicate(self) -> &'static str {
        match self {
            CredentialKind::SigningCertificate => "The Certificate already exists.",
            CredentialKind::SshPublicKey => {
                "The specified SSH public key is already associated with the user."
            }
            CredentialKind::ServiceSpecific => "The credential already exists.",
        }
    }
}

/// A signing certificate, SSH public key or service-specific credential of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCredential {
    pub kind: CredentialKind,
    pub credential_id: String,
    pub user_name: String,
    /// `Active` or `Inactive` (`Expired` is never stored).
    pub status: String,
    /// The certificate or public key as uploaded (empty for service credentials).
    pub body: String,
    pub fingerprint: Option<String>,
    pub service_name: Option<String>,
    pub service_user_name: Option<String>,
    pub upload_date: DateTime<Utc>,
}

/// Input of [`Store::create_user_credential`](crate::Store::create_user_credential). A
/// secret (service-specific password) is sealed by the store.
#[derive(Debug, Clone)]
pub struct NewUserCredential {
    pub account_id: String,
    pub user_name: String,
    pub kind: CredentialKind,
    pub credential_id: String,
    pub body: String,
    /// Duplicate detection: an upload with the same fingerprint for the user is refused.
    pub fingerprint: Option<String>,
    pub service_name: Option<String>,
    pub service_user_name: Option<String>,
    pub secret: Option<Secret>,
    pub upload_date: DateTime<Utc>,
}
