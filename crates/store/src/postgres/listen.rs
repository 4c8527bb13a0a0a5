//! The change listener of a PostgreSQL node: one dedicated connection (outside the pool, so a
//! busy pool never delays it) that `LISTEN`s on [`generation::CHANNEL`] and advances this
//! node's [`Generation`] as soon as another node commits a change. It reconnects after a
//! failure; meanwhile the poll in [`crate::Store::watch_changes`] keeps the view within its
//! bound.

use std::sync::Weak;
use std::time::Duration;

use tokio_postgres::{AsyncMessage, NoTls};

use crate::generation::{self, Generation};

const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// Runs until the generation is dropped (the store closed).
pub(crate) async fn run(url: String, schema: Option<String>, generation: Weak<Generation>) {
    let prefix = format!("{}:", schema.unwrap_or_default());
    let mut healthy = true;
    while generation.strong_count() > 0 {
        match listen_once(&url, &prefix, &generation).await {
            Ok(()) => return,
            Err(e) => {
                if healthy {
                    tracing::warn!(error = %e, "change listener lost its connection; retrying");
                }
                healthy = false;
            }
        }
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

/// Listens on one connection; `Ok` when the store was dropped, `Err` when the connection
/// failed.
async fn listen_once(url: &str, prefix: &str, generation: &Weak<Generation>) -> Result<(), String> {
    let (client, mut connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let watched = generation.clone();
    let prefix = prefix.to_owned();
    let driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    let Some(generation) = watched.upgrade() else {
                        return Ok(());
                    };
                    if let Some(value) = n
                        .payload()
                        .strip_prefix(prefix.as_str())
                        .and_then(|v| v.parse::<u64>().ok())
                    {
                        generation.observe(value);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(format!("connection: {e}")),
                None => return Err("connection closed".to_owned()),
            }
        }
    });
    let listening = client
        .batch_execute(&format!("LISTEN {}", generation::CHANNEL))
        .await;
    if let Err(e) = listening {
        driver.abort();
        return Err(format!("LISTEN: {e}"));
    }
    tracing::debug!("listening for changes from other nodes");
    let outcome = driver
        .await
        .map_err(|e| format!("listener task: {e}"))
        .and_then(|r| r);
    drop(client);
    outcome
}
