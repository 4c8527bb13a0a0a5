//! Property test of listings: any key set (U+10FFFF, U+FFFF, the surrogate neighbours,
//! '/', empty segments), any prefix, delimiter and page size, paged by V1 markers or V2
//! continuation tokens, gives exactly the entries of a simple reference listing, each once.
//! Runs on SQLite, and on PostgreSQL when `HOURGLASS_TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use super::list::{Entry, UploadEntry, list_page, prefix_successor, upload_page};
use crate::meta::{Bucket, Object, ObjectHeaders, Upload};
use hourglass_store::{KeyRing, PostgresConfig, Store};

/// Repeats weight the characters that make listings hard: the delimiter and U+10FFFF.
const ALPHABET: &[char] = &[
    'a',
    'b',
    '/',
    '/',
    '/',
    '.',
    '0',
    'é',
    '\u{1}',
    '\u{D7FF}',
    '\u{E000}',
    '\u{FFFF}',
    '\u{10000}',
    '\u{10FFFF}',
    '\u{10FFFF}',
    '\u{10FFFF}',
];

fn piece(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET), 0..max)
        .prop_map(|v| v.into_iter().collect())
}

#[derive(Debug, Clone)]
struct Case {
    keys: BTreeSet<String>,
    prefix: String,
    delimiter: Option<String>,
    start: String,
    max: usize,
    v2: bool,
}

fn case() -> impl Strategy<Value = Case> {
    let keys = prop::collection::btree_set(
        piece(6).prop_filter("keys are not empty", |k| !k.is_empty()),
        0..24,
    );
    keys.prop_flat_map(|keys| {
        // Markers are often existing keys (how clients page), else arbitrary strings.
        let existing: Vec<String> = keys.iter().cloned().chain([String::new()]).collect();
        (
            Just(keys),
            prop_oneof![
                2 => Just(String::new()),
                1 => piece(4),
                2 => prop::sample::select(existing),
            ],
            prop_oneof![Just(String::new()), piece(3)],
            prop::option::of(prop::sample::select(vec![
                "/",
                "a",
                "\u{10FFFF}",
                "/a",
                "é",
                "\u{10FFFF}\u{10FFFF}",
                "..",
            ])),
            1..6usize,
            any::<bool>(),
        )
    })
    .prop_map(|(keys, start, prefix, delimiter, max, v2)| Case {
        keys,
        prefix,
        delimiter: delimiter.map(str::to_owned),
        start,
        max,
        v2,
    })
}

/// The listing by definition: keys after the marker under the prefix, each rolled up to
/// its common prefix, a common prefix once, and none the marker lies in (already returned).
/// `String` orders by bytes, which is S3's UTF-8 binary order.
fn reference(c: &Case) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in &c.keys {
        if !k.starts_with(&c.prefix) || k.as_str() <= c.start.as_str() {
            continue;
        }
        let rest = &k[c.prefix.len()..];
        match c
            .delimiter
            .as_deref()
            .and_then(|d| rest.find(d).map(|i| (i, d)))
        {
            Some((i, d)) => {
                let cp = format!("P:{}", &k[..c.prefix.len() + i + d.len()]);
                if c.start.starts_with(&cp[2..]) || out.last() == Some(&cp) {
                    continue;
                }
                out.push(cp);
            }
            None => out.push(k.clone()),
        }
    }
    out
}

/// A bucket holding an empty object at each key; the listing tests of `list.rs` use it too.
pub(super) async fn load<K: AsRef<str>>(
    store: &Store,
    bucket: &str,
    keys: impl IntoIterator<Item = K>,
) {
    store
        .create_bucket(&Bucket {
            name: bucket.into(),
            owner: "1".into(),
            created: chrono::Utc::now(),
            region: "us-east-1".into(),
            policy: None,
            tags: None,
            versioning: None,
            ownership: None,
            acl: None,
        })
        .await
        .unwrap();
    for k in keys {
        store
            .put_object(&Object {
                bucket: bucket.into(),
                key: k.as_ref().to_owned(),
                size: 0,
                etag: "\"e\"".into(),
                modified: chrono::Utc::now(),
                headers: ObjectHeaders::default(),
                checksum: None,
                tags: vec![],
                segments: vec![],
                parts: vec![],
                version_id: String::new(),
                acl: None,
            })
            .await
            .unwrap();
    }
}

async fn check(store: &Store, bucket: &str, c: &Case) -> Result<(), TestCaseError> {
    let want = reference(c);
    let mut got = Vec::new();
    let mut marker = c.start.clone();
    let mut finished = false;
    for _ in 0..want.len() + 2 {
        let page = list_page(
            store,
            bucket,
            &c.prefix,
            c.delimiter.as_deref(),
            &marker,
            c.max,
        )
        .await
        .map_err(|e| TestCaseError::fail(format!("listing failed: {}", e.message)))?;
        prop_assert!(page.entries.len() <= c.max);
        got.extend(page.entries.iter().map(|e| match e {
            Entry::Object(o) => o.key.clone(),
            Entry::Prefix(p) => format!("P:{p}"),
        }));
        if !page.truncated {
            finished = true;
            break;
        }
        let next = page.last_marker().expect("a truncated page has entries");
        marker = if c.v2 {
            // What a V2 client sends back: the token, decoded as the server decodes it.
            String::from_utf8(B64.decode(B64.encode(next.as_bytes())).unwrap()).unwrap()
        } else {
            next
        };
    }
    prop_assert!(finished, "paging did not end: {got:?}");
    prop_assert_eq!(got, want);
    Ok(())
}

/// ListMultipartUploads over the same cases: two uploads per key (ids "1" and "2"), paged
/// by (NextKeyMarker, NextUploadIdMarker); the reference is the object listing with each
/// key expanded to its uploads.
async fn check_uploads(store: &Store, bucket: &str, c: &Case) -> Result<(), TestCaseError> {
    for k in &c.keys {
        for id in ["1", "2"] {
            store
                .create_upload(&Upload {
                    upload_id: format!("{id}-{}", uuid::Uuid::new_v4().simple()),
                    bucket: bucket.into(),
                    key: k.clone(),
                    initiated: chrono::Utc::now(),
                    headers: ObjectHeaders::default(),
                    checksum_algorithm: None,
                    tags: vec![],
                    initiator: "1".into(),
                })
                .await
                .unwrap();
        }
    }
    let want: Vec<String> = reference(c)
        .into_iter()
        .flat_map(|e| {
            if e.starts_with("P:") {
                vec![e]
            } else {
                vec![format!("{e}#1"), format!("{e}#2")]
            }
        })
        .collect();
    let mut got = Vec::new();
    let (mut km, mut im) = (c.start.clone(), String::new());
    let mut finished = false;
    for _ in 0..want.len() + 2 {
        let (entries, truncated) = upload_page(
            store,
            bucket,
            &c.prefix,
            c.delimiter.as_deref(),
            &km,
            &im,
            c.max,
        )
        .await
        .map_err(|e| TestCaseError::fail(format!("listing failed: {}", e.message)))?;
        prop_assert!(entries.len() <= c.max);
        for e in &entries {
            match e {
                UploadEntry::Upload(u) => {
                    got.push(format!("{}#{}", u.key, &u.upload_id[..1]));
                    (km, im) = (u.key.clone(), u.upload_id.clone());
                }
                UploadEntry::Prefix(p) => {
                    got.push(format!("P:{p}"));
                    (km, im) = (p.clone(), String::new());
                }
            }
        }
        if !truncated {
            finished = true;
            break;
        }
    }
    prop_assert!(finished, "paging did not end: {got:?}");
    prop_assert_eq!(got, want);
    Ok(())
}

fn run_property(store: &Store, rt: &tokio::runtime::Runtime, tag: &str, cases: u32) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&case(), |c| {
            let bucket = format!("{tag}-{}", uuid::Uuid::new_v4().simple());
            rt.block_on(async {
                load(store, &bucket, &c.keys).await;
                check(store, &bucket, &c).await?;
                check_uploads(store, &bucket, &c).await
            })
        })
        .unwrap();
}

fn keyring() -> std::sync::Arc<KeyRing> {
    std::sync::Arc::new(KeyRing::generate("k1").unwrap())
}

async fn sqlite(dir: &tempfile::TempDir) -> Store {
    Store::open(dir.path().join("m.db"), keyring())
        .await
        .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn listings_match_reference_on_sqlite() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let store = rt.block_on(sqlite(&dir));
    run_property(&store, &rt, "sq", 128);
}

#[test]
fn listings_match_reference_on_postgres() {
    let Ok(url) = std::env::var("HOURGLASS_TEST_DATABASE_URL") else {
        eprintln!(
            "skipping the PostgreSQL listing property: HOURGLASS_TEST_DATABASE_URL is not set"
        );
        return;
    };
    let rt = runtime();
    let schema = format!("s3list_{}", uuid::Uuid::new_v4().simple());
    let config = PostgresConfig {
        schema: Some(schema.clone()),
        ..PostgresConfig::new(&url)
    };
    let store = rt.block_on(Store::connect(config, keyring())).unwrap();
    run_property(&store, &rt, "pg", 64);
    drop(store);
    rt.block_on(drop_schema(&url, &schema));
}

/// Removes the run's schema (a raw client: the store has no reason to offer this).
async fn drop_schema(url: &str, schema: &str) {
    let Ok((client, conn)) = tokio_postgres::connect(url, tokio_postgres::NoTls).await else {
        return;
    };
    tokio::spawn(conn);
    let _ = client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
        .await;
}

#[test]
fn successor_skips_exactly_the_prefix() {
    assert_eq!(prefix_successor("dup/").as_deref(), Some("dup0"));
    assert_eq!(prefix_successor("a\u{10FFFF}").as_deref(), Some("b"));
    assert_eq!(prefix_successor("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
    assert_eq!(prefix_successor("\u{10FFFF}\u{10FFFF}"), None);
    assert_eq!(prefix_successor(""), None);
}

/// The reported loop: `dup/` must come back once and the keys after it stay reachable.
#[test]
fn max_char_keys_do_not_loop() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let store = rt.block_on(sqlite(&dir));
    let keys: BTreeSet<String> = ["dup/\u{10FFFF}", "dup/\u{10FFFF}x", "dup0", "e"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    rt.block_on(load(&store, "b", &keys));
    for max in 1..4 {
        let c = Case {
            keys: keys.clone(),
            prefix: String::new(),
            delimiter: Some("/".into()),
            start: String::new(),
            max,
            v2: true,
        };
        rt.block_on(check(&store, "b", &c)).unwrap();
    }
}
