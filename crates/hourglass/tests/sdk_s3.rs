//! End-to-end tests: the AWS SDK for Rust (aws-sdk-s3) against the real `hourglass` binary,
//! with temporary credentials from STS AssumeRole.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use common::{Server, doc, role_and_user, session, sts_with, unique};

/// Session credentials of a role allowed `role_policy`, assumed by a user of the account.
async fn assume(srv: &Server, role_policy: &str) -> aws_credential_types::Credentials {
    let (_, arn, user) = role_and_user(srv, role_policy).await;
    let out = sts_with(srv, user)
        .assume_role()
        .role_arn(&arn)
        .role_session_name("sdk-s3")
        .send()
        .await
        .unwrap();
    let c = session(&out);
    assert!(c.access_key_id().starts_with("ASIA"));
    c
}

fn s3(srv: &Server, c: aws_credential_types::Credentials) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(&srv.endpoint)
        .force_path_style(true)
        .credentials_provider(c)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

async fn body(out: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn objects_listing_multipart_copy_and_presign() {
    let srv = Server::start();
    let c = s3(
        &srv,
        assume(
            &srv,
            &doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#),
        )
        .await,
    );
    let bucket = unique("sdk");
    c.create_bucket().bucket(&bucket).send().await.unwrap();

    let put = c
        .put_object()
        .bucket(&bucket)
        .key("dir/hello world.txt")
        .body(ByteStream::from_static(b"hello world"))
        .content_type("text/plain")
        .metadata("k", "v")
        .send()
        .await
        .unwrap();
    assert_eq!(put.e_tag(), Some("\"5eb63bbbe01eeed093cb22bb8f5acdc3\""));
    let got = c
        .get_object()
        .bucket(&bucket)
        .key("dir/hello world.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("text/plain"));
    assert_eq!(
        got.metadata().unwrap().get("k").map(String::as_str),
        Some("v")
    );
    assert_eq!(body(got).await, b"hello world");
    let ranged = c
        .get_object()
        .bucket(&bucket)
        .key("dir/hello world.txt")
        .range("bytes=6-")
        .send()
        .await
        .unwrap();
    assert_eq!(body(ranged).await, b"world");

    let listed = c
        .list_objects_v2()
        .bucket(&bucket)
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let prefixes: Vec<_> = listed
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, vec!["dir/"]);

    // Multipart: two parts, the first at the 5 MiB minimum.
    let mp = c
        .create_multipart_upload()
        .bucket(&bucket)
        .key("mp")
        .send()
        .await
        .unwrap();
    let id = mp.upload_id().unwrap();
    let part1 = vec![7u8; 5 * 1024 * 1024];
    let mut parts = Vec::new();
    for (n, data) in [(1, part1.clone()), (2, b"end".to_vec())] {
        let r = c
            .upload_part()
            .bucket(&bucket)
            .key("mp")
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(data))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(r.e_tag().unwrap())
                .build(),
        );
    }
    let done = c
        .complete_multipart_upload()
        .bucket(&bucket)
        .key("mp")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(done.e_tag().unwrap().ends_with("-2\""));
    let all = body(
        c.get_object()
            .bucket(&bucket)
            .key("mp")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(all.len(), part1.len() + 3);
    assert!(all.ends_with(b"end"));

    c.copy_object()
        .bucket(&bucket)
        .key("copy")
        .copy_source(format!("{bucket}/dir/hello%20world.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        body(
            c.get_object()
                .bucket(&bucket)
                .key("copy")
                .send()
                .await
                .unwrap()
        )
        .await,
        b"hello world"
    );

    let presigned = c
        .get_object()
        .bucket(&bucket)
        .key("copy")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    assert!(presigned.uri().contains("X-Amz-Security-Token="));

    let del = c
        .delete_objects()
        .bucket(&bucket)
        .delete(
            Delete::builder()
                .objects(ObjectIdentifier::builder().key("copy").build().unwrap())
                .objects(ObjectIdentifier::builder().key("mp").build().unwrap())
                .objects(
                    ObjectIdentifier::builder()
                        .key("dir/hello world.txt")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(del.deleted().len(), 3);
    c.delete_bucket().bucket(&bucket).send().await.unwrap();
    let err = c.head_bucket().bucket(&bucket).send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
}

#[tokio::test(flavor = "multi_thread")]
async fn put_only_session_cannot_read() {
    let srv = Server::start();
    let admin = s3(
        &srv,
        assume(
            &srv,
            &doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#),
        )
        .await,
    );
    let bucket = unique("sdkpo");
    admin.create_bucket().bucket(&bucket).send().await.unwrap();
    let writer = s3(
        &srv,
        assume(
            &srv,
            &doc(&format!(
                r#"{{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::{bucket}/*"}}"#
            )),
        )
        .await,
    );
    writer
        .put_object()
        .bucket(&bucket)
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let err = writer
        .get_object()
        .bucket(&bucket)
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    let err = writer
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    let other = unique("sdkother");
    admin.create_bucket().bucket(&other).send().await.unwrap();
    let err = writer
        .put_object()
        .bucket(&other)
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
}
