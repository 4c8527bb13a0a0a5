//! The background worker: purges secrets whose recovery window ended, deactivates
//! rotated-out access keys whose grace period ended, and runs requested and scheduled
//! rotations. Everything it does is recorded in the secret (`due_at`), so it survives
//! restarts; each piece of work is claimed with a lease in the database, so it runs on one
//! node of a cluster.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Utc;

use super::rotator;
use crate::state::AppState;

/// A node holds a claimed secret this long at most; longer than any rotation may run
/// (four hook steps at their timeout), so a live node never loses work to another.
fn lease(state: &AppState) -> chrono::Duration {
    let longest = state
        .secrets
        .config
        .rotation_hooks
        .values()
        .map(|h| h.timeout().as_secs())
        .max()
        .unwrap_or(60);
    chrono::Duration::seconds(
        i64::try_from(longest.saturating_mul(4).saturating_add(300)).unwrap_or(3600),
    )
}

/// Runs until the process exits.
pub fn spawn(state: Arc<AppState>) {
    tokio::spawn(async move {
        let poll = state.secrets.config.poll_interval();
        loop {
            drain(&state).await;
            tokio::select! {
                () = tokio::time::sleep(poll) => {}
                () = state.secrets.wake.notified() => {}
            }
        }
    });
}

/// Works through everything due now, each secret at most once per pass.
pub async fn drain(state: &AppState) {
    let rt = &state.secrets;
    let store = rt.secrets.store();
    let mut seen = HashSet::new();
    loop {
        let now = Utc::now();
        let claimed = match store
            .secret_claim_due(now, now + lease(state), &rt.node_id)
            .await
        {
            Ok(Some(arn)) => arn,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "secrets worker cannot claim work");
                return;
            }
        };
        let again = !seen.insert(claimed.clone());
        if !again {
            process(state, &claimed).await;
        }
        // Work still due after this pass (a step that failed for a reason that did not
        // reschedule it) waits a minute rather than holding up the rest of the queue.
        let now = Utc::now();
        let still_due = match store.secret_get(rt.secrets.account(), &claimed).await {
            Ok(Some((row, _))) => row.due_at.is_some_and(|d| d <= now),
            _ => false,
        };
        let hold = (again || still_due).then(|| now + chrono::Duration::minutes(1));
        if let Err(e) = store.secret_release(&claimed, &rt.node_id, hold).await {
            tracing::warn!(error = %e, arn = %claimed, "secrets worker cannot release its lease");
        }
        if again {
            // Still due after this pass worked on it: leave it for the next pass.
            return;
        }
    }
}

async fn process(state: &AppState, arn: &str) {
    let rt = &state.secrets;
    let region = rt.secrets.region();
    let Ok(s) = rt.secrets.load(arn).await else {
        return;
    };
    let now = Utc::now();
    if s.meta.purge_at.is_some_and(|p| p <= now) {
        match rt.secrets.store().secret_delete(arn).await {
            Ok(_) => tracing::info!(%arn, "secret purged after its recovery window"),
            Err(e) => tracing::warn!(error = %e, %arn, "cannot purge secret"),
        }
        return;
    }
    if s.is_deleted() {
        return;
    }
    for d in s.meta.deactivations.iter().filter(|d| d.at <= now) {
        match rotator::deactivate(&state.identity, region, &d.user_name, &d.access_key_id).await {
            Ok(()) => {
                tracing::info!(%arn, access_key_id = %d.access_key_id, "rotated-out access key deactivated");
                if let Err(e) = rt.secrets.deactivation_done(arn, &d.access_key_id).await {
                    tracing::warn!(error = %e.message, %arn, "cannot record deactivation");
                }
            }
            Err(e) => tracing::warn!(error = %e, %arn, "cannot deactivate rotated-out key"),
        }
    }
    let job = match &s.meta.rotation {
        Some(job) if job.not_before <= now => Some(job.clone()),
        Some(_) => None,
        None if s.meta.rotation_enabled == Some(true)
            && s.meta.next_rotation.is_some_and(|n| n <= now) =>
        {
            match rt.secrets.start_scheduled(arn).await {
                Ok(Some(_)) => rt
                    .secrets
                    .load(arn)
                    .await
                    .ok()
                    .and_then(|s| s.meta.rotation),
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!(error = %e.message, %arn, "cannot start scheduled rotation");
                    None
                }
            }
        }
        None => None,
    };
    let Some(job) = job else {
        return;
    };
    let Some(function) = s.meta.rotation_lambda_arn.clone() else {
        let _ = rt.secrets.finish_job(arn, &job.token, false).await;
        return;
    };
    tracing::info!(%arn, version_id = %job.token, attempt = job.attempts + 1, event = "RotationStarted");
    let outcome = rotator::rotate(
        rt,
        &state.identity,
        arn,
        &function,
        &job.token,
        job.test_only,
    )
    .await;
    match &outcome {
        Ok(()) => tracing::info!(%arn, version_id = %job.token, event = "RotationSucceeded"),
        Err(why) => {
            tracing::warn!(%arn, version_id = %job.token, reason = %why, event = "RotationFailed")
        }
    }
    if let Err(e) = rt
        .secrets
        .finish_job(arn, &job.token, outcome.is_ok())
        .await
    {
        tracing::warn!(error = %e.message, %arn, "cannot record the rotation's outcome");
    }
}
