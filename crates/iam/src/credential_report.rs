//! The IAM credential report (spec `aws-semantics-2.md` §4): GenerateCredentialReport and
//! GetCredentialReport. The report is built synchronously but keeps AWS's state machine: the
//! first Generate answers `STARTED`, later ones within four hours `COMPLETE` without
//! rebuilding, and a report older than four hours is `ReportExpired` until regenerated.

use chrono::{DateTime, Duration, Utc};
use hourglass_store::{
    AccessKeyMetadata, AccessKeyStatus, CredentialReport, KeyOwner, PageRequest,
};

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::principal::root_arn;
use crate::{Caller, Identity};

/// AWS regenerates at most every four hours; a report that old is expired.
const REPORT_LIFETIME_HOURS: i64 = 4;

/// The 22 columns, in AWS's order.
pub const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,\
password_last_changed,password_next_rotation,mfa_active,access_key_1_active,\
access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,\
access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,\
access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,\
cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

/// What GenerateCredentialReport answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOutcome {
    /// `STARTED` or `COMPLETE`.
    pub state: &'static str,
    pub description: Option<&'static str>,
}

/// A report as GetCredentialReport returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub content: String,
    pub generated: DateTime<Utc>,
}

fn ts(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// RFC 4180 quoting, needed only if a name holds a comma or quote.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn key_columns(key: Option<&AccessKeyMetadata>) -> [String; 5] {
    let na = || "N/A".to_owned();
    match key {
        None => ["false".into(), na(), na(), na(), na()],
        Some(k) => {
            let (date, region, service) = match &k.last_used {
                Some(u) => (
                    ts(&u.date),
                    if u.region.is_empty() {
                        na()
                    } else {
                        u.region.clone()
                    },
                    if u.service.is_empty() {
                        na()
                    } else {
                        u.service.clone()
                    },
                ),
                None => (na(), na(), na()),
            };
            [
                (k.status == AccessKeyStatus::Active).to_string(),
                ts(&k.create_date),
                date,
                region,
                service,
            ]
        }
    }
}

/// One row: identity columns, then password/MFA columns, then both keys and certificates.
fn row(identity: [String; 3], password: [&str; 4], mut keys: Vec<AccessKeyMetadata>) -> String {
    // Key 1 is the older key, key 2 the newer.
    keys.sort_by(|a, b| (a.create_date, &a.access_key_id).cmp(&(b.create_date, &b.access_key_id)));
    let mut cols: Vec<String> = identity.into_iter().collect();
    cols.extend(password.iter().map(|s| (*s).to_owned()));
    cols.push("false".into()); // mfa_active: no MFA devices are modelled yet
    cols.extend(key_columns(keys.first()));
    cols.extend(key_columns(keys.get(1)));
    cols.extend(["false", "N/A", "false", "N/A"].map(str::to_owned));
    let mut line = cols.join(",");
    line.push('\n');
    line
}

impl Identity {
    /// Builds the CSV for this account: the root row, then every user by creation time.
    pub async fn build_credential_report(&self) -> IamResult<String> {
        let account = self.store.get_account(&self.account_id).await?;
        let mut out = String::from(HEADER);
        out.push('\n');
        let root_keys = self
            .store
            .list_access_keys(&self.account_id, &KeyOwner::Root)
            .await?;
        out.push_str(&row(
            [
                "<root_account>".into(),
                root_arn(&self.account_id),
                ts(&account.create_date),
            ],
            [
                "not_supported",
                "no_information",
                "not_supported",
                "not_supported",
            ],
            root_keys,
        ));
        let mut users = Vec::new();
        let mut page = PageRequest::first(1000);
        loop {
            let p = self.store.list_users(&self.account_id, None, &page).await?;
            users.extend(p.items);
            match p.next_marker {
                Some(m) => page.marker = Some(m),
                None => break,
            }
        }
        users.sort_by(|a, b| (a.create_date, &a.user_id).cmp(&(b.create_date, &b.user_id)));
        for u in users {
            let keys = self
                .store
                .list_access_keys(&self.account_id, &KeyOwner::User(u.user_id.clone()))
                .await?;
            out.push_str(&row(
                [field(&u.name), field(&u.arn), ts(&u.create_date)],
                // No login profiles are modelled yet: no password.
                ["false", "N/A", "N/A", "N/A"],
                keys,
            ));
        }
        Ok(out)
    }

    /// GenerateCredentialReport (`iam:GenerateCredentialReport` on `*`).
    pub async fn generate_credential_report(&self, caller: &Caller) -> IamResult<GenerateOutcome> {
        self.authorize(caller, &Access::new("iam:GenerateCredentialReport", "*"))
            .await?;
        let now = self.clock.now();
        let existing = self.store.get_credential_report(&self.account_id).await?;
        if let Some(r) = &existing
            && now.timestamp_millis().saturating_sub(r.generated_at_ms)
                < Duration::hours(REPORT_LIFETIME_HOURS).num_milliseconds()
        {
            return Ok(GenerateOutcome {
                state: "COMPLETE",
                description: None,
            });
        }
        let content = self.build_credential_report().await?;
        self.store
            .put_credential_report(
                &self.account_id,
                &CredentialReport {
                    generated_at_ms: now.timestamp_millis(),
                    content,
                },
            )
            .await?;
        Ok(GenerateOutcome {
            state: "STARTED",
            description: Some(if existing.is_none() {
                "No report exists. Starting a new report generation task"
            } else {
                "The last report expired. Starting a new report generation task"
            }),
        })
    }

    /// GetCredentialReport (`iam:GetCredentialReport` on `*`).
    pub async fn get_credential_report(&self, caller: &Caller) -> IamResult<Report> {
        self.authorize(caller, &Access::new("iam:GetCredentialReport", "*"))
            .await?;
        let Some(r) = self.store.get_credential_report(&self.account_id).await? else {
            return Err(IamError::ReportNotPresent(
                "Credential report not present. Call GenerateCredentialReport first.".into(),
            ));
        };
        let now = self.clock.now();
        if now.timestamp_millis().saturating_sub(r.generated_at_ms)
            >= Duration::hours(REPORT_LIFETIME_HOURS).num_milliseconds()
        {
            return Err(IamError::ReportExpired(
                "Credential report is expired. Call GenerateCredentialReport to generate a new report."
                    .into(),
            ));
        }
        let generated = DateTime::from_timestamp_millis(r.generated_at_ms)
            .ok_or_else(|| IamError::Internal("credential report time out of range".into()))?;
        Ok(Report {
            content: r.content,
            generated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_has_the_22_aws_columns() {
        assert_eq!(HEADER.split(',').count(), 22);
        assert!(HEADER.starts_with("user,arn,user_creation_time,password_enabled,"));
        assert!(HEADER.ends_with(",cert_2_active,cert_2_last_rotated"));
    }

    #[test]
    fn names_with_commas_are_quoted() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("plain"), "plain");
    }
}
