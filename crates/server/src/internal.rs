//! The reserved `/_hourglass/` endpoints: health and metrics. Unauthenticated by design (no
//! data is exposed), so load balancers and Prometheus can reach them.

use hourglass_iam::telemetry::RequestReport;
use hyper::body::Incoming;

use crate::http::body::{Response, response};
use crate::state::AppState;

pub async fn handle(req: hyper::Request<Incoming>, state: &AppState) -> Response {
    let (operation, mut r) = answer(&req, state).await;
    // The error codes here are fixed strings, like every label of the request record.
    let error_code = match r.status().as_u16() {
        200 => None,
        401 | 403 => Some("AccessDenied"),
        404 => Some("NotFound"),
        405 => Some("MethodNotAllowed"),
        _ => Some("ServiceUnavailable"),
    };
    r.extensions_mut().insert(RequestReport {
        service: Some("internal"),
        operation: operation.map(str::to_owned),
        error_code: error_code.map(str::to_owned),
        ..RequestReport::default()
    });
    r
}

async fn answer(
    req: &hyper::Request<Incoming>,
    state: &AppState,
) -> (Option<&'static str>, Response) {
    if req.method() != hyper::Method::GET && req.method() != hyper::Method::HEAD {
        return (None, response(405, "text/plain", "method not allowed\n"));
    }
    match req.uri().path() {
        "/_hourglass/health" => (Some("Health"), health(state).await),
        crate::credentials::CONTAINER_PATH => (
            Some("ContainerCredentials"),
            crate::credentials::container(
                req.headers()
                    .get(hyper::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok()),
                &state.identity,
                &state.workloads,
            )
            .await,
        ),
        "/_hourglass/metrics" => (
            Some("Metrics"),
            response(200, "text/plain; version=0.0.4", state.metrics.render()),
        ),
        _ => (None, response(404, "text/plain", "not found\n")),
    }
}

/// Ready when both stores answer: the identity store and S3 (metadata and data directory).
async fn health(state: &AppState) -> Response {
    let (identity, s3) = tokio::join!(state.identity.health(), state.s3.health());
    let failure = match (identity, s3) {
        (Ok(()), Ok(())) => None,
        (Err(e), _) => Some(e.to_string()),
        (_, Err(e)) => Some(e),
    };
    match failure {
        None => response(200, "application/json", "{\"status\":\"ok\"}\n"),
        Some(error) => {
            // Details go to the log only: the endpoint is unauthenticated.
            tracing::warn!(%error, "health check failed");
            response(503, "application/json", "{\"status\":\"unavailable\"}\n")
        }
    }
}
