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
