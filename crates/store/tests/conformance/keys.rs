//! Access keys: ownership, quota, last use, encryption at rest.

use std::sync::Arc;

use hourglass_store::*;

use super::Harness;
use super::fixtures::*;
use crate::assert_err;

pub async fn lifecycle_and_ownership(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let alice = store.create_user(user(ACCT, "alice")).await.unwrap();
    let bob = store.create_user(user(ACCT, "bob")).await.unwrap();
    let owner = KeyOwner::User(alice.user_id.clone());
    let new = key(ACCT, owner.clone());
    let meta = store.create_access_key(new.clone()).await.unwrap();
    assert_eq!(meta.access_key_id, new.access_key_id);
    assert_eq!(meta.status, AccessKeyStatus::Active);
    assert_eq!(meta.owner, owner);
    assert_eq!(meta.create_date, at(5));
    assert_eq!(meta.last_used, None);

    let got = store.get_access_key(&new.access_key_id).await.unwrap();
    assert_eq!(got.metadata, meta);
    assert_eq!(got.secret.expose(), new.secret.expose());
    assert_eq!(format!("{:?}", got.secret), "***");
    assert!(!format!("{got:?}").contains(new.secret.expose()));

    let root_key = key(ACCT, KeyOwner::Root);
    store.create_access_key(root_key.clone()).await.unwrap();
    let listed = store.list_access_keys(ACCT, &owner).await.unwrap();
    assert_eq!(listed, vec![meta.clone()]);
    let root_listed = store.list_access_keys(ACCT, &KeyOwner::Root).await.unwrap();
    assert_eq!(root_listed.len(), 1);
    assert_eq!(root_listed[0].owner, KeyOwner::Root);
    assert!(
        store
            .list_access_keys(OTHER, &KeyOwner::Root)
            .await
            .unwrap()
            .is_empty()
    );

    // Another owner (user, root, other account) cannot touch the key.
    let not_found = |r: Result<()>| match r {
        Err(
            e @ StoreError::NotFound {
                kind: ResourceKind::AccessKey,
                ..
            },
        ) => {
            assert_eq!(
                e.to_string(),
                format!(
                    "The Access Key with id {} cannot be found",
                    new.access_key_id
                )
            );
        }
        other => panic!("expected NotFound(AccessKey), got {other:?}"),
    };
    let bob_owner = KeyOwner::User(bob.user_id.clone());
    not_found(
        store
            .update_access_key_status(
                ACCT,
                &bob_owner,
                &new.access_key_id,
                AccessKeyStatus::Inactive,
            )
            .await,
    );
    not_found(
        store
            .update_access_key_status(
                ACCT,
                &KeyOwner::Root,
                &new.access_key_id,
                AccessKeyStatus::Inactive,
            )
            .await,
    );
    not_found(
        store
            .update_access_key_status(OTHER, &owner, &new.access_key_id, AccessKeyStatus::Inactive)
            .await,
    );
    not_found(
        store
            .delete_access_key(ACCT, &bob_owner, &new.access_key_id)
            .await,
    );
    assert_eq!(
        store
            .get_access_key(&new.access_key_id)
            .await
            .unwrap()
            .metadata
            .status,
        AccessKeyStatus::Active
    );

    store
        .update_access_key_status(ACCT, &owner, &new.access_key_id, AccessKeyStatus::Inactive)
        .await
        .unwrap();
    assert_eq!(
        store
            .get_access_key(&new.access_key_id)
            .await
            .unwrap()
            .metadata
            .status,
        AccessKeyStatus::Inactive
    );
    store
        .update_access_key_status(ACCT, &owner, &new.access_key_id, AccessKeyStatus::Active)
        .await
        .unwrap();

    store
        .delete_access_key(ACCT, &owner, &new.access_key_id)
        .await
        .unwrap();
    assert_err!(
        store.get_access_key(&new.access_key_id).await,
        StoreError::NotFound {
            kind: ResourceKind::AccessKey,
            ..
        }
    );
    not_found(
        store
            .delete_access_key(ACCT, &owner, &new.access_key_id)
            .await,
    );
    store
        .delete_access_key(ACCT, &KeyOwner::Root, &root_key.access_key_id)
        .await
        .unwrap();

    assert_err!(
        store
            .create_access_key(key(ACCT, KeyOwner::User("AIDANOSUCHUSER".into())))
            .await,
        StoreError::NotFound {
            kind: ResourceKind::User,
            ..
        }
    );
    // A user of another account is not an owner here.
    assert_err!(
        store
            .create_access_key(key(OTHER, KeyOwner::User(alice.user_id.clone())))
            .await,
        StoreError::NotFound {
            kind: ResourceKind::User,
            ..
        }
    );
    let mut dup = key(ACCT, KeyOwner::Root);
    store.create_access_key(dup.clone()).await.unwrap();
    dup.owner = owner;
    assert_err!(
        store.create_access_key(dup).await,
        StoreError::AlreadyExists {
            kind: ResourceKind::AccessKey,
            ..
        }
    );
}

pub async fn quota_per_owner(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let alice = store.create_user(user(ACCT, "alice")).await.unwrap();
    let owner = KeyOwner::User(alice.user_id.clone());
    let first = key(ACCT, owner.clone());
    store.create_access_key(first.clone()).await.unwrap();
    store
        .create_access_key(key(ACCT, owner.clone()))
        .await
        .unwrap();
    let err = store
        .create_access_key(key(ACCT, owner.clone()))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cannot exceed quota for AccessKeysPerUser: 2"
    );
    assert!(matches!(
        err,
        StoreError::LimitExceeded {
            quota: Quota::AccessKeysPerUser,
            limit: 2
        }
    ));
    assert_eq!(store.list_access_keys(ACCT, &owner).await.unwrap().len(), 2);

    // Root keys and other users have their own quota.
    store
        .create_access_key(key(ACCT, KeyOwner::Root))
        .await
        .unwrap();
    store
        .create_access_key(key(ACCT, KeyOwner::Root))
        .await
        .unwrap();
    assert_err!(
        store.create_access_key(key(ACCT, KeyOwner::Root)).await,
        StoreError::LimitExceeded {
            quota: Quota::AccessKeysPerUser,
            ..
        }
    );
    let bob = store.create_user(user(ACCT, "bob")).await.unwrap();
    store
        .create_access_key(key(ACCT, KeyOwner::User(bob.user_id)))
        .await
        .unwrap();

    store
        .delete_access_key(ACCT, &owner, &first.access_key_id)
        .await
        .unwrap();
    store
        .create_access_key(key(ACCT, owner.clone()))
        .await
        .unwrap();
}

pub async fn last_used(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let k = key(ACCT, KeyOwner::Root);
    store.create_access_key(k.clone()).await.unwrap();
    let used = AccessKeyLastUsed {
        date: at(100),
        service: "s3".into(),
        region: "us-east-1".into(),
    };
    store
        .record_access_key_use(&k.access_key_id, &used)
        .await
        .unwrap();
    let later = AccessKeyLastUsed {
        date: at(200),
        service: "iam".into(),
        region: "eu-west-1".into(),
    };
    store
        .record_access_key_use(&k.access_key_id, &later)
        .await
        .unwrap();
    let got = store.get_access_key(&k.access_key_id).await.unwrap();
    assert_eq!(got.metadata.last_used, Some(later.clone()));
    let listed = store.list_access_keys(ACCT, &KeyOwner::Root).await.unwrap();
    assert_eq!(listed[0].last_used, Some(later));
    // Unknown keys are ignored (the key may have been deleted meanwhile).
    store
        .record_access_key_use("AKIANOSUCHKEY", &used)
        .await
        .unwrap();
    // Sub-second precision is kept to the microsecond.
    let precise = AccessKeyLastUsed {
        date: at(300) + chrono::Duration::microseconds(123_456),
        ..used
    };
    store
        .record_access_key_use(&k.access_key_id, &precise)
        .await
        .unwrap();
    let got = store.get_access_key(&k.access_key_id).await.unwrap();
    assert_eq!(got.metadata.last_used.unwrap().date, precise.date);
}

pub async fn secret_encrypted_at_rest(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let k = key(ACCT, KeyOwner::Root);
    store.create_access_key(k.clone()).await.unwrap();
    let raw = h.raw_sealed_secret(&k.access_key_id).await;
    assert!(
        !raw.contains(k.secret.expose()),
        "secret stored in clear: {raw}"
    );
    assert!(raw.starts_with(&format!("v1.{}.", h.keyring().current_key_id())));
    assert_eq!(
        h.keyring()
            .open_secret(&raw, k.access_key_id.as_bytes())
            .unwrap(),
        k.secret,
        "sealed with the key id as associated data"
    );

    // A store with the wrong key ring cannot read it, and says nothing about the secret.
    let wrong = Arc::new(KeyRing::generate(h.keyring().current_key_id()).unwrap());
    let other = h.open_with(wrong, Quotas::default()).await;
    let err = other.get_access_key(&k.access_key_id).await.unwrap_err();
    assert!(
        matches!(err, StoreError::KeyRing(KeyRingError::Decrypt)),
        "{err:?}"
    );
    assert!(!err.to_string().contains(k.secret.expose()));
    assert!(!format!("{err:?}").contains(k.secret.expose()));
}

/// The key-age pass: every account's active keys created before a time, oldest first.
pub async fn active_created_before(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let alice = store.create_user(user(ACCT, "alice")).await.unwrap();
    let owner = KeyOwner::User(alice.user_id.clone());
    let old = NewAccessKey {
        create_date: at(1),
        ..key(ACCT, owner.clone())
    };
    let inactive = NewAccessKey {
        create_date: at(2),
        ..key(ACCT, owner.clone())
    };
    let root_other = NewAccessKey {
        create_date: at(3),
        ..key(OTHER, KeyOwner::Root)
    };
    let young = NewAccessKey {
        create_date: at(100),
        ..key(ACCT, KeyOwner::Root)
    };
    for k in [&old, &inactive, &root_other, &young] {
        store.create_access_key(k.clone()).await.unwrap();
    }
    store
        .update_access_key_status(
            ACCT,
            &owner,
            &inactive.access_key_id,
            AccessKeyStatus::Inactive,
        )
        .await
        .unwrap();
    let ids =
        |v: Vec<AccessKeyMetadata>| v.into_iter().map(|k| k.access_key_id).collect::<Vec<_>>();
    let got = store
        .active_access_keys_created_before(at(50), 100)
        .await
        .unwrap();
    assert_eq!(
        ids(got),
        vec![old.access_key_id.clone(), root_other.access_key_id.clone()]
    );
    let got = store
        .active_access_keys_created_before(at(50), 1)
        .await
        .unwrap();
    assert_eq!(ids(got), vec![old.access_key_id.clone()]);
    assert!(
        store
            .active_access_keys_created_before(at(1), 100)
            .await
            .unwrap()
            .is_empty()
    );
}
