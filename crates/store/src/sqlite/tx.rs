//! [`Tx`] over a rusqlite connection, and the bridge that runs async domain logic on it.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use async_trait::async_trait;
use rusqlite::Connection;
use rusqlite::types::{ToSql, ToSqlOutput, ValueRef};

use crate::error::{Result, StoreError};
use crate::generation;
use crate::sql::value::format_text_time;
use crate::sql::{Row, SingleStatement, Tx, TxFn, Val};

pub(super) fn backend_error(e: rusqlite::Error) -> StoreError {
    // rusqlite errors carry SQLite's message and never bound parameter values.
    StoreError::Backend(format!("sqlite: {e}"))
}

impl ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Val::Null => ToSqlOutput::from(rusqlite::types::Null),
            Val::Int(v) => ToSqlOutput::from(*v),
            Val::Text(s) => ToSqlOutput::from(s.as_str()),
            Val::Time(t) => ToSqlOutput::from(format_text_time(t)),
            Val::Bytes(b) => ToSqlOutput::from(b.as_ref()),
        })
    }
}

fn value_from(v: ValueRef<'_>) -> Result<Val> {
    match v {
        ValueRef::Null => Ok(Val::Null),
        ValueRef::Integer(i) => Ok(Val::Int(i)),
        ValueRef::Text(bytes) => String::from_utf8(bytes.to_vec())
            .map(Val::Text)
            .map_err(|_| StoreError::corrupt("non-UTF-8 text column")),
        ValueRef::Blob(bytes) => Ok(Val::Bytes(bytes::Bytes::copy_from_slice(bytes))),
        ValueRef::Real(_) => Err(StoreError::corrupt("unexpected real column")),
    }
}

/// The shared SQL uses PostgreSQL's `$n`; SQLite's numbered form is `?n`.
fn placeholders(sql: &str) -> String {
    sql.replace('$', "?")
}

struct SqliteTx<'c> {
    conn: &'c mut Connection,
}

#[async_trait]
impl Tx for SqliteTx<'_> {
    async fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>> {
        let mut stmt = self
            .conn
            .prepare_cached(&placeholders(sql))
            .map_err(backend_error)?;
        let columns = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter()))
            .map_err(backend_error)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(backend_error)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(value_from(row.get_ref(i).map_err(backend_error)?)?);
            }
            out.push(Row(values));
        }
        Ok(out)
    }

    async fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64> {
        let mut stmt = self
            .conn
            .prepare_cached(&placeholders(sql))
            .map_err(backend_error)?;
        let changed = stmt
            .execute(rusqlite::params_from_iter(params.iter()))
            .map_err(backend_error)?;
        Ok(changed as u64)
    }

    fn batches_rows(&self) -> bool {
        false
    }
}

/// Polls a future that must complete without waiting. Everything the domain logic awaits on a
/// [`SqliteTx`] is synchronous work, so its future is ready on the first poll; a `Pending`
/// would mean a logic bug, reported as an error rather than a hang.
fn complete_now<F: Future>(future: F) -> Result<F::Output> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => Ok(output),
        Poll::Pending => Err(StoreError::Backend(
            "sqlite transaction logic awaited something other than the database".into(),
        )),
    }
}

/// Runs one statement through the connection's statement cache.
fn run_cached(conn: &Connection, sql: &str) -> Result<()> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.execute([]))
        .map(|_| ())
        .map_err(backend_error)
}

/// Runs `f` in a transaction opened with `begin`; commits on success, rolls back otherwise.
/// With `begin` `None`, `f` runs in autocommit mode behind a [`SingleStatement`] guard: one
/// statement is its own transaction.
pub(super) fn run_transaction<T>(
    conn: &mut Connection,
    begin: Option<&str>,
    mut f: TxFn<T>,
) -> Result<T> {
    let Some(begin) = begin else {
        let mut tx = SqliteTx { conn: &mut *conn };
        let mut single = SingleStatement::new(&mut tx);
        return complete_now(f(&mut single)).and_then(|r| r);
    };
    run_cached(conn, begin)?;
    let result = {
        let mut tx = SqliteTx { conn: &mut *conn };
        complete_now(f(&mut tx)).and_then(|r| r)
    };
    let result = result.and_then(|value| {
        run_cached(conn, "COMMIT")?;
        Ok(value)
    });
    if result.is_err()
        && !conn.is_autocommit()
        && let Err(e) = conn.execute_batch("ROLLBACK")
    {
        tracing::error!(error = %e, "sqlite rollback failed");
    }
    result
}

/// Runs `f` inside the open transaction (the group commit of [`super::group`]). When it
/// `shared` the transaction with other writes it runs under a savepoint, so a failure rolls
/// back only its own changes, exactly as if it had run in a transaction of its own; alone, a
/// failure rolls the whole transaction back. With `track`, the change counter is
/// incremented in the same write.
pub(super) fn run_savepoint<T>(
    conn: &mut Connection,
    mut f: TxFn<T>,
    track: bool,
    shared: bool,
) -> Result<(T, Option<u64>)> {
    if shared {
        run_cached(conn, "SAVEPOINT job")?;
    }
    let result = {
        let mut tx = SqliteTx { conn: &mut *conn };
        complete_now(f(&mut tx)).and_then(|r| r).and_then(|value| {
            if !track {
                return Ok((value, None));
            }
            let counter = complete_now(generation::bump(&mut tx)).and_then(|r| r)?;
            Ok((value, Some(counter)))
        })
    };
    let result = result.and_then(|value| {
        if shared {
            run_cached(conn, "RELEASE job")?;
        }
        Ok(value)
    });
    if result.is_err() && !conn.is_autocommit() {
        let undo = if shared {
            "ROLLBACK TO job; RELEASE job"
        } else {
            "ROLLBACK"
        };
        if let Err(e) = conn.execute_batch(undo) {
            tracing::error!(error = %e, "sqlite savepoint rollback failed");
        }
    }
    result
}

/// Runs one statement (`BEGIN IMMEDIATE`, `COMMIT`) through the statement cache.
pub(super) fn run_statement(conn: &Connection, sql: &str) -> Result<()> {
    run_cached(conn, sql)
}
