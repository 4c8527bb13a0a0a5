//! The accept loop: one TCP listener, optionally TLS, HTTP/1.1 and HTTP/2 per connection,
//! and a graceful stop on SIGINT/SIGTERM that lets requests in flight finish.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

use crate::http::router;
use crate::state::AppState;

/// Serves until a stop signal arrives. `on_ready` receives the bound address once the
/// listener accepts connections (port 0 resolves to the real port here).
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Running out of file descriptors must not end the server.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let secure = tls.is_some();
                let service = service_fn(move |req: hyper::Request<Incoming>| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(router::handle(req, remote, secure, state).await) }
                });
                match &tls {
                    None => {
                        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                        let conn = graceful.watch(conn.into_owned());
                        tokio::spawn(async move {
                            if let Err(e) = conn.await {
                                tracing::debug!(error = %e, %remote, "connection ended with an error");
                            }
                        });
                    }
                    Some(acceptor) => {
                        // The handshake runs in the connection's task so a slow client
                        // cannot stall the accept loop.
                        let accept = acceptor.accept(stream);
                        let builder = builder.clone();
                        let watcher = graceful.watcher();
                        tokio::spawn(async move {
                            let stream = match tokio::time::timeout(std::time::Duration::from_secs(10), accept).await {
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
                            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                            if let Err(e) = watcher.watch(conn.into_owned()).await {
                                tracing::debug!(error = %e, %remote, "connection ended with an error");
                            }
                        });
                    }
                }
            }
            () = &mut shutdown => {
                tracing::info!("stop signal received; finishing requests in flight");
                break;
            }
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(std::time::Duration::from_secs(10)) => {
            tracing::warn!("requests still in flight after 10 s; stopping anyway");
        }
    }
    Ok(())
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
