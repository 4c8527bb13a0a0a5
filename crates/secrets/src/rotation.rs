//! Rotation bookkeeping of [`Secrets`]: RotateSecret and CancelRotateSecret, the
//! scheduled start of a rotation, its outcome, and the deactivations of rotated-out keys.
//! The rotators themselves (which run the four steps) live in the server.

use chrono::{DateTime, Duration, Utc};

use crate::error::{SmError, SmResult};
use crate::labels;
use crate::model::{Deactivation, Loaded, RotationJob, RotationRules, Version};
use crate::schedule;
use crate::service::{MAX_ROTATION_ATTEMPTS, Secrets, new_token};
use crate::validate;
use crate::{AWSCURRENT, AWSPENDING};

impl Secrets {
    /// RotateSecret: stores the configuration and, to rotate now, creates the value-less
    /// `AWSPENDING` version the rotator fills and queues the rotation. Returns its id.
    pub async fn rotate(
        &self,
        arn: &str,
        token: Option<String>,
        function: Option<&str>,
        rules: Option<RotationRules>,
        immediately: bool,
    ) -> SmResult<String> {
        if let Some(t) = &token {
            validate::token(t)?;
        }
        let schedule = rules.as_ref().map(schedule::parse_rules).transpose()?;
        let token = token.unwrap_or_else(new_token);
        self.modify(arn, |s, t| {
            if s.is_deleted() {
                return Err(SmError::marked_for_deletion());
            }
            let Some(function) = function
                .map(str::to_owned)
                .or_else(|| s.meta.rotation_lambda_arn.clone())
            else {
                return Err(SmError::invalid_request(
                    "No Lambda rotation function ARN is associated with this secret.",
                ));
            };
            if let Some(job) = &s.meta.rotation {
                if job.token == token {
                    return Ok(token.clone());
                }
                return Err(SmError::invalid_request(
                    "A previous rotation isn't complete. That rotation will be reattempted.",
                ));
            }
            if let Some(p) = s.with_stage(AWSPENDING)
                && !p.has(AWSCURRENT)
            {
                return Err(SmError::invalid_request(
                    "A previous rotation isn't complete. That rotation will be reattempted.",
                ));
            }
            if s.version(&token).is_some() {
                return Err(SmError::exists(format!(
                    "You can't use ClientRequestToken {token} because that value is already in \
                     use for a version of secret {}.",
                    s.arn()
                )));
            }
            s.meta.rotation_lambda_arn = Some(function);
            s.meta.rotation_enabled = Some(true);
            if let Some(r) = &rules {
                s.meta.rotation_rules = Some(r.clone());
            }
            let sched = match &schedule {
                Some(x) => Some(x.clone()),
                None => s
                    .meta
                    .rotation_rules
                    .as_ref()
                    .and_then(|r| schedule::parse_rules(r).ok()),
            };
            s.meta.next_rotation = sched.and_then(|x| x.next_after(t));
            start_job(s, &token, t, !immediately)?;
            s.meta.last_changed = t;
            Ok(token.clone())
        })
        .await
    }

    /// CancelRotateSecret: disables rotation; labels stay as they are.
    pub async fn cancel_rotation(&self, arn: &str) -> SmResult<Option<String>> {
        self.modify(arn, |s, t| {
            if s.is_deleted() {
                return Err(SmError::marked_for_deletion());
            }
            if s.meta.rotation_lambda_arn.is_none() {
                return Err(SmError::invalid_request(
                    "You tried to enable rotation on a secret that doesn't already have a Lambda \
                     function ARN configured and you didn't include such an ARN as a parameter \
                     in this call.",
                ));
            }
            s.meta.rotation_enabled = Some(false);
            s.meta.next_rotation = None;
            s.meta.rotation = None;
            s.meta.last_changed = t;
            Ok(s.with_stage(AWSPENDING).map(|v| v.id.clone()))
        })
        .await
    }

    /// Queues the scheduled rotation of a secret whose next rotation date has come.
    pub async fn start_scheduled(&self, arn: &str) -> SmResult<Option<String>> {
        self.modify(arn, |s, t| {
            if s.is_deleted() || s.meta.rotation.is_some() || s.meta.rotation_enabled != Some(true)
            {
                return Ok(None);
            }
            if s.meta.next_rotation.is_none_or(|n| n > t) {
                return Ok(None);
            }
            if s.with_stage(AWSPENDING).is_some_and(|p| !p.has(AWSCURRENT)) {
                // A rotation left unfinished (e.g. by an external rotator): push the
                // schedule on rather than stacking another one.
                s.meta.next_rotation = next_date(s, t);
                return Ok(None);
            }
            let token = new_token();
            start_job(s, &token, t, false)?;
            Ok(Some(token))
        })
        .await
    }

    /// Records the outcome of a rotation run. On success: `LastRotatedDate` and the next
    /// date. On failure the pending version is cleaned up (AWSCURRENT never moved), and the
    /// rotation is retried later, up to [`MAX_ROTATION_ATTEMPTS`] runs.
    pub async fn finish_job(&self, arn: &str, token: &str, ok: bool) -> SmResult<()> {
        self.modify(arn, |s, t| {
            let Some(job) = s.meta.rotation.clone() else {
                return Ok(());
            };
            if job.token != token {
                return Ok(());
            }
            if ok {
                s.meta.rotation = None;
                if !job.test_only {
                    s.meta.last_rotated = Some(t);
                    s.meta.next_rotation = next_date(s, t);
                }
                clean_pending(s, token);
                return Ok(());
            }
            clean_pending(s, token);
            let attempts = job.attempts.saturating_add(1);
            if attempts >= MAX_ROTATION_ATTEMPTS || job.test_only {
                s.meta.rotation = None;
                s.meta.next_rotation = next_date(s, t);
            } else {
                // Backoff: a minute, then two, …
                s.meta.rotation = Some(RotationJob {
                    attempts,
                    not_before: t + Duration::minutes(i64::from(attempts)),
                    ..job
                });
                // The retry needs its placeholder back.
                restore_placeholder(s, token, t)?;
            }
            Ok(())
        })
        .await
    }

    /// Schedules an access key's deactivation at `at`.
    pub async fn schedule_deactivation(
        &self,
        arn: &str,
        user_name: &str,
        access_key_id: &str,
        at: DateTime<Utc>,
    ) -> SmResult<()> {
        self.modify(arn, |s, _| {
            s.meta
                .deactivations
                .retain(|d| d.access_key_id != access_key_id);
            s.meta.deactivations.push(Deactivation {
                user_name: user_name.to_owned(),
                access_key_id: access_key_id.to_owned(),
                at,
            });
            Ok(())
        })
        .await
    }

    pub async fn deactivation_done(&self, arn: &str, access_key_id: &str) -> SmResult<()> {
        self.modify(arn, |s, _| {
            s.meta
                .deactivations
                .retain(|d| d.access_key_id != access_key_id);
            Ok(())
        })
        .await
    }
}

/// The next scheduled rotation after `t`, from the stored rules.
fn next_date(s: &Loaded, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if s.meta.rotation_enabled != Some(true) {
        return None;
    }
    s.meta
        .rotation_rules
        .as_ref()
        .and_then(|r| schedule::parse_rules(r).ok())
        .and_then(|x| x.next_after(t))
}

fn start_job(s: &mut Loaded, token: &str, t: DateTime<Utc>, test_only: bool) -> SmResult<()> {
    restore_placeholder(s, token, t)?;
    s.meta.rotation = Some(RotationJob {
        token: token.to_owned(),
        requested: t,
        test_only,
        attempts: 0,
        not_before: t,
    });
    Ok(())
}

/// Creates (or re-labels) the value-less AWSPENDING version `token`.
fn restore_placeholder(s: &mut Loaded, token: &str, t: DateTime<Utc>) -> SmResult<()> {
    if s.version(token).is_none() {
        labels::room_for_one_more(&s.versions, t)?;
        let seq = s.versions.iter().map(|v| v.seq).max().unwrap_or(0) + 1;
        s.versions.push(Version {
            id: token.to_owned(),
            seq,
            created: t,
            last_accessed: None,
            stages: Vec::new(),
            has_value: false,
            value: None,
        });
    }
    labels::attach(&mut s.versions, AWSPENDING, token)
}

/// After a rotation run: `AWSPENDING` comes off the token's version, and a version that
/// never got a value is dropped.
fn clean_pending(s: &mut Loaded, token: &str) {
    labels::detach(&mut s.versions, AWSPENDING, token);
    s.versions.retain(|v| v.id != token || v.has_value);
}
