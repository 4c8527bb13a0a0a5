//! The Query-protocol error table: every domain error maps to AWS's code, HTTP status and
//! message here and nowhere else (spec §1.5, §3.10, §4.14).

use hourglass_iam::{AuthError, IamError};

use super::{QueryError, Service};

/// What the client sees of an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// An AccessDenied's encoded authorization message (DecodeAuthorizationMessage), sent
    /// as `<EncodedMessage>` beside AWS's exact message.
    pub encoded: Option<String>,
}

fn wire(status: u16, code: &'static str, message: impl Into<String>) -> WireError {
    WireError {
        status,
        code,
        message: message.into(),
        encoded: None,
    }
}

pub fn from_auth(e: &AuthError) -> WireError {
    match e {
        AuthError::MissingAuthentication => wire(403, "MissingAuthenticationToken", e.to_string()),
        AuthError::Incomplete(m) => wire(400, "IncompleteSignature", m.clone()),
        AuthError::InvalidClientTokenId | AuthError::InvalidToken => {
            wire(403, "InvalidClientTokenId", e.to_string())
        }
        AuthError::ExpiredToken => wire(403, "ExpiredToken", e.to_string()),
        AuthError::SignatureDoesNotMatch { message, .. } => {
            wire(403, "SignatureDoesNotMatch", message.clone())
        }
        AuthError::Skewed { message, .. } => wire(403, "SignatureDoesNotMatch", message.clone()),
        AuthError::HeadersNotSigned(_) => wire(403, "AccessDenied", e.to_string()),
        AuthError::Signature(_) => wire(400, "IncompleteSignature", e.to_string()),
        AuthError::PresignWindow(m) => wire(403, "AccessDenied", m.clone()),
        AuthError::QueryParameters(m) => wire(400, "IncompleteSignature", m.clone()),
    }
}

pub fn from_iam(e: &IamError) -> WireError {
    match e {
        IamError::Auth(a) => from_auth(a),
        IamError::Validation(m) => wire(400, "ValidationError", m.clone()),
        IamError::InvalidInput(m) => wire(400, "InvalidInput", m.clone()),
        IamError::MissingParameter(m) => wire(400, "MissingParameter", m.clone()),
        IamError::NoSuchEntity(m) => wire(404, "NoSuchEntity", m.clone()),
        IamError::EntityAlreadyExists(m) => wire(409, "EntityAlreadyExists", m.clone()),
        IamError::LimitExceeded(m) => wire(409, "LimitExceeded", m.clone()),
        IamError::DeleteConflict(m) => wire(409, "DeleteConflict", m.clone()),
        IamError::MalformedPolicyDocument(m) => wire(400, "MalformedPolicyDocument", m.clone()),
        IamError::UnmodifiableEntity(m) => wire(400, "UnmodifiableEntity", m.clone()),
        IamError::PolicyNotAttachable(m) => wire(400, "PolicyNotAttachable", m.clone()),
        IamError::PackedPolicyTooLarge(m) => wire(400, "PackedPolicyTooLarge", m.clone()),
        IamError::ConcurrentModification(m) => wire(409, "ConcurrentModification", m.clone()),
        IamError::ReportNotPresent(m) => wire(410, "ReportNotPresent", m.clone()),
        IamError::ReportExpired(m) => wire(410, "ReportExpired", m.clone()),
        IamError::AccessDenied { message, encoded } => WireError {
            encoded: encoded.clone(),
            ..wire(403, "AccessDenied", message.clone())
        },
        IamError::InvalidAction(m) => wire(400, "InvalidAction", m.clone()),
        IamError::InvalidAuthorizationMessage(m) => {
            wire(400, "InvalidAuthorizationMessageException", m.clone())
        }
        IamError::Federation(f) => {
            use hourglass_iam::federation::FederationError as F;
            match f {
                F::InvalidIdentityToken(m) => wire(400, "InvalidIdentityToken", m.clone()),
                F::ExpiredToken(m) => wire(400, "ExpiredTokenException", m.clone()),
                F::IdpCommunication(m) => wire(400, "IDPCommunicationError", m.clone()),
                F::IdpRejectedClaim(m) => wire(403, "IDPRejectedClaim", m.clone()),
            }
        }
        IamError::InvalidAuthenticationCode(m) => wire(403, "InvalidAuthenticationCode", m.clone()),
        IamError::PasswordPolicyViolation(m) => wire(400, "PasswordPolicyViolation", m.clone()),
        IamError::EntityTemporarilyUnmodifiable(m) => {
            wire(409, "EntityTemporarilyUnmodifiable", m.clone())
        }
        IamError::InvalidPublicKey(m) => wire(400, "InvalidPublicKey", m.clone()),
        IamError::DuplicateSSHPublicKey(m) => wire(400, "DuplicateSSHPublicKey", m.clone()),
        IamError::UnrecognizedPublicKeyEncoding(m) => {
            wire(400, "UnrecognizedPublicKeyEncoding", m.clone())
        }
        IamError::MalformedCertificate(m) => wire(400, "MalformedCertificate", m.clone()),
        IamError::DuplicateCertificate(m) => wire(409, "DuplicateCertificate", m.clone()),
        IamError::KeyPairMismatch(m) => wire(400, "KeyPairMismatch", m.clone()),
        IamError::NotSupportedService(m) => wire(404, "NotSupportedService", m.clone()),
        IamError::InvalidUserType(m) => wire(400, "InvalidUserType", m.clone()),
        IamError::Internal(_) => wire(500, "ServiceFailure", "An internal error occurred."),
    }
}

pub fn from_query(e: &QueryError) -> WireError {
    match e {
        QueryError::TooLarge(_) => wire(413, "RequestEntityTooLarge", e.to_string()),
        QueryError::MalformedBody | QueryError::TooManyParameters | QueryError::BadRead(_) => {
            wire(400, "MalformedQueryString", e.to_string())
        }
        QueryError::UnknownParameter(_) => wire(400, "UnknownParameter", e.to_string()),
        QueryError::MissingAction => wire(400, "MissingAction", e.to_string()),
        QueryError::MissingVersion => wire(400, "MissingParameter", e.to_string()),
        QueryError::MalformedList(_) => wire(400, "MalformedQueryString", e.to_string()),
        QueryError::InvalidAction { .. } | QueryError::VersionMismatch { .. } => {
            wire(400, "InvalidAction", e.to_string())
        }
        QueryError::UnknownService(_) => wire(400, "InvalidAction", e.to_string()),
    }
}

/// `<ErrorResponse>` body, as AWS sends it.
pub fn render(service: Service, err: &WireError, request_id: &str) -> String {
    let detail = hourglass_wire::error::ErrorDetail {
        status: err.status,
        code: err.code,
        message: &err.message,
    };
    let encoded = err.encoded.as_deref().map(|e| ("EncodedMessage", e));
    hourglass_wire::error::query_error(service.namespace(), &detail, encoded, request_id)
}
