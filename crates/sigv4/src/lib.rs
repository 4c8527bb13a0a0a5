//! Hourglass signature verification: a pure, synchronous library (no I/O, no async, no HTTP
//! crate types) that parses and verifies AWS Signature Version 4 and the SigV2 subset S3
//! still needs, decodes `aws-chunked` bodies incrementally, and signs requests the way
//! botocore does (for tests and benchmarks).
//!
//! The flow is parse → resolve the secret → verify:
//!
//! ```
//! use hourglass_sigv4::{Auth, Request, SigningKeyCache, VerifyOptions, parse_auth, sha256_hex, verify_v4};
//! # fn secret_for(_akid: &str) -> Option<String> { Some("secret".into()) }
//! # let headers = [("Host", "127.0.0.1:18081")];
//! # let body = b"Action=GetCallerIdentity&Version=2011-06-15";
//! let req = Request { method: "POST", path: "/", query: "", headers: &headers };
//! let cache = SigningKeyCache::default();
//! match parse_auth(&req) {
//!     Ok(Auth::V4(auth)) => {
//!         let secret = secret_for(&auth.access_key_id).expect("unknown key → InvalidClientTokenId");
//!         let body_hash = sha256_hex(body);
//!         let now = chrono::Utc::now();
//!         let result = verify_v4(&req, &auth, &secret, &VerifyOptions::query(&body_hash, now), &cache);
//!         # let _ = result;
//!     }
//!     Ok(Auth::Anonymous) => { /* unsigned request */ }
//!     Ok(_) => { /* SigV2: S3 only */ }
//!     Err(e) => { let _code = e.query_code(); }
//! }
//! ```

mod canonical;
mod encode;
mod error;
mod key_cache;
mod parse;
mod request;
pub mod time;
mod v4;

pub use canonical::{EMPTY_SHA256, PathMode, sha256_hex};
pub use error::{Error, SignatureMismatch};
pub use key_cache::{SigningKeyCache, derive_signing_key};
pub use parse::{ALGORITHM_V4, Auth, AuthLocation, CredentialScope, V2Auth, V4Auth, parse_auth};
pub use request::Request;
pub use v4::{
    PayloadMode, PayloadSource, STREAMING_PAYLOAD, STREAMING_PAYLOAD_TRAILER,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER, SigningContext, UNSIGNED_PAYLOAD, Verified, VerifyOptions,
    verify_v4,
};
