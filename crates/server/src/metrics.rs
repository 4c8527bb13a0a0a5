//! Prometheus counters, rendered in the text exposition format at `/_hourglass/metrics`.
//! Plain atomics: the set of series is fixed and small, so a metrics library would add
//! weight without adding anything.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::http::router::Route;

#[derive(Debug, Default)]
pub struct Metrics {
    query_requests: AtomicU64,
    s3_requests: AtomicU64,
    internal_requests: AtomicU64,
    auth_failures: AtomicU64,
}

impl Metrics {
    pub fn record_request(&self, route: &Route) {
        let counter = match route {
            Route::Query(_) => &self.query_requests,
            Route::S3 => &self.s3_requests,
            Route::Internal => &self.internal_requests,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_auth_failure(&self) {
        self.auth_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let q = self.query_requests.load(Ordering::Relaxed);
        let s = self.s3_requests.load(Ordering::Relaxed);
        let i = self.internal_requests.load(Ordering::Relaxed);
        let a = self.auth_failures.load(Ordering::Relaxed);
        format!(
            "# HELP hourglass_requests_total Requests received, by protocol.\n\
             # TYPE hourglass_requests_total counter\n\
             hourglass_requests_total{{protocol=\"query\"}} {q}\n\
             hourglass_requests_total{{protocol=\"s3\"}} {s}\n\
             hourglass_requests_total{{protocol=\"internal\"}} {i}\n\
             # HELP hourglass_auth_failures_total Requests refused during authentication.\n\
             # TYPE hourglass_auth_failures_total counter\n\
             hourglass_auth_failures_total {a}\n"
        )
    }
}
