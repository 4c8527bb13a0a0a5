//! Group commit for the SQLite writer: write transactions that arrive while another is
//! committing are run together, each under its own savepoint, in one transaction with one
//! `COMMIT`, so concurrent writers share the fsync that `synchronous = FULL` makes durable.
//! Nobody is answered before that `COMMIT` returned: "acknowledged = durable" holds for each
//! of them exactly as with one transaction each. A failing write rolls back to its savepoint
//! and fails alone; a failing `COMMIT` fails every write of the group.
//!
//! A group of one write runs without a savepoint: the transaction is its own, and a
//! savepoint would copy every page the write touches into the sub-journal first (a
//! profile of AssumeRole put 16 % of the server's time there, for the audit log's batches).

use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use crate::error::{Result, StoreError};
use crate::generation::Generation;
use crate::sql::TxFn;

use super::tx::{backend_error, run_savepoint, run_statement};

/// Writes in one group at most, so a long queue still commits (and answers) in steps.
const MAX_GROUP: usize = 64;

/// What a queued write does with the group's `COMMIT` outcome: answer its caller.
type Finish = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;

/// A queued write: runs inside the group's transaction (or, given `None`, is failed without
/// running because the transaction could not be opened) and returns its finisher.
/// The flag says whether the write shares the transaction (and needs a savepoint).
type Job = Box<dyn FnOnce(Option<(&mut Connection, bool)>) -> Finish + Send>;

/// The writes waiting for the writer connection, and whether a drainer is on them.
#[derive(Default)]
pub(super) struct WriteQueue {
    state: Mutex<Queued>,
}

#[derive(Default)]
struct Queued {
    jobs: Vec<Job>,
    /// A blocking thread is running [`WriteQueue::drain_all`]. One drainer serves every
    /// writer: a thread per write, each parked on the writer's lock, was 30-odd threads
    /// (and their allocator arenas, > 100 MiB resident) under 32 concurrent PUTs.
    draining: bool,
}

fn poisoned() -> StoreError {
    StoreError::Backend("sqlite write queue lock poisoned".into())
}

impl WriteQueue {
    /// Queues `f` and returns the receiver of its result, and whether the caller must start
    /// [`WriteQueue::drain_all`] on a blocking thread (no drainer was running). The flag is
    /// set and cleared under the queue's lock, so a write is always either seen by the
    /// running drainer before it stops or starts a new one.
    pub(super) fn push<T: Send + 'static>(
        &self,
        f: TxFn<T>,
        track: bool,
        generation: Arc<Generation>,
    ) -> Result<(tokio::sync::oneshot::Receiver<Result<T>>, bool)> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let outcome = match conn {
                Some((conn, shared)) => run_savepoint(conn, f, track, shared),
                None => Err(StoreError::Backend("write not run".into())),
            };
            Box::new(move |committed| {
                let result = match (committed, outcome) {
                    (_, Err(e)) => Err(e),
                    (Err(message), Ok(_)) => Err(StoreError::Backend(message)),
                    (Ok(()), Ok((value, counter))) => {
                        // Before the caller hears of the commit: the next request on this
                        // node already misses the caches.
                        if let Some(counter) = counter {
                            generation.committed(counter);
                        }
                        Ok(value)
                    }
                };
                // The caller may have gone away (cancelled request): the write stands.
                let _ = reply.send(result);
            })
        });
        let mut state = self.state.lock().map_err(|_| poisoned())?;
        state.jobs.push(job);
        let start = !state.draining;
        state.draining = true;
        Ok((rx, start))
    }

    /// Runs groups until the queue is empty, then stops (clearing the drainer flag under
    /// the queue's lock). Should it fail, the writes still queued are failed rather than
    /// left waiting for a drainer that is gone.
    pub(super) fn drain_all(&self, writer: &Mutex<Connection>) {
        // Clears the flag and fails what is queued however this returns, unwinding
        // included: a drainer gone with the flag still set would leave every later write
        // waiting forever.
        struct Stop<'a> {
            queue: &'a WriteQueue,
            armed: bool,
        }
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                if !self.armed {
                    return;
                }
                let mut state = self.queue.state.lock().unwrap_or_else(|p| p.into_inner());
                state.draining = false;
                let stranded: Vec<Job> = state.jobs.drain(..).collect();
                drop(state);
                for job in stranded {
                    job(None)(Err("the sqlite writer stopped".into()));
                }
            }
        }
        let mut stop = Stop {
            queue: self,
            armed: true,
        };
        loop {
            let jobs: Vec<Job> = {
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                if state.jobs.is_empty() {
                    // Cleared under the lock that `push` takes: the next write starts a
                    // new drainer (which `stop`, disarmed, must not disturb).
                    state.draining = false;
                    stop.armed = false;
                    return;
                }
                let n = state.jobs.len().min(MAX_GROUP);
                state.jobs.drain(..n).collect()
            };
            let Ok(mut conn) = writer.lock() else {
                for job in jobs {
                    job(None)(Err("sqlite connection lock poisoned".into()));
                }
                return;
            };
            run_group(&mut conn, jobs);
        }
    }
}

/// Runs `jobs` as one transaction with one `COMMIT` on the writer, then answers each.
fn run_group(conn: &mut Connection, jobs: Vec<Job>) {
    if jobs.is_empty() {
        return;
    }
    if let Err(e) = run_statement(conn, "BEGIN IMMEDIATE") {
        let message = e.to_string();
        for job in jobs {
            job(None)(Err(message.clone()));
        }
        return;
    }
    let mut finishers = Vec::with_capacity(jobs.len());
    let shared = jobs.len() > 1;
    for job in jobs {
        if conn.is_autocommit() {
            // An error made SQLite roll the whole transaction back: what follows must
            // not run outside it (it would commit on its own yet be reported failed).
            finishers.push(job(None));
        } else {
            finishers.push(job(Some((&mut *conn, shared))));
        }
    }
    let committed = if conn.is_autocommit() {
        Err("sqlite transaction was rolled back".to_owned())
    } else {
        run_statement(conn, "COMMIT").map_err(|e| e.to_string())
    };
    if committed.is_err()
        && !conn.is_autocommit()
        && let Err(e) = conn.execute_batch("ROLLBACK")
    {
        tracing::error!(error = %backend_error(e), "sqlite rollback failed");
    }
    for finish in finishers {
        finish(committed.clone());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::sql::{Val, tx_fn};

    fn insert(value: i64) -> TxFn<()> {
        tx_fn(move |tx| {
            Box::pin(async move {
                tx.execute("INSERT INTO t (v) VALUES ($1)", &[Val::Int(value)])
                    .await?;
                if value < 0 {
                    // Fails after its insert: the insert must not survive.
                    tx.execute("INSERT INTO missing_table VALUES (1)", &[])
                        .await?;
                }
                Ok(())
            })
        })
    }

    fn values(conn: &Connection) -> Vec<i64> {
        conn.prepare("SELECT v FROM t ORDER BY v")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    }

    /// A writer connection on a database with the test table and the change counter's.
    fn writer(dir: &tempfile::TempDir) -> Mutex<Connection> {
        let conn = Connection::open(dir.path().join("g.db")).unwrap();
        conn.execute_batch(
            "CREATE TABLE t (v INTEGER PRIMARY KEY);
             CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
        )
        .unwrap();
        Mutex::new(conn)
    }

    #[test]
    fn a_group_commits_together_and_a_failing_write_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer(&dir);
        let queue = WriteQueue::default();
        let generation = Arc::new(Generation::default());
        let rx: Vec<_> = [1, -2, 3, 1]
            .into_iter()
            .map(|v| {
                queue
                    .push(insert(v), v == 3, Arc::clone(&generation))
                    .unwrap()
                    .0
            })
            .collect();
        // One drain runs all four in one transaction; another finds nothing to do.
        queue.drain_all(&writer);
        queue.drain_all(&writer);
        let results: Vec<_> = rx.into_iter().map(|r| r.blocking_recv().unwrap()).collect();
        assert!(results[0].is_ok());
        assert!(results[1].is_err());
        assert!(results[2].is_ok());
        // The duplicate key fails like it would in a transaction of its own.
        assert!(results[3].is_err());
        let conn = writer.lock().unwrap();
        let rows = values(&conn);
        assert_eq!(rows, vec![1, 3]);
        // The counted write bumped the counter and this node observed it.
        assert_eq!(generation.token(), Some(1));
        assert!(conn.is_autocommit());
    }

    #[test]
    fn a_write_alone_runs_without_a_savepoint_and_a_failure_undoes_it() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer(&dir);
        let queue = WriteQueue::default();
        let generation = Arc::new(Generation::default());
        let run = |v: i64, track: bool| {
            let (rx, _) = queue
                .push(insert(v), track, Arc::clone(&generation))
                .unwrap();
            queue.drain_all(&writer);
            rx.blocking_recv().unwrap()
        };
        // Fails after its insert: the whole transaction, its insert with it, is undone.
        assert!(run(-5, true).is_err());
        assert!(run(7, true).is_ok());
        let conn = writer.lock().unwrap();
        let rows = values(&conn);
        assert_eq!(rows, vec![7]);
        // Only the write that committed counted.
        assert_eq!(generation.token(), Some(1));
        assert!(conn.is_autocommit());
    }

    #[test]
    fn one_drainer_serves_every_queued_write_then_stops() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer(&dir);
        let queue = WriteQueue::default();
        let generation = Arc::new(Generation::default());
        let mut starts = 0;
        let rx: Vec<_> = (1..=200)
            .map(|v| {
                let (rx, start) = queue
                    .push(insert(v), false, Arc::clone(&generation))
                    .unwrap();
                starts += usize::from(start);
                rx
            })
            .collect();
        // Only the first write asks for a drainer; it runs all 200 (in groups of 64).
        assert_eq!(starts, 1);
        queue.drain_all(&writer);
        assert!(rx.into_iter().all(|r| r.blocking_recv().unwrap().is_ok()));
        // Stopped with the queue empty: the next write starts a new drainer.
        let (rx, start) = queue
            .push(insert(500), false, Arc::clone(&generation))
            .unwrap();
        assert!(start);
        queue.drain_all(&writer);
        assert!(rx.blocking_recv().unwrap().is_ok());
        let count: i64 = writer
            .lock()
            .unwrap()
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 201);
    }
}
