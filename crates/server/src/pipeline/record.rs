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
            // A front that failed to name its error still must not count as a success.
            outcome: report
                .error_code
                .unwrap_or_else(|| if status < 400 { "ok" } else { "UnknownError" }.to_owned()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;

    fn record(code: Option<&str>, auth_failed: bool) -> RequestRecord {
        let report = RequestReport {
            service: Some("iam"),
            operation: Some("ListUsers".into()),
            error_code: code.map(str::to_owned),
            auth_failed,
            ..RequestReport::default()
        };
        RequestRecord::new("rid".into(), "query", report, 200, Duration::from_millis(3))
    }

    #[test]
    fn each_server_counts_only_its_own_requests() {
        let a = Metrics::new();
        let b = Metrics::new();
        emit(a.telemetry(), &record(None, false));
        emit(a.telemetry(), &record(Some("InvalidClientTokenId"), true));
        let text = a.render();
        assert!(text.contains(
            "hourglass_requests_total{service=\"iam\",operation=\"ListUsers\",outcome=\"ok\"} 1"
        ));
        assert!(text.contains(
            "hourglass_auth_failures_total{service=\"iam\",code=\"InvalidClientTokenId\"} 1"
        ));
        assert!(text.contains("# TYPE hourglass_request_duration_seconds histogram"));
        assert!(!b.render().contains("ListUsers"));
    }

    #[test]
    fn an_unreported_request_still_gets_a_record() {
        let r = RequestRecord::new(
            "rid".into(),
            "s3",
            RequestReport::default(),
            400,
            Duration::ZERO,
        );
        assert_eq!(
            (r.service, r.operation.as_str(), r.outcome.as_str()),
            ("s3", "unknown", "UnknownError")
        );
    }
}
