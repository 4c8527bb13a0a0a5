//! The JSON-protocol front (see [`crate::json`] for the protocol and the stages).

use std::net::SocketAddr;

use hourglass_iam::RequestParts;
use hourglass_iam::telemetry::RequestReport;
use hourglass_wire::json::{JsonVersion, Limits};

use super::authenticate::{self, BodyReadError};
use crate::api::json_services;
use crate::http::body::{Response, close_after, response};
use crate::http::timed_body::{REQUEST_TIMEOUT_MESSAGE, TimedBody};
use crate::json::{JsonApiError, JsonCtx, errors};
use crate::state::AppState;

/// Handles one JSON-protocol request under the request id the pipeline assigned; the
/// response carries a [`RequestReport`] for the pipeline's record.
pub async fn handle(
    req: hyper::Request<TimedBody>,
    remote: SocketAddr,
    secure: bool,
    state: &AppState,
    request_id: String,
) -> Response {
    let mut report = RequestReport::default();
    let version = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(JsonVersion::from_content_type);
    let http1 = req.version() <= hyper::Version::HTTP_11;
    let (mut r, answered_version) =
        match answer(req, remote, secure, state, &request_id, &mut report).await {
            Ok((body, v)) => (response(200, version.unwrap_or(v).content_type(), body), v),
            Err((err, v, unread)) => {
                report.error_code = Some(err.code.to_string());
                report.audit.error_message = Some(err.message.to_string());
                if err.status >= 500 {
                    tracing::error!(code = %err.code, %request_id, "request failed");
                }
                let detail = hourglass_wire::error::ErrorDetail {
                    status: err.status,
                    code: &err.code,
                    message: &err.message,
                };
                let rendered = hourglass_wire::error::json_error(&detail, err.extra);
                let mut r = response(
                    rendered.status,
                    version.unwrap_or(v).content_type(),
                    rendered.body,
                );
                if let Ok(t) = rendered.error_type.parse() {
                    r.headers_mut().insert("x-amzn-ErrorType", t);
                }
                // The rest of the body is still on the socket.
                if unread && http1 {
                    close_after(&mut r);
                }
                (r, v)
            }
        };
    let _ = answered_version;
    if let Ok(v) = request_id.parse() {
        r.headers_mut().insert("x-amzn-RequestId", v);
    }
    r.extensions_mut().insert(report);
    r
}

/// An error, the protocol version to answer it in, and whether body bytes were left unread.
type Failure = (JsonApiError, JsonVersion, bool);

async fn answer(
    req: hyper::Request<TimedBody>,
    remote: SocketAddr,
    secure: bool,
    state: &AppState,
    request_id: &str,
    report: &mut RequestReport,
) -> Result<(Vec<u8>, JsonVersion), Failure> {
    let (parts, body) = req.into_parts();
    let default = JsonVersion::V1_1;
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let target = hourglass_wire::json::parse_target(target)
        .map_err(|e| (errors::from_wire(&e), default, true))?;
    let service = json_services::find(target.prefix)
        .ok_or_else(|| (JsonApiError::unknown_operation(), default, true))?;
    let spec = service.spec();
    let version = spec.version;
    report.service = Some(spec.signing_name);
    let (operation, iam_action) = service
        .operation(target.operation)
        .ok_or_else(|| (JsonApiError::unknown_operation(), version, true))?;
    // Only a served operation names the metric label: never client input.
    report.operation = Some(operation.to_owned());

    if parts.method != hyper::Method::POST {
        return Err((
            JsonApiError::new(
                400,
                "UnknownOperationException",
                "JSON-protocol operations are called with POST.",
            ),
            version,
            true,
        ));
    }
    let limits = Limits {
        max_bytes: state.config.max_query_body_bytes,
        ..Limits::default()
    };
    let read = authenticate::read_body(
        &parts,
        body,
        remote,
        secure,
        Some(spec.signing_name),
        limits.max_bytes,
        state,
        report,
    )
    .await;
    let body = match read {
        Ok(b) => b,
        Err(e) => {
            let err = match e {
                BodyReadError::TooLarge(n) => {
                    errors::from_wire(&hourglass_wire::json::JsonError::TooLarge(n))
                }
                BodyReadError::Auth(e) => errors::from_auth(&e),
                BodyReadError::Read(m) => JsonApiError::new(400, "SerializationException", m),
                BodyReadError::TimedOut => {
                    JsonApiError::new(400, "RequestTimeout", REQUEST_TIMEOUT_MESSAGE)
                }
            };
            return Err((err, version, true));
        }
    };

    let headers = authenticate::header_pairs(&parts.headers);
    let request = RequestParts {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        body: &body,
        source_ip: remote.ip(),
        secure_transport: secure,
    };
    let caller = authenticate::authenticate(state, &request, spec.signing_name, report)
        .await
        .map_err(|e| (errors::from_auth(&e), version, false))?;
    let input = hourglass_wire::json::decode_body(&body, &limits)
        .map_err(|e| (errors::from_wire(&e), version, false))?;
    if state.audit.config().enabled {
        report.audit.request_parameters = hourglass_audit::params::json_request(&input);
    }
    let scoped = authenticate::account_view(state, &caller);
    let ctx = JsonCtx {
        operation,
        iam_action,
        input: &input,
        body: &body,
        caller: &caller,
        request: &request,
        identity: scoped.as_ref().unwrap_or(&state.identity),
        state,
        request_id,
    };
    let value = service.call(&ctx).await.map_err(|e| (e, version, false))?;
    let encoded = hourglass_wire::json::encode(&value)
        .map_err(|e| (errors::from_wire(&e), version, false))?;
    Ok((encoded, version))
}
