//! The embedded SQLite backend: one file (`DATA_DIR/hourglass.db`) for IAM and S3 metadata,
//! and the audit log in a file of its own (`DATA_DIR/hourglass-audit.db`, see [`audit_log`]).
//!
//! - One writer connection behind a mutex: SQLite allows one writer at a time anyway, and
//!   serializing writes in-process makes every limit check trivially atomic. Writes start with
//!   `BEGIN IMMEDIATE`, so another process on the same file waits (busy timeout) instead of
//!   failing half-way.
//! - A small pool of reader connections: in WAL mode readers never block the writer, and a
//!   read transaction sees one consistent snapshot. A read first takes a permit of a
//!   semaphore sized to the pool (asynchronously, before `spawn_blocking`), so at most
//!   `read_connections` reads run at once and each finds a pooled connection: connections
//!   are opened once and never beyond the pool size. The pool's lock is held only to take
//!   or return a connection.
//! - rusqlite is synchronous, so every transaction runs on `spawn_blocking`.
//! - Every statement, including `BEGIN`/`COMMIT`, goes through the connection's
//!   prepared-statement cache ([`STATEMENT_CACHE`] entries).
//! - `synchronous = FULL`: an IAM change acknowledged to a client (a new access key, a
//!   detached policy) must survive a power cut, not just a process crash (NORMAL in WAL mode
//!   may lose the last commits on power loss). Concurrent writes share that fsync: they are
//!   committed in groups ([`group`]), each answered only after its group's `COMMIT`.

mod audit_log;
mod group;
mod legacy;
mod tx;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};

use crate::error::{Result, StoreError};
use crate::generation::Generation;
use crate::keyring::KeyRing;
use crate::model::Quotas;
use crate::sql::{Backend, TxFn, schema};
use crate::store::{Engine, Store};

use self::tx::{backend_error, run_transaction};

/// How long a connection waits for a lock held by another connection or process.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Reader connections of the audit log's file: LookupEvents, the log-file delivery and the
/// leaked-key response read it, none of them on a request's hot path.
const LOG_READ_CONNECTIONS: usize = 2;

/// Page cache of the audit log's writer, in KiB (SQLite's default is 2,000). A batch of a
/// few hundred events dirties more than the default holds, and SQLite then spills pages to
/// the WAL mid-transaction and writes them again at commit (9 % of the server's time under
/// AssumeRole load). The cache fills only as far as batches need it.
const LOG_WRITER_CACHE_KIB: u32 = 8192;

/// Prepared statements cached per connection. The SQL text varies with the number of `IN`
/// placeholders and optional filters; all the statements of the hot paths fit many times.
const STATEMENT_CACHE: usize = 256;

/// Options of [`Store::open_with`].
#[derive(Debug, Clone)]
pub struct SqliteConfig {
    pub quotas: Quotas,
    /// Reader connections kept open (at least 1).
    pub read_connections: usize,
    /// v0.1's separate S3 metadata file (`DATA_DIR/s3.db`): imported, if it exists, by the
    /// migration that adds the S3 tables, then renamed to `<file>.v0.1-imported`.
    pub legacy_s3_path: Option<PathBuf>,
}

impl Default for SqliteConfig {
    fn default() -> SqliteConfig {
        SqliteConfig {
            quotas: Quotas::default(),
            read_connections: 4,
            legacy_s3_path: None,
        }
    }
}

/// The SQLite engine behind a [`Store`] opened with [`Store::open`].
pub(crate) struct SqliteBackend {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    /// Idle reader connections (opened lazily, at most `read_permits`' size).
    readers: Arc<Mutex<Vec<Connection>>>,
    /// One permit per reader connection; a read holds one while it uses a connection.
    read_permits: Arc<Semaphore>,
    generation: Arc<Generation>,
    /// Writes waiting to be committed together (see [`group`]).
    queue: Arc<group::WriteQueue>,
    /// The audit log's file, with its own writer and readers ([`audit_log`]); `None` in
    /// the log's backend itself.
    log: Option<Box<SqliteBackend>>,
}

impl Store {
    /// Opens (creating if needed) the SQLite database file at `path` with default options
    /// and migrates its schema to the latest version.
    pub async fn open(path: impl AsRef<Path>, keyring: Arc<KeyRing>) -> Result<Store> {
        Store::open_with(path, keyring, SqliteConfig::default()).await
    }

    /// As [`Store::open`], with options.
    pub async fn open_with(
        path: impl AsRef<Path>,
        keyring: Arc<KeyRing>,
        config: SqliteConfig,
    ) -> Result<Store> {
        let path = path.as_ref().to_owned();
        let log_path = audit_log::path_for(&path);
        // The log's file first: migrating an older main file copies its events there.
        let opened = log_path.clone();
        let log_writer = blocking(move || {
            let mut conn = open_connection(&opened)?;
            conn.execute_batch(&format!("PRAGMA cache_size = -{LOG_WRITER_CACHE_KIB}"))
                .map_err(backend_error)?;
            audit_log::migrate(&mut conn)?;
            Ok(conn)
        })
        .await?;
        let opened = path.clone();
        let legacy_s3 = config.legacy_s3_path.clone();
        let adopted_log = log_path.clone();
        let writer = blocking(move || {
            let mut conn = open_connection(&opened)?;
            migrate(&mut conn, legacy_s3.as_deref(), &adopted_log)?;
            Ok(conn)
        })
        .await?;
        let generation = Generation::with_file(&changes_path(&path)).map_err(|e| {
            StoreError::Backend(format!("cannot open the change counter file: {e}"))
        })?;
        let generation = Arc::new(generation);
        let log = SqliteBackend::new(
            log_path,
            log_writer,
            LOG_READ_CONNECTIONS,
            Arc::clone(&generation),
            None,
        );
        let backend = SqliteBackend::new(
            path,
            writer,
            config.read_connections,
            generation,
            Some(Box::new(log)),
        );
        Ok(Store::new(Engine::Sqlite(backend), keyring, config.quotas))
    }
}

/// `hourglass.db` → `hourglass.db-changes` (see [`Generation`]).
fn changes_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-changes");
    PathBuf::from(name)
}

fn open_connection(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(backend_error)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(backend_error)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(backend_error)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend(format!(
            "sqlite refused WAL journal mode (got {mode})"
        )));
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
        .map_err(backend_error)?;
    Ok(conn)
}

/// Brings the schema to the latest version (importing v0.1's S3 file on the way, see
/// [`legacy`], and moving the audit log to its file `log`, see [`audit_log`]).
fn migrate(conn: &mut Connection, legacy_s3: Option<&Path>, log: &Path) -> Result<()> {
    conn.execute_batch(schema::CREATE_VERSION_TABLE)
        .map_err(backend_error)?;
    audit_log::adopt(conn, current_version(conn)?, log)?;
    let attached = legacy::attach(conn, legacy_s3)?;
    let applied = apply_migrations(conn, legacy_s3.filter(|_| attached));
    if attached {
        legacy::detach(conn);
    }
    applied?;
    legacy::retire(conn, legacy_s3)
}

fn apply_migrations(conn: &mut Connection, legacy_s3: Option<&Path>) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(backend_error)?;
    let current = current_version(&tx)?;
    let pending = schema::pending(current)?;
    let [clear_version, record_version] = schema::RECORD_VERSION;
    for (version, template) in pending {
        tx.execute_batch(&schema::render(template, &schema::SQLITE))
            .map_err(backend_error)?;
        if *version == schema::S3_TABLES_VERSION
            && let Some(path) = legacy_s3
        {
            legacy::import(&tx, path)?;
        }
        if *version == schema::AUDIT_LOG_FILE_VERSION {
            tx.execute_batch(audit_log::DROP_OLD_TABLES)
                .map_err(backend_error)?;
        }
        tx.execute(clear_version, []).map_err(backend_error)?;
        tx.execute(&record_version.replace('$', "?"), [version])
            .map_err(backend_error)?;
        tracing::info!(version, "applied sqlite schema migration");
    }
    tx.commit().map_err(backend_error)
}

/// The recorded schema version; 0 for a new file.
fn current_version(conn: &Connection) -> Result<i64> {
    let current: Option<i64> = conn
        .query_row(schema::CURRENT_VERSION, [], |row| row.get(0))
        .map_err(backend_error)?;
    Ok(current.unwrap_or(0))
}

async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| StoreError::Backend(format!("sqlite task failed: {e}")))?
}

fn poisoned() -> StoreError {
    StoreError::Backend("sqlite connection lock poisoned".into())
}

/// Returns a reader connection to the pool after use. A connection left inside a
/// transaction (a failed ROLLBACK) is not reused.
fn check_in(readers: &Mutex<Vec<Connection>>, conn: Connection) -> Result<()> {
    if conn.is_autocommit() {
        readers.lock().map_err(|_| poisoned())?.push(conn);
    }
    Ok(())
}

#[async_trait]
impl Backend for SqliteBackend {
    async fn write<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        self.write_counted(f, true).await
    }

    async fn write_untracked<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        self.write_counted(f, false).await
    }

    async fn read<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        self.with_reader(move |conn| run_transaction(conn, Some("BEGIN DEFERRED"), f))
            .await
    }

    async fn read_single<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        self.with_reader(move |conn| run_transaction(conn, None, f))
            .await
    }

    /// A lookup by key takes microseconds on a cached page: when a pooled connection is
    /// free it runs right here, saving the two thread hand-offs of `spawn_blocking` that a
    /// profile of S3 GET showed costing more than the query itself. Otherwise (pool busy,
    /// or no connection opened yet) it queues like any read.
    async fn read_point<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        let Ok(permit) = Arc::clone(&self.read_permits).try_acquire_owned() else {
            return self.read_single(f).await;
        };
        let pooled = self.readers.lock().map_err(|_| poisoned())?.pop();
        let Some(mut conn) = pooled else {
            drop(permit);
            return self.read_single(f).await;
        };
        let result = run_transaction(&mut conn, None, f);
        check_in(&self.readers, conn)?;
        drop(permit);
        result
    }

    async fn log_write<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        match &self.log {
            Some(log) => log.write_untracked(f).await,
            None => self.write_untracked(f).await,
        }
    }

    async fn log_read<T: Send + 'static>(&self, f: TxFn<T>) -> Result<T> {
        match &self.log {
            Some(log) => log.read(f).await,
            None => self.read(f).await,
        }
    }
}

impl SqliteBackend {
    fn new(
        path: PathBuf,
        writer: Connection,
        read_connections: usize,
        generation: Arc<Generation>,
        log: Option<Box<SqliteBackend>>,
    ) -> SqliteBackend {
        SqliteBackend {
            path,
            writer: Arc::new(Mutex::new(writer)),
            readers: Arc::new(Mutex::new(Vec::new())),
            read_permits: Arc::new(Semaphore::new(read_connections.max(1))),
            generation,
            queue: Arc::new(group::WriteQueue::default()),
            log,
        }
    }

    pub(crate) fn generation(&self) -> &Arc<Generation> {
        &self.generation
    }

    /// A write through the group commit ([`group`]).
    async fn write_counted<T: Send + 'static>(&self, f: TxFn<T>, track: bool) -> Result<T> {
        let (rx, start_drainer) = self.queue.push(f, track, Arc::clone(&self.generation))?;
        if start_drainer {
            let writer = Arc::clone(&self.writer);
            let queue = Arc::clone(&self.queue);
            // Detached: the drainer answers every write it runs, this one included.
            tokio::task::spawn_blocking(move || queue.drain_all(&writer));
        }
        rx.await
            .map_err(|_| StoreError::Backend("sqlite write was dropped".into()))?
    }

    /// Runs `job` on a pooled reader connection. Waits (asynchronously) for a permit first,
    /// so the pool always has a connection for the permit holder or room to open one.
    async fn with_reader<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let permit = Arc::clone(&self.read_permits)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Backend("sqlite reader pool closed".into()))?;
        let readers = Arc::clone(&self.readers);
        let path = self.path.clone();
        blocking(move || {
            let pooled = readers.lock().map_err(|_| poisoned())?.pop();
            let mut conn = match pooled {
                Some(conn) => conn,
                None => open_connection(&path)?,
            };
            let result = job(&mut conn);
            check_in(&readers, conn)?;
            drop(permit);
            result
        })
        .await
    }
}
