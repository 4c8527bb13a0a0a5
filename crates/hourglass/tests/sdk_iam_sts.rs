//! End-to-end tests: the AWS SDK for Rust (aws-sdk-iam, aws-sdk-sts) against the real
//! `hourglass` binary started on 127.0.0.1:0.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::operation::create_access_key::CreateAccessKeyError;
use aws_sdk_iam::operation::create_user::CreateUserError;
use aws_sdk_iam::operation::delete_user::DeleteUserError;
use aws_sdk_iam::operation::get_user::GetUserError;
use aws_sdk_iam::types::{StatusType, Tag};
use common::{ACCOUNT_ID, ROOT_ARN, Server, unique};

const INVALID_TOKEN: &str = "The security token included in the request is invalid";

fn status<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

async fn user_with_key(srv: &Server) -> (String, String, String) {
    let iam = srv.root_iam();
    let name = unique("sdk");
    iam.create_user().user_name(&name).send().await.unwrap();
    let ak = iam
        .create_access_key()
        .user_name(&name)
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    (name, ak.access_key_id, ak.secret_access_key)
}

#[tokio::test(flavor = "multi_thread")]
async fn root_caller_identity_and_get_user() {
    let srv = Server::start();
    let ident = srv.root_sts().get_caller_identity().send().await.unwrap();
    assert_eq!(ident.account(), Some(ACCOUNT_ID));
    assert_eq!(ident.arn(), Some(ROOT_ARN));
    assert_eq!(ident.user_id(), Some(ACCOUNT_ID));

    let user = srv
        .root_iam()
        .get_user()
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    assert_eq!(user.user_id, ACCOUNT_ID);
    assert_eq!(user.arn, ROOT_ARN);
}

#[tokio::test(flavor = "multi_thread")]
async fn create_user_create_key_and_call_as_that_user() {
    let srv = Server::start();
    let iam = srv.root_iam();
    let name = unique("alice");
    let user = iam
        .create_user()
        .user_name(&name)
        .path("/eng/")
        .tags(Tag::builder().key("team").value("x").build().unwrap())
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    assert_eq!(user.user_name, name);
    assert_eq!(user.path, "/eng/");
    assert_eq!(
        user.arn,
        format!("arn:aws:iam::{ACCOUNT_ID}:user/eng/{name}")
    );
    assert!(
        user.user_id.starts_with("AIDA") && user.user_id.len() == 21,
        "{}",
        user.user_id
    );

    let ak = iam
        .create_access_key()
        .user_name(&name)
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    assert_eq!(ak.user_name, name);
    assert_eq!(ak.status, StatusType::Active);
    assert!(ak.access_key_id.starts_with("AKIA") && ak.access_key_id.len() == 20);
    assert!(
        ak.access_key_id[4..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
        "{}",
        ak.access_key_id
    );
    assert_eq!(ak.secret_access_key.len(), 40);
    assert!(
        ak.secret_access_key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '+')
    );

    let ident = srv
        .sts(&ak.access_key_id, &ak.secret_access_key)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(ident.arn(), Some(user.arn.as_str()));
    assert_eq!(ident.user_id(), Some(user.user_id.as_str()));
    assert_eq!(ident.account(), Some(ACCOUNT_ID));

    let got = iam
        .get_user()
        .user_name(&name)
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    assert_eq!(got.user_id, user.user_id);
    let tags = got.tags.unwrap_or_default();
    assert_eq!(tags.len(), 1);
    assert_eq!((tags[0].key(), tags[0].value()), ("team", "x"));
}

#[tokio::test(flavor = "multi_thread")]
async fn modeled_errors_for_users() {
    let srv = Server::start();
    let iam = srv.root_iam();
    let name = unique("dup");
    iam.create_user().user_name(&name).send().await.unwrap();

    let err = iam.create_user().user_name(&name).send().await.unwrap_err();
    assert_eq!(status(&err), Some(409));
    match err.into_service_error() {
        CreateUserError::EntityAlreadyExistsException(e) => {
            assert_eq!(
                e.message(),
                Some(format!("User with name {name} already exists.").as_str())
            );
        }
        other => panic!("expected EntityAlreadyExistsException, got {other:?}"),
    }

    let ghost = unique("ghost");
    let err = iam.get_user().user_name(&ghost).send().await.unwrap_err();
    assert_eq!(status(&err), Some(404));
    match err.into_service_error() {
        GetUserError::NoSuchEntityException(e) => {
            assert_eq!(
                e.message(),
                Some(format!("The user with name {ghost} cannot be found.").as_str())
            );
        }
        other => panic!("expected NoSuchEntityException, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn list_users_with_pagination() {
    let srv = Server::start();
    let iam = srv.root_iam();
    let prefix = format!("/{}/", unique("page"));
    let mut names = Vec::new();
    for i in 0..5 {
        let n = unique(&format!("p{i}"));
        iam.create_user()
            .user_name(&n)
            .path(&prefix)
            .send()
            .await
            .unwrap();
        names.push(n);
    }
    iam.create_user()
        .user_name(unique("elsewhere"))
        .send()
        .await
        .unwrap();
    names.sort();

    // by hand
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = iam
            .list_users()
            .path_prefix(&prefix)
            .max_items(2)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(page.users.len() <= 2);
        seen.extend(page.users.iter().map(|u| u.user_name.clone()));
        if page.is_truncated {
            marker = Some(page.marker.clone().expect("Marker when truncated"));
        } else {
            assert!(page.marker.is_none());
            break;
        }
        assert!(pages < 10, "pagination does not terminate");
    }
    assert_eq!(pages, 3);
    seen.sort();
    assert_eq!(seen, names);

    // with the SDK paginator
    let mut all: Vec<String> = iam
        .list_users()
        .path_prefix(&prefix)
        .max_items(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.user_name)
        .collect();
    all.sort();
    assert_eq!(all, names);

    // an empty page
    let empty = iam
        .list_users()
        .path_prefix("/nothing-here/")
        .send()
        .await
        .unwrap();
    assert!(empty.users.is_empty());
    assert!(!empty.is_truncated);
}

#[tokio::test(flavor = "multi_thread")]
async fn third_access_key_is_limit_exceeded() {
    let srv = Server::start();
    let iam = srv.root_iam();
    let name = unique("quota");
    iam.create_user().user_name(&name).send().await.unwrap();
    for _ in 0..2 {
        iam.create_access_key()
            .user_name(&name)
            .send()
            .await
            .unwrap();
    }
    let err = iam
        .create_access_key()
        .user_name(&name)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), Some(409));
    match err.into_service_error() {
        CreateAccessKeyError::LimitExceededException(e) => {
            assert_eq!(
                e.message(),
                Some("Cannot exceed quota for AccessKeysPerUser: 2")
            );
        }
        other => panic!("expected LimitExceededException, got {other:?}"),
    }
    let keys = iam
        .list_access_keys()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(keys.access_key_metadata.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_create_access_key_gives_exactly_two() {
    let srv = Server::start();
    let name = unique("race");
    srv.root_iam()
        .create_user()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let iam = srv.root_iam();
        let name = name.clone();
        tasks.push(tokio::spawn(async move {
            iam.create_access_key().user_name(name).send().await
        }));
    }
    let mut ok = 0;
    let mut limited = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => match e.into_service_error() {
                CreateAccessKeyError::LimitExceededException(_) => limited += 1,
                other => panic!("unexpected error {other:?}"),
            },
        }
    }
    assert_eq!((ok, limited), (2, 8));
    let keys = srv
        .root_iam()
        .list_access_keys()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(keys.access_key_metadata.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_flows() {
    let srv = Server::start();
    let iam = srv.root_iam();
    let (name, akid, secret) = user_with_key(&srv).await;

    let err = iam.delete_user().user_name(&name).send().await.unwrap_err();
    assert_eq!(status(&err), Some(409));
    match err.into_service_error() {
        DeleteUserError::DeleteConflictException(e) => {
            assert_eq!(
                e.message(),
                Some("Cannot delete entity, must delete access keys first.")
            );
        }
        other => panic!("expected DeleteConflictException, got {other:?}"),
    }

    iam.delete_access_key()
        .user_name(&name)
        .access_key_id(&akid)
        .send()
        .await
        .unwrap();
    let keys = iam
        .list_access_keys()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    assert!(keys.access_key_metadata.is_empty());

    // the deleted key is refused
    let err = srv
        .sts(&akid, &secret)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidClientTokenId"));
    assert_eq!(status(&err), Some(403));
    assert!(err.message().unwrap_or_default().starts_with(INVALID_TOKEN));

    iam.delete_user().user_name(&name).send().await.unwrap();
    let err = iam.get_user().user_name(&name).send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        GetUserError::NoSuchEntityException(_)
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn deactivated_key_is_refused_then_works_again() {
    let srv = Server::start();
    let iam = srv.root_iam();
    let (name, akid, secret) = user_with_key(&srv).await;
    let sts = srv.sts(&akid, &secret);
    sts.get_caller_identity().send().await.unwrap();

    iam.update_access_key()
        .user_name(&name)
        .access_key_id(&akid)
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let err = sts.get_caller_identity().send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidClientTokenId"));
    assert_eq!(status(&err), Some(403));
    let err = srv
        .iam(&akid, &secret)
        .list_users()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidClientTokenId"));

    let meta = iam
        .list_access_keys()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        meta.access_key_metadata[0].status(),
        Some(&StatusType::Inactive)
    );

    iam.update_access_key()
        .user_name(&name)
        .access_key_id(&akid)
        .status(StatusType::Active)
        .send()
        .await
        .unwrap();
    let ident = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(
        ident.arn(),
        Some(format!("arn:aws:iam::{ACCOUNT_ID}:user/{name}").as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_secret_is_signature_does_not_match() {
    let srv = Server::start();
    let (_, akid, _) = user_with_key(&srv).await;
    let err = srv
        .sts(&akid, "0123456789012345678901234567890123456789")
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    assert_eq!(status(&err), Some(403));

    let err = srv
        .sts(
            "AKIAQQQQQQQQQQQQQQQQ",
            "0123456789012345678901234567890123456789",
        )
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidClientTokenId"));
}

#[tokio::test(flavor = "multi_thread")]
async fn user_without_policies_is_denied_an_iam_call() {
    let srv = Server::start();
    let (_, akid, secret) = user_with_key(&srv).await;
    let err = srv
        .iam(&akid, &secret)
        .list_users()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    assert_eq!(status(&err), Some(403));
}

#[tokio::test(flavor = "multi_thread")]
async fn get_access_key_last_used_after_use() {
    let srv = Server::start();
    let iam = srv.root_iam();
    let (name, akid, secret) = user_with_key(&srv).await;

    let before = iam
        .get_access_key_last_used()
        .access_key_id(&akid)
        .send()
        .await
        .unwrap();
    assert_eq!(before.user_name(), Some(name.as_str()));
    let lu = before.access_key_last_used().unwrap();
    assert_eq!(lu.service_name(), "N/A");
    assert_eq!(lu.region(), "N/A");
    assert!(lu.last_used_date().is_none());

    let t0 = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    srv.sts_in(&akid, &secret, "eu-west-1")
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    let t1 = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;

    let after = iam
        .get_access_key_last_used()
        .access_key_id(&akid)
        .send()
        .await
        .unwrap();
    let lu = after.access_key_last_used().unwrap();
    assert_eq!(lu.service_name(), "sts");
    assert_eq!(lu.region(), "eu-west-1");
    let used = lu.last_used_date().expect("LastUsedDate after use").secs();
    let slack = Duration::from_secs(61).as_secs() as i64;
    assert!(
        used >= t0 - slack && used <= t1 + slack,
        "{used} not in [{t0}, {t1}]"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn user_tags_round_trip() {
    let srv = Server::start();
    let iam = srv.root_iam();
    let name = unique("tags");
    iam.create_user().user_name(&name).send().await.unwrap();
    iam.tag_user()
        .user_name(&name)
        .tags(Tag::builder().key("a").value("1").build().unwrap())
        .tags(Tag::builder().key("b").value("2").build().unwrap())
        .send()
        .await
        .unwrap();
    iam.untag_user()
        .user_name(&name)
        .tag_keys("a")
        .send()
        .await
        .unwrap();
    let tags = iam.list_user_tags().user_name(&name).send().await.unwrap();
    let kv: Vec<(&str, &str)> = tags.tags.iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(kv, vec![("b", "2")]);
}
