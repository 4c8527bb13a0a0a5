//! The audit log's own SQLite file, `hourglass-audit.db` beside `hourglass.db`.
//!
//! Every request appends an event, so the log is the busiest writer of all; in the main
//! file its inserts (a row and eight index entries per event, more per resource) queued on
//! the one writer behind the object and IAM writes requests wait for. In a file of its own
//! the log has its own writer and group commit, running on the other core, and a request's
//! write never waits for a batch of events.
//!
//! The log's schema carries its own version (`PRAGMA user_version`). Databases from before
//! [`AUDIT_LOG_FILE_VERSION`] kept the log in the main file: [`adopt`] copies those rows over
//! in a transaction of the log file alone, before the migration that drops the old tables,
//! and skips what an interrupted earlier copy already moved, so a crash at any point loses
//! no event and duplicates none.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::tx::backend_error;
use crate::error::{Result, StoreError};
use crate::sql::schema::AUDIT_LOG_FILE_VERSION;

/// The log's schema version this build writes.
const VERSION: i64 = 1;

/// The events and their LookupEvents resources, with the indexes LookupEvents, the
/// leaked-key response (`by_origin`) and retention (`by_age`) read. Column names and types
/// are those of the main file's former tables, so rows copy over as they are.
const TABLES: &str = r#"
CREATE TABLE IF NOT EXISTS audit_events (
    event_id      TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL,
    event_time    BIGINT NOT NULL,
    event_name    TEXT NOT NULL,
    event_source  TEXT NOT NULL,
    read_only     INTEGER NOT NULL,
    management    INTEGER NOT NULL,
    access_key_id TEXT,
    username      TEXT,
    origin_key_id TEXT,
    resources     TEXT NOT NULL,
    record        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_events_by_time ON audit_events (account_id, event_time, event_id);
CREATE INDEX IF NOT EXISTS audit_events_by_name ON audit_events (account_id, event_name, event_time, event_id);
CREATE INDEX IF NOT EXISTS audit_events_by_source ON audit_events (account_id, event_source, event_time, event_id);
CREATE INDEX IF NOT EXISTS audit_events_by_key ON audit_events (account_id, access_key_id, event_time, event_id);
CREATE INDEX IF NOT EXISTS audit_events_by_user ON audit_events (account_id, username, event_time, event_id);
CREATE INDEX IF NOT EXISTS audit_events_by_origin ON audit_events (origin_key_id, event_time);
CREATE INDEX IF NOT EXISTS audit_events_by_age ON audit_events (event_time);
CREATE TABLE IF NOT EXISTS audit_event_resources (
    event_id      TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    event_time    BIGINT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_name TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_resources_by_name ON audit_event_resources (account_id, resource_name, event_time, event_id);
CREATE INDEX IF NOT EXISTS audit_resources_by_type ON audit_event_resources (account_id, resource_type, event_time, event_id);
CREATE INDEX IF NOT EXISTS audit_resources_by_age ON audit_event_resources (event_time);
"#;

const EVENT_COLUMNS: &str = "event_id, account_id, event_time, event_name, event_source, \
     read_only, management, access_key_id, username, origin_key_id, resources, record";

const RESOURCE_COLUMNS: &str = "event_id, account_id, event_time, resource_type, resource_name";

/// The schema name the log file is attached under while [`adopt`] copies into it.
const ATTACHED: &str = "audit_log";

/// `…/hourglass.db` → `…/hourglass-audit.db`.
pub(super) fn path_for(main: &Path) -> PathBuf {
    let stem = main
        .file_stem()
        .map(|s| s.to_os_string())
        .unwrap_or_default();
    let mut name = stem;
    name.push("-audit");
    if let Some(ext) = main.extension() {
        name.push(".");
        name.push(ext);
    }
    main.with_file_name(name)
}

/// Creates the log's tables in a new file; refuses a file written by a newer build.
pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
    let current: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(backend_error)?;
    if current > VERSION {
        return Err(StoreError::Backend(format!(
            "audit log schema version {current} is newer than this build supports ({VERSION})"
        )));
    }
    if current == VERSION {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(backend_error)?;
    tx.execute_batch(TABLES).map_err(backend_error)?;
    tx.execute_batch(&format!("PRAGMA user_version = {VERSION}"))
        .map_err(backend_error)?;
    tx.commit().map_err(backend_error)
}

/// Copies the events a main file older than [`AUDIT_LOG_FILE_VERSION`] still holds into the
/// log file at `log` (already migrated). Runs before the main file's migrations; the
/// migration to that version then drops the old tables.
pub(super) fn adopt(conn: &mut Connection, main_version: i64, log: &Path) -> Result<()> {
    if main_version >= AUDIT_LOG_FILE_VERSION || !has_old_log(conn)? {
        return Ok(());
    }
    let name = log
        .to_str()
        .ok_or_else(|| StoreError::Backend(format!("audit log path {log:?} is not UTF-8")))?;
    conn.execute(&format!("ATTACH DATABASE ?1 AS {ATTACHED}"), [name])
        .map_err(backend_error)?;
    let copied = copy(conn);
    if let Err(e) = conn.execute_batch(&format!("DETACH DATABASE {ATTACHED}")) {
        tracing::warn!(error = %e, "could not detach the audit log file after the copy");
    }
    let copied = copied?;
    if copied > 0 {
        tracing::info!(events = copied, "moved the audit log into its own file");
    }
    Ok(())
}

fn has_old_log(conn: &Connection) -> Result<bool> {
    conn.query_row(
        "SELECT COUNT(*) FROM main.sqlite_master WHERE type = 'table' AND name = 'audit_events'",
        [],
        |row| row.get::<_, i64>(0),
    )
    .map(|n| n > 0)
    .map_err(backend_error)
}

/// One transaction that writes the log file only: resources first, for events not yet in
/// the log (a rerun after a crash skips what was moved), then the events themselves.
fn copy(conn: &mut Connection) -> Result<usize> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(backend_error)?;
    tx.execute(
        &format!(
            "INSERT INTO {ATTACHED}.audit_event_resources ({RESOURCE_COLUMNS}) \
             SELECT {RESOURCE_COLUMNS} FROM main.audit_event_resources r \
             WHERE NOT EXISTS (SELECT 1 FROM {ATTACHED}.audit_events e WHERE e.event_id = r.event_id)"
        ),
        [],
    )
    .map_err(backend_error)?;
    let events = tx
        .execute(
            &format!(
                "INSERT INTO {ATTACHED}.audit_events ({EVENT_COLUMNS}) \
                 SELECT {EVENT_COLUMNS} FROM main.audit_events WHERE true \
                 ON CONFLICT (event_id) DO NOTHING"
            ),
            [],
        )
        .map_err(backend_error)?;
    tx.commit().map_err(backend_error)?;
    Ok(events)
}

/// Run by the migration to [`AUDIT_LOG_FILE_VERSION`], after [`adopt`]: the main file's
/// copies of the log go.
pub(super) const DROP_OLD_TABLES: &str =
    "DROP TABLE IF EXISTS audit_event_resources; DROP TABLE IF EXISTS audit_events;";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::schema;

    #[test]
    fn the_log_sits_beside_the_main_file() {
        assert_eq!(
            path_for(Path::new("/data/hourglass.db")),
            PathBuf::from("/data/hourglass-audit.db")
        );
        assert_eq!(path_for(Path::new("meta")), PathBuf::from("meta-audit"));
    }

    #[test]
    fn version_constant_is_a_main_migration() {
        assert!(
            schema::MIGRATIONS
                .iter()
                .any(|(v, _)| *v == AUDIT_LOG_FILE_VERSION)
        );
    }
}
