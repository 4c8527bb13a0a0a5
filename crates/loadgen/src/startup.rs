//! Start-up time and idle memory: start the server command on a fresh data directory, time
//! the first successful `/_hourglass/health` and the first successful signed
//! GetCallerIdentity, read VmRSS after an idle pause, stop it; repeat.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::client::Conn;
use crate::request::{Op, Target, plain_get};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the server exited with {status} before answering; its output:\n{log}")]
    Exited { status: String, log: String },
    #[error("no successful {what} within {secs} s; the server's output:\n{log}")]
    Timeout {
        what: &'static str,
        secs: u64,
        log: String,
    },
    #[error("empty command")]
    NoCommand,
}

#[derive(Debug, Clone)]
pub struct StartupOpts {
    pub runs: usize,
    pub idle: Duration,
    pub timeout: Duration,
    /// Program and arguments; `{listen}`, `{data}` and `{rand}` are replaced per run.
    pub command: Vec<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub region: String,
    /// Also time a second start on what each first start left (a restart).
    pub restart: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct StartupRun {
    pub health_ms: f64,
    pub first_call_ms: f64,
    pub rss_kib: u64,
}

fn unique_token(i: usize) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{:x}{:08x}{i}", std::process::id(), nanos)
}

fn free_port() -> std::io::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// VmRSS of a process in KiB.
pub fn vm_rss_kib(pid: u32) -> std::io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| std::io::Error::other("no VmRSS line"))
}

fn read_log(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

struct Cleanup {
    child: Option<Child>,
    paths: Vec<PathBuf>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            stop(child);
        }
        for p in &self.paths {
            let _ = std::fs::remove_dir_all(p);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Times one start of the command (already expanded) until its first answers.
async fn start_once(
    opts: &StartupOpts,
    args: &[String],
    listen: &str,
    log_path: &Path,
    guard: &mut Cleanup,
) -> Result<StartupRun, StartupError> {
    let addr: SocketAddr = listen
        .parse()
        .map_err(|_| std::io::Error::other(format!("bad listen address {listen}")))?;
    let (program, rest) = args.split_first().ok_or(StartupError::NoCommand)?;
    let log = std::fs::File::options()
        .create(true)
        .append(true)
        .open(log_path)?;
    let log_err = log.try_clone()?;

    let started = Instant::now();
    let child = Command::new(program)
        .args(rest)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()?;
    let pid = child.id();
    let child = guard.child.insert(child);

    let target = Target {
        host: listen.to_owned(),
        access_key_id: opts.access_key_id.clone(),
        secret_access_key: opts.secret_access_key.clone(),
        session_token: opts.session_token.clone(),
        region: opts.region.clone(),
    };
    let health = plain_get(listen, "/_hourglass/health");
    let gci = Op::query("sts", "GetCallerIdentity", &[]);
    let mut conn = Conn::new(addr);
    let mut health_ms = None;
    let first_call_ms = loop {
        if let Some(status) = child.try_wait()? {
            return Err(StartupError::Exited {
                status: status.to_string(),
                log: read_log(log_path),
            });
        }
        if started.elapsed() > opts.timeout {
            return Err(StartupError::Timeout {
                what: if health_ms.is_none() {
                    "health check"
                } else {
                    "GetCallerIdentity"
                },
                secs: opts.timeout.as_secs(),
                log: read_log(log_path),
            });
        }
        let resp = match health_ms {
            None => conn.send(&health, &[]).await,
            Some(_) => conn.send(&gci.head(&target), &gci.body).await,
        };
        match resp {
            Ok(r) if r.status == 200 => {
                let ms = started.elapsed().as_secs_f64() * 1000.0;
                if health_ms.is_none() {
                    health_ms = Some(ms);
                } else {
                    break ms;
                }
            }
            Ok(_) | Err(_) => tokio::time::sleep(Duration::from_millis(1)).await,
        }
    };
    drop(conn);
    tokio::time::sleep(opts.idle).await;
    let rss_kib = vm_rss_kib(pid)?;
    Ok(StartupRun {
        health_ms: health_ms.unwrap_or(first_call_ms),
        first_call_ms,
        rss_kib,
    })
}

/// One first start on a fresh data directory (and fresh `{rand}`); with `opts.restart`,
/// then a second start of the same command on what the first one left, as a node restarts.
async fn one_run(
    opts: &StartupOpts,
    i: usize,
) -> Result<(StartupRun, Option<StartupRun>), StartupError> {
    let token = unique_token(i);
    let port = free_port()?;
    let listen = format!("127.0.0.1:{port}");
    let data = std::env::temp_dir().join(format!("hg-startup-{token}"));
    let log_path = std::env::temp_dir().join(format!("hg-startup-{token}.log"));
    std::fs::create_dir_all(&data)?;
    let mut guard = Cleanup {
        child: None,
        paths: vec![data.clone(), log_path.clone()],
    };
    let args: Vec<String> = opts
        .command
        .iter()
        .map(|a| {
            a.replace("{listen}", &listen)
                .replace("{data}", &data.to_string_lossy())
                .replace("{rand}", &token)
        })
        .collect();
    let first = start_once(opts, &args, &listen, &log_path, &mut guard).await?;
    if !opts.restart {
        return Ok((first, None));
    }
    if let Some(mut child) = guard.child.take() {
        stop(&mut child);
    }
    let again = start_once(opts, &args, &listen, &log_path, &mut guard).await?;
    Ok((first, Some(again)))
}

pub async fn measure(
    opts: &StartupOpts,
) -> Result<(Vec<StartupRun>, Vec<StartupRun>), StartupError> {
    let mut runs = Vec::with_capacity(opts.runs);
    let mut restarts = Vec::new();
    for i in 0..opts.runs {
        let (run, again) = one_run(opts, i).await?;
        eprintln!(
            "start-up run {}: health {:.1} ms, first GetCallerIdentity {:.1} ms, idle VmRSS {} KiB",
            i + 1,
            run.health_ms,
            run.first_call_ms,
            run.rss_kib
        );
        runs.push(run);
        if let Some(again) = again {
            eprintln!(
                "  restart: health {:.1} ms, first GetCallerIdentity {:.1} ms, idle VmRSS {} KiB",
                again.health_ms, again.first_call_ms, again.rss_kib
            );
            restarts.push(again);
        }
    }
    Ok((runs, restarts))
}

/// Median of a list (mean of the two middle values for an even count).
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}
