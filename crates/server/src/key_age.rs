//! Key age (issue 15 item 6): long-term access keys older than `audit.max_key_age_days` are
//! flagged — counted in `hourglass_access_keys_over_max_age` and recorded once per key and
//! process as a CloudTrail service event — or, with `key_age_action = "deactivate"`,
//! deactivated (IAM users' keys; root keys are only flagged, so that the operator is never
//! locked out by a setting). The pass runs at start, before the server answers, and then
//! every `key_age_interval`.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hourglass_audit::KeyAgeAction;
use hourglass_store::{AccessKeyMetadata, AccessKeyStatus, AuditEventRow, KeyOwner};
use serde_json::json;

use crate::state::AppState;

/// Most keys one pass looks at (oldest first).
const MAX_KEYS_PER_PASS: u32 = 10_000;
/// The `eventName` of the service event.
pub const EVENT_NAME: &str = "AccessKeyOverMaxAge";

/// Runs the first pass now, then one every interval; nothing when the check is off.
pub async fn start(state: &Arc<AppState>) {
    if state.config.audit.max_key_age_days == 0 {
        return;
    }
    let mut flagged = HashSet::new();
    pass(state, &mut flagged).await;
    let state = Arc::clone(state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(state.config.audit.key_age_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            pass(&state, &mut flagged).await;
        }
    });
}

async fn pass(state: &AppState, flagged: &mut HashSet<String>) {
    let days = state.config.audit.max_key_age_days;
    let action = state.config.audit.key_age_action;
    let store = state.identity.store();
    let now = Utc::now();
    let cutoff = now - chrono::Duration::days(i64::from(days));
    let keys = match store
        .active_access_keys_created_before(cutoff, MAX_KEYS_PER_PASS)
        .await
    {
        Ok(k) => k,
        Err(e) => {
            tracing::error!(error = %e, "key-age pass failed");
            return;
        }
    };
    let count = u32::try_from(keys.len()).unwrap_or(u32::MAX);
    state.metrics.telemetry().record(|| {
        metrics::gauge!("hourglass_access_keys_over_max_age").set(f64::from(count));
    });
    for key in keys {
        let deactivate = action == KeyAgeAction::Deactivate && key.owner != KeyOwner::Root;
        if !deactivate && flagged.contains(&key.access_key_id) {
            continue;
        }
        let user = match &key.owner {
            KeyOwner::Root => None,
            KeyOwner::User(id) => store
                .get_user_by_id(&key.account_id, id)
                .await
                .ok()
                .map(|u| u.name),
        };
        if deactivate {
            if let Err(e) = store
                .update_access_key_status(
                    &key.account_id,
                    &key.owner,
                    &key.access_key_id,
                    AccessKeyStatus::Inactive,
                )
                .await
            {
                tracing::error!(error = %e, access_key_id = %key.access_key_id, "key-age deactivation failed");
                continue;
            }
            state.metrics.telemetry().record(|| {
                metrics::counter!("hourglass_access_keys_deactivated_for_age_total").increment(1);
            });
        }
        tracing::warn!(
            access_key_id = %key.access_key_id,
            account = %key.account_id,
            user = user.as_deref().unwrap_or("<root>"),
            created = %key.create_date,
            deactivated = deactivate,
            "access key older than audit.max_key_age_days"
        );
        flagged.insert(key.access_key_id.clone());
        let event = service_event(&key, user.as_deref(), days, deactivate, now);
        let _ = state.audit.submit(event).await;
    }
}

/// A CloudTrail `AwsServiceEvent`, as AWS writes the events its services raise on their
/// own: `userIdentity` `{accountId, invokedBy}`, no request, `serviceEventDetails`.
fn service_event(
    key: &AccessKeyMetadata,
    user: Option<&str>,
    max_days: u32,
    deactivated: bool,
    now: DateTime<Utc>,
) -> AuditEventRow {
    let event_id = uuid::Uuid::new_v4().to_string();
    let age_days = (now - key.create_date).num_days();
    let user_arn = match user {
        Some(name) => format!("arn:aws:iam::{}:user/{name}", key.account_id),
        None => format!("arn:aws:iam::{}:root", key.account_id),
    };
    let record = json!({
        "eventVersion": "1.08",
        "userIdentity": {"accountId": key.account_id, "invokedBy": "iam.amazonaws.com"},
        "eventTime": now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "eventSource": "iam.amazonaws.com",
        "eventName": EVENT_NAME,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "iam.amazonaws.com",
        "userAgent": "iam.amazonaws.com",
        "requestParameters": null,
        "responseElements": null,
        "eventID": event_id,
        "readOnly": !deactivated,
        "resources": [
            {"accountId": key.account_id, "type": "AWS::IAM::AccessKey", "ARN": key.access_key_id},
            {"accountId": key.account_id, "type": if user.is_some() { "AWS::IAM::User" } else { "AWS::IAM::Root" }, "ARN": user_arn},
        ],
        "eventType": "AwsServiceEvent",
        "managementEvent": true,
        "recipientAccountId": key.account_id,
        "serviceEventDetails": {
            "accessKeyId": key.access_key_id,
            "userName": user,
            "createDate": key.create_date.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "ageDays": age_days,
            "maxKeyAgeDays": max_days,
            "action": if deactivated { "deactivated" } else { "flagged" },
        },
        "eventCategory": "Management",
    });
    let mut resources = vec![("AWS::IAM::AccessKey".to_owned(), key.access_key_id.clone())];
    if let Some(name) = user {
        resources.push(("AWS::IAM::User".to_owned(), name.to_owned()));
    }
    AuditEventRow {
        event_id,
        account_id: key.account_id.clone(),
        event_time_ms: now.timestamp_millis(),
        event_name: EVENT_NAME.to_owned(),
        event_source: "iam.amazonaws.com".to_owned(),
        read_only: !deactivated,
        management: true,
        // Not signed with the key: an AccessKeyId lookup (what did this key do?) does not
        // find it; a ResourceName lookup does.
        access_key_id: None,
        username: None,
        origin_key_id: None,
        resources,
        record: record.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_service_event_names_the_key_and_what_was_done() {
        let created = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let key = AccessKeyMetadata {
            access_key_id: "AKIAOLD".into(),
            account_id: "123456789012".into(),
            owner: KeyOwner::User("AIDA1".into()),
            status: AccessKeyStatus::Active,
            create_date: created,
            last_used: None,
        };
        let now = created + chrono::Duration::days(100);
        let row = service_event(&key, Some("alice"), 90, true, now);
        let v: serde_json::Value = serde_json::from_str(&row.record).unwrap();
        assert_eq!(v["eventType"], "AwsServiceEvent");
        assert_eq!(v["serviceEventDetails"]["ageDays"], 100);
        assert_eq!(v["serviceEventDetails"]["action"], "deactivated");
        assert_eq!(row.access_key_id, None);
        assert!(
            row.resources
                .contains(&("AWS::IAM::AccessKey".into(), "AKIAOLD".into()))
        );
    }
}
