//! Domain-level storage for Hourglass's IAM model.
//!
//! - [`IamStore`]: the one storage trait (object-safe; use `Arc<dyn IamStore>`).
//! - [`model`]: the records it stores; [`error`]: its [`StoreError`].
//! - [`keyring`]: [`KeyRing`], the server key ring sealing secrets at rest (also reused for
//!   STS session tokens).
//! - Backends: [`SqliteStore`] (embedded default) and [`PostgresStore`]. Both run the same
//!   domain logic over SQL, and the same conformance suite (`tests/`).

pub mod error;
pub mod keyring;
pub mod model;
mod postgres;
pub mod s3;
mod sql;
mod sqlite;
mod traits;

pub use error::{DeleteConflict, Quota, ResourceKind, Result, StoreError};
pub use keyring::{KeyRing, KeyRingError, Secret};
pub use model::*;
pub use postgres::{PostgresBackend, PostgresConfig, PostgresStore};
pub use sql::SqlStore;
pub use sqlite::{SqliteBackend, SqliteConfig, SqliteStore};
pub use traits::IamStore;
