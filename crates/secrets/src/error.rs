//! Secrets Manager's errors: AWS's `__type` codes with AWS's messages. All are HTTP 400
//! except `InternalServiceError`.

use hourglass_store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SmError {
    pub code: &'static str,
    pub message: String,
}

pub type SmResult<T> = Result<T, SmError>;

impl SmError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn not_found() -> Self {
        Self::new(
            "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret.",
        )
    }

    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterException", message)
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new("InvalidRequestException", message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }

    pub fn limit(message: impl Into<String>) -> Self {
        Self::new("LimitExceededException", message)
    }

    pub fn exists(message: impl Into<String>) -> Self {
        Self::new("ResourceExistsException", message)
    }

    pub fn internal() -> Self {
        Self::new(
            "InternalServiceError",
            "An error occurred on the server side.",
        )
    }

    /// AWS's answer for an operation on a secret scheduled for deletion.
    pub fn marked_for_deletion() -> Self {
        Self::invalid_request(
            "You can't perform this operation on the secret because it was marked for deletion.",
        )
    }

    pub fn status(&self) -> u16 {
        if self.code == "InternalServiceError" {
            500
        } else {
            400
        }
    }
}

impl From<StoreError> for SmError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => SmError::not_found(),
            other => {
                // Store errors never carry secret material (see StoreError).
                tracing::error!(error = %other, "secrets store operation failed");
                SmError::internal()
            }
        }
    }
}
