#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::parse::{Auth, parse_auth};
use crate::signer::{Credentials, sign_v2_header, sign_v2_presigned};

fn v2(req: &Request<'_>) -> V2Auth {
    match parse_auth(req).unwrap() {
        Auth::V2(a) => a,
        other => panic!("{other:?}"),
    }
}

fn at(epoch: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(epoch, 0).unwrap()
}

const HOST: [(&str, &str); 1] = [("Host", "127.0.0.1:18081")];

#[test]
fn spec_vectors_string_to_sign() {
    let req = Request {
        method: "GET",
        path: "/bkt/k",
        query: "",
        headers: &HOST,
    };
    let sts = v2_string_to_sign(&req, Some("1795350420"), None);
    assert_eq!(sts, "GET\n\n\n1795350420\n/bkt/k");
    assert_eq!(v2_signature("secret", &sts), "L2k58hTDV9Mk784b4c/DeojjWFU=");
    let sts = v2_string_to_sign(&req, Some("1795350421"), Some("TOKEN/+="));
    assert_eq!(
        sts,
        "GET\n\n\n1795350421\nx-amz-security-token:TOKEN/+=\n/bkt/k"
    );
    assert_eq!(v2_signature("secret", &sts), "p/tDjFbVFwMUcNE93cJ5ZbjIsf0=");
}

#[test]
fn captured_botocore_urls_verify() {
    for (query, expires) in [
        (
            "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=L2k58hTDV9Mk784b4c%2FDeojjWFU%3D&Expires=1795350420",
            1_795_350_420,
        ),
        (
            "AWSAccessKeyId=ASIAEXAMPLE&Signature=p%2FtDjFbVFwMUcNE93cJ5ZbjIsf0%3D&x-amz-security-token=TOKEN%2F%2B%3D&Expires=1795350421",
            1_795_350_421,
        ),
    ] {
        let req = Request {
            method: "GET",
            path: "/bkt/k",
            query,
            headers: &HOST,
        };
        let auth = v2(&req);
        let ok = verify_v2(&req, &auth, "secret", at(expires - 3600)).unwrap();
        assert_eq!(ok.location, AuthLocation::Query);
        assert!(verify_v2(&req, &auth, "secret", at(expires)).is_ok());
        let err = verify_v2(&req, &auth, "secret", at(expires + 1)).unwrap_err();
        assert_eq!(err.to_string(), "Request has expired");
        assert_eq!(err.s3_code(), "AccessDenied");
        let err = verify_v2(&req, &auth, "other", at(expires - 10)).unwrap_err();
        assert_eq!(err.s3_code(), "SignatureDoesNotMatch");
        // The method is signed.
        let put = Request {
            method: "PUT",
            ..req
        };
        assert!(verify_v2(&put, &auth, "secret", at(expires - 10)).is_err());
    }
}

#[test]
fn signer_reproduces_botocore_urls() {
    let req = Request {
        method: "GET",
        path: "/bkt/k",
        query: "",
        headers: &HOST,
    };
    let creds = Credentials {
        access_key_id: "AKIAIOSFODNN7EXAMPLE",
        secret_access_key: "secret",
        session_token: None,
    };
    assert_eq!(
        sign_v2_presigned(&req, &creds, 1_795_350_420),
        "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=L2k58hTDV9Mk784b4c%2FDeojjWFU%3D&Expires=1795350420"
    );
    let creds = Credentials {
        access_key_id: "ASIAEXAMPLE",
        secret_access_key: "secret",
        session_token: Some("TOKEN/+="),
    };
    assert_eq!(
        sign_v2_presigned(&req, &creds, 1_795_350_421),
        "AWSAccessKeyId=ASIAEXAMPLE&Signature=p%2FtDjFbVFwMUcNE93cJ5ZbjIsf0%3D&x-amz-security-token=TOKEN%2F%2B%3D&Expires=1795350421"
    );
}

#[test]
fn header_form_with_amz_headers_and_subresources() {
    // Expected signature computed independently (Python hmac) over the string asserted below.
    let headers = [
        ("Host", "h"),
        ("Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="),
        ("Content-Type", "image/jpeg"),
        ("X-Amz-Acl", "public-read"),
        ("x-amz-date", "Tue, 27 Mar 2007 21:15:45 +0000"),
        ("X-Amz-Meta-ReviewedBy", "joe@example.com"),
        ("X-Amz-Meta-ReviewedBy", " jane@example.com "),
        ("Date", "ignored when x-amz-date is sent"),
        (
            "Authorization",
            "AWS AKIAIOSFODNN7EXAMPLE:BlgfS8wwn8T8g7a0ty+2E5Jb474=",
        ),
    ];
    let req = Request {
        method: "PUT",
        path: "/bkt/photos/puppy.jpg",
        query: "versionId=v%201&acl&list-type=2",
        headers: &headers,
    };
    assert_eq!(
        v2_string_to_sign(&req, None, None),
        "PUT\n4gJE4saaMU4BqNR0kLY+lw==\nimage/jpeg\n\nx-amz-acl:public-read\nx-amz-date:Tue, 27 Mar 2007 21:15:45 +0000\nx-amz-meta-reviewedby:joe@example.com,jane@example.com\n/bkt/photos/puppy.jpg?acl&versionId=v 1"
    );
    let auth = v2(&req);
    let now = auth.date.unwrap();
    assert!(verify_v2(&req, &auth, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", now).is_ok());
    let err = verify_v2(
        &req,
        &auth,
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        now + Duration::seconds(901),
    )
    .unwrap_err();
    assert_eq!(err.s3_code(), "RequestTimeTooSkewed");
    let creds = Credentials {
        access_key_id: "AKIAIOSFODNN7EXAMPLE",
        secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        session_token: None,
    };
    assert_eq!(
        sign_v2_header(&req, &creds),
        "AWS AKIAIOSFODNN7EXAMPLE:BlgfS8wwn8T8g7a0ty+2E5Jb474="
    );
}

#[test]
fn header_form_uses_date_without_x_amz_date() {
    let headers = [
        ("Date", "Tue, 27 Mar 2007 19:36:42 +0000"),
        ("Authorization", "AWS AKID:placeholder"),
    ];
    let req = Request {
        method: "GET",
        path: "",
        query: "",
        headers: &headers,
    };
    assert_eq!(
        v2_string_to_sign(&req, None, None),
        "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/"
    );
    let signed = sign_v2_header(
        &req,
        &Credentials {
            access_key_id: "AKID",
            secret_access_key: "s",
            session_token: None,
        },
    );
    let headers = [
        ("Date", "Tue, 27 Mar 2007 19:36:42 +0000"),
        ("Authorization", signed.as_str()),
    ];
    let req = Request {
        headers: &headers,
        ..req
    };
    let auth = v2(&req);
    assert!(verify_v2(&req, &auth, "s", auth.date.unwrap()).is_ok());
}
