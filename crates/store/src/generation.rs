//! The change counter behind the in-memory authorization snapshots.
//!
//! Every write transaction that can change an authorization decision (IAM records, bucket
//! creation, deletion and policies) increments a counter (a row of `settings`) in the
//! same transaction, and on PostgreSQL queues a `NOTIFY` that is delivered at commit. A
//! [`Generation`] is this node's view of that counter:
//!
//! - the writing node observes the new value as soon as its commit returns, so a cache
//!   keyed by generation is stale **at once** on the node that made the change;
//! - other nodes observe it from the notification (milliseconds) or, if a notification is
//!   lost, from the poll every [`POLL_INTERVAL`];
//! - a node whose last successful poll is older than [`STALE_AFTER`] (it lost the database)
//!   reports no usable generation, and its caches are bypassed: requests go to the store,
//!   which then fails closed, rather than being answered from stale grants.
//!
//! [`SnapshotMap`] is the cache built on it: a map swapped whole with `arc-swap`, so a read
//! takes no lock and makes no thread hop; a miss is filled by the caller from the store.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

use crate::error::{Result, StoreError};
use crate::sql::Tx;

/// How often every node reads the counter, as a backstop for lost notifications.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// A node that has not read the counter successfully for this long stops answering from
/// its caches: the documented bound on how stale another node's view can be.
pub const STALE_AFTER: Duration = Duration::from_secs(1);

/// How long a read of the SQLite counter file ([`Generation::with_file`]) stands before the
/// next [`Generation::token`] reads it again. A request consults the snapshots several times
/// (key, principal, policies, bucket, revoked origins), one `pread` each was about 3 % of a
/// loaded server's samples; another process's change (an operator command) is still seen
/// within this bound, far less than the command takes to exit.
pub const FILE_RECHECK: Duration = Duration::from_millis(1);

/// The PostgreSQL notification channel; the payload is `schema:counter` (schema empty
/// without one), since several deployments may share a database.
pub(crate) const CHANNEL: &str = "hourglass_changes";

/// The counter lives in the `settings` table (no migration needed): one row, created by
/// the first counted write.
const KEY: &str = "hourglass.change_counter";

const BUMP: &str = "INSERT INTO settings (key, value) VALUES ($1, '1') \
     ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT) \
     RETURNING value";

const READ: &str = "SELECT value FROM settings WHERE key = $1";

fn parse(text: &str) -> Result<u64> {
    text.parse()
        .map_err(|_| StoreError::corrupt("change counter is not a number"))
}

/// Increments the counter inside the caller's write transaction; returns the new value.
pub(crate) async fn bump(tx: &mut dyn Tx) -> Result<u64> {
    parse(&tx.query_one(BUMP, &params![KEY]).await?.text(0)?)
}

/// Reads the committed counter (0 before the first counted write).
pub(crate) async fn read(tx: &mut dyn Tx) -> Result<u64> {
    match tx.query_opt(READ, &params![KEY]).await? {
        Some(row) => parse(&row.text(0)?),
        None => Ok(0),
    }
}

/// This node's view of the change counter (see the module documentation).
#[derive(Debug)]
pub struct Generation {
    current: AtomicU64,
    /// Milliseconds since `epoch` of the last successful poll.
    checked_ms: AtomicU64,
    epoch: Instant,
    /// Set once a watcher polls the counter; before that (tests, one-shot commands) only
    /// this process writes, and its own commits keep the view exact.
    watched: AtomicBool,
    /// SQLite: a small file beside the database holding the last committed counter, written
    /// after every counted commit by whichever process made it (the server, or an operator
    /// command such as `revoke-sessions`) and read on every [`Generation::token`]: one
    /// `pread` from the page cache, so a change made by another process on the same file is
    /// seen by the requests that start [`FILE_RECHECK`] after it.
    file: Option<std::fs::File>,
    /// Microseconds since `epoch` of the last read of `file` (0: never read).
    file_read_us: AtomicU64,
}

impl Default for Generation {
    fn default() -> Self {
        Generation {
            current: AtomicU64::new(0),
            checked_ms: AtomicU64::new(0),
            epoch: Instant::now(),
            watched: AtomicBool::new(false),
            file: None,
            file_read_us: AtomicU64::new(0),
        }
    }
}

impl Generation {
    /// The generation caches may be read and filled at, or `None` when this node's view
    /// may be older than [`STALE_AFTER`] (caches must then be bypassed).
    pub fn token(&self) -> Option<u64> {
        if let Some(file) = &self.file
            && self.file_read_due()
        {
            let mut buf = [0u8; 8];
            match read_at(file, &mut buf) {
                Ok(8) => self.observe(u64::from_le_bytes(buf)),
                // Nothing committed through a counted write yet.
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the change counter file; caches bypassed");
                    return None;
                }
            }
        }
        if self.watched.load(Ordering::Acquire) {
            let checked = self.checked_ms.load(Ordering::Acquire);
            if self.elapsed_ms().saturating_sub(checked) > STALE_AFTER.as_millis() as u64 {
                return None;
            }
        }
        Some(self.current.load(Ordering::Acquire))
    }

    /// Whether the counter file is due for a read ([`FILE_RECHECK`] since the last one); the
    /// caller that finds it due reads it.
    fn file_read_due(&self) -> bool {
        let now = u64::try_from(self.epoch.elapsed().as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let last = self.file_read_us.load(Ordering::Acquire);
        let recheck = FILE_RECHECK.as_micros() as u64;
        (last == 0 || now.saturating_sub(last) >= recheck)
            && self
                .file_read_us
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }

    /// A generation that also follows the counter file at `path` (see the `file` field).
    pub(crate) fn with_file(path: &std::path::Path) -> std::io::Result<Generation> {
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        Ok(Generation {
            file: Some(options.open(path)?),
            ..Generation::default()
        })
    }

    /// Records a counter value this process committed, and publishes it to other processes
    /// sharing the database file. Publishing is a hint for them: a failure is logged, not
    /// returned (the commit stands).
    pub(crate) fn committed(&self, value: u64) {
        self.observe(value);
        if let Some(file) = &self.file
            && let Err(e) = write_at(file, &value.to_le_bytes())
        {
            tracing::warn!(error = %e, "cannot publish the change counter");
        }
    }

    /// Records a counter value seen in the database (never moves backwards).
    pub(crate) fn observe(&self, value: u64) {
        self.current.fetch_max(value, Ordering::AcqRel);
    }

    /// Records a successful poll that read `value` and was sent at `sent_ms` (from
    /// [`Generation::clock_ms`]). Dating the check by when the query was *sent* makes the
    /// bound exact: a request answered at time t from the caches had a check sent after
    /// t − [`STALE_AFTER`], which saw every change committed before it.
    pub(crate) fn checked(&self, value: u64, sent_ms: u64) {
        self.observe(value);
        self.checked_ms.fetch_max(sent_ms, Ordering::AcqRel);
        self.watched.store(true, Ordering::Release);
    }

    /// Milliseconds on this generation's monotonic clock.
    pub(crate) fn clock_ms(&self) -> u64 {
        self.elapsed_ms()
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

#[cfg(unix)]
fn read_at(file: &std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, 0)
}

#[cfg(unix)]
fn write_at(file: &std::fs::File, buf: &[u8]) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, 0)
}

#[cfg(not(unix))]
fn read_at(_: &std::fs::File, _: &mut [u8]) -> std::io::Result<usize> {
    Err(std::io::Error::other(
        "change counter file needs a unix system",
    ))
}

#[cfg(not(unix))]
fn write_at(_: &std::fs::File, _: &[u8]) -> std::io::Result<()> {
    Err(std::io::Error::other(
        "change counter file needs a unix system",
    ))
}

/// One generation's map.
struct Tagged<K, V> {
    generation: u64,
    map: HashMap<K, V>,
}

/// A cache valid for one [`Generation`] value: reads are lock-free (`arc-swap`); a fill
/// copies the map (cheap for the working set of an identity store, and only after a miss)
/// and is dropped if the generation moved on meanwhile.
pub struct SnapshotMap<K, V> {
    inner: ArcSwap<Tagged<K, V>>,
    capacity: usize,
}

impl<K: Eq + Hash + Clone, V: Clone> SnapshotMap<K, V> {
    /// A map keeping at most `capacity` entries per generation (beyond it, misses are not
    /// cached).
    pub fn new(capacity: usize) -> Self {
        SnapshotMap {
            inner: ArcSwap::from_pointee(Tagged {
                generation: 0,
                map: HashMap::new(),
            }),
            capacity,
        }
    }

    /// The cached value for `key` at `generation`.
    pub fn get<Q>(&self, generation: u64, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let tagged = self.inner.load();
        if tagged.generation != generation {
            return None;
        }
        tagged.map.get(key).cloned()
    }

    /// Caches `value`, read from the store after `generation` was taken from
    /// [`Generation::token`]. A value read under an older generation than the map's is
    /// dropped; a newer one starts a new map.
    pub fn insert(&self, generation: u64, key: K, value: V) {
        self.inner.rcu(|tagged| {
            if tagged.generation > generation {
                return Arc::clone(tagged);
            }
            let mut map = if tagged.generation == generation {
                if tagged.map.len() >= self.capacity {
                    return Arc::clone(tagged);
                }
                tagged.map.clone()
            } else {
                HashMap::new()
            };
            map.insert(key.clone(), value.clone());
            Arc::new(Tagged { generation, map })
        });
    }

    /// The cached value for `key` at `changes`' current generation, or `load`'s, cached
    /// under the generation taken *before* the load (so a change committed meanwhile is
    /// never hidden). With the counter unreadable ([`Generation::token`] `None`) it loads
    /// and caches nothing.
    pub async fn get_or_load<Q, E, Fut>(
        &self,
        changes: &Generation,
        key: &Q,
        load: impl FnOnce() -> Fut,
    ) -> std::result::Result<V, E>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
        Fut: std::future::Future<Output = std::result::Result<V, E>>,
    {
        let token = changes.token();
        if let Some(generation) = token
            && let Some(hit) = self.get(generation, key)
        {
            return Ok(hit);
        }
        let value = load().await?;
        if let Some(generation) = token {
            self.insert(generation, key.to_owned(), value.clone());
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value is loaded once per generation; a new generation loads again.
    #[tokio::test]
    async fn get_or_load_loads_once_per_generation() {
        let changes = Generation::default();
        let m: SnapshotMap<String, u32> = SnapshotMap::new(10);
        let loads = std::cell::Cell::new(0);
        let load = || async {
            loads.set(loads.get() + 1);
            Ok::<u32, ()>(7)
        };
        assert_eq!(m.get_or_load(&changes, "k", load).await, Ok(7));
        assert_eq!(m.get_or_load(&changes, "k", load).await, Ok(7));
        assert_eq!(loads.get(), 1);
        changes.observe(1);
        assert_eq!(m.get_or_load(&changes, "k", load).await, Ok(7));
        assert_eq!(loads.get(), 2);
        // A failed load caches nothing.
        let fail = || async { Err::<u32, ()>(()) };
        assert_eq!(m.get_or_load(&changes, "other", fail).await, Err(()));
        assert_eq!(m.get(1, "other"), None);
    }

    #[test]
    fn map_serves_only_its_generation() {
        let m: SnapshotMap<String, u32> = SnapshotMap::new(10);
        m.insert(3, "a".into(), 1);
        assert_eq!(m.get(3, "a"), Some(1));
        assert_eq!(m.get(4, "a"), None);
        // A value read before the change (generation 2) is not kept.
        m.insert(2, "b".into(), 2);
        assert_eq!(m.get(3, "b"), None);
        // A newer generation replaces the map.
        m.insert(4, "c".into(), 3);
        assert_eq!(m.get(4, "c"), Some(3));
        assert_eq!(m.get(4, "a"), None);
    }

    #[test]
    fn map_capacity_is_bounded() {
        let m: SnapshotMap<u32, u32> = SnapshotMap::new(2);
        for i in 0..5 {
            m.insert(1, i, i);
        }
        assert_eq!((0..5).filter(|i| m.get(1, i).is_some()).count(), 2);
    }

    #[test]
    fn generation_never_moves_back_and_goes_stale() {
        let g = Generation::default();
        assert_eq!(g.token(), Some(0));
        g.observe(5);
        g.observe(3);
        assert_eq!(g.token(), Some(5));
        g.checked(4, g.clock_ms());
        assert_eq!(g.token(), Some(5));
        // A watched generation whose last check was sent too long ago yields no token.
        let Some(epoch) = Instant::now().checked_sub(STALE_AFTER + Duration::from_millis(10))
        else {
            return;
        };
        let g2 = Generation {
            epoch,
            ..Generation::default()
        };
        g2.checked(1, 0);
        assert_eq!(g2.token(), None);
        g2.checked(1, g2.clock_ms());
        assert_eq!(g2.token(), Some(1));
    }

    /// Another process's counter (written to the shared file) is seen once the last read
    /// of the file is `FILE_RECHECK` old, and never moves the view backwards.
    #[test]
    fn a_change_in_the_counter_file_is_seen_within_the_recheck_bound() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("changes");
        let ours = Generation::with_file(&path)?;
        let theirs = Generation::with_file(&path)?;
        assert_eq!(ours.token(), Some(0));
        theirs.committed(7);
        std::thread::sleep(FILE_RECHECK + Duration::from_millis(1));
        assert_eq!(ours.token(), Some(7));
        ours.committed(9);
        theirs.committed(8);
        std::thread::sleep(FILE_RECHECK + Duration::from_millis(1));
        assert_eq!(ours.token(), Some(9));
        Ok(())
    }
}
