//! A stored policy the engine can no longer read (written by an older version, or edited
//! in the database behind the server's back) must never allow anything: the request fails
//! as an internal error, it is not decided without the policy.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{ACCOUNT, identity, user};
use hourglass_iam::IamError;
use hourglass_iam::authz::Access;

#[tokio::test]
async fn a_stored_policy_with_an_unknown_operator_never_allows() {
    let dir = tempfile::tempdir().unwrap();
    let identity = identity(&dir).await;
    let doc = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"*","Resource":"*"},
        {"Effect":"Deny","Action":"iam:DeleteUser","Resource":"*",
         "Condition":{"StringEqualz":{"aws:username":"mallory"}}}]}"#;
    let mallory = user(&identity, "mallory", doc).await;
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
    let other = user(
        &identity,
        "ok",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    )
    .await;
    identity
        .authorize(&other, &Access::new("iam:GetUser", "*"))
        .await
        .unwrap();
    let broken = user(&identity, "broken", "{not json").await;
    let result = identity
        .authorize(&broken, &Access::new("iam:GetUser", "*"))
        .await;
    assert!(matches!(result, Err(IamError::Internal(_))), "{result:?}");
}
