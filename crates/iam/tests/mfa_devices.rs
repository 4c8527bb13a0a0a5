//! Virtual MFA device tags (Create with Tags, Tag/Untag/ListMFADeviceTags) and GetMFADevice
//! through [`Identity`] on a real store: AWS's errors, and refused calls change nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{ACCOUNT, identity, pairs, root, user};
use hourglass_iam::{IamError, Taggable};
use hourglass_store::Tag;

fn serial(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:mfa/{name}")
}

fn no_such_device(result: Result<impl std::fmt::Debug, IamError>, serial: &str) {
    match result {
        Err(IamError::NoSuchEntity(m)) => assert_eq!(
            m,
            format!("VirtualMFADevice with serial number {serial} doesn't exist.")
        ),
        other => panic!("expected NoSuchEntity, got {other:?}"),
    }
}

#[tokio::test]
async fn tags_from_creation_to_removal() {
    let dir = tempfile::tempdir().unwrap();
    let identity = identity(&dir).await;
    let root = root();
    let created = identity
        .create_virtual_mfa_device(&root, "dev", None, &pairs(&[("team", "a")]))
        .await
        .unwrap();
    let s = created.device.serial.clone();
    assert_eq!(s, serial("dev"));
    assert_eq!(created.device.tags, vec![Tag::new("team", "a")]);

    identity
        .tag_resource(&root, Taggable::MfaDevice, &s, &pairs(&[("Team", "b")]))
        .await
        .unwrap();
    let tags = identity
        .list_resource_tags(&root, Taggable::MfaDevice, &s)
        .await
        .unwrap();
    assert_eq!(tags, vec![Tag::new("Team", "b")]);

    // 50 new keys on top of the one there: the quota, and nothing changes.
    let many: Vec<(String, String)> = (0..50).map(|i| (format!("k{i}"), "v".into())).collect();
    match identity
        .tag_resource(&root, Taggable::MfaDevice, &s, &many)
        .await
    {
        Err(IamError::LimitExceeded(m)) => {
            assert_eq!(m, "Cannot exceed quota for TagsPerMFADevice: 50")
        }
        other => panic!("{other:?}"),
    }
    // More than 50 in one request is refused before the store.
    let too_many: Vec<(String, String)> = (0..51).map(|i| (format!("k{i}"), "v".into())).collect();
    assert!(matches!(
        identity
            .tag_resource(&root, Taggable::MfaDevice, &s, &too_many)
            .await,
        Err(IamError::LimitExceeded(_))
    ));
    assert!(matches!(
        identity
            .tag_resource(&root, Taggable::MfaDevice, &s, &pairs(&[("aws:x", "1")]))
            .await,
        Err(IamError::InvalidInput(_))
    ));
    assert!(matches!(
        identity
            .tag_resource(&root, Taggable::MfaDevice, "short", &pairs(&[("a", "1")]))
            .await,
        Err(IamError::Validation(_))
    ));
    assert_eq!(
        identity
            .list_resource_tags(&root, Taggable::MfaDevice, &s)
            .await
            .unwrap()
            .len(),
        1
    );

    identity
        .untag_resource(
            &root,
            Taggable::MfaDevice,
            &s,
            &["TEAM".into(), "absent".into()],
        )
        .await
        .unwrap();
    assert!(
        identity
            .list_resource_tags(&root, Taggable::MfaDevice, &s)
            .await
            .unwrap()
            .is_empty()
    );

    let gone = serial("gone");
    no_such_device(
        identity
            .tag_resource(&root, Taggable::MfaDevice, &gone, &pairs(&[("a", "1")]))
            .await,
        &gone,
    );
    no_such_device(
        identity
            .untag_resource(&root, Taggable::MfaDevice, &gone, &["a".into()])
            .await,
        &gone,
    );
    no_such_device(
        identity
            .list_resource_tags(&root, Taggable::MfaDevice, &gone)
            .await,
        &gone,
    );
}

#[tokio::test]
async fn create_with_bad_tags_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let identity = identity(&dir).await;
    let root = root();
    let dup = pairs(&[("env", "a"), ("ENV", "b")]);
    assert!(matches!(
        identity
            .create_virtual_mfa_device(&root, "dup", None, &dup)
            .await,
        Err(IamError::InvalidInput(_))
    ));
    no_such_device(
        identity
            .list_resource_tags(&root, Taggable::MfaDevice, &serial("dup"))
            .await,
        &serial("dup"),
    );
}

#[tokio::test]
async fn tagging_is_authorized_on_the_device_arn_with_the_request_tags() {
    let dir = tempfile::tempdir().unwrap();
    let identity = identity(&dir).await;
    let root = root();
    for name in ["mine", "theirs"] {
        identity
            .create_virtual_mfa_device(&root, name, None, &[])
            .await
            .unwrap();
    }
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Effect":"Allow","Action":["iam:TagMFADevice","iam:UntagMFADevice"],
              "Resource":"arn:aws:iam::{ACCOUNT}:mfa/mine",
              "Condition":{{"ForAllValues:StringEquals":{{"aws:TagKeys":["team"]}}}}}},
            {{"Effect":"Allow","Action":"iam:ListMFADeviceTags",
              "Resource":"arn:aws:iam::{ACCOUNT}:mfa/mine"}},
            {{"Effect":"Allow","Action":"iam:CreateVirtualMFADevice","Resource":"*"}}]}}"#
    );
    let alice = user(&identity, "alice", &policy).await;
    let team = pairs(&[("team", "x")]);
    identity
        .tag_resource(&alice, Taggable::MfaDevice, &serial("mine"), &team)
        .await
        .unwrap();
    let denied = |r: Result<(), IamError>| {
        assert!(matches!(r, Err(IamError::AccessDenied { .. })), "{r:?}");
    };
    denied(
        identity
            .tag_resource(&alice, Taggable::MfaDevice, &serial("theirs"), &team)
            .await,
    );
    denied(
        identity
            .tag_resource(
                &alice,
                Taggable::MfaDevice,
                &serial("mine"),
                &pairs(&[("cost", "1")]),
            )
            .await,
    );
    denied(
        identity
            .untag_resource(
                &alice,
                Taggable::MfaDevice,
                &serial("mine"),
                &["cost".into()],
            )
            .await,
    );
    identity
        .untag_resource(
            &alice,
            Taggable::MfaDevice,
            &serial("mine"),
            &["team".into()],
        )
        .await
        .unwrap();
    assert!(matches!(
        identity
            .list_resource_tags(&alice, Taggable::MfaDevice, &serial("theirs"))
            .await,
        Err(IamError::AccessDenied { .. })
    ));
    // Creating with tags also needs TagMFADevice on the new device.
    assert!(matches!(
        identity
            .create_virtual_mfa_device(&alice, "new", None, &team)
            .await,
        Err(IamError::AccessDenied { .. })
    ));
    identity
        .create_virtual_mfa_device(&alice, "new", None, &[])
        .await
        .unwrap();
}

#[tokio::test]
async fn get_mfa_device_answers_for_the_user_it_is_enabled_for() {
    let dir = tempfile::tempdir().unwrap();
    let identity = identity(&dir).await;
    let root = root();
    let own = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"iam:GetMFADevice",
            "Resource":"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"}}}}"#
    );
    let alice = user(&identity, "alice", &own).await;
    let bob = user(&identity, "bob", &own).await;
    let s = identity
        .create_virtual_mfa_device(&root, "alice-dev", None, &[])
        .await
        .unwrap()
        .device
        .serial;
    // Not enabled for anyone yet.
    no_such_device(identity.get_mfa_device(&root, &s, Some("alice")).await, &s);
    let at = chrono::Utc::now();
    identity
        .store()
        .enable_mfa_device(ACCOUNT, "alice", &s, at, 1)
        .await
        .unwrap();

    let got = identity
        .get_mfa_device(&root, &s, Some("alice"))
        .await
        .unwrap();
    assert_eq!(got.user.map(|u| u.name).as_deref(), Some("alice"));
    assert!(got.enable_date.is_some());
    // The caller's own device when no user is named.
    let mine = identity.get_mfa_device(&alice, &s, None).await.unwrap();
    assert_eq!(mine.serial, s);
    // Someone else's device looks like a missing one.
    no_such_device(identity.get_mfa_device(&bob, &s, None).await, &s);
    no_such_device(identity.get_mfa_device(&root, &s, Some("bob")).await, &s);
    // Root has no devices here; an unknown user is the user's NoSuchEntity.
    no_such_device(identity.get_mfa_device(&root, &s, None).await, &s);
    match identity.get_mfa_device(&root, &s, Some("nobody")).await {
        Err(IamError::NoSuchEntity(m)) => {
            assert_eq!(m, "The user with name nobody cannot be found.")
        }
        other => panic!("{other:?}"),
    }
    // Another user's devices need permission on that user.
    assert!(matches!(
        identity.get_mfa_device(&bob, &s, Some("alice")).await,
        Err(IamError::AccessDenied { .. })
    ));
    assert!(matches!(
        identity.get_mfa_device(&root, "short", None).await,
        Err(IamError::Validation(_))
    ));
    assert!(matches!(
        identity
            .get_mfa_device(&root, &s, Some(&"u".repeat(65)))
            .await,
        Err(IamError::Validation(_))
    ));
}
