//! Output shapes: epoch-second timestamps, and members omitted rather than sent as null.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hourglass_secrets::{Loaded, Version};
use hourglass_store::secrets::SecretValue;
use serde_json::{Map, Value, json};

pub(crate) fn epoch(t: DateTime<Utc>) -> Value {
    let ms = t.timestamp_millis();
    if ms % 1000 == 0 {
        Value::from(ms / 1000)
    } else {
        #[allow(clippy::cast_precision_loss)]
        Value::from(ms as f64 / 1000.0)
    }
}

fn put(m: &mut Map<String, Value>, k: &str, v: impl Into<Value>) {
    m.insert(k.to_owned(), v.into());
}

/// DescribeSecret's members (`versions_member` names the stage map: `VersionIdsToStages`
/// there, `SecretVersionsToStages` in ListSecrets).
pub(crate) fn describe(s: &Loaded, versions_member: &str) -> Map<String, Value> {
    let mut m = Map::new();
    put(&mut m, "ARN", s.arn());
    put(&mut m, "Name", s.name());
    if let Some(d) = &s.meta.description {
        put(&mut m, "Description", d.as_str());
    }
    if let Some(k) = &s.meta.kms_key_id {
        put(&mut m, "KmsKeyId", k.as_str());
    }
    if let Some(e) = s.meta.rotation_enabled {
        put(&mut m, "RotationEnabled", e);
    }
    if let Some(f) = &s.meta.rotation_lambda_arn {
        put(&mut m, "RotationLambdaARN", f.as_str());
    }
    if let Some(r) = &s.meta.rotation_rules
        && let Ok(v) = serde_json::to_value(r)
    {
        put(&mut m, "RotationRules", v);
    }
    if let Some(t) = s.meta.last_rotated {
        put(&mut m, "LastRotatedDate", epoch(t));
    }
    put(&mut m, "LastChangedDate", epoch(s.meta.last_changed));
    if let Some(t) = s.row.last_accessed {
        put(&mut m, "LastAccessedDate", epoch(t));
    }
    if let Some(t) = s.meta.deleted {
        put(&mut m, "DeletedDate", epoch(t));
    }
    if s.meta.rotation_enabled == Some(true)
        && let Some(t) = s.meta.next_rotation
    {
        put(&mut m, "NextRotationDate", epoch(t));
    }
    if !s.meta.tags.is_empty() {
        put(&mut m, "Tags", json!(s.meta.tags));
    }
    let mut stages = Map::new();
    for v in s.labelled() {
        stages.insert(v.id.clone(), json!(v.stages));
    }
    put(&mut m, versions_member, Value::Object(stages));
    put(&mut m, "CreatedDate", epoch(s.row.created));
    m
}

/// GetSecretValue's members (also each entry of BatchGetSecretValue).
pub(crate) fn secret_value(s: &Loaded, v: &Version, value: &SecretValue) -> Value {
    let mut m = Map::new();
    put(&mut m, "ARN", s.arn());
    put(&mut m, "Name", s.name());
    put(&mut m, "VersionId", v.id.as_str());
    match value {
        SecretValue::String(text) => put(&mut m, "SecretString", text.expose()),
        SecretValue::Binary(b) => put(&mut m, "SecretBinary", STANDARD.encode(b.as_slice())),
    }
    put(&mut m, "VersionStages", json!(v.stages));
    put(&mut m, "CreatedDate", epoch(v.created));
    Value::Object(m)
}

pub(crate) fn arn_name(s: &Loaded) -> Map<String, Value> {
    let mut m = Map::new();
    put(&mut m, "ARN", s.arn());
    put(&mut m, "Name", s.name());
    m
}
