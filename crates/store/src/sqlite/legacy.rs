//! Import of v0.1's separate S3 metadata file (`DATA_DIR/s3.db`) into the one database.
//!
//! The file is attached before the migration transaction (SQLite cannot attach inside one)
//! and its rows are copied verbatim by the migration that creates the S3 tables, in the same
//! transaction that records the new schema version and an import marker: a crash leaves
//! either the old layout or the migrated one, never half of each. Only after that commit is
//! the old file renamed out of the way (kept as a backup); the marker tells a later start
//! that a file still found there was imported (a crash before the rename) rather than
//! dropped in by hand, which is only reported.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, Transaction};

use super::tx::backend_error;
use crate::error::{Result, StoreError};

const SCHEMA: &str = "legacy_s3";

/// The `settings` key recording the import (its value: the imported file's path).
const MARKER: &str = "migration.v0_1_s3_import";

/// The tables and columns v0.1 wrote, copied in this order.
const TABLES: [(&str, &str); 4] = [
    ("s3_buckets", "name, owner, created, region, policy, tags"),
    (
        "s3_objects",
        "bucket, key, size, etag, modified, headers, checksum, tags, segments, parts",
    ),
    (
        "s3_uploads",
        "upload_id, bucket, key, initiated, headers, checksum_algorithm, tags, initiator",
    ),
    (
        "s3_parts",
        "upload_id, number, size, etag, modified, checksum, segment",
    ),
];

/// Where the file goes once imported.
fn retired_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".v0.1-imported");
    PathBuf::from(name)
}

/// Attaches the legacy file if it exists; true when attached.
pub(super) fn attach(conn: &Connection, path: Option<&Path>) -> Result<bool> {
    let Some(path) = path.filter(|p| p.is_file()) else {
        return Ok(false);
    };
    let name = path.to_str().ok_or_else(|| {
        StoreError::Backend(format!("S3 metadata file path {path:?} is not UTF-8"))
    })?;
    conn.execute(&format!("ATTACH DATABASE ?1 AS {SCHEMA}"), [name])
        .map_err(backend_error)?;
    Ok(true)
}

pub(super) fn detach(conn: &Connection) {
    if let Err(e) = conn.execute_batch(&format!("DETACH DATABASE {SCHEMA}")) {
        tracing::warn!(error = %e, "could not detach the v0.1 S3 metadata file");
    }
}

/// Copies every row of the attached file into the (new, empty) S3 tables and records the
/// import, inside the migration transaction `tx`.
pub(super) fn import(tx: &Transaction<'_>, path: &Path) -> Result<()> {
    let present: i64 = tx
        .query_row(
            &format!(
                "SELECT COUNT(*) FROM {SCHEMA}.sqlite_master WHERE type = 'table' AND name IN \
                 ('s3_buckets', 's3_objects', 's3_uploads', 's3_parts')"
            ),
            [],
            |row| row.get(0),
        )
        .map_err(backend_error)?;
    if present != 4 {
        return Err(StoreError::Backend(format!(
            "{} is not an Hourglass v0.1 S3 metadata file (found {present} of its 4 tables); \
             move it away to start without it",
            path.display()
        )));
    }
    for (table, columns) in TABLES {
        let copied = tx
            .execute(
                &format!(
                    "INSERT INTO main.{table} ({columns}) SELECT {columns} FROM {SCHEMA}.{table}"
                ),
                [],
            )
            .map_err(backend_error)?;
        tracing::info!(table, rows = copied, "imported v0.1 S3 metadata");
    }
    tx.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [MARKER, &path.display().to_string()],
    )
    .map_err(backend_error)?;
    Ok(())
}

/// After the migration committed: moves an imported file (and any WAL files beside it) out
/// of the way; warns about a file that was never imported.
pub(super) fn retire(conn: &Connection, path: Option<&Path>) -> Result<()> {
    let Some(path) = path.filter(|p| p.is_file()) else {
        return Ok(());
    };
    let imported: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [MARKER],
            |row| row.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })
        .map_err(backend_error)?;
    if imported.is_none() {
        tracing::warn!(
            file = %path.display(),
            "ignoring an S3 metadata file this database never imported (it already has its own S3 tables)"
        );
        return Ok(());
    }
    let retired = retired_path(path);
    for suffix in ["", "-wal", "-shm"] {
        let mut from = path.as_os_str().to_owned();
        from.push(suffix);
        let mut to = retired.as_os_str().to_owned();
        to.push(suffix);
        match std::fs::rename(&from, &to) {
            Ok(()) => {}
            // Another process starting on the same directory may have moved it first.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            // The data is migrated already; a file left in place is harmless (and reported).
            Err(e) => {
                tracing::warn!(error = %e, file = %path.display(), "cannot rename the imported v0.1 S3 metadata file");
                return Ok(());
            }
        }
    }
    tracing::info!(
        from = %path.display(),
        to = %retired.display(),
        "v0.1 S3 metadata imported; the old file is kept as a backup"
    );
    Ok(())
}
