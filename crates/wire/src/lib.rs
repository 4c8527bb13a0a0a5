//! Hourglass wire codecs: pure (no I/O, no async, no HTTP types), so every byte a client
//! sends can be decoded, and every answer encoded, in isolation — and fuzzed.
//!
//! - [`xml`]: one XML writer with one escape rule for text and attributes, and a bounded
//!   reader for the small request documents S3 accepts.
//! - [`query`]: the AWS Query protocol form decoder (`Name.member.N`, `Name.entry.N`).
//! - [`json`]: the AWS JSON 1.0/1.1 protocol (`X-Amz-Target`, bounded bodies, encoding).
//! - [`error`]: the error envelopes of each protocol. Which code and status an error gets
//!   stays with each service's own table, as AWS keeps them apart.

pub mod error;
pub mod json;
pub mod query;
pub mod xml;
