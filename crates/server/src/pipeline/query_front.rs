//! The Query front (IAM, STS): reads the form body within its limit, decodes `Action` and
//! `Version` into a typed operation, authenticates through the one gate
//! ([`super::authenticate`]), runs the operation ([`crate::api`]) and encodes its answer or
//! error in the Query envelope.

use std::net::SocketAddr;

use hourglass_iam::telemetry::RequestReport;
use hourglass_iam::{IamError, RequestParts};

use super::authenticate::{self, BodyReadError};
use crate::api::{self, ApiError};
use crate::http::body::{Response, close_after, response};
use crate::http::timed_body::{REQUEST_TIMEOUT_MESSAGE, TimedBody};
use crate::query::{Params, QueryError, Service, envelope, errors};
use crate::state::AppState;

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
    // The code travels to the request record; [`handle`] merges in the rest.
    let mut report = RequestReport {
        error_code: Some(err.code.to_owned()),
        ..RequestReport::default()
    };
    report.audit.error_message = Some(err.message.clone());
    r.extensions_mut().insert(report);
    r
}

/// Reads the form body within `max_query_body_bytes` (see [`authenticate::read_body`]).
async fn read_body(
    parts: &http::request::Parts,
    body: TimedBody,
    remote: SocketAddr,
    secure: bool,
    signed_service: Option<Service>,
    state: &AppState,
    report: &mut RequestReport,
) -> Result<bytes::Bytes, errors::WireError> {
    let signing_name = signed_service.map(Service::signing_name);
    let limit = state.config.max_query_body_bytes;
    authenticate::read_body(
        parts,
        body,
        remote,
        secure,
        signing_name,
        limit,
        state,
        report,
    )
    .await
    .map_err(|e| match e {
        BodyReadError::TooLarge(n) => errors::from_query(&QueryError::TooLarge(n)),
        BodyReadError::Auth(e) => errors::from_auth(&e),
        BodyReadError::Read(m) => errors::from_query(&QueryError::BadRead(m)),
        BodyReadError::TimedOut => errors::WireError {
            status: 400,
            code: "RequestTimeout",
            message: REQUEST_TIMEOUT_MESSAGE.to_owned(),
            encoded: None,
        },
    })
}

/// Handles one Query request end to end, under the request id the pipeline assigned. The
/// response carries a [`RequestReport`] for the pipeline's request record.
pub async fn handle(
    req: hyper::Request<TimedBody>,
    remote: SocketAddr,
    secure: bool,
    scope_service: Option<String>,
    state: &AppState,
    request_id: String,
) -> Response {
    let mut report = RequestReport::default();
    let mut r = answer(
        req,
        remote,
        secure,
        scope_service,
        state,
        &request_id,
        &mut report,
    )
    .await;
    if let Some(e) = r.extensions_mut().remove::<RequestReport>() {
        report.error_code = e.error_code;
        report.audit.error_message = e.audit.error_message;
    }
    r.extensions_mut().insert(report);
    r
}

async fn answer(
    req: hyper::Request<TimedBody>,
    remote: SocketAddr,
    secure: bool,
    scope_service: Option<String>,
    state: &AppState,
    request_id: &str,
    report: &mut RequestReport,
) -> Response {
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
                request_id,
            );
        }
        None => None,
    };
    report.service = signed_service.map(Service::signing_name);
    let fallback = signed_service.unwrap_or(Service::Iam);
    let body = match read_body(&parts, body, remote, secure, signed_service, state, report).await {
        Ok(b) => b,
        Err(err) => {
            let mut r = error_response(fallback, err, request_id);
            // The rest of the body is still on the socket.
            if parts.version <= hyper::Version::HTTP_11 {
                close_after(&mut r);
            }
            return r;
        }
    };
    let raw_query = parts.uri.query().unwrap_or("");
    let params = match Params::decode(raw_query, &body) {
        Ok(p) => p,
        Err(e) => return error_response(fallback, errors::from_query(&e.into()), request_id),
    };
    let (action, version) = match params.action_and_version() {
        Ok((a, v)) => (a.to_owned(), v.to_owned()),
        Err(e) => return error_response(fallback, errors::from_query(&e.into()), request_id),
    };
    // The version names the API; it must agree with the service the request was signed for.
    let service = match (signed_service, Service::from_version(&version)) {
        (Some(s), Some(v)) if s == v => s,
        (None, Some(v)) => v,
        (Some(s), Some(_)) => {
            let e = QueryError::VersionMismatch { action, version };
            return error_response(s, errors::from_query(&e), request_id);
        }
        (s, None) => {
            let e = QueryError::InvalidAction { action, version };
            return error_response(
                s.unwrap_or(Service::Iam),
                errors::from_query(&e),
                request_id,
            );
        }
    };
    report.service = Some(service.signing_name());
    if !api::is_known_action(service, &action) {
        let e = QueryError::InvalidAction {
            action,
            version: service.version().to_owned(),
        };
        return error_response(service, errors::from_query(&e), request_id);
    }
    // Only a known action names the operation: metric labels never carry client input.
    report.operation = Some(action.clone());
    if state.audit.config().enabled {
        report.audit.request_parameters = hourglass_audit::params::query_request(
            params.names().filter_map(|n| params.get(n).map(|v| (n, v))),
        );
    }

    let headers = authenticate::header_pairs(&parts.headers);
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
    } else {
        match authenticate::authenticate(state, &request, service.signing_name(), report).await {
            Ok(c) => Some(c),
            Err(e) => return error_response(service, errors::from_auth(&e), request_id),
        }
    };

    // IAM operations act on the caller's own account.
    let scoped = caller
        .as_ref()
        .and_then(|c| authenticate::account_view(state, c));
    let ctx = api::Ctx {
        service,
        action: &action,
        params: &params,
        caller: caller.as_ref(),
        request: &request,
        identity: scoped.as_ref().unwrap_or(&state.identity),
        request_id,
    };
    match api::dispatch(&ctx).await {
        Ok(result) => {
            let name = service.signing_name();
            if state.audit.config().enabled
                && hourglass_audit::rules::records_response(name, &action)
            {
                let style = match service {
                    Service::Iam => hourglass_audit::params::DateStyle::Iam,
                    Service::Sts => hourglass_audit::params::DateStyle::Sts,
                };
                report.audit.response_elements = result
                    .as_deref()
                    .and_then(|x| hourglass_audit::params::query_response(x, style));
                if caller.is_none() && action == "AssumeRoleWithSAML" {
                    report.audit.user_identity = report
                        .audit
                        .response_elements
                        .as_ref()
                        .and_then(hourglass_audit::UserIdentity::saml_user);
                }
            }
            let body = envelope(service, &action, result.as_deref(), request_id);
            let mut r = response(200, "text/xml", body);
            if let Ok(v) = request_id.parse() {
                r.headers_mut().insert("x-amzn-RequestId", v);
            }
            r
        }
        Err(ApiError::Query(e)) => error_response(service, errors::from_query(&e), request_id),
        Err(ApiError::Iam(e)) => {
            if let IamError::Internal(detail) = &e {
                tracing::error!(%detail, %request_id, action = %action, "operation failed");
            }
            error_response(service, errors::from_iam(&e), request_id)
        }
    }
}
