//! The audit methods of [`Store`]: the event log, revoked key origins and credential
//! reports.

use std::sync::Arc;

use super::Store;
use crate::audit::{AuditEventRow, AuditQuery, CredentialReport};
use crate::sql::{Backend, audit, tx_fn};

store_api! {
    /// Appends a batch of events in one transaction (one commit for the whole batch). An
    /// event id already stored is skipped, so a retried batch does not duplicate events.
    /// Untracked: no cache depends on the log, and bumping the change counter here would
    /// throw away every node's authorization snapshot once per batch. Shared, so that
    /// neither the writer's retries nor the transaction's copy duplicate the batch. On
    /// SQLite it goes to the log's own file and writer ([`Backend::log_write`]).
    log_write fn append_audit_events(events: Arc<Vec<AuditEventRow>>) -> ()
        = |tx| audit::append(tx, &events);

    /// One page of LookupEvents, newest first.
    log_read fn lookup_audit_events(query: &AuditQuery) -> Vec<AuditEventRow>
        = |tx| audit::lookup(tx, &query);

    /// Events made with `origin_key_id` or any session descending from it, oldest first,
    /// at most `limit`.
    log_read fn audit_events_by_origin(origin_key_id: &str, limit: u32) -> Vec<AuditEventRow>
        = |tx| audit::by_origin(tx, &origin_key_id, limit);

    /// Events after the `(event_time_ms, event_id)` position `after`, up to `until_ms`, of
    /// every account, oldest first: the log-file delivery's scan.
    log_read fn audit_events_after(after: Option<(i64, String)>, until_ms: i64, limit: u32)
        -> Vec<AuditEventRow>
        = |tx| audit::after(tx, after.as_ref(), until_ms, limit);

    /// Deletes events older than `before_ms`; returns how many went.
    log_write fn purge_audit_events(before_ms: i64) -> u64
        = |tx| audit::purge(tx, before_ms);

    /// Marks every session descending from `access_key_id` and issued before `at_ms` as
    /// revoked.
    write fn revoke_key_origin(access_key_id: &str, at_ms: i64) -> ()
        = |tx| audit::revoke_origin(tx, &access_key_id, at_ms);

    /// When sessions descending from `access_key_id` were revoked, if they were.
    read_single fn key_origin_revoked_at(access_key_id: &str) -> Option<i64>
        = |tx| audit::origin_revoked_at(tx, &access_key_id);

    write fn put_credential_report(account_id: &str, report: &CredentialReport) -> ()
        = |tx| audit::put_report(tx, &account_id, &report);

    read fn get_credential_report(account_id: &str) -> Option<CredentialReport>
        = |tx| audit::get_report(tx, &account_id);
}
