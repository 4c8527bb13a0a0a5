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
        // A `-wal` file may go while this runs: the write's committing thread closes the
        // last connection (checkpointing the WAL into its database file) just after the
        // store is dropped.
        let bytes = match std::fs::read(entry.unwrap().path()) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            read => read.unwrap(),
        };
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

/// v0.1's `s3.db`, as its S3 metadata adapter created it.
const V0_1_S3_DDL: &str = "
    PRAGMA journal_mode = WAL;
    CREATE TABLE IF NOT EXISTS s3_buckets (name TEXT PRIMARY KEY, owner TEXT NOT NULL,
        created BIGINT NOT NULL, region TEXT NOT NULL, policy TEXT, tags TEXT);
    CREATE TABLE IF NOT EXISTS s3_objects (bucket TEXT NOT NULL, key TEXT NOT NULL,
        size BIGINT NOT NULL, etag TEXT NOT NULL, modified BIGINT NOT NULL, headers TEXT NOT NULL,
        checksum TEXT, tags TEXT NOT NULL, segments TEXT NOT NULL, parts TEXT NOT NULL,
        PRIMARY KEY (bucket, key));
    CREATE TABLE IF NOT EXISTS s3_uploads (upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL,
        key TEXT NOT NULL, initiated BIGINT NOT NULL, headers TEXT NOT NULL,
        checksum_algorithm TEXT, tags TEXT NOT NULL, initiator TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS s3_uploads_by_key ON s3_uploads (bucket, key, upload_id);
    CREATE TABLE IF NOT EXISTS s3_parts (upload_id TEXT NOT NULL, number INTEGER NOT NULL,
        size BIGINT NOT NULL, etag TEXT NOT NULL, modified BIGINT NOT NULL, checksum TEXT,
        segment TEXT NOT NULL, PRIMARY KEY (upload_id, number));
    INSERT INTO s3_buckets VALUES ('old', '123456789012', 1700000000123, 'us-east-1', '{}',
        '[{\"key\":\"t\",\"value\":\"1\"}]');
    INSERT INTO s3_objects VALUES ('old', 'k', 3, '\"abc\"', 1700000000456,
        '{\"content_type\":\"text/plain\",\"content_encoding\":null,\"content_disposition\":null,\"content_language\":null,\"cache_control\":null,\"expires\":null,\"user\":[[\"a\",\"b\"]],\"storage_class\":null}',
        NULL, '[]', '[{\"id\":\"seg1\",\"len\":3}]', '[]');
    INSERT INTO s3_uploads VALUES ('up1', 'old', 'pending', 1700000000789,
        '{\"content_type\":null,\"content_encoding\":null,\"content_disposition\":null,\"content_language\":null,\"cache_control\":null,\"expires\":null,\"user\":[],\"storage_class\":null}',
        NULL, '[]', '123456789012');
    INSERT INTO s3_parts VALUES ('up1', 1, 5, '\"e1\"', 1700000000999, NULL,
        '{\"id\":\"part1\",\"len\":5}');
";

/// A v0.1 data directory: `hourglass.db` at schema version 1 (the IAM tables only) and the
/// S3 metadata in `s3.db`. Returns (main, legacy) paths.
async fn v0_1_data_dir(h: &SqliteHarness) -> (PathBuf, PathBuf) {
    let store = h.open().await;
    store
        .ensure_account(conformance::fixtures::ACCT, conformance::fixtures::at(0))
        .await
        .unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&h.path).unwrap();
    conn.execute_batch(
        "DROP TABLE s3_parts; DROP TABLE s3_uploads; DROP TABLE s3_objects; DROP TABLE s3_buckets;
         DROP TABLE IF EXISTS oidc_providers; DROP TABLE IF EXISTS saml_providers;
         DROP TABLE IF EXISTS instance_profiles; DROP TABLE IF EXISTS account_aliases;
         DROP TABLE IF EXISTS password_policies; DROP TABLE IF EXISTS mfa_devices;
         DROP TABLE IF EXISTS login_profiles; DROP TABLE IF EXISTS user_credentials;
         DROP TABLE IF EXISTS server_certificates; DROP TABLE IF EXISTS cloudtrail_trails;
         DROP TABLE s3_versions; DROP TABLE s3_bucket_config; DROP TABLE s3_account_config;
         DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES (1);",
    )
    .unwrap();
    drop(conn);
    let legacy = h.path.with_file_name("s3.db");
    rusqlite::Connection::open(&legacy)
        .unwrap()
        .execute_batch(V0_1_S3_DDL)
        .unwrap();
    (h.path.clone(), legacy)
}

/// The version a new database is created at (the latest migration).
async fn latest_version() -> i64 {
    let h = harness().await.unwrap();
    drop(h.open().await);
    versions(&h.path)[0]
}

fn versions(path: &std::path::Path) -> Vec<i64> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut st = conn.prepare("SELECT version FROM schema_version").unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

async fn open_with_legacy(
    h: &SqliteHarness,
    legacy: &std::path::Path,
) -> hourglass_store::Result<Store> {
    let config = SqliteConfig {
        legacy_s3_path: Some(legacy.to_owned()),
        ..SqliteConfig::default()
    };
    Store::open_with(&h.path, h.keyring(), config).await
}

/// v0.1's separate S3 file is imported once, in the migration to version 2, and moved away.
#[tokio::test]
async fn imports_v0_1_s3_file_once() {
    let h = harness().await.unwrap();
    let (main, legacy) = v0_1_data_dir(&h).await;
    assert_eq!(versions(&main), vec![1]);

    let store = open_with_legacy(&h, &legacy).await.unwrap();
    assert_eq!(versions(&main), vec![latest_version().await]);
    assert!(!legacy.exists());
    assert!(legacy.with_file_name("s3.db.v0.1-imported").is_file());

    let acct = conformance::fixtures::ACCT;
    assert_eq!(store.get_account(acct).await.unwrap().account_id, acct);
    let b = store.get_bucket("old").await.unwrap().unwrap();
    assert_eq!(b.created.timestamp_millis(), 1_700_000_000_123);
    assert_eq!(b.policy.as_deref(), Some("{}"));
    assert_eq!(b.tags.unwrap().len(), 1);
    let o = store.get_object("old", "k").await.unwrap().unwrap();
    assert_eq!((o.size, o.etag.as_str()), (3, "\"abc\""));
    assert_eq!(o.modified.timestamp_millis(), 1_700_000_000_456);
    assert_eq!(o.headers.user, vec![("a".to_string(), "b".to_string())]);
    assert_eq!(o.segments[0].id, "seg1");
    let up = store
        .get_upload("old", "pending", "up1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(up.initiator, "123456789012");
    let parts = store.list_parts("up1", 0, 10).await.unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].segment.id, "part1");

    // Changes after the import stay: reopening never imports again.
    store.delete_object("old", "k", None, "m").await.unwrap();
    drop(store);
    let store = open_with_legacy(&h, &legacy).await.unwrap();
    assert!(store.get_object("old", "k").await.unwrap().is_none());
    assert_eq!(versions(&main), vec![latest_version().await]);
}

/// A file that is not v0.1 S3 metadata stops the start and changes nothing.
#[tokio::test]
async fn refuses_a_foreign_s3_file() {
    let h = harness().await.unwrap();
    let (main, legacy) = v0_1_data_dir(&h).await;
    std::fs::remove_file(&legacy).unwrap();
    rusqlite::Connection::open(&legacy)
        .unwrap()
        .execute_batch("CREATE TABLE s3_buckets (name TEXT);")
        .unwrap();
    let err = open_with_legacy(&h, &legacy).await.err().unwrap();
    assert!(
        err.to_string()
            .contains("not an Hourglass v0.1 S3 metadata file"),
        "{err}"
    );
    assert_eq!(versions(&main), vec![1]);
    assert!(legacy.is_file());
}

/// The main file's audit tables as releases before schema version 16 kept them.
const PRE_V16_AUDIT_DDL: &str = "
    CREATE TABLE audit_events (event_id TEXT PRIMARY KEY, account_id TEXT NOT NULL,
        event_time BIGINT NOT NULL, event_name TEXT NOT NULL, event_source TEXT NOT NULL,
        read_only INTEGER NOT NULL, management INTEGER NOT NULL, access_key_id TEXT,
        username TEXT, origin_key_id TEXT, resources TEXT NOT NULL, record TEXT NOT NULL);
    CREATE INDEX audit_events_by_read_only ON audit_events (account_id, read_only, event_time, event_id);
    CREATE TABLE audit_event_resources (event_id TEXT NOT NULL, account_id TEXT NOT NULL,
        event_time BIGINT NOT NULL, resource_type TEXT NOT NULL, resource_name TEXT NOT NULL);
    INSERT INTO audit_events VALUES ('e1', '123456789012', 1000, 'CreateUser',
        'iam.amazonaws.com', 0, 1, 'AKIAOLD', 'alice', 'AKIAOLD',
        '[[\"AWS::IAM::User\",\"bob\"]]', '{\"eventID\":\"e1\"}');
    INSERT INTO audit_events VALUES ('e2', '123456789012', 2000, 'GetUser',
        'iam.amazonaws.com', 1, 1, 'AKIAOLD', 'alice', 'AKIAOLD', '[]', '{\"eventID\":\"e2\"}');
    INSERT INTO audit_event_resources VALUES ('e1', '123456789012', 1000, 'AWS::IAM::User', 'bob');
    DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES (15);
";

fn log_query(
    attribute: Option<(hourglass_store::AuditAttribute, &str)>,
) -> hourglass_store::AuditQuery {
    hourglass_store::AuditQuery {
        account_id: "123456789012".into(),
        attribute: attribute.map(|(a, v)| (a, v.to_owned())),
        start_ms: 0,
        end_ms: i64::MAX,
        after: None,
        limit: 50,
        include_data_events: true,
    }
}

fn table_names(path: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut st = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

/// A database from before version 16 kept the audit log in the main file: the first start
/// moves every event (and its resources) to `…-audit.db` and drops the old tables, and a
/// start interrupted after the copy (the old tables still there, the log already filled)
/// neither loses nor duplicates an event.
#[tokio::test]
async fn moves_the_audit_log_into_its_own_file() {
    use hourglass_store::AuditAttribute;
    let h = harness().await.unwrap();
    drop(h.open().await);
    let log = h.path.with_file_name("iam-audit.db");
    assert!(
        log.is_file(),
        "the log's file is created beside the main one"
    );
    assert!(!table_names(&h.path).contains(&"audit_events".to_owned()));
    let pre_v16 = || {
        rusqlite::Connection::open(&h.path)
            .unwrap()
            .execute_batch(PRE_V16_AUDIT_DDL)
            .unwrap();
    };
    pre_v16();
    for round in 0..2 {
        let store = h.open().await;
        let all = store.lookup_audit_events(&log_query(None)).await.unwrap();
        let ids: Vec<&str> = all.iter().map(|e| e.event_id.as_str()).collect();
        assert_eq!(ids, ["e2", "e1"], "round {round}");
        let by_resource = store
            .lookup_audit_events(&log_query(Some((AuditAttribute::ResourceName, "bob"))))
            .await
            .unwrap();
        assert_eq!(by_resource.len(), 1, "round {round}");
        assert_eq!(
            by_resource[0].resources,
            [("AWS::IAM::User".into(), "bob".into())]
        );
        let reads = store
            .lookup_audit_events(&log_query(Some((AuditAttribute::ReadOnly, "true"))))
            .await
            .unwrap();
        assert_eq!(reads.len(), 1, "round {round}");
        drop(store);
        assert!(!table_names(&h.path).contains(&"audit_events".to_owned()));
        assert_eq!(versions(&h.path), [latest_version().await]);
        // As if the copy had committed and the migration had not: the old tables are back,
        // the log keeps its rows.
        pre_v16();
    }
    let conn = rusqlite::Connection::open(&log).unwrap();
    let resources: i64 = conn
        .query_row("SELECT COUNT(*) FROM audit_event_resources", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(resources, 1);
}

/// An audit log file written by a newer build is refused rather than misread.
#[tokio::test]
async fn refuses_a_newer_audit_log() {
    let h = harness().await.unwrap();
    drop(h.open().await);
    rusqlite::Connection::open(h.path.with_file_name("iam-audit.db"))
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let err = Store::open(&h.path, h.keyring()).await.err().unwrap();
    assert!(err.to_string().contains("newer"), "{err}");
}
