//! The target resource's tags as condition keys of IAM calls (`aws:ResourceTag/<k>` for
//! every taggable kind, `iam:ResourceTag/<k>` for users and roles), through [`Identity`] on
//! a real store: allow and explicit deny by tag, the tags as they are at the time of the
//! call, and a missing resource still refused as AccessDenied before NoSuchEntity.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{identity, pairs, root, user};
use hourglass_iam::federation::providers::CreateOidcProvider;
use hourglass_iam::policies::CreatePolicy;
use hourglass_iam::roles::CreateRole;
use hourglass_iam::users::CreateUser;
use hourglass_iam::{IamError, Identity, Taggable};
use hourglass_store::EntityRef;

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

const DOCUMENT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#;

/// A policy document of the given statements.
fn policy(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

/// Allows `action` on any resource whose tag `key` (a full condition key) is `value`.
fn allow_if(action: &str, key: &str, value: &str) -> String {
    format!(
        r#"{{"Effect":"Allow","Action":"{action}","Resource":"*","Condition":{{"StringEquals":{{"{key}":"{value}"}}}}}}"#
    )
}

/// Denies `action` on any resource whose tag `key` (a full condition key) is `value`.
fn deny_if(action: &str, key: &str, value: &str) -> String {
    format!(
        r#"{{"Effect":"Deny","Action":"{action}","Resource":"*","Condition":{{"StringEquals":{{"{key}":"{value}"}}}}}}"#
    )
}

const ALLOW_ALL: &str = r#"{"Effect":"Allow","Action":"iam:*","Resource":"*"}"#;

#[track_caller]
fn denied<T: std::fmt::Debug>(result: Result<T, IamError>) {
    match result {
        Err(IamError::AccessDenied { .. }) => {}
        other => panic!("expected AccessDenied, got {other:?}"),
    }
}

#[track_caller]
fn no_such_entity<T: std::fmt::Debug>(result: Result<T, IamError>) {
    match result {
        Err(IamError::NoSuchEntity(_)) => {}
        other => panic!("expected NoSuchEntity, got {other:?}"),
    }
}

async fn tagged_user(identity: &Identity, name: &str, tags: &[(&str, &str)]) {
    identity
        .create_user(
            &root(),
            CreateUser {
                name: name.into(),
                tags: pairs(tags),
                ..Default::default()
            },
        )
        .await
        .unwrap();
}

async fn tagged_role(identity: &Identity, name: &str, tags: &[(&str, &str)]) {
    identity
        .create_role(
            &root(),
            CreateRole {
                name: name.into(),
                assume_role_policy_document: TRUST.into(),
                tags: pairs(tags),
                ..Default::default()
            },
        )
        .await
        .unwrap();
}

async fn tagged_policy(identity: &Identity, name: &str, tags: &[(&str, &str)]) -> String {
    identity
        .create_policy(
            &root(),
            CreatePolicy {
                name: name.into(),
                path: None,
                document: DOCUMENT.into(),
                description: None,
                tags: pairs(tags),
            },
        )
        .await
        .unwrap()
        .arn
}

#[tokio::test]
async fn user_calls_carry_the_users_tags() {
    let dir = tempfile::tempdir().unwrap();
    let identity = identity(&dir).await;
    tagged_user(&identity, "blue", &[("team", "blue")]).await;
    tagged_user(&identity, "red", &[("team", "red")]).await;
    // The key's tag part matches whatever case the tag was written in.
    let abac = user(
        &identity,
        "abac",
        &policy(&allow_if("iam:*", "aws:ResourceTag/TEAM", "blue")),
    )
    .await;

    identity.get_user(&abac, Some("blue")).await.unwrap();
    denied(identity.get_user(&abac, Some("red")).await);
    identity
        .tag_resource(&abac, Taggable::User, "blue", &pairs(&[("env", "dev")]))
        .await
        .unwrap();
    denied(
        identity
            .tag_resource(&abac, Taggable::User, "red", &pairs(&[("env", "dev")]))
            .await,
    );
    identity
        .untag_resource(&abac, Taggable::User, "blue", &["env".into()])
        .await
        .unwrap();
    denied(
        identity
            .untag_resource(&abac, Taggable::User, "red", &["team".into()])
            .await,
    );
    identity
        .list_resource_tags(&abac, Taggable::User, "blue")
        .await
        .unwrap();
    // Calls that act on the user's credentials or policies are about the user too.
    identity
        .list_attached_policies(
            &abac,
            &EntityRef::User("blue".into()),
            None,
            hourglass_store::PageRequest::first(100),
        )
        .await
        .unwrap();
    denied(
        identity
            .create_access_key(&abac, Some("red"))
            .await
            .map(|k| k.metadata),
    );
    identity
        .create_access_key(&abac, Some("blue"))
        .await
        .unwrap();
    denied(identity.delete_user(&abac, "red").await);

    // Retagging the red user blue gives access at once; a tag is read as it is now.
    identity
        .tag_resource(&root(), Taggable::User, "red", &pairs(&[("team", "blue")]))
        .await
        .unwrap();
    identity.get_user(&abac, Some("red")).await.unwrap();
}

#[tokio::test]
async fn user_tags_as_iam_resource_tag_and_in_a_deny() {
    let dir = tempfile::tempdir().unwrap();
    let identity = identity(&dir).await;
    tagged_user(&identity, "kept", &[("protected", "true")]).await;
    tagged_user(&identity, "plain", &[]).await;
    let admin = user(
        &identity,
        "admin",
        &policy(&format!(
            "{ALLOW_ALL},{}",
            deny_if("iam:DeleteUser", "iam:ResourceTag/protected", "true")
        )),
    )
    .await;
    denied(identity.delete_user(&admin, "kept").await);
    identity.get_user(&admin, Some("kept")).await.unwrap();
    identity.delete_user(&admin, "plain").await.unwrap();

    // The rename check on the new ARN sees the same tags (the user keeps them).
    let renamer = user(
        &identity,
        "renamer",
        &policy(&allow_if(
            "iam:UpdateUser",
            "iam:ResourceTag/protected",
            "true",
        )),
    )
    .await;
    identity
        .update_user(&renamer, "kept", Some("kept2"), None)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_missing_user_is_access_denied_without_permission() {
    let dir = tempfile::tempdir().unwrap();
    let identity = identity(&dir).await;
    let abac = user(
        &identity,
        "abac",
        &policy(&allow_if("iam:*", "aws:ResourceTag/team", "blue")),
    )
    .await;
    denied(identity.get_user(&abac, Some("ghost")).await);
    denied(identity.delete_user(&abac, "ghost").await);
    denied(
        identity
            .tag_resource(&abac, Taggable::User, "ghost", &pairs(&[("a", "1")]))
            .await,
    );
    denied(
        identity
            .tag_resource(&abac, Taggable::Role, "ghost", &pairs(&[("a", "1")]))
            .await,
    );
    // A caller who may act on any user learns it is missing.
    let admin = user(&identity, "admin", &policy(ALLOW_ALL)).await;
    no_such_entity(identity.get_user(&admin, Some("ghost")).await);
    no_such_entity(identity.delete_user(&admin, "ghost").await);
    // A deny by tag does not hide a missing user: it has no tags to match.
    let guarded = user(
        &identity,
        "guarded",
        &policy(&format!(
            "{ALLOW_ALL},{}",
            deny_if("iam:*", "aws:ResourceTag/team", "red")
        )),
    )
    .await;
    no_such_entity(identity.delete_user(&guarded, "ghost").await);
}

#[tokio::test]
async fn role_calls_carry_the_roles_tags() {
    let dir = tempfile::tempdir().unwrap();
    let identity = identity(&dir).await;
    tagged_role(&identity, "blue", &[("Team", "blue")]).await;
    tagged_role(&identity, "red", &[("team", "red")]).await;
    let abac = user(
        &identity,
        "abac",
        &policy(&allow_if("iam:*", "iam:ResourceTag/team", "blue")),
    )
    .await;
    identity.get_role(&abac, "blue").await.unwrap();
    denied(identity.get_role(&abac, "red").await);
    let managed = tagged_policy(&identity, "p", &[]).await;
    identity
        .attach_policy(&abac, &EntityRef::Role("blue".into()), &managed)
        .await
        .unwrap();
    denied(
        identity
            .attach_policy(&abac, &EntityRef::Role("red".into()), &managed)
            .await,
    );
    denied(identity.get_role(&abac, "ghost").await);

    let admin = user(
        &identity,
        "admin",
        &policy(&format!(
            "{ALLOW_ALL},{}",
            deny_if("iam:DeleteRole", "aws:ResourceTag/team", "red")
        )),
    )
    .await;
    denied(identity.delete_role(&admin, "red").await);
    no_such_entity(identity.delete_role(&admin, "ghost").await);
    identity
        .detach_policy(&admin, &EntityRef::Role("blue".into()), &managed)
        .await
        .unwrap();
    identity.delete_role(&admin, "blue").await.unwrap();
}

#[tokio::test]
async fn policy_calls_carry_aws_resource_tag_only() {
    let dir = tempfile::tempdir().unwrap();
    let identity = identity(&dir).await;
    let blue = tagged_policy(&identity, "blue", &[("team", "blue")]).await;
    let red = tagged_policy(&identity, "red", &[("team", "red")]).await;
    let abac = user(
        &identity,
        "abac",
        &policy(&allow_if("iam:*", "aws:ResourceTag/team", "blue")),
    )
    .await;
    identity.get_policy(&abac, &blue).await.unwrap();
    denied(identity.get_policy(&abac, &red).await);
    identity
        .list_policy_versions(&abac, &blue, hourglass_store::PageRequest::first(10))
        .await
        .unwrap();
    identity
        .tag_resource(&abac, Taggable::Policy, &blue, &pairs(&[("x", "1")]))
        .await
        .unwrap();
    denied(
        identity
            .tag_resource(&abac, Taggable::Policy, &red, &pairs(&[("x", "1")]))
            .await,
    );
    // The service authorization reference gives policies no `iam:ResourceTag/` key.
    let iam_key = user(
        &identity,
        "iamkey",
        &policy(&allow_if("iam:GetPolicy", "iam:ResourceTag/team", "blue")),
    )
    .await;
    denied(identity.get_policy(&iam_key, &blue).await);

    let admin = user(
        &identity,
        "admin",
        &policy(&format!(
            "{ALLOW_ALL},{}",
            deny_if("iam:DeletePolicy", "aws:ResourceTag/team", "red")
        )),
    )
    .await;
    denied(identity.delete_policy(&admin, &red).await);
    identity.delete_policy(&admin, &blue).await.unwrap();
    // A missing policy: AccessDenied without permission, NoSuchEntity with it.
    denied(identity.get_policy(&abac, &blue).await);
    no_such_entity(identity.get_policy(&admin, &blue).await);
}

#[tokio::test]
async fn pass_role_carries_the_passed_roles_tags() {
    let dir = tempfile::tempdir().unwrap();
    let identity = identity(&dir).await;
    tagged_role(&identity, "blue", &[("team", "blue")]).await;
    tagged_role(&identity, "red", &[("team", "red")]).await;
    for name in ["p1", "p2"] {
        identity
            .create_instance_profile(&root(), name, None, &pairs(&[("team", "blue")]))
            .await
            .unwrap();
    }
    let launcher = user(
        &identity,
        "launcher",
        &policy(&format!(
            "{},{}",
            allow_if(
                "iam:AddRoleToInstanceProfile",
                "aws:ResourceTag/team",
                "blue"
            ),
            allow_if("iam:PassRole", "iam:ResourceTag/team", "blue")
        )),
    )
    .await;
    identity
        .instance_profile_role(&launcher, "p1", "blue", true)
        .await
        .unwrap();
    denied(
        identity
            .instance_profile_role(&launcher, "p2", "red", true)
            .await,
    );
    denied(
        identity
            .instance_profile_role(&launcher, "p2", "ghost", true)
            .await,
    );

    // The instance profile's own tags, and no `iam:ResourceTag/` key for it.
    identity
        .tag_resource(
            &root(),
            Taggable::InstanceProfile,
            "p2",
            &pairs(&[("team", "red")]),
        )
        .await
        .unwrap();
    denied(
        identity
            .instance_profile_role(&launcher, "p2", "blue", true)
            .await,
    );
    let iam_key = user(
        &identity,
        "iamkey",
        &policy(&allow_if(
            "iam:GetInstanceProfile",
            "iam:ResourceTag/team",
            "blue",
        )),
    )
    .await;
    denied(identity.get_instance_profile(&iam_key, "p1").await);
}

#[tokio::test]
async fn provider_and_mfa_device_calls_carry_their_tags() {
    let dir = tempfile::tempdir().unwrap();
    let identity = identity(&dir).await;
    let provider = identity
        .create_oidc_provider(
            &root(),
            CreateOidcProvider {
                url: "https://idp.example.com".into(),
                client_ids: vec!["app".into()],
                thumbprints: vec!["a".repeat(40)],
                tags: pairs(&[("team", "red")]),
            },
        )
        .await
        .unwrap();
    let device = identity
        .create_virtual_mfa_device(&root(), "dev", None, &pairs(&[("team", "red")]))
        .await
        .unwrap()
        .device;
    let admin = user(
        &identity,
        "admin",
        &policy(&format!(
            "{ALLOW_ALL},{}",
            deny_if("iam:Delete*", "aws:ResourceTag/team", "red")
        )),
    )
    .await;
    denied(identity.delete_oidc_provider(&admin, &provider.arn).await);
    denied(
        identity
            .delete_virtual_mfa_device(&admin, &device.serial)
            .await,
    );
    identity
        .untag_resource(
            &admin,
            Taggable::OpenIdConnectProvider,
            &provider.arn,
            &["team".into()],
        )
        .await
        .unwrap();
    identity
        .untag_resource(
            &admin,
            Taggable::MfaDevice,
            &device.serial,
            &["team".into()],
        )
        .await
        .unwrap();
    identity
        .delete_oidc_provider(&admin, &provider.arn)
        .await
        .unwrap();
    identity
        .delete_virtual_mfa_device(&admin, &device.serial)
        .await
        .unwrap();
}
