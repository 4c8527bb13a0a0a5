//! Property tests: whatever the path, query and headers, what the signer signs verifies, and
//! any single-byte change of the signature or of a signed header value does not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Utc};
use hourglass_sigv4::{
    Auth, Credentials, PathMode, Request, SigningKeyCache, SigningParams, VerifyOptions,
    parse_auth, presign_v4, sha256_hex, sign_v2_presigned, sign_v4, verify_v2, verify_v4,
};
use proptest::prelude::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_350_000, 0).unwrap()
}

/// Encodes a key the way botocore does for S3 (`quote(key, safe='/~')`).
fn quote(raw: &str) -> String {
    let mut out = String::new();
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn segment() -> impl Strategy<Value = String> {
    prop::string::string_regex("[a-zA-Z0-9 ._~!$&'()*+,;=:@%ሴé-]{0,12}").unwrap()
}

fn query_item() -> impl Strategy<Value = (String, String)> {
    (
        prop::string::string_regex("[a-zA-Z0-9_.~ +/=-]{1,8}").unwrap(),
        prop::string::string_regex("[a-zA-Z0-9_.~ +/=&é-]{0,10}").unwrap(),
    )
}

fn header() -> impl Strategy<Value = (String, String)> {
    (
        prop::string::string_regex("(x-amz-meta-|my-|content-)[a-z]{1,6}").unwrap(),
        prop::string::string_regex("[ -~]{1,20}")
            .unwrap()
            .prop_filter("needs a visible char", |v| v.trim() != ""),
    )
}

#[derive(Debug)]
struct Case {
    method: &'static str,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec!["GET", "PUT", "POST", "DELETE", "HEAD"]),
        prop::collection::vec(segment(), 0..5),
        prop::collection::vec(query_item(), 0..5),
        prop::collection::vec(header(), 0..5),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(method, segments, query, headers, body)| Case {
            method,
            path: quote(&format!("/{}", segments.join("/"))),
            query: query
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}={}",
                        quote(k).replace('/', "%2F"),
                        quote(v).replace('/', "%2F")
                    )
                })
                .collect::<Vec<_>>()
                .join("&"),
            headers,
            body,
        })
}

fn sign_and_verify(case: &Case, s3: bool) -> Result<(), TestCaseError> {
    let mut headers: Vec<(String, String)> = vec![("Host".into(), "127.0.0.1:18080".into())];
    headers.extend(case.headers.iter().cloned());
    let body_hash = sha256_hex(&case.body);
    let params = SigningParams {
        credentials: Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: SECRET,
            session_token: Some("tok/+="),
        },
        region: "eu-west-1",
        service: if s3 { "s3" } else { "iam" },
        time: now(),
        path_mode: if s3 {
            PathMode::AsSent
        } else {
            PathMode::Normalized
        },
        payload_hash: &body_hash,
        content_sha256_header: s3,
    };
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let unsigned = Request {
        method: case.method,
        path: &case.path,
        query: &case.query,
        headers: &pairs,
    };
    let signed = sign_v4(&unsigned, &params);
    headers.extend(signed.headers.iter().cloned());

    let opts = if s3 {
        VerifyOptions::s3(now())
    } else {
        VerifyOptions::query(&body_hash, now())
    };
    let cache = SigningKeyCache::default();
    let verify = |headers: &[(String, String)]| {
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let req = Request {
            method: case.method,
            path: &case.path,
            query: &case.query,
            headers: &pairs,
        };
        // A tampered date may not even parse: that is a rejection too.
        let Ok(Auth::V4(auth)) = parse_auth(&req) else {
            return None;
        };
        Some((
            auth.security_token.clone(),
            verify_v4(&req, &auth, SECRET, &opts, &cache).is_ok(),
        ))
    };
    let first = verify(&headers);
    prop_assert_eq!(
        first.as_ref().and_then(|(t, _)| t.as_deref()),
        Some("tok/+=")
    );
    prop_assert!(
        first.is_some_and(|(_, ok)| ok),
        "signed request did not verify: {:?}",
        signed.canonical_request
    );
    let verify = |headers: &[(String, String)]| verify(headers).is_some_and(|(_, ok)| ok);

    // Flip one byte of the signature.
    let auth_index = headers
        .iter()
        .position(|(k, _)| k == "Authorization")
        .unwrap();
    let original = headers[auth_index].1.clone();
    let sig_start = original.len() - 64;
    for i in [sig_start, sig_start + 31, original.len() - 1] {
        let mut bytes = original.clone().into_bytes();
        bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
        headers[auth_index].1 = String::from_utf8(bytes).unwrap();
        prop_assert!(!verify(&headers), "tampered signature verified");
    }
    headers[auth_index].1 = original;

    // Change one visible byte of each signed header value (host, meta, date, token, …).
    for h in 0..headers.len() {
        if headers[h].0 == "Authorization" {
            continue;
        }
        let value = headers[h].1.clone();
        let Some(pos) = value.bytes().position(|b| b != b' ') else {
            continue;
        };
        let mut bytes = value.clone().into_bytes();
        bytes[pos] = if bytes[pos] == b'Z' { b'Y' } else { b'Z' };
        headers[h].1 = String::from_utf8(bytes).unwrap();
        prop_assert!(
            !verify(&headers),
            "changing {} still verified",
            headers[h].0
        );
        headers[h].1 = value;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn s3_header_round_trip(case in case()) {
        sign_and_verify(&case, true)?;
    }

    #[test]
    fn query_service_round_trip(case in case()) {
        sign_and_verify(&case, false)?;
    }

    #[test]
    fn presign_round_trips(case in case(), expires in 1u64..=604_800) {
        let headers = [("host", "127.0.0.1:18080")];
        let req = Request { method: case.method, path: &case.path, query: &case.query, headers: &headers };
        let params = SigningParams {
            credentials: Credentials { access_key_id: "ASIAEXAMPLE", secret_access_key: SECRET, session_token: Some("TOKEN/+=") },
            region: "us-east-1",
            service: "s3",
            time: now(),
            path_mode: PathMode::AsSent,
            payload_hash: "UNSIGNED-PAYLOAD",
            content_sha256_header: false,
        };
        let query = presign_v4(&req, &params, expires);
        let presigned = Request { query: &query, ..req };
        let Auth::V4(auth) = parse_auth(&presigned).unwrap() else { panic!("not v4") };
        prop_assert_eq!(auth.expires, Some(expires));
        let cache = SigningKeyCache::default();
        let at = |secs: i64| verify_v4(&presigned, &auth, SECRET, &VerifyOptions::s3(now() + chrono::Duration::seconds(secs)), &cache);
        prop_assert!(at(0).is_ok());
        prop_assert!(at(expires as i64).is_ok());
        prop_assert!(at(expires as i64 + 1).is_err());
        let mut wrong = auth.clone();
        wrong.signature.replace_range(0..1, if wrong.signature.starts_with('0') { "1" } else { "0" });
        prop_assert!(verify_v4(&presigned, &wrong, SECRET, &VerifyOptions::s3(now()), &cache).is_err());

        let creds = Credentials { access_key_id: "ASIAEXAMPLE", secret_access_key: SECRET, session_token: Some("TOKEN/+=") };
        let v2_query = sign_v2_presigned(&req, &creds, now().timestamp() + expires as i64);
        let v2_req = Request { query: &v2_query, ..req };
        let Auth::V2(v2) = parse_auth(&v2_req).unwrap() else { panic!("not v2") };
        prop_assert!(verify_v2(&v2_req, &v2, SECRET, now()).is_ok());
        prop_assert!(verify_v2(&v2_req, &v2, "other", now()).is_err());
        let other_path = format!("{}x", case.path);
        let moved = Request { path: &other_path, ..v2_req };
        prop_assert!(verify_v2(&moved, &v2, SECRET, now()).is_err());
    }
}

/// The S3 fallback: a client that signs the path with `!*'()` left unescaped still verifies.
#[test]
fn s3_reencoded_path_fallback() {
    let body_hash = sha256_hex(b"");
    let params = SigningParams {
        credentials: Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: SECRET,
            session_token: None,
        },
        region: "us-east-1",
        service: "s3",
        time: now(),
        path_mode: PathMode::AsSent,
        payload_hash: &body_hash,
        content_sha256_header: true,
    };
    let host = [("Host", "h")];
    // The client signs the strictly encoded form but sends the characters raw.
    let signing_view = Request {
        method: "GET",
        path: "/bkt/it%27s%281%29%2A%21",
        query: "",
        headers: &host,
    };
    let signed = sign_v4(&signing_view, &params);
    let mut headers: Vec<(&str, &str)> = host.to_vec();
    headers.extend(signed.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let req = Request {
        method: "GET",
        path: "/bkt/it's(1)*!",
        query: "",
        headers: &headers,
    };
    let Auth::V4(auth) = parse_auth(&req).unwrap() else {
        panic!("not v4")
    };
    let cache = SigningKeyCache::default();
    assert!(verify_v4(&req, &auth, SECRET, &VerifyOptions::s3(now()), &cache).is_ok());
    // The fallback re-encodes; it does not make a different path acceptable.
    let other = Request {
        path: "/bkt/its(1)*!",
        ..req
    };
    assert!(verify_v4(&other, &auth, SECRET, &VerifyOptions::s3(now()), &cache).is_err());
}
