//! The AWS Query protocol (IAM 2010-05-08, STS 2011-06-15): decoding requests, running the
//! authentication pipeline, dispatching to an operation and encoding its answer or error.

pub mod errors;
pub mod params;
pub mod xml;

use std::net::SocketAddr;

use hourglass_iam::{AuthError, IamError, RequestParts};
pub use params::Params;

use crate::api::{self, ApiError};
use crate::http::body::{BodyError, Response, read_limited, response};
use crate::state::AppState;

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

    fn from_signing_name(name: &str) -> Option<Self> {
        match name {
            "iam" => Some(Self::Iam),
            "sts" => Some(Self::Sts),
            _ => None,
        }
    }

    fn from_version(version: &str) -> Option<Self> {
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

fn error_response(service: Service, err: errors::WireError, request_id: &str) -> Response {
    if err.status >= 500 {
        tracing::error!(code = err.code, %request_id, "request failed");
    }
    let mut r = response(
        err.status,
        "text/xml",
        errors::render(service, &err, request_id),
    );
    if let Ok(v) = request_id.parse() {
        r.headers_mut().insert("x-amzn-RequestId", v);
    }
    r
}

/// Wraps an operation's result members in AWS's envelope.
pub fn envelope(service: Service, action: &str, result: Option<&str>, request_id: &str) -> String {
    hourglass_wire::query::response_envelope(service.namespace(), action, result, request_id)
}

/// Headers as lowercase names and string values, the form the signature check reads.
fn header_pairs(headers: &hyper::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Handles one Query request end to end.
pub async fn handle(
    req: hyper::Request<hyper::body::Incoming>,
    remote: SocketAddr,
    secure: bool,
    scope_service: Option<String>,
    state: &AppState,
) -> Response {
    let request_id = hourglass_iam::ids::request_id();
    let (parts, body) = req.into_parts();
    let signed_service = match scope_service
        .as_deref()
        .map(|s| (s, Service::from_signing_name(s)))
    {
        Some((_, Some(s))) => Some(s),
        Some((other, None)) => {
            return error_response(
                Service::Iam,
                errors::from_query(&QueryError::UnknownService(other.to_owned())),
                &request_id,
            );
        }
        None => None,
    };
    let fallback = signed_service.unwrap_or(Service::Iam);
    let body = match read_limited(body, state.config.max_query_body_bytes).await {
        Ok(b) => b,
        Err(BodyError::TooLarge(n)) => {
            return error_response(
                fallback,
                errors::from_query(&QueryError::TooLarge(n)),
                &request_id,
            );
        }
        Err(BodyError::Read(m)) => {
            return error_response(
                fallback,
                errors::from_query(&QueryError::BadRead(m)),
                &request_id,
            );
        }
    };
    let raw_query = parts.uri.query().unwrap_or("");
    let params = match Params::decode(raw_query, &body) {
        Ok(p) => p,
        Err(e) => return error_response(fallback, errors::from_query(&e.into()), &request_id),
    };
    let (action, version) = match params.action_and_version() {
        Ok((a, v)) => (a.to_owned(), v.to_owned()),
        Err(e) => return error_response(fallback, errors::from_query(&e.into()), &request_id),
    };
    // The version names the API; it must agree with the service the request was signed for.
    let service = match (signed_service, Service::from_version(&version)) {
        (Some(s), Some(v)) if s == v => s,
        (None, Some(v)) => v,
        (Some(s), Some(_)) => {
            let e = QueryError::VersionMismatch { action, version };
            return error_response(s, errors::from_query(&e), &request_id);
        }
        (s, None) => {
            let e = QueryError::InvalidAction { action, version };
            return error_response(
                s.unwrap_or(Service::Iam),
                errors::from_query(&e),
                &request_id,
            );
        }
    };
    if !api::is_known_action(service, &action) {
        let e = QueryError::InvalidAction {
            action,
            version: service.version().to_owned(),
        };
        return error_response(service, errors::from_query(&e), &request_id);
    }

    let headers = header_pairs(&parts.headers);
    let request = RequestParts {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query,
        headers: &headers,
        body: &body,
        source_ip: remote.ip(),
        secure_transport: secure,
    };
    let caller = if api::is_unsigned_action(service, &action) && !request.is_signed() {
        None
    } else if !request.is_signed() {
        return error_response(
            service,
            errors::from_auth(&AuthError::MissingAuthentication),
            &request_id,
        );
    } else {
        match state
            .identity
            .authenticate(&request, service.signing_name())
            .await
        {
            Ok(c) => Some(c),
            Err(e) => {
                state.metrics.record_auth_failure();
                return error_response(service, errors::from_auth(&e), &request_id);
            }
        }
    };

    let ctx = api::Ctx {
        service,
        action: &action,
        params: &params,
        caller: caller.as_ref(),
        request: &request,
        identity: &state.identity,
        request_id: &request_id,
    };
    match api::dispatch(&ctx).await {
        Ok(result) => {
            let body = envelope(service, &action, result.as_deref(), &request_id);
            let mut r = response(200, "text/xml", body);
            if let Ok(v) = request_id.parse() {
                r.headers_mut().insert("x-amzn-RequestId", v);
            }
            r
        }
        Err(ApiError::Query(e)) => error_response(service, errors::from_query(&e), &request_id),
        Err(ApiError::Iam(e)) => {
            if let IamError::Internal(detail) = &e {
                tracing::error!(%detail, %request_id, action = %action, "operation failed");
            }
            error_response(service, errors::from_iam(&e), &request_id)
        }
    }
}
