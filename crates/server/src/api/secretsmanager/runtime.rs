//! What the Secrets Manager handlers and the background worker share.

use std::sync::{Arc, OnceLock};

use hourglass_secrets::Secrets;
use hourglass_store::Store;

use super::config::SecretsConfig;

pub struct SecretsRuntime {
    pub secrets: Secrets,
    pub config: SecretsConfig,
    /// This node's name in work leases (unique per process).
    pub node_id: String,
    /// Wakes the worker (a rotation was requested).
    pub wake: tokio::sync::Notify,
    /// The server's own endpoint, given to rotation hooks as `AWS_ENDPOINT_URL`.
    pub endpoint: OnceLock<String>,
}

impl SecretsRuntime {
    pub fn new(store: Arc<Store>, account: &str, config: SecretsConfig) -> Self {
        SecretsRuntime {
            secrets: Secrets::new(store, account, config.region()),
            config,
            node_id: format!("node-{}", uuid_like()),
            wake: tokio::sync::Notify::new(),
            endpoint: OnceLock::new(),
        }
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect()
}
