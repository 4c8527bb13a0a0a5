//! Managed policy attachments and inline policies.

use hourglass_store::*;

use super::Harness;
use super::fixtures::*;
use crate::assert_err;

pub async fn attach_detach_and_limits(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    store.create_user(user(ACCT, "u")).await.unwrap();
    store.create_role(role(ACCT, "r")).await.unwrap();
    store.create_group(group(ACCT, "g")).await.unwrap();
    for i in 0..11_usize {
        store
            .create_policy(policy_at(
                ACCT,
                &format!("p{i:02}"),
                if i.is_multiple_of(2) { "/even/" } else { "/" },
            ))
            .await
            .unwrap();
    }
    let arn = |i: usize| {
        let path = if i.is_multiple_of(2) { "/even/" } else { "/" };
        format!("arn:aws:iam::123456789012:policy{path}p{i:02}")
    };
    for (entity, quota) in [
        (EntityRef::User("U".into()), "PoliciesPerUser"),
        (EntityRef::Role("R".into()), "PoliciesPerRole"),
        (EntityRef::Group("G".into()), "PoliciesPerGroup"),
    ] {
        for i in 0..10 {
            store.attach_policy(ACCT, &entity, &arn(i)).await.unwrap();
        }
        // Attaching again is a no-op, not a quota hit.
        store.attach_policy(ACCT, &entity, &arn(0)).await.unwrap();
        let err = store
            .attach_policy(ACCT, &entity, &arn(10))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("Cannot exceed quota for {quota}: 10")
        );

        let all = store
            .list_attached_policies(ACCT, &entity, None, &page(100))
            .await
            .unwrap();
        let names: Vec<_> = all.items.iter().map(|p| p.policy_name.clone()).collect();
        assert_eq!(
            names,
            (0..10).map(|i| format!("p{i:02}")).collect::<Vec<_>>()
        );
        assert_eq!(all.items[3].policy_arn, arn(3));
        let even = store
            .list_attached_policies(ACCT, &entity, Some("/even/"), &page(100))
            .await
            .unwrap();
        assert_eq!(even.items.len(), 5);
        let p1 = store
            .list_attached_policies(ACCT, &entity, None, &page(4))
            .await
            .unwrap();
        let p2 = store
            .list_attached_policies(ACCT, &entity, None, &next(&page(4), &p1.next_marker))
            .await
            .unwrap();
        assert_eq!(p2.items[0].policy_name, "p04");

        let err = store
            .detach_policy(ACCT, &entity, &arn(10))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("Policy {} was not found.", arn(10))
        );
        assert_err!(
            Err::<(), _>(err),
            StoreError::NotFound {
                kind: ResourceKind::AttachedPolicy,
                ..
            }
        );
        store.detach_policy(ACCT, &entity, &arn(0)).await.unwrap();
        store.attach_policy(ACCT, &entity, &arn(10)).await.unwrap();
    }
    assert_eq!(
        store
            .get_policy(ACCT, &arn(5))
            .await
            .unwrap()
            .attachment_count,
        3
    );
    assert_eq!(
        store
            .get_policy(ACCT, &arn(0))
            .await
            .unwrap()
            .attachment_count,
        0
    );

    let missing = policy_arn(ACCT, "missing");
    let err = store
        .attach_policy(ACCT, &EntityRef::User("u".into()), &missing)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("Policy {missing} does not exist or is not attachable.")
    );
    store.create_policy(policy(OTHER, "foreign")).await.unwrap();
    assert_err!(
        store
            .attach_policy(
                ACCT,
                &EntityRef::Role("r".into()),
                &policy_arn(OTHER, "foreign")
            )
            .await,
        StoreError::NotFound {
            kind: ResourceKind::Policy,
            ..
        }
    );
    for (entity, kind) in [
        (EntityRef::User("nobody".into()), ResourceKind::User),
        (EntityRef::Role("nobody".into()), ResourceKind::Role),
        (EntityRef::Group("nobody".into()), ResourceKind::Group),
    ] {
        match store.attach_policy(ACCT, &entity, &arn(1)).await {
            Err(StoreError::NotFound { kind: k, .. }) => assert_eq!(k, kind),
            other => panic!("expected NotFound, got {other:?}"),
        }
        assert_err!(
            store
                .list_attached_policies(ACCT, &entity, None, &page(1))
                .await,
            StoreError::NotFound { .. }
        );
    }
}

pub async fn entities_for_policy(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let arn = store.create_policy(policy(ACCT, "p")).await.unwrap().arn;
    let mut ids = std::collections::HashMap::new();
    for name in ["bob", "Alice"] {
        let u = store
            .create_user(user_at(ACCT, name, "/people/"))
            .await
            .unwrap();
        ids.insert(name, u.user_id);
        store
            .attach_policy(ACCT, &EntityRef::User(name.into()), &arn)
            .await
            .unwrap();
    }
    let r = store.create_role(role(ACCT, "svc")).await.unwrap();
    store
        .attach_policy(ACCT, &EntityRef::Role("svc".into()), &arn)
        .await
        .unwrap();
    let g = store.create_group(group(ACCT, "admins")).await.unwrap();
    store
        .attach_policy(ACCT, &EntityRef::Group("admins".into()), &arn)
        .await
        .unwrap();

    let all = store
        .list_entities_for_policy(ACCT, &arn, &EntityFilter::default(), &page(100))
        .await
        .unwrap();
    assert_eq!(
        all.items,
        vec![
            PolicyEntity {
                kind: EntityKind::Group,
                name: "admins".into(),
                id: g.group_id.clone()
            },
            PolicyEntity {
                kind: EntityKind::Role,
                name: "svc".into(),
                id: r.role_id.clone()
            },
            PolicyEntity {
                kind: EntityKind::User,
                name: "Alice".into(),
                id: ids["Alice"].clone()
            },
            PolicyEntity {
                kind: EntityKind::User,
                name: "bob".into(),
                id: ids["bob"].clone()
            },
        ]
    );
    // Paging one at a time walks the same sequence across kinds.
    let mut req = page(1);
    let mut walked = Vec::new();
    loop {
        let got = store
            .list_entities_for_policy(ACCT, &arn, &EntityFilter::default(), &req)
            .await
            .unwrap();
        walked.extend(got.items.clone());
        if !got.is_truncated() {
            break;
        }
        req = next(&req, &got.next_marker);
    }
    assert_eq!(walked, all.items);

    let users = store
        .list_entities_for_policy(
            ACCT,
            &arn,
            &EntityFilter {
                kind: Some(EntityKind::User),
                ..Default::default()
            },
            &page(100),
        )
        .await
        .unwrap();
    assert_eq!(users.items.len(), 2);
    let people = store
        .list_entities_for_policy(
            ACCT,
            &arn,
            &EntityFilter {
                path_prefix: Some("/people/".into()),
                ..Default::default()
            },
            &page(100),
        )
        .await
        .unwrap();
    assert_eq!(people.items.len(), 2);

    store
        .set_role_permissions_boundary(ACCT, "svc", Some(&arn))
        .await
        .unwrap();
    let boundaries = store
        .list_entities_for_policy(
            ACCT,
            &arn,
            &EntityFilter {
                usage: Some(PolicyUsage::PermissionsBoundary),
                ..Default::default()
            },
            &page(100),
        )
        .await
        .unwrap();
    assert_eq!(
        boundaries.items,
        vec![PolicyEntity {
            kind: EntityKind::Role,
            name: "svc".into(),
            id: r.role_id
        }]
    );
    assert_err!(
        store
            .list_entities_for_policy(
                ACCT,
                &policy_arn(ACCT, "nope"),
                &EntityFilter::default(),
                &page(1)
            )
            .await,
        StoreError::NotFound {
            kind: ResourceKind::Policy,
            ..
        }
    );
}

pub async fn inline_policies_and_size(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    store.create_user(user(ACCT, "Alice")).await.unwrap();
    store.create_role(role(ACCT, "r")).await.unwrap();
    store.create_group(group(ACCT, "g")).await.unwrap();
    let me = EntityRef::User("alice".into());
    let check = |size| SizeCheck { size, limit: 100 };

    store
        .put_inline_policy(ACCT, &me, "a", &doc("a1"), check(60))
        .await
        .unwrap();
    let err = store
        .put_inline_policy(ACCT, &me, "b", &doc("b"), check(50))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Maximum policy size of 100 bytes exceeded for user Alice."
    );
    assert!(matches!(
        err,
        StoreError::PolicySizeExceeded {
            kind: EntityKind::User,
            limit: 100,
            ..
        }
    ));
    assert_err!(
        store.get_inline_policy(ACCT, &me, "b").await,
        StoreError::NotFound { .. }
    );
    // Replacing "a" does not count its old size.
    store
        .put_inline_policy(ACCT, &me, "a", &doc("a2"), check(100))
        .await
        .unwrap();
    store
        .put_inline_policy(ACCT, &me, "a", &doc("a3"), check(40))
        .await
        .unwrap();
    store
        .put_inline_policy(ACCT, &me, "b", &doc("b"), check(60))
        .await
        .unwrap();
    assert_eq!(
        store.get_inline_policy(ACCT, &me, "a").await.unwrap(),
        InlinePolicy {
            name: "a".into(),
            document: doc("a3")
        }
    );
    let names = store
        .list_inline_policies(ACCT, &me, &page(100))
        .await
        .unwrap();
    assert_eq!(names.items, ["a", "b"]);
    let first = store
        .list_inline_policies(ACCT, &me, &page(1))
        .await
        .unwrap();
    assert_eq!(first.items, ["a"]);
    let second = store
        .list_inline_policies(ACCT, &me, &next(&page(1), &first.next_marker))
        .await
        .unwrap();
    assert_eq!(second.items, ["b"]);
    assert!(!second.is_truncated());

    let err = store.get_inline_policy(ACCT, &me, "A").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "The user policy with name A cannot be found."
    );
    store.delete_inline_policy(ACCT, &me, "a").await.unwrap();
    assert_err!(
        store.delete_inline_policy(ACCT, &me, "a").await,
        StoreError::NotFound {
            kind: ResourceKind::InlinePolicy(EntityKind::User),
            ..
        }
    );

    for (entity, word) in [
        (EntityRef::Role("R".into()), "role"),
        (EntityRef::Group("G".into()), "group"),
    ] {
        store
            .put_inline_policy(ACCT, &entity, "x", &doc("x"), check(90))
            .await
            .unwrap();
        let err = store
            .put_inline_policy(ACCT, &entity, "y", &doc("y"), check(11))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "Maximum policy size of 100 bytes exceeded for {word} {}.",
                entity.name().to_lowercase()
            )
        );
        let err = store
            .get_inline_policy(ACCT, &entity, "y")
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("The {word} policy with name y cannot be found.")
        );
        assert_eq!(
            store
                .list_inline_policies(ACCT, &entity, &page(10))
                .await
                .unwrap()
                .items,
            ["x"]
        );
    }
    assert_err!(
        store
            .put_inline_policy(ACCT, &EntityRef::Role("nobody".into()), "x", &doc("x"), BIG)
            .await,
        StoreError::NotFound {
            kind: ResourceKind::Role,
            ..
        }
    );
}
