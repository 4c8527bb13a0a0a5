//! Accounts, users, tags, boundaries, settings, reopen.

use hourglass_store::*;

use super::Harness;
use super::fixtures::*;
use crate::assert_err;

pub async fn account_ensure_is_idempotent(h: &dyn Harness) {
    let store = h.open().await;
    let first = store.ensure_account(ACCT, at(10)).await.unwrap();
    assert_eq!(first.create_date, at(10));
    let again = store.ensure_account(ACCT, at(20)).await.unwrap();
    assert_eq!(again, first, "the first create date wins");
    assert_eq!(store.get_account(ACCT).await.unwrap(), first);
    assert_err!(
        store.ensure_account("12345", at(0)).await,
        StoreError::InvalidInput(_)
    );
    assert_err!(
        store.get_account(OTHER).await,
        StoreError::NotFound {
            kind: ResourceKind::Account,
            ..
        }
    );
    assert_err!(
        store.create_user(user(OTHER, "alice")).await,
        StoreError::NotFound {
            kind: ResourceKind::Account,
            ..
        }
    );
}

pub async fn create_get_case_insensitive(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let mut new = user_at(ACCT, "Alice", "/eng/");
    new.tags = vec![Tag::new("team", "core"), Tag::new("Cost", "42")];
    let created = store.create_user(new.clone()).await.unwrap();
    assert_eq!(created.name, "Alice");
    assert_eq!(created.user_id, new.user_id);
    assert_eq!(created.path, "/eng/");
    assert_eq!(created.arn, "arn:aws:iam::123456789012:user/eng/Alice");
    assert_eq!(created.create_date, at(1));
    assert_eq!(created.permissions_boundary, None);
    assert_eq!(
        created.tags,
        vec![Tag::new("Cost", "42"), Tag::new("team", "core")],
        "tags sorted by lowercase key"
    );

    let got = store.get_user(ACCT, "aLiCe").await.unwrap();
    assert_eq!(got, created);
    assert_eq!(
        store.get_user_by_id(ACCT, &new.user_id).await.unwrap(),
        created
    );

    let err = store.create_user(user(ACCT, "ALICE")).await.unwrap_err();
    assert_eq!(err.to_string(), "User with name ALICE already exists.");
    assert!(matches!(
        err,
        StoreError::AlreadyExists {
            kind: ResourceKind::User,
            ..
        }
    ));

    // Same name in another account is fine; accounts are isolated.
    store.create_user(user(OTHER, "alice")).await.unwrap();
    assert_err!(
        store.get_user_by_id(OTHER, &new.user_id).await,
        StoreError::NotFound {
            kind: ResourceKind::User,
            ..
        }
    );

    let err = store.get_user(ACCT, "bob").await.unwrap_err();
    assert_eq!(err.to_string(), "The user with name bob cannot be found.");

    let mut bad = user(ACCT, "carol");
    bad.permissions_boundary = Some(policy_arn(ACCT, "nope"));
    assert_err!(
        store.create_user(bad).await,
        StoreError::NotFound {
            kind: ResourceKind::Policy,
            ..
        }
    );
    assert_err!(
        store.get_user(ACCT, "carol").await,
        StoreError::NotFound { .. }
    );
}

pub async fn list_pagination_and_prefix(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let names = [
        "delta", "Alpha", "charlie", "Echo", "bravo", "golf", "Foxtrot",
    ];
    for (i, name) in names.iter().enumerate() {
        let path = if i.is_multiple_of(2) { "/a/" } else { "/b/" };
        store.create_user(user_at(ACCT, name, path)).await.unwrap();
    }
    store.create_user(user(OTHER, "zulu")).await.unwrap();

    let mut seen = Vec::new();
    let mut req = page(3);
    let mut pages = 0;
    loop {
        let got = store.list_users(ACCT, None, &req).await.unwrap();
        pages += 1;
        assert!(got.items.len() <= 3);
        seen.extend(got.items.iter().map(|u| u.name.clone()));
        match got.next_marker {
            Some(_) => req = next(&req, &got.next_marker),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        [
            "Alpha", "bravo", "charlie", "delta", "Echo", "Foxtrot", "golf"
        ],
        "ordered by lowercase name, each exactly once"
    );

    // Exactly one full page: not truncated.
    let all = store.list_users(ACCT, None, &page(7)).await.unwrap();
    assert_eq!(all.items.len(), 7);
    assert!(!all.is_truncated());
    let first = store.list_users(ACCT, None, &page(6)).await.unwrap();
    assert!(first.is_truncated());

    let a = store
        .list_users(ACCT, Some("/a/"), &page(100))
        .await
        .unwrap();
    let a_names: Vec<_> = a.items.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(a_names, ["bravo", "charlie", "delta", "Foxtrot"]);
    let none = store
        .list_users(ACCT, Some("/c"), &page(100))
        .await
        .unwrap();
    assert!(none.items.is_empty() && !none.is_truncated());
    let root = store.list_users(ACCT, Some("/"), &page(100)).await.unwrap();
    assert_eq!(root.items.len(), 7);

    // Markers stay valid when the item they name is deleted.
    let p1 = store.list_users(ACCT, None, &page(2)).await.unwrap();
    store.delete_user(ACCT, "bravo").await.unwrap();
    let p2 = store
        .list_users(ACCT, None, &next(&page(2), &p1.next_marker))
        .await
        .unwrap();
    assert_eq!(p2.items[0].name, "charlie");

    // MaxItems is clamped, garbage markers are rejected.
    assert_eq!(
        store
            .list_users(ACCT, None, &page(0))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let bad = PageRequest {
        marker: Some("not a marker!".into()),
        max_items: 10,
    };
    assert_err!(
        store.list_users(ACCT, None, &bad).await,
        StoreError::InvalidInput(_)
    );
}

pub async fn rename_keeps_id_and_everything_attached(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let alice = store.create_user(user(ACCT, "alice")).await.unwrap();
    store.create_user(user(ACCT, "carol")).await.unwrap();
    let key = key(ACCT, KeyOwner::User(alice.user_id.clone()));
    store.create_access_key(key.clone()).await.unwrap();
    store.create_group(group(ACCT, "devs")).await.unwrap();
    store
        .add_user_to_group(ACCT, "devs", "alice")
        .await
        .unwrap();
    store.create_policy(policy(ACCT, "p1")).await.unwrap();
    let alice_ref = EntityRef::User("alice".into());
    store
        .attach_policy(ACCT, &alice_ref, &policy_arn(ACCT, "p1"))
        .await
        .unwrap();
    store
        .put_inline_policy(ACCT, &alice_ref, "inline", &doc("i"), BIG)
        .await
        .unwrap();

    let err = store
        .update_user(
            ACCT,
            "alice",
            Rename {
                name: "Carol".into(),
                path: "/".into(),
                arn: "x".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::AlreadyExists {
            kind: ResourceKind::User,
            ..
        }
    ));

    let renamed = store
        .update_user(
            ACCT,
            "ALICE",
            Rename {
                name: "Bob".into(),
                path: "/new/".into(),
                arn: "arn:aws:iam::123456789012:user/new/Bob".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.user_id, alice.user_id);
    assert_eq!(renamed.name, "Bob");
    assert_eq!(renamed.path, "/new/");
    assert_eq!(renamed.arn, "arn:aws:iam::123456789012:user/new/Bob");
    assert_err!(
        store.get_user(ACCT, "alice").await,
        StoreError::NotFound { .. }
    );
    assert_eq!(store.get_user(ACCT, "bob").await.unwrap(), renamed);
    assert_eq!(
        store.get_user_by_id(ACCT, &alice.user_id).await.unwrap(),
        renamed
    );

    let owner = KeyOwner::User(alice.user_id.clone());
    assert_eq!(store.list_access_keys(ACCT, &owner).await.unwrap().len(), 1);
    let fetched = store.get_access_key(&key.access_key_id).await.unwrap();
    assert_eq!(fetched.metadata.owner, owner);
    let groups = store
        .list_groups_for_user(ACCT, "bob", &page(10))
        .await
        .unwrap();
    assert_eq!(groups.items.len(), 1);
    let members = store
        .list_group_members(ACCT, "devs", &page(10))
        .await
        .unwrap();
    assert_eq!(members.items[0].name, "Bob");
    let bob_ref = EntityRef::User("bob".into());
    let attached = store
        .list_attached_policies(ACCT, &bob_ref, None, &page(10))
        .await
        .unwrap();
    assert_eq!(attached.items.len(), 1);
    assert_eq!(
        store
            .get_inline_policy(ACCT, &bob_ref, "inline")
            .await
            .unwrap()
            .document,
        doc("i")
    );

    // A case-only rename of oneself is allowed.
    let upper = store
        .update_user(
            ACCT,
            "bob",
            Rename {
                name: "BOB".into(),
                path: "/new/".into(),
                arn: "arn:aws:iam::123456789012:user/new/BOB".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(upper.name, "BOB");
    assert_err!(
        store
            .update_user(
                ACCT,
                "nobody",
                Rename {
                    name: "x".into(),
                    path: "/".into(),
                    arn: "x".into()
                }
            )
            .await,
        StoreError::NotFound {
            kind: ResourceKind::User,
            ..
        }
    );
}

pub async fn delete_conflicts_in_order(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let u = store.create_user(user(ACCT, "alice")).await.unwrap();
    let owner = KeyOwner::User(u.user_id.clone());
    let k = key(ACCT, owner.clone());
    store.create_access_key(k.clone()).await.unwrap();
    let me = EntityRef::User("alice".into());
    store
        .put_inline_policy(ACCT, &me, "i", &doc("i"), BIG)
        .await
        .unwrap();
    store.create_policy(policy(ACCT, "p")).await.unwrap();
    store
        .attach_policy(ACCT, &me, &policy_arn(ACCT, "p"))
        .await
        .unwrap();
    store.create_group(group(ACCT, "g")).await.unwrap();
    store.add_user_to_group(ACCT, "g", "alice").await.unwrap();

    let expect = |conflict: DeleteConflict, message: &str| {
        assert_eq!(conflict.message(), message);
        conflict
    };
    let err = store.delete_user(ACCT, "Alice").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cannot delete entity, must delete access keys first."
    );
    assert!(
        matches!(err, StoreError::DeleteConflict(c) if c == expect(DeleteConflict::AccessKeys, "Cannot delete entity, must delete access keys first."))
    );
    store
        .delete_access_key(ACCT, &owner, &k.access_key_id)
        .await
        .unwrap();

    let err = store.delete_user(ACCT, "alice").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cannot delete entity, must delete policies first."
    );
    store.delete_inline_policy(ACCT, &me, "i").await.unwrap();

    let err = store.delete_user(ACCT, "alice").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cannot delete entity, must detach all policies first."
    );
    store
        .detach_policy(ACCT, &me, &policy_arn(ACCT, "p"))
        .await
        .unwrap();

    let err = store.delete_user(ACCT, "alice").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cannot delete entity, must remove users from group first."
    );
    assert_err!(
        Err::<(), _>(err),
        StoreError::DeleteConflict(DeleteConflict::UserInGroups)
    );
    // The failed deletes changed nothing.
    assert_eq!(
        store.get_user(ACCT, "alice").await.unwrap().user_id,
        u.user_id
    );
    store
        .remove_user_from_group(ACCT, "g", "alice")
        .await
        .unwrap();

    store.delete_user(ACCT, "alice").await.unwrap();
    assert_err!(
        store.get_user(ACCT, "alice").await,
        StoreError::NotFound { .. }
    );
    assert_err!(
        store.get_user_by_id(ACCT, &u.user_id).await,
        StoreError::NotFound { .. }
    );
    assert_err!(
        store.delete_user(ACCT, "alice").await,
        StoreError::NotFound { .. }
    );
    // Tags went with the user: a new user of the same name starts clean.
    let again = store.create_user(user(ACCT, "alice")).await.unwrap();
    assert!(again.tags.is_empty());
}

pub async fn tags_case_insensitive_and_quota(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    store.create_user(user(ACCT, "alice")).await.unwrap();
    let target = TagTarget::User("ALICE".into());
    store
        .tag_resource(ACCT, &target, &[Tag::new("department", "a")])
        .await
        .unwrap();
    store
        .tag_resource(
            ACCT,
            &target,
            &[Tag::new("Department", "b"), Tag::new("x", "1")],
        )
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(ACCT, &target).await.unwrap(),
        vec![Tag::new("Department", "b"), Tag::new("x", "1")]
    );
    store
        .untag_resource(ACCT, &target, &["DEPARTMENT".into(), "absent".into()])
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(ACCT, &target).await.unwrap(),
        vec![Tag::new("x", "1")]
    );

    let fifty: Vec<Tag> = (0..49).map(|i| Tag::new(format!("k{i:02}"), "v")).collect();
    store.tag_resource(ACCT, &target, &fifty).await.unwrap();
    assert_eq!(store.list_tags(ACCT, &target).await.unwrap().len(), 50);
    let err = store
        .tag_resource(ACCT, &target, &[Tag::new("one-more", "v")])
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Cannot exceed quota for TagsPerUser: 50");
    assert_eq!(
        store.list_tags(ACCT, &target).await.unwrap().len(),
        50,
        "a refused tag call changes nothing"
    );
    // Replacing an existing key at the limit is fine.
    store
        .tag_resource(ACCT, &target, &[Tag::new("X", "2")])
        .await
        .unwrap();
    assert_eq!(store.get_user(ACCT, "alice").await.unwrap().tags.len(), 50);

    assert_err!(
        store
            .list_tags(ACCT, &TagTarget::User("nobody".into()))
            .await,
        StoreError::NotFound {
            kind: ResourceKind::User,
            ..
        }
    );

    // Policy tag keys are case-sensitive.
    store.create_policy(policy(ACCT, "p")).await.unwrap();
    let p = TagTarget::Policy(policy_arn(ACCT, "p"));
    store
        .tag_resource(ACCT, &p, &[Tag::new("k", "1"), Tag::new("K", "2")])
        .await
        .unwrap();
    assert_eq!(store.list_tags(ACCT, &p).await.unwrap().len(), 2);
    store.untag_resource(ACCT, &p, &["k".into()]).await.unwrap();
    assert_eq!(
        store.list_tags(ACCT, &p).await.unwrap(),
        vec![Tag::new("K", "2")]
    );
    assert_eq!(
        store
            .get_policy(ACCT, &policy_arn(ACCT, "p"))
            .await
            .unwrap()
            .tags,
        vec![Tag::new("K", "2")]
    );
}

pub async fn permissions_boundary(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    store.create_policy(policy(ACCT, "boundary")).await.unwrap();
    store
        .upsert_aws_managed_policy(aws_policy("PowerUserAccess"))
        .await
        .unwrap();
    let arn = policy_arn(ACCT, "boundary");
    let mut new = user(ACCT, "alice");
    new.permissions_boundary = Some(arn.clone());
    let alice = store.create_user(new).await.unwrap();
    assert_eq!(alice.permissions_boundary.as_deref(), Some(arn.as_str()));
    store.create_role(role(ACCT, "r")).await.unwrap();
    store
        .set_role_permissions_boundary(ACCT, "R", Some(&arn))
        .await
        .unwrap();
    assert_eq!(
        store
            .get_role(ACCT, "r")
            .await
            .unwrap()
            .permissions_boundary
            .as_deref(),
        Some(arn.as_str())
    );
    let p = store.get_policy(ACCT, &arn).await.unwrap();
    assert_eq!(p.permissions_boundary_usage_count, 2);
    assert_eq!(p.attachment_count, 0);
    assert_err!(
        store.delete_policy(ACCT, &arn).await,
        StoreError::DeleteConflict(DeleteConflict::PolicyAttached)
    );

    store
        .set_user_permissions_boundary(ACCT, "alice", None)
        .await
        .unwrap();
    store
        .set_user_permissions_boundary(ACCT, "alice", None)
        .await
        .unwrap();
    assert_eq!(
        store
            .get_user(ACCT, "alice")
            .await
            .unwrap()
            .permissions_boundary,
        None
    );
    let aws = "arn:aws:iam::aws:policy/PowerUserAccess";
    store
        .set_user_permissions_boundary(ACCT, "alice", Some(aws))
        .await
        .unwrap();
    assert_eq!(
        store
            .get_policy(ACCT, aws)
            .await
            .unwrap()
            .permissions_boundary_usage_count,
        1
    );
    assert_eq!(
        store
            .get_policy(OTHER, aws)
            .await
            .unwrap()
            .permissions_boundary_usage_count,
        0,
        "usage counts are per account"
    );
    assert_err!(
        store
            .set_user_permissions_boundary(ACCT, "alice", Some(&policy_arn(ACCT, "nope")))
            .await,
        StoreError::NotFound {
            kind: ResourceKind::Policy,
            ..
        }
    );
    assert_err!(
        store
            .set_user_permissions_boundary(ACCT, "nobody", Some(&arn))
            .await,
        StoreError::NotFound {
            kind: ResourceKind::User,
            ..
        }
    );
    // Another account's policy cannot be used.
    store.create_policy(policy(OTHER, "theirs")).await.unwrap();
    assert_err!(
        store
            .set_user_permissions_boundary(ACCT, "alice", Some(&policy_arn(OTHER, "theirs")))
            .await,
        StoreError::NotFound {
            kind: ResourceKind::Policy,
            ..
        }
    );
    store
        .set_role_permissions_boundary(ACCT, "r", None)
        .await
        .unwrap();
    store.delete_policy(ACCT, &arn).await.unwrap();
}

pub async fn settings_and_summary(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    assert_eq!(store.get_setting("cluster.name").await.unwrap(), None);
    store.put_setting("cluster.name", "one").await.unwrap();
    store.put_setting("cluster.name", "two").await.unwrap();
    assert_eq!(
        store.get_setting("cluster.name").await.unwrap().as_deref(),
        Some("two")
    );

    let u = store.create_user(user(ACCT, "a")).await.unwrap();
    store.create_user(user(ACCT, "b")).await.unwrap();
    store.create_user(user(OTHER, "c")).await.unwrap();
    store.create_role(role(ACCT, "r")).await.unwrap();
    store.create_group(group(ACCT, "g")).await.unwrap();
    store.create_policy(policy(ACCT, "p")).await.unwrap();
    store
        .create_policy_version(ACCT, &policy_arn(ACCT, "p"), &doc("v2"), false, at(9))
        .await
        .unwrap();
    store
        .upsert_aws_managed_policy(aws_policy("ReadOnlyAccess"))
        .await
        .unwrap();
    store
        .create_access_key(key(ACCT, KeyOwner::Root))
        .await
        .unwrap();
    store
        .create_access_key(key(ACCT, KeyOwner::User(u.user_id)))
        .await
        .unwrap();
    assert_eq!(
        store.account_summary(ACCT).await.unwrap(),
        AccountSummary {
            users: 2,
            groups: 1,
            roles: 1,
            policies: 1,
            policy_versions_in_use: 2,
            root_access_keys: 1,
        }
    );
}

pub async fn reopen_keeps_data(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let u = store.create_user(user(ACCT, "alice")).await.unwrap();
    let k = key(ACCT, KeyOwner::User(u.user_id.clone()));
    store.create_access_key(k.clone()).await.unwrap();
    store.create_policy(policy(ACCT, "p")).await.unwrap();
    store
        .attach_policy(
            ACCT,
            &EntityRef::User("alice".into()),
            &policy_arn(ACCT, "p"),
        )
        .await
        .unwrap();
    drop(store);

    let reopened = h.open().await;
    assert_eq!(reopened.get_user(ACCT, "alice").await.unwrap(), u);
    let fetched = reopened.get_access_key(&k.access_key_id).await.unwrap();
    assert_eq!(fetched.secret, k.secret);
    let policies = reopened
        .principal_policies(ACCT, &PrincipalRef::User(u.user_id))
        .await
        .unwrap();
    assert_eq!(policies.managed.len(), 1);
    // Reopening twice more (migrations are idempotent) still works.
    drop(reopened);
    let again = h.open().await;
    assert_eq!(again.get_account(ACCT).await.unwrap().account_id, ACCT);
}
