//! The audit stage of the pipeline: the `[audit]` settings, and turning each request's
//! report into a CloudTrail event on the audit queue (crate `hourglass-audit`).

use std::net::SocketAddr;

use hourglass_audit::{AuditConfig, KeyAgeAction, RequestMeta, Submitted, WhenFull};
use hourglass_iam::telemetry::RequestReport;
use serde::Deserialize;

use crate::config::ConfigError;
use crate::state::AppState;

/// The `[audit]` table of the configuration file (docs/configuration.md, "Audit").
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditFile {
    pub enabled: Option<bool>,
    pub queue_capacity: Option<usize>,
    pub batch_max: Option<usize>,
    /// Milliseconds the writer gathers events into one commit.
    pub commit_interval_ms: Option<u64>,
    /// `block` (default) or `shed`.
    pub when_full: Option<String>,
    pub retention_days: Option<u32>,
    pub lookup_data_events: Option<bool>,
    /// Directory receiving log files in CloudTrail's layout.
    pub delivery_dir: Option<std::path::PathBuf>,
    /// Bucket (of the server's account) receiving the same log files.
    pub delivery_bucket: Option<String>,
    pub delivery_interval_secs: Option<u64>,
    /// Flag or deactivate long-term keys older than this many days (0: off).
    pub max_key_age_days: Option<u32>,
    /// `flag` (default) or `deactivate`.
    pub key_age_action: Option<String>,
    pub key_age_interval_secs: Option<u64>,
}

impl AuditFile {
    /// Fills every field not already set from `lower`.
    pub fn or(self, lower: AuditFile) -> AuditFile {
        AuditFile {
            enabled: self.enabled.or(lower.enabled),
            queue_capacity: self.queue_capacity.or(lower.queue_capacity),
            batch_max: self.batch_max.or(lower.batch_max),
            commit_interval_ms: self.commit_interval_ms.or(lower.commit_interval_ms),
            when_full: self.when_full.or(lower.when_full),
            retention_days: self.retention_days.or(lower.retention_days),
            lookup_data_events: self.lookup_data_events.or(lower.lookup_data_events),
            delivery_dir: self.delivery_dir.or(lower.delivery_dir),
            delivery_bucket: self.delivery_bucket.or(lower.delivery_bucket),
            delivery_interval_secs: self.delivery_interval_secs.or(lower.delivery_interval_secs),
            max_key_age_days: self.max_key_age_days.or(lower.max_key_age_days),
            key_age_action: self.key_age_action.or(lower.key_age_action),
            key_age_interval_secs: self.key_age_interval_secs.or(lower.key_age_interval_secs),
        }
    }

    pub fn resolve(self) -> Result<AuditConfig, ConfigError> {
        let d = AuditConfig::default();
        let when_full = match self.when_full.as_deref() {
            None => d.when_full,
            Some(s) => WhenFull::parse(s).ok_or_else(|| ConfigError::Invalid {
                field: "audit.when-full",
                message: format!("'{s}' is not block or shed"),
            })?,
        };
        let queue_capacity = self.queue_capacity.unwrap_or(d.queue_capacity);
        if !(1..=10_000_000).contains(&queue_capacity) {
            return Err(ConfigError::Invalid {
                field: "audit.queue-capacity",
                message: format!("{queue_capacity} is outside 1..=10000000"),
            });
        }
        let batch_max = self.batch_max.unwrap_or(d.batch_max);
        if !(1..=10_000).contains(&batch_max) {
            return Err(ConfigError::Invalid {
                field: "audit.batch-max",
                message: format!("{batch_max} is outside 1..=10000"),
            });
        }
        let commit_interval_ms = self
            .commit_interval_ms
            .unwrap_or(u64::try_from(d.commit_interval.as_millis()).unwrap_or(u64::MAX));
        if commit_interval_ms > 1_000 {
            return Err(ConfigError::Invalid {
                field: "audit.commit-interval-ms",
                message: format!("{commit_interval_ms} is outside 0..=1000 milliseconds"),
            });
        }
        let interval = self
            .delivery_interval_secs
            .unwrap_or(d.delivery_interval.as_secs());
        if !(1..=86_400).contains(&interval) {
            return Err(ConfigError::Invalid {
                field: "audit.delivery-interval-secs",
                message: format!("{interval} is outside 1..=86400 seconds"),
            });
        }
        let key_age_action = match self.key_age_action.as_deref() {
            None => d.key_age_action,
            Some(s) => KeyAgeAction::parse(s).ok_or_else(|| ConfigError::Invalid {
                field: "audit.key-age-action",
                message: format!("'{s}' is not flag or deactivate"),
            })?,
        };
        let max_key_age_days = self.max_key_age_days.unwrap_or(d.max_key_age_days);
        if max_key_age_days > 36_500 {
            return Err(ConfigError::Invalid {
                field: "audit.max-key-age-days",
                message: format!("{max_key_age_days} is outside 0..=36500"),
            });
        }
        let key_age_interval = self
            .key_age_interval_secs
            .unwrap_or(d.key_age_interval.as_secs());
        if !(1..=86_400).contains(&key_age_interval) {
            return Err(ConfigError::Invalid {
                field: "audit.key-age-interval-secs",
                message: format!("{key_age_interval} is outside 1..=86400 seconds"),
            });
        }
        Ok(AuditConfig {
            max_key_age_days,
            key_age_action,
            key_age_interval: std::time::Duration::from_secs(key_age_interval),
            delivery_dir: self.delivery_dir,
            delivery_bucket: self.delivery_bucket,
            delivery_interval: std::time::Duration::from_secs(interval),
            enabled: self.enabled.unwrap_or(d.enabled),
            queue_capacity,
            batch_max,
            commit_interval: std::time::Duration::from_millis(commit_interval_ms),
            when_full,
            retention_days: self.retention_days.unwrap_or(d.retention_days),
            lookup_data_events: self.lookup_data_events.unwrap_or(d.lookup_data_events),
        })
    }
}

/// Log files delivered as objects of a bucket on this server, through the S3 storage layer,
/// as the bucket's owner writes them (`Content-Type: application/json`,
/// `Content-Encoding: gzip`, as CloudTrail's).
pub struct BucketDestination {
    pub s3: std::sync::Arc<hourglass_s3::S3Service>,
    pub bucket: String,
    /// The server's account: the bucket must be its.
    pub account_id: String,
}

impl hourglass_audit::delivery::Destination for BucketDestination {
    fn cursor_setting(&self) -> String {
        "audit.delivery.bucket.cursor".to_owned()
    }

    fn put<'a>(&'a self, key: &'a str, gz: Vec<u8>) -> hourglass_audit::delivery::PutFuture<'a> {
        Box::pin(async move {
            let headers = hourglass_s3::meta::ObjectHeaders {
                content_type: Some("application/json".into()),
                content_encoding: Some("gzip".into()),
                ..Default::default()
            };
            self.s3
                .put_internal(&self.account_id, &self.bucket, key, &gz, headers)
                .await
        })
    }
}

/// Starts delivery into `audit.delivery_bucket` when set.
pub fn start_bucket_delivery(state: &AppState) {
    let audit = &state.config.audit;
    let Some(bucket) = &audit.delivery_bucket else {
        return;
    };
    if !audit.enabled {
        return;
    }
    let dest = BucketDestination {
        s3: std::sync::Arc::clone(&state.s3),
        bucket: bucket.clone(),
        account_id: state.config.account_id.clone(),
    };
    tokio::spawn(hourglass_audit::delivery::run(
        std::sync::Arc::clone(state.identity.store()),
        std::sync::Arc::new(dest),
        audit.delivery_interval,
    ));
}

/// What the pipeline reads from a request before its front consumes it.
#[derive(Debug)]
pub struct Origin {
    pub remote: SocketAddr,
    pub secure: bool,
    pub user_agent: Option<String>,
    pub host: Option<String>,
    pub claimed_key: Option<String>,
}

impl Origin {
    pub fn of(
        req: &hyper::Request<hyper::body::Incoming>,
        remote: SocketAddr,
        secure: bool,
        enabled: bool,
    ) -> Self {
        if !enabled {
            return Origin {
                remote,
                secure,
                user_agent: None,
                host: None,
                claimed_key: None,
            };
        }
        let h = req.headers();
        let text = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
        Origin {
            remote,
            secure,
            user_agent: text("user-agent").map(str::to_owned),
            host: text("host")
                .map(str::to_owned)
                .or_else(|| req.uri().authority().map(|a| a.to_string())),
            claimed_key: hourglass_audit::params::claimed_access_key(
                text("authorization"),
                req.uri().query().unwrap_or(""),
            ),
        }
    }
}

/// Queues the request's event. `service` is the route's when the front named none.
pub async fn record(
    state: &AppState,
    request_id: &str,
    service: &str,
    report: &RequestReport,
    status: u16,
    origin: Origin,
) {
    let sink = &state.audit;
    if !sink.config().enabled || service == "internal" {
        return;
    }
    let service = report.service.unwrap_or(service);
    let operation = report.operation.as_deref().unwrap_or("Unknown");
    let error_code = report
        .error_code
        .as_deref()
        .or((status >= 400).then_some("UnknownError"));
    let mut detail = report.audit.clone();
    if detail.user_identity.is_none() && detail.claimed_access_key_id.is_none() {
        detail.claimed_access_key_id = origin.claimed_key;
    }
    let meta = RequestMeta {
        request_id,
        service,
        operation,
        error_code,
        time: chrono::Utc::now(),
        source_ip: origin.remote.ip().to_string(),
        user_agent: origin.user_agent.as_deref(),
        tls_host: origin.host.as_deref().filter(|_| origin.secure),
        default_account_id: &state.config.account_id,
    };
    let event = hourglass_audit::build(&meta, &detail);
    if sink.submit(event).await == Submitted::Shed {
        state.metrics.telemetry().record(|| {
            metrics::counter!("hourglass_audit_events_dropped_total").increment(1);
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::{Config, FileConfig};

    fn resolve(toml_text: &str) -> Result<AuditConfig, ConfigError> {
        let file: FileConfig = toml::from_str(toml_text).unwrap();
        Config::resolve(file, None, None).map(|c| c.audit)
    }

    #[test]
    fn the_audit_table_sets_the_queue_and_retention() {
        assert_eq!(resolve("").unwrap(), AuditConfig::default());
        let c = resolve(
            "[audit]\nwhen_full = \"shed\"\nqueue_capacity = 5\nretention_days = 0\nenabled = false\nlookup_data_events = false\n",
        )
        .unwrap();
        assert_eq!(c.when_full, WhenFull::Shed);
        assert_eq!((c.queue_capacity, c.retention_days), (5, 0));
        assert!(!c.enabled && !c.lookup_data_events);
        assert!(resolve("[audit]\nwhen_full = \"drop\"\n").is_err());
        assert!(resolve("[audit]\nqueue_capacity = 0\n").is_err());
        let c =
            resolve("[audit]\nmax_key_age_days = 90\nkey_age_action = \"deactivate\"\n").unwrap();
        assert_eq!(
            (c.max_key_age_days, c.key_age_action),
            (90, KeyAgeAction::Deactivate)
        );
        assert!(resolve("[audit]\nkey_age_action = \"delete\"\n").is_err());
        assert!(resolve("[audit]\nkey_age_interval_secs = 0\n").is_err());
        assert!(toml::from_str::<FileConfig>("[audit]\nbogus = 1\n").is_err());
    }
}
