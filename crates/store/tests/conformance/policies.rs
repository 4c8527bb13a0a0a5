//! Managed policies, versions, AWS-managed policies.

use hourglass_store::*;

use super::Harness;
use super::fixtures::*;
use crate::assert_err;

pub async fn create_get_and_duplicates(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let mut new = policy_at(ACCT, "ReadBuckets", "/team/");
    new.tags = vec![Tag::new("owner", "me")];
    let created = store.create_policy(new.clone()).await.unwrap();
    assert_eq!(created.policy_id, new.policy_id);
    assert_eq!(created.account_id, ACCT);
    assert_eq!(
        created.arn,
        "arn:aws:iam::123456789012:policy/team/ReadBuckets"
    );
    assert_eq!(created.path, "/team/");
    assert_eq!(created.default_version_id, "v1");
    assert_eq!(created.attachment_count, 0);
    assert_eq!(created.permissions_boundary_usage_count, 0);
    assert!(created.is_attachable);
    assert!(!created.is_aws_managed());
    assert_eq!(created.create_date, at(4));
    assert_eq!(created.update_date, at(4));
    assert_eq!(
        created.description.as_deref(),
        Some("ReadBuckets description")
    );
    assert_eq!(created.tags, vec![Tag::new("owner", "me")]);
    assert_eq!(store.get_policy(ACCT, &created.arn).await.unwrap(), created);
    let v1 = store
        .get_policy_version(ACCT, &created.arn, "v1")
        .await
        .unwrap();
    assert_eq!(v1.document, new.document);
    assert!(v1.is_default);

    // Names are unique per account whatever the path.
    let err = store
        .create_policy(policy_at(ACCT, "ReadBuckets", "/other/"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "A policy called ReadBuckets already exists. Duplicate names are not allowed."
    );
    store
        .create_policy(policy(OTHER, "ReadBuckets"))
        .await
        .unwrap();

    // Another account's policy is invisible.
    let err = store.get_policy(OTHER, &created.arn).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Policy arn:aws:iam::123456789012:policy/team/ReadBuckets does not exist or is not attachable."
    );
    let mut aws = policy(ACCT, "x");
    aws.account_id = AWS_ACCOUNT.into();
    assert_err!(store.create_policy(aws).await, StoreError::InvalidInput(_));
    assert_err!(
        store.create_policy(policy("999999999999", "x")).await,
        StoreError::NotFound {
            kind: ResourceKind::Account,
            ..
        }
    );
}

pub async fn list_scopes_filters_and_pages(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    for name in ["beta", "Alpha", "delta"] {
        store.create_policy(policy(ACCT, name)).await.unwrap();
    }
    store
        .create_policy(policy_at(ACCT, "gamma", "/svc/"))
        .await
        .unwrap();
    store.create_policy(policy(OTHER, "theirs")).await.unwrap();
    for name in ["AdministratorAccess", "ReadOnlyAccess"] {
        store
            .upsert_aws_managed_policy(aws_policy(name))
            .await
            .unwrap();
    }
    store.create_user(user(ACCT, "u")).await.unwrap();
    let u = EntityRef::User("u".into());
    store
        .attach_policy(ACCT, &u, &policy_arn(ACCT, "beta"))
        .await
        .unwrap();
    store
        .attach_policy(ACCT, &u, "arn:aws:iam::aws:policy/ReadOnlyAccess")
        .await
        .unwrap();
    store
        .set_user_permissions_boundary(ACCT, "u", Some(&policy_arn(ACCT, "delta")))
        .await
        .unwrap();

    let names =
        |p: &Page<ManagedPolicy>| p.items.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    let list = |filter: PolicyFilter| {
        let store = store.clone();
        async move {
            store
                .list_policies(ACCT, &filter, &page(100))
                .await
                .unwrap()
        }
    };
    assert_eq!(
        names(&list(PolicyFilter::default()).await),
        [
            "AdministratorAccess",
            "Alpha",
            "beta",
            "delta",
            "gamma",
            "ReadOnlyAccess"
        ]
    );
    assert_eq!(
        names(
            &list(PolicyFilter {
                scope: PolicyScope::Aws,
                ..Default::default()
            })
            .await
        ),
        ["AdministratorAccess", "ReadOnlyAccess"]
    );
    assert_eq!(
        names(
            &list(PolicyFilter {
                scope: PolicyScope::Local,
                ..Default::default()
            })
            .await
        ),
        ["Alpha", "beta", "delta", "gamma"]
    );
    let attached = list(PolicyFilter {
        only_attached: true,
        ..Default::default()
    })
    .await;
    assert_eq!(names(&attached), ["beta", "ReadOnlyAccess"]);
    assert!(attached.items.iter().all(|p| p.attachment_count == 1));
    assert_eq!(
        names(
            &list(PolicyFilter {
                usage: Some(PolicyUsage::PermissionsBoundary),
                ..Default::default()
            })
            .await
        ),
        ["delta"]
    );
    assert_eq!(
        names(
            &list(PolicyFilter {
                scope: PolicyScope::Local,
                path_prefix: Some("/svc".into()),
                ..Default::default()
            })
            .await
        ),
        ["gamma"]
    );
    // The other account sees AWS policies with its own (zero) counts.
    let theirs = store
        .list_policies(OTHER, &PolicyFilter::default(), &page(100))
        .await
        .unwrap();
    assert_eq!(
        names(&theirs),
        ["AdministratorAccess", "ReadOnlyAccess", "theirs"]
    );
    assert!(theirs.items.iter().all(|p| p.attachment_count == 0));

    let mut req = page(4);
    let mut seen = Vec::new();
    loop {
        let got = store
            .list_policies(ACCT, &PolicyFilter::default(), &req)
            .await
            .unwrap();
        seen.extend(names(&got));
        if !got.is_truncated() {
            break;
        }
        req = next(&req, &got.next_marker);
    }
    assert_eq!(seen.len(), 6);
    assert_eq!(seen, names(&list(PolicyFilter::default()).await));
}

pub async fn versions_limit_and_ids(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let arn = store.create_policy(policy(ACCT, "p")).await.unwrap().arn;
    for n in 2..=5 {
        let v = store
            .create_policy_version(ACCT, &arn, &doc(&format!("v{n}")), false, at(10 + n))
            .await
            .unwrap();
        assert_eq!(v.version_id, format!("v{n}"));
        assert!(!v.is_default);
    }
    let err = store
        .create_policy_version(ACCT, &arn, &doc("v6"), true, at(20))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version."
    );
    assert!(matches!(
        err,
        StoreError::LimitExceeded {
            quota: Quota::VersionsPerPolicy,
            limit: 5
        }
    ));
    assert_eq!(
        store
            .get_policy(ACCT, &arn)
            .await
            .unwrap()
            .default_version_id,
        "v1"
    );

    store.delete_policy_version(ACCT, &arn, "v2").await.unwrap();
    let v6 = store
        .create_policy_version(ACCT, &arn, &doc("v6"), true, at(30))
        .await
        .unwrap();
    assert_eq!(v6.version_id, "v6", "version ids are never reused");
    assert!(v6.is_default);
    let p = store.get_policy(ACCT, &arn).await.unwrap();
    assert_eq!(p.default_version_id, "v6");
    assert_eq!(p.update_date, at(30));

    let versions = store.list_policy_versions(ACCT, &arn).await.unwrap();
    let ids: Vec<_> = versions.iter().map(|v| v.version_id.as_str()).collect();
    assert_eq!(ids, ["v6", "v5", "v4", "v3", "v1"]);
    assert_eq!(versions.iter().filter(|v| v.is_default).count(), 1);
    assert_eq!(versions[1].document, doc("v5"));

    let err = store
        .delete_policy_version(ACCT, &arn, "v6")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cannot delete the default version of a policy."
    );
    store
        .set_default_policy_version(ACCT, &arn, "v3", at(40))
        .await
        .unwrap();
    let v3 = store.get_policy_version(ACCT, &arn, "v3").await.unwrap();
    assert!(v3.is_default);
    assert_eq!(v3.create_date, at(13));
    assert_eq!(
        store.get_policy(ACCT, &arn).await.unwrap().update_date,
        at(40)
    );
    store.delete_policy_version(ACCT, &arn, "v6").await.unwrap();

    for missing in ["v2", "v9", "v03", "x"] {
        assert_err!(
            store.get_policy_version(ACCT, &arn, missing).await,
            StoreError::NotFound {
                kind: ResourceKind::PolicyVersion,
                ..
            }
        );
        assert_err!(
            store
                .set_default_policy_version(ACCT, &arn, missing, at(1))
                .await,
            StoreError::NotFound {
                kind: ResourceKind::PolicyVersion,
                ..
            }
        );
        assert_err!(
            store.delete_policy_version(ACCT, &arn, missing).await,
            StoreError::NotFound {
                kind: ResourceKind::PolicyVersion,
                ..
            }
        );
    }
    let unknown = policy_arn(ACCT, "nope");
    assert_err!(
        store
            .create_policy_version(ACCT, &unknown, &doc("x"), false, at(1))
            .await,
        StoreError::NotFound {
            kind: ResourceKind::Policy,
            ..
        }
    );
    assert_err!(
        store.list_policy_versions(ACCT, &unknown).await,
        StoreError::NotFound {
            kind: ResourceKind::Policy,
            ..
        }
    );
}

pub async fn delete_rules(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let arn = store.create_policy(policy(ACCT, "p")).await.unwrap().arn;
    store.create_group(group(ACCT, "g")).await.unwrap();
    let g = EntityRef::Group("g".into());
    store.attach_policy(ACCT, &g, &arn).await.unwrap();
    store
        .create_policy_version(ACCT, &arn, &doc("v2"), false, at(1))
        .await
        .unwrap();
    let err = store.delete_policy(ACCT, &arn).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cannot delete a policy attached to entities."
    );
    store.detach_policy(ACCT, &g, &arn).await.unwrap();
    let err = store.delete_policy(ACCT, &arn).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy."
    );
    assert_err!(
        Err::<(), _>(err),
        StoreError::DeleteConflict(DeleteConflict::PolicyHasVersions)
    );
    store.delete_policy_version(ACCT, &arn, "v2").await.unwrap();
    store.delete_policy(ACCT, &arn).await.unwrap();
    assert_err!(
        store.get_policy(ACCT, &arn).await,
        StoreError::NotFound { .. }
    );
    assert_err!(
        store.delete_policy(ACCT, &arn).await,
        StoreError::NotFound { .. }
    );
    // The name is free again, with fresh versions from v1.
    let again = store.create_policy(policy(ACCT, "p")).await.unwrap();
    assert_eq!(again.default_version_id, "v1");
    assert_eq!(
        store.list_policy_versions(ACCT, &arn).await.unwrap().len(),
        1
    );
}

pub async fn aws_managed_read_only_and_idempotent(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let def = aws_policy("AmazonS3ReadOnlyAccess");
    let first = store.upsert_aws_managed_policy(def.clone()).await.unwrap();
    assert!(first.is_aws_managed());
    assert_eq!(first.account_id, AWS_ACCOUNT);
    assert_eq!(first.arn, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess");
    let mut again = def.clone();
    again.policy_id = id("ANPA");
    let second = store.upsert_aws_managed_policy(again).await.unwrap();
    assert_eq!(second, first, "idempotent; the first id is kept");

    let mut changed = def.clone();
    changed.document = doc("changed");
    changed.description = Some("new text".into());
    changed.update_date = at(99);
    let updated = store
        .upsert_aws_managed_policy(changed.clone())
        .await
        .unwrap();
    assert_eq!(updated.policy_id, first.policy_id);
    assert_eq!(updated.default_version_id, "v1");
    assert_eq!(updated.create_date, first.create_date);
    assert_eq!(updated.description.as_deref(), Some("new text"));
    assert_eq!(updated.update_date, at(99));
    let v = store
        .get_policy_version(ACCT, &def.arn, "v1")
        .await
        .unwrap();
    assert_eq!(v.document, doc("changed"));

    // A newer default version replaces the stored one (only the default is kept).
    let mut newer = changed.clone();
    newer.default_version = 4;
    newer.document = doc("four");
    let four = store.upsert_aws_managed_policy(newer).await.unwrap();
    assert_eq!(four.default_version_id, "v4");
    let versions = store.list_policy_versions(ACCT, &def.arn).await.unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].version_id, "v4");
    assert!(versions[0].is_default);
    assert_eq!(versions[0].document, doc("four"));
    assert!(
        store
            .get_policy_version(ACCT, &def.arn, "v1")
            .await
            .is_err()
    );

    let unmodifiable = |r: Result<()>| match r {
        Err(StoreError::Unmodifiable { name }) => assert_eq!(name, def.arn),
        other => panic!("expected Unmodifiable, got {other:?}"),
    };
    unmodifiable(store.delete_policy(ACCT, &def.arn).await);
    unmodifiable(
        store
            .create_policy_version(ACCT, &def.arn, &doc("x"), true, at(1))
            .await
            .map(|_| ()),
    );
    unmodifiable(
        store
            .set_default_policy_version(ACCT, &def.arn, "v1", at(1))
            .await,
    );
    unmodifiable(store.delete_policy_version(ACCT, &def.arn, "v1").await);
    unmodifiable(
        store
            .tag_resource(
                ACCT,
                &TagTarget::Policy(def.arn.clone()),
                &[Tag::new("a", "b")],
            )
            .await,
    );

    // Attachable from every account, with per-account counts.
    store.create_role(role(ACCT, "r")).await.unwrap();
    store
        .attach_policy(ACCT, &EntityRef::Role("r".into()), &def.arn)
        .await
        .unwrap();
    store.create_role(role(OTHER, "r")).await.unwrap();
    store
        .attach_policy(OTHER, &EntityRef::Role("r".into()), &def.arn)
        .await
        .unwrap();
    store.create_role(role(OTHER, "r2")).await.unwrap();
    store
        .attach_policy(OTHER, &EntityRef::Role("r2".into()), &def.arn)
        .await
        .unwrap();
    assert_eq!(
        store
            .get_policy(ACCT, &def.arn)
            .await
            .unwrap()
            .attachment_count,
        1
    );
    assert_eq!(
        store
            .get_policy(OTHER, &def.arn)
            .await
            .unwrap()
            .attachment_count,
        2
    );
    let entities = store
        .list_entities_for_policy(ACCT, &def.arn, &EntityFilter::default(), &page(10))
        .await
        .unwrap();
    assert_eq!(
        entities.items.len(),
        1,
        "other accounts' entities are not listed"
    );
}
