//! Signing requests the way botocore does, for the server's own tests and benchmarks.

use chrono::{DateTime, Utc};

use crate::canonical::{
    CanonicalParts, PathMode, canonical_headers, canonical_query, canonical_request, canonical_uri,
    string_to_sign,
};
use crate::encode::encode_strict;
use crate::key_cache::derive_signing_key;
use crate::parse::ALGORITHM_V4;
use crate::request::Request;
use crate::time::format_amz_date;
use crate::v2::{v2_signature, v2_string_to_sign};
use crate::v4::SigningContext;

/// Headers botocore never signs.
const UNSIGNED_HEADERS: [&str; 12] = [
    "authorization",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

/// Access key, secret and optional session token.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    /// Access key id.
    pub access_key_id: &'a str,
    /// Secret access key.
    pub secret_access_key: &'a str,
    /// Session token of temporary credentials.
    pub session_token: Option<&'a str>,
}

/// SigV4 signing inputs besides the request.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    /// Credentials.
    pub credentials: Credentials<'a>,
    /// Region of the scope.
    pub region: &'a str,
    /// Service of the scope (`s3`, `iam`, `sts`, …).
    pub service: &'a str,
    /// Signing time.
    pub time: DateTime<Utc>,
    /// [`PathMode::AsSent`] for S3, [`PathMode::Normalized`] otherwise.
    pub path_mode: PathMode,
    /// Payload hash in the canonical request: hex SHA-256 of the body, `UNSIGNED-PAYLOAD`
    /// or a `STREAMING-…` mode.
    pub payload_hash: &'a str,
    /// Also send the payload hash as `x-amz-content-sha256` (botocore does for S3).
    pub content_sha256_header: bool,
}

/// Result of [`sign_v4`].
#[derive(Debug, Clone)]
pub struct SignedRequest {
    /// Headers to add to the request, `Authorization` included.
    pub headers: Vec<(String, String)>,
    /// The signature (seed signature for aws-chunked bodies).
    pub signature: String,
    /// The canonical request that was signed.
    pub canonical_request: String,
    /// The string that was signed.
    pub string_to_sign: String,
    /// Context for signing aws-chunked chunks ([`aws_chunked_body`]).
    pub signing: SigningContext,
}

/// Signs a request with an `Authorization` header. Adds `X-Amz-Date`,
/// `X-Amz-Security-Token` (when a token is given) and optionally `X-Amz-Content-SHA256`,
/// replacing any the request already has, and signs every header present except the ones
/// botocore never signs.
pub fn sign_v4(req: &Request<'_>, params: &SigningParams<'_>) -> SignedRequest {
    let amz_date = format_amz_date(params.time);
    let mut added = vec![("X-Amz-Date".to_string(), amz_date.clone())];
    if let Some(token) = params.credentials.session_token {
        added.push(("X-Amz-Security-Token".to_string(), token.to_string()));
    }
    if params.content_sha256_header {
        added.push((
            "X-Amz-Content-SHA256".to_string(),
            params.payload_hash.to_string(),
        ));
    }
    let mut all: Vec<(&str, &str)> = req
        .headers
        .iter()
        .filter(|(n, _)| !added.iter().any(|(a, _)| a.eq_ignore_ascii_case(n)))
        .filter(|(n, _)| !n.eq_ignore_ascii_case("authorization"))
        .copied()
        .collect();
    all.extend(added.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let signed = signed_header_names(&all);
    let view = Request {
        headers: &all,
        ..*req
    };
    let (signature, creq, sts, signing) = sign_parts(&view, params, &amz_date, &signed, false);
    let authorization = format!(
        "{ALGORITHM_V4} Credential={}/{}, SignedHeaders={}, Signature={signature}",
        params.credentials.access_key_id,
        signing.scope,
        signed.join(";")
    );
    added.push(("Authorization".to_string(), authorization));
    SignedRequest {
        headers: added,
        signature,
        canonical_request: creq,
        string_to_sign: sts,
        signing,
    }
}

/// Presigns a request: returns the full query string (the request's own query first, then
/// `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
/// `X-Amz-SignedHeaders`, `X-Amz-Security-Token`, `X-Amz-Signature`, as botocore orders
/// them). Signs the headers given (normally only `host`).
pub fn presign_v4(req: &Request<'_>, params: &SigningParams<'_>, expires_seconds: u64) -> String {
    let amz_date = format_amz_date(params.time);
    let signed = signed_header_names(req.headers);
    let scope = format!(
        "{}/{}/{}/aws4_request",
        amz_date.get(..8).unwrap_or_default(),
        params.region,
        params.service
    );
    let mut query = req.query.to_string();
    let mut push = |k: &str, v: &str| {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(k);
        query.push('=');
        query.push_str(&encode_strict(v.as_bytes()));
    };
    push("X-Amz-Algorithm", ALGORITHM_V4);
    push(
        "X-Amz-Credential",
        &format!("{}/{scope}", params.credentials.access_key_id),
    );
    push("X-Amz-Date", &amz_date);
    push("X-Amz-Expires", &expires_seconds.to_string());
    push("X-Amz-SignedHeaders", &signed.join(";"));
    if let Some(token) = params.credentials.session_token {
        push("X-Amz-Security-Token", token);
    }
    let view = Request {
        query: &query,
        ..*req
    };
    let (signature, ..) = sign_parts(&view, params, &amz_date, &signed, true);
    format!("{query}&X-Amz-Signature={signature}")
}

fn signed_header_names(headers: &[(&str, &str)]) -> Vec<String> {
    let mut names: Vec<String> = headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| !UNSIGNED_HEADERS.contains(&n.as_str()))
        .collect();
    names.sort();
    names.dedup();
    names
}

fn sign_parts(
    req: &Request<'_>,
    params: &SigningParams<'_>,
    amz_date: &str,
    signed: &[String],
    presigned: bool,
) -> (String, String, String, SigningContext) {
    let date = amz_date.get(..8).unwrap_or_default();
    let key = derive_signing_key(
        params.credentials.secret_access_key,
        date,
        params.region,
        params.service,
    );
    let scope = format!("{date}/{}/{}/aws4_request", params.region, params.service);
    let query = canonical_query(req, presigned);
    let headers = canonical_headers(req, signed);
    let signed_raw = signed.join(";");
    let parts = CanonicalParts {
        method: req.method,
        query: &query,
        headers: &headers,
        signed_headers: &signed_raw,
        payload_hash: params.payload_hash,
    };
    let creq = canonical_request(&parts, &canonical_uri(req.path, params.path_mode));
    let sts = string_to_sign(amz_date, &scope, &creq);
    let mut signing = SigningContext {
        key,
        amz_date: amz_date.to_string(),
        scope,
        seed_signature: String::new(),
    };
    let signature = signing.sign(&sts);
    signing.seed_signature = signature.clone();
    (signature, creq, sts, signing)
}

/// Presigns an S3 request with SigV2 the way botocore does by default: returns the full
/// query string with `AWSAccessKeyId`, `Signature`, `x-amz-security-token` (if any) and
/// `Expires` (epoch seconds) appended.
pub fn sign_v2_presigned(
    req: &Request<'_>,
    credentials: &Credentials<'_>,
    expires_epoch: i64,
) -> String {
    let expires = expires_epoch.to_string();
    let sts = v2_string_to_sign(req, Some(&expires), credentials.session_token);
    let signature = v2_signature(credentials.secret_access_key, &sts);
    let mut query = req.query.to_string();
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(&format!(
        "AWSAccessKeyId={}&Signature={}",
        encode_strict(credentials.access_key_id.as_bytes()),
        encode_strict(signature.as_bytes())
    ));
    if let Some(token) = credentials.session_token {
        query.push_str("&x-amz-security-token=");
        query.push_str(&encode_strict(token.as_bytes()));
    }
    query.push_str("&Expires=");
    query.push_str(&expires);
    query
}

/// Signs a request with a SigV2 `Authorization: AWS AKID:signature` header (the request must
/// carry a `Date` or `x-amz-date` header). Returns the header value.
pub fn sign_v2_header(req: &Request<'_>, credentials: &Credentials<'_>) -> String {
    let sts = v2_string_to_sign(req, None, None);
    format!(
        "AWS {}:{}",
        credentials.access_key_id,
        v2_signature(credentials.secret_access_key, &sts)
    )
}

/// Builds an aws-chunked body: chunks of `chunk_size` bytes (the last one shorter), the
/// terminating chunk, then `trailers`. With `signing`, chunks carry chained signatures
/// (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, plus a trailer signature when there are
/// trailers); without, it is the unsigned-trailer form.
pub fn aws_chunked_body(
    payload: &[u8],
    chunk_size: usize,
    signing: Option<&SigningContext>,
    trailers: &[(&str, &str)],
) -> Vec<u8> {
    use crate::canonical::{EMPTY_SHA256, sha256_hex};
    let mut out = Vec::with_capacity(payload.len() + 256);
    let mut previous = signing
        .map(|s| s.seed_signature.clone())
        .unwrap_or_default();
    let mut chunks: Vec<&[u8]> = payload.chunks(chunk_size.max(1)).collect();
    chunks.push(&[]);
    for chunk in chunks {
        out.extend_from_slice(format!("{:x}", chunk.len()).as_bytes());
        if let Some(ctx) = signing {
            let sts = format!(
                "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{previous}\n{EMPTY_SHA256}\n{}",
                ctx.amz_date,
                ctx.scope,
                sha256_hex(chunk)
            );
            previous = ctx.sign(&sts);
            out.extend_from_slice(format!(";chunk-signature={previous}").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        if !chunk.is_empty() {
            out.extend_from_slice(chunk);
            out.extend_from_slice(b"\r\n");
        }
    }
    let mut canonical = String::new();
    for (name, value) in trailers {
        out.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
        canonical.push_str(&format!("{name}:{value}\n"));
    }
    if let (Some(ctx), false) = (signing, trailers.is_empty()) {
        let sts = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{previous}\n{}",
            ctx.amz_date,
            ctx.scope,
            sha256_hex(canonical.as_bytes())
        );
        out.extend_from_slice(format!("x-amz-trailer-signature:{}\r\n", ctx.sign(&sts)).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}
