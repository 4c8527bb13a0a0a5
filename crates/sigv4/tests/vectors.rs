//! The aws-c-auth SigV4 test suite (`tests/vectors/v4/<case>/`) and the values the spec
//! lists as verified. Every `*-signed-request.txt` is a complete signed request: it must
//! verify with the suite's secret, and any change to its signature must not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use hourglass_sigv4::{
    Auth, AuthLocation, Error, PathMode, PayloadSource, Request, SigningKeyCache, V4Auth,
    VerifyOptions, parse_auth, sha256_hex, time::parse_amz_date, verify_v4,
};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

struct RawRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawRequest {
    /// Parses the suite's request format. The target may contain spaces (it is the
    /// unencoded path), a header line starting with whitespace continues the previous
    /// header as another value, and the body follows the empty line.
    fn parse(text: &str) -> RawRequest {
        let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
        let mut lines = head.lines();
        let request_line = lines.next().unwrap();
        let (method, rest) = request_line.split_once(' ').unwrap();
        let target = rest.strip_suffix(" HTTP/1.1").unwrap();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with(' ') || line.starts_with('\t') {
                let name = headers.last().unwrap().0.clone();
                headers.push((name, line.to_string()));
            } else {
                let (k, v) = line.split_once(':').unwrap();
                headers.push((k.to_string(), v.to_string()));
            }
        }
        RawRequest {
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    fn header_pairs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

struct Context {
    normalize: bool,
    signed_body_value: Option<String>,
    token: Option<String>,
}

fn json_string(json: &str, key: &str) -> Option<String> {
    let at = json.find(&format!("\"{key}\""))?;
    let rest = &json[at + key.len() + 2..];
    let rest = rest.split_once('"')?.1;
    Some(rest.split_once('"')?.0.to_string())
}

fn context(dir: &Path) -> Context {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    match fs::read_to_string(dir.join("context.json")) {
        Ok(json) => Context {
            normalize: !json.contains("\"normalize\": false"),
            signed_body_value: json_string(&json, "signed_body_value"),
            token: json_string(&json, "token"),
        },
        Err(_) => Context {
            normalize: !name.ends_with("-unnormalized"),
            signed_body_value: None,
            token: None,
        },
    }
}

fn now() -> DateTime<Utc> {
    parse_amz_date("20150830T123600Z").unwrap()
}

fn case_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/v4");
    let mut dirs: Vec<PathBuf> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    dirs
}

fn v4(req: &Request<'_>) -> V4Auth {
    match parse_auth(req).unwrap() {
        Auth::V4(a) => a,
        other => panic!("not SigV4: {other:?}"),
    }
}

/// Two artefacts of how aws-c-auth writes its `query-signed-request.txt` files, undone the
/// way a real client's request would look:
/// - it signs `x-amz-content-sha256` (the body hash) but does not write that header out;
/// - with a session token it appends `X-Amz-Security-Token` a second time after signing.
fn apply_suite_quirks(raw: &mut RawRequest) {
    let signs_content_sha = raw.query.contains("x-amz-content-sha256");
    let has_content_sha = raw
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("x-amz-content-sha256"));
    if signs_content_sha && !has_content_sha {
        raw.headers
            .push(("x-amz-content-sha256".to_string(), sha256_hex(&raw.body)));
    }
    if let Some((signed, after)) = raw.query.split_once("&X-Amz-Signature=")
        && let Some((signature, extra)) = after.split_once('&')
        && signed.contains(extra)
    {
        raw.query = format!("{signed}&X-Amz-Signature={signature}");
    }
}

fn verify_case(dir: &Path, file: &str, location: AuthLocation) -> Option<Result<(), Error>> {
    let text = fs::read_to_string(dir.join(file)).ok()?;
    let mut raw = RawRequest::parse(&text);
    let ctx = context(dir);
    apply_suite_quirks(&mut raw);
    let headers = raw.header_pairs();
    let req = Request {
        method: &raw.method,
        path: &raw.path,
        query: &raw.query,
        headers: &headers,
    };
    let auth = v4(&req);
    assert_eq!(auth.location, location, "{}", dir.display());
    if let Some(token) = &ctx.token {
        assert_eq!(auth.security_token.as_ref(), Some(token));
    }
    let body_hash = sha256_hex(&raw.body);
    let payload = ctx.signed_body_value.as_deref().unwrap_or(&body_hash);
    let opts = VerifyOptions {
        path_mode: if ctx.normalize {
            PathMode::Normalized
        } else {
            PathMode::AsSent
        },
        payload: PayloadSource::Literal(payload),
        s3_rules: false,
        now: now(),
    };
    let cache = SigningKeyCache::default();
    let result = verify_v4(&req, &auth, SECRET, &opts, &cache).map(|_| ());

    // Flipping any single character of the signature must break it.
    if result.is_ok() {
        let mut tampered = auth.clone();
        for i in 0..tampered.signature.len() {
            let mut sig = auth.signature.clone().into_bytes();
            sig[i] = if sig[i] == b'0' { b'1' } else { b'0' };
            tampered.signature = String::from_utf8(sig).unwrap();
            assert!(
                verify_v4(&req, &tampered, SECRET, &opts, &cache).is_err(),
                "{} accepted a tampered signature",
                dir.display()
            );
        }
    }
    Some(result)
}

#[test]
fn every_suite_case_verifies() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for dir in case_dirs() {
        for (file, location) in [
            ("header-signed-request.txt", AuthLocation::Header),
            ("query-signed-request.txt", AuthLocation::Query),
        ] {
            if let Some(result) = verify_case(&dir, file, location) {
                checked += 1;
                if let Err(e) = result {
                    failures.push(format!("{}/{file}: {e:?}", dir.display()));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 60, "only {checked} signed requests found");
}

fn suite_request(case: &str, file: &str) -> RawRequest {
    let dir = case_dirs().into_iter().find(|d| d.ends_with(case)).unwrap();
    RawRequest::parse(&fs::read_to_string(dir.join(file)).unwrap())
}

fn read_vector(case: &str, file: &str) -> String {
    let dir = case_dirs().into_iter().find(|d| d.ends_with(case)).unwrap();
    fs::read_to_string(dir.join(file)).unwrap()
}

/// S3 must behave like the unnormalized cases: `/example space/` is canonicalised as
/// `/example%20space/` (via the re-encode fallback when the path arrives unencoded).
#[test]
fn get_space_unnormalized_under_s3_rules() {
    let raw = suite_request("get-space-unnormalized", "header-signed-request.txt");
    for path in ["/example space/", "/example%20space/"] {
        let headers = raw.header_pairs();
        let req = Request {
            method: "GET",
            path,
            query: "",
            headers: &headers,
        };
        let auth = v4(&req);
        assert_eq!(
            auth.signature,
            "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"
        );
        let cache = SigningKeyCache::default();
        verify_v4(&req, &auth, SECRET, &VerifyOptions::s3(now()), &cache).unwrap();
    }
}

#[test]
fn post_sts_header_before_and_after() {
    let raw = suite_request("post-sts-header-before", "header-signed-request.txt");
    let headers = raw.header_pairs();
    let req = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
    };
    let auth = v4(&req);
    assert_eq!(
        auth.signature,
        "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"
    );
    assert!(
        auth.signed_headers
            .contains(&"x-amz-security-token".to_string())
    );
    let cache = SigningKeyCache::default();
    let opts = VerifyOptions::query(hourglass_sigv4::EMPTY_SHA256, now());
    let ok = verify_v4(&req, &auth, SECRET, &opts, &cache).unwrap();
    let token = raw
        .headers
        .iter()
        .find(|(k, _)| k == "X-Amz-Security-Token")
        .unwrap();
    assert_eq!(ok.security_token.as_deref(), Some(token.1.as_str()));

    // "after": the token is added after signing; the Query services accept it unsigned.
    let after = suite_request("post-sts-header-after", "header-signed-request.txt");
    let mut headers = after.header_pairs();
    headers.push(token_pair(token));
    let req = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
    };
    let auth = v4(&req);
    assert_eq!(
        auth.signature,
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
    );
    let ok = verify_v4(&req, &auth, SECRET, &opts, &cache).unwrap();
    assert_eq!(ok.security_token.as_deref(), Some(token.1.as_str()));
    // …but S3 does not.
    let mut s3 = VerifyOptions::s3(now());
    s3.payload = PayloadSource::Literal(hourglass_sigv4::EMPTY_SHA256);
    s3.path_mode = PathMode::Normalized;
    let err = verify_v4(&req, &auth, SECRET, &s3, &cache).unwrap_err();
    assert!(
        matches!(err, Error::HeadersNotSigned { ref headers } if headers == &["x-amz-security-token"])
    );
}

fn token_pair(token: &(String, String)) -> (&str, &str) {
    (token.0.as_str(), token.1.as_str())
}

/// The expected canonical request and string to sign files, compared with what the
/// verifier reports on a mismatch.
#[test]
fn canonical_request_files() {
    // post-unsigned-payload: signed request, canonical request, string to sign and signature
    // all from the suite.
    let raw = suite_request("post-unsigned-payload", "header-signed-request.txt");
    let headers = raw.header_pairs();
    let req = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
    };
    let mut auth = v4(&req);
    assert_eq!(
        auth.signature,
        read_vector("post-unsigned-payload", "header-signature.txt")
    );
    auth.signature = "0".repeat(64);
    let opts = VerifyOptions {
        path_mode: PathMode::Normalized,
        payload: PayloadSource::Literal("UNSIGNED-PAYLOAD"),
        s3_rules: false,
        now: now(),
    };
    let cache = SigningKeyCache::default();
    let Err(Error::SignatureDoesNotMatch(m)) = verify_v4(&req, &auth, SECRET, &opts, &cache) else {
        panic!("expected a mismatch");
    };
    assert_eq!(
        m.canonical_request.unwrap(),
        read_vector("post-unsigned-payload", "header-canonical-request.txt")
    );
    assert_eq!(
        m.string_to_sign,
        read_vector("post-unsigned-payload", "header-string-to-sign.txt")
    );

    // post-x-www-form-urlencoded(-parameters): these files come from a suite revision that
    // did not sign x-amz-content-sha256 and used the empty-body hash.
    for (case, content_type) in [
        (
            "post-x-www-form-urlencoded",
            "application/x-www-form-urlencoded",
        ),
        (
            "post-x-www-form-urlencoded-parameters",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
    ] {
        let headers = [
            ("Content-Type", content_type),
            ("Host", "example.amazonaws.com"),
            ("Content-Length", "13"),
            ("X-Amz-Date", "20150830T123600Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000",
            ),
        ];
        let req = Request {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
        };
        let auth = v4(&req);
        let opts = VerifyOptions::query(hourglass_sigv4::EMPTY_SHA256, now());
        let Err(Error::SignatureDoesNotMatch(m)) = verify_v4(&req, &auth, SECRET, &opts, &cache)
        else {
            panic!("expected a mismatch");
        };
        assert_eq!(
            m.canonical_request.unwrap(),
            read_vector(case, "header-canonical-request.txt"),
            "{case}"
        );
        assert_eq!(
            m.string_to_sign,
            read_vector(case, "header-string-to-sign.txt"),
            "{case}"
        );
    }
}
