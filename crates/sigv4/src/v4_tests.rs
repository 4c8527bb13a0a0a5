#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::canonical::{EMPTY_SHA256, sha256_hex};
use crate::parse::{Auth, parse_auth};
use crate::time::parse_amz_date;

const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const S3_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn t(s: &str) -> DateTime<Utc> {
    parse_amz_date(s).unwrap()
}

fn v4(req: &Request<'_>) -> V4Auth {
    match parse_auth(req).unwrap() {
        Auth::V4(a) => a,
        other => panic!("{other:?}"),
    }
}

fn mismatch(err: Error) -> SignatureMismatch {
    match err {
        Error::SignatureDoesNotMatch(m) => *m,
        other => panic!("expected mismatch, got {other:?}"),
    }
}

#[test]
fn get_vanilla_from_spec() {
    let headers = [
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
    ];
    let req = Request {
        method: "GET",
        path: "/",
        query: "",
        headers: &headers,
    };
    let auth = v4(&req);
    let cache = SigningKeyCache::default();
    let opts = VerifyOptions::query(EMPTY_SHA256, t("20150830T123600Z"));
    let ok = verify_v4(&req, &auth, SUITE_SECRET, &opts, &cache).unwrap();
    assert_eq!(ok.payload, PayloadMode::Sha256(EMPTY_SHA256.to_string()));
    assert_eq!(ok.scope.service, "service");

    // A wrong secret yields the canonical request and string to sign of the spec.
    let m = mismatch(verify_v4(&req, &auth, "wrong", &opts, &cache).unwrap_err());
    assert_eq!(
        m.canonical_request.as_deref(),
        Some(
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
    );
    assert_eq!(
        m.string_to_sign,
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    );
    assert_eq!(m.access_key_id, "AKIDEXAMPLE");
}

fn s3_get_object_headers(signature: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Host", "examplebucket.s3.amazonaws.com".to_string()),
        ("Range", "bytes=0-9".to_string()),
        ("x-amz-content-sha256", EMPTY_SHA256.to_string()),
        ("x-amz-date", "20130524T000000Z".to_string()),
        (
            "Authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature={signature}"
            ),
        ),
    ]
}

#[test]
fn s3_get_object_vector() {
    let owned =
        s3_get_object_headers("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    let headers: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let req = Request {
        method: "GET",
        path: "/test.txt",
        query: "",
        headers: &headers,
    };
    let auth = v4(&req);
    let cache = SigningKeyCache::default();
    let opts = VerifyOptions::s3(t("20130524T000500Z"));
    let ok = verify_v4(&req, &auth, S3_SECRET, &opts, &cache).unwrap();
    assert_eq!(ok.payload, PayloadMode::Sha256(EMPTY_SHA256.to_string()));
    assert_eq!(
        hex::encode(ok.signing.key),
        "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378"
    );
    // Changing the method breaks it.
    let req2 = Request {
        method: "HEAD",
        ..req
    };
    assert!(verify_v4(&req2, &auth, S3_SECRET, &opts, &cache).is_err());
}

#[test]
fn s3_presigned_get_vector() {
    let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    let headers = [("Host", "examplebucket.s3.amazonaws.com")];
    let req = Request {
        method: "GET",
        path: "/test.txt",
        query,
        headers: &headers,
    };
    let auth = v4(&req);
    let cache = SigningKeyCache::default();
    let ok = verify_v4(
        &req,
        &auth,
        S3_SECRET,
        &VerifyOptions::s3(t("20130524T120000Z")),
        &cache,
    )
    .unwrap();
    assert_eq!(ok.payload, PayloadMode::Unsigned);
    assert_eq!(ok.location, AuthLocation::Query);

    // Window: [date - 15 min, date + expires].
    let at = |now: &str| verify_v4(&req, &auth, S3_SECRET, &VerifyOptions::s3(t(now)), &cache);
    assert!(at("20130525T000000Z").is_ok());
    assert!(at("20130523T234500Z").is_ok());
    let err = at("20130525T000001Z").unwrap_err();
    assert_eq!(err.to_string(), "Request has expired");
    assert_eq!((err.s3_code(), err.s3_status()), ("AccessDenied", 403));
    match err {
        Error::PresignExpired {
            expires_seconds,
            expired_at,
            ..
        } => {
            assert_eq!(expires_seconds, Some(86400));
            assert_eq!(expired_at, t("20130525T000000Z"));
        }
        other => panic!("{other:?}"),
    }
    let err = at("20130523T234459Z").unwrap_err();
    assert_eq!(err.to_string(), "Request is not yet valid");

    // S3 requires X-Amz-Expires.
    let no_expires = query.replace("&X-Amz-Expires=86400", "");
    let req3 = Request {
        query: &no_expires,
        ..req
    };
    let auth3 = v4(&req3);
    let err = verify_v4(
        &req3,
        &auth3,
        S3_SECRET,
        &VerifyOptions::s3(t("20130524T000000Z")),
        &cache,
    )
    .unwrap_err();
    assert_eq!(err.s3_code(), "AuthorizationQueryParametersError");
}

#[test]
fn header_skew_window() {
    let owned =
        s3_get_object_headers("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    let headers: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let req = Request {
        method: "GET",
        path: "/test.txt",
        query: "",
        headers: &headers,
    };
    let auth = v4(&req);
    let cache = SigningKeyCache::default();
    let at = |now: &str| verify_v4(&req, &auth, S3_SECRET, &VerifyOptions::s3(t(now)), &cache);
    assert!(at("20130524T001500Z").is_ok());
    assert!(at("20130523T234500Z").is_ok());
    let err = at("20130524T001501Z").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Signature expired: 20130524T000000Z is now earlier than 20130524T000001Z (20130524T001501Z - 15 min.)"
    );
    assert_eq!(err.s3_code(), "RequestTimeTooSkewed");
    let err = at("20130523T234459Z").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Signature not yet current: 20130524T000000Z is still later than 20130523T235959Z (20130523T234459Z + 15 min.)"
    );
}

#[test]
fn s3_unsigned_amz_headers_are_rejected() {
    let mut owned =
        s3_get_object_headers("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    owned.push(("X-Amz-Acl", "public-read".to_string()));
    owned.push(("x-amz-meta-a", "1".to_string()));
    let headers: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let req = Request {
        method: "GET",
        path: "/test.txt",
        query: "",
        headers: &headers,
    };
    let auth = v4(&req);
    let cache = SigningKeyCache::default();
    let err = verify_v4(
        &req,
        &auth,
        S3_SECRET,
        &VerifyOptions::s3(t("20130524T000000Z")),
        &cache,
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::HeadersNotSigned {
            headers: vec!["x-amz-acl".to_string(), "x-amz-meta-a".to_string()]
        }
    );
    assert_eq!(err.s3_code(), "AccessDenied");
    assert_eq!(
        err.to_string(),
        "There were headers present in the request which were not signed"
    );
}

#[test]
fn host_must_be_signed() {
    let headers = [
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=x-amz-date, Signature=00",
        ),
    ];
    let req = Request {
        method: "GET",
        path: "/",
        query: "",
        headers: &headers,
    };
    let auth = v4(&req);
    let err = verify_v4(
        &req,
        &auth,
        SUITE_SECRET,
        &VerifyOptions::query(EMPTY_SHA256, t("20150830T123600Z")),
        &SigningKeyCache::default(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::HeadersNotSigned {
            headers: vec!["host".to_string()]
        }
    );
}

#[test]
fn s3_content_sha256_rules() {
    let cache = SigningKeyCache::default();
    let check = |value: Option<&str>| {
        let mut headers = vec![
            ("Host", "h"),
            ("x-amz-date", "20130524T000000Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=00",
            ),
        ];
        if let Some(v) = value {
            headers.push(("x-amz-content-sha256", v));
        }
        let req = Request {
            method: "PUT",
            path: "/b/k",
            query: "",
            headers: &headers,
        };
        let auth = v4(&req);
        verify_v4(
            &req,
            &auth,
            S3_SECRET,
            &VerifyOptions::s3(t("20130524T000000Z")),
            &cache,
        )
        .unwrap_err()
    };
    assert_eq!(check(None), Error::MissingContentSha256);
    assert_eq!(check(None).s3_code(), "InvalidRequest");
    assert!(matches!(
        check(Some("abc")),
        Error::InvalidContentSha256 { .. }
    ));
    assert_eq!(
        check(Some("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD")).s3_code(),
        "NotImplemented"
    );
    for ok in [
        UNSIGNED_PAYLOAD,
        STREAMING_PAYLOAD,
        STREAMING_PAYLOAD_TRAILER,
        STREAMING_UNSIGNED_PAYLOAD_TRAILER,
        EMPTY_SHA256,
    ] {
        assert!(
            matches!(check(Some(ok)), Error::SignatureDoesNotMatch(_)),
            "{ok}"
        );
    }
}

#[test]
fn query_post_body_is_authenticated() {
    // Signed by hand with the spec's algorithm: IAM CreateUser as botocore sends it.
    let body = b"Action=CreateUser&Version=2010-05-08&UserName=alice";
    let body_hash = sha256_hex(body);
    let date = "20261122T122616Z";
    let creq = format!(
        "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\nhost:127.0.0.1:18081\nx-amz-date:{date}\n\ncontent-type;host;x-amz-date\n{body_hash}"
    );
    let scope = "20261122/us-east-1/iam/aws4_request";
    let sts = string_to_sign(date, scope, &creq);
    let key = crate::key_cache::derive_signing_key("secret", "20261122", "us-east-1", "iam");
    let sig = hex::encode(hmac_sha256(&key, sts.as_bytes()));
    let authz = format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/{scope}, SignedHeaders=content-type;host;x-amz-date, Signature={sig}"
    );
    let headers = [
        ("Host", "127.0.0.1:18081"),
        (
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
        ("X-Amz-Date", date),
        ("Authorization", authz.as_str()),
        ("Content-Length", "51"),
    ];
    let req = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
    };
    let auth = v4(&req);
    let cache = SigningKeyCache::default();
    let now = t(date);
    assert!(
        verify_v4(
            &req,
            &auth,
            "secret",
            &VerifyOptions::query(&body_hash, now),
            &cache
        )
        .is_ok()
    );
    let tampered = sha256_hex(b"Action=CreateUser&Version=2010-05-08&UserName=mallory");
    assert!(
        verify_v4(
            &req,
            &auth,
            "secret",
            &VerifyOptions::query(&tampered, now),
            &cache
        )
        .is_err()
    );
}
