//! S3 object versions: enabled and suspended writes, delete markers, deletes by version id,
//! version listings, and the bucket/account configuration documents.

use hourglass_store::s3::*;

use super::Harness;
use super::s3::{bucket, object, seg};

fn ids(vs: &[Version]) -> Vec<(String, String, bool, bool)> {
    vs.iter()
        .map(|v| {
            (
                v.object.key.clone(),
                v.object.version_id.clone(),
                v.delete_marker,
                v.latest,
            )
        })
        .collect()
}

fn entry(key: &str, vid: &str, marker: bool, latest: bool) -> (String, String, bool, bool) {
    (key.into(), vid.into(), marker, latest)
}

pub async fn enabled_keeps_every_version(h: &dyn Harness) {
    let s = h.open().await;
    s.create_bucket(&bucket("ver")).await.unwrap();
    // An object written before versioning is the `null` version.
    let w = s.put_object(&object("ver", "k", "s0")).await.unwrap();
    assert_eq!(w.version_id, None);
    s.set_versioning("ver", "Enabled").await.unwrap();
    assert_eq!(
        s.get_bucket("ver")
            .await
            .unwrap()
            .unwrap()
            .versioning
            .as_deref(),
        Some("Enabled")
    );
    let w = s.put_object(&object("ver", "k", "s1")).await.unwrap();
    assert_eq!(
        w,
        Written {
            freed: vec![],
            version_id: Some("vs1".into())
        }
    );
    let w = s.put_object(&object("ver", "k", "s2")).await.unwrap();
    assert!(w.freed.is_empty());
    assert_eq!(
        s.get_object("ver", "k").await.unwrap().unwrap().version_id,
        "vs2"
    );
    let old = s
        .get_version("ver", "k", Some("null"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (old.object.segments, old.latest),
        (vec![seg("s0", 3)], false)
    );

    // A delete adds a marker: the key disappears from the current view, versions remain.
    let d = s.delete_object("ver", "k", None, "m1").await.unwrap();
    assert_eq!(
        (d.delete_marker, d.version_id.as_deref()),
        (true, Some("m1"))
    );
    assert!(d.freed.is_empty());
    assert!(s.get_object("ver", "k").await.unwrap().is_none());
    let newest = s.get_version("ver", "k", None).await.unwrap().unwrap();
    assert!(newest.delete_marker && newest.latest);
    let all = s
        .list_versions("ver", "", "", None, false, 100)
        .await
        .unwrap();
    assert_eq!(
        ids(&all),
        vec![
            entry("k", "m1", true, true),
            entry("k", "vs2", false, false),
            entry("k", "vs1", false, false),
            entry("k", "null", false, false),
        ]
    );
    // Noncurrent data stays named (the startup sweep keeps it) and the bucket is not empty.
    let named = s.segment_ids().await.unwrap();
    for id in ["s0", "s1", "s2"] {
        assert!(named.iter().any(|n| n == id), "{id}");
    }
    assert!(matches!(
        s.delete_bucket("ver").await,
        Err(MetaError::BucketNotEmpty)
    ));
    // Tags of one version only.
    let t = vec![Tag {
        key: "a".into(),
        value: "1".into(),
    }];
    assert!(
        s.set_object_tags("ver", "k", Some("vs1"), &t)
            .await
            .unwrap()
    );
    assert!(!s.set_object_tags("ver", "k", Some("m1"), &t).await.unwrap());
    assert_eq!(
        s.get_version("ver", "k", Some("vs1"))
            .await
            .unwrap()
            .unwrap()
            .object
            .tags,
        t
    );
    assert_eq!(
        s.get_version("ver", "k", Some("vs2"))
            .await
            .unwrap()
            .unwrap()
            .object
            .tags,
        object("ver", "k", "x").tags
    );
}

pub async fn suspended_replaces_only_null(h: &dyn Harness) {
    let s = h.open().await;
    s.create_bucket(&bucket("sus")).await.unwrap();
    s.set_versioning("sus", "Enabled").await.unwrap();
    s.put_object(&object("sus", "k", "s1")).await.unwrap();
    s.set_versioning("sus", "Suspended").await.unwrap();
    let w = s.put_object(&object("sus", "k", "s2")).await.unwrap();
    assert_eq!(
        w,
        Written {
            freed: vec![],
            version_id: Some("null".into())
        }
    );
    // A second write replaces the `null` version and frees its data; vs1 stays.
    let w = s.put_object(&object("sus", "k", "s3")).await.unwrap();
    assert_eq!(w.freed, vec![seg("s2", 3)]);
    // A delete makes a `null` marker, replacing the `null` object.
    let d = s.delete_object("sus", "k", None, "unused").await.unwrap();
    assert_eq!(d.version_id.as_deref(), Some("null"));
    assert_eq!(d.freed, vec![seg("s3", 3)]);
    let all = s
        .list_versions("sus", "", "", None, false, 100)
        .await
        .unwrap();
    assert_eq!(
        ids(&all),
        vec![
            entry("k", "null", true, true),
            entry("k", "vs1", false, false)
        ]
    );
    // Writing again replaces the null marker with a null object.
    let w = s.put_object(&object("sus", "k", "s4")).await.unwrap();
    assert!(w.freed.is_empty());
    let all = s
        .list_versions("sus", "", "", None, false, 100)
        .await
        .unwrap();
    assert_eq!(
        ids(&all),
        vec![
            entry("k", "null", false, true),
            entry("k", "vs1", false, false)
        ]
    );
}

pub async fn delete_by_version_promotes(h: &dyn Harness) {
    let s = h.open().await;
    s.create_bucket(&bucket("pro")).await.unwrap();
    s.set_versioning("pro", "Enabled").await.unwrap();
    s.put_object(&object("pro", "k", "s1")).await.unwrap();
    s.put_object(&object("pro", "k", "s2")).await.unwrap();
    s.delete_object("pro", "k", None, "m1").await.unwrap();
    // Removing the marker brings the newest object back as current.
    let d = s.delete_object("pro", "k", Some("m1"), "x").await.unwrap();
    assert!(d.found && d.delete_marker && d.freed.is_empty());
    assert_eq!(
        s.get_object("pro", "k").await.unwrap().unwrap().version_id,
        "vs2"
    );
    // Removing the current version frees its data and promotes the previous one.
    let d = s.delete_object("pro", "k", Some("vs2"), "x").await.unwrap();
    assert_eq!(
        (d.found, d.delete_marker, d.freed),
        (true, false, vec![seg("s2", 3)])
    );
    assert_eq!(
        s.get_object("pro", "k").await.unwrap().unwrap().version_id,
        "vs1"
    );
    // An unknown id changes nothing.
    let d = s
        .delete_object("pro", "k", Some("nope"), "x")
        .await
        .unwrap();
    assert!(!d.found);
    let d = s.delete_object("pro", "k", Some("vs1"), "x").await.unwrap();
    assert_eq!(d.freed, vec![seg("s1", 3)]);
    assert!(
        s.list_versions("pro", "", "", None, false, 10)
            .await
            .unwrap()
            .is_empty()
    );
    s.delete_bucket("pro").await.unwrap();
}

pub async fn listing_pages_by_key_and_version(h: &dyn Harness) {
    let s = h.open().await;
    s.create_bucket(&bucket("pg")).await.unwrap();
    s.set_versioning("pg", "Enabled").await.unwrap();
    for (k, sid) in [
        ("a", "a1"),
        ("b", "b1"),
        ("a", "a2"),
        ("b", "b2"),
        ("c", "c1"),
    ] {
        s.put_object(&object("pg", k, sid)).await.unwrap();
    }
    let first = s.list_versions("pg", "", "", None, false, 3).await.unwrap();
    assert_eq!(
        ids(&first),
        vec![
            entry("a", "va2", false, true),
            entry("a", "va1", false, false),
            entry("b", "vb2", false, true),
        ]
    );
    let next = s
        .list_versions("pg", "", "b", Some("vb2"), false, 3)
        .await
        .unwrap();
    assert_eq!(
        ids(&next),
        vec![
            entry("b", "vb1", false, false),
            entry("c", "vc1", false, true)
        ]
    );
    // A key marker alone skips every version of that key; inclusive starts at it.
    let after_a = s
        .list_versions("pg", "", "a", None, false, 10)
        .await
        .unwrap();
    assert_eq!(after_a.first().map(|v| v.object.key.as_str()), Some("b"));
    let from_b = s
        .list_versions("pg", "", "b", None, true, 10)
        .await
        .unwrap();
    assert_eq!(from_b.len(), 3);
    // The prefix bounds the start, not the end (the caller stops at the first key past it).
    let pre = s
        .list_versions("pg", "b", "", None, false, 10)
        .await
        .unwrap();
    assert_eq!(pre.first().map(|v| v.object.key.as_str()), Some("b"));
}

pub async fn configuration_documents(h: &dyn Harness) {
    let s = h.open().await;
    s.create_bucket(&bucket("cfg")).await.unwrap();
    assert_eq!(s.bucket_config("cfg", "cors").await.unwrap(), None);
    s.set_bucket_config("cfg", "cors", Some("<x/>"))
        .await
        .unwrap();
    s.set_bucket_config("cfg", "cors", Some("<y/>"))
        .await
        .unwrap();
    assert_eq!(
        s.bucket_config("cfg", "cors").await.unwrap().as_deref(),
        Some("<y/>")
    );
    assert!(matches!(
        s.set_bucket_config("nope", "cors", Some("<x/>")).await,
        Err(MetaError::NoSuchBucket)
    ));
    // Deleting the bucket drops its documents: a new bucket of that name starts clean.
    s.delete_bucket("cfg").await.unwrap();
    s.create_bucket(&bucket("cfg")).await.unwrap();
    assert_eq!(s.bucket_config("cfg", "cors").await.unwrap(), None);
    s.set_bucket_config("cfg", "cors", None).await.unwrap();

    s.set_account_config("111122223333", "pab", Some("{}"))
        .await
        .unwrap();
    assert_eq!(
        s.account_config("111122223333", "pab")
            .await
            .unwrap()
            .as_deref(),
        Some("{}")
    );
    assert_eq!(s.account_config("999999999999", "pab").await.unwrap(), None);
    s.set_account_config("111122223333", "pab", None)
        .await
        .unwrap();
    assert_eq!(s.account_config("111122223333", "pab").await.unwrap(), None);
}

/// A small object's bytes kept in its row: they come back with the reads that serve
/// bodies, move with the version when it becomes noncurrent and back when it is promoted,
/// and a record that names inline data it does not carry is refused, never stored empty.
pub async fn inline_data_travels_with_its_version(h: &dyn Harness) {
    let s = h.open().await;
    s.create_bucket(&bucket("inl")).await.unwrap();
    let inline = |key: &str, vid: &str, bytes: &'static [u8]| Object {
        segments: vec![Segment::inline(bytes::Bytes::from_static(bytes), 3)],
        version_id: vid.into(),
        ..object("inl", key, "unused")
    };
    let data = |o: &Object| o.segments[0].data.clone();

    s.put_object(&inline("k", "v1", b"one")).await.unwrap();
    let got = s.get_object("inl", "k").await.unwrap().unwrap();
    assert_eq!(data(&got).as_deref(), Some(&b"one"[..]));
    assert!(got.segments[0].is_inline());

    // Overwritten in an unversioned bucket: nothing to free on disk, new bytes served.
    let w = s.put_object(&inline("k", "v2", b"two")).await.unwrap();
    assert!(w.freed.iter().all(Segment::is_inline));
    let got = s.get_object("inl", "k").await.unwrap().unwrap();
    assert_eq!(data(&got).as_deref(), Some(&b"two"[..]));

    // Versioned: the old version keeps its bytes in s3_versions.
    s.set_versioning("inl", "Enabled").await.unwrap();
    s.put_object(&inline("k", "v3", b"333")).await.unwrap();
    let old = s
        .get_version("inl", "k", Some("null"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(data(&old.object).as_deref(), Some(&b"two"[..]));
    let new = s.get_version("inl", "k", None).await.unwrap().unwrap();
    assert_eq!(data(&new.object).as_deref(), Some(&b"333"[..]));
    // Deleting the newest version promotes the old one, bytes and all.
    s.delete_object("inl", "k", Some("v3"), "m").await.unwrap();
    let got = s.get_object("inl", "k").await.unwrap().unwrap();
    assert_eq!(
        (got.version_id.as_str(), data(&got).as_deref()),
        ("null", Some(&b"two"[..]))
    );

    // Listings carry no bytes, so writing a listed record back is refused.
    let listed = s.list_objects("inl", "", "", true, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].segments[0].data, None);
    assert!(matches!(
        s.put_object(&listed[0]).await,
        Err(MetaError::Backend(_))
    ));
    let got = s.get_object("inl", "k").await.unwrap().unwrap();
    assert_eq!(data(&got).as_deref(), Some(&b"two"[..]));

    // Inline data is an object's only segment, and never a part's.
    let mixed = Object {
        segments: vec![
            Segment::inline(bytes::Bytes::from_static(b"x"), 1),
            seg("f1", 1),
        ],
        ..object("inl", "m", "unused")
    };
    assert!(s.put_object(&mixed).await.is_err());
    assert!(s.get_object("inl", "m").await.unwrap().is_none());
    s.create_upload(&Upload {
        upload_id: "u-inl".into(),
        bucket: "inl".into(),
        key: "p".into(),
        initiated: chrono::Utc::now(),
        headers: ObjectHeaders::default(),
        checksum_algorithm: None,
        tags: vec![],
        initiator: "1".into(),
    })
    .await
    .unwrap();
    let part = Part {
        upload_id: "u-inl".into(),
        number: 1,
        size: 1,
        etag: "\"e\"".into(),
        modified: chrono::Utc::now(),
        checksum: None,
        segment: Segment::inline(bytes::Bytes::from_static(b"x"), 1),
    };
    assert!(s.put_part(&part).await.is_err());
}
