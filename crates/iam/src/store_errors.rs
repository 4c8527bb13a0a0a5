//! Maps storage errors to IAM errors. The store already renders AWS's messages for the
//! domain variants; backend failures become `Internal` so their detail is logged, not sent.

use hourglass_store::StoreError;

use crate::error::IamError;

pub fn from_store(e: StoreError) -> IamError {
    match e {
        StoreError::NotFound { .. } => IamError::NoSuchEntity(e.to_string()),
        StoreError::AlreadyExists { .. } => IamError::EntityAlreadyExists(e.to_string()),
        StoreError::LimitExceeded { .. } | StoreError::PolicySizeExceeded { .. } => {
            IamError::LimitExceeded(e.to_string())
        }
        StoreError::DeleteConflict(_) => IamError::DeleteConflict(e.to_string()),
        StoreError::Unmodifiable { .. } => IamError::UnmodifiableEntity(e.to_string()),
        StoreError::InvalidInput(m) => IamError::InvalidInput(m),
        StoreError::Conflict => IamError::ConcurrentModification(e.to_string()),
        StoreError::Backend(_) | StoreError::Corrupt(_) | StoreError::KeyRing(_) => {
            IamError::Internal(e.to_string())
        }
    }
}
