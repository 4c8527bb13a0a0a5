//! A secret as the domain sees it: the stored row's metadata document decoded, and its
//! versions.

use chrono::{DateTime, Utc};
use hourglass_store::secrets::{SecretRow, SecretValue, VersionRow};
use serde::{Deserialize, Serialize};

use crate::error::{SmError, SmResult};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value")]
    pub value: String,
}

/// `RotationRules` as configured (validated by [`crate::schedule`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationRules {
    #[serde(
        rename = "AutomaticallyAfterDays",
        skip_serializing_if = "Option::is_none"
    )]
    pub automatically_after_days: Option<i64>,
    #[serde(rename = "Duration", skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    #[serde(rename = "ScheduleExpression", skip_serializing_if = "Option::is_none")]
    pub schedule_expression: Option<String>,
}

/// A rotation that has been asked for (RotateSecret or the schedule) and not finished:
/// the background worker runs it, on one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationJob {
    /// The pending version (= ClientRequestToken).
    pub token: String,
    pub requested: DateTime<Utc>,
    /// `RotateImmediately=false`: only testSecret runs (AWS validates the configuration).
    pub test_only: bool,
    /// Attempts made so far (a failed rotation is retried a few times, then abandoned).
    pub attempts: u32,
    /// Not before this time (backoff after a failure).
    pub not_before: DateTime<Utc>,
}

/// A rotated-out IAM access key to deactivate once its grace period ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deactivation {
    pub user_name: String,
    pub access_key_id: String,
    pub at: DateTime<Utc>,
}

/// The metadata document of a secret (never holds a value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_lambda_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_rules: Option<RotationRules>,
    pub last_changed: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_rotated: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_rotation: Option<DateTime<Utc>>,
    /// When DeleteSecret was called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<DateTime<Utc>>,
    /// When a secret scheduled for deletion is purged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<RotationJob>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deactivations: Vec<Deactivation>,
}

impl Meta {
    pub fn new(now: DateTime<Utc>) -> Self {
        Meta {
            description: None,
            kms_key_id: None,
            tags: Vec::new(),
            policy: None,
            rotation_enabled: None,
            rotation_lambda_arn: None,
            rotation_rules: None,
            last_changed: now,
            last_rotated: None,
            next_rotation: None,
            deleted: None,
            purge_at: None,
            rotation: None,
            deactivations: Vec::new(),
        }
    }

    /// The earliest time background work is due on this secret.
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        let mut due: Vec<DateTime<Utc>> = Vec::new();
        if let Some(p) = self.purge_at {
            due.push(p);
        }
        if self.deleted.is_none() {
            if let Some(job) = &self.rotation {
                due.push(job.not_before);
            } else if self.rotation_enabled == Some(true)
                && let Some(n) = self.next_rotation
            {
                due.push(n);
            }
            due.extend(self.deactivations.iter().map(|d| d.at));
        }
        due.into_iter().min()
    }
}

/// A version of a secret. `value` is only set on a version being written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub id: String,
    pub seq: i64,
    pub created: DateTime<Utc>,
    pub last_accessed: Option<DateTime<Utc>>,
    pub stages: Vec<String>,
    pub has_value: bool,
    pub value: Option<SecretValue>,
}

impl Version {
    pub fn has(&self, stage: &str) -> bool {
        self.stages.iter().any(|s| s == stage)
    }

    pub(crate) fn from_row(r: VersionRow) -> Self {
        Version {
            id: r.version_id,
            seq: r.seq,
            created: r.created,
            last_accessed: r.last_accessed,
            stages: r.stages,
            has_value: r.has_value,
            value: None,
        }
    }

    pub(crate) fn row(&self) -> VersionRow {
        VersionRow {
            version_id: self.id.clone(),
            seq: self.seq,
            created: self.created,
            last_accessed: self.last_accessed,
            stages: self.stages.clone(),
            has_value: self.has_value,
        }
    }
}

/// A stored secret, decoded.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub row: SecretRow,
    pub meta: Meta,
    pub versions: Vec<Version>,
}

impl Loaded {
    pub(crate) fn from_rows(row: SecretRow, versions: Vec<VersionRow>) -> SmResult<Self> {
        let meta: Meta = serde_json::from_str(&row.meta).map_err(|e| {
            tracing::error!(error = %e, arn = %row.arn, "corrupt secret metadata");
            SmError::internal()
        })?;
        Ok(Loaded {
            row,
            meta,
            versions: versions.into_iter().map(Version::from_row).collect(),
        })
    }

    pub fn arn(&self) -> &str {
        &self.row.arn
    }

    pub fn name(&self) -> &str {
        &self.row.name
    }

    pub fn is_deleted(&self) -> bool {
        self.meta.deleted.is_some()
    }

    pub fn version(&self, id: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.id == id)
    }

    pub fn with_stage(&self, stage: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.has(stage))
    }

    pub fn tags(&self) -> Vec<(String, String)> {
        self.meta
            .tags
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect()
    }

    /// Versions that carry at least one label, with their labels.
    pub fn labelled(&self) -> impl Iterator<Item = &Version> {
        self.versions.iter().filter(|v| !v.stages.is_empty())
    }
}
