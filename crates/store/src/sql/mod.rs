//! The IAM domain logic, written once against a minimal transaction interface ([`Tx`]) that
//! both SQL backends implement (the S3 metadata logic in [`crate::s3::sql`] uses it too).
//!
//! Why one implementation: every limit, conflict and ordering rule must behave identically on
//! SQLite and PostgreSQL, and the conformance suite proves it. The logic modules speak a
//! common SQL subset (`$n` placeholders, `ON CONFLICT`, row-value comparisons, `CAST`) and
//! never branch on the backend; dialect differences live in the schema templates and in each
//! backend's parameter binding.

/// Builds a `[Val; N]` from expressions convertible with `Val::from`.
macro_rules! params {
    ($($e:expr),* $(,)?) => { [$($crate::sql::Val::from($e)),*] };
}

/// `?` for the inner refusal of an [`OrgResult`](crate::org::OrgResult): the value, or an
/// early `Ok(Err(fault))` from the calling function, before anything is written.
macro_rules! or_fault {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(f) => return Ok(Err(f)),
        }
    };
}

pub(crate) mod account_settings;
pub(crate) mod accounts;
pub(crate) mod attachments;
pub(crate) mod audit;
pub(crate) mod authz;
pub(crate) mod entities;
pub(crate) mod groups;
pub(crate) mod inline;
pub(crate) mod instance_profiles;
pub(crate) mod keys;
pub(crate) mod login_profiles;
pub(crate) mod mfa;
pub(crate) mod org_policies;
pub(crate) mod organizations;
pub(crate) mod paging;
pub(crate) mod policies;
pub(crate) mod roles;
pub(crate) mod schema;
pub(crate) mod tags;
pub(crate) mod user_credentials;
pub(crate) mod users;
pub(crate) mod value;

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;

use crate::error::{Quota, Result, StoreError};

pub(crate) use value::{Row, Val};

/// A boxed `Send` future borrowing for `'a`.
pub(crate) type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A unit of work run inside one transaction. It may be called again (with a fresh
/// transaction) when the backend reports a serialization conflict, so it must not have side
/// effects outside the transaction.
pub(crate) type TxFn<T> =
    Box<dyn for<'a> FnMut(&'a mut dyn Tx) -> BoxFut<'a, Result<T>> + Send + 'static>;

/// Boxes a closure as a [`TxFn`]; going through this function lets the compiler infer the
/// closure's higher-ranked signature.
pub(crate) fn tx_fn<T, F>(f: F) -> TxFn<T>
where
    F: for<'a> FnMut(&'a mut dyn Tx) -> BoxFut<'a, Result<T>> + Send + 'static,
{
    Box::new(f)
}

/// One open transaction. Statements use `$1…$n` placeholders.
#[async_trait]
pub(crate) trait Tx: Send {
    async fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>>;
    async fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64>;

    /// Whether one statement inserting many rows beats one statement a row. True over a
    /// network (PostgreSQL: one round trip instead of many); SQLite has no round trips, and
    /// a many-row statement there keeps a statement journal of every page it touches.
    fn batches_rows(&self) -> bool {
        true
    }
}

impl dyn Tx + '_ {
    pub(crate) async fn query_opt(&mut self, sql: &str, params: &[Val]) -> Result<Option<Row>> {
        Ok(self.query(sql, params).await?.into_iter().next())
    }

    pub(crate) async fn query_one(&mut self, sql: &str, params: &[Val]) -> Result<Row> {
        self.query_opt(sql, params)
            .await?
            .ok_or_else(|| StoreError::Backend("query returned no row".into()))
    }

    /// Runs a `SELECT COUNT(*)`-like query returning one integer.
    pub(crate) async fn count(&mut self, sql: &str, params: &[Val]) -> Result<u32> {
        self.query_one(sql, params).await?.u32(0)
    }

    /// Fails with `LimitExceeded { quota, limit }` unless the count query leaves room for one
    /// more item.
    pub(crate) async fn ensure_room(
        &mut self,
        count_sql: &str,
        params: &[Val],
        quota: Quota,
        limit: u32,
    ) -> Result<()> {
        if self.count(count_sql, params).await? >= limit {
            return Err(StoreError::LimitExceeded { quota, limit });
        }
        Ok(())
    }

    pub(crate) async fn exists(&mut self, sql: &str, params: &[Val]) -> Result<bool> {
        Ok(self.query_opt(sql, params).await?.is_some())
    }
}

/// A database engine able to run [`TxFn`]s: read-write ones serialized against each other (or
/// retried on conflict), read-only ones on a consistent snapshot.
#[async_trait]
pub(crate) trait Backend: Send + Sync + 'static {
    /// A write that may change an authorization decision: it also increments the change
    /// counter in the same transaction (see [`crate::generation`]).
    async fn write<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T>;
    /// A write no authorization decision depends on (object data, last-used records): the
    /// change counter is left alone, so the authorization caches stay warm.
    async fn write_untracked<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T>;
    async fn read<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T>;
    /// A read that is one statement: a single statement always sees one snapshot, so the
    /// backend may run it without an explicit transaction (saving the BEGIN and COMMIT).
    /// `f` runs over a [`SingleStatement`] guard and fails if it issues a second statement.
    async fn read_single<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T>;
    /// A [`Backend::read_single`] that looks up rows by key (an object, a bucket): short
    /// enough that a backend may run it on the calling task when it can do so at once,
    /// rather than handing it to another thread and back.
    async fn read_point<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        self.read_single(f).await
    }
    /// A write to the audit log (untracked). A backend may keep the log apart, as SQLite
    /// does (its own file and writer), so that event inserts never queue behind the writes
    /// requests wait for.
    async fn log_write<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        self.write_untracked(f).await
    }
    /// A read of the audit log, from wherever [`Backend::log_write`] puts it.
    async fn log_read<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        self.read(f).await
    }
}

/// A [`Tx`] that lets one statement through and fails on any further one: the guard of
/// [`Backend::read_single`], whose snapshot covers one statement only.
pub(crate) struct SingleStatement<'a> {
    inner: &'a mut dyn Tx,
    used: bool,
}

impl<'a> SingleStatement<'a> {
    pub(crate) fn new(inner: &'a mut dyn Tx) -> SingleStatement<'a> {
        SingleStatement { inner, used: false }
    }

    fn take(&mut self) -> Result<()> {
        if std::mem::replace(&mut self.used, true) {
            return Err(StoreError::Backend(
                "single-statement read issued a second statement".into(),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl Tx for SingleStatement<'_> {
    async fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>> {
        self.take()?;
        self.inner.query(sql, params).await
    }

    async fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64> {
        self.take()?;
        self.inner.execute(sql, params).await
    }
}
