//! A stored policy the engine can no longer read (written by an older version, or edited
//! in the database behind the server's back) must never allow anything: the request fails
//! as an internal error, it is not decided without the policy.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use hourglass_iam::authz::Access;
use hourglass_iam::{Caller, IamError, Identity, Principal};
use hourglass_store::{EntityRef, KeyRing, NewUser, SizeCheck, Store};

const ACCOUNT: &str = "123456789012";

async fn identity(dir: &tempfile::TempDir) -> Identity {
    let ring = Arc::new(KeyRing::generate("test").unwrap());
    let store = Store::open(dir.path().join("iam.db"), ring).await.unwrap();
    let identity = Identity::new(Arc::new(store), ACCOUNT);
    identity.ensure_account().await.unwrap();
    identity
}

fn caller(user: hourglass_store::User) -> Caller {
    Caller {
        principal: Principal::User(user),
        access_key_id: "AKIAEXAMPLEEXAMPLE00".into(),
        region: "us-east-1".into(),
        source_ip: "127.0.0.1".parse().unwrap(),
        secure_transport: false,
        user_agent: None,
        session: None,
    }
}

async fn user_with_raw_policy(identity: &Identity, name: &str, document: &str) -> Caller {
    let store = identity.store();
    let user = store
        .create_user(NewUser {
            account_id: ACCOUNT.into(),
            user_id: format!("AIDA{:X<17}", name.to_ascii_uppercase()),
            name: name.into(),
            path: "/".into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
            create_date: chrono::Utc::now(),
            permissions_boundary: None,
            tags: vec![],
        })
        .await
        .unwrap();
    store
        .put_inline_policy(
            ACCOUNT,
            &EntityRef::User(name.into()),
            "raw",
            document,
            SizeCheck {
                size: 0,
                limit: u32::MAX,
            },
        )
        .await
        .unwrap();
    caller(user)
}

#[tokio::test]
async fn a_stored_policy_with_an_unknown_operator_never_allows() {
    let dir = tempfile::tempdir().unwrap();
    let identity = identity(&dir).await;
    let doc = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"*","Resource":"*"},
        {"Effect":"Deny","Action":"iam:DeleteUser","Resource":"*",
         "Condition":{"StringEqualz":{"aws:username":"mallory"}}}]}"#;
    let mallory = user_with_raw_policy(&identity, "mallory", doc).await;
    let result = identity
        .authorize(
            &mallory,
            &Access::new(
                "iam:DeleteUser",
                &format!("arn:aws:iam::{ACCOUNT}:user/victim"),
            ),
        )
        .await;
    assert!(
        matches!(result, Err(IamError::Internal(_))),
        "a policy that does not compile must fail the request, got {result:?}"
    );
}

#[tokio::test]
async fn a_stored_policy_that_is_not_json_never_allows() {
    let dir = tempfile::tempdir().unwrap();
    let identity = identity(&dir).await;
    let other = user_with_raw_policy(
        &identity,
        "ok",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    )
    .await;
    identity
        .authorize(&other, &Access::new("iam:GetUser", "*"))
        .await
        .unwrap();
    let broken = user_with_raw_policy(&identity, "broken", "{not json").await;
    let result = identity
        .authorize(&broken, &Access::new("iam:GetUser", "*"))
        .await;
    assert!(matches!(result, Err(IamError::Internal(_))), "{result:?}");
}
