//! The signer reproduces the spec's S3 vectors byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hourglass_sigv4::{
    Credentials, EMPTY_SHA256, PathMode, Request, SigningParams, presign_v4, sign_v4,
    time::parse_amz_date,
};

fn params(payload_hash: &str, content_sha256_header: bool) -> SigningParams<'_> {
    SigningParams {
        credentials: Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            session_token: None,
        },
        region: "us-east-1",
        service: "s3",
        time: parse_amz_date("20130524T000000Z").unwrap(),
        path_mode: PathMode::AsSent,
        payload_hash,
        content_sha256_header,
    }
}

#[test]
fn s3_get_object_header_signature() {
    let headers = [
        ("Host", "examplebucket.s3.amazonaws.com"),
        ("Range", "bytes=0-9"),
        ("User-Agent", "not signed"),
    ];
    let req = Request {
        method: "GET",
        path: "/test.txt",
        query: "",
        headers: &headers,
    };
    let signed = sign_v4(&req, &params(EMPTY_SHA256, true));
    assert_eq!(
        signed.signature,
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    );
    let authorization = &signed
        .headers
        .iter()
        .find(|(k, _)| k == "Authorization")
        .unwrap()
        .1;
    assert_eq!(
        authorization,
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    );
}

#[test]
fn s3_presigned_get_query() {
    let headers = [("Host", "examplebucket.s3.amazonaws.com")];
    let req = Request {
        method: "GET",
        path: "/test.txt",
        query: "",
        headers: &headers,
    };
    assert_eq!(
        presign_v4(&req, &params("UNSIGNED-PAYLOAD", false), 86400),
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    );
}

#[test]
fn chunked_seed_signature() {
    let headers = [
        ("Host", "s3.amazonaws.com"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("Content-Length", "66824"),
    ];
    let req = Request {
        method: "PUT",
        path: "/examplebucket/chunkObject.txt",
        query: "",
        headers: &headers,
    };
    let signed = sign_v4(&req, &params("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", true));
    assert_eq!(
        signed.signature,
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    );
    assert_eq!(signed.signing.seed_signature, signed.signature);
}
