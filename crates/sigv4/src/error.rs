//! Typed errors, each mapped to the AWS error code S3 and the Query services (IAM/STS) return.

use chrono::{DateTime, Duration, Utc};

use crate::time::{MAX_SKEW_SECONDS, format_amz_date, format_iso8601};

/// Details of a signature mismatch. S3 echoes them in its error body (`StringToSign`,
/// `CanonicalRequest`, `SignatureProvided`); they never contain the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureMismatch {
    /// Access key id the request claimed.
    pub access_key_id: String,
    /// The string to sign the server computed.
    pub string_to_sign: String,
    /// The canonical request the server computed (SigV4 only).
    pub canonical_request: Option<String>,
    /// The signature the client sent.
    pub signature_provided: String,
}

/// Why a request's authentication failed.
///
/// `Display` renders AWS's message where AWS has a fixed one; [`Error::s3_code`] and
/// [`Error::query_code`] give the code each protocol uses, [`Error::s3_status`] and [`Error::query_status`] the HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- parsing ------------------------------------------------------------------------
    /// Authorization header or presign parameters lack required components, or the
    /// credential scope is malformed. `message` follows AWS's IncompleteSignature wording.
    #[error("{message}")]
    IncompleteSignature {
        /// AWS-style explanation, e.g. `Authorization header requires 'Signature' parameter.`
        message: String,
    },
    /// The `Credential=` value is not `<AKID>/<YYYYMMDD>/<region>/<service>/aws4_request`.
    #[error(
        "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\": {credential}"
    )]
    MalformedCredential {
        /// The credential as received.
        credential: String,
    },
    /// The authorization scheme is unknown or not supported (e.g. SigV4a).
    #[error("unsupported authorization type: {scheme}")]
    UnsupportedAlgorithm {
        /// The scheme or algorithm named by the request.
        scheme: String,
    },
    /// Both an Authorization header and query-string authentication were sent.
    #[error(
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"
    )]
    ConflictingAuth,
    /// Neither `X-Amz-Date` nor `Date` is present (or usable) for header authentication.
    #[error("AWS authentication requires a valid Date or x-amz-date header")]
    MissingDate,
    /// The scope date differs from the date of the request timestamp.
    #[error("Invalid credential date. Date is not the same as X-Amz-Date.")]
    ScopeDateMismatch {
        /// `YYYYMMDD` from the credential scope.
        scope_date: String,
        /// `YYYYMMDD'T'HHMMSS'Z'` of the request.
        request_date: String,
    },
    /// Presign parameters are missing or invalid; `message` is AWS's text.
    #[error("{message}")]
    QueryParameters {
        /// AWS message, e.g. the `X-Amz-Expires must be less than a week…` text.
        message: String,
    },
    /// SigV2 Authorization header is not `AWS <AKID>:<signature>`.
    #[error("AWS authorization header is invalid.  Expected AwsAccessKeyId:signature")]
    MalformedV2Header,

    // ---- verification -------------------------------------------------------------------
    /// Headers that must be signed are not (S3: every `x-amz-*` except
    /// `x-amz-content-sha256`; always: `host`).
    #[error("There were headers present in the request which were not signed")]
    HeadersNotSigned {
        /// Lower-case names, sorted.
        headers: Vec<String>,
    },
    /// S3 header auth without `x-amz-content-sha256`.
    #[error("Missing required header for this request: x-amz-content-sha256")]
    MissingContentSha256,
    /// `x-amz-content-sha256` holds something that is neither a digest nor a known mode.
    #[error(
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value."
    )]
    InvalidContentSha256 {
        /// The value received.
        value: String,
    },
    /// A payload mode this library does not implement (SigV4a streaming).
    #[error("the payload signing mode {value} is not implemented")]
    UnsupportedPayload {
        /// The value received.
        value: String,
    },
    /// Header auth: the request time is more than 15 minutes in the past.
    #[error("Signature expired: {} is now earlier than {} ({} - 15 min.)", format_amz_date(*request_time), format_amz_date(*now - Duration::seconds(MAX_SKEW_SECONDS)), format_amz_date(*now))]
    SignatureExpired {
        /// Time the request claims.
        request_time: DateTime<Utc>,
        /// Server time.
        now: DateTime<Utc>,
    },
    /// Header auth: the request time is more than 15 minutes in the future.
    #[error("Signature not yet current: {} is still later than {} ({} + 15 min.)", format_amz_date(*request_time), format_amz_date(*now + Duration::seconds(MAX_SKEW_SECONDS)), format_amz_date(*now))]
    SignatureNotYetCurrent {
        /// Time the request claims.
        request_time: DateTime<Utc>,
        /// Server time.
        now: DateTime<Utc>,
    },
    /// Presigned URL past its expiry (SigV4 `X-Amz-Date + X-Amz-Expires`, SigV2 `Expires`).
    #[error("Request has expired")]
    PresignExpired {
        /// `X-Amz-Expires` (SigV4) or `None` (SigV2).
        expires_seconds: Option<u64>,
        /// The instant the URL stopped being valid.
        expired_at: DateTime<Utc>,
        /// Server time.
        now: DateTime<Utc>,
    },
    /// Presigned URL dated more than 15 minutes in the future.
    #[error("Request is not yet valid")]
    PresignNotYetValid {
        /// Time the request claims.
        request_time: DateTime<Utc>,
        /// Server time.
        now: DateTime<Utc>,
    },
    /// The signature does not match.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    )]
    SignatureDoesNotMatch(Box<SignatureMismatch>),

    // ---- aws-chunked ----------------------------------------------------------------------
    /// The aws-chunked framing is malformed.
    #[error("malformed aws-chunked body: {reason}")]
    MalformedChunk {
        /// What was wrong.
        reason: String,
    },
    /// A signed chunk other than the last data chunk is smaller than 8 KiB.
    #[error("Only the last chunk is allowed to have a size less than 8192 bytes")]
    ChunkTooSmall {
        /// Size of the offending chunk.
        size: u64,
    },
    /// A chunk or trailer signature does not match.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    )]
    ChunkSignatureDoesNotMatch {
        /// Zero-based index of the chunk (the trailer counts as the chunk after the last).
        chunk_index: u64,
        /// The string to sign the server computed for it.
        string_to_sign: String,
        /// The signature the client sent.
        signature_provided: String,
    },
    /// The body ended before the aws-chunked framing was complete.
    #[error("You did not provide the number of bytes specified by the Content-Length HTTP header")]
    IncompleteBody,
    /// The decoded length differs from `x-amz-decoded-content-length`.
    #[error("You did not provide the number of bytes specified by the Content-Length HTTP header")]
    DecodedLengthMismatch {
        /// Value of `x-amz-decoded-content-length`.
        expected: u64,
        /// Bytes decoded (so far, when more than expected).
        actual: u64,
    },
    /// A trailer announced by `x-amz-trailer` is missing, or a signed trailer has no signature.
    #[error("malformed trailer: {reason}")]
    MalformedTrailer {
        /// What was wrong.
        reason: String,
    },
    /// The trailing checksum does not match the decoded payload.
    #[error("The {algorithm} you specified did not match the calculated checksum.")]
    ChecksumMismatch {
        /// AWS algorithm name, e.g. `CRC32`.
        algorithm: &'static str,
        /// Base64 value the client sent.
        expected: String,
        /// Base64 value computed over the decoded payload.
        computed: String,
    },
}

impl Error {
    /// The S3 error code for this error.
    pub fn s3_code(&self) -> &'static str {
        match self {
            Error::IncompleteSignature { .. }
            | Error::MalformedCredential { .. }
            | Error::ScopeDateMismatch { .. } => "AuthorizationHeaderMalformed",
            Error::UnsupportedAlgorithm { .. }
            | Error::ConflictingAuth
            | Error::MalformedV2Header => "InvalidArgument",
            Error::MissingDate
            | Error::HeadersNotSigned { .. }
            | Error::PresignExpired { .. }
            | Error::PresignNotYetValid { .. } => "AccessDenied",
            Error::QueryParameters { .. } => "AuthorizationQueryParametersError",
            Error::MissingContentSha256 | Error::MalformedChunk { .. } => "InvalidRequest",
            Error::InvalidContentSha256 { .. } => "InvalidArgument",
            Error::UnsupportedPayload { .. } => "NotImplemented",
            Error::SignatureExpired { .. } | Error::SignatureNotYetCurrent { .. } => {
                "RequestTimeTooSkewed"
            }
            Error::SignatureDoesNotMatch(_) | Error::ChunkSignatureDoesNotMatch { .. } => {
                "SignatureDoesNotMatch"
            }
            Error::ChunkTooSmall { .. } => "InvalidChunkSizeError",
            Error::IncompleteBody | Error::DecodedLengthMismatch { .. } => "IncompleteBody",
            Error::MalformedTrailer { .. } => "MalformedTrailerError",
            Error::ChecksumMismatch { .. } => "BadDigest",
        }
    }

    /// The IAM/STS (Query protocol) error code for this error.
    pub fn query_code(&self) -> &'static str {
        match self {
            Error::SignatureExpired { .. }
            | Error::SignatureNotYetCurrent { .. }
            | Error::SignatureDoesNotMatch(_)
            | Error::ScopeDateMismatch { .. }
            | Error::ChunkSignatureDoesNotMatch { .. } => "SignatureDoesNotMatch",
            Error::PresignExpired { .. } | Error::PresignNotYetValid { .. } => "AccessDenied",
            Error::UnsupportedPayload { .. } => "NotImplemented",
            Error::InvalidContentSha256 { .. } | Error::MissingContentSha256 => {
                "InvalidParameterValue"
            }
            Error::MalformedChunk { .. }
            | Error::ChunkTooSmall { .. }
            | Error::IncompleteBody
            | Error::DecodedLengthMismatch { .. }
            | Error::MalformedTrailer { .. }
            | Error::ChecksumMismatch { .. } => "InvalidRequest",
            _ => "IncompleteSignature",
        }
    }

    /// HTTP status S3 uses for this error.
    pub fn s3_status(&self) -> u16 {
        match self.s3_code() {
            "AccessDenied" | "RequestTimeTooSkewed" | "SignatureDoesNotMatch" => 403,
            "NotImplemented" => 501,
            _ => 400,
        }
    }

    /// HTTP status the Query services use for this error.
    pub fn query_status(&self) -> u16 {
        match self.query_code() {
            "SignatureDoesNotMatch" | "AccessDenied" => 403,
            "NotImplemented" => 501,
            _ => 400,
        }
    }

    /// For skew errors: the S3 `RequestTimeTooSkewed` details `(RequestTime, ServerTime,
    /// MaxAllowedSkewMilliseconds)` as S3 renders them.
    pub fn skew_details(&self) -> Option<(String, String, i64)> {
        match self {
            Error::SignatureExpired { request_time, now }
            | Error::SignatureNotYetCurrent { request_time, now } => Some((
                format_amz_date(*request_time),
                format_iso8601(*now),
                MAX_SKEW_SECONDS * 1000,
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_amz_date;

    fn t(s: &str) -> DateTime<Utc> {
        parse_amz_date(s).unwrap_or_default()
    }

    #[test]
    fn skew_messages_match_aws() {
        let e = Error::SignatureExpired {
            request_time: t("20160609T184512Z"),
            now: t("20160610T014508Z"),
        };
        assert_eq!(
            e.to_string(),
            "Signature expired: 20160609T184512Z is now earlier than 20160610T013008Z (20160610T014508Z - 15 min.)"
        );
        assert_eq!(e.s3_code(), "RequestTimeTooSkewed");
        assert_eq!(e.query_code(), "SignatureDoesNotMatch");
        assert_eq!(e.s3_status(), 403);
        assert_eq!(
            e.skew_details(),
            Some((
                "20160609T184512Z".to_string(),
                "2016-06-10T01:45:08Z".to_string(),
                900_000
            ))
        );
        let e = Error::SignatureNotYetCurrent {
            request_time: t("20160610T030000Z"),
            now: t("20160610T014508Z"),
        };
        assert_eq!(
            e.to_string(),
            "Signature not yet current: 20160610T030000Z is still later than 20160610T020008Z (20160610T014508Z + 15 min.)"
        );
    }
}
