//! The Hourglass HTTP server: one port for IAM and STS (Query protocol), S3 (REST), the
//! JSON-protocol services, plus `/_hourglass/` health and metrics.

pub mod api;
pub mod audit;
pub mod bootstrap;
pub mod config;
pub mod credentials;
pub mod http;
pub mod internal;
pub mod json;
pub mod key_age;
pub mod listener;
pub mod metrics;
mod operation_enum;
pub mod pipeline;
pub mod query;
pub mod state;

use std::io::Write;
use std::sync::Arc;

use config::Config;
use state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Bootstrap(#[from] bootstrap::BootstrapError),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("server stopped with an error: {0}")]
    Serve(std::io::Error),
}

/// Installs the `tracing` subscriber: human-readable lines on stderr, filtered by `filter`.
pub fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Opens storage, ensures the account and its root credentials, then serves until SIGINT or
/// SIGTERM. Prints `hourglass listening on http://ADDR` on stdout once ready; tests and
/// scripts wait for that line.
pub async fn run(config: Config) -> Result<(), ServerError> {
    // Signals are caught from the very start, so a stop requested during start-up is
    // honoured as soon as the server is up rather than killing it mid-migration.
    let stop = listener::stop_signal().map_err(ServerError::Serve)?;
    let metrics = metrics::Metrics::new();
    metrics.spawn_upkeep();
    let identity = bootstrap::open(&config, metrics.telemetry().clone()).await?;
    let s3 = bootstrap::open_s3(&config, identity.clone()).await?;
    let tls = match &config.tls {
        Some(files) => Some(http::tls::acceptor(files).map_err(ServerError::Tls)?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener::local_addr(&listener).map_err(ServerError::Serve)?;
    let workloads = credentials::Workloads::new(&config.workloads);
    for w in workloads.iter() {
        if let Some(addr) = w.spec.imds_listen {
            let bound = credentials::imds::spawn(addr, Arc::clone(w), Arc::clone(&identity))
                .await
                .map_err(|source| ServerError::Bind { addr, source })?;
            tracing::info!(workload = %w.spec.name, %bound, "instance metadata listener ready");
        }
    }
    let secrets = Arc::new(api::secretsmanager::SecretsRuntime::new(
        Arc::clone(identity.store()),
        &config.account_id,
        config.secrets.clone(),
    ));
    let audit =
        hourglass_audit::AuditSink::start(Arc::clone(identity.store()), config.audit.clone()).await;
    let state = Arc::new(AppState {
        config,
        identity,
        s3,
        metrics,
        workloads,
        secrets,
        audit,
    });
    let scheme = if tls.is_some() { "https" } else { "http" };
    let _ = state.secrets.endpoint.set(format!("{scheme}://{addr}"));
    api::secretsmanager::worker::spawn(Arc::clone(&state));
    // Before the first answer: a key past its maximum age is never served once more.
    key_age::start(&state).await;
    audit::start_bucket_delivery(&state);
    api::cloudtrail::trail_delivery::start(&state);
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "hourglass listening on {scheme}://{addr}");
        let _ = out.flush();
    }
    tracing::info!(%addr, account = %state.config.account_id, "ready");
    let served = listener::serve(listener, Arc::clone(&state), tls, stop).await;
    // Events of requests answered before the stop are committed before the process exits.
    state.audit.shutdown().await;
    served.map_err(ServerError::Serve)
}
