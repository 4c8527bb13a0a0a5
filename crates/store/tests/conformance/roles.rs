//! Roles.

use hourglass_store::*;

use super::Harness;
use super::fixtures::*;
use crate::assert_err;

pub async fn crud(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let mut new = role(ACCT, "Deployer");
    new.path = "/ci/".into();
    new.arn = "arn:aws:iam::123456789012:role/ci/Deployer".into();
    new.description = Some("deploys".into());
    new.max_session_duration = 7200;
    new.tags = vec![Tag::new("env", "prod")];
    let created = store.create_role(new.clone()).await.unwrap();
    assert_eq!(created.role_id, new.role_id);
    assert_eq!(created.name, "Deployer");
    assert_eq!(created.path, "/ci/");
    assert_eq!(created.assume_role_policy_document, TRUST);
    assert_eq!(created.description.as_deref(), Some("deploys"));
    assert_eq!(created.max_session_duration, 7200);
    assert_eq!(created.tags, vec![Tag::new("env", "prod")]);
    assert_eq!(created.last_used, None);
    assert_eq!(store.get_role(ACCT, "deployer").await.unwrap(), created);
    assert_eq!(
        store.get_role_by_id(ACCT, &new.role_id).await.unwrap(),
        created
    );
    assert_err!(
        store.get_role_by_id(OTHER, &new.role_id).await,
        StoreError::NotFound { .. }
    );

    let err = store.create_role(role(ACCT, "DEPLOYER")).await.unwrap_err();
    assert_eq!(err.to_string(), "Role with name DEPLOYER already exists.");
    let err = store.get_role(ACCT, "nope").await.unwrap_err();
    assert_eq!(err.to_string(), "The role with name nope cannot be found.");

    let updated = store
        .update_role(
            ACCT,
            "deployer",
            RoleUpdate {
                description: Some("ships".into()),
                max_session_duration: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.description.as_deref(), Some("ships"));
    assert_eq!(updated.max_session_duration, 7200);
    let updated = store
        .update_role(
            ACCT,
            "deployer",
            RoleUpdate {
                description: None,
                max_session_duration: Some(43200),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.description.as_deref(), Some("ships"));
    assert_eq!(updated.max_session_duration, 43200);

    let trust = TRUST.replace("root", "user/alice");
    store
        .update_assume_role_policy(ACCT, "Deployer", &trust)
        .await
        .unwrap();
    assert_eq!(
        store
            .get_role(ACCT, "deployer")
            .await
            .unwrap()
            .assume_role_policy_document,
        trust
    );
    assert_err!(
        store.update_assume_role_policy(ACCT, "nope", &trust).await,
        StoreError::NotFound {
            kind: ResourceKind::Role,
            ..
        }
    );

    let used = RoleLastUsed {
        date: at(500),
        region: "us-west-2".into(),
    };
    store.record_role_use(&new.role_id, &used).await.unwrap();
    assert_eq!(
        store.get_role(ACCT, "deployer").await.unwrap().last_used,
        Some(used.clone())
    );
    store
        .record_role_use("AROANOSUCHROLE", &used)
        .await
        .unwrap();

    store.delete_role(ACCT, "DEPLOYER").await.unwrap();
    assert_err!(
        store.get_role(ACCT, "deployer").await,
        StoreError::NotFound { .. }
    );
    assert_err!(
        store.delete_role(ACCT, "deployer").await,
        StoreError::NotFound { .. }
    );
    let fresh = store.create_role(role(ACCT, "deployer")).await.unwrap();
    assert!(
        fresh.tags.is_empty(),
        "tags of a deleted role do not come back"
    );
}

pub async fn delete_conflicts(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    store.create_role(role(ACCT, "r")).await.unwrap();
    let me = EntityRef::Role("R".into());
    store
        .put_inline_policy(ACCT, &me, "i", &doc("i"), BIG)
        .await
        .unwrap();
    store.create_policy(policy(ACCT, "p")).await.unwrap();
    store
        .attach_policy(ACCT, &me, &policy_arn(ACCT, "p"))
        .await
        .unwrap();
    let err = store.delete_role(ACCT, "r").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cannot delete entity, must delete policies first."
    );
    store.delete_inline_policy(ACCT, &me, "i").await.unwrap();
    let err = store.delete_role(ACCT, "r").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cannot delete entity, must detach all policies first."
    );
    assert_err!(
        Err::<(), _>(err),
        StoreError::DeleteConflict(DeleteConflict::AttachedPolicies)
    );
    store
        .detach_policy(ACCT, &me, &policy_arn(ACCT, "p"))
        .await
        .unwrap();
    store.delete_role(ACCT, "r").await.unwrap();
    assert_eq!(
        store
            .get_policy(ACCT, &policy_arn(ACCT, "p"))
            .await
            .unwrap()
            .attachment_count,
        0
    );
}

pub async fn tags_and_list(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    for (name, path) in [("b", "/x/"), ("A", "/x/y/"), ("c", "/")] {
        let mut r = role(ACCT, name);
        r.path = path.into();
        store.create_role(r).await.unwrap();
    }
    let target = TagTarget::Role("a".into());
    store
        .tag_resource(ACCT, &target, &[Tag::new("Env", "dev")])
        .await
        .unwrap();
    store
        .tag_resource(ACCT, &target, &[Tag::new("ENV", "prod")])
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(ACCT, &target).await.unwrap(),
        vec![Tag::new("ENV", "prod")]
    );
    let too_many: Vec<Tag> = (0..50).map(|i| Tag::new(format!("t{i}"), "")).collect();
    assert_err!(
        store.tag_resource(ACCT, &target, &too_many).await,
        StoreError::LimitExceeded {
            quota: Quota::TagsPerRole,
            limit: 50
        }
    );
    assert_eq!(store.list_tags(ACCT, &target).await.unwrap().len(), 1);

    let p1 = store.list_roles(ACCT, None, &page(2)).await.unwrap();
    let names: Vec<_> = p1.items.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["A", "b"]);
    assert_eq!(p1.items[0].tags, vec![Tag::new("ENV", "prod")]);
    let p2 = store
        .list_roles(ACCT, None, &next(&page(2), &p1.next_marker))
        .await
        .unwrap();
    assert_eq!(p2.items.len(), 1);
    assert_eq!(p2.items[0].name, "c");
    assert!(!p2.is_truncated());
    let x = store
        .list_roles(ACCT, Some("/x/"), &page(10))
        .await
        .unwrap();
    assert_eq!(x.items.len(), 2);
    assert!(
        store
            .list_roles(OTHER, None, &page(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}
