//! The audit queue: the pipeline hands each event to a bounded queue and returns; one writer
//! task commits events in batches (one transaction per batch), retries a failed commit
//! until it succeeds, and a retention task deletes events past the retention period.
//!
//! A full queue means the store is not keeping up. What happens then is a setting
//! ([`WhenFull`]): `Block` (the default) makes the request wait for room, so no event is
//! ever lost; `Shed` drops the event, counts it and logs, so requests never wait on the
//! audit log.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hourglass_store::{AuditEventRow, Store};
use tokio::sync::{Mutex, mpsc, oneshot};

/// What a full queue does to the request that records an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhenFull {
    /// Wait for room: slower requests, no lost events.
    #[default]
    Block,
    /// Drop the event (counted in `hourglass_audit_events_dropped_total` and logged).
    Shed,
}

impl WhenFull {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "block" => Some(Self::Block),
            "shed" => Some(Self::Shed),
            _ => None,
        }
    }
}

/// The audit settings (`[audit]` in the configuration file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    /// Record events at all.
    pub enabled: bool,
    /// Events the queue holds before [`WhenFull`] applies.
    pub queue_capacity: usize,
    /// Most events committed in one transaction.
    pub batch_max: usize,
    /// How long the writer gathers events after the first one of a batch before it commits
    /// (a flush commits at once). Fewer, larger commits write each hot index page once per
    /// batch instead of once per event.
    pub commit_interval: Duration,
    pub when_full: WhenFull,
    /// Days events are kept; 0 keeps them forever.
    pub retention_days: u32,
    /// Whether LookupEvents returns data events (S3 object calls); AWS's event history
    /// does not.
    pub lookup_data_events: bool,
    /// Where log files are delivered in CloudTrail's layout ([`crate::delivery`]); none by
    /// default.
    pub delivery_dir: Option<std::path::PathBuf>,
    /// A bucket of the server's account receiving the same log files (the server starts
    /// that delivery, as it owns the S3 storage).
    pub delivery_bucket: Option<String>,
    pub delivery_interval: Duration,
    /// Long-term keys older than this many days are flagged or deactivated; 0 disables
    /// the check.
    pub max_key_age_days: u32,
    pub key_age_action: KeyAgeAction,
    /// How often the key-age pass runs (it also runs at start).
    pub key_age_interval: Duration,
}

/// What the key-age pass does to a key older than `max_key_age_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAgeAction {
    /// Count it in `hourglass_access_keys_over_max_age` and record an event.
    Flag,
    /// Also deactivate it (IAM users' keys; root keys are only flagged).
    Deactivate,
}

impl KeyAgeAction {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "flag" => Some(Self::Flag),
            "deactivate" => Some(Self::Deactivate),
            _ => None,
        }
    }
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            queue_capacity: 10_000,
            // Measured (docs/performance.md, "AssumeRole and memory are bound by the audit
            // writer"): 50 ms and 4000 instead of 10 ms and 512 made AssumeRole 1.20× and
            // GetCallerIdentity 1.09× faster, as a backlog drains in fewer, larger commits.
            batch_max: 4000,
            commit_interval: Duration::from_millis(50),
            when_full: WhenFull::Block,
            retention_days: 90,
            lookup_data_events: true,
            delivery_dir: None,
            delivery_bucket: None,
            delivery_interval: Duration::from_secs(300),
            max_key_age_days: 0,
            key_age_action: KeyAgeAction::Flag,
            key_age_interval: Duration::from_secs(3600),
        }
    }
}

enum Msg {
    Event(Box<AuditEventRow>),
    /// Answered once every event queued before it is committed.
    Flush(oneshot::Sender<()>),
}

/// The outcome of [`AuditSink::submit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    Queued,
    /// Dropped: the queue was full and the setting is `shed`.
    Shed,
    /// Auditing is off, or the writer has stopped.
    Disabled,
}

/// The handle requests record through.
pub struct AuditSink {
    tx: Option<mpsc::Sender<Msg>>,
    config: AuditConfig,
    shed: AtomicU64,
    writer: Mutex<Option<tokio::task::JoinHandle<()>>>,
    retention: Mutex<Option<tokio::task::JoinHandle<()>>>,
    delivery: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for AuditSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditSink")
            .field("config", &self.config)
            .finish()
    }
}

/// The writer side, run by [`Writer::run`] (spawned by [`AuditSink::start`]).
pub struct Writer {
    rx: mpsc::Receiver<Msg>,
    store: Arc<Store>,
    batch_max: usize,
    commit_interval: Duration,
}

impl AuditSink {
    /// A sink and its writer, not yet running (tests drive the writer themselves).
    pub fn new(store: Arc<Store>, config: AuditConfig) -> (Arc<Self>, Option<Writer>) {
        if !config.enabled {
            return (Arc::new(Self::disabled(config)), None);
        }
        let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
        let sink = Arc::new(Self {
            tx: Some(tx),
            shed: AtomicU64::new(0),
            writer: Mutex::new(None),
            retention: Mutex::new(None),
            delivery: Mutex::new(None),
            config: config.clone(),
        });
        let writer = Writer {
            rx,
            store,
            batch_max: config.batch_max.max(1),
            commit_interval: config.commit_interval,
        };
        (sink, Some(writer))
    }

    fn disabled(config: AuditConfig) -> Self {
        Self {
            tx: None,
            config,
            shed: AtomicU64::new(0),
            writer: Mutex::new(None),
            retention: Mutex::new(None),
            delivery: Mutex::new(None),
        }
    }

    /// Starts the writer and the retention task.
    pub async fn start(store: Arc<Store>, config: AuditConfig) -> Arc<Self> {
        let (sink, writer) = Self::new(Arc::clone(&store), config.clone());
        if let Some(w) = writer {
            *sink.writer.lock().await = Some(tokio::spawn(w.run()));
            if config.retention_days > 0 {
                let days = i64::from(config.retention_days);
                *sink.retention.lock().await =
                    Some(tokio::spawn(retention(Arc::clone(&store), days)));
            }
            if let Some(dir) = &config.delivery_dir {
                *sink.delivery.lock().await = Some(tokio::spawn(crate::delivery::run(
                    store,
                    Arc::new(crate::delivery::Directory(dir.clone())),
                    config.delivery_interval,
                )));
            }
        }
        sink
    }

    pub fn config(&self) -> &AuditConfig {
        &self.config
    }

    /// Events dropped because the queue was full.
    pub fn shed_count(&self) -> u64 {
        self.shed.load(Ordering::Relaxed)
    }

    /// Queues one event, applying the full-queue setting.
    pub async fn submit(&self, event: AuditEventRow) -> Submitted {
        let Some(tx) = &self.tx else {
            return Submitted::Disabled;
        };
        let msg = Msg::Event(Box::new(event));
        match self.config.when_full {
            WhenFull::Block => match tx.send(msg).await {
                Ok(()) => Submitted::Queued,
                Err(_) => {
                    tracing::error!("audit writer stopped; event not recorded");
                    Submitted::Disabled
                }
            },
            WhenFull::Shed => match tx.try_send(msg) {
                Ok(()) => Submitted::Queued,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    let n = self.shed.fetch_add(1, Ordering::Relaxed).saturating_add(1);
                    // One line per power of two: visible, without flooding the log.
                    if n.is_power_of_two() {
                        tracing::warn!(
                            dropped = n,
                            "audit queue full: events dropped (audit.when_full = \"shed\")"
                        );
                    }
                    Submitted::Shed
                }
                Err(mpsc::error::TrySendError::Closed(_)) => Submitted::Disabled,
            },
        }
    }

    /// Waits until every event queued so far is committed.
    pub async fn flush(&self) {
        let Some(tx) = &self.tx else { return };
        let (done, wait) = oneshot::channel();
        if tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Commits what is queued and stops the background tasks (server shutdown). The wait
    /// is bounded: with the store unreachable the writer retries forever, and a server
    /// asked to stop must still stop; what could not be committed is said in the log.
    pub async fn shutdown(&self) {
        if tokio::time::timeout(SHUTDOWN_GRACE, self.flush())
            .await
            .is_err()
        {
            tracing::error!(
                grace_secs = SHUTDOWN_GRACE.as_secs(),
                "audit events still queued at shutdown could not be committed (store unreachable); they are lost"
            );
        }
        if let Some(h) = self.retention.lock().await.take() {
            h.abort();
        }
        if let Some(h) = self.delivery.lock().await.take() {
            h.abort();
        }
        if let Some(h) = self.writer.lock().await.take() {
            h.abort();
        }
    }
}

/// How long a stopping server waits for queued events to be committed.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

impl Writer {
    /// Commits batches until every sender is gone. A batch closes when it holds
    /// `batch_max` events, when `commit_interval` has passed since its first message, when
    /// a flush asks for it, or when the queue closes.
    pub async fn run(mut self) {
        let mut batch: Vec<AuditEventRow> = Vec::new();
        let mut waiters: Vec<oneshot::Sender<()>> = Vec::new();
        while let Some(first) = self.rx.recv().await {
            take(first, &mut batch, &mut waiters);
            let deadline = tokio::time::Instant::now() + self.commit_interval;
            while batch.len() < self.batch_max && waiters.is_empty() {
                let next = match self.rx.try_recv() {
                    Ok(m) => Some(m),
                    Err(mpsc::error::TryRecvError::Disconnected) => None,
                    Err(mpsc::error::TryRecvError::Empty) => {
                        match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                            Ok(m) => m,
                            Err(_) => break,
                        }
                    }
                };
                match next {
                    Some(m) => take(m, &mut batch, &mut waiters),
                    None => break,
                }
            }
            // A flush commits at once, with whatever else is already queued.
            while batch.len() < self.batch_max {
                match self.rx.try_recv() {
                    Ok(m) => take(m, &mut batch, &mut waiters),
                    Err(_) => break,
                }
            }
            self.commit(std::mem::take(&mut batch)).await;
            for w in waiters.drain(..) {
                let _ = w.send(());
            }
        }
    }

    /// Commits one batch, retrying until the store takes it: events are never dropped on
    /// a store error (the queue fills meanwhile and the full-queue setting applies).
    async fn commit(&self, batch: Vec<AuditEventRow>) {
        if batch.is_empty() {
            return;
        }
        let batch = Arc::new(batch);
        let mut delay = Duration::from_millis(10);
        loop {
            match self.store.append_audit_events(Arc::clone(&batch)).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::error!(error = %e, events = batch.len(), "audit batch not committed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
            }
        }
    }
}

fn take(m: Msg, batch: &mut Vec<AuditEventRow>, waiters: &mut Vec<oneshot::Sender<()>>) {
    match m {
        Msg::Event(e) => batch.push(*e),
        Msg::Flush(w) => waiters.push(w),
    }
}

/// Deletes expired events now and then every hour.
async fn retention(store: Arc<Store>, days: i64) {
    loop {
        let cutoff = chrono::Utc::now() - chrono::Duration::days(days);
        match store.purge_audit_events(cutoff.timestamp_millis()).await {
            Ok(n) if n > 0 => tracing::info!(deleted = n, "audit events past retention deleted"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "audit retention failed"),
        }
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn row(i: i64) -> AuditEventRow {
        AuditEventRow {
            event_id: format!("e{i:04}"),
            account_id: "123456789012".into(),
            event_time_ms: 1_700_000_000_000 + i,
            event_name: "ListUsers".into(),
            event_source: "iam.amazonaws.com".into(),
            read_only: true,
            management: true,
            access_key_id: Some("AKIA".into()),
            username: Some("alice".into()),
            origin_key_id: Some("AKIA".into()),
            resources: vec![],
            record: "{}".into(),
        }
    }

    async fn store(dir: &tempfile::TempDir) -> Arc<Store> {
        let ring = Arc::new(hourglass_store::KeyRing::generate("k1").unwrap());
        Arc::new(Store::open(dir.path().join("db"), ring).await.unwrap())
    }

    fn query(limit: u32) -> hourglass_store::AuditQuery {
        hourglass_store::AuditQuery {
            account_id: "123456789012".into(),
            attribute: None,
            start_ms: 0,
            end_ms: i64::MAX,
            after: None,
            limit,
            include_data_events: true,
        }
    }

    #[tokio::test]
    async fn shed_drops_and_counts_when_the_queue_is_full() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = AuditConfig {
            queue_capacity: 2,
            when_full: WhenFull::Shed,
            ..AuditConfig::default()
        };
        let (sink, writer) = AuditSink::new(store(&dir).await, cfg);
        // The writer is not running: the queue fills.
        assert_eq!(sink.submit(row(1)).await, Submitted::Queued);
        assert_eq!(sink.submit(row(2)).await, Submitted::Queued);
        assert_eq!(sink.submit(row(3)).await, Submitted::Shed);
        assert_eq!(sink.shed_count(), 1);
        drop(writer);
    }

    #[tokio::test]
    async fn block_waits_for_room_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let st = store(&dir).await;
        let cfg = AuditConfig {
            queue_capacity: 1,
            batch_max: 1,
            ..AuditConfig::default()
        };
        let (sink, writer) = AuditSink::new(Arc::clone(&st), cfg);
        assert_eq!(sink.submit(row(1)).await, Submitted::Queued);
        // The queue is full: the next submit must wait, not drop.
        let blocked = {
            let sink = Arc::clone(&sink);
            tokio::spawn(async move { sink.submit(row(2)).await })
        };
        tokio::task::yield_now().await;
        assert!(!blocked.is_finished());
        let w = tokio::spawn(writer.unwrap().run());
        assert_eq!(blocked.await.unwrap(), Submitted::Queued);
        for i in 3..20 {
            assert_eq!(sink.submit(row(i)).await, Submitted::Queued);
        }
        sink.flush().await;
        assert_eq!(st.lookup_audit_events(&query(50)).await.unwrap().len(), 19);
        assert_eq!(sink.shed_count(), 0);
        w.abort();
    }

    #[tokio::test]
    async fn a_batch_waits_for_its_interval_but_a_flush_commits_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let st = store(&dir).await;
        // An interval no test would wait out: a flush that waited for it would hang.
        let cfg = AuditConfig {
            commit_interval: Duration::from_secs(3600),
            ..AuditConfig::default()
        };
        let (sink, writer) = AuditSink::new(Arc::clone(&st), cfg);
        let w = tokio::spawn(writer.unwrap().run());
        for i in 1..=3 {
            assert_eq!(sink.submit(row(i)).await, Submitted::Queued);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(st.lookup_audit_events(&query(50)).await.unwrap().len(), 0);
        tokio::time::timeout(Duration::from_secs(30), sink.flush())
            .await
            .unwrap();
        assert_eq!(st.lookup_audit_events(&query(50)).await.unwrap().len(), 3);
        w.abort();
    }

    #[tokio::test]
    async fn without_a_flush_a_batch_commits_when_its_interval_is_over() {
        let dir = tempfile::tempdir().unwrap();
        let st = store(&dir).await;
        let cfg = AuditConfig {
            commit_interval: Duration::from_millis(20),
            ..AuditConfig::default()
        };
        let (sink, writer) = AuditSink::new(Arc::clone(&st), cfg);
        let w = tokio::spawn(writer.unwrap().run());
        assert_eq!(sink.submit(row(1)).await, Submitted::Queued);
        let mut seen = 0;
        for _ in 0..300 {
            seen = st.lookup_audit_events(&query(50)).await.unwrap().len();
            if seen == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(seen, 1);
        w.abort();
    }
}
