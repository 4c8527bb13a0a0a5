//! The closed-loop runner: N connections, each sending its next request as soon as the last
//! answer arrived, for a fixed duration or request count after a warm-up.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::client::Conn;
use crate::request::Target;
use crate::scenario::Prepared;

#[derive(Debug, Clone, Copy)]
pub struct RunOpts {
    pub concurrency: usize,
    pub duration: Duration,
    pub warmup: Duration,
    pub requests: Option<u64>,
}

#[derive(Debug, Default)]
struct WorkerResult {
    latencies_us: Vec<u32>,
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    bytes: u64,
    connects: u64,
    last_done: Option<Instant>,
}

/// Figures of one run.
#[derive(Debug, Clone)]
pub struct Summary {
    pub ok: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub seconds: f64,
    pub rps: f64,
    pub mib_per_s: f64,
    pub mb_per_s: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub connects: u64,
}

fn percentile_ms(sorted_us: &[u32], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted_us.len() as f64).ceil() as usize;
    let idx = rank.saturating_sub(1).min(sorted_us.len() - 1);
    f64::from(sorted_us[idx]) / 1000.0
}

pub async fn run(
    addr: SocketAddr,
    target: Arc<Target>,
    prepared: Arc<Prepared>,
    opts: RunOpts,
) -> Summary {
    let start = Instant::now();
    let measure_start = start + opts.warmup;
    let end = measure_start + opts.duration;
    let tickets = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::with_capacity(opts.concurrency);
    for worker in 0..opts.concurrency {
        let target = target.clone();
        let prepared = prepared.clone();
        let tickets = tickets.clone();
        handles.push(tokio::spawn(async move {
            let mut conn = Conn::new(addr);
            let mut out = WorkerResult::default();
            let mut seq = 0u64;
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let recording = now >= measure_start;
                if recording
                    && let Some(limit) = opts.requests
                    && tickets.fetch_add(1, Ordering::Relaxed) >= limit
                {
                    break;
                }
                let op = prepared.op(worker, seq);
                seq += 1;
                let head = op.head(&target);
                let sent = Instant::now();
                let result = conn.send(&head, &op.body).await;
                let done = Instant::now();
                if !recording {
                    if result.is_err() {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    continue;
                }
                out.last_done = Some(done);
                match result {
                    Ok(resp) if (200..300).contains(&resp.status) => {
                        out.ok += 1;
                        let us = done.duration_since(sent).as_micros();
                        out.latencies_us.push(u32::try_from(us).unwrap_or(u32::MAX));
                        out.bytes += (op.body.len() as u64).saturating_add(resp.body_len);
                    }
                    Ok(resp) => {
                        out.errors += 1;
                        if out.first_error.is_none() {
                            out.first_error =
                                Some(format!("HTTP {}: {}", resp.status, resp.snippet()));
                        }
                    }
                    Err(e) => {
                        out.errors += 1;
                        if out.first_error.is_none() {
                            out.first_error = Some(e.to_string());
                        }
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            out.connects = conn.connects;
            out
        }));
    }
    let mut all = WorkerResult::default();
    for handle in handles {
        match handle.await {
            Ok(w) => {
                all.latencies_us.extend(w.latencies_us);
                all.ok += w.ok;
                all.errors += w.errors;
                all.bytes += w.bytes;
                all.connects += w.connects;
                if all.first_error.is_none() {
                    all.first_error = w.first_error;
                }
                all.last_done = all.last_done.max(w.last_done);
            }
            Err(e) => {
                all.errors += 1;
                all.first_error
                    .get_or_insert_with(|| format!("worker failed: {e}"));
            }
        }
    }
    all.latencies_us.sort_unstable();
    let seconds = all
        .last_done
        .map(|t| t.saturating_duration_since(measure_start).as_secs_f64())
        .unwrap_or_default()
        .max(1e-9);
    let lat = &all.latencies_us;
    Summary {
        ok: all.ok,
        errors: all.errors,
        first_error: all.first_error,
        seconds,
        rps: all.ok as f64 / seconds,
        mib_per_s: all.bytes as f64 / seconds / (1024.0 * 1024.0),
        mb_per_s: all.bytes as f64 / seconds / 1e6,
        p50_ms: percentile_ms(lat, 0.50),
        p90_ms: percentile_ms(lat, 0.90),
        p99_ms: percentile_ms(lat, 0.99),
        max_ms: lat
            .last()
            .map(|&us| f64::from(us) / 1000.0)
            .unwrap_or_default(),
        connects: all.connects,
    }
}
