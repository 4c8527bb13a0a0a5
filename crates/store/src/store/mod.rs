//! [`Store`]: the one storage API of the server. IAM records and S3 metadata live in one
//! database with one schema, and every method runs as one transaction on one connection
//! pool, whichever engine holds the data.

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::Result;
use crate::keyring::KeyRing;
use crate::model::Quotas;
use crate::postgres::PostgresBackend;
use crate::sql::{Backend, TxFn};
use crate::sqlite::SqliteBackend;

/// Runs `$body` (an async expression using the transaction `$tx` and, optionally, the quotas
/// `$q`) as a read or write transaction. The listed arguments are turned into owned values
/// moved into the transaction closure, which may run more than once.
macro_rules! run {
    ($self:ident . $mode:ident, [$($arg:ident),*], |$tx:ident| $body:expr) => {{
        $(let $arg = $arg.to_owned();)*
        $self.backend.$mode(tx_fn(move |$tx| {
            $(let $arg = $arg.clone();)*
            Box::pin(async move { $body.await })
        })).await
    }};
    ($self:ident . $mode:ident, [$($arg:ident),*], |$tx:ident, $q:ident| $body:expr) => {{
        $(let $arg = $arg.to_owned();)*
        let $q = std::sync::Arc::clone(&$self.quotas);
        $self.backend.$mode(tx_fn(move |$tx| {
            $(let $arg = $arg.clone();)*
            let $q = std::sync::Arc::clone(&$q);
            Box::pin(async move { $body.await })
        })).await
    }};
}

mod audit;
mod iam;
mod s3;

/// IAM accounts, users, keys, roles, groups and policies, and S3 buckets, objects and
/// multipart uploads, in SQLite ([`Store::open`]) or PostgreSQL ([`Store::connect`]).
/// Shared as `Arc<Store>` by the IAM and S3 fronts.
pub struct Store {
    backend: Engine,
    keyring: Arc<KeyRing>,
    quotas: Arc<Quotas>,
}

/// The engine behind a [`Store`]: an enum rather than a type parameter, so the server and
/// the domain crates name one concrete type whatever the configuration.
pub(crate) enum Engine {
    Sqlite(SqliteBackend),
    Postgres(PostgresBackend),
}

impl Store {
    pub(crate) fn new(backend: Engine, keyring: Arc<KeyRing>, quotas: Quotas) -> Store {
        Store {
            backend,
            keyring,
            quotas: Arc::new(quotas),
        }
    }
}

#[async_trait]
impl Backend for Engine {
    async fn write<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        match self {
            Engine::Sqlite(b) => b.write(f).await,
            Engine::Postgres(b) => b.write(f).await,
        }
    }

    async fn read<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        match self {
            Engine::Sqlite(b) => b.read(f).await,
            Engine::Postgres(b) => b.read(f).await,
        }
    }

    async fn read_single<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        match self {
            Engine::Sqlite(b) => b.read_single(f).await,
            Engine::Postgres(b) => b.read_single(f).await,
        }
    }
}
