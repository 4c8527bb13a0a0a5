//! The one request pipeline every request of every service goes through:
//!
//! 1. classify ([`classify`]): which front answers, from the request line and headers;
//! 2. decode, authenticate, authorize, handle, encode: inside the front (Query in
//!    [`query_front`], JSON 1.0/1.1 in [`json_front`], S3 REST in `hourglass_s3`), which
//!    authenticates through the one gate ([`authenticate`] for Query and JSON; S3 reads its
//!    extra credential forms and resolves keys through the same identity domain: one
//!    signing-key cache, one authorizer) and reports back what it learned as a
//!    [`RequestReport`] response extension;
//! 3. record ([`record`]): one [`record::RequestRecord`] per request, to the metrics and
//!    the request log, and one CloudTrail event to the audit queue ([`crate::audit`]).
//!
//! The request id is assigned here, so the record and the answer always agree on it.

pub mod authenticate;
pub mod classify;
pub mod json_front;
pub mod query_front;
pub mod record;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use hourglass_iam::telemetry::RequestReport;
use hyper::body::Incoming;

pub use classify::{RESERVED_PREFIX, Route, classify};

use crate::http::body::{Response, close_after};
use crate::http::timed_body::{REQUEST_TIMEOUT_MESSAGE, TimedBody};
use crate::internal;
use crate::state::AppState;

/// Entry point for every request the listener accepts.
pub async fn handle(
    req: hyper::Request<Incoming>,
    remote: SocketAddr,
    secure: bool,
    state: Arc<AppState>,
) -> Response {
    let started = Instant::now();
    let route = classify(
        req.method().as_str(),
        req.uri().path(),
        req.uri().query().unwrap_or(""),
        req.headers(),
    );
    let request_id = hourglass_iam::ids::request_id();
    let service = route_service(&route);
    let origin = crate::audit::Origin::of(&req, remote, secure, state.audit.config().enabled);
    let mut resp = answer(req, route, remote, secure, &state, request_id.clone()).await;
    let report = resp
        .extensions_mut()
        .remove::<RequestReport>()
        .unwrap_or_default();
    let status = resp.status().as_u16();
    crate::audit::record(&state, &request_id, service, &report, status, origin).await;
    let rec = record::RequestRecord::new(
        request_id,
        service,
        report,
        resp.status().as_u16(),
        started.elapsed(),
    );
    record::emit(state.metrics.telemetry(), &rec);
    resp
}

/// The service a route stands for until its front names one.
fn route_service(route: &Route) -> &'static str {
    match route {
        Route::Internal => "internal",
        Route::Query(_) => "query",
        Route::Json => "json",
        Route::S3 => "s3",
    }
}

/// Hands the request to its front.
async fn answer(
    req: hyper::Request<Incoming>,
    route: Route,
    remote: SocketAddr,
    secure: bool,
    state: &AppState,
    request_id: String,
) -> Response {
    let body_timeout = state.config.limits.body_read_timeout;
    match route {
        Route::Internal => internal::handle(req, state).await,
        Route::Query(service) => {
            let req = req.map(|b| TimedBody::new(b, body_timeout));
            query_front::handle(req, remote, secure, service, state, request_id).await
        }
        Route::Json => {
            let req = req.map(|b| TimedBody::new(b, body_timeout));
            json_front::handle(req, remote, secure, state, request_id).await
        }
        Route::S3 => {
            let peer = hourglass_s3::Peer {
                ip: remote.ip(),
                secure,
            };
            let is_head = req.method() == hyper::Method::HEAD;
            let http1 = req.version() <= hyper::Version::HTTP_11;
            let req = req.map(|b| TimedBody::new(b, body_timeout));
            let timed_out = req.body().flag();
            let mut answered = state.s3.handle_with_id(req, peer, request_id).await;
            if timed_out.fired() {
                s3_request_timeout(&mut answered, is_head, http1)
            } else {
                answered
            }
        }
    }
}

/// S3 reports a body that stopped arriving as `IncompleteBody`; AWS calls it
/// `RequestTimeout` and hangs up, and so do we.
fn s3_request_timeout(answered: &mut Response, is_head: bool, http1: bool) -> Response {
    let request_id = answered
        .headers()
        .get("x-amz-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let err = hourglass_s3::errors::S3Error::new(400, "RequestTimeout", REQUEST_TIMEOUT_MESSAGE);
    let mut r = hourglass_s3::error_response(&err, &request_id, is_head);
    for name in ["x-amz-request-id", "x-amz-id-2", "server"] {
        if let Some(v) = answered.headers().get(name) {
            r.headers_mut().insert(name, v.clone());
        }
    }
    if http1 {
        close_after(&mut r);
    }
    let mut report = answered
        .extensions_mut()
        .remove::<RequestReport>()
        .unwrap_or_default();
    report.error_code = Some(err.code.to_owned());
    r.extensions_mut().insert(report);
    r
}
