//! The server's Prometheus metrics, from the `metrics` crate and its Prometheus exporter,
//! rendered in the text exposition format at `/_hourglass/metrics`.
//!
//! Each server owns its recorder (nothing is installed process-wide), so servers started
//! side by side in one process keep separate counts. Everything records through
//! [`Telemetry`], which the identity domain shares.

use std::sync::Arc;

use hourglass_iam::telemetry::Telemetry;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets, in seconds: sub-millisecond cache hits up to slow object transfers.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How often histogram samples are folded into buckets (see [`Metrics::spawn_upkeep`]).
const UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

pub struct Metrics {
    handle: PrometheusHandle,
    telemetry: Telemetry,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        // Without buckets the exporter renders summaries; Prometheus conventions (and
        // aggregation across nodes) want histograms.
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let telemetry = Telemetry::new(Arc::new(recorder));
        telemetry.record(describe);
        Self { handle, telemetry }
    }

    pub fn telemetry(&self) -> &Telemetry {
        &self.telemetry
    }

    /// Folds the histogram samples recorded since the last fold into their buckets, every
    /// `UPKEEP_INTERVAL`, for as long as the runtime runs. Without it samples pile up
    /// between scrapes (memory growing with every request on a server nobody scrapes).
    pub fn spawn_upkeep(&self) {
        let handle = self.handle.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(UPKEEP_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                handle.run_upkeep();
            }
        });
    }

    pub fn render(&self) -> String {
        self.handle.render()
    }
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_histogram};
    describe_counter!(
        "hourglass_requests_total",
        "Requests answered, by service, operation and outcome (ok or the AWS error code)."
    );
    describe_histogram!(
        "hourglass_request_duration_seconds",
        Unit::Seconds,
        "Time from request received to response headers ready, by service and operation."
    );
    describe_counter!(
        "hourglass_auth_failures_total",
        "Requests refused while authenticating their credentials, by service and error code."
    );
    describe_counter!(
        "hourglass_authz_decisions_total",
        "Authorization decisions: allow, implicit_deny, explicit_deny."
    );
    describe_counter!(
        "hourglass_credentials_issued_total",
        "Credentials issued, by the operation that issued them."
    );
    describe_histogram!(
        "hourglass_store_duration_seconds",
        Unit::Seconds,
        "Time of one store transaction (waiting for a connection included), by kind: read or write."
    );
}
