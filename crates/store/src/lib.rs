//! Hourglass's storage: IAM records and S3 metadata in one database.
//!
//! - [`Store`]: the one storage API (shared as `Arc<Store>`), over SQLite ([`Store::open`],
//!   the embedded default) or PostgreSQL ([`Store::connect`]). Both engines run the same
//!   logic over SQL, the same migrations (one recorded schema version per database), and the
//!   same conformance suite (`tests/`).
//! - [`model`]: the IAM records; [`s3`]: the S3 records; [`error`]: [`StoreError`].
//! - [`keyring`]: [`KeyRing`], the server key ring sealing secrets at rest (also reused for
//!   STS session tokens).

pub mod audit;
pub mod error;
pub mod keyring;
pub mod model;
pub mod org;
pub mod records;
#[macro_use]
mod sql;
pub mod generation;
// After `sql`, whose `params!` macro it uses.
pub mod federation;
mod postgres;
pub mod s3;
pub mod secrets;
pub mod server_certs;
mod sqlite;
mod store;
pub mod trails;

pub use audit::{AuditAttribute, AuditEventRow, AuditQuery, CredentialReport};
pub use error::{DeleteConflict, Quota, ResourceKind, Result, StoreError};
pub use federation::{OidcChange, OidcProvider, SamlChange, SamlProvider};
pub use generation::{Generation, SnapshotMap};
pub use keyring::{KeyRing, KeyRingError, Secret};
pub use model::*;
pub use postgres::PostgresConfig;
pub use records::*;
pub use server_certs::{ServerCertificate, ServerCertificateChange};
/// Marker/MaxItems paging keys, for listings merged with data outside the store (the AWS
/// managed policy catalogue).
pub use sql::paging::{decode_marker as decode_page_marker, encode_marker as encode_page_marker};
pub use sqlite::SqliteConfig;
pub use store::{Store, StoreObserver};
pub use trails::TrailRow;

/// The schema version this build migrates databases to.
pub fn latest_schema_version() -> i64 {
    sql::schema::latest_version()
}
