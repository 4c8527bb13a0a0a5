//! The accept loop: one TCP listener, optionally TLS, HTTP/1.1 and HTTP/2 per connection,
//! a cap on connections served at once, per-connection timeouts, and a graceful stop on
//! SIGINT/SIGTERM that lets requests in flight finish.

pub mod conn;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::Limits;
use crate::state::AppState;
use conn::{Activity, TrackedBody, WriteDeadline};

/// HTTP/1.1 and HTTP/2 settings from the limits. hyper's HTTP/1 header clock starts as soon
/// as it waits for a request, so it also closes a kept-alive connection that stays silent.
fn http_builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.h2_max_concurrent_streams)
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        // Pings find a vanished peer while streams are open; the idle clock handles the rest.
        .keep_alive_interval(Some(limits.idle_timeout))
        .keep_alive_timeout(limits.write_timeout);
    builder
}

/// Serves until a stop signal arrives.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let builder = http_builder(&state.config.limits);
    // A slot is taken before accepting, so connections beyond the cap wait in the kernel's
    // listen backlog (clients see a slow connect, not a refusal) until one ends; the
    // timeouts guarantee that every slot frees up.
    let slots = Arc::new(Semaphore::new(state.config.limits.max_connections));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Running out of file descriptors must not end the server.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            remote,
            tls.clone(),
            builder.clone(),
            graceful.watcher(),
            state.clone(),
            permit,
        ));
    }
    tracing::info!("stop signal received; finishing requests in flight");
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(std::time::Duration::from_secs(10)) => {
            tracing::warn!("requests still in flight after 10 s; stopping anyway");
        }
    }
    Ok(())
}

/// One connection, in its own task, holding its slot until it ends.
async fn connection(
    stream: TcpStream,
    remote: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
    builder: auto::Builder<TokioExecutor>,
    watcher: Watcher,
    state: Arc<AppState>,
    _slot: OwnedSemaphorePermit,
) {
    let limits = state.config.limits.clone();
    let io = WriteDeadline::new(stream, limits.write_timeout);
    match tls {
        None => drive(io, remote, false, builder, watcher, state).await,
        Some(acceptor) => {
            // The handshake is part of the request's arrival, on the header clock.
            let stream =
                match tokio::time::timeout(limits.header_read_timeout, acceptor.accept(io)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, %remote, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%remote, "TLS handshake timed out");
                        return;
                    }
                };
            drive(stream, remote, true, builder, watcher, state).await;
        }
    }
}

/// Runs HTTP on an established stream until it ends, fails, or stays idle too long.
async fn drive<I>(
    io: I,
    remote: SocketAddr,
    secure: bool,
    builder: auto::Builder<TokioExecutor>,
    watcher: Watcher,
    state: Arc<AppState>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let idle_timeout = state.config.limits.idle_timeout;
    let activity = Activity::new();
    let tracker = activity.clone();
    let service = service_fn(move |req: hyper::Request<Incoming>| {
        let in_flight = tracker.begin();
        let state = state.clone();
        async move {
            let resp = crate::pipeline::handle(req, remote, secure, state).await;
            Ok::<_, Infallible>(resp.map(|b| TrackedBody::new(b, in_flight)))
        }
    });
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    let conn = watcher.watch(conn.into_owned());
    tokio::select! {
        ended = conn => {
            if let Err(e) = ended {
                tracing::debug!(error = %e, %remote, "connection ended with an error");
            }
        }
        // Dropping the connection closes the socket; nothing is in flight to lose.
        () = activity.idle_for(idle_timeout) => {
            tracing::debug!(%remote, "closing idle connection");
        }
    }
}

/// Registers SIGINT and SIGTERM handlers now, and returns a future that resolves when one
/// arrives. Registering before the ready line is printed matters: a supervisor may signal
/// the instant it sees that line, and an unregistered signal would kill the process without
/// a clean stop.
pub fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// The address actually bound.
pub fn local_addr(listener: &TcpListener) -> std::io::Result<SocketAddr> {
    listener.local_addr()
}
