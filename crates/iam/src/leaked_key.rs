//! The leaked-key response (issue 15, beyond AWS): for an exposed access key, deactivate
//! it, revoke every session descending from it (directly or through role chains: session
//! tokens carry their origin key, so the revocation is exact, not "all sessions of the
//! role"), and report the blast radius from the audit log: every action taken by the key
//! and by those sessions, grouped by service, resource and outcome.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use hourglass_store::{AccessKeyMetadata, AccessKeyStatus, AuditEventRow, KeyOwner};
use serde::{Deserialize, Serialize};

use crate::Identity;
use crate::error::{IamError, IamResult};
use crate::principal::root_arn;

/// Most events a blast-radius report reads.
pub const MAX_EVENTS: u32 = 100_000;

/// What the response did and found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeakedKeyResponse {
    pub access_key_id: String,
    /// The key's owner (user or root ARN).
    pub owner_arn: String,
    /// Whether this call deactivated the key (false: it already was inactive).
    pub deactivated: bool,
    /// Sessions descending from the key and issued at or before this time are refused.
    pub sessions_revoked_before: DateTime<Utc>,
    pub blast_radius: BlastRadius,
}

/// The audit log's view of what the key and its sessions did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BlastRadius {
    pub events: usize,
    /// Events signed with the key itself.
    pub by_key: usize,
    /// Events signed with sessions descending from it.
    pub by_sessions: usize,
    /// The temporary key ids of those sessions.
    pub session_keys: BTreeSet<String>,
    pub first_event: Option<String>,
    pub last_event: Option<String>,
    /// Whether [`MAX_EVENTS`] cut the list short.
    pub truncated: bool,
    /// service → resource → "EventName outcome" → count (`outcome` is `ok` or the error code).
    pub services: BTreeMap<String, BTreeMap<String, BTreeMap<String, usize>>>,
}

impl BlastRadius {
    pub fn from_events(key: &str, rows: &[AuditEventRow]) -> Self {
        let mut b = BlastRadius {
            events: rows.len(),
            truncated: rows.len() >= MAX_EVENTS as usize,
            ..BlastRadius::default()
        };
        for r in rows {
            match r.access_key_id.as_deref() {
                Some(k) if k == key => b.by_key += 1,
                Some(k) => {
                    b.by_sessions += 1;
                    b.session_keys.insert(k.to_owned());
                }
                None => {}
            }
            let record: serde_json::Value = serde_json::from_str(&r.record).unwrap_or_default();
            let outcome = record["errorCode"].as_str().unwrap_or("ok");
            let time = record["eventTime"].as_str().map(str::to_owned);
            if b.first_event.is_none() {
                b.first_event.clone_from(&time);
            }
            b.last_event = time;
            let service = b.services.entry(r.event_source.clone()).or_default();
            let action = format!("{} {outcome}", r.event_name);
            let resources: Vec<String> = if r.resources.is_empty() {
                vec!["(no resource)".to_owned()]
            } else {
                r.resources.iter().map(|(_, n)| n.clone()).collect()
            };
            for res in resources {
                *service
                    .entry(res)
                    .or_default()
                    .entry(action.clone())
                    .or_default() += 1;
            }
        }
        b
    }
}

impl Identity {
    async fn leaked_key_metadata(&self, access_key_id: &str) -> IamResult<AccessKeyMetadata> {
        match self.store.get_access_key(access_key_id).await {
            Ok(k) => Ok(k.metadata),
            Err(hourglass_store::StoreError::NotFound { .. }) => Err(key_not_found(access_key_id)),
            Err(e) => Err(e.into()),
        }
    }

    async fn key_owner_arn(&self, meta: &AccessKeyMetadata) -> String {
        match &meta.owner {
            KeyOwner::Root => root_arn(&meta.account_id),
            KeyOwner::User(id) => self
                .store
                .get_user_by_id(&meta.account_id, id)
                .await
                .map(|u| u.arn)
                .unwrap_or_else(|_| format!("user id {id}")),
        }
    }

    /// The owner (user or root ARN) of `access_key_id` when it is a long-term key of
    /// `account_id`: the API authorizes on it before acting. A key of another account is
    /// `NoSuchEntity`, exactly as a key that does not exist.
    pub async fn leaked_key_owner(
        &self,
        account_id: &str,
        access_key_id: &str,
    ) -> IamResult<String> {
        let meta = self.leaked_key_metadata(access_key_id).await?;
        if meta.account_id != account_id {
            return Err(key_not_found(access_key_id));
        }
        Ok(self.key_owner_arn(&meta).await)
    }

    /// Deactivates `access_key_id`, revokes every session descending from it, and reads
    /// the blast radius. `NoSuchEntity` for a key this server never issued (temporary keys
    /// included: revoke their origin key instead).
    pub async fn respond_to_leaked_key(&self, access_key_id: &str) -> IamResult<LeakedKeyResponse> {
        let meta = self.leaked_key_metadata(access_key_id).await?;
        let deactivated = meta.status == AccessKeyStatus::Active;
        if deactivated {
            self.store
                .update_access_key_status(
                    &meta.account_id,
                    &meta.owner,
                    access_key_id,
                    AccessKeyStatus::Inactive,
                )
                .await?;
        }
        let now = self.clock.now();
        self.store
            .revoke_key_origin(access_key_id, now.timestamp_millis())
            .await?;
        let owner_arn = self.key_owner_arn(&meta).await;
        tracing::warn!(access_key_id, owner = %owner_arn, "leaked-key response: key deactivated, derived sessions revoked");
        let rows = self
            .store
            .audit_events_by_origin(access_key_id, MAX_EVENTS)
            .await?;
        Ok(LeakedKeyResponse {
            access_key_id: access_key_id.to_owned(),
            owner_arn,
            deactivated,
            sessions_revoked_before: now,
            blast_radius: BlastRadius::from_events(access_key_id, &rows),
        })
    }
}

fn key_not_found(access_key_id: &str) -> IamError {
    IamError::NoSuchEntity(format!(
        "The Access Key with id {access_key_id} cannot be found."
    ))
}
