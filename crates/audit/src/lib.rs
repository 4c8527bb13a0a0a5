//! The audit log: CloudTrail-format events for every request (spec
//! `aws-semantics-2.md` §3), built from what the protocol fronts report, queued off the
//! request path and committed to the one store in batches.
//!
//! - [`identity`]: `userIdentity` and its `sessionContext`;
//! - [`detail`]: [`EventDetail`], what a front reports about one request;
//! - [`record`]: building the record and its LookupEvents index fields;
//! - [`params`]: Query parameters and results as `requestParameters`/`responseElements`,
//!   with AWS's redaction of secrets (and, stricter than AWS, session tokens);
//! - [`rules`]: read-only, management/data and derived LookupEvents resources;
//! - [`sink`]: the bounded queue, the batching writer and retention.

pub mod delivery;
pub mod detail;
pub mod identity;
pub mod params;
pub mod record;
pub mod rules;
pub mod sink;

pub use detail::{EventDetail, RecordResource};
pub use identity::{SessionContext, SessionIssuer, UserIdentity};
pub use record::{RequestMeta, build};
pub use sink::{AuditConfig, AuditSink, KeyAgeAction, Submitted, WhenFull};

/// What AWS writes in place of a value it will not record.
pub const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";
