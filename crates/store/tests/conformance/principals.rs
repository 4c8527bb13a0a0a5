//! The authorizer's `principal_policies`.

use hourglass_store::*;

use super::Harness;
use super::fixtures::*;
use crate::assert_err;

pub async fn user_and_role_policies(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let alice = store.create_user(user(ACCT, "alice")).await.unwrap();
    let me = EntityRef::User("alice".into());
    let own = store.create_policy(policy(ACCT, "own")).await.unwrap().arn;
    let admin = store
        .upsert_aws_managed_policy(aws_policy("AdministratorAccess"))
        .await
        .unwrap()
        .arn;
    let boundary = store
        .create_policy(policy(ACCT, "boundary"))
        .await
        .unwrap()
        .arn;
    let for_group = store
        .create_policy(policy(ACCT, "group-managed"))
        .await
        .unwrap()
        .arn;
    store.attach_policy(ACCT, &me, &own).await.unwrap();
    store.attach_policy(ACCT, &me, &admin).await.unwrap();
    store
        .put_inline_policy(ACCT, &me, "zeta", &doc("zeta"), BIG)
        .await
        .unwrap();
    store
        .put_inline_policy(ACCT, &me, "alpha", &doc("alpha"), BIG)
        .await
        .unwrap();
    store
        .set_user_permissions_boundary(ACCT, "alice", Some(&boundary))
        .await
        .unwrap();
    for g in ["writers", "Readers", "empty"] {
        store.create_group(group(ACCT, g)).await.unwrap();
        store.add_user_to_group(ACCT, g, "alice").await.unwrap();
    }
    store
        .attach_policy(ACCT, &EntityRef::Group("readers".into()), &for_group)
        .await
        .unwrap();
    store
        .attach_policy(ACCT, &EntityRef::Group("writers".into()), &for_group)
        .await
        .unwrap();
    store
        .put_inline_policy(
            ACCT,
            &EntityRef::Group("writers".into()),
            "w",
            &doc("w"),
            BIG,
        )
        .await
        .unwrap();
    // A newer default version is what gets evaluated.
    store
        .create_policy_version(ACCT, &own, &doc("own-v2"), true, at(9))
        .await
        .unwrap();
    store
        .create_policy_version(ACCT, &boundary, &doc("boundary-v2"), false, at(9))
        .await
        .unwrap();

    let got = store
        .principal_policies(ACCT, &PrincipalRef::User(alice.user_id.clone()))
        .await
        .unwrap();
    let managed = |arn: &str, v: &str, d: String| PolicyDocument {
        arn: arn.into(),
        version_id: v.into(),
        document: d,
    };
    let mut expected = vec![
        managed(&own, "v2", doc("own-v2")),
        managed(&admin, "v1", doc("AdministratorAccess")),
    ];
    expected.sort_by(|a, b| a.arn.cmp(&b.arn));
    assert_eq!(got.managed, expected, "default versions, ordered by ARN");
    assert_eq!(
        got.inline,
        vec![
            InlinePolicy {
                name: "alpha".into(),
                document: doc("alpha")
            },
            InlinePolicy {
                name: "zeta".into(),
                document: doc("zeta")
            },
        ]
    );
    assert_eq!(
        got.boundary,
        Some(managed(&boundary, "v1", doc("boundary")))
    );
    let group_names: Vec<_> = got.groups.iter().map(|g| g.group_name.as_str()).collect();
    assert_eq!(group_names, ["empty", "Readers", "writers"]);
    assert!(got.groups[0].managed.is_empty() && got.groups[0].inline.is_empty());
    assert_eq!(
        got.groups[1].group_arn,
        "arn:aws:iam::123456789012:group/Readers"
    );
    assert_eq!(
        got.groups[1].managed,
        vec![managed(&for_group, "v1", doc("group-managed"))]
    );
    assert!(got.groups[1].inline.is_empty());
    assert_eq!(got.groups[2].managed.len(), 1);
    assert_eq!(
        got.groups[2].inline,
        vec![InlinePolicy {
            name: "w".into(),
            document: doc("w")
        }]
    );

    let r = store.create_role(role(ACCT, "r")).await.unwrap();
    let role_ref = PrincipalRef::Role(r.role_id.clone());
    assert_eq!(
        store.principal_policies(ACCT, &role_ref).await.unwrap(),
        PrincipalPolicies::default()
    );
    let re = EntityRef::Role("r".into());
    store.attach_policy(ACCT, &re, &admin).await.unwrap();
    store
        .put_inline_policy(ACCT, &re, "ri", &doc("ri"), BIG)
        .await
        .unwrap();
    store
        .set_role_permissions_boundary(ACCT, "r", Some(&admin))
        .await
        .unwrap();
    let got = store.principal_policies(ACCT, &role_ref).await.unwrap();
    assert_eq!(
        got.managed,
        vec![managed(&admin, "v1", doc("AdministratorAccess"))]
    );
    assert_eq!(got.inline.len(), 1);
    assert!(got.groups.is_empty());
    assert_eq!(
        got.boundary,
        Some(managed(&admin, "v1", doc("AdministratorAccess")))
    );

    assert_err!(
        store.principal_policies(OTHER, &role_ref).await,
        StoreError::NotFound {
            kind: ResourceKind::Role,
            ..
        }
    );
    assert_err!(
        store
            .principal_policies(ACCT, &PrincipalRef::User("AIDANOSUCH".into()))
            .await,
        StoreError::NotFound {
            kind: ResourceKind::User,
            ..
        }
    );
    store.detach_policy(ACCT, &re, &admin).await.unwrap();
    store.delete_inline_policy(ACCT, &re, "ri").await.unwrap();
    store.delete_role(ACCT, "r").await.unwrap();
    assert_err!(
        store.principal_policies(ACCT, &role_ref).await,
        StoreError::NotFound {
            kind: ResourceKind::Role,
            ..
        }
    );
}
