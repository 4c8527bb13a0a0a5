//! [`Store`]: the one storage API of the server. IAM records and S3 metadata live in one
//! database with one schema, and every method runs as one transaction on one connection
//! pool, whichever engine holds the data.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::error::Result;
use crate::generation::{self, Generation};
use crate::keyring::KeyRing;
use crate::model::Quotas;
use crate::postgres::PostgresBackend;
use crate::sql::{Backend, TxFn, tx_fn};
use crate::sqlite::SqliteBackend;

/// Runs `$body` (an async expression using the transaction `$tx` and, optionally, the quotas
/// `$q`) as a read or write transaction. The listed arguments are turned into owned values
/// moved into the transaction closure, which may run more than once.
macro_rules! run {
    ($self:ident . $mode:ident, [$($arg:ident),*], |$tx:ident| $body:expr) => {{
        $(let $arg = $arg.to_owned();)*
        $self.timed(stringify!($mode), $self.backend.$mode(tx_fn(move |$tx| {
            $(let $arg = $arg.clone();)*
            Box::pin(async move { $body.await })
        }))).await
    }};
    ($self:ident . $mode:ident, [$($arg:ident),*], |$tx:ident, $q:ident| $body:expr) => {{
        $(let $arg = $arg.to_owned();)*
        let $q = std::sync::Arc::clone(&$self.quotas);
        $self.timed(stringify!($mode), $self.backend.$mode(tx_fn(move |$tx| {
            $(let $arg = $arg.clone();)*
            let $q = std::sync::Arc::clone(&$q);
            Box::pin(async move { $body.await })
        }))).await
    }};
}

/// Declares [`Store`] methods that are one transaction each, one entry per method:
///
/// ```text
/// /// docs
/// read fn get_user(account_id: &str, name: &str) -> User = |tx| users::get(tx, &account_id, &name);
/// write fn create_user(user: NewUser) -> User = |tx, q| users::create(tx, &q, &user);
/// ```
///
/// `read`/`write` picks the transaction kind; the closure names the transaction and,
/// optionally, the quotas, as in `run!`. Each becomes
/// `pub async fn name(&self, args…) -> Result<T>`: the typed API stays one line per
/// operation, and the plumbing (owned copies of the arguments, retry-safe closure, timing)
/// is written once.
///
/// Two optional parts: `arg: Option<&str> => arg.map(str::to_owned)` says how to own an
/// argument `to_owned` cannot (the closure outlives the call), and `-> T as MetaError`
/// returns `Result<T, MetaError>` (S3's error type) instead of the store's `Result<T>`.
macro_rules! store_api {
    ($(
        $(#[$meta:meta])*
        $mode:ident fn $name:ident($($arg:ident: $ty:ty $(=> $owned:expr)?),* $(,)?) -> $ret:ty
            $(as $err:ty)? = |$tx:ident $(, $q:ident)?| $body:expr;
    )*) => {
        impl Store {
            $(
                store_api!(@method [$(#[$meta])*] $mode $name
                    [$($arg: $ty $(=> $owned)?),*] [$ret] [$($err)?] |$tx $(, $q)?| $body);
            )*
        }
    };
    (@method [$($attr:tt)*] $mode:ident $name:ident
        [$($arg:ident: $ty:ty $(=> $owned:expr)?),*] [$ret:ty] [$($err:ty)?] |$tx:ident $(, $q:ident)?| $body:expr) => {
        $($attr)*
        pub async fn $name(&self, $($arg: $ty),*)
            -> std::result::Result<$ret, store_api!(@error $($err)?)> {
            $($(let $arg = $owned;)?)*
            Ok(run!(self.$mode, [$($arg),*], |$tx $(, $q)?| $body)?)
        }
    };
    (@error) => { crate::error::StoreError };
    (@error $err:ty) => { $err };
}

mod account_settings;
mod audit;
mod federation;
mod iam;
mod instance_profiles;
mod login_profiles;
mod mfa;
mod organizations;
mod s3;
mod secrets;
mod server_certs;
mod trails;
mod user_credentials;

/// IAM accounts, users, keys, roles, groups and policies, and S3 buckets, objects and
/// multipart uploads, in SQLite ([`Store::open`]) or PostgreSQL ([`Store::connect`]).
/// Shared as `Arc<Store>` by the IAM and S3 fronts.
pub struct Store {
    backend: Engine,
    keyring: Arc<KeyRing>,
    quotas: Arc<Quotas>,
    observer: OnceLock<StoreObserver>,
    generation: Arc<Generation>,
}

/// Told the kind (`read` or `write`) and duration of every transaction, for the server's
/// store-latency metric; the store itself stays free of any metrics library.
pub type StoreObserver = Arc<dyn Fn(&'static str, Duration) + Send + Sync>;

/// The engine behind a [`Store`]: an enum rather than a type parameter, so the server and
/// the domain crates name one concrete type whatever the configuration.
pub(crate) enum Engine {
    Sqlite(SqliteBackend),
    Postgres(PostgresBackend),
}

impl Store {
    pub(crate) fn new(backend: Engine, keyring: Arc<KeyRing>, quotas: Quotas) -> Store {
        let generation = match &backend {
            Engine::Sqlite(b) => Arc::clone(b.generation()),
            Engine::Postgres(b) => Arc::clone(b.generation()),
        };
        Store {
            backend,
            keyring,
            quotas: Arc::new(quotas),
            observer: OnceLock::new(),
            generation,
        }
    }

    /// Installs the observer of transaction latencies; the first one installed stays.
    pub fn observe_with(&self, observer: StoreObserver) {
        let _ = self.observer.set(observer);
    }

    /// Runs one transaction and reports its duration (queueing for a connection included,
    /// which is what a request waits for).
    async fn timed<T>(
        &self,
        mode: &'static str,
        transaction: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        let Some(observer) = self.observer.get() else {
            return transaction.await;
        };
        let started = Instant::now();
        let result = transaction.await;
        let kind = if mode.contains("write") {
            "write"
        } else {
            "read"
        };
        observer(kind, started.elapsed());
        result
    }

    /// This node's view of the change counter, which the authorization caches are keyed by
    /// (see [`crate::generation`]).
    pub fn generation(&self) -> &Arc<Generation> {
        &self.generation
    }

    /// The change counter as committed in the database.
    pub async fn change_counter(&self) -> Result<u64> {
        run!(self.read_single, [], |tx| generation::read(tx))
    }

    /// Keeps [`Store::generation`] current with changes made by other nodes of a PostgreSQL
    /// cluster: a `LISTEN` connection that hears each commit at once, and a poll of the
    /// counter every [`generation::POLL_INTERVAL`] (which also proves the database
    /// reachable). On SQLite other processes publish through the counter file instead, and
    /// nothing needs to run. The tasks end when the store is dropped. Call once, inside a
    /// tokio runtime.
    pub fn watch_changes(self: &Arc<Self>) {
        let Engine::Postgres(pg) = &self.backend else {
            return;
        };
        let (url, schema) = pg.listen_target();
        tokio::spawn(crate::postgres::listen::run(
            url,
            schema,
            Arc::downgrade(pg.generation()),
        ));
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(generation::POLL_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut healthy = true;
            loop {
                tick.tick().await;
                let Some(store) = weak.upgrade() else {
                    return;
                };
                let sent = store.generation.clock_ms();
                let read =
                    tokio::time::timeout(generation::STALE_AFTER, store.change_counter()).await;
                match read {
                    Ok(Ok(value)) => {
                        store.generation.checked(value, sent);
                        if !healthy {
                            tracing::info!("change counter readable again");
                        }
                        healthy = true;
                    }
                    Ok(Err(e)) => {
                        if healthy {
                            tracing::warn!(error = %e, "cannot read the change counter; authorization caches are bypassed");
                        }
                        healthy = false;
                    }
                    Err(_) => {
                        if healthy {
                            tracing::warn!(
                                "change counter read timed out; authorization caches are bypassed"
                            );
                        }
                        healthy = false;
                    }
                }
            }
        });
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

    async fn write_untracked<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        match self {
            Engine::Sqlite(b) => b.write_untracked(f).await,
            Engine::Postgres(b) => b.write_untracked(f).await,
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

    async fn read_point<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        match self {
            Engine::Sqlite(b) => b.read_point(f).await,
            Engine::Postgres(b) => b.read_point(f).await,
        }
    }

    async fn log_write<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        match self {
            Engine::Sqlite(b) => b.log_write(f).await,
            Engine::Postgres(b) => b.log_write(f).await,
        }
    }

    async fn log_read<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        match self {
            Engine::Sqlite(b) => b.log_read(f).await,
            Engine::Postgres(b) => b.log_read(f).await,
        }
    }
}
