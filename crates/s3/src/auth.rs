//! Authentication of S3 requests (spec §2): detect the scheme (SigV4 header or presigned,
//! SigV2 header or presigned, anonymous), resolve the access key and session token through
//! the identity domain, verify the signature, and report what the payload framing is.

use std::net::IpAddr;

use hourglass_iam::Caller;
use hourglass_iam::authn::{CallerOrigin, ResolvedKey};
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
        match auth {
            Auth::Anonymous => Ok(AuthInfo {
                // An unsigned request may still declare its body hash; honour it.
                payload: declared_sha256(content_sha256.as_deref())
                    .unwrap_or(PayloadMode::Unsigned),
                content_sha256,
                ..AuthInfo::anonymous(r.source_ip, r.secure_transport)
            }),
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
                let resolved = self
                    .resolve_key(
                        &a.access_key_id,
                        a.security_token.as_deref(),
                        &a.scope.region,
                        r.source_ip,
                        r.secure_transport,
                    )
                    .await?;
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
                    auth_type: auth_type(a.location),
                    signature_version: Some("AWS4-HMAC-SHA256"),
                    signature_age_ms: Some((now - a.timestamp).num_milliseconds().max(0)),
                    verified: Some(verified),
                    content_sha256,
                    source_ip: r.source_ip,
                    secure_transport: r.secure_transport,
                })
            }
            Auth::V2(a) => {
                let resolved = self
                    .resolve_key(
                        &a.access_key_id,
                        a.security_token.as_deref(),
                        &self.region,
                        r.source_ip,
                        r.secure_transport,
                    )
                    .await?;
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
                    payload: declared_sha256(content_sha256.as_deref())
                        .unwrap_or(PayloadMode::Unsigned),
                    verified: None,
                    auth_type: auth_type(a.location),
                    signature_version: Some("AWS"),
                    signature_age_ms: None,
                    content_sha256,
                    source_ip: r.source_ip,
                    secure_transport: r.secure_transport,
                })
            }
        }
    }

    /// The secret and caller of an access key (and session token) signing for `region`;
    /// a key that does not resolve is the S3 error `from_auth` names.
    pub(crate) async fn resolve_key(
        &self,
        access_key_id: &str,
        security_token: Option<&str>,
        region: &str,
        source_ip: IpAddr,
        secure_transport: bool,
    ) -> S3Result<ResolvedKey> {
        let origin = CallerOrigin {
            region,
            source_ip,
            secure_transport,
        };
        self.identity
            .resolve_access_key(access_key_id, security_token, &origin)
            .await
            .map_err(|e| from_auth(&e, Some(access_key_id)))
    }
}

/// `s3:authType` of a signed request.
fn auth_type(location: AuthLocation) -> &'static str {
    match location {
        AuthLocation::Header => "REST-HEADER",
        AuthLocation::Query => "REST-QUERY-STRING",
    }
}

/// The payload check a declared `x-amz-content-sha256` asks for where the signature does
/// not cover the body: only a well-formed SHA-256 (64 hex digits) is one.
fn declared_sha256(content_sha256: Option<&str>) -> Option<PayloadMode> {
    content_sha256
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|v| PayloadMode::Sha256(v.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_well_formed_sha256_is_a_declared_payload_hash() {
        let hash = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
        assert_eq!(
            declared_sha256(Some(hash)),
            Some(PayloadMode::Sha256(hash.to_ascii_lowercase()))
        );
        for other in [
            None,
            Some("UNSIGNED-PAYLOAD"),
            Some(&hash[1..]),
            Some("g".repeat(64).as_str()),
        ] {
            assert_eq!(declared_sha256(other), None);
        }
    }
}
