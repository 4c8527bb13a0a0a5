//! Secrets Manager records: a secret's row (its metadata is a JSON document owned by the
//! secrets domain crate; the store only reads the columns its queries need) and its
//! versions. Values are sealed with the server [`KeyRing`](crate::KeyRing) on the way in and
//! opened on the way out, bound (AAD) to the secret ARN and version id, so a sealed value
//! copied to another row does not open. The [`Store`](crate::Store) methods are in
//! `store/secrets.rs`, the SQL in [`sql`].

pub(crate) mod sql;

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use crate::keyring::Secret;

/// A secret as stored. `revision` increases with every change: writers pass the revision
/// they read and lose (with `StoreError::Conflict`) when another writer got there first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRow {
    pub arn: String,
    pub account_id: String,
    pub name: String,
    /// The domain's metadata document (JSON). Never holds a secret value.
    pub meta: String,
    pub created: DateTime<Utc>,
    pub last_accessed: Option<DateTime<Utc>>,
    /// When background work on this secret is next due (`None`: nothing scheduled).
    pub due_at: Option<DateTime<Utc>>,
    pub revision: i64,
}

/// A version's metadata (its value is read separately, with [`crate::Store::secret_value`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    pub version_id: String,
    /// Creation order within the secret.
    pub seq: i64,
    pub created: DateTime<Utc>,
    pub last_accessed: Option<DateTime<Utc>>,
    pub stages: Vec<String>,
    /// False for a rotation's placeholder (AWSPENDING before the rotator fills it).
    pub has_value: bool,
}

/// A secret value: `SecretString` or `SecretBinary`. Wiped from memory on drop and never
/// printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretValue {
    String(Secret),
    Binary(Zeroizing<Vec<u8>>),
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretValue::String(_) => f.write_str("SecretString(***)"),
            SecretValue::Binary(_) => f.write_str("SecretBinary(***)"),
        }
    }
}

impl SecretValue {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            SecretValue::String(_) => "string",
            SecretValue::Binary(_) => "binary",
        }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            SecretValue::String(s) => s.expose().as_bytes(),
            SecretValue::Binary(b) => b,
        }
    }
}

/// A version to insert or update: metadata, and a value when one is being set (a version's
/// value, once set, is never replaced: `None` keeps what is stored).
#[derive(Debug, Clone)]
pub struct VersionWrite {
    pub row: VersionRow,
    pub value: Option<SecretValue>,
}

/// The AAD binding a sealed value to its place.
pub(crate) fn value_aad(arn: &str, version_id: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(arn.len() + version_id.len() + 16);
    aad.extend_from_slice(b"secretsmanager\0");
    aad.extend_from_slice(arn.as_bytes());
    aad.push(0);
    aad.extend_from_slice(version_id.as_bytes());
    aad
}
