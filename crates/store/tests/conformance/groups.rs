//! Groups, memberships, account-level quotas.

use std::sync::Arc;

use hourglass_store::*;

use super::Harness;
use super::fixtures::*;
use crate::assert_err;

pub async fn lifecycle(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let new = group(ACCT, "Devs");
    let created = store.create_group(new.clone()).await.unwrap();
    assert_eq!(created, new);
    assert_eq!(store.get_group(ACCT, "devs").await.unwrap(), created);
    let err = store.create_group(group(ACCT, "DEVS")).await.unwrap_err();
    assert_eq!(err.to_string(), "Group with name DEVS already exists.");
    let err = store.get_group(ACCT, "ops").await.unwrap_err();
    assert_eq!(err.to_string(), "The group with name ops cannot be found.");

    for name in ["carol", "Alice", "bob"] {
        store.create_user(user(ACCT, name)).await.unwrap();
        store.add_user_to_group(ACCT, "devs", name).await.unwrap();
    }
    store
        .add_user_to_group(ACCT, "DEVS", "ALICE")
        .await
        .unwrap();
    let members = store
        .list_group_members(ACCT, "devs", &page(2))
        .await
        .unwrap();
    let names: Vec<_> = members.items.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["Alice", "bob"]);
    let rest = store
        .list_group_members(ACCT, "devs", &next(&page(2), &members.next_marker))
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].name, "carol");
    assert!(!rest.is_truncated());

    store.create_group(group(ACCT, "admins")).await.unwrap();
    store
        .add_user_to_group(ACCT, "admins", "alice")
        .await
        .unwrap();
    let of_alice = store
        .list_groups_for_user(ACCT, "alice", &page(10))
        .await
        .unwrap();
    let names: Vec<_> = of_alice.items.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["admins", "Devs"]);
    assert_err!(
        store.list_groups_for_user(ACCT, "nobody", &page(10)).await,
        StoreError::NotFound {
            kind: ResourceKind::User,
            ..
        }
    );
    assert_err!(
        store.add_user_to_group(ACCT, "devs", "nobody").await,
        StoreError::NotFound {
            kind: ResourceKind::User,
            ..
        }
    );
    assert_err!(
        store.add_user_to_group(ACCT, "nope", "alice").await,
        StoreError::NotFound {
            kind: ResourceKind::Group,
            ..
        }
    );

    store
        .remove_user_from_group(ACCT, "devs", "bob")
        .await
        .unwrap();
    assert_err!(
        store.remove_user_from_group(ACCT, "devs", "bob").await,
        StoreError::NotFound {
            kind: ResourceKind::GroupMember,
            ..
        }
    );
    assert_eq!(
        store
            .list_group_members(ACCT, "devs", &page(10))
            .await
            .unwrap()
            .items
            .len(),
        2
    );

    let listed = store.list_groups(ACCT, None, &page(10)).await.unwrap();
    assert_eq!(listed.items.len(), 2);
    let renamed = store
        .update_group(
            ACCT,
            "devs",
            Rename {
                name: "Engineers".into(),
                path: "/eng/".into(),
                arn: "arn:aws:iam::123456789012:group/eng/Engineers".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.group_id, new.group_id);
    assert_eq!(renamed.path, "/eng/");
    assert_eq!(
        store
            .list_group_members(ACCT, "engineers", &page(10))
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    assert_err!(
        store
            .update_group(
                ACCT,
                "engineers",
                Rename {
                    name: "ADMINS".into(),
                    path: "/".into(),
                    arn: "x".into()
                }
            )
            .await,
        StoreError::AlreadyExists {
            kind: ResourceKind::Group,
            ..
        }
    );
    let eng = store
        .list_groups(ACCT, Some("/eng/"), &page(10))
        .await
        .unwrap();
    assert_eq!(eng.items, vec![renamed]);
}

pub async fn delete_conflicts(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    store.create_group(group(ACCT, "g")).await.unwrap();
    store.create_user(user(ACCT, "u")).await.unwrap();
    store.add_user_to_group(ACCT, "g", "u").await.unwrap();
    let g = EntityRef::Group("g".into());
    store
        .put_inline_policy(ACCT, &g, "i", &doc("i"), BIG)
        .await
        .unwrap();
    store.create_policy(policy(ACCT, "p")).await.unwrap();
    store
        .attach_policy(ACCT, &g, &policy_arn(ACCT, "p"))
        .await
        .unwrap();

    let err = store.delete_group(ACCT, "g").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cannot delete entity, must remove users from group first."
    );
    assert_err!(
        Err::<(), _>(err),
        StoreError::DeleteConflict(DeleteConflict::GroupHasMembers)
    );
    store.remove_user_from_group(ACCT, "g", "u").await.unwrap();
    assert_err!(
        store.delete_group(ACCT, "g").await,
        StoreError::DeleteConflict(DeleteConflict::InlinePolicies)
    );
    store.delete_inline_policy(ACCT, &g, "i").await.unwrap();
    assert_err!(
        store.delete_group(ACCT, "g").await,
        StoreError::DeleteConflict(DeleteConflict::AttachedPolicies)
    );
    store
        .detach_policy(ACCT, &g, &policy_arn(ACCT, "p"))
        .await
        .unwrap();
    store.delete_group(ACCT, "G").await.unwrap();
    assert_err!(
        store.get_group(ACCT, "g").await,
        StoreError::NotFound { .. }
    );
    assert_err!(
        store.delete_group(ACCT, "g").await,
        StoreError::NotFound { .. }
    );
}

pub async fn groups_per_user_limit(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    store.create_user(user(ACCT, "u")).await.unwrap();
    for i in 0..11 {
        store
            .create_group(group(ACCT, &format!("g{i}")))
            .await
            .unwrap();
    }
    for i in 0..10 {
        store
            .add_user_to_group(ACCT, &format!("g{i}"), "u")
            .await
            .unwrap();
    }
    store.add_user_to_group(ACCT, "g0", "u").await.unwrap();
    let err = store.add_user_to_group(ACCT, "g10", "u").await.unwrap_err();
    assert_eq!(err.to_string(), "Cannot exceed quota for GroupsPerUser: 10");
    assert_eq!(
        store
            .list_groups_for_user(ACCT, "u", &page(100))
            .await
            .unwrap()
            .items
            .len(),
        10
    );
}

pub async fn account_quotas(h: &dyn Harness) {
    let quotas = Quotas {
        users_per_account: 2,
        roles_per_account: 1,
        groups_per_account: 1,
        policies_per_account: 1,
        access_keys_per_user: 1,
        versions_per_policy: 2,
        policies_per_user: 1,
        groups_per_user: 1,
        tags_per_resource: 2,
        ..Quotas::default()
    };
    let store = h.open_with(h.keyring(), quotas).await;
    store.ensure_account(ACCT, at(0)).await.unwrap();
    store.ensure_account(OTHER, at(0)).await.unwrap();
    let limit = |r: Result<()>, quota: Quota, limit: u32| match r {
        Err(StoreError::LimitExceeded { quota: q, limit: l }) => {
            assert_eq!((q, l), (quota, limit));
        }
        other => panic!("expected {quota:?}, got {other:?}"),
    };
    let u = store.create_user(user(ACCT, "a")).await.unwrap();
    store.create_user(user(ACCT, "b")).await.unwrap();
    limit(
        store.create_user(user(ACCT, "c")).await.map(|_| ()),
        Quota::UsersPerAccount,
        2,
    );
    store.create_user(user(OTHER, "c")).await.unwrap();
    store.create_role(role(ACCT, "r")).await.unwrap();
    limit(
        store.create_role(role(ACCT, "r2")).await.map(|_| ()),
        Quota::RolesPerAccount,
        1,
    );
    store.create_group(group(ACCT, "g")).await.unwrap();
    limit(
        store.create_group(group(ACCT, "g2")).await.map(|_| ()),
        Quota::GroupsPerAccount,
        1,
    );
    let arn = store.create_policy(policy(ACCT, "p")).await.unwrap().arn;
    limit(
        store.create_policy(policy(ACCT, "p2")).await.map(|_| ()),
        Quota::PoliciesPerAccount,
        1,
    );
    store
        .create_access_key(key(ACCT, KeyOwner::User(u.user_id.clone())))
        .await
        .unwrap();
    limit(
        store
            .create_access_key(key(ACCT, KeyOwner::User(u.user_id)))
            .await
            .map(|_| ()),
        Quota::AccessKeysPerUser,
        1,
    );
    store
        .create_policy_version(ACCT, &arn, &doc("v2"), false, at(1))
        .await
        .unwrap();
    limit(
        store
            .create_policy_version(ACCT, &arn, &doc("v3"), false, at(1))
            .await
            .map(|_| ()),
        Quota::VersionsPerPolicy,
        2,
    );
    store
        .upsert_aws_managed_policy(aws_policy("ReadOnlyAccess"))
        .await
        .unwrap();
    let a = EntityRef::User("a".into());
    store.attach_policy(ACCT, &a, &arn).await.unwrap();
    limit(
        store
            .attach_policy(ACCT, &a, "arn:aws:iam::aws:policy/ReadOnlyAccess")
            .await,
        Quota::PoliciesPerUser,
        1,
    );
    store.add_user_to_group(ACCT, "g", "a").await.unwrap();
    store.create_group(group(OTHER, "g")).await.unwrap();
    limit(
        store
            .tag_resource(
                ACCT,
                &TagTarget::User("b".into()),
                &[Tag::new("1", ""), Tag::new("2", ""), Tag::new("3", "")],
            )
            .await,
        Quota::TagsPerUser,
        2,
    );
    let mut tagged = user(OTHER, "tagged");
    tagged.tags = vec![Tag::new("1", ""), Tag::new("2", ""), Tag::new("3", "")];
    limit(
        store.create_user(tagged).await.map(|_| ()),
        Quota::TagsPerUser,
        2,
    );
    assert_err!(
        store.get_user(OTHER, "tagged").await,
        StoreError::NotFound { .. }
    );
    let _: Arc<Store> = store;
}
