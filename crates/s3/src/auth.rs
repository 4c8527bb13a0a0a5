//! Authentication of S3 requests (spec §2): detect the scheme (SigV4 header or presigned,
//! SigV2 header or presigned, anonymous), resolve the access key and session token through
//! the identity domain, verify the signature, and report what the payload framing is.

use std::net::IpAddr;

use hourglass_iam::Caller;
use hourglass_iam::authn::CallerOrigin;
use hourglass_sigv4 as sigv4;
use sigv4::{Auth, AuthLocation, PayloadMode, Verified};

use crate::S3Service;
use crate::errors::{S3Error, S3Result, from_auth, from_sigv4};

/// The outcome of authentication.
#[derive(Debug)]
pub struct AuthInfo {
    /// `None` for anonymous requests.
    pub caller: Option<Caller>,
    pub payload: PayloadMode,
    /// SigV4 details (the aws-chunked decoder chains from them).
    pub verified: Option<Verified>,
    /// `s3:authType`.
    pub auth_type: &'static str,
    /// `s3:signatureversion`.
    pub signature_version: Option<&'static str>,
    /// `s3:signatureAge` in milliseconds.
    pub signature_age_ms: Option<i64>,
    pub content_sha256: Option<String>,
    pub source_ip: IpAddr,
    pub secure_transport: bool,
}

impl AuthInfo {
    /// An unauthenticated request (CORS preflight, anonymous POST form).
    pub fn anonymous(source_ip: IpAddr, secure_transport: bool) -> Self {
        Self {
            caller: None,
            payload: PayloadMode::Unsigned,
            verified: None,
            auth_type: "REST-HEADER",
            signature_version: None,
            signature_age_ms: None,
            content_sha256: None,
            source_ip,
            secure_transport,
        }
    }
}

pub struct RequestView<'a> {
    pub method: &'a str,
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    /// Virtual-hosted bucket (SigV2 signs `/bucket/key` even when the path is `/key`).
    pub virtual_bucket: Option<&'a str>,
    pub source_ip: IpAddr,
    pub secure_transport: bool,
}

impl S3Service {
    pub async fn authenticate(&self, r: &RequestView<'_>) -> S3Result<AuthInfo> {
        let req = sigv4::Request {
            method: r.method,
            path: r.raw_path,
            query: r.raw_query,
            headers: r.headers,
        };
        let content_sha256 = req
            .header("x-amz-content-sha256")
            .map(|v| v.trim().to_string());
        let now = self.identity.clock().now();
        let auth = sigv4::parse_auth(&req).map_err(|e| from_sigv4(&e))?;
        let anonymous = || AuthInfo {
            caller: None,
            payload: PayloadMode::Unsigned,
            verified: None,
            auth_type: "REST-HEADER",
            signature_version: None,
            signature_age_ms: None,
            content_sha256: content_sha256.clone(),
            source_ip: r.source_ip,
            secure_transport: r.secure_transport,
        };
        match auth {
            Auth::Anonymous => {
                let mut info = anonymous();
                // An unsigned request may still declare its body hash; honour it.
                if let Some(v) = &content_sha256
                    && v.len() == 64
                    && v.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    info.payload = PayloadMode::Sha256(v.to_ascii_lowercase());
                }
                Ok(info)
            }
            Auth::V4(a) => {
                if a.scope.service != "s3" {
                    return Err(S3Error::new(
                        400,
                        "AuthorizationHeaderMalformed",
                        format!(
                            "The authorization header is malformed; incorrect service \"{}\". This endpoint belongs to \"s3\".",
                            a.scope.service
                        ),
                    ));
                }
                let origin = CallerOrigin {
                    region: &a.scope.region,
                    source_ip: r.source_ip,
                    secure_transport: r.secure_transport,
                };
                let resolved = self
                    .identity
                    .resolve_access_key(&a.access_key_id, a.security_token.as_deref(), &origin)
                    .await
                    .map_err(|e| from_auth(&e, Some(&a.access_key_id)))?;
                let verified = sigv4::verify_v4(
                    &req,
                    &a,
                    resolved.secret.expose(),
                    &sigv4::VerifyOptions::s3(now),
                    self.identity.signing_keys(),
                )
                .map_err(|e| from_sigv4(&e))?;
                self.identity
                    .record_key_use(&a.access_key_id, "s3", &a.scope.region)
                    .await;
                Ok(AuthInfo {
                    caller: Some(resolved.caller),
                    payload: verified.payload.clone(),
                    auth_type: match a.location {
                        AuthLocation::Header => "REST-HEADER",
                        AuthLocation::Query => "REST-QUERY-STRING",
                    },
                    signature_version: Some("AWS4-HMAC-SHA256"),
                    signature_age_ms: Some((now - a.timestamp).num_milliseconds().max(0)),
                    verified: Some(verified),
                    content_sha256,
                    source_ip: r.source_ip,
                    secure_transport: r.secure_transport,
                })
            }
            Auth::V2(a) => {
                let origin = CallerOrigin {
                    region: &self.region,
                    source_ip: r.source_ip,
                    secure_transport: r.secure_transport,
                };
                let resolved = self
                    .identity
                    .resolve_access_key(&a.access_key_id, a.security_token.as_deref(), &origin)
                    .await
                    .map_err(|e| from_auth(&e, Some(&a.access_key_id)))?;
                let v2_path;
                let path = match r.virtual_bucket {
                    Some(b) => {
                        v2_path = format!(
                            "/{b}{}",
                            if r.raw_path.is_empty() {
                                "/"
                            } else {
                                r.raw_path
                            }
                        );
                        v2_path.as_str()
                    }
                    None => r.raw_path,
                };
                let v2_req = sigv4::Request { path, ..req };
                sigv4::verify_v2(&v2_req, &a, resolved.secret.expose(), now)
                    .map_err(|e| from_sigv4(&e))?;
                self.identity
                    .record_key_use(&a.access_key_id, "s3", &self.region)
                    .await;
                Ok(AuthInfo {
                    caller: Some(resolved.caller),
                    // SigV2 never covers the body; a declared hash is still checked.
                    payload: match &content_sha256 {
                        Some(v) if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) => {
                            PayloadMode::Sha256(v.to_ascii_lowercase())
                        }
                        _ => PayloadMode::Unsigned,
                    },
                    verified: None,
                    auth_type: match a.location {
                        AuthLocation::Header => "REST-HEADER",
                        AuthLocation::Query => "REST-QUERY-STRING",
                    },
                    signature_version: Some("AWS"),
                    signature_age_ms: None,
                    content_sha256,
                    source_ip: r.source_ip,
                    secure_transport: r.secure_transport,
                })
            }
        }
    }
}
