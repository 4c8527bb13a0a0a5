//! The audit methods of [`Store`]: the event log, revoked key origins and credential
//! reports.

use super::Store;
use crate::audit::{AuditEventRow, AuditQuery, CredentialReport};
use crate::error::Result;
use crate::sql::{Backend, audit, tx_fn};

impl Store {
    /// Appends a batch of events in one transaction (one commit for the whole batch). An
    /// event id already stored is skipped, so a retried batch does not duplicate events.
    /// Untracked: no cache depends on the log, and bumping the change counter here would
    /// throw away every node's authorization snapshot once per batch.
    pub async fn append_audit_events(&self, events: Vec<AuditEventRow>) -> Result<()> {
        let events = std::sync::Arc::new(events);
        run!(self.write_untracked, [events], |tx| audit::append(
            tx, &events
        ))
    }

    /// One page of LookupEvents, newest first.
    pub async fn lookup_audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEventRow>> {
        run!(self.read, [query], |tx| audit::lookup(tx, &query))
    }

    /// Events made with `origin_key_id` or any session descending from it, oldest first,
    /// at most `limit`.
    pub async fn audit_events_by_origin(
        &self,
        origin_key_id: &str,
        limit: u32,
    ) -> Result<Vec<AuditEventRow>> {
        run!(self.read, [origin_key_id], |tx| audit::by_origin(
            tx,
            &origin_key_id,
            limit
        ))
    }

    /// Events after the `(event_time_ms, event_id)` position `after`, up to `until_ms`, of
    /// every account, oldest first: the log-file delivery's scan.
    pub async fn audit_events_after(
        &self,
        after: Option<(i64, String)>,
        until_ms: i64,
        limit: u32,
    ) -> Result<Vec<AuditEventRow>> {
        run!(self.read, [after], |tx| audit::after(
            tx,
            after.as_ref(),
            until_ms,
            limit
        ))
    }

    /// Deletes events older than `before_ms`; returns how many went.
    pub async fn purge_audit_events(&self, before_ms: i64) -> Result<u64> {
        run!(self.write_untracked, [], |tx| audit::purge(tx, before_ms))
    }

    /// Marks every session descending from `access_key_id` and issued before `at_ms` as
    /// revoked.
    pub async fn revoke_key_origin(&self, access_key_id: &str, at_ms: i64) -> Result<()> {
        run!(self.write, [access_key_id], |tx| audit::revoke_origin(
            tx,
            &access_key_id,
            at_ms
        ))
    }

    /// When sessions descending from `access_key_id` were revoked, if they were.
    pub async fn key_origin_revoked_at(&self, access_key_id: &str) -> Result<Option<i64>> {
        run!(self.read_single, [access_key_id], |tx| {
            audit::origin_revoked_at(tx, &access_key_id)
        })
    }

    pub async fn put_credential_report(
        &self,
        account_id: &str,
        report: &CredentialReport,
    ) -> Result<()> {
        run!(self.write, [account_id, report], |tx| audit::put_report(
            tx,
            &account_id,
            &report
        ))
    }

    pub async fn get_credential_report(
        &self,
        account_id: &str,
    ) -> Result<Option<CredentialReport>> {
        run!(self.read, [account_id], |tx| audit::get_report(
            tx,
            &account_id
        ))
    }
}
