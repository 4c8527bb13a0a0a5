//! The conformance suite against SQLite (always runs, in a temporary directory).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod conformance;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use hourglass_store::{KeyRing, Quotas, SqliteConfig, Store};

use conformance::Harness;

struct SqliteHarness {
    _dir: tempfile::TempDir,
    path: PathBuf,
    keyring: Arc<KeyRing>,
}

#[async_trait]
impl Harness for SqliteHarness {
    async fn open_with(&self, keyring: Arc<KeyRing>, quotas: Quotas) -> Arc<Store> {
        let config = SqliteConfig {
            quotas,
            ..SqliteConfig::default()
        };
        Arc::new(Store::open_with(&self.path, keyring, config).await.unwrap())
    }

    fn keyring(&self) -> Arc<KeyRing> {
        Arc::clone(&self.keyring)
    }

    async fn raw_sealed_secret(&self, access_key_id: &str) -> String {
        let conn = rusqlite::Connection::open(&self.path).unwrap();
        conn.query_row(
            "SELECT secret_sealed FROM access_keys WHERE access_key_id = ?1",
            [access_key_id],
            |row| row.get(0),
        )
        .unwrap()
    }
}

async fn harness() -> Option<SqliteHarness> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("iam.db");
    Some(SqliteHarness {
        _dir: dir,
        path,
        keyring: Arc::new(KeyRing::generate("k1").unwrap()),
    })
}

conformance_suite!(harness());

/// The whole file, not just one column, is free of the secret (WAL included).
#[tokio::test]
async fn secret_not_in_database_files() {
    let h = harness().await.unwrap();
    let store = h.open().await;
    store
        .ensure_account(conformance::fixtures::ACCT, conformance::fixtures::at(0))
        .await
        .unwrap();
    let key =
        conformance::fixtures::key(conformance::fixtures::ACCT, hourglass_store::KeyOwner::Root);
    store.create_access_key(key.clone()).await.unwrap();
    drop(store);
    let needle = key.secret.expose().as_bytes();
    for entry in std::fs::read_dir(h.path.parent().unwrap()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    }
}

/// A database written by a newer build is refused rather than misread.
#[tokio::test]
async fn refuses_newer_schema() {
    let h = harness().await.unwrap();
    drop(h.open().await);
    let conn = rusqlite::Connection::open(&h.path).unwrap();
    conn.execute("INSERT INTO schema_version (version) VALUES (999)", [])
        .unwrap();
    drop(conn);
    let err = Store::open(&h.path, h.keyring()).await.err().unwrap();
    assert!(err.to_string().contains("newer"), "{err}");
}
