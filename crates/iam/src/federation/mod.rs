//! Federation (issue 13): IAM OpenID Connect providers and AssumeRoleWithWebIdentity.
//!
//! - [`providers`]: the IAM OIDC provider operations and AWS's URL rules;
//! - [`jwks`]: the issuers' discovery documents and key sets, fetched over HTTPS with the
//!   system roots plus `SSL_CERT_FILE`, cached, refreshed on an unknown `kid`;
//! - [`token`]: JWT checks (shape, algorithm, signature, audience, times, claims);
//! - [`web_identity`]: the STS operation and its session;
//! - [`saml`]: SAML providers and AssumeRoleWithSAML;
//! - `trust`: the trust evaluation both federated calls share.

pub mod jwks;
pub mod providers;
pub mod saml;
pub mod token;
mod trust;
pub mod web_identity;
pub mod workloads;

pub use web_identity::{WebIdentityInput, WebIdentityOutput};

/// STS's federation errors, each its own AWS code (mapped in the Query error table).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FederationError {
    /// `InvalidIdentityToken` (400): malformed token, unknown issuer, no key, bad signature,
    /// wrong audience.
    #[error("{0}")]
    InvalidIdentityToken(String),
    /// `ExpiredTokenException` (400): `exp` passed beyond the allowed skew.
    #[error("{0}")]
    ExpiredToken(String),
    /// `IDPCommunicationError` (400): the issuer could not be reached (SDKs retry this).
    #[error("{0}")]
    IdpCommunication(String),
    /// `IDPRejectedClaim` (403).
    #[error("{0}")]
    IdpRejectedClaim(String),
}

/// The condition-key prefix and stored URL of an issuer: `iss` without `https://`.
pub fn issuer_key_prefix(iss: &str) -> Option<&str> {
    iss.strip_prefix("https://")
}
