//! Start-up: data directory, server key ring, storage backend, the account and its root
//! credentials.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use hourglass_iam::Identity;
use hourglass_store::{KeyRing, PostgresConfig, SqliteConfig, Store};

use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("cannot prepare data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("server key ring: {0}")]
    KeyRing(String),
    #[error("cannot open storage: {0}")]
    Store(String),
    #[error("cannot set up the account: {0}")]
    Account(String),
    #[error("cannot write root credentials to {path}: {source}")]
    RootFile {
        path: String,
        source: std::io::Error,
    },
}

fn create_private_dir(path: &Path) -> Result<(), BootstrapError> {
    let err = |source| BootstrapError::DataDir {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(path).map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(err)?;
    }
    Ok(())
}

fn open_keyring(config: &Config) -> Result<KeyRing, BootstrapError> {
    match &config.server_key {
        Some(value) => KeyRing::from_env_value(value),
        None => KeyRing::load_or_create(&config.server_key_file),
    }
    .map_err(|e| BootstrapError::KeyRing(e.to_string()))
}

/// The one store (IAM and S3 metadata): the PostgreSQL database when one is configured, else
/// `DATA_DIR/hourglass.db`, into which v0.1's separate `DATA_DIR/s3.db` is imported once.
async fn open_store(config: &Config, keyring: Arc<KeyRing>) -> Result<Arc<Store>, BootstrapError> {
    let store = match &config.database_url {
        Some(url) => {
            let mut pg = PostgresConfig::new(url.clone());
            pg.schema = config.database_schema.clone();
            Store::connect(pg, keyring).await
        }
        None => {
            let sqlite = SqliteConfig {
                legacy_s3_path: Some(config.data_dir.join("s3.db")),
                ..SqliteConfig::default()
            };
            Store::open_with(config.data_dir.join("hourglass.db"), keyring, sqlite).await
        }
    };
    store
        .map(Arc::new)
        .map_err(|e| BootstrapError::Store(e.to_string()))
}

/// Writes root's generated credentials in the aws credentials-file format, mode 0600.
pub fn write_root_credentials(
    path: &Path,
    access_key_id: &str,
    secret: &str,
) -> Result<(), BootstrapError> {
    let err = |source| BootstrapError::RootFile {
        path: path.display().to_string(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(err)?;
    write!(
        f,
        "[default]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {secret}\n"
    )
    .map_err(err)?;
    f.sync_all().map_err(err)
}

/// Opens the key ring and the store of `config` without touching the account or its root
/// credentials, for operator commands run beside (or instead of) the server.
pub async fn open_identity(config: &Config) -> Result<Identity, BootstrapError> {
    let keyring = Arc::new(open_keyring(config)?);
    let store = open_store(config, keyring.clone()).await?;
    Ok(Identity::new(store, config.account_id.clone()).with_key_ring(keyring))
}

/// Prepares everything the server needs before it accepts connections.
pub async fn open(
    config: &Config,
    telemetry: hourglass_iam::telemetry::Telemetry,
) -> Result<Arc<Identity>, BootstrapError> {
    create_private_dir(&config.data_dir)?;
    let keyring = Arc::new(open_keyring(config)?);
    let store = open_store(config, keyring.clone()).await?;
    let observed = telemetry.clone();
    store.observe_with(Arc::new(move |kind, took| {
        observed.record(|| {
            metrics::histogram!("hourglass_store_duration_seconds", "kind" => kind)
                .record(took.as_secs_f64());
        });
    }));
    // Other nodes (PostgreSQL) and operator commands (`revoke-sessions`) change what the
    // authorization snapshots hold: follow the change counter.
    store.watch_changes();
    let identity = Identity::new(store, config.account_id.clone())
        .with_key_ring(keyring)
        .with_telemetry(telemetry);
    identity
        .ensure_account()
        .await
        .map_err(|e| BootstrapError::Account(e.to_string()))?;
    identity
        .register_aws_managed_policies()
        .await
        .map_err(|e| BootstrapError::Account(e.to_string()))?;
    match &config.root_credentials {
        Some(root) => identity
            .ensure_root_key(&root.access_key_id, &root.secret_access_key)
            .await
            .map_err(|e| BootstrapError::Account(e.to_string()))?,
        None => {
            let generated = identity
                .generate_root_key_if_none()
                .await
                .map_err(|e| BootstrapError::Account(e.to_string()))?;
            if let Some(key) = generated {
                let path = config.data_dir.join("root-credentials");
                write_root_credentials(&path, &key.access_key_id, key.secret.expose())?;
                // The secret goes to the 0600 file only: stderr ends up in log collectors,
                // which must never hold a credential.
                eprintln!(
                    "hourglass: created root credentials for account {} (access key id {}); the secret access key is in {}",
                    config.account_id,
                    key.access_key_id,
                    path.display(),
                );
            }
        }
    }
    Ok(Arc::new(identity))
}

/// Opens the S3 service: its metadata in the identity's store (one database, one pool) and
/// object data under `DATA_DIR/objects`.
pub async fn open_s3(
    config: &Config,
    identity: Arc<Identity>,
) -> Result<Arc<hourglass_s3::S3Service>, BootstrapError> {
    let meta = Arc::clone(identity.store());
    let objects = config.data_dir.join("objects");
    let ring = identity
        .server_key_ring()
        .ok_or_else(|| BootstrapError::KeyRing("no server key ring".into()))?;
    let data = hourglass_s3::data::DataStore::open(&objects, ring).map_err(|source| {
        BootstrapError::DataDir {
            path: objects.display().to_string(),
            source,
        }
    })?;
    let s3_config = hourglass_s3::S3Config {
        domain: config.s3_domain.clone(),
        ..Default::default()
    };
    let s3 = hourglass_s3::S3Service::new(identity, meta, data, s3_config);
    // SQLite metadata lives in the data directory, so this process owns its `objects/`;
    // on PostgreSQL other nodes may share it and have writes in flight.
    let grace = match config.database_url {
        Some(_) => std::time::Duration::from_secs(3600),
        None => std::time::Duration::ZERO,
    };
    s3.recover(grace).await.map_err(BootstrapError::Store)?;
    let s3 = Arc::new(s3);
    // Lifecycle rules: one pass at startup (resuming whatever a restart interrupted), then
    // once a minute.
    s3.spawn_lifecycle(std::time::Duration::from_secs(60));
    Ok(s3)
}
