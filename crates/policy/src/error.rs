//! Errors returned when a policy document is refused.

use std::fmt;

/// The wire error code family a refusal is reported under.
///
/// IAM and STS report every invalid document as `MalformedPolicyDocument` (HTTP 400);
/// S3 reports invalid bucket policies as `MalformedPolicy` (HTTP 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// IAM / STS: `MalformedPolicyDocument`.
    MalformedPolicyDocument,
    /// S3: `MalformedPolicy`.
    MalformedPolicy,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedPolicyDocument => "MalformedPolicyDocument",
            ErrorCode::MalformedPolicy => "MalformedPolicy",
        }
    }

    /// The HTTP status AWS uses for this code.
    pub fn http_status(self) -> u16 {
        400
    }
}

/// A policy document was refused. `message` is the exact text AWS returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// Which wire error code to report.
    pub code: ErrorCode,
    /// The message, word for word as AWS sends it.
    pub message: String,
}

impl PolicyError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        PolicyError {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for PolicyError {}
