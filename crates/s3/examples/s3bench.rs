//! S3 load generator: small-object PUT and GET rates (with latency percentiles) and
//! large-object PUT/GET throughput against a running server, every request SigV4-signed
//! like botocore signs it. A minimal keep-alive HTTP/1.1 client keeps the client cheap so
//! the server is what is measured.
//!
//! ```text
//! cargo run --release -p hourglass-s3 --example s3bench -- \
//!     --endpoint http://127.0.0.1:9000 --access-key AKIA… --secret-key … \
//!     [--session-token …] [--concurrency 16] [--seconds 10] [--size 4096] [--large-mib 256]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hourglass_sigv4::{
    Credentials, PathMode, Request, SigningParams, UNSIGNED_PAYLOAD, sha256_hex, sign_v4,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Clone)]
struct Opts {
    host: String,
    access_key: String,
    secret_key: String,
    token: Option<String>,
    concurrency: usize,
    seconds: u64,
    size: usize,
    large_mib: usize,
    bucket: String,
}

fn parse_args() -> Opts {
    let mut o = Opts {
        host: "127.0.0.1:9000".into(),
        access_key: String::new(),
        secret_key: String::new(),
        token: None,
        concurrency: 16,
        seconds: 10,
        size: 4096,
        large_mib: 256,
        bucket: format!("bench-{}", std::process::id()),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i + 1 < args.len() {
        let v = args[i + 1].clone();
        match args[i].as_str() {
            "--endpoint" => {
                o.host = v
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_string()
            }
            "--access-key" => o.access_key = v,
            "--secret-key" => o.secret_key = v,
            "--session-token" => o.token = Some(v),
            "--concurrency" => o.concurrency = v.parse().expect("concurrency"),
            "--seconds" => o.seconds = v.parse().expect("seconds"),
            "--size" => o.size = v.parse().expect("size"),
            "--large-mib" => o.large_mib = v.parse().expect("large-mib"),
            "--bucket" => o.bucket = v,
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    assert!(
        !o.access_key.is_empty() && !o.secret_key.is_empty(),
        "--access-key and --secret-key are required"
    );
    o
}

struct Conn {
    stream: BufReader<TcpStream>,
}

impl Conn {
    async fn open(host: &str) -> Conn {
        let s = TcpStream::connect(host).await.expect("connect");
        s.set_nodelay(true).unwrap();
        Conn {
            stream: BufReader::with_capacity(256 * 1024, s),
        }
    }

    /// Sends a signed request; `body` is sent as given, `payload_hash` signs it. Returns the
    /// status and the number of body bytes received (discarded).
    async fn send(
        &mut self,
        o: &Opts,
        method: &str,
        path: &str,
        body: &[u8],
        payload_hash: &str,
    ) -> (u16, u64) {
        let len = body.len().to_string();
        let headers = [("host", o.host.as_str()), ("content-length", len.as_str())];
        let req = Request {
            method,
            path,
            query: "",
            headers: &headers,
        };
        let signed = sign_v4(
            &req,
            &SigningParams {
                credentials: Credentials {
                    access_key_id: &o.access_key,
                    secret_access_key: &o.secret_key,
                    session_token: o.token.as_deref(),
                },
                region: "us-east-1",
                service: "s3",
                time: chrono::Utc::now(),
                path_mode: PathMode::AsSent,
                payload_hash,
                content_sha256_header: true,
            },
        );
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\ncontent-length: {len}\r\n",
            o.host
        );
        for (k, v) in &signed.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let w = self.stream.get_mut();
        w.write_all(head.as_bytes()).await.unwrap();
        for chunk in body.chunks(1 << 20) {
            w.write_all(chunk).await.unwrap();
        }
        self.read_response(method == "HEAD").await
    }

    async fn read_response(&mut self, head_only: bool) -> (u16, u64) {
        let mut header = Vec::with_capacity(1024);
        loop {
            let b = self.stream.read_u8().await.expect("response");
            header.push(b);
            if header.ends_with(b"\r\n\r\n") {
                break;
            }
        }
        let text = String::from_utf8_lossy(&header);
        let status: u16 = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let length: u64 = text
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap_or(0))
            })
            .unwrap_or(0);
        if head_only {
            return (status, 0);
        }
        let mut remaining = length;
        let mut buf = vec![0u8; 256 * 1024];
        while remaining > 0 {
            let want = buf
                .len()
                .min(usize::try_from(remaining).unwrap_or(buf.len()));
            let n = self.stream.read(&mut buf[..want]).await.unwrap();
            assert!(n > 0, "connection closed mid-body");
            remaining -= n as u64;
        }
        (status, length)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Runs `op(worker, i)` on `concurrency` connections for `seconds`; reports rate and latency.
async fn phase(o: &Opts, name: &str, get: bool) -> u64 {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let payload = vec![b'x'; o.size];
    let payload_hash = sha256_hex(&payload);
    let mut tasks = Vec::new();
    let start = Instant::now();
    for w in 0..o.concurrency {
        let (o, stop, count, payload, payload_hash) = (
            o.clone(),
            stop.clone(),
            count.clone(),
            payload.clone(),
            payload_hash.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&o.host).await;
            let mut lat = Vec::new();
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                // GETs read back the keys the PUT phase wrote (it wrote at least 200 per worker).
                let path = format!("/{}/small/{w}/{}", o.bucket, if get { i % 200 } else { i });
                let t = Instant::now();
                let (status, _) = if get {
                    conn.send(&o, "GET", &path, b"", hourglass_sigv4::EMPTY_SHA256)
                        .await
                } else {
                    conn.send(&o, "PUT", &path, &payload, &payload_hash).await
                };
                assert_eq!(status, 200, "{path}");
                lat.push(t.elapsed());
                count.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
            lat
        }));
    }
    tokio::time::sleep(Duration::from_secs(o.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    let n = count.load(Ordering::Relaxed);
    println!(
        "{name:<10} {:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  ({n} requests, {} B objects, {} connections)",
        n as f64 / elapsed,
        percentile(&all, 0.50).as_secs_f64() * 1000.0,
        percentile(&all, 0.99).as_secs_f64() * 1000.0,
        o.size,
        o.concurrency,
    );
    n
}

#[tokio::main]
async fn main() {
    let o = parse_args();
    let mut conn = Conn::open(&o.host).await;
    let (status, _) = conn
        .send(
            &o,
            "PUT",
            &format!("/{}", o.bucket),
            b"",
            hourglass_sigv4::EMPTY_SHA256,
        )
        .await;
    assert!(status == 200 || status == 409, "create bucket: {status}");

    // Writes must exceed 200 per worker so the GET phase finds its keys.
    let puts = phase(&o, "small PUT", false).await;
    assert!(
        puts >= 200 * o.concurrency as u64,
        "PUT phase too short for the GET phase"
    );
    phase(&o, "small GET", true).await;

    let large = vec![7u8; o.large_mib << 20];
    let path = format!("/{}/large", o.bucket);
    let t = Instant::now();
    let (status, _) = conn.send(&o, "PUT", &path, &large, UNSIGNED_PAYLOAD).await;
    assert_eq!(status, 200);
    let put_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (status, n) = conn
        .send(&o, "GET", &path, b"", hourglass_sigv4::EMPTY_SHA256)
        .await;
    assert_eq!((status, n), (200, large.len() as u64));
    let get_s = t.elapsed().as_secs_f64();
    let mib = o.large_mib as f64 * 1.048_576;
    println!(
        "large PUT  {:>8.0} MB/s  ({} MiB, UNSIGNED-PAYLOAD, one connection)",
        mib / put_s,
        o.large_mib
    );
    println!(
        "large GET  {:>8.0} MB/s  ({} MiB, one connection)",
        mib / get_s,
        o.large_mib
    );
}
