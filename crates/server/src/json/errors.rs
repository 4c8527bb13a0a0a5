//! The JSON-protocol error table (CloudTrail, Organizations, Secrets Manager): framework
//! and authentication failures map to the codes AWS's JSON services answer with, here and
//! nowhere else. Each service's own errors (`ResourceNotFoundException`, …) are built by
//! its handlers with [`JsonApiError::new`].

use std::borrow::Cow;

use hourglass_iam::{AuthError, IamError};
use hourglass_wire::json::JsonError;
use serde_json::{Map, Value};

/// What the client is told: status, `__type`, message and modeled extra members.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonApiError {
    pub status: u16,
    pub code: Cow<'static, str>,
    pub message: String,
    pub extra: Map<String, Value>,
}

impl JsonApiError {
    pub fn new(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            extra: Map::new(),
        }
    }

    /// AWS's generic `ValidationException` (400).
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationException", message)
    }

    /// A modeled extra member (`Reason`, …) after `__type` and `Message`.
    pub fn with(mut self, member: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(member.to_owned(), value.into());
        self
    }

    pub fn unknown_operation() -> Self {
        Self::new(400, "UnknownOperationException", "")
    }

    pub fn internal() -> Self {
        Self::new(500, "InternalFailure", "An internal error occurred.")
    }
}

pub fn from_auth(e: &AuthError) -> JsonApiError {
    let (status, code, message) = match e {
        AuthError::MissingAuthentication => (
            400,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token".to_owned(),
        ),
        AuthError::Incomplete(m) | AuthError::QueryParameters(m) => {
            (400, "IncompleteSignatureException", m.clone())
        }
        AuthError::Signature(_) => (400, "IncompleteSignatureException", e.to_string()),
        AuthError::InvalidClientTokenId | AuthError::InvalidToken => (
            400,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.".to_owned(),
        ),
        AuthError::ExpiredToken => (
            400,
            "ExpiredTokenException",
            "The security token included in the request is expired".to_owned(),
        ),
        AuthError::SignatureDoesNotMatch { message, .. } | AuthError::Skewed { message, .. } => {
            (400, "InvalidSignatureException", message.clone())
        }
        AuthError::HeadersNotSigned(_) => (400, "AccessDeniedException", e.to_string()),
        AuthError::PresignWindow(m) => (400, "AccessDeniedException", m.clone()),
    };
    JsonApiError::new(status, code, message)
}

/// Identity errors met by a JSON service's handler (authorization above all).
pub fn from_iam(e: &IamError) -> JsonApiError {
    match e {
        IamError::Auth(a) => from_auth(a),
        IamError::AccessDenied { message, .. } => {
            JsonApiError::new(400, "AccessDeniedException", message.clone())
        }
        IamError::Validation(m)
        | IamError::InvalidInput(m)
        | IamError::MissingParameter(m)
        | IamError::MalformedPolicyDocument(m) => JsonApiError::validation(m.clone()),
        IamError::Internal(_) => JsonApiError::internal(),
        other => JsonApiError::new(400, "ValidationException", other.to_string()),
    }
}

impl From<IamError> for JsonApiError {
    fn from(e: IamError) -> Self {
        if let IamError::Internal(detail) = &e {
            tracing::error!(%detail, "JSON operation failed");
        }
        from_iam(&e)
    }
}

/// Body decoding failures.
pub fn from_wire(e: &JsonError) -> JsonApiError {
    match e {
        JsonError::TooLarge(_) => {
            JsonApiError::new(413, "RequestEntityTooLargeException", e.to_string())
        }
        JsonError::BadTarget => JsonApiError::unknown_operation(),
        other => JsonApiError::new(other.status(), other.code(), other.to_string()),
    }
}

impl From<JsonError> for JsonApiError {
    fn from(e: JsonError) -> Self {
        from_wire(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authentication_failures_use_json_service_codes() {
        let cases = [
            (
                AuthError::MissingAuthentication,
                "MissingAuthenticationTokenException",
            ),
            (
                AuthError::InvalidClientTokenId,
                "UnrecognizedClientException",
            ),
            (AuthError::ExpiredToken, "ExpiredTokenException"),
            (
                AuthError::Incomplete("x".into()),
                "IncompleteSignatureException",
            ),
        ];
        for (e, code) in cases {
            let j = from_auth(&e);
            assert_eq!((j.status, j.code.as_ref()), (400, code));
        }
        let denied = from_iam(&IamError::AccessDenied {
            message: "User: a is not authorized".into(),
            encoded: None,
        });
        assert_eq!(denied.code, "AccessDeniedException");
        assert_eq!(
            from_iam(&IamError::Internal("secret detail".into())).message,
            "An internal error occurred."
        );
        assert_eq!(
            from_wire(&JsonError::BadTarget).code,
            "UnknownOperationException"
        );
        assert_eq!(
            from_wire(&JsonError::NotAnObject).code,
            "SerializationException"
        );
        assert_eq!(from_wire(&JsonError::TooLarge(1)).status, 413);
    }
}
