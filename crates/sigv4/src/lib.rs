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
mod checksum;
mod chunked;
mod encode;
mod error;
mod key_cache;
mod parse;
mod request;
mod signer;
pub mod time;
mod v2;
mod v4;

pub use canonical::{EMPTY_SHA256, PathMode, sha256_hex};
pub use checksum::{Checksum, ChecksumAlgorithm, checksum_base64};
pub use chunked::{
    ChunkedConfig, ChunkedDecoder, ChunkedMode, ChunkedSummary, MAX_LINE, MAX_TRAILERS,
    MIN_SIGNED_CHUNK,
};
pub use error::{Error, SignatureMismatch};
pub use key_cache::{SigningKeyCache, derive_signing_key};
pub use parse::{ALGORITHM_V4, Auth, AuthLocation, CredentialScope, V2Auth, V4Auth, parse_auth};
pub use request::Request;
pub use signer::{
    Credentials, SignedRequest, SigningParams, aws_chunked_body, presign_v4, sign_v2_header,
    sign_v2_presigned, sign_v4,
};
pub use v2::{VerifiedV2, v2_string_to_sign, verify_v2};
pub use v4::{
    PayloadMode, PayloadSource, STREAMING_PAYLOAD, STREAMING_PAYLOAD_TRAILER,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER, SigningContext, UNSIGNED_PAYLOAD, Verified, VerifyOptions,
    verify_v4,
};
