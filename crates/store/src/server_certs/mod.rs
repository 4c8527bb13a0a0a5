//! IAM server certificates: an uploaded X.509 certificate, its chain and its private key.
//! The private key is sealed with the server key ring (AAD = the certificate id) before it
//! reaches SQL and is never returned by any API; tags live as a JSON column of the row.

pub(crate) mod sql;

use chrono::{DateTime, Utc};

use crate::model::Tag;

/// AWS's quota of server certificates per account.
pub const SERVER_CERTIFICATES_PER_ACCOUNT: u32 = 20;
/// AWS's limit of tags on a server certificate.
pub const TAGS_PER_SERVER_CERTIFICATE: usize = 50;

/// A stored server certificate (without its private key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCertificate {
    pub account_id: String,
    /// `ASCA…`.
    pub certificate_id: String,
    pub name: String,
    pub path: String,
    /// `arn:aws:iam::ACCT:server-certificate{path}{name}`.
    pub arn: String,
    /// The certificate PEM as uploaded.
    pub body: String,
    pub chain: Option<String>,
    pub upload_date: DateTime<Utc>,
    /// The certificate's notAfter.
    pub expiration: DateTime<Utc>,
    /// Sorted by key.
    pub tags: Vec<Tag>,
}

/// One change to an existing server certificate, applied inside the write transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerCertificateChange {
    /// UpdateServerCertificate: a new name and/or path (the ARN follows).
    Rename {
        new_name: Option<String>,
        new_path: Option<String>,
    },
    /// Adds or replaces (keys case-sensitively); `LimitExceeded` past
    /// [`TAGS_PER_SERVER_CERTIFICATE`].
    Tag(Vec<Tag>),
    Untag(Vec<String>),
}
