//! Delivery of trails' log files: every `audit.delivery_interval_secs` each trail that has
//! logged writes the events it selects, since its own position (a store setting, reset by
//! StartLogging), into its bucket under `[S3KeyPrefix/]AWSLogs/…` with the same writer and
//! file layout as `audit.delivery_bucket`. GetTrailStatus reads what the last round did.

use std::sync::Arc;

use hourglass_audit::delivery::{Destination, PutFuture, deliver_once};
use hourglass_s3::S3Service;
use hourglass_store::{AuditEventRow, Store};
use serde::{Deserialize, Serialize};

use super::trail_model::{TrailDoc, policy_allows_delivery};
use crate::json::JsonApiError;
use crate::state::AppState;

/// The setting holding a trail's delivery position.
pub fn cursor_setting(arn: &str) -> String {
    format!("cloudtrail.trail.cursor.{arn}")
}

/// The setting holding a trail's delivery status.
pub fn status_setting(arn: &str) -> String {
    format!("cloudtrail.trail.status.{arn}")
}

/// What the last rounds did, for GetTrailStatus.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeliveryStatus {
    /// The last successful delivery of a file.
    pub delivered_ms: Option<i64>,
    /// The last round that had files to write.
    pub attempt_ms: Option<i64>,
    /// The error of the last attempt, when it failed (`NoSuchBucket`, `AccessDenied`).
    pub error: Option<String>,
}

pub async fn read_status(store: &Store, arn: &str) -> Result<DeliveryStatus, JsonApiError> {
    let text = store
        .get_setting(&status_setting(arn))
        .await
        .map_err(super::trails::store_failed)?;
    Ok(text
        .filter(|t| !t.is_empty())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default())
}

struct TrailDestination {
    s3: Arc<S3Service>,
    account_id: String,
    arn: String,
    doc: TrailDoc,
}

impl Destination for TrailDestination {
    fn cursor_setting(&self) -> String {
        cursor_setting(&self.arn)
    }

    fn accepts(&self, row: &AuditEventRow) -> bool {
        self.doc.delivers(&self.account_id, row)
    }

    fn put<'a>(&'a self, key: &'a str, gz: Vec<u8>) -> PutFuture<'a> {
        Box::pin(async move {
            let bucket = &self.doc.bucket;
            let prefix = self.doc.prefix.as_deref();
            // The bucket and its policy are checked on every write, as CloudTrail's
            // deliveries fail once either goes.
            let Some((owner, policy)) = self.s3.bucket_owner_and_policy(bucket).await? else {
                return Err("NoSuchBucket".to_owned());
            };
            if !policy_allows_delivery(policy.as_deref(), bucket, prefix, &self.account_id) {
                return Err("AccessDenied".to_owned());
            }
            let key = match prefix {
                Some(p) => format!("{p}/{key}"),
                None => key.to_owned(),
            };
            let headers = hourglass_s3::meta::ObjectHeaders {
                content_type: Some("application/json".into()),
                content_encoding: Some("gzip".into()),
                ..Default::default()
            };
            self.s3
                .put_internal(&owner, bucket, &key, &gz, headers)
                .await
        })
    }
}

async fn save_status(store: &Store, arn: &str, status: &DeliveryStatus) {
    let Ok(text) = serde_json::to_string(status) else {
        return;
    };
    if let Err(e) = store.put_setting(&status_setting(arn), &text).await {
        tracing::warn!(error = %e, trail = %arn, "cannot record the trail's delivery status");
    }
}

/// One round over every trail that has logged.
async fn round(store: &Store, s3: &Arc<S3Service>) {
    let rows = match store.all_trails().await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "cannot list trails; will retry");
            return;
        }
    };
    for row in rows {
        let Ok(doc) = serde_json::from_str::<TrailDoc>(&row.document) else {
            tracing::error!(trail = %row.arn, "unreadable trail document");
            continue;
        };
        if doc.start_logging_ms.is_none() {
            continue;
        }
        let dest = TrailDestination {
            s3: Arc::clone(s3),
            account_id: row.account_id.clone(),
            arn: row.arn.clone(),
            doc,
        };
        let now = chrono::Utc::now().timestamp_millis();
        let outcome = deliver_once(store, &dest, now).await;
        if matches!(outcome, Ok(0)) {
            continue;
        }
        let mut status = match store.get_setting(&status_setting(&row.arn)).await {
            Ok(Some(t)) => serde_json::from_str(&t).unwrap_or_default(),
            _ => DeliveryStatus::default(),
        };
        match outcome {
            Ok(n) => {
                tracing::debug!(trail = %row.arn, files = n, "trail log files delivered");
                status.delivered_ms = Some(now);
                status.attempt_ms = Some(now);
                status.error = None;
            }
            Err(e) => {
                tracing::warn!(trail = %row.arn, error = %e, "trail delivery failed; will retry");
                status.attempt_ms = Some(now);
                status.error = Some(e);
            }
        }
        save_status(store, &row.arn, &status).await;
    }
}

/// Starts the trails' delivery task (with the audit log on).
pub fn start(state: &AppState) {
    let audit = &state.config.audit;
    if !audit.enabled {
        return;
    }
    let store = Arc::clone(state.identity.store());
    let s3 = Arc::clone(&state.s3);
    let interval = audit.delivery_interval;
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            round(&store, &s3).await;
        }
    });
}
