//! The conformance suite against PostgreSQL.
//!
//! Runs when `HOURGLASS_TEST_DATABASE_URL` is set, e.g.
//! `HOURGLASS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test`; otherwise every test
//! passes after saying it was skipped. Each test uses a fresh schema, dropped afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod conformance;

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Once};

use async_trait::async_trait;
use hourglass_store::{KeyRing, PostgresConfig, Quotas, Store};

use conformance::Harness;

const URL_VAR: &str = "HOURGLASS_TEST_DATABASE_URL";

struct PostgresHarness {
    url: String,
    schema: String,
    keyring: Arc<KeyRing>,
}

async fn client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

#[async_trait]
impl Harness for PostgresHarness {
    async fn open_with(&self, keyring: Arc<KeyRing>, quotas: Quotas) -> Arc<Store> {
        let config = PostgresConfig {
            schema: Some(self.schema.clone()),
            pool_size: 4,
            quotas,
            ..PostgresConfig::new(&self.url)
        };
        Arc::new(Store::connect(config, keyring).await.unwrap())
    }

    fn keyring(&self) -> Arc<KeyRing> {
        Arc::clone(&self.keyring)
    }

    async fn raw_sealed_secret(&self, access_key_id: &str) -> String {
        let sql = format!(
            "SELECT secret_sealed FROM \"{}\".access_keys WHERE access_key_id = $1",
            self.schema
        );
        client(&self.url)
            .await
            .query_one(&sql, &[&access_key_id])
            .await
            .unwrap()
            .get(0)
    }
}

impl Drop for PostgresHarness {
    /// Drops the test schema even when the test panicked. Drop cannot be async, so this runs
    /// on a short-lived runtime of its own.
    fn drop(&mut self) {
        let url = self.url.clone();
        let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.schema);
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async { client(&url).await.batch_execute(&sql).await })
        })
        .join();
        if !matches!(done, Ok(Ok(()))) {
            eprintln!("could not drop test schema {}: {done:?}", self.schema);
        }
    }
}

static SKIPPED: Once = Once::new();
static NEXT: AtomicU32 = AtomicU32::new(0);

async fn harness() -> Option<PostgresHarness> {
    let Ok(url) = std::env::var(URL_VAR) else {
        // Written straight to stderr so the test harness does not capture it.
        SKIPPED.call_once(|| {
            let _ = writeln!(
                std::io::stderr(),
                "PostgreSQL conformance tests SKIPPED: set {URL_VAR} \
                 (e.g. postgres://postgres@127.0.0.1:5432/test) to run them"
            );
        });
        return None;
    };
    let schema = format!(
        "hg_test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        rand_suffix()
    );
    Some(PostgresHarness {
        url,
        schema,
        keyring: Arc::new(KeyRing::generate("k1").unwrap()),
    })
}

fn rand_suffix() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

conformance_suite!(harness());

/// The schema a test ran in is gone afterwards.
#[tokio::test]
async fn test_schema_is_dropped() {
    let Some(h) = harness().await else { return };
    let url = h.url.clone();
    let schema = h.schema.clone();
    h.open()
        .await
        .ensure_account("123456789012", chrono::Utc::now())
        .await
        .unwrap();
    drop(h);
    let found = client(&url)
        .await
        .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
        .await
        .unwrap();
    assert!(found.is_none());
}

/// Two nodes starting at once on a fresh schema both come up (migrations are serialized).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_startup_migrates_once() {
    let Some(h) = harness().await else { return };
    let (a, b) = tokio::join!(h.open(), h.open());
    a.ensure_account("123456789012", chrono::Utc::now())
        .await
        .unwrap();
    b.get_account("123456789012").await.unwrap();
    let versions: i64 = client(&h.url)
        .await
        .query_one(
            &format!("SELECT COUNT(*) FROM \"{}\".schema_version", h.schema),
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(versions, 1);
}

/// v0.1 created the `s3_*` tables outside the migrations (schema version 1): version 2
/// adopts them with their rows, and the version table keeps one row.
#[tokio::test]
async fn adopts_v0_1_s3_tables() {
    let Some(h) = harness().await else { return };
    drop(h.open().await);
    // A database at version 1 holding v0.1's S3 tables: what later migrations added is
    // taken away again.
    let latest: i64 = client(&h.url)
        .await
        .query_one(
            &format!("SELECT version FROM \"{}\".schema_version", h.schema),
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let sql = format!(
        "SET search_path TO \"{}\";
         DROP TABLE IF EXISTS oidc_providers; DROP TABLE IF EXISTS saml_providers;
         DROP TABLE IF EXISTS instance_profiles, account_aliases, password_policies, mfa_devices,
             login_profiles, user_credentials, server_certificates, cloudtrail_trails CASCADE;
         DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES (1);
         DROP TABLE s3_versions, s3_bucket_config, s3_account_config;
         ALTER TABLE s3_buckets DROP COLUMN versioning;
         ALTER TABLE s3_objects DROP COLUMN version_id, DROP COLUMN seq, DROP COLUMN acl, DROP COLUMN data;
         INSERT INTO s3_buckets VALUES ('old', '123456789012', 1700000000123, 'us-east-1', NULL, NULL);
         INSERT INTO s3_objects VALUES ('old', 'k', 3, '\"abc\"', 1700000000456,
             '{{\"content_type\":null,\"content_encoding\":null,\"content_disposition\":null,\"content_language\":null,\"cache_control\":null,\"expires\":null,\"user\":[],\"storage_class\":null}}',
             NULL, '[]', '[{{\"id\":\"seg1\",\"len\":3}}]', '[]');",
        h.schema
    );
    client(&h.url).await.batch_execute(&sql).await.unwrap();
    let store = h.open().await;
    let o = store.get_object("old", "k").await.unwrap().unwrap();
    assert_eq!(o.modified.timestamp_millis(), 1_700_000_000_456);
    assert_eq!(o.segments[0].id, "seg1");
    let versions: Vec<i64> = client(&h.url)
        .await
        .query(
            &format!("SELECT version FROM \"{}\".schema_version", h.schema),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    // Every later migration ran too (v5 adds versions to the adopted tables).
    assert_eq!(versions, vec![latest]);
    assert_eq!(o.version_id, "null");
}
