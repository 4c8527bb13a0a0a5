//! The reserved `/_hourglass/` endpoints: health and metrics. Unauthenticated by design (no
//! data is exposed), so load balancers and Prometheus can reach them.

use hyper::body::Incoming;

use crate::http::body::{Response, response};
use crate::state::AppState;

pub async fn handle(req: hyper::Request<Incoming>, state: &AppState) -> Response {
    if req.method() != hyper::Method::GET && req.method() != hyper::Method::HEAD {
        return response(405, "text/plain", "method not allowed\n");
    }
    match req.uri().path() {
        "/_hourglass/health" => match state.identity.health().await {
            Ok(()) => response(200, "application/json", "{\"status\":\"ok\"}\n"),
            Err(e) => {
                tracing::warn!(error = %e, "health check failed");
                response(503, "application/json", "{\"status\":\"unavailable\"}\n")
            }
        },
        "/_hourglass/metrics" => response(200, "text/plain; version=0.0.4", state.metrics.render()),
        _ => response(404, "text/plain", "not found\n"),
    }
}
