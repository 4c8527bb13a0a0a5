//! End-to-end tests: STS temporary credentials with the AWS SDK for Rust against the real
//! `hourglass` binary: AssumeRole, working with the session, session policies, chaining
//! and its cap, root refused, revocation and policy changes on live sessions, bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_sts::types::{PolicyDescriptorType, Tag};
use common::{
    ACCOUNT_ID, Server, allow, creds, doc, iam_with, role_and_user, session, sts_with, unique,
};

#[tokio::test(flavor = "multi_thread")]
async fn assume_role_and_work_with_the_session() {
    let srv = Server::start();
    let (role, arn, user) = role_and_user(&srv, &doc(&allow("iam:ListRoles"))).await;
    let out = sts_with(&srv, user.clone())
        .assume_role()
        .role_arn(&arn)
        .role_session_name("sdk-session")
        .send()
        .await
        .unwrap();
    let c = out.credentials.as_ref().unwrap();
    assert!(c.access_key_id.starts_with("ASIA") && c.access_key_id.len() == 20);
    assert_eq!(c.secret_access_key.len(), 40);
    let ar = out.assumed_role_user.as_ref().unwrap();
    assert_eq!(
        ar.arn,
        format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/sdk-session")
    );
    assert!(ar.assumed_role_id.starts_with("AROA") && ar.assumed_role_id.ends_with(":sdk-session"));
    let s = session(&out);
    let ident = sts_with(&srv, s.clone())
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(ident.arn(), Some(ar.arn.as_str()));
    assert_eq!(ident.user_id(), Some(ar.assumed_role_id.as_str()));
    iam_with(&srv, s.clone()).list_roles().send().await.unwrap();
    // Not cumulative: the user's own permissions do not come along, and the role lacks this.
    let err = iam_with(&srv, s.clone())
        .list_users()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    assert!(err.message().unwrap().starts_with(&format!(
        "User: {} is not authorized to perform: iam:ListUsers",
        ar.arn
    )));

    // A policy change applies to the live session at once; so does AWS-style revocation.
    let root = srv.root_iam();
    root.put_role_policy()
        .role_name(&role)
        .policy_name("more")
        .policy_document(doc(&allow("iam:ListUsers")))
        .send()
        .await
        .unwrap();
    iam_with(&srv, s.clone()).list_users().send().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let cutoff = chrono_like_now_plus_one();
    root.put_role_policy()
        .role_name(&role)
        .policy_name("AWSRevokeOlderSessions")
        .policy_document(doc(&format!(
            r#"{{"Effect":"Deny","Action":["*"],"Resource":["*"],"Condition":{{"DateLessThan":{{"aws:TokenIssueTime":"{cutoff}"}}}}}}"#
        )))
        .send()
        .await
        .unwrap();
    let err = iam_with(&srv, s.clone())
        .list_roles()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    // GetCallerIdentity is never denied.
    sts_with(&srv, s)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
}

/// Now + 1 s as ISO-8601 UTC, without a date crate.
fn chrono_like_now_plus_one() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn session_policies_chaining_and_errors() {
    let srv = Server::start();
    let (_role, arn, user) = role_and_user(
        &srv,
        &doc(&format!(
            "{},{}",
            allow("iam:ListRoles"),
            allow("sts:AssumeRole")
        )),
    )
    .await;
    let sts = sts_with(&srv, user.clone());

    // An inline session policy narrows the session and cannot widen it.
    let out = sts
        .assume_role()
        .role_arn(&arn)
        .role_session_name("narrow")
        .policy(doc(&format!(
            "{},{}",
            allow("iam:ListUsers"),
            allow("iam:ListRoles")
        )))
        .send()
        .await
        .unwrap();
    #[allow(deprecated)]
    let packed = out.packed_policy_size.unwrap();
    assert!(packed > 0);
    let s = session(&out);
    iam_with(&srv, s.clone()).list_roles().send().await.unwrap();
    let err = iam_with(&srv, s).list_users().send().await.unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));

    // PolicyArns: a managed session policy.
    let pol = srv
        .root_iam()
        .create_policy()
        .policy_name(unique("sess"))
        .policy_document(doc(&allow("iam:GetUser")))
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    let out = sts
        .assume_role()
        .role_arn(&arn)
        .role_session_name("arns")
        .policy_arns(PolicyDescriptorType::builder().arn(&pol).build())
        .send()
        .await
        .unwrap();
    let err = iam_with(&srv, session(&out))
        .list_roles()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));

    // Chaining: the session may assume a role again, for at most an hour.
    let out = sts
        .assume_role()
        .role_arn(&arn)
        .role_session_name("first")
        .duration_seconds(43200)
        .send()
        .await
        .unwrap();
    let chained = sts_with(&srv, session(&out));
    let err = chained
        .assume_role()
        .role_arn(&arn)
        .role_session_name("second")
        .duration_seconds(7200)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    assert_eq!(
        err.message(),
        Some(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
        )
    );
    chained
        .assume_role()
        .role_arn(&arn)
        .role_session_name("second")
        .send()
        .await
        .unwrap();

    // Root is refused.
    let err = srv
        .root_sts()
        .assume_role()
        .role_arn(&arn)
        .role_session_name("root")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    assert_eq!(
        err.message(),
        Some("Roles may not be assumed by root accounts.")
    );

    // Bad input.
    let err = sts
        .assume_role()
        .role_arn(&arn)
        .role_session_name("has space")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    let err = sts
        .assume_role()
        .role_arn(&arn)
        .role_session_name("json")
        .policy("{not json")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("MalformedPolicyDocument"));
    let mut req = sts.assume_role().role_arn(&arn).role_session_name("eleven");
    for i in 0..11 {
        req = req.policy_arns(
            PolicyDescriptorType::builder()
                .arn(format!("arn:aws:iam::{ACCOUNT_ID}:policy/p{i}"))
                .build(),
        );
    }
    assert_eq!(
        req.send().await.unwrap_err().code(),
        Some("ValidationError")
    );
    let err = sts
        .assume_role()
        .role_arn(format!(
            "arn:aws:iam::{ACCOUNT_ID}:role/{}",
            unique("missing")
        ))
        .role_session_name("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    let err = sts
        .assume_role()
        .role_arn(&arn)
        .role_session_name("tags")
        .tags(Tag::builder().key("k").value("v").build().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    assert!(err.message().unwrap().contains("sts:TagSession"));

    // A tampered token is invalid.
    let c = out.credentials.as_ref().unwrap();
    let mut token = c.session_token.clone().into_bytes();
    let mid = token.len() / 2;
    token[mid] = if token[mid] == b'A' { b'B' } else { b'A' };
    let bad = creds(
        &c.access_key_id,
        &c.secret_access_key,
        Some(std::str::from_utf8(&token).unwrap()),
    );
    let err = sts_with(&srv, bad)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidClientTokenId"));

    // GetSessionToken, and its credentials cannot call IAM.
    let gst = sts.get_session_token().send().await.unwrap();
    let c = gst.credentials.unwrap();
    let s = creds(
        &c.access_key_id,
        &c.secret_access_key,
        Some(&c.session_token),
    );
    let err = iam_with(&srv, s.clone())
        .list_roles()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidClientTokenId"));
    let info = srv
        .root_sts()
        .get_access_key_info()
        .access_key_id(&c.access_key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(info.account(), Some(ACCOUNT_ID));
}
