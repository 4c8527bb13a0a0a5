//! Secrets Manager records: sealed values, revisioned writes, due-work leases.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use hourglass_store::secrets::{SecretRow, SecretValue, VersionRow, VersionWrite};
use hourglass_store::{Secret, StoreError};
use zeroize::Zeroizing;

use super::Harness;

fn row(arn: &str, name: &str) -> SecretRow {
    SecretRow {
        arn: arn.into(),
        account_id: "123456789012".into(),
        name: name.into(),
        meta: "{}".into(),
        created: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
        last_accessed: None,
        due_at: None,
        revision: 1,
    }
}

fn version(id: &str, seq: i64, stages: &[&str], value: Option<SecretValue>) -> VersionWrite {
    VersionWrite {
        row: VersionRow {
            version_id: id.into(),
            seq,
            created: Utc.timestamp_opt(1_700_000_000 + seq, 0).unwrap(),
            last_accessed: None,
            stages: stages.iter().map(|s| s.to_string()).collect(),
            has_value: value.is_some(),
        },
        value,
    }
}

const ACCT: &str = "123456789012";

pub async fn lifecycle<H: Harness>(h: &H) {
    let store = h.open().await;
    let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf";
    let r = row(arn, "db");
    let v1 = version(
        "v1",
        1,
        &["AWSCURRENT"],
        Some(SecretValue::String(Secret::new("hunter2"))),
    );
    store.secret_create(&r, &[v1]).await.unwrap();
    crate::assert_err!(
        store.secret_create(&row("arn:other", "db"), &[]).await,
        StoreError::AlreadyExists { .. }
    );
    let (got, versions) = store.secret_get(ACCT, arn).await.unwrap().unwrap();
    assert_eq!(got, r);
    assert_eq!(versions.len(), 1);
    assert!(versions[0].has_value);
    assert_eq!(
        store
            .secret_by_name(ACCT, "db")
            .await
            .unwrap()
            .unwrap()
            .0
            .arn,
        arn
    );
    assert!(
        store
            .secret_by_name("999999999999", "db")
            .await
            .unwrap()
            .is_none()
    );
    match store.secret_value(arn, "v1").await.unwrap() {
        Some(SecretValue::String(s)) => assert_eq!(s.expose(), "hunter2"),
        other => panic!("{other:?}"),
    }

    // A revisioned write: a placeholder, then a second writer at the old revision loses.
    let mut next = r.clone();
    next.revision = 2;
    next.meta = "{\"x\":1}".into();
    let placeholder = version("v2", 2, &["AWSPENDING"], None);
    store
        .secret_save(&next, 1, &[placeholder], &[])
        .await
        .unwrap();
    crate::assert_err!(
        store.secret_save(&next, 1, &[], &[]).await,
        StoreError::Conflict
    );
    assert!(store.secret_value(arn, "v2").await.unwrap().is_none());
    // Filling the placeholder sets its value once; a later write cannot replace it.
    let mut third = next.clone();
    third.revision = 3;
    let bin = SecretValue::Binary(Zeroizing::new(vec![0, 1, 2]));
    store
        .secret_save(
            &third,
            2,
            &[version("v2", 2, &["AWSPENDING"], Some(bin.clone()))],
            &[],
        )
        .await
        .unwrap();
    let mut fourth = third.clone();
    fourth.revision = 4;
    store
        .secret_save(
            &fourth,
            3,
            &[version(
                "v2",
                2,
                &["AWSCURRENT"],
                Some(SecretValue::String(Secret::new("other"))),
            )],
            &["v1".to_owned()],
        )
        .await
        .unwrap();
    assert_eq!(store.secret_value(arn, "v2").await.unwrap(), Some(bin));
    let (_, versions) = store.secret_get(ACCT, arn).await.unwrap().unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].stages, vec!["AWSCURRENT".to_owned()]);

    let day = Utc.timestamp_opt(1_700_006_400, 0).unwrap();
    store.secret_touch(arn, "v2", day).await.unwrap();
    store
        .secret_touch(arn, "v2", day - Duration::days(3))
        .await
        .unwrap();
    let (got, versions) = store.secret_get(ACCT, arn).await.unwrap().unwrap();
    assert_eq!(got.last_accessed, Some(day));
    assert_eq!(versions[0].last_accessed, Some(day));
    assert_eq!(store.secret_list(ACCT).await.unwrap().len(), 1);

    assert!(store.secret_delete(arn).await.unwrap());
    assert!(!store.secret_delete(arn).await.unwrap());
    assert!(store.secret_get(ACCT, arn).await.unwrap().is_none());
    crate::assert_err!(
        store.secret_save(&fourth, 4, &[], &[]).await,
        StoreError::NotFound { .. }
    );
}

pub async fn sealed_and_bound<H: Harness>(h: &H) {
    let store = h.open().await;
    let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AAAAAA";
    let v = version(
        "v1",
        1,
        &["AWSCURRENT"],
        Some(SecretValue::String(Secret::new("plain-marker"))),
    );
    store.secret_create(&row(arn, "s"), &[v]).await.unwrap();
    // Reopened with another key ring, the value does not open (and nothing panics).
    let other = Arc::new(hourglass_store::KeyRing::generate("other").unwrap());
    let store2 = h.open_with(other, hourglass_store::Quotas::default()).await;
    assert!(store2.secret_value(arn, "v1").await.is_err());
    assert!(store.secret_value(arn, "v1").await.unwrap().is_some());
}

pub async fn due_work_is_claimed_once<H: Harness>(h: &H) {
    let store = h.open().await;
    let now = Utc::now();
    for i in 0..6 {
        let mut r = row(
            &format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:due{i}-AAAAAA"),
            &format!("due{i}"),
        );
        r.due_at = Some(now - Duration::minutes(1));
        store.secret_create(&r, &[]).await.unwrap();
    }
    let mut not_due = row(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:later-AAAAAA",
        "later",
    );
    not_due.due_at = Some(now + Duration::hours(1));
    store.secret_create(&not_due, &[]).await.unwrap();

    // Two "nodes" claim concurrently: every due secret goes to exactly one of them.
    let claim = |owner: &'static str| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(arn) = store
                .secret_claim_due(now, now + Duration::minutes(10), owner)
                .await
                .unwrap()
            {
                mine.push(arn);
            }
            mine
        })
    };
    let (a, b) = (claim("node-a"), claim("node-b"));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let mut all: Vec<String> = a.iter().chain(b.iter()).cloned().collect();
    all.sort();
    let before = all.len();
    all.dedup();
    assert_eq!(before, all.len(), "a secret was claimed twice: {a:?} {b:?}");
    assert_eq!(all.len(), 6);
    assert!(
        store
            .secret_holds_lease(
                &all[0],
                if a.contains(&all[0]) {
                    "node-a"
                } else {
                    "node-b"
                },
                now
            )
            .await
            .unwrap()
    );
    // Released work can be claimed again; an expired lease too.
    let first = all[0].clone();
    let owner = if a.contains(&first) {
        "node-a"
    } else {
        "node-b"
    };
    store.secret_release(&first, owner, None).await.unwrap();
    assert_eq!(
        store
            .secret_claim_due(now, now + Duration::minutes(10), "node-c")
            .await
            .unwrap(),
        Some(first)
    );
    // Held after release: not claimable before the hold ends.
    let held = all[1].clone();
    let owner = if a.contains(&held) {
        "node-a"
    } else {
        "node-b"
    };
    store
        .secret_release(&held, owner, Some(now + Duration::minutes(30)))
        .await
        .unwrap();
    let later = now + Duration::minutes(11);
    let mut reclaimed = Vec::new();
    while let Some(arn) = store
        .secret_claim_due(later, later + Duration::minutes(10), "node-d")
        .await
        .unwrap()
    {
        reclaimed.push(arn);
    }
    assert_eq!(
        reclaimed.len(),
        5,
        "expired leases are claimable, the held one is not"
    );
    assert!(!reclaimed.contains(&held));
}
