//! S3's error table: one typed error, rendered as S3's `<Error>` XML with AWS's codes,
//! statuses and messages (spec §1.6). Errors of the identity domain and of signature
//! verification are mapped here, so IAM/STS wording never leaks into S3 answers.

use hourglass_iam::{AuthError, IamError};

/// One S3 error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Error {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// Extra child elements (`Key`, `BucketName`, `StringToSign`, …) in order.
    pub extra: Vec<(&'static str, String)>,
    /// Headers to add (e.g. `Allow` on 405).
    pub headers: Vec<(&'static str, String)>,
}

pub type S3Result<T> = Result<T, S3Error>;

impl S3Error {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            extra: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((name, value.into()));
        self
    }

    pub fn access_denied() -> Self {
        Self::new(403, "AccessDenied", "Access Denied")
    }

    pub fn no_such_bucket(bucket: &str) -> Self {
        Self::new(404, "NoSuchBucket", "The specified bucket does not exist")
            .with("BucketName", bucket)
    }

    pub fn no_such_key(key: &str) -> Self {
        Self::new(404, "NoSuchKey", "The specified key does not exist.").with("Key", key)
    }

    pub fn no_such_upload(upload_id: &str) -> Self {
        Self::new(
            404,
            "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        )
        .with("UploadId", upload_id)
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidArgument", message)
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidRequest", message)
    }

    /// An XML request body over the operation's bound.
    pub fn max_message_length_exceeded() -> Self {
        Self::new(400, "MaxMessageLengthExceeded", "Your request was too big.")
    }

    pub fn malformed_xml() -> Self {
        Self::new(
            400,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        )
    }

    pub fn not_implemented(what: &str) -> Self {
        Self::new(
            501,
            "NotImplemented",
            format!(
                "A header or query you provided implies functionality that is not implemented: {what}"
            ),
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        )
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        // The detail is logged, never sent: it may name paths or database errors.
        tracing::error!(error = %detail, "S3 internal error");
        Self::new(
            500,
            "InternalError",
            "We encountered an internal error. Please try again.",
        )
    }

    pub fn precondition_failed(condition: &str) -> Self {
        Self::new(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
        )
        .with("Condition", condition)
    }

    pub fn bad_digest(algorithm: &str) -> Self {
        Self::new(
            400,
            "BadDigest",
            format!("The {algorithm} you specified did not match the calculated checksum."),
        )
    }

    pub fn incomplete_body() -> Self {
        Self::new(
            400,
            "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP header",
        )
    }

    /// The XML body (no namespace, as S3 sends it).
    pub fn render(&self, request_id: &str) -> String {
        let detail = hourglass_wire::error::ErrorDetail {
            status: self.status,
            code: self.code,
            message: &self.message,
        };
        let extra = self.extra.iter().map(|(n, v)| (*n, v.as_str()));
        hourglass_wire::error::s3_error(&detail, extra, request_id)
    }
}

/// Signature-library errors in S3's words.
pub fn from_sigv4(e: &hourglass_sigv4::Error) -> S3Error {
    use hourglass_sigv4::Error as E;
    let status = e.s3_status();
    let code = e.s3_code();
    let mut err = S3Error::new(status, code, e.to_string());
    match e {
        E::SignatureExpired { .. } | E::SignatureNotYetCurrent { .. } => {
            err.message =
                "The difference between the request time and the current time is too large.".into();
            if let Some((req, server, max)) = e.skew_details() {
                err = err
                    .with("RequestTime", req)
                    .with("ServerTime", server)
                    .with("MaxAllowedSkewMilliseconds", max.to_string());
            }
        }
        E::HeadersNotSigned { headers } => {
            err = err.with("HeadersNotSigned", headers.join(", "));
        }
        E::PresignExpired {
            expires_seconds,
            expired_at,
            now,
        } => {
            if let Some(s) = expires_seconds {
                err = err.with("X-Amz-Expires", s.to_string());
            }
            err = err
                .with(
                    "Expires",
                    expired_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                )
                .with("ServerTime", now.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        }
        E::SignatureDoesNotMatch(m) => {
            err = err
                .with("AWSAccessKeyId", m.access_key_id.clone())
                .with("StringToSign", m.string_to_sign.clone())
                .with("SignatureProvided", m.signature_provided.clone());
            if let Some(c) = &m.canonical_request {
                err = err.with("CanonicalRequest", c.clone());
            }
        }
        E::ChunkSignatureDoesNotMatch {
            string_to_sign,
            signature_provided,
            ..
        } => {
            err = err
                .with("StringToSign", string_to_sign.clone())
                .with("SignatureProvided", signature_provided.clone());
        }
        _ => {}
    }
    err
}

/// Credential and token failures in S3's words (spec §2.9).
pub fn from_auth(e: &AuthError, access_key_id: Option<&str>) -> S3Error {
    match e {
        AuthError::InvalidClientTokenId => {
            let err = S3Error::new(
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
            );
            match access_key_id {
                Some(k) => err.with("AWSAccessKeyId", k),
                None => err,
            }
        }
        AuthError::InvalidToken => S3Error::new(
            400,
            "InvalidToken",
            "The provided token is malformed or otherwise invalid.",
        ),
        AuthError::ExpiredToken => {
            S3Error::new(400, "ExpiredToken", "The provided token has expired.")
        }
        AuthError::MissingAuthentication => S3Error::access_denied(),
        AuthError::Incomplete(m) => S3Error::new(400, "AuthorizationHeaderMalformed", m.clone()),
        AuthError::SignatureDoesNotMatch {
            string_to_sign,
            canonical_request,
            ..
        } => {
            let mut err = S3Error::new(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
            );
            if let Some(s) = string_to_sign {
                err = err.with("StringToSign", s.clone());
            }
            if let Some(c) = canonical_request {
                err = err.with("CanonicalRequest", c.clone());
            }
            err
        }
        AuthError::Skewed {
            request_time,
            server_time,
            ..
        } => S3Error::new(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        )
        .with("RequestTime", request_time.clone())
        .with("ServerTime", server_time.clone())
        .with("MaxAllowedSkewMilliseconds", "900000"),
        AuthError::HeadersNotSigned(h) => S3Error::new(
            403,
            "AccessDenied",
            "There were headers present in the request which were not signed",
        )
        .with("HeadersNotSigned", h.join(", ")),
        AuthError::Signature(s) => from_sigv4(s),
        AuthError::PresignWindow(m) => S3Error::new(403, "AccessDenied", m.clone()),
        AuthError::QueryParameters(m) => {
            S3Error::new(400, "AuthorizationQueryParametersError", m.clone())
        }
    }
}

/// Identity-domain errors from an authorization decision.
pub fn from_iam(e: IamError) -> S3Error {
    match e {
        IamError::AccessDenied { .. } => S3Error::access_denied(),
        IamError::Auth(a) => from_auth(&a, None),
        other => S3Error::internal(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_extra_elements_escaped() {
        let e = S3Error::no_such_key("a<b>&c");
        let xml = e.render("RID");
        assert!(xml.contains("<Code>NoSuchKey</Code>"));
        assert!(xml.contains("<Key>a&lt;b&gt;&amp;c</Key>"));
        assert!(xml.contains("<RequestId>RID</RequestId>"));
    }

    #[test]
    fn maps_auth_errors_like_aws() {
        let e = from_auth(&AuthError::ExpiredToken, None);
        assert_eq!((e.status, e.code), (400, "ExpiredToken"));
        assert_eq!(e.message, "The provided token has expired.");
        let e = from_auth(&AuthError::InvalidClientTokenId, Some("AKIAX"));
        assert_eq!((e.status, e.code), (403, "InvalidAccessKeyId"));
        assert_eq!(e.extra, vec![("AWSAccessKeyId", "AKIAX".to_string())]);
        let e = from_auth(&AuthError::InvalidToken, None);
        assert_eq!((e.status, e.code), (400, "InvalidToken"));
    }
}
