//! Signature Version 2 (S3 only): header (`AWS AKID:sig`) and presigned query forms.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::encode::decode_lossy;
use crate::error::{Error, SignatureMismatch};
use crate::parse::{AuthLocation, V2Auth};
use crate::request::Request;
use crate::time::MAX_SKEW_SECONDS;

/// Query parameters that are part of the SigV2 CanonicalizedResource (botocore's list).
const SUB_RESOURCES: [&str; 35] = [
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// A successfully verified SigV2 request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedV2 {
    /// Access key id.
    pub access_key_id: String,
    /// Header or query.
    pub location: AuthLocation,
    /// Session token, if sent.
    pub security_token: Option<String>,
}

/// The SigV2 string to sign:
/// `METHOD\nContent-MD5\nContent-Type\nDate-or-Expires\nCanonicalizedAmzHeaders CanonicalizedResource`.
///
/// Presigned requests put `Expires` in place of the date and sign the query
/// `x-amz-security-token` as an amz header; header requests leave the date line empty when
/// `x-amz-date` is sent (it is then signed as an amz header).
pub fn v2_string_to_sign(
    req: &Request<'_>,
    expires: Option<&str>,
    query_token: Option<&str>,
) -> String {
    let header = |name: &str| req.header(name).map(str::trim).unwrap_or("");
    let date = match expires {
        Some(e) => e,
        None if req.header("x-amz-date").is_some() => "",
        None => header("date"),
    };
    let mut out = format!(
        "{}\n{}\n{}\n{date}\n",
        req.method,
        header("content-md5"),
        header("content-type")
    );

    let mut amz: Vec<(String, String)> = Vec::new();
    for (name, value) in req.headers {
        let lower = name.to_ascii_lowercase();
        if !lower.starts_with("x-amz-") {
            continue;
        }
        match amz.iter_mut().find(|(n, _)| *n == lower) {
            Some((_, joined)) => {
                joined.push(',');
                joined.push_str(value.trim());
            }
            None => amz.push((lower, value.trim().to_string())),
        }
    }
    if let Some(token) = query_token
        && !amz.iter().any(|(n, _)| n == "x-amz-security-token")
    {
        amz.push(("x-amz-security-token".to_string(), token.to_string()));
    }
    amz.sort();
    for (name, value) in &amz {
        out.push_str(name);
        out.push(':');
        out.push_str(value);
        out.push('\n');
    }

    out.push_str(if req.path.is_empty() { "/" } else { req.path });
    let mut subs: Vec<(&str, Option<String>)> = req
        .raw_query_items()
        .filter(|(k, _)| SUB_RESOURCES.contains(k))
        .map(|(k, v)| (k, v.map(decode_lossy)))
        .collect();
    subs.sort_by(|a, b| a.0.cmp(b.0));
    for (i, (key, value)) in subs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(key);
        if let Some(v) = value {
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

/// Base64 HMAC-SHA1 of `string_to_sign`.
pub(crate) fn v2_signature(secret: &str, string_to_sign: &str) -> String {
    // HMAC accepts keys of any length; the error arm is unreachable.
    match Hmac::<Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(string_to_sign.as_bytes());
            BASE64.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Verifies a parsed SigV2 request with the caller-resolved secret.
///
/// Header form: the date must be within 15 minutes of `now` (S3 `RequestTimeTooSkewed`).
/// Presigned form: rejected once `now` is past `Expires`; no maximum lifetime is imposed.
pub fn verify_v2(
    req: &Request<'_>,
    auth: &V2Auth,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<VerifiedV2, Error> {
    match auth.location {
        AuthLocation::Header => {
            let request_time = auth.date.ok_or(Error::MissingDate)?;
            let skew = Duration::seconds(MAX_SKEW_SECONDS);
            if request_time < now - skew {
                return Err(Error::SignatureExpired { request_time, now });
            }
            if request_time > now + skew {
                return Err(Error::SignatureNotYetCurrent { request_time, now });
            }
        }
        AuthLocation::Query => {
            let expired_at = auth.expires_at.ok_or_else(|| Error::QueryParameters {
                message: "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters".to_string(),
            })?;
            if now > expired_at {
                return Err(Error::PresignExpired {
                    expires_seconds: None,
                    expired_at,
                    now,
                });
            }
        }
    }
    let query_token = match auth.location {
        AuthLocation::Query => req.query_param("x-amz-security-token"),
        AuthLocation::Header => None,
    };
    let string_to_sign = v2_string_to_sign(req, auth.expires.as_deref(), query_token.as_deref());
    let computed = v2_signature(secret, &string_to_sign);
    if !bool::from(computed.as_bytes().ct_eq(auth.signature.as_bytes())) {
        return Err(Error::SignatureDoesNotMatch(Box::new(SignatureMismatch {
            access_key_id: auth.access_key_id.clone(),
            string_to_sign,
            canonical_request: None,
            signature_provided: auth.signature.clone(),
        })));
    }
    Ok(VerifiedV2 {
        access_key_id: auth.access_key_id.clone(),
        location: auth.location,
        security_token: auth.security_token.clone(),
    })
}

#[cfg(test)]
#[path = "v2_tests.rs"]
mod tests;
