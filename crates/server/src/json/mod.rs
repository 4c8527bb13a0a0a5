//! The AWS JSON 1.0/1.1 protocol (CloudTrail, Organizations, Secrets Manager): `POST /`
//! with `X-Amz-Target: Prefix.Operation` and a JSON object as the body. This module holds
//! what services are written with (the operation table macro, the context handlers get,
//! the error table); the front is [`crate::pipeline::json_front`] and the served services
//! are listed in [`crate::api::json_services`].
//!
//! Stages of the front, in the order AWS's JSON services apply them: the target names a served service
//! and operation (else `UnknownOperationException`), the body is read within the limit (a
//! large body's key is checked first), the signature is verified through the one
//! authentication gate ([`crate::pipeline::authenticate`]), the body is decoded
//! (`SerializationException`), the handler runs and authorizes through the one authorizer
//! with its table's IAM action, and the answer or error is encoded.

pub mod errors;
pub mod operations;

pub use errors::JsonApiError;
#[allow(unused_imports)] // until the first service registers its table
pub(crate) use operations::json_operations;
pub use operations::{BoxFuture, JsonApi, JsonCtx, JsonResult, ServiceSpec, output};
