#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

fn req<'a>(query: &'a str, headers: &'a [(&'a str, &'a str)]) -> Request<'a> {
    Request {
        method: "GET",
        path: "/",
        query,
        headers,
    }
}

fn v4(auth: Auth) -> V4Auth {
    match auth {
        Auth::V4(a) => a,
        other => panic!("not v4: {other:?}"),
    }
}

#[test]
fn header_v4_any_order_and_spacing() {
    for value in [
        AUTH.to_string(),
        AUTH.replace(", ", ","),
        "AWS4-HMAC-SHA256 Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31,SignedHeaders=content-type;host;x-amz-date,  Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request".to_string(),
    ] {
        let headers = [
            ("Authorization", value.as_str()),
            ("X-Amz-Date", "20150830T123600Z"),
            ("X-Amz-Security-Token", "tok"),
        ];
        let a = v4(parse_auth(&req("", &headers)).unwrap());
        assert_eq!(a.location, AuthLocation::Header);
        assert_eq!(a.access_key_id, "AKIDEXAMPLE");
        assert_eq!(a.scope.service, "iam");
        assert_eq!(a.scope.to_scope_string(), "20150830/us-east-1/iam/aws4_request");
        assert_eq!(a.signed_headers, ["content-type", "host", "x-amz-date"]);
        assert_eq!(a.amz_date, "20150830T123600Z");
        assert_eq!(a.security_token.as_deref(), Some("tok"));
        assert_eq!(a.expires, None);
    }
}

#[test]
fn header_v4_date_header_fallback() {
    let headers = [
        ("Authorization", AUTH),
        ("Date", "Sun, 30 Aug 2015 12:36:00 GMT"),
    ];
    let a = v4(parse_auth(&req("", &headers)).unwrap());
    assert_eq!(a.amz_date, "20150830T123600Z");
}

#[test]
fn header_v4_missing_parts_and_date() {
    let headers = [(
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request",
    )];
    let err = parse_auth(&req("", &headers)).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("requires 'Signature' parameter"), "{msg}");
    assert!(msg.contains("requires 'SignedHeaders' parameter"), "{msg}");
    assert!(msg.contains("'X-Amz-Date' or a 'Date' header"), "{msg}");
    assert_eq!(err.query_code(), "IncompleteSignature");
    assert_eq!(err.s3_code(), "AuthorizationHeaderMalformed");

    let headers = [("Authorization", AUTH)];
    assert_eq!(parse_auth(&req("", &headers)), Err(Error::MissingDate));
    let headers = [("Authorization", AUTH), ("X-Amz-Date", "yesterday")];
    assert_eq!(parse_auth(&req("", &headers)), Err(Error::MissingDate));
}

#[test]
fn header_v4_bad_scope() {
    for cred in [
        "AKIDEXAMPLE/20150830/us-east-1/iam",
        "AKIDEXAMPLE/20150830/us-east-1/iam/aws5_request",
        "/20150830/us-east-1/iam/aws4_request",
        "AKIDEXAMPLE/2015083/us-east-1/iam/aws4_request",
        "AKIDEXAMPLE/20150830/us-east-1//aws4_request",
        "AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request/x",
    ] {
        let value = AUTH.replace("AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request", cred);
        let headers = [
            ("Authorization", value.as_str()),
            ("X-Amz-Date", "20150830T123600Z"),
        ];
        let err = parse_auth(&req("", &headers)).unwrap_err();
        assert!(
            matches!(err, Error::MalformedCredential { .. }),
            "{cred}: {err:?}"
        );
    }
    let headers = [("Authorization", AUTH), ("X-Amz-Date", "20150831T000000Z")];
    let err = parse_auth(&req("", &headers)).unwrap_err();
    assert!(matches!(err, Error::ScopeDateMismatch { .. }));
    assert_eq!(
        err.to_string(),
        "Invalid credential date. Date is not the same as X-Amz-Date."
    );
}

#[test]
fn header_v4_empty_region_is_a_scope() {
    // boto3 with region_name='' signs `AKID/DATE//iam/aws4_request`.
    let value = AUTH.replace(
        "AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request",
        "AKIDEXAMPLE/20150830//iam/aws4_request",
    );
    let headers = [
        ("Authorization", value.as_str()),
        ("X-Amz-Date", "20150830T123600Z"),
    ];
    let auth = v4(parse_auth(&req("", &headers)).unwrap());
    assert_eq!(auth.scope.region, "");
    assert_eq!(auth.scope.service, "iam");
}

#[test]
fn header_v4_duplicate_and_unknown_parameters() {
    let dup = format!("{AUTH}, Signature=00");
    let headers = [
        ("Authorization", dup.as_str()),
        ("X-Amz-Date", "20150830T123600Z"),
    ];
    assert!(matches!(
        parse_auth(&req("", &headers)),
        Err(Error::IncompleteSignature { .. })
    ));
    let junk = format!("{AUTH}, Foo");
    let headers = [
        ("Authorization", junk.as_str()),
        ("X-Amz-Date", "20150830T123600Z"),
    ];
    assert!(matches!(
        parse_auth(&req("", &headers)),
        Err(Error::IncompleteSignature { .. })
    ));
}

#[test]
fn unsupported_schemes() {
    let headers = [("Authorization", "AWS4-ECDSA-P256-SHA256 Credential=x")];
    let err = parse_auth(&req("", &headers)).unwrap_err();
    assert_eq!(err.s3_code(), "InvalidArgument");
    let headers = [("Authorization", "Bearer abc")];
    assert!(matches!(
        parse_auth(&req("", &headers)),
        Err(Error::UnsupportedAlgorithm { .. })
    ));
}

const PRESIGN: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

#[test]
fn presigned_v4() {
    let q = format!("{PRESIGN}&X-Amz-Security-Token=TOKEN%2F%2B%3D");
    let a = v4(parse_auth(&req(&q, &[])).unwrap());
    assert_eq!(a.location, AuthLocation::Query);
    assert_eq!(a.access_key_id, "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(a.scope.service, "s3");
    assert_eq!(a.expires, Some(86400));
    assert_eq!(a.security_token.as_deref(), Some("TOKEN/+="));
    assert_eq!(a.signed_headers_raw, "host");
}

#[test]
fn presigned_v4_expires_rules() {
    let expect = |expires: &str, message: &str| {
        let q = PRESIGN.replace("X-Amz-Expires=86400", &format!("X-Amz-Expires={expires}"));
        let err = parse_auth(&req(&q, &[])).unwrap_err();
        assert_eq!(err.to_string(), message, "{expires}");
        assert_eq!(err.s3_code(), "AuthorizationQueryParametersError");
        assert_eq!(err.s3_status(), 400);
    };
    let week = "X-Amz-Expires must be less than a week (in seconds) that is, the given X-Amz-Expires must be less than 604800 seconds";
    expect("604801", week);
    expect("99999999999999999999999", week);
    expect("-1", "X-Amz-Expires must be non-negative");
    expect("abc", "X-Amz-Expires should be a number");
    let q = PRESIGN.replace("X-Amz-Expires=86400", "X-Amz-Expires=604800");
    assert_eq!(
        v4(parse_auth(&req(&q, &[])).unwrap()).expires,
        Some(604_800)
    );
}

#[test]
fn presigned_v4_missing_params() {
    let q = PRESIGN.replace("X-Amz-Date=20130524T000000Z&", "");
    let err = parse_auth(&req(&q, &[])).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Query-string authentication version 4 requires")
    );
    let q = PRESIGN.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1");
    assert!(matches!(
        parse_auth(&req(&q, &[])),
        Err(Error::QueryParameters { .. })
    ));
}

#[test]
fn header_and_presign_conflict() {
    let headers = [("Authorization", AUTH), ("X-Amz-Date", "20150830T123600Z")];
    assert_eq!(
        parse_auth(&req(PRESIGN, &headers)),
        Err(Error::ConflictingAuth)
    );
    assert_eq!(
        parse_auth(&req("AWSAccessKeyId=a&Signature=b&Expires=1", &headers)),
        Err(Error::ConflictingAuth)
    );
}

#[test]
fn v2_header_and_query() {
    let headers = [
        (
            "Authorization",
            "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
        ),
        ("Date", "Tue, 27 Mar 2007 19:36:42 +0000"),
    ];
    match parse_auth(&req("", &headers)).unwrap() {
        Auth::V2(a) => {
            assert_eq!(a.access_key_id, "AKIAIOSFODNN7EXAMPLE");
            assert_eq!(a.signature, "frJIUN8DYpKDtOLCwo//yllqDzg=");
            assert_eq!(a.location, AuthLocation::Header);
            assert!(a.date.is_some());
        }
        other => panic!("{other:?}"),
    }
    let headers = [
        ("Authorization", "AWS nocolon"),
        ("Date", "Tue, 27 Mar 2007 19:36:42 +0000"),
    ];
    assert_eq!(
        parse_auth(&req("", &headers)),
        Err(Error::MalformedV2Header)
    );

    let q = "AWSAccessKeyId=ASIAX&Signature=p%2FtDjFbVFwMUcNE93cJ5ZbjIsf0%3D&x-amz-security-token=TOKEN%2F%2B%3D&Expires=1795350421";
    match parse_auth(&req(q, &[])).unwrap() {
        Auth::V2(a) => {
            assert_eq!(a.signature, "p/tDjFbVFwMUcNE93cJ5ZbjIsf0=");
            assert_eq!(a.security_token.as_deref(), Some("TOKEN/+="));
            assert_eq!(a.expires.as_deref(), Some("1795350421"));
            assert_eq!(a.location, AuthLocation::Query);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse_auth(&req("AWSAccessKeyId=a&Signature=b", &[])),
        Err(Error::QueryParameters { .. })
    ));
}

#[test]
fn anonymous() {
    assert_eq!(
        parse_auth(&req("list-type=2", &[("Host", "h")])),
        Ok(Auth::Anonymous)
    );
}
