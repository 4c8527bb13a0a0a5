//! The AWS Query protocol (IAM 2010-05-08, STS 2011-06-15): its services and versions,
//! parameter decoding, protocol errors, envelopes and the error table. The front that runs
//! a Query request through the pipeline is [`crate::pipeline::query_front`].

pub mod errors;
pub mod params;
pub mod xml;

pub use params::Params;

/// The two Query services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Iam,
    Sts,
}

impl Service {
    pub fn namespace(self) -> &'static str {
        match self {
            Self::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            Self::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
        }
    }

    pub fn version(self) -> &'static str {
        match self {
            Self::Iam => "2010-05-08",
            Self::Sts => "2011-06-15",
        }
    }

    pub fn signing_name(self) -> &'static str {
        match self {
            Self::Iam => "iam",
            Self::Sts => "sts",
        }
    }

    pub fn from_signing_name(name: &str) -> Option<Self> {
        match name {
            "iam" => Some(Self::Iam),
            "sts" => Some(Self::Sts),
            _ => None,
        }
    }

    pub fn from_version(version: &str) -> Option<Self> {
        match version {
            "2010-05-08" => Some(Self::Iam),
            "2011-06-15" => Some(Self::Sts),
            _ => None,
        }
    }
}

/// Protocol-level failures, before any operation runs.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("Request body exceeds the maximum of {0} bytes.")]
    TooLarge(usize),
    #[error("The request body is not valid UTF-8 form data.")]
    MalformedBody,
    #[error("The request carries too many parameters.")]
    TooManyParameters,
    #[error("The parameter {0} is not recognized.")]
    UnknownParameter(String),
    #[error("The request body could not be read: {0}")]
    BadRead(String),
    #[error("The request must contain the parameter Action.")]
    MissingAction,
    #[error("The request must contain the parameter Version.")]
    MissingVersion,
    #[error("{0}")]
    MalformedList(String),
    #[error("Could not find operation {action} for version {version}")]
    InvalidAction { action: String, version: String },
    #[error("The action {action} is not valid for version {version}.")]
    VersionMismatch { action: String, version: String },
    #[error("Service {0} is not served by this endpoint.")]
    UnknownService(String),
}

/// Refuses parameters the operation does not declare, so a typo is an error rather than a
/// silently ignored setting.
pub fn check_params(params: &Params, declared: &[&str]) -> Result<(), QueryError> {
    Ok(params.check_declared(declared)?)
}

/// Wraps an operation's result members in AWS's envelope.
pub fn envelope(service: Service, action: &str, result: Option<&str>, request_id: &str) -> String {
    hourglass_wire::query::response_envelope(service.namespace(), action, result, request_id)
}
