//! SigV4 verification (header and presigned).

use chrono::{DateTime, Duration, Utc};
use subtle::ConstantTimeEq;

use crate::canonical::{
    CanonicalParts, PathMode, canonical_headers, canonical_query, canonical_request, canonical_uri,
    reencoded_s3_uri, string_to_sign,
};
use crate::error::{Error, SignatureMismatch};
use crate::key_cache::{SigningKeyCache, hmac_sha256};
use crate::parse::{AuthLocation, CredentialScope, V4Auth};
use crate::request::Request;
use crate::time::MAX_SKEW_SECONDS;

/// `x-amz-content-sha256` value for an unsigned body.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// aws-chunked with signed chunks.
pub const STREAMING_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// aws-chunked with signed chunks and a signed trailer.
pub const STREAMING_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// aws-chunked without chunk signatures, with trailers.
pub const STREAMING_UNSIGNED_PAYLOAD_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

/// Where the payload hash of the canonical request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadSource<'a> {
    /// S3: the literal `x-amz-content-sha256` header (required for header auth); presigned:
    /// `X-Amz-Content-Sha256` if given, else `UNSIGNED-PAYLOAD`.
    S3,
    /// A value computed by the caller, normally the hex SHA-256 of the raw body
    /// ([`crate::sha256_hex`]); IAM/STS always use this so the body is authenticated.
    Literal(&'a str),
}

/// What the caller knows that the request does not say.
#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions<'a> {
    /// How the path is canonicalised.
    pub path_mode: PathMode,
    /// Where the payload hash comes from.
    pub payload: PayloadSource<'a>,
    /// S3's extra rules: every `x-amz-*` header present must be signed (except
    /// `x-amz-content-sha256`), and a presigned URL must carry `X-Amz-Expires`.
    pub s3_rules: bool,
    /// The current time (injectable clock).
    pub now: DateTime<Utc>,
}

impl<'a> VerifyOptions<'a> {
    /// Options for S3.
    pub fn s3(now: DateTime<Utc>) -> Self {
        Self {
            path_mode: PathMode::AsSent,
            payload: PayloadSource::S3,
            s3_rules: true,
            now,
        }
    }

    /// Options for the Query services (IAM, STS): `body_sha256` is the lower-case hex
    /// SHA-256 of the raw body ([`crate::sha256_hex`]; [`crate::EMPTY_SHA256`] for none).
    pub fn query(body_sha256: &'a str, now: DateTime<Utc>) -> Self {
        Self {
            path_mode: PathMode::Normalized,
            payload: PayloadSource::Literal(body_sha256),
            s3_rules: false,
            now,
        }
    }
}

/// How the body of a verified request is protected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadMode {
    /// The body must hash to this hex SHA-256. For S3 the caller must check it
    /// (`XAmzContentSHA256Mismatch`); for IAM/STS the caller supplied it, so it is checked.
    Sha256(String),
    /// The body is not covered by the signature.
    Unsigned,
    /// aws-chunked, signed chunks.
    StreamingSigned,
    /// aws-chunked, signed chunks and signed trailer.
    StreamingSignedTrailer,
    /// aws-chunked, no chunk signatures, trailers.
    StreamingUnsignedTrailer,
}

impl PayloadMode {
    /// Whether the body is aws-chunked.
    pub fn is_streaming(&self) -> bool {
        matches!(
            self,
            PayloadMode::StreamingSigned
                | PayloadMode::StreamingSignedTrailer
                | PayloadMode::StreamingUnsignedTrailer
        )
    }
}

/// What chunk and trailer signatures are chained from.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningContext {
    /// The derived signing key.
    pub key: [u8; 32],
    /// `X-Amz-Date` of the request.
    pub amz_date: String,
    /// `date/region/service/aws4_request`.
    pub scope: String,
    /// The signature of the request (the seed of the chunk chain).
    pub seed_signature: String,
}

impl std::fmt::Debug for SigningContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningContext")
            .field("key", &"<redacted>")
            .field("amz_date", &self.amz_date)
            .field("scope", &self.scope)
            .field("seed_signature", &self.seed_signature)
            .finish()
    }
}

impl SigningContext {
    /// HMAC-SHA256 of `data` with the signing key, as lower-case hex.
    pub(crate) fn sign(&self, data: &str) -> String {
        hex::encode(hmac_sha256(&self.key, data.as_bytes()))
    }
}

/// A successfully verified SigV4 request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Access key id.
    pub access_key_id: String,
    /// Credential scope (region and service for routing and `aws:RequestedRegion`).
    pub scope: CredentialScope,
    /// Request time.
    pub timestamp: DateTime<Utc>,
    /// Header or query.
    pub location: AuthLocation,
    /// Session token, if sent.
    pub security_token: Option<String>,
    /// How the body is protected.
    pub payload: PayloadMode,
    /// Chaining context for aws-chunked bodies.
    pub signing: SigningContext,
}

/// Verifies a parsed SigV4 request with the secret the caller resolved for its key id.
///
/// Checks, in order: signed-header rules, time window, then the signature (constant time).
/// For S3 a mismatch is retried once with the path decoded and strictly re-encoded.
pub fn verify_v4(
    req: &Request<'_>,
    auth: &V4Auth,
    secret: &str,
    opts: &VerifyOptions<'_>,
    cache: &SigningKeyCache,
) -> Result<Verified, Error> {
    check_signed_headers(req, auth, opts.s3_rules)?;
    check_time(auth, opts)?;
    let (payload_hash, payload) = payload_hash(auth, opts)?;

    let scope = auth.scope.to_scope_string();
    let presigned = auth.location == AuthLocation::Query;
    let query = canonical_query(req, presigned);
    let headers = canonical_headers(req, &auth.signed_headers);
    let parts = CanonicalParts {
        method: req.method,
        query: &query,
        headers: &headers,
        signed_headers: &auth.signed_headers_raw,
        payload_hash: &payload_hash,
    };
    let key = cache.signing_key(
        secret,
        &auth.scope.date,
        &auth.scope.region,
        &auth.scope.service,
    );

    let uri = canonical_uri(req.path, opts.path_mode);
    let creq = canonical_request(&parts, &uri);
    let sts = string_to_sign(&auth.amz_date, &scope, &creq);
    let mut matched = signature_matches(&key, &sts, &auth.signature);
    if !matched
        && opts.path_mode == PathMode::AsSent
        && let Some(uri) = reencoded_s3_uri(req.path)
    {
        let retry = canonical_request(&parts, &uri);
        let retry_sts = string_to_sign(&auth.amz_date, &scope, &retry);
        matched = signature_matches(&key, &retry_sts, &auth.signature);
    }
    if !matched {
        return Err(Error::SignatureDoesNotMatch(Box::new(SignatureMismatch {
            access_key_id: auth.access_key_id.clone(),
            string_to_sign: sts,
            canonical_request: Some(creq),
            signature_provided: auth.signature.clone(),
        })));
    }
    Ok(Verified {
        access_key_id: auth.access_key_id.clone(),
        scope: auth.scope.clone(),
        timestamp: auth.timestamp,
        location: auth.location,
        security_token: auth.security_token.clone(),
        payload,
        signing: SigningContext {
            key,
            amz_date: auth.amz_date.clone(),
            scope,
            seed_signature: auth.signature.clone(),
        },
    })
}

fn signature_matches(key: &[u8; 32], string_to_sign: &str, provided: &str) -> bool {
    let computed = hex::encode(hmac_sha256(key, string_to_sign.as_bytes()));
    computed.as_bytes().ct_eq(provided.as_bytes()).into()
}

fn check_signed_headers(req: &Request<'_>, auth: &V4Auth, s3_rules: bool) -> Result<(), Error> {
    let signed = |name: &str| {
        auth.signed_headers
            .iter()
            .any(|s| s.eq_ignore_ascii_case(name))
    };
    let mut unsigned: Vec<String> = Vec::new();
    if !signed("host") {
        unsigned.push("host".to_string());
    }
    if s3_rules {
        for (name, _) in req.headers {
            let lower = name.to_ascii_lowercase();
            if lower.starts_with("x-amz-")
                && lower != "x-amz-content-sha256"
                && !signed(&lower)
                && !unsigned.contains(&lower)
            {
                unsigned.push(lower);
            }
        }
    }
    if unsigned.is_empty() {
        return Ok(());
    }
    unsigned.sort();
    Err(Error::HeadersNotSigned { headers: unsigned })
}

fn check_time(auth: &V4Auth, opts: &VerifyOptions<'_>) -> Result<(), Error> {
    let now = opts.now;
    let skew = Duration::seconds(MAX_SKEW_SECONDS);
    let request_time = auth.timestamp;
    match auth.location {
        AuthLocation::Header => {
            if request_time < now - skew {
                return Err(Error::SignatureExpired { request_time, now });
            }
            if request_time > now + skew {
                return Err(Error::SignatureNotYetCurrent { request_time, now });
            }
        }
        AuthLocation::Query => {
            if request_time > now + skew {
                return Err(Error::PresignNotYetValid { request_time, now });
            }
            // Without X-Amz-Expires (allowed outside S3) the URL lives as long as the skew.
            let expires = match auth.expires {
                Some(secs) => secs,
                None if opts.s3_rules => {
                    return Err(Error::QueryParameters {
                        message: "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.".to_string(),
                    });
                }
                None => MAX_SKEW_SECONDS.unsigned_abs(),
            };
            // Parsing caps expires at a week, so the conversion cannot fail in practice.
            let expired_at =
                request_time + Duration::seconds(i64::try_from(expires).unwrap_or(i64::MAX / 1000));
            if now > expired_at {
                return Err(Error::PresignExpired {
                    expires_seconds: auth.expires,
                    expired_at,
                    now,
                });
            }
        }
    }
    Ok(())
}

fn payload_hash(auth: &V4Auth, opts: &VerifyOptions<'_>) -> Result<(String, PayloadMode), Error> {
    let value = match (opts.payload, auth.location) {
        (PayloadSource::Literal(v), _) => v.to_string(),
        (PayloadSource::S3, AuthLocation::Header) => auth
            .content_sha256
            .clone()
            .ok_or(Error::MissingContentSha256)?,
        (PayloadSource::S3, AuthLocation::Query) => auth
            .content_sha256
            .clone()
            .unwrap_or_else(|| UNSIGNED_PAYLOAD.to_string()),
    };
    let mode = match value.as_str() {
        UNSIGNED_PAYLOAD => PayloadMode::Unsigned,
        STREAMING_PAYLOAD => PayloadMode::StreamingSigned,
        STREAMING_PAYLOAD_TRAILER => PayloadMode::StreamingSignedTrailer,
        STREAMING_UNSIGNED_PAYLOAD_TRAILER => PayloadMode::StreamingUnsignedTrailer,
        v if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) => {
            PayloadMode::Sha256(v.to_ascii_lowercase())
        }
        v if v.starts_with("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD") => {
            return Err(Error::UnsupportedPayload {
                value: v.to_string(),
            });
        }
        v => {
            return Err(Error::InvalidContentSha256 {
                value: v.chars().take(128).collect(),
            });
        }
    };
    if auth.location == AuthLocation::Query && mode.is_streaming() {
        return Err(Error::InvalidContentSha256 { value });
    }
    Ok((value, mode))
}

#[cfg(test)]
#[path = "v4_tests.rs"]
mod tests;
