//! Errors of the identity domain. Each protocol front has one table that maps these to its
//! wire codes (the Query table in the server crate; S3 has its own), so nothing here knows
//! about HTTP status codes or XML.

use hourglass_store::StoreError;

/// Why a request could not be authenticated. Rendered differently by each protocol
/// (`InvalidClientTokenId` for IAM/STS, `InvalidAccessKeyId` for S3, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No signature on an action that needs one.
    #[error("Request is missing Authentication Token")]
    MissingAuthentication,
    /// The Authorization header or presign parameters are malformed.
    #[error("{0}")]
    Incomplete(String),
    /// Unknown, inactive or deleted access key, or a token that does not belong to the key.
    #[error("The security token included in the request is invalid.")]
    InvalidClientTokenId,
    /// A session token was presented that cannot be opened or does not match its key id.
    #[error("The security token included in the request is invalid.")]
    InvalidToken,
    /// Temporary credentials past their expiry.
    #[error("The security token included in the request is expired")]
    ExpiredToken,
    /// Signature mismatch, or clock skew with AWS's "Signature expired" wording.
    #[error("{message}")]
    SignatureDoesNotMatch {
        message: String,
        /// Kept for S3's debugging elements; never shown by the Query front.
        string_to_sign: Option<String>,
        canonical_request: Option<String>,
    },
    /// The request time is more than 15 minutes from the server's. `message` is the Query
    /// services' wording (`Signature expired: …`); S3 renders RequestTimeTooSkewed instead.
    #[error("{message}")]
    Skewed {
        message: String,
        request_time: String,
        server_time: String,
    },
    /// S3 requires these `x-amz-*` headers to be signed.
    #[error("There were headers present in the request which were not signed")]
    HeadersNotSigned(Vec<String>),
    /// Any other signature-format problem, kept whole for the S3 table (payload modes,
    /// chunked framing, checksums).
    #[error("{0}")]
    Signature(hourglass_sigv4::Error),
    /// Presigned URL outside its validity window.
    #[error("{0}")]
    PresignWindow(String),
    /// Presign query parameters are invalid (e.g. X-Amz-Expires too large).
    #[error("{0}")]
    QueryParameters(String),
}

pub const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// Errors of IAM and STS operations.
#[derive(Debug, thiserror::Error)]
pub enum IamError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A model constraint (length, pattern, range) failed; the message is AWS's
    /// `1 validation error detected: …` text.
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    MissingParameter(String),
    #[error("{0}")]
    NoSuchEntity(String),
    #[error("{0}")]
    EntityAlreadyExists(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    DeleteConflict(String),
    #[error("{0}")]
    MalformedPolicyDocument(String),
    #[error("{0}")]
    UnmodifiableEntity(String),
    #[error("{0}")]
    PolicyNotAttachable(String),
    #[error("{0}")]
    PackedPolicyTooLarge(String),
    #[error("{0}")]
    ConcurrentModification(String),
    /// GetCredentialReport before any GenerateCredentialReport.
    #[error("{0}")]
    ReportNotPresent(String),
    /// GetCredentialReport after the last report expired.
    #[error("{0}")]
    ReportExpired(String),
    /// Policy evaluation denied the request. `encoded` carries the
    /// DecodeAuthorizationMessage blob when the operation returns one.
    #[error("{message}")]
    AccessDenied {
        message: String,
        encoded: Option<String>,
    },
    #[error("{0}")]
    InvalidAction(String),
    /// DecodeAuthorizationMessage was given something it cannot open.
    #[error("{0}")]
    InvalidAuthorizationMessage(String),
    /// STS federation errors (InvalidIdentityToken, ExpiredTokenException, …).
    #[error(transparent)]
    Federation(#[from] crate::federation::FederationError),
    /// EnableMFADevice/ResyncMFADevice codes that do not verify.
    #[error("{0}")]
    InvalidAuthenticationCode(String),
    /// A login-profile password the account password policy refuses.
    #[error("{0}")]
    PasswordPolicyViolation(String),
    /// A login profile that may not be used or changed now (e.g. a password change too
    /// soon, or a ChangePassword with a wrong old password).
    #[error("{0}")]
    EntityTemporarilyUnmodifiable(String),
    /// An SSH public key that cannot be parsed or is too weak.
    #[error("{0}")]
    InvalidPublicKey(String),
    #[error("{0}")]
    DuplicateSSHPublicKey(String),
    #[error("{0}")]
    UnrecognizedPublicKeyEncoding(String),
    /// A certificate body that is not a PEM X.509 certificate.
    #[error("{0}")]
    MalformedCertificate(String),
    #[error("{0}")]
    DuplicateCertificate(String),
    /// UploadServerCertificate with a private key that is not the certificate's.
    #[error("{0}")]
    KeyPairMismatch(String),
    /// CreateServiceSpecificCredential for a service without such credentials.
    #[error("{0}")]
    NotSupportedService(String),
    /// ChangePassword by a caller that is not an IAM user.
    #[error("{0}")]
    InvalidUserType(String),
    /// A bug or a backend failure; the detail is logged, never sent to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl IamError {
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::AccessDenied {
            message: message.into(),
            encoded: None,
        }
    }
}

/// The store already renders AWS's messages for the domain variants; backend failures become
/// `Internal` so their detail is logged, not sent.
impl From<StoreError> for IamError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => Self::NoSuchEntity(e.to_string()),
            StoreError::AlreadyExists { .. } => Self::EntityAlreadyExists(e.to_string()),
            StoreError::LimitExceeded { .. } | StoreError::PolicySizeExceeded { .. } => {
                Self::LimitExceeded(e.to_string())
            }
            StoreError::DeleteConflict(_) => Self::DeleteConflict(e.to_string()),
            StoreError::Unmodifiable { .. } => Self::UnmodifiableEntity(e.to_string()),
            StoreError::InvalidInput(m) => Self::InvalidInput(m),
            StoreError::Conflict => Self::ConcurrentModification(e.to_string()),
            StoreError::Backend(_) | StoreError::Corrupt(_) | StoreError::KeyRing(_) => {
                Self::Internal(e.to_string())
            }
        }
    }
}

pub type IamResult<T> = Result<T, IamError>;
