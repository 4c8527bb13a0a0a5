//! Federation records: IAM OpenID Connect providers (and the SAML provider table the same
//! migration creates). Lists of client ids, thumbprints and tags are small (≤ 100, ≤ 5,
//! ≤ 50) and always read and written whole with their provider, so they live as JSON
//! columns of the provider row rather than in side tables: one row, one transaction.

pub(crate) mod sql;

use chrono::{DateTime, Utc};

use crate::model::Tag;

/// AWS's quota of OIDC providers per account.
pub const OIDC_PROVIDERS_PER_ACCOUNT: u32 = 100;
/// AWS's limits on an OIDC provider's lists.
pub const CLIENT_IDS_PER_PROVIDER: usize = 100;
pub const THUMBPRINTS_PER_PROVIDER: usize = 5;
pub const TAGS_PER_PROVIDER: usize = 50;

/// An IAM OpenID Connect provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProvider {
    pub account_id: String,
    /// `arn:aws:iam::ACCT:oidc-provider/HOST[/PATH]`.
    pub arn: String,
    /// The issuer URL without `https://`, case and trailing slash as registered.
    pub url: String,
    pub client_ids: Vec<String>,
    /// Lowercase hex SHA-1 fingerprints (40 characters).
    pub thumbprints: Vec<String>,
    pub create_date: DateTime<Utc>,
    /// Sorted by key.
    pub tags: Vec<Tag>,
}

/// One change to an existing provider, applied inside the write transaction so concurrent
/// changes never lose each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OidcChange {
    /// Idempotent; `LimitExceeded` past [`CLIENT_IDS_PER_PROVIDER`].
    AddClientId(String),
    /// Absent ids are a no-op.
    RemoveClientId(String),
    /// Replaces the list.
    SetThumbprints(Vec<String>),
    /// Adds or replaces (keys case-sensitively); `LimitExceeded` past [`TAGS_PER_PROVIDER`].
    Tag(Vec<Tag>),
    Untag(Vec<String>),
}

pub(crate) mod saml_sql;
pub(crate) mod table;

/// AWS's quota of SAML providers per account.
pub const SAML_PROVIDERS_PER_ACCOUNT: u32 = 100;

/// An IAM SAML provider: a name and the identity provider's metadata document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlProvider {
    pub account_id: String,
    /// `arn:aws:iam::ACCT:saml-provider/NAME`.
    pub arn: String,
    pub name: String,
    /// `SAMLProviderUUID`: fixed at creation.
    pub uuid: String,
    /// The metadata document exactly as given.
    pub metadata: String,
    pub create_date: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// Sorted by key.
    pub tags: Vec<Tag>,
}

/// One change to an existing SAML provider, applied inside the write transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SamlChange {
    /// UpdateSAMLProvider: a new metadata document and the `ValidUntil` drawn from it.
    Metadata {
        document: String,
        valid_until: DateTime<Utc>,
    },
    /// Adds or replaces (keys case-sensitively); `LimitExceeded` past [`TAGS_PER_PROVIDER`].
    Tag(Vec<Tag>),
    Untag(Vec<String>),
}
