//! Detecting and parsing the authentication scheme of a request.

use chrono::{DateTime, Utc};

use crate::error::Error;
use crate::request::Request;
use crate::time::{MAX_PRESIGN_EXPIRES_SECONDS, format_amz_date, parse_amz_date, parse_http_date};

/// The SigV4 algorithm name.
pub const ALGORITHM_V4: &str = "AWS4-HMAC-SHA256";

/// Where the credentials of a request were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthLocation {
    /// `Authorization` header.
    Header,
    /// Query-string (presigned URL).
    Query,
}

/// How a request authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// No credentials at all.
    Anonymous,
    /// Signature Version 4 (header or presigned).
    V4(V4Auth),
    /// Signature Version 2 (S3 only; header or presigned).
    V2(V2Auth),
}

impl Auth {
    /// The access key id the request claims, if any.
    pub fn access_key_id(&self) -> Option<&str> {
        match self {
            Auth::Anonymous => None,
            Auth::V4(a) => Some(&a.access_key_id),
            Auth::V2(a) => Some(&a.access_key_id),
        }
    }

    /// The session token sent with the request, if any.
    pub fn security_token(&self) -> Option<&str> {
        match self {
            Auth::Anonymous => None,
            Auth::V4(a) => a.security_token.as_deref(),
            Auth::V2(a) => a.security_token.as_deref(),
        }
    }
}

/// The `<date>/<region>/<service>/aws4_request` part of a SigV4 credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    /// `YYYYMMDD`.
    pub date: String,
    /// Region, any string (it is only a signing input).
    pub region: String,
    /// Service, e.g. `s3`, `iam`, `sts`.
    pub service: String,
}

impl CredentialScope {
    /// `date/region/service/aws4_request`, as it appears in the string to sign.
    pub fn to_scope_string(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// A parsed SigV4 authentication (header or presigned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V4Auth {
    /// Where the parameters came from.
    pub location: AuthLocation,
    /// Access key id.
    pub access_key_id: String,
    /// Credential scope.
    pub scope: CredentialScope,
    /// `SignedHeaders` exactly as sent (`;`-separated), used verbatim in the canonical request.
    pub signed_headers_raw: String,
    /// `SignedHeaders` split, in the order sent.
    pub signed_headers: Vec<String>,
    /// Signature as sent (should be 64 lower-case hex digits).
    pub signature: String,
    /// The request timestamp as it enters the string to sign (`YYYYMMDD'T'HHMMSS'Z'`).
    pub amz_date: String,
    /// The request timestamp.
    pub timestamp: DateTime<Utc>,
    /// `X-Amz-Expires` (presigned only).
    pub expires: Option<u64>,
    /// Session token: header `x-amz-security-token` or presign `X-Amz-Security-Token`.
    pub security_token: Option<String>,
    /// `x-amz-content-sha256` header (header auth) or `X-Amz-Content-Sha256` (presigned).
    pub content_sha256: Option<String>,
}

/// A parsed SigV2 authentication (S3 only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2Auth {
    /// Where the parameters came from.
    pub location: AuthLocation,
    /// Access key id.
    pub access_key_id: String,
    /// Base64 signature as sent.
    pub signature: String,
    /// Presigned: the `Expires` epoch seconds as sent (it enters the string to sign verbatim).
    pub expires: Option<String>,
    /// Presigned: `Expires` as a time.
    pub expires_at: Option<DateTime<Utc>>,
    /// Header auth: the request time from `x-amz-date` or `Date`.
    pub date: Option<DateTime<Utc>>,
    /// Session token: header or query `x-amz-security-token`.
    pub security_token: Option<String>,
}

const PRESIGN_V4_PARAMS: [&str; 3] = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"];
const PRESIGN_V2_PARAMS: [&str; 2] = ["AWSAccessKeyId", "Signature"];

/// Detects how a request authenticates and parses its parameters.
///
/// Parsing needs no secret; afterwards resolve [`Auth::access_key_id`] to a secret and call
/// [`crate::verify_v4`] or [`crate::verify_v2`].
pub fn parse_auth(req: &Request<'_>) -> Result<Auth, Error> {
    let mut auth_headers = req.header_values("authorization");
    let header = auth_headers.next();
    if auth_headers.next().is_some() {
        return Err(incomplete("Only one Authorization header is allowed."));
    }
    let presign_v4 = PRESIGN_V4_PARAMS.iter().any(|p| req.has_query_param(p));
    let presign_v2 = PRESIGN_V2_PARAMS.iter().any(|p| req.has_query_param(p));
    match (header, presign_v4, presign_v2) {
        (Some(_), true, _) | (Some(_), _, true) | (None, true, true) => Err(Error::ConflictingAuth),
        (Some(h), false, false) => parse_authorization_header(req, h),
        (None, true, false) => parse_presigned_v4(req).map(Auth::V4),
        (None, false, true) => parse_presigned_v2(req).map(Auth::V2),
        (None, false, false) => Ok(Auth::Anonymous),
    }
}

fn incomplete(message: &str) -> Error {
    Error::IncompleteSignature {
        message: message.to_string(),
    }
}

fn parse_authorization_header(req: &Request<'_>, value: &str) -> Result<Auth, Error> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    match scheme {
        ALGORITHM_V4 => parse_v4_header(req, value, rest).map(Auth::V4),
        "AWS" => parse_v2_header(req, rest).map(Auth::V2),
        _ => Err(Error::UnsupportedAlgorithm {
            scheme: scheme.chars().take(64).collect(),
        }),
    }
}

fn parse_v4_header(req: &Request<'_>, whole: &str, params: &str) -> Result<V4Auth, Error> {
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in params.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (key, val) = part.split_once('=').unwrap_or((part, ""));
        let slot = match key.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => {
                return Err(incomplete(&format!(
                    "'{}' not a valid key=value pair (missing equal-sign) in Authorization header: '{whole}'.",
                    part.chars().take(128).collect::<String>()
                )));
            }
        };
        if slot.replace(val.trim()).is_some() {
            return Err(incomplete(&format!(
                "Duplicate '{}' parameter in Authorization header.",
                key.trim()
            )));
        }
    }
    let timestamp_raw = req.header("x-amz-date").map(str::trim);
    let timestamp = match timestamp_raw {
        Some(raw) => parse_amz_date(raw).map(|t| (raw.to_string(), t)),
        None => req
            .header("date")
            .and_then(parse_http_date)
            .map(|t| (format_amz_date(t), t)),
    };

    let mut missing = String::new();
    for (present, name) in [
        (credential.is_some(), "Credential"),
        (signature.is_some(), "Signature"),
        (signed_headers.is_some(), "SignedHeaders"),
    ] {
        if !present {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if timestamp.is_none() && missing.is_empty() {
        return Err(Error::MissingDate);
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some((amz_date, timestamp))) =
        (credential, signed_headers, signature, timestamp)
    else {
        if timestamp_raw.is_none() && req.header("date").is_none() {
            missing.push_str(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
            );
        }
        missing.push_str(&format!("Authorization={whole}"));
        return Err(incomplete(&missing));
    };
    let (access_key_id, scope) = parse_credential(credential)?;
    check_scope_date(&scope, &amz_date)?;
    Ok(V4Auth {
        location: AuthLocation::Header,
        access_key_id,
        scope,
        signed_headers: split_signed_headers(signed_headers)?,
        signed_headers_raw: signed_headers.to_string(),
        signature: signature.to_string(),
        amz_date,
        timestamp,
        expires: None,
        security_token: req
            .header("x-amz-security-token")
            .map(|v| v.trim().to_string()),
        content_sha256: req
            .header("x-amz-content-sha256")
            .map(|v| v.trim().to_string()),
    })
}

fn parse_presigned_v4(req: &Request<'_>) -> Result<V4Auth, Error> {
    const MISSING: &str = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
    let param = |name: &str| req.query_param(name);
    let (Some(algorithm), Some(credential), Some(signature), Some(amz_date), Some(signed_headers)) = (
        param("X-Amz-Algorithm"),
        param("X-Amz-Credential"),
        param("X-Amz-Signature"),
        param("X-Amz-Date"),
        param("X-Amz-SignedHeaders"),
    ) else {
        return Err(query_error(MISSING));
    };
    if algorithm != ALGORITHM_V4 {
        return Err(query_error(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        ));
    }
    let timestamp = parse_amz_date(&amz_date).ok_or_else(|| {
        query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    })?;
    let expires = match param("X-Amz-Expires") {
        None => None,
        Some(raw) => Some(parse_expires(&raw)?),
    };
    let (access_key_id, scope) = parse_credential(&credential)?;
    check_scope_date(&scope, &amz_date)?;
    Ok(V4Auth {
        location: AuthLocation::Query,
        access_key_id,
        scope,
        signed_headers: split_signed_headers(&signed_headers)?,
        signed_headers_raw: signed_headers,
        signature,
        amz_date,
        timestamp,
        expires,
        security_token: param("X-Amz-Security-Token"),
        content_sha256: param("X-Amz-Content-Sha256"),
    })
}

fn parse_expires(raw: &str) -> Result<u64, Error> {
    if let Some(negative) = raw.strip_prefix('-')
        && !negative.is_empty()
        && negative.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(query_error("X-Amz-Expires must be non-negative"));
    }
    let digits = raw.strip_prefix('+').unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(query_error("X-Amz-Expires should be a number"));
    }
    // A huge run of digits overflows u64; it is still "more than a week".
    let value = digits.parse::<u64>().unwrap_or(u64::MAX);
    if value > MAX_PRESIGN_EXPIRES_SECONDS {
        return Err(query_error(
            "X-Amz-Expires must be less than a week (in seconds) that is, the given X-Amz-Expires must be less than 604800 seconds",
        ));
    }
    Ok(value)
}

fn query_error(message: &str) -> Error {
    Error::QueryParameters {
        message: message.to_string(),
    }
}

fn parse_credential(credential: &str) -> Result<(String, CredentialScope), Error> {
    let malformed = || Error::MalformedCredential {
        credential: credential.chars().take(256).collect(),
    };
    let mut parts = credential.split('/');
    let (Some(akid), Some(date), Some(region), Some(service), Some(terminator), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(malformed());
    };
    let date_ok = date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit());
    // An empty region (`AKID/20261202//iam/aws4_request`, what boto3 signs with
    // `region_name=''`) is a scope like any other: the signature is verified over it as
    // sent, as AWS's global endpoints and Ceph's gateway do.
    if akid.is_empty() || !date_ok || service.is_empty() {
        return Err(malformed());
    }
    if terminator != "aws4_request" {
        return Err(malformed());
    }
    Ok((
        akid.to_string(),
        CredentialScope {
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
        },
    ))
}

fn check_scope_date(scope: &CredentialScope, amz_date: &str) -> Result<(), Error> {
    if amz_date.get(..8) == Some(scope.date.as_str()) {
        Ok(())
    } else {
        Err(Error::ScopeDateMismatch {
            scope_date: scope.date.clone(),
            request_date: amz_date.to_string(),
        })
    }
}

fn split_signed_headers(raw: &str) -> Result<Vec<String>, Error> {
    let names: Vec<String> = raw.split(';').map(str::to_string).collect();
    if names
        .iter()
        .any(|n| n.is_empty() || n.bytes().any(|b| b <= b' ' || b == b':'))
    {
        return Err(incomplete(&format!(
            "SignedHeaders is malformed: '{}'.",
            raw.chars().take(256).collect::<String>()
        )));
    }
    Ok(names)
}

fn parse_v2_header(req: &Request<'_>, rest: &str) -> Result<V2Auth, Error> {
    let (akid, signature) = rest
        .trim()
        .split_once(':')
        .ok_or(Error::MalformedV2Header)?;
    if akid.is_empty() || signature.is_empty() {
        return Err(Error::MalformedV2Header);
    }
    let date = match req.header("x-amz-date") {
        Some(v) => parse_http_date(v).or_else(|| parse_amz_date(v.trim())),
        None => req.header("date").and_then(parse_http_date),
    };
    if date.is_none() {
        return Err(Error::MissingDate);
    }
    Ok(V2Auth {
        location: AuthLocation::Header,
        access_key_id: akid.to_string(),
        signature: signature.to_string(),
        expires: None,
        expires_at: None,
        date,
        security_token: req
            .header("x-amz-security-token")
            .map(|v| v.trim().to_string()),
    })
}

fn parse_presigned_v2(req: &Request<'_>) -> Result<V2Auth, Error> {
    let (Some(akid), Some(signature), Some(expires)) = (
        req.query_param("AWSAccessKeyId"),
        req.query_param("Signature"),
        req.query_param("Expires"),
    ) else {
        return Err(query_error(
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
        ));
    };
    let expires_at = expires
        .parse::<i64>()
        .ok()
        .and_then(|secs| DateTime::<Utc>::from_timestamp(secs, 0))
        .ok_or_else(|| query_error("Invalid date (should be seconds since epoch): Expires"))?;
    Ok(V2Auth {
        location: AuthLocation::Query,
        access_key_id: akid,
        signature,
        expires: Some(expires),
        expires_at: Some(expires_at),
        date: None,
        security_token: req.query_param("x-amz-security-token").or_else(|| {
            req.header("x-amz-security-token")
                .map(|v| v.trim().to_string())
        }),
    })
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
