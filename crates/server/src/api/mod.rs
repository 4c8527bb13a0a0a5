//! Query-protocol operations: each decodes its parameters, calls the identity service and
//! encodes the result members. One module per group of operations; each service's table of
//! operations is in its `mod.rs` (see [`operations`]).

pub mod admin;
pub mod cloudtrail;
pub mod iam;
pub mod json_services;
pub mod operations;
pub mod organizations;
pub mod secretsmanager;
pub mod sts;

use hourglass_iam::{Caller, IamError, Identity, RequestParts};

pub use iam::IamOperation;
pub use operations::Operation;
pub use sts::StsOperation;

use crate::query::{Params, QueryError, Service};

/// Everything an operation needs about its request.
pub struct Ctx<'a> {
    pub service: Service,
    pub action: &'a str,
    pub params: &'a Params,
    /// `None` only for the unsigned actions (web identity, SAML).
    pub caller: Option<&'a Caller>,
    pub request: &'a RequestParts<'a>,
    pub identity: &'a Identity,
    pub request_id: &'a str,
}

/// An operation's failure: a protocol problem with its parameters, or a domain error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error(transparent)]
    Iam(#[from] IamError),
}

/// An operation's result members (`None` for operations without output).
pub type ApiResult = Result<Option<String>, ApiError>;

impl<'a> Ctx<'a> {
    /// The authenticated caller; unsigned actions never reach operations that ask for one.
    pub fn caller(&self) -> Result<&'a Caller, ApiError> {
        self.caller.ok_or(ApiError::Iam(IamError::Auth(
            hourglass_iam::AuthError::MissingAuthentication,
        )))
    }

    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.params.get(name)
    }

    /// A list of `Key`/`Value` tags; a tag missing either member is AWS's ValidationError.
    pub fn tags(&self, name: &str) -> Result<Vec<(String, String)>, ApiError> {
        self.params.tags(name).map_err(|field| {
            ApiError::Iam(IamError::Validation(format!(
                "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
            )))
        })
    }

    /// A required string parameter, with AWS's ValidationError when absent.
    pub fn required(&self, name: &str) -> Result<&'a str, ApiError> {
        Ok(hourglass_iam::validate::required(
            self.params.get(name),
            name,
        )?)
    }
}

pub fn is_known_action(service: Service, action: &str) -> bool {
    Operation::parse(service, action).is_ok()
}

/// Actions that AWS accepts without a signature.
pub fn is_unsigned_action(service: Service, action: &str) -> bool {
    match Operation::parse(service, action) {
        Ok(op) => op.is_unsigned(),
        Err(_) => service == Service::Sts && sts::UNSERVED_UNSIGNED.contains(&action),
    }
}

/// Decodes `ctx.action`, refuses parameters outside its schema and runs it.
pub async fn dispatch(ctx: &Ctx<'_>) -> ApiResult {
    Operation::parse(ctx.service, ctx.action)?
        .dispatch(ctx)
        .await
}
