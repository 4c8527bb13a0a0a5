//! The last stage: one record per request, whatever the service and however it ended. It
//! feeds the metrics and a structured tracing event; the audit sink will hook in here.

use std::time::Duration;

use hourglass_iam::telemetry::{RequestReport, Telemetry};

/// What one request was and how it ended.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub request_id: String,
    pub service: &'static str,
    /// `unknown` until a front recognised the operation.
    pub operation: String,
    /// `ok`, or the AWS error code of the answer.
    pub outcome: String,
    pub status: u16,
    pub auth_failed: bool,
    pub principal_arn: Option<String>,
    pub access_key_id: Option<String>,
    pub latency: Duration,
}

impl RequestRecord {
    /// Builds the record from what the front reported; `service` is the route's when the
    /// front did not get as far as naming one.
    pub fn new(
        request_id: String,
        service: &'static str,
        report: RequestReport,
        status: u16,
        latency: Duration,
    ) -> Self {
        Self {
            request_id,
            service: report.service.unwrap_or(service),
            operation: report.operation.unwrap_or_else(|| "unknown".to_owned()),
            outcome: report.error_code.unwrap_or_else(|| "ok".to_owned()),
            status,
            auth_failed: report.auth_failed,
            principal_arn: report.principal_arn,
            access_key_id: report.access_key_id,
            latency,
        }
    }
}

/// Sends the record to the metrics and the `hourglass::request` tracing target.
pub fn emit(telemetry: &Telemetry, r: &RequestRecord) {
    telemetry.record(|| {
        metrics::counter!(
            "hourglass_requests_total",
            "service" => r.service,
            "operation" => r.operation.clone(),
            "outcome" => r.outcome.clone(),
        )
        .increment(1);
        metrics::histogram!(
            "hourglass_request_duration_seconds",
            "service" => r.service,
            "operation" => r.operation.clone(),
        )
        .record(r.latency.as_secs_f64());
        if r.auth_failed {
            metrics::counter!(
                "hourglass_auth_failures_total",
                "service" => r.service,
                "code" => r.outcome.clone(),
            )
            .increment(1);
        }
    });
    // Debug level: one line per request would swamp an info-level log under load.
    tracing::debug!(
        target: "hourglass::request",
        request_id = %r.request_id,
        service = %r.service,
        operation = %r.operation,
        outcome = %r.outcome,
        status = r.status,
        principal = %r.principal_arn.as_deref().unwrap_or("-"),
        access_key_id = %r.access_key_id.as_deref().unwrap_or("-"),
        latency_us = u64::try_from(r.latency.as_micros()).unwrap_or(u64::MAX),
        "request"
    );
}
