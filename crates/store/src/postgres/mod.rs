//! The PostgreSQL backend, for several stateless nodes sharing one database.
//!
//! - Write transactions run at `SERIALIZABLE`: the same count-then-insert logic that SQLite
//!   makes atomic by serializing writers is made atomic here by PostgreSQL's serializable
//!   snapshot isolation. A transaction that loses a race fails with a serialization error
//!   and is retried from the start (with jittered backoff), so two racing CreateAccessKey
//!   calls can never leave three keys. The same holds on CockroachDB/YugabyteDB, which are
//!   serializable by default.
//! - Read transactions run at `REPEATABLE READ, READ ONLY`: one consistent snapshot.
//! - A single-statement read (an access key by id) runs without an explicit transaction: one
//!   statement sees one snapshot, and it saves the BEGIN and COMMIT round trips. Point reads
//!   (an object's record on every GET) go further: they share two connections, on which
//!   concurrent reads are pipelined, rather than each holding a pooled connection.
//! - A pool of up to `pool_size` connections, each with its own prepared-statement cache.
//!   Only the first is opened at start (each costs PostgreSQL a backend process, a few
//!   milliseconds on a small machine); the others are opened the first time concurrency
//!   needs them, and a broken one is replaced on next use. A request waits for a permit of
//!   a semaphore sized to the pool and then takes the lowest free slot (first come, first
//!   served), rather than queueing on one particular connection, so an idle node keeps few
//!   connections open.
//! - An optional schema isolates a deployment (or a test run): it is created if absent and
//!   set as `search_path` on every connection.
//! - Connections are plain TCP (`NoTls`); use a local socket, a private network or a TLS
//!   sidecar until TLS support is added.

pub(crate) mod listen;
mod tx;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use async_trait::async_trait;
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard, Semaphore, SemaphorePermit};
use tokio_postgres::{Client, IsolationLevel, NoTls, Statement};

use crate::error::{Result, StoreError};
use crate::generation::{self, Generation};
use crate::keyring::KeyRing;
use crate::model::Quotas;
use crate::sql::{Backend, SingleStatement, Tx, TxFn, Val, schema};
use crate::store::{Engine, Store};

use self::tx::{PgTx, Statements, pg_error};

/// Attempts of a transaction that keeps losing serialization races before giving up with
/// [`StoreError::Conflict`].
const MAX_ATTEMPTS: u32 = 40;

/// Options of [`Store::connect`].
#[derive(Debug, Clone)]
pub struct PostgresConfig {
    /// `postgres://user[:password]@host:port/database` (libpq key=value strings work too).
    pub url: String,
    /// Schema holding the tables (created if absent); `None` uses the server's default
    /// `search_path`. Must match `[A-Za-z_][A-Za-z0-9_]*`.
    pub schema: Option<String>,
    /// Connections in the pool (at least 1; default 8, measured best of 4/8/16 at 32
    /// concurrent requests, see docs/performance.md "Storage read path").
    pub pool_size: usize,
    pub quotas: Quotas,
}

impl PostgresConfig {
    pub fn new(url: impl Into<String>) -> PostgresConfig {
        PostgresConfig {
            url: url.into(),
            schema: None,
            pool_size: 8,
            quotas: Quotas::default(),
        }
    }
}

struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// Point reads (an object's record, a bucket) share a few connections instead of taking a
/// pooled one each: one query is short, so pipelining them costs PostgreSQL fewer backend
/// wake-ups and system calls than as many connections each sending one query.
const SHARED_CONNECTIONS: usize = 2;

/// A connection the point reads share (see [`SHARED_CONNECTIONS`]).
struct SharedConn {
    client: Client,
    statements: std::sync::Mutex<HashMap<String, Statement>>,
}

/// A slot of a shared connection: `None` until first used.
#[derive(Default)]
struct SharedSlot {
    conn: ArcSwapOption<SharedConn>,
    connecting: Mutex<()>,
}

/// The PostgreSQL engine behind a [`Store`] opened with [`Store::connect`]: the one pool of
/// the process, serving IAM and S3 alike.
pub(crate) struct PostgresBackend {
    /// The pool's slots; `None` until first needed, or after its connection broke.
    conns: Vec<Mutex<Option<Conn>>>,
    /// One permit per slot: a holder always finds a slot unlocked.
    permits: Semaphore,
    shared: Vec<SharedSlot>,
    next_shared: AtomicUsize,
    url: String,
    schema: Option<String>,
    generation: Arc<Generation>,
}

impl Store {
    /// Connects the pool, creates the schema if asked, and migrates it to the latest version.
    /// Several nodes may start at once: migrations take a transaction-level advisory lock.
    pub async fn connect(config: PostgresConfig, keyring: Arc<KeyRing>) -> Result<Store> {
        if let Some(schema) = &config.schema {
            validate_schema_name(schema)?;
        }
        let conns: Vec<_> = (0..config.pool_size.max(1))
            .map(|_| Mutex::new(None))
            .collect();
        let backend = PostgresBackend {
            permits: Semaphore::new(conns.len()),
            conns,
            shared: (0..SHARED_CONNECTIONS)
                .map(|_| SharedSlot::default())
                .collect(),
            next_shared: AtomicUsize::new(0),
            url: config.url,
            schema: config.schema,
            generation: Arc::new(Generation::default()),
        };
        {
            let mut pooled = backend.acquire().await?;
            migrate(&mut pooled.conn.client, backend.schema.as_deref()).await?;
        }
        Ok(Store::new(
            Engine::Postgres(backend),
            keyring,
            config.quotas,
        ))
    }
}

fn validate_schema_name(schema: &str) -> Result<()> {
    let mut chars = schema.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && schema.len() <= 63;
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidInput(format!(
            "schema name {schema:?} must match [A-Za-z_][A-Za-z0-9_]* (at most 63 characters)"
        )))
    }
}

async fn connect(url: &str, schema: Option<&str>) -> Result<Conn> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(pg_error)?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "postgres connection closed");
        }
    });
    if let Some(schema) = schema {
        client
            .batch_execute(&format!("SET search_path TO \"{schema}\""))
            .await
            .map_err(pg_error)?;
    }
    Ok(Conn {
        client,
        statements: HashMap::new(),
    })
}

async fn migrate(client: &mut Client, schema: Option<&str>) -> Result<()> {
    let tx = client.transaction().await.map_err(pg_error)?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1))",
        &[&format!("hourglass-migrate:{}", schema.unwrap_or(""))],
    )
    .await
    .map_err(pg_error)?;
    if let Some(schema) = schema {
        // Created here, under the lock, so nodes starting together do not race on it; the
        // search_path set at connect time already names it.
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
            .await
            .map_err(pg_error)?;
    }
    tx.batch_execute(schema::CREATE_VERSION_TABLE)
        .await
        .map_err(pg_error)?;
    let current: Option<i64> = tx
        .query_one(schema::CURRENT_VERSION, &[])
        .await
        .map_err(pg_error)?
        .try_get(0)
        .map_err(pg_error)?;
    let current = current.unwrap_or(0);
    let pending = schema::pending(current)?;
    let [clear_version, record_version] = schema::RECORD_VERSION;
    for (version, template) in pending {
        tx.batch_execute(&schema::render(template, &schema::POSTGRES))
            .await
            .map_err(pg_error)?;
        tx.execute(clear_version, &[]).await.map_err(pg_error)?;
        tx.execute(record_version, &[version])
            .await
            .map_err(pg_error)?;
        tracing::info!(version, "applied postgres schema migration");
    }
    tx.commit().await.map_err(pg_error)
}

/// A connection taken from the pool; the lock is released before the permit (field order).
struct Pooled<'a> {
    conn: MappedMutexGuard<'a, Conn>,
    _permit: SemaphorePermit<'a>,
}

impl PostgresBackend {
    /// Waits for a free slot (first come, first served), the lowest first so that the
    /// connections already open are reused; opens the slot's connection if it has none yet
    /// or the server closed it.
    async fn acquire(&self) -> Result<Pooled<'_>> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Backend("postgres pool closed".into()))?;
        let free = self.conns.iter().find_map(|slot| slot.try_lock().ok());
        let mut slot = match free {
            Some(guard) => guard,
            // Unreachable while every lock is taken under a permit; wait rather than fail.
            None => match self.conns.first() {
                Some(slot) => slot.lock().await,
                None => return Err(StoreError::Backend("empty connection pool".into())),
            },
        };
        if slot.as_ref().is_some_and(|c| c.client.is_closed()) {
            tracing::info!("reconnecting to postgres");
            *slot = None;
        }
        if slot.is_none() {
            *slot = Some(connect(&self.url, self.schema.as_deref()).await?);
        }
        let conn = MutexGuard::try_map(slot, Option::as_mut)
            .map_err(|_| StoreError::Backend("postgres connection slot empty".into()))?;
        Ok(Pooled {
            conn,
            _permit: permit,
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: TxFn<T>,
        isolation: IsolationLevel,
        read_only: bool,
    ) -> Result<T> {
        self.run_counted(f, isolation, read_only, false).await
    }

    /// As [`PostgresBackend::run`]; with `track`, the change counter is incremented and a
    /// notification queued in the same transaction (PostgreSQL delivers it at commit), and
    /// the new value is observed before returning.
    async fn run_counted<T: Send + 'static>(
        &self,
        mut f: TxFn<T>,
        isolation: IsolationLevel,
        read_only: bool,
        track: bool,
    ) -> Result<T> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = {
                let mut pooled = self.acquire().await?;
                let Conn { client, statements } = &mut *pooled.conn;
                let tx = client
                    .build_transaction()
                    .isolation_level(isolation)
                    .read_only(read_only)
                    .start()
                    .await
                    .map_err(pg_error)?;
                let mut pg = PgTx {
                    client: &tx,
                    statements: Statements::Held(statements),
                };
                let mut result = f(&mut pg).await.map(|value| (value, None));
                if track && let Ok((_, counter)) = &mut result {
                    match self.bump(&mut pg).await {
                        Ok(c) => *counter = Some(c),
                        Err(e) => result = Err(e),
                    }
                }
                match result {
                    Ok((value, counter)) => tx.commit().await.map_err(pg_error).map(|()| {
                        if let Some(c) = counter {
                            self.generation.observe(c);
                        }
                        value
                    }),
                    Err(e) => {
                        // Dropping the transaction also rolls back; doing it explicitly
                        // returns the connection clean before the next use.
                        let _ = tx.rollback().await;
                        Err(e)
                    }
                }
            };
            match result {
                Err(StoreError::Conflict) if attempt < MAX_ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }

    async fn bump(&self, tx: &mut dyn Tx) -> Result<u64> {
        let counter = generation::bump(tx).await?;
        let payload = format!("{}:{counter}", self.schema.as_deref().unwrap_or(""));
        tx.execute(
            "SELECT pg_notify($1, $2)",
            &[Val::from(generation::CHANNEL), Val::from(payload)],
        )
        .await?;
        Ok(counter)
    }

    pub(crate) fn generation(&self) -> &Arc<Generation> {
        &self.generation
    }

    /// Where the change listener connects (see [`listen`]).
    pub(crate) fn listen_target(&self) -> (String, Option<String>) {
        (self.url.clone(), self.schema.clone())
    }

    /// Runs `f`, limited to one statement, in autocommit mode. A read never loses a
    /// serialization race, so there is nothing to retry.
    async fn run_single<T: Send + 'static>(&self, mut f: TxFn<T>) -> Result<T> {
        let mut pooled = self.acquire().await?;
        let Conn { client, statements } = &mut *pooled.conn;
        let mut pg = PgTx {
            client: &*client,
            statements: Statements::Held(statements),
        };
        f(&mut SingleStatement::new(&mut pg)).await
    }

    /// Runs a point read on one of the shared connections, where concurrent point reads
    /// are pipelined (tokio-postgres sends each query as soon as it is issued and matches
    /// the answers in order) instead of each waiting for a pooled connection of its own.
    async fn run_point<T: Send + 'static>(&self, mut f: TxFn<T>) -> Result<T> {
        let conn = self.shared_connection().await?;
        let mut pg = PgTx {
            client: &conn.client,
            statements: Statements::Shared(&conn.statements),
        };
        f(&mut SingleStatement::new(&mut pg)).await
    }

    /// The next shared connection (round robin), opened on first use and replaced once the
    /// server closed it; one task reconnects while the others wait for it.
    async fn shared_connection(&self) -> Result<Arc<SharedConn>> {
        let n = self.shared.len().max(1);
        let i = self.next_shared.fetch_add(1, Ordering::Relaxed) % n;
        let Some(slot) = self.shared.get(i) else {
            return Err(StoreError::Backend("no shared postgres connection".into()));
        };
        let usable = |c: &Option<Arc<SharedConn>>| c.clone().filter(|c| !c.client.is_closed());
        if let Some(conn) = usable(&slot.conn.load_full()) {
            return Ok(conn);
        }
        let _connecting = slot.connecting.lock().await;
        if let Some(conn) = usable(&slot.conn.load_full()) {
            return Ok(conn);
        }
        let Conn { client, statements } = connect(&self.url, self.schema.as_deref()).await?;
        let conn = Arc::new(SharedConn {
            client,
            statements: std::sync::Mutex::new(statements),
        });
        slot.conn.store(Some(Arc::clone(&conn)));
        Ok(conn)
    }
}

/// Jittered exponential backoff: up to 1 ms, 2 ms, 4 ms, … capped at 64 ms.
fn backoff(attempt: u32) -> Duration {
    let ceiling = 1u64 << attempt.min(6);
    Duration::from_micros(rand::random_range(0..ceiling * 1000))
}

#[async_trait]
impl Backend for PostgresBackend {
    async fn write<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        self.run_counted(f, IsolationLevel::Serializable, false, true)
            .await
    }

    async fn write_untracked<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        self.run(f, IsolationLevel::Serializable, false).await
    }

    async fn read<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        self.run(f, IsolationLevel::RepeatableRead, true).await
    }

    async fn read_single<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        self.run_single(f).await
    }

    async fn read_point<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        self.run_point(f).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names() {
        for ok in ["hg", "_t1", "hourglass_test_123"] {
            assert!(validate_schema_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1a", "a-b", "a\"b", "a;drop", &"x".repeat(64)] {
            assert!(validate_schema_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn backoff_is_bounded() {
        for attempt in 1..50 {
            assert!(backoff(attempt) < Duration::from_millis(65));
        }
    }
}
