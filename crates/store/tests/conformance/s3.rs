//! S3 metadata: buckets, objects, listing order and multipart uploads.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use hourglass_store::Store;
use hourglass_store::s3::*;

use super::Harness;

pub fn seg(id: &str, len: u64) -> Segment {
    Segment::file(id.to_string(), len)
}

pub fn object(bucket: &str, key: &str, seg_id: &str) -> Object {
    Object {
        bucket: bucket.into(),
        key: key.into(),
        size: 3,
        etag: "\"abc\"".into(),
        modified: Utc::now(),
        headers: ObjectHeaders {
            content_type: Some("text/plain".into()),
            user: vec![("a".into(), "b".into())],
            ..Default::default()
        },
        checksum: Some(StoredChecksum {
            algorithm: "CRC32".into(),
            value: "NSRBwg==".into(),
        }),
        tags: vec![Tag {
            key: "k".into(),
            value: "v".into(),
        }],
        segments: vec![seg(seg_id, 3)],
        parts: Vec::new(),
        version_id: format!("v{seg_id}"),
        acl: None,
    }
}

pub fn bucket(name: &str) -> Bucket {
    Bucket {
        name: name.into(),
        owner: "123456789012".into(),
        created: Utc::now(),
        region: "us-east-1".into(),
        policy: None,
        tags: None,
        versioning: None,
        ownership: None,
        acl: None,
    }
}

pub async fn buckets(h: &dyn Harness) {
    let s = h.open().await;
    s.create_bucket(&bucket("b1")).await.unwrap();
    assert!(matches!(
        s.create_bucket(&bucket("b1")).await,
        Err(MetaError::BucketExists)
    ));
    s.create_bucket(&bucket("a0")).await.unwrap();
    let names: Vec<_> = s
        .list_buckets("123456789012")
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, vec!["a0", "b1"]);
    assert!(s.list_buckets("999999999999").await.unwrap().is_empty());
    s.set_bucket_policy("b1", Some("{}")).await.unwrap();
    let tags = vec![Tag {
        key: "t".into(),
        value: "1".into(),
    }];
    s.set_bucket_tags("b1", Some(&tags)).await.unwrap();
    let b = s.get_bucket("b1").await.unwrap().unwrap();
    assert_eq!(b.policy.as_deref(), Some("{}"));
    assert_eq!(b.tags, Some(tags));
    s.set_bucket_policy("b1", None).await.unwrap();
    assert_eq!(s.get_bucket("b1").await.unwrap().unwrap().policy, None);
    assert!(matches!(
        s.set_bucket_policy("nope", None).await,
        Err(MetaError::NoSuchBucket)
    ));
    assert!(s.get_bucket("nope").await.unwrap().is_none());
    s.delete_bucket("a0").await.unwrap();
    assert!(matches!(
        s.delete_bucket("a0").await,
        Err(MetaError::NoSuchBucket)
    ));
}

pub async fn objects(h: &dyn Harness) {
    let s = h.open().await;
    s.create_bucket(&bucket("b1")).await.unwrap();
    assert!(matches!(
        s.put_object(&object("nope", "k", "x")).await,
        Err(MetaError::NoSuchBucket)
    ));
    assert!(
        s.put_object(&object("b1", "k", "s1"))
            .await
            .unwrap()
            .freed
            .is_empty()
    );
    let got = s.get_object("b1", "k").await.unwrap().unwrap();
    assert_eq!(got.headers.user, vec![("a".to_string(), "b".to_string())]);
    assert_eq!(got.segments, vec![seg("s1", 3)]);
    // Replacing returns the old data to delete.
    assert_eq!(
        s.put_object(&object("b1", "k", "s2")).await.unwrap(),
        Written {
            freed: vec![seg("s1", 3)],
            version_id: None
        }
    );
    assert!(s.set_object_tags("b1", "k", None, &[]).await.unwrap());
    assert!(
        s.get_object("b1", "k")
            .await
            .unwrap()
            .unwrap()
            .tags
            .is_empty()
    );
    assert!(!s.set_object_tags("b1", "missing", None, &[]).await.unwrap());
    assert!(matches!(
        s.delete_bucket("b1").await,
        Err(MetaError::BucketNotEmpty)
    ));
    let gone = s.delete_object("b1", "k", None, "m").await.unwrap();
    assert_eq!((gone.freed, gone.found), (vec![seg("s2", 3)], true));
    assert!(!gone.delete_marker);
    assert!(!s.delete_object("b1", "k", None, "m").await.unwrap().found);
    assert!(s.get_object("b1", "k").await.unwrap().is_none());
}

pub async fn listing(h: &dyn Harness) {
    let s = h.open().await;
    s.create_bucket(&bucket("lst")).await.unwrap();
    // Byte order: uppercase before lowercase, '/' (0x2F) before '0', multi-byte after ASCII.
    for k in ["b/2", "a", "b/1", "B", "é", "b0", "../../x", "a//b"] {
        s.put_object(&object("lst", k, k)).await.unwrap();
    }
    let all: Vec<_> = s
        .list_objects("lst", "", "", false, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(
        all,
        vec!["../../x", "B", "a", "a//b", "b/1", "b/2", "b0", "é"]
    );
    let page: Vec<_> = s
        .list_objects("lst", "b", "b/1", false, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(page, vec!["b/2", "b0"]);
    let inclusive: Vec<_> = s
        .list_objects("lst", "b", "b/1", true, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(inclusive, vec!["b/1", "b/2"]);
    let from_prefix: Vec<_> = s
        .list_objects("lst", "b/", "", false, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(from_prefix.first().map(String::as_str), Some("b/1"));
}

pub async fn multipart(h: &dyn Harness) {
    let s = h.open().await;
    s.create_bucket(&bucket("mp")).await.unwrap();
    let up = Upload {
        upload_id: "u1".into(),
        bucket: "mp".into(),
        key: "big".into(),
        // Stores keep millisecond precision.
        initiated: Utc
            .timestamp_millis_opt(Utc::now().timestamp_millis())
            .unwrap(),
        headers: ObjectHeaders::default(),
        checksum_algorithm: Some("CRC32".into()),
        tags: Vec::new(),
        initiator: "123456789012".into(),
    };
    s.create_upload(&up).await.unwrap();
    let up2 = Upload {
        upload_id: "u2".into(),
        ..up.clone()
    };
    s.create_upload(&up2).await.unwrap();
    assert_eq!(s.get_upload("mp", "big", "u1").await.unwrap().unwrap(), up);
    assert!(s.get_upload("mp", "other", "u1").await.unwrap().is_none());
    let ids: Vec<_> = s
        .list_uploads("mp", "", "", "", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.upload_id)
        .collect();
    assert_eq!(ids, vec!["u1", "u2"]);
    let ids: Vec<_> = s
        .list_uploads("mp", "", "big", "u1", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.upload_id)
        .collect();
    assert_eq!(ids, vec!["u2"]);
    assert!(matches!(
        s.delete_bucket("mp").await,
        Err(MetaError::BucketNotEmpty)
    ));

    let part = |n: u32, id: &str| Part {
        upload_id: "u1".into(),
        number: n,
        size: 5,
        etag: format!("\"e{n}\""),
        modified: Utc::now(),
        checksum: None,
        segment: seg(id, 5),
    };
    assert_eq!(s.put_part(&part(1, "p1")).await.unwrap(), None);
    assert_eq!(
        s.put_part(&part(1, "p1b")).await.unwrap(),
        Some(seg("p1", 5))
    );
    s.put_part(&part(2, "p2")).await.unwrap();
    s.put_part(&part(3, "p3")).await.unwrap();
    let nums: Vec<_> = s
        .list_parts("u1", 1, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.number)
        .collect();
    assert_eq!(nums, vec![2, 3]);
    assert!(matches!(
        s.put_part(&Part {
            upload_id: "zz".into(),
            ..part(1, "x")
        })
        .await,
        Err(MetaError::NoSuchUpload)
    ));

    // Every file a record names, parts included; a replaced part's file is not named.
    let named: std::collections::HashSet<_> = s.segment_ids().await.unwrap().into_iter().collect();
    for id in ["p1b", "p2", "p3"] {
        assert!(named.contains(id), "{id} missing from {named:?}");
    }
    assert!(!named.contains("p1"));

    let mut obj = object("mp", "big", "unused");
    obj.segments = vec![seg("p1b", 5), seg("p3", 5)];
    obj.parts = vec![5, 5];
    let mut unused = s.complete_upload("u1", &obj).await.unwrap().freed;
    unused.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(unused, vec![seg("p2", 5)]);
    assert!(matches!(
        s.complete_upload("u1", &obj).await,
        Err(MetaError::NoSuchUpload)
    ));
    assert_eq!(
        s.get_object("mp", "big").await.unwrap().unwrap().parts,
        vec![5, 5]
    );
    let named: std::collections::HashSet<_> = s.segment_ids().await.unwrap().into_iter().collect();
    assert!(named.contains("p1b") && named.contains("p3") && !named.contains("p2"));

    s.put_part(&Part {
        upload_id: "u2".into(),
        ..part(1, "q1")
    })
    .await
    .unwrap();
    assert_eq!(s.abort_upload("u2").await.unwrap(), vec![seg("q1", 5)]);
    assert!(matches!(
        s.abort_upload("u2").await,
        Err(MetaError::NoSuchUpload)
    ));
    assert!(
        s.list_uploads("mp", "", "", "", 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// S3 records live in the same database as the IAM ones and survive a reopen.
pub async fn reopen_keeps_objects(h: &dyn Harness) {
    let s = h.open().await;
    s.create_bucket(&bucket("keep")).await.unwrap();
    s.put_object(&object("keep", "k", "s1")).await.unwrap();
    drop(s);
    let again = h.open().await;
    let got = again.get_object("keep", "k").await.unwrap().unwrap();
    assert_eq!(got.segments, vec![seg("s1", 3)]);
    assert_eq!(again.list_buckets("123456789012").await.unwrap().len(), 1);
}

/// Racing replacements of one key: every version but the last is handed back exactly once,
/// so the caller deletes each replaced data file once and never the live one.
pub async fn concurrent_puts_free_each_version_once(h: &dyn Harness) {
    let s = h.open().await;
    s.create_bucket(&bucket("race")).await.unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let s = Arc::clone(&s);
            tokio::spawn(async move { s.put_object(&object("race", "k", &format!("v{i}"))).await })
        })
        .collect();
    let mut freed = Vec::new();
    for t in tasks {
        freed.extend(t.await.unwrap().unwrap().freed);
    }
    let live = s.get_object("race", "k").await.unwrap().unwrap().segments;
    freed.extend(live);
    let mut ids: Vec<_> = freed.into_iter().map(|seg| seg.id).collect();
    ids.sort();
    let mut want: Vec<_> = (0..10).map(|i| format!("v{i}")).collect();
    want.sort();
    assert_eq!(ids, want);
}

/// DeleteBucket racing PutObject: never both succeed (no object left in a deleted bucket).
pub async fn delete_bucket_races_put(h: &dyn Harness) {
    let s: Arc<Store> = h.open().await;
    for round in 0..8 {
        let name = format!("del{round}");
        s.create_bucket(&bucket(&name)).await.unwrap();
        let put = {
            let (s, name) = (Arc::clone(&s), name.clone());
            tokio::spawn(async move { s.put_object(&object(&name, "k", "x")).await })
        };
        let del = {
            let (s, name) = (Arc::clone(&s), name.clone());
            tokio::spawn(async move { s.delete_bucket(&name).await })
        };
        let (put, del) = (put.await.unwrap(), del.await.unwrap());
        match (&put, &del) {
            (Ok(_), Err(MetaError::BucketNotEmpty)) => {
                assert!(s.get_object(&name, "k").await.unwrap().is_some());
            }
            (Err(MetaError::NoSuchBucket), Ok(())) => {
                assert!(s.get_bucket(&name).await.unwrap().is_none());
                assert!(s.get_object(&name, "k").await.unwrap().is_none());
            }
            other => panic!("round {round}: unexpected outcome {other:?}"),
        }
    }
}
