//! Hourglass signature verification: a pure, synchronous library (no I/O, no async, no HTTP
//! crate types) that parses and verifies AWS Signature Version 4 and the SigV2 subset S3
//! still needs, decodes `aws-chunked` bodies incrementally, and signs requests the way
//! botocore does (for tests and benchmarks).
//!
//! The flow is parse → resolve the secret → verify. An IAM/STS POST (Query protocol): the
//! payload hash is the SHA-256 of the raw body, computed by the caller.
//!
//! ```
//! use hourglass_sigv4::{Auth, Request, SigningKeyCache, VerifyOptions, parse_auth, sha256_hex, verify_v4};
//! # fn secret_for(_akid: &str) -> Option<String> { Some("secret".into()) }
//! # let headers = [("Host", "127.0.0.1:18081")];
//! # let body = b"Action=GetCallerIdentity&Version=2011-06-15";
//! let cache = SigningKeyCache::default(); // one per process, shared by all requests
//! let req = Request { method: "POST", path: "/", query: "", headers: &headers };
//! match parse_auth(&req) {
//!     Ok(Auth::V4(auth)) => {
//!         // auth.scope.service routes to iam/sts/s3; unknown key → InvalidClientTokenId.
//!         let Some(secret) = secret_for(&auth.access_key_id) else { return };
//!         let body_hash = sha256_hex(body);
//!         let opts = VerifyOptions::query(&body_hash, chrono::Utc::now());
//!         match verify_v4(&req, &auth, &secret, &opts, &cache) {
//!             Ok(verified) => { let _ = verified.security_token; }
//!             Err(e) => { let _ = (e.query_code(), e.query_status(), e.to_string()); }
//!         }
//!     }
//!     Ok(Auth::Anonymous) => { /* AssumeRoleWithWebIdentity, or MissingAuthenticationToken */ }
//!     Ok(Auth::V2(_)) => { /* SigV2 is S3 only */ }
//!     Err(e) => { let _ = e.query_code(); }
//! }
//! ```
//!
//! An S3 PUT with an aws-chunked body (what botocore sends over HTTPS): verify the headers,
//! then stream the body through a [`ChunkedDecoder`] and commit only after `finish`.
//!
//! ```
//! use hourglass_sigv4::*;
//! # let now = chrono::DateTime::from_timestamp(1_795_350_000, 0).unwrap();
//! # let creds = Credentials { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: "secret", session_token: None };
//! # let mut headers: Vec<(String, String)> = [("Host", "127.0.0.1:18444"), ("Content-Encoding", "aws-chunked"),
//! #     ("X-Amz-Trailer", "x-amz-checksum-crc32"), ("X-Amz-Decoded-Content-Length", "11")]
//! #     .iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
//! # let pairs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
//! # let unsigned = Request { method: "PUT", path: "/bkt/k", query: "", headers: &pairs };
//! # let signed = sign_v4(&unsigned, &SigningParams { credentials: creds, region: "us-east-1", service: "s3", time: now,
//! #     path_mode: PathMode::AsSent, payload_hash: STREAMING_UNSIGNED_PAYLOAD_TRAILER, content_sha256_header: true });
//! # headers.extend(signed.headers);
//! # let pairs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
//! let req = Request { method: "PUT", path: "/bkt/k", query: "", headers: &pairs };
//! let cache = SigningKeyCache::default();
//! let Ok(Auth::V4(auth)) = parse_auth(&req) else { panic!("S3 error from e.s3_code()") };
//! let verified = verify_v4(&req, &auth, "secret", &VerifyOptions::s3(now), &cache).unwrap();
//! assert!(verified.payload.is_streaming());
//!
//! let mut decoder = ChunkedDecoder::for_request(&req, &verified).unwrap();
//! let mut object = Vec::new();
//! // Feed network reads as they arrive (after removing any HTTP/1.1 chunked layer).
//! for read in [&b"b\r\nhello wo"[..], b"rld\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"] {
//!     decoder.feed(read, &mut object).unwrap(); // on Err: discard, e.s3_code()
//! }
//! let summary = decoder.finish().unwrap(); // IncompleteBody, BadDigest, … → discard
//! assert_eq!(object, b"hello world");
//! assert_eq!(summary.verified_checksum, Some((ChecksumAlgorithm::Crc32, "DUoRhQ==".to_string())));
//! ```
//!
//! For `PayloadMode::Sha256(h)` (plain S3 bodies) the caller hashes the body it receives and
//! answers `XAmzContentSHA256Mismatch` when it differs from `h`.

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
