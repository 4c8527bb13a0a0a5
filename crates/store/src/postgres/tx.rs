//! [`Tx`] over a tokio-postgres transaction: parameter binding by the prepared statement's
//! declared types, row decoding, and error classification.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{GenericClient, Statement};

use crate::error::{Result, StoreError};
use crate::sql::{Row, Tx, Val};

/// Prepared statements kept per connection before the cache is reset (the SQL text varies
/// only with the number of `IN` placeholders and optional filters, so this is rarely hit).
const STATEMENT_CACHE_LIMIT: usize = 512;

/// Maps a driver error. Serialization failures, deadlocks and unique violations raced by a
/// concurrent transaction become [`StoreError::Conflict`], which the backend retries; the
/// retried logic then sees the winner's row and answers precisely (e.g. `AlreadyExists`).
/// Only the server's primary message is kept: its DETAIL may echo row contents.
pub(super) fn pg_error(e: tokio_postgres::Error) -> StoreError {
    match e.code() {
        Some(code)
            if *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
                || *code == SqlState::UNIQUE_VIOLATION =>
        {
            StoreError::Conflict
        }
        _ => match e.as_db_error() {
            Some(db) => {
                StoreError::Backend(format!("postgres {}: {}", db.code().code(), db.message()))
            }
            None => StoreError::Backend(format!("postgres: {e}")),
        },
    }
}

type Param = Box<dyn ToSql + Sync + Send>;

/// PostgreSQL keeps microseconds and rounds; truncating first makes both backends agree.
fn micros(t: &DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

fn bind(value: &Val, ty: &Type) -> Result<Param> {
    let mismatch = || {
        StoreError::Backend(format!(
            "cannot bind {value_kind} to a {ty} parameter",
            value_kind = match value {
                Val::Null => "NULL",
                Val::Int(_) => "an integer",
                Val::Text(_) => "text",
                Val::Time(_) => "a timestamp",
                Val::Bytes(_) => "bytes",
            }
        ))
    };
    let int_range = |v: i64| StoreError::Backend(format!("integer {v} out of range for {ty}"));
    Ok(match (value, ty) {
        (Val::Null, &Type::INT8) => Box::new(None::<i64>),
        (Val::Null, &Type::INT4) => Box::new(None::<i32>),
        (Val::Null, &Type::INT2) => Box::new(None::<i16>),
        (Val::Null, &Type::TIMESTAMPTZ) => Box::new(None::<DateTime<Utc>>),
        (Val::Null, &Type::BYTEA) => Box::new(None::<Vec<u8>>),
        (Val::Null, _) => Box::new(None::<String>),
        (Val::Int(v), &Type::INT8) => Box::new(*v),
        (Val::Int(v), &Type::INT4) => Box::new(i32::try_from(*v).map_err(|_| int_range(*v))?),
        (Val::Int(v), &Type::INT2) => Box::new(i16::try_from(*v).map_err(|_| int_range(*v))?),
        (Val::Text(s), &Type::TEXT | &Type::VARCHAR | &Type::NAME | &Type::BPCHAR) => {
            Box::new(s.clone())
        }
        (Val::Time(t), &Type::TIMESTAMPTZ) => Box::new(micros(t)),
        (Val::Bytes(b), &Type::BYTEA) => Box::new(b.to_vec()),
        _ => return Err(mismatch()),
    })
}

fn decode(row: &tokio_postgres::Row, i: usize) -> Result<Val> {
    let ty = row.columns().get(i).map(|c| c.type_().clone());
    let corrupt = |e: tokio_postgres::Error| StoreError::corrupt(format!("column {i}: {e}"));
    Ok(match ty {
        Some(Type::INT8) => row
            .try_get::<_, Option<i64>>(i)
            .map_err(corrupt)?
            .map_or(Val::Null, Val::Int),
        Some(Type::INT4) => row
            .try_get::<_, Option<i32>>(i)
            .map_err(corrupt)?
            .map_or(Val::Null, |v| Val::Int(i64::from(v))),
        Some(Type::INT2) => row
            .try_get::<_, Option<i16>>(i)
            .map_err(corrupt)?
            .map_or(Val::Null, |v| Val::Int(i64::from(v))),
        Some(Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR) => row
            .try_get::<_, Option<String>>(i)
            .map_err(corrupt)?
            .map_or(Val::Null, Val::Text),
        Some(Type::BYTEA) => row
            .try_get::<_, Option<Vec<u8>>>(i)
            .map_err(corrupt)?
            .map_or(Val::Null, |v| Val::Bytes(bytes::Bytes::from(v))),
        Some(Type::TIMESTAMPTZ) => row
            .try_get::<_, Option<DateTime<Utc>>>(i)
            .map_err(corrupt)?
            .map_or(Val::Null, Val::Time),
        other => {
            return Err(StoreError::corrupt(format!(
                "column {i}: unsupported type {other:?}"
            )));
        }
    })
}

/// A connection's prepared statements: its own while a pooled connection is held, or
/// shared by the point reads pipelined on one connection (locked only to look up or insert).
pub(super) enum Statements<'a> {
    Held(&'a mut HashMap<String, Statement>),
    Shared(&'a Mutex<HashMap<String, Statement>>),
}

impl Statements<'_> {
    fn get(&mut self, sql: &str) -> Option<Statement> {
        match self {
            Statements::Held(map) => map.get(sql).cloned(),
            Statements::Shared(map) => lock(map).get(sql).cloned(),
        }
    }

    fn insert(&mut self, sql: &str, stmt: Statement) {
        let mut shared;
        let map = match self {
            Statements::Held(map) => &mut **map,
            Statements::Shared(map) => {
                shared = lock(map);
                &mut *shared
            }
        };
        if map.len() >= STATEMENT_CACHE_LIMIT {
            map.clear();
        }
        map.insert(sql.to_owned(), stmt);
    }
}

/// A poisoned cache is still a valid cache (a panic cannot leave a half-inserted entry).
fn lock(map: &Mutex<HashMap<String, Statement>>) -> MutexGuard<'_, HashMap<String, Statement>> {
    map.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Statements over a transaction, or over the bare connection for a single-statement read.
pub(super) struct PgTx<'a, C> {
    pub(super) client: &'a C,
    pub(super) statements: Statements<'a>,
}

impl<C: GenericClient + Sync> PgTx<'_, C> {
    async fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(stmt) = self.statements.get(sql) {
            return Ok(stmt);
        }
        // Two point reads may prepare the same text at once on a shared connection; both
        // statements are valid and the second insert simply replaces the first.
        let stmt = self.client.prepare(sql).await.map_err(pg_error)?;
        self.statements.insert(sql, stmt.clone());
        Ok(stmt)
    }

    async fn bound(&mut self, sql: &str, params: &[Val]) -> Result<(Statement, Vec<Param>)> {
        let stmt = self.statement(sql).await?;
        if stmt.params().len() != params.len() {
            return Err(StoreError::Backend(format!(
                "statement expects {} parameters, got {}",
                stmt.params().len(),
                params.len()
            )));
        }
        let bound = params
            .iter()
            .zip(stmt.params())
            .map(|(v, ty)| bind(v, ty))
            .collect::<Result<Vec<_>>>()?;
        Ok((stmt, bound))
    }
}

fn refs(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

#[async_trait]
impl<C: GenericClient + Sync> Tx for PgTx<'_, C> {
    async fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>> {
        let (stmt, bound) = self.bound(sql, params).await?;
        let rows = self
            .client
            .query(&stmt, &refs(&bound))
            .await
            .map_err(pg_error)?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| decode(row, i))
                    .collect::<Result<Vec<_>>>()
                    .map(Row)
            })
            .collect()
    }

    async fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64> {
        let (stmt, bound) = self.bound(sql, params).await?;
        self.client
            .execute(&stmt, &refs(&bound))
            .await
            .map_err(pg_error)
    }
}
