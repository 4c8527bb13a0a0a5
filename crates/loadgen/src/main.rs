//! `hourglass-loadgen`: the load generator behind `scripts/bench` and
//! `docs/performance.md`.
//!
//! - `run <scenario>` drives an endpoint with N concurrent keep-alive HTTP/1.1 connections
//!   (closed loop) for a fixed duration or request count, signing every request with a
//!   fresh SigV4 signature as botocore does, and reports requests/s, latency percentiles
//!   and, for the large-object S3 scenarios, throughput. `--session` runs as an AssumeRole
//!   session, `--unsigned-payload` signs S3 bodies as `UNSIGNED-PAYLOAD`.
//! - `ceiling` is a trivial hyper server answering a fixed GetCallerIdentity document
//!   without verification: the upper bound of the HTTP stack on this machine.
//! - `startup` times a server from process start to its first successful answer on an empty
//!   data directory and reads its idle resident memory.

mod ceiling;
mod client;
mod request;
mod run;
mod scenario;
mod setup;
mod startup;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::client::Conn;
use crate::request::Target;
use crate::run::RunOpts;
use crate::scenario::{Scenario, ScenarioOpts, Setup};
use crate::startup::StartupOpts;

#[derive(Debug, Parser)]
#[command(
    name = "hourglass-loadgen",
    version,
    about = "Load generator for Hourglass benchmarks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Drive an endpoint with one scenario and report requests/s and latency percentiles.
    Run(RunArgs),
    /// Serve a fixed GetCallerIdentity answer without verification (the ceiling).
    Ceiling(CeilingArgs),
    /// Time a server's start-up on an empty data directory and read its idle memory.
    Startup(StartupArgs),
}

#[derive(Debug, Args)]
struct Creds {
    /// Access key id to sign with.
    #[arg(long, env = "AWS_ACCESS_KEY_ID")]
    access_key: String,
    /// Secret access key to sign with.
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    secret_key: String,
    /// Session token of temporary credentials (`ASIA…` keys).
    #[arg(long, env = "AWS_SESSION_TOKEN", hide_env_values = true)]
    session_token: Option<String>,
    /// Region of the signing scope.
    #[arg(long, default_value = "us-east-1")]
    region: String,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// What to send.
    #[arg(value_enum)]
    scenario: Scenario,
    /// Base URL of the server (http only).
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    endpoint: String,
    #[command(flatten)]
    creds: Creds,
    /// Concurrent keep-alive connections.
    #[arg(short, long, default_value_t = 32)]
    concurrency: usize,
    /// Measured seconds (after the warm-up).
    #[arg(short, long, default_value_t = 8.0)]
    duration: f64,
    /// Warm-up seconds, not measured.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Stop after this many measured requests (or when the duration ends).
    #[arg(short = 'n', long)]
    requests: Option<u64>,
    /// Role to assume in `assume-role`; by default the loadgen creates `lg-role` trusting
    /// the caller's account.
    #[arg(long)]
    role_arn: Option<String>,
    /// Bucket for the S3 scenarios (created if missing).
    #[arg(long, default_value = "lg-bucket")]
    bucket: String,
    /// Object size in bytes for `s3-put` and `s3-get`.
    #[arg(long, default_value_t = 1024)]
    object_size: usize,
    /// Object size in bytes for `s3-put-large` and `s3-get-large`.
    #[arg(long, default_value_t = 8 * 1024 * 1024)]
    large_size: usize,
    /// Run as an AssumeRole session: create a user and a role allowed `s3:*`, `iam:*` and
    /// `sts:*`, assume it, and sign the scenario with the session's credentials.
    #[arg(long)]
    session: bool,
    /// Keys in the `s3-list` bucket (`BUCKET-list`, filled on first use).
    #[arg(long, default_value_t = 100_000)]
    list_keys: u64,
    /// Sign S3 request bodies as `UNSIGNED-PAYLOAD` (the server then does not hash them).
    #[arg(long)]
    unsigned_payload: bool,
    /// Tokio worker threads of the load generator.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Name of the server in the report.
    #[arg(long, default_value = "server")]
    label: String,
    /// Also print the result as one JSON line on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct CeilingArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// Tokio worker threads [default: one per CPU, like hourglass].
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Debug, Args)]
struct StartupArgs {
    /// Number of starts.
    #[arg(long, default_value_t = 10)]
    runs: usize,
    /// Seconds to wait after the first answer before reading VmRSS.
    #[arg(long, default_value_t = 2.0)]
    idle: f64,
    /// Give up on a start after this many seconds.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    #[command(flatten)]
    creds: Creds,
    /// Name of the configuration in the report.
    #[arg(long, default_value = "server")]
    label: String,
    /// Also print the result as one JSON line on stdout.
    #[arg(long)]
    json: bool,
    /// After each first start, stop the server and start it again on what it left (same
    /// data directory, same `{rand}`), and time that restart too.
    #[arg(long)]
    restart: bool,
    /// The server command; `{listen}`, `{data}` (a fresh empty directory) and `{rand}` (a
    /// unique token) are replaced on every start.
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("setup failed: {0}")]
    Setup(#[from] setup::SetupError),
    #[error("{0}")]
    Startup(#[from] startup::StartupError),
}

fn runtime(threads: Option<usize>) -> std::io::Result<tokio::runtime::Runtime> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = threads {
        b.worker_threads(n.max(1));
    }
    b.enable_all().build()
}

fn seconds(value: f64, what: &str) -> Result<Duration, CliError> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| CliError::Usage(format!("--{what} must be a non-negative number of seconds")))
}

async fn resolve(endpoint: &str) -> Result<(String, std::net::SocketAddr), CliError> {
    let host = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| CliError::Usage(format!("endpoint {endpoint:?} must start with http://")))?
        .trim_end_matches('/')
        .to_string();
    if host.contains('/') {
        return Err(CliError::Usage(format!(
            "endpoint {endpoint:?} must not have a path"
        )));
    }
    let addr = tokio::net::lookup_host(host.as_str())
        .await?
        .next()
        .ok_or_else(|| CliError::Usage(format!("cannot resolve {host}")))?;
    Ok((host, addr))
}

fn cmd_run(args: RunArgs) -> Result<(), CliError> {
    if args.concurrency == 0 {
        return Err(CliError::Usage("--concurrency must be at least 1".into()));
    }
    let opts = RunOpts {
        concurrency: args.concurrency,
        duration: seconds(args.duration, "duration")?,
        warmup: seconds(args.warmup, "warmup")?,
        requests: args.requests,
    };
    let rt = runtime(Some(args.threads))?;
    rt.block_on(async move {
        let (host, addr) = resolve(&args.endpoint).await?;
        let target = Target {
            host,
            access_key_id: args.creds.access_key,
            secret_access_key: args.creds.secret_key,
            session_token: args.creds.session_token,
            region: args.creds.region,
        };
        let sopts = ScenarioOpts {
            role_arn: args.role_arn,
            object_size: args.object_size,
            large_size: args.large_size,
            bucket: args.bucket,
            unsigned_payload: args.unsigned_payload,
            list_keys: args.list_keys,
        };
        let name = args.scenario.name();
        let mut conn = Conn::new(addr);
        let target = if args.session {
            setup::session(&mut conn, &target).await?
        } else {
            target
        };
        let (prepared, target) = match scenario::prepare(args.scenario, &target, &mut conn, &sopts).await? {
            Setup::Ready(p, run_as) => (p, run_as.unwrap_or(target)),
            Setup::Skip(why) => {
                println!("{} {name}: skipped, not implemented by this server ({why})", args.label);
                if args.json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "label": args.label, "scenario": name, "skipped": why,
                        })
                    );
                }
                return Ok(());
            }
        };
        drop(conn);
        let s = run::run(addr, Arc::new(target), Arc::from(prepared), opts).await;
        let throughput = if args.scenario.is_throughput() {
            format!(", {:.1} MiB/s ({:.0} MB/s)", s.mib_per_s, s.mb_per_s)
        } else {
            String::new()
        };
        println!(
            "{} {name}: {:.0} req/s{throughput}, latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} ok, {} errors, {} connections, c={}, {:.1} s)",
            args.label,
            s.rps,
            s.p50_ms,
            s.p90_ms,
            s.p99_ms,
            s.max_ms,
            s.ok,
            s.errors,
            s.connects,
            opts.concurrency,
            s.seconds
        );
        if let Some(e) = &s.first_error {
            println!("  first error: {e}");
        }
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "label": args.label,
                    "scenario": name,
                    "concurrency": opts.concurrency,
                    "ok": s.ok,
                    "errors": s.errors,
                    "first_error": s.first_error,
                    "seconds": s.seconds,
                    "rps": s.rps,
                    "mib_per_s": s.mib_per_s,
                    "mb_per_s": s.mb_per_s,
                    "p50_ms": s.p50_ms,
                    "p90_ms": s.p90_ms,
                    "p99_ms": s.p99_ms,
                    "max_ms": s.max_ms,
                    "connects": s.connects,
                })
            );
        }
        if s.ok == 0 {
            return Err(CliError::Usage(format!(
                "no successful request: {}",
                s.first_error.unwrap_or_default()
            )));
        }
        Ok(())
    })
}

fn cmd_startup(args: StartupArgs) -> Result<(), CliError> {
    let opts = StartupOpts {
        runs: args.runs.max(1),
        idle: seconds(args.idle, "idle")?,
        timeout: Duration::from_secs(args.timeout),
        command: args.command,
        access_key_id: args.creds.access_key,
        secret_access_key: args.creds.secret_key,
        session_token: args.creds.session_token,
        region: args.creds.region,
        restart: args.restart,
    };
    let rt = runtime(Some(1))?;
    let (runs, restarts) = rt.block_on(startup::measure(&opts))?;
    let mut restart_first: Vec<f64> = restarts.iter().map(|r| r.first_call_ms).collect();
    let restart_ms = startup::median(&mut restart_first);
    if !restarts.is_empty() {
        println!(
            "{} restart (median of {}): first GetCallerIdentity {restart_ms:.1} ms (min {:.1}, max {:.1})",
            args.label,
            restarts.len(),
            restart_first.first().copied().unwrap_or_default(),
            restart_first.last().copied().unwrap_or_default(),
        );
    }
    let mut health: Vec<f64> = runs.iter().map(|r| r.health_ms).collect();
    let mut first: Vec<f64> = runs.iter().map(|r| r.first_call_ms).collect();
    let mut rss: Vec<f64> = runs.iter().map(|r| r.rss_kib as f64).collect();
    let (h, f, m) = (
        startup::median(&mut health),
        startup::median(&mut first),
        startup::median(&mut rss),
    );
    println!(
        "{} start-up (median of {}): health {h:.1} ms, first GetCallerIdentity {f:.1} ms (min {:.1}, max {:.1}), idle VmRSS {:.1} MiB",
        args.label,
        runs.len(),
        first.first().copied().unwrap_or_default(),
        first.last().copied().unwrap_or_default(),
        m / 1024.0
    );
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "label": args.label,
                "runs": runs.len(),
                "health_ms": h,
                "first_call_ms": f,
                "first_call_min_ms": first.first(),
                "first_call_max_ms": first.last(),
                "rss_kib": m,
                "restart_first_call_ms": (!restarts.is_empty()).then_some(restart_ms),
                "restart_first_call_min_ms": restart_first.first(),
                "restart_first_call_max_ms": restart_first.last(),
            })
        );
    }
    Ok(())
}

fn cmd_ceiling(args: CeilingArgs) -> Result<(), CliError> {
    let rt = runtime(args.threads)?;
    rt.block_on(ceiling::serve(&args.listen))?;
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => cmd_run(a),
        Command::Ceiling(a) => cmd_ceiling(a),
        Command::Startup(a) => cmd_startup(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hourglass-loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}
