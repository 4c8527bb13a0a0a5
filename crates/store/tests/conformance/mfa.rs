//! Virtual MFA devices.

use hourglass_store::*;

use super::Harness;
use super::fixtures::*;
use crate::assert_err;

fn device(serial: &str) -> NewMfaDevice {
    NewMfaDevice {
        account_id: ACCT.into(),
        serial: serial.into(),
        name: serial.rsplit('/').next().unwrap_or(serial).into(),
        path: "/".into(),
        create_date: at(0),
        seed: Secret::new("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
        tags: Vec::new(),
    }
}

pub async fn lifecycle_and_replay_guard(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    store.create_user(user(ACCT, "alice")).await.unwrap();
    let serial = "arn:aws:iam::123456789012:mfa/a";
    let created = store
        .create_virtual_mfa_device(device(serial))
        .await
        .unwrap();
    assert_eq!((created.user, created.enable_date), (None, None));
    assert_err!(
        store.create_virtual_mfa_device(device(serial)).await,
        StoreError::AlreadyExists { .. }
    );
    let (seed, step) = store.mfa_seed(ACCT, serial).await.unwrap();
    assert_eq!(
        (seed.expose(), step),
        ("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", 0)
    );
    // Not enabled: no step can be spent.
    assert!(!store.advance_mfa_step(ACCT, serial, 5).await.unwrap());

    store
        .enable_mfa_device(ACCT, "ALICE", serial, at(10), 100)
        .await
        .unwrap();
    assert_err!(
        store
            .enable_mfa_device(ACCT, "alice", serial, at(10), 100)
            .await,
        StoreError::AlreadyExists { .. }
    );
    let got = store.get_mfa_device(ACCT, serial).await.unwrap();
    assert_eq!(got.user.map(|u| u.name).as_deref(), Some("alice"));
    assert_eq!(got.enable_date, Some(at(10)));
    assert!(!store.advance_mfa_step(ACCT, serial, 100).await.unwrap());
    assert!(store.advance_mfa_step(ACCT, serial, 101).await.unwrap());
    assert!(!store.advance_mfa_step(ACCT, serial, 101).await.unwrap());
    assert!(!store.advance_mfa_step(OTHER, serial, 200).await.unwrap());

    let mine = store
        .list_mfa_devices(ACCT, Some("alice"), MfaAssignment::Any, &page(10))
        .await
        .unwrap();
    assert_eq!(mine.items.len(), 1);
    store
        .create_virtual_mfa_device(device("arn:aws:iam::123456789012:mfa/b"))
        .await
        .unwrap();
    let unassigned = store
        .list_mfa_devices(ACCT, None, MfaAssignment::Unassigned, &page(10))
        .await
        .unwrap();
    assert_eq!(
        unassigned
            .items
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>(),
        ["b"]
    );
    assert_eq!(store.mfa_device_counts(ACCT).await.unwrap(), (2, 1));

    assert_err!(
        store.delete_user(ACCT, "alice").await,
        StoreError::DeleteConflict(DeleteConflict::MfaDevices)
    );
    assert_err!(
        store.delete_virtual_mfa_device(ACCT, serial).await,
        StoreError::DeleteConflict(DeleteConflict::MfaDeviceInUse)
    );
    store
        .deactivate_mfa_device(ACCT, "alice", serial)
        .await
        .unwrap();
    assert_err!(
        store.deactivate_mfa_device(ACCT, "alice", serial).await,
        StoreError::NotFound { .. }
    );
    store.delete_virtual_mfa_device(ACCT, serial).await.unwrap();
    store.delete_user(ACCT, "alice").await.unwrap();
}

pub async fn seed_encrypted_at_rest(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let serial = "arn:aws:iam::123456789012:mfa/sealed";
    store
        .create_virtual_mfa_device(device(serial))
        .await
        .unwrap();
    // Another key ring cannot open the seed.
    let other = h
        .open_with(
            std::sync::Arc::new(KeyRing::generate("other").unwrap()),
            Quotas::default(),
        )
        .await;
    assert_err!(other.mfa_seed(ACCT, serial).await, StoreError::KeyRing(_));
}

pub async fn tags_created_listed_and_removed_with_the_device(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let serial = "arn:aws:iam::123456789012:mfa/tagged";
    let mut new = device(serial);
    new.tags = vec![Tag::new("team", "a")];
    let created = store.create_virtual_mfa_device(new).await.unwrap();
    assert_eq!(created.tags, vec![Tag::new("team", "a")]);

    let target = TagTarget::MfaDevice(serial.into());
    // Keys are case-insensitive: the new key's case wins.
    store
        .tag_resource(
            ACCT,
            &target,
            &[Tag::new("Team", "b"), Tag::new("env", "dev")],
        )
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(ACCT, &target).await.unwrap(),
        vec![Tag::new("env", "dev"), Tag::new("Team", "b")]
    );
    let listed = store
        .list_mfa_devices(ACCT, None, MfaAssignment::Any, &page(10))
        .await
        .unwrap();
    assert_eq!(listed.items[0].tags.len(), 2);
    store
        .untag_resource(ACCT, &target, &["TEAM".into(), "absent".into()])
        .await
        .unwrap();
    assert_eq!(
        store.get_mfa_device(ACCT, serial).await.unwrap().tags,
        vec![Tag::new("env", "dev")]
    );

    let more: Vec<Tag> = (0..50).map(|i| Tag::new(format!("k{i:02}"), "v")).collect();
    let err = store.tag_resource(ACCT, &target, &more).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cannot exceed quota for TagsPerMFADevice: 50"
    );
    assert_eq!(
        store.list_tags(ACCT, &target).await.unwrap().len(),
        1,
        "a refused tag call changes nothing"
    );
    // Too many tags at creation: no device either.
    let mut crowded = device("arn:aws:iam::123456789012:mfa/crowded");
    crowded.tags = (0..51).map(|i| Tag::new(format!("k{i:02}"), "v")).collect();
    assert_err!(
        store.create_virtual_mfa_device(crowded).await,
        StoreError::LimitExceeded { .. }
    );
    assert_err!(
        store
            .get_mfa_device(ACCT, "arn:aws:iam::123456789012:mfa/crowded")
            .await,
        StoreError::NotFound { .. }
    );

    // Another account's device, and a missing one, are not found.
    for (account, serial) in [
        (OTHER, serial),
        (ACCT, "arn:aws:iam::123456789012:mfa/nope"),
    ] {
        let target = TagTarget::MfaDevice(serial.into());
        assert_err!(
            store.list_tags(account, &target).await,
            StoreError::NotFound {
                kind: ResourceKind::MfaDevice,
                ..
            }
        );
        assert_err!(
            store
                .tag_resource(account, &target, &[Tag::new("a", "b")])
                .await,
            StoreError::NotFound {
                kind: ResourceKind::MfaDevice,
                ..
            }
        );
    }

    // Deleting the device deletes its tags: a new device of the same serial starts bare.
    store.delete_virtual_mfa_device(ACCT, serial).await.unwrap();
    let again = store
        .create_virtual_mfa_device(device(serial))
        .await
        .unwrap();
    assert!(again.tags.is_empty());
    assert!(store.list_tags(ACCT, &target).await.unwrap().is_empty());
}
