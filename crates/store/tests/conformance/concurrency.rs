//! Limits must hold when callers race: every check runs inside the write transaction.

use std::sync::Arc;

use hourglass_store::*;

use super::Harness;
use super::fixtures::*;

/// Runs `n` copies of `make(i)` concurrently and returns their results.
async fn race<T, F, Fut>(n: usize, make: F) -> Vec<Result<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<T>> + Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(make(i))).collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

fn count_ok<T>(results: &[Result<T>]) -> usize {
    results.iter().filter(|r| r.is_ok()).count()
}

fn assert_only<T: std::fmt::Debug>(results: &[Result<T>], allowed: impl Fn(&StoreError) -> bool) {
    for r in results {
        if let Err(e) = r {
            assert!(allowed(e), "unexpected error under concurrency: {e:?}");
        }
    }
}

pub async fn access_keys_quota_holds(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let u = store.create_user(user(ACCT, "alice")).await.unwrap();
    let owner = KeyOwner::User(u.user_id);
    let results = race(10, |_| {
        let store = Arc::clone(&store);
        let owner = owner.clone();
        async move { store.create_access_key(key(ACCT, owner)).await }
    })
    .await;
    assert_eq!(count_ok(&results), 2, "{results:?}");
    assert_only(&results, |e| {
        matches!(
            e,
            StoreError::LimitExceeded {
                quota: Quota::AccessKeysPerUser,
                ..
            }
        )
    });
    assert_eq!(store.list_access_keys(ACCT, &owner).await.unwrap().len(), 2);

    let root = race(10, |_| {
        let store = Arc::clone(&store);
        async move { store.create_access_key(key(ACCT, KeyOwner::Root)).await }
    })
    .await;
    assert_eq!(count_ok(&root), 2);
    assert_eq!(
        store
            .list_access_keys(ACCT, &KeyOwner::Root)
            .await
            .unwrap()
            .len(),
        2
    );
}

pub async fn policy_versions_quota_holds(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let arn = store.create_policy(policy(ACCT, "p")).await.unwrap().arn;
    let results = race(10, |i| {
        let store = Arc::clone(&store);
        let arn = arn.clone();
        async move {
            store
                .create_policy_version(
                    ACCT,
                    &arn,
                    &doc(&format!("c{i}")),
                    i.is_multiple_of(2),
                    at(i as i64),
                )
                .await
        }
    })
    .await;
    assert_eq!(count_ok(&results), 4, "{results:?}");
    assert_only(&results, |e| {
        matches!(
            e,
            StoreError::LimitExceeded {
                quota: Quota::VersionsPerPolicy,
                ..
            }
        )
    });
    let versions = store.list_policy_versions(ACCT, &arn).await.unwrap();
    let mut ids: Vec<_> = versions.iter().map(|v| v.version_id.clone()).collect();
    ids.sort();
    assert_eq!(
        ids,
        ["v1", "v2", "v3", "v4", "v5"],
        "each id allocated once"
    );
    assert_eq!(versions.iter().filter(|v| v.is_default).count(), 1);
}

pub async fn unique_names_hold(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let results = race(10, |i| {
        let store = Arc::clone(&store);
        let name = if i.is_multiple_of(2) {
            "carol"
        } else {
            "CAROL"
        };
        async move { store.create_user(user(ACCT, name)).await }
    })
    .await;
    assert_eq!(count_ok(&results), 1, "{results:?}");
    assert_only(&results, |e| {
        matches!(
            e,
            StoreError::AlreadyExists {
                kind: ResourceKind::User,
                ..
            }
        )
    });
    assert_eq!(
        store
            .list_users(ACCT, None, &page(100))
            .await
            .unwrap()
            .items
            .len(),
        1
    );

    let results = race(10, |_| {
        let store = Arc::clone(&store);
        async move { store.create_policy(policy(ACCT, "same")).await }
    })
    .await;
    assert_eq!(count_ok(&results), 1, "{results:?}");
    assert_only(&results, |e| {
        matches!(
            e,
            StoreError::AlreadyExists {
                kind: ResourceKind::Policy,
                ..
            }
        )
    });
}

pub async fn attachment_quota_holds(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    store.create_role(role(ACCT, "r")).await.unwrap();
    let mut arns = Vec::new();
    for i in 0..15 {
        arns.push(
            store
                .create_policy(policy(ACCT, &format!("p{i}")))
                .await
                .unwrap()
                .arn,
        );
    }
    let results = race(15, |i| {
        let store = Arc::clone(&store);
        let arn = arns[i].clone();
        async move {
            store
                .attach_policy(ACCT, &EntityRef::Role("r".into()), &arn)
                .await
        }
    })
    .await;
    assert_eq!(count_ok(&results), 10, "{results:?}");
    assert_only(&results, |e| {
        matches!(
            e,
            StoreError::LimitExceeded {
                quota: Quota::PoliciesPerRole,
                ..
            }
        )
    });
    let attached = store
        .list_attached_policies(ACCT, &EntityRef::Role("r".into()), None, &page(100))
        .await
        .unwrap();
    assert_eq!(attached.items.len(), 10);
}
