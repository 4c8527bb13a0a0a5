//! SAML 2.0 federation: IAM SAML providers and AssumeRoleWithSAML.
//!
//! - [`metadata`]: the IdP metadata document (entity id, signing certificates);
//! - [`verify`]: XML signature checks (fail-closed, wrapping-safe) over `bergshamra-dsig`;
//! - [`response`]: the response's one assertion and AWS's checks of it;
//! - [`providers`]: the IAM provider operations;
//! - [`assume`]: the STS operation, its trust evaluation and session.

pub mod assume;
pub mod metadata;
pub mod providers;
pub mod response;
pub mod verify;

pub use assume::{SamlInput, SamlOutput};
