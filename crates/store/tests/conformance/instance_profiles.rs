//! Instance profiles.

use hourglass_store::*;

use super::Harness;
use super::fixtures::*;
use crate::assert_err;

fn profile(account: &str, name: &str) -> NewInstanceProfile {
    NewInstanceProfile {
        account_id: account.into(),
        profile_id: id("AIPA"),
        name: name.into(),
        path: "/".into(),
        arn: format!("arn:aws:iam::{account}:instance-profile/{name}"),
        create_date: at(0),
        tags: vec![Tag::new("env", "prod")],
    }
}

pub async fn lifecycle_and_one_role(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let created = store
        .create_instance_profile(profile(ACCT, "Web"))
        .await
        .unwrap();
    assert_eq!(created.roles, vec![]);
    assert_eq!(created.tags, vec![Tag::new("env", "prod")]);
    assert_eq!(
        store.get_instance_profile(ACCT, "web").await.unwrap(),
        created
    );
    let err = store
        .create_instance_profile(profile(ACCT, "WEB"))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Instance Profile WEB already exists.");
    assert_err!(
        store.get_instance_profile(OTHER, "Web").await,
        StoreError::NotFound {
            kind: ResourceKind::InstanceProfile,
            ..
        }
    );

    store.create_role(role(ACCT, "a")).await.unwrap();
    store.create_role(role(ACCT, "b")).await.unwrap();
    store
        .add_role_to_instance_profile(ACCT, "Web", "A")
        .await
        .unwrap();
    let err = store
        .add_role_to_instance_profile(ACCT, "Web", "b")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
    );
    let got = store.get_instance_profile(ACCT, "Web").await.unwrap();
    assert_eq!(
        got.roles
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["a"]
    );
    let for_role = store
        .list_instance_profiles(ACCT, None, Some("a"), &page(10))
        .await
        .unwrap();
    assert_eq!(for_role.items.len(), 1);
    assert!(
        store
            .list_instance_profiles(ACCT, None, Some("b"), &page(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );

    assert_err!(
        store.delete_role(ACCT, "a").await,
        StoreError::DeleteConflict(DeleteConflict::InstanceProfileRoles)
    );
    assert_err!(
        store.delete_instance_profile(ACCT, "Web").await,
        StoreError::DeleteConflict(DeleteConflict::InstanceProfileRoles)
    );
    assert_err!(
        store
            .remove_role_from_instance_profile(ACCT, "Web", "b")
            .await,
        StoreError::NotFound {
            kind: ResourceKind::ProfileRole,
            ..
        }
    );
    store
        .remove_role_from_instance_profile(ACCT, "Web", "a")
        .await
        .unwrap();
    store.delete_role(ACCT, "a").await.unwrap();
    assert_eq!(store.count_instance_profiles(ACCT).await.unwrap(), 1);
    store.delete_instance_profile(ACCT, "web").await.unwrap();
    assert_eq!(store.count_instance_profiles(ACCT).await.unwrap(), 0);
    // Its tags went with it: a new profile of the same name starts clean.
    let mut again = profile(ACCT, "Web");
    again.tags = vec![];
    assert_eq!(
        store.create_instance_profile(again).await.unwrap().tags,
        vec![]
    );
}

pub async fn list_pages_and_tags(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    for name in ["c", "A", "b", "d"] {
        let mut p = profile(ACCT, name);
        if name != "d" {
            p.path = "/x/".into();
        }
        store.create_instance_profile(p).await.unwrap();
    }
    let first = store
        .list_instance_profiles(ACCT, Some("/x/"), None, &page(2))
        .await
        .unwrap();
    assert_eq!(
        first
            .items
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["A", "b"]
    );
    let second = store
        .list_instance_profiles(ACCT, Some("/x/"), None, &next(&page(2), &first.next_marker))
        .await
        .unwrap();
    assert_eq!(
        second
            .items
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["c"]
    );
    assert!(!second.is_truncated());

    let target = TagTarget::InstanceProfile("A".into());
    store
        .tag_resource(ACCT, &target, &[Tag::new("ENV", "dev")])
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(ACCT, &target).await.unwrap(),
        vec![Tag::new("ENV", "dev")]
    );
    store
        .untag_resource(ACCT, &target, &["env".into()])
        .await
        .unwrap();
    assert!(store.list_tags(ACCT, &target).await.unwrap().is_empty());
}
