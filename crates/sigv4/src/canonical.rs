//! Canonical request and string to sign (SigV4).

use sha2::{Digest, Sha256};

use crate::encode::{decode, encode_path, encode_strict_into};
use crate::request::Request;

/// How the path enters the canonical request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathMode {
    /// S3: the path exactly as the client encoded it once; no normalisation.
    AsSent,
    /// Every other service: dot segments removed, `//` collapsed, then URI-encoded again
    /// (the raw path is already encoded once, so this is AWS's "double encoding").
    Normalized,
}

/// Hex SHA-256 of the empty string.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Lower-case hex SHA-256 of `data` (e.g. the body of a Query-protocol request).
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Canonical URI for `path` in the given mode.
pub(crate) fn canonical_uri(path: &str, mode: PathMode) -> String {
    match mode {
        PathMode::AsSent if path.is_empty() => "/".to_string(),
        PathMode::AsSent => path.to_string(),
        PathMode::Normalized => encode_path(normalize_path(path).as_bytes()),
    }
}

/// The S3 fallback: decode the path and re-encode it strictly, for clients that leave
/// characters such as `!`, `(`, `*` unescaped. `None` when it equals the raw path.
pub(crate) fn reencoded_s3_uri(path: &str) -> Option<String> {
    let reencoded = encode_path(&decode(path));
    let reencoded = if reencoded.is_empty() {
        "/".to_string()
    } else {
        reencoded
    };
    (reencoded != canonical_uri(path, PathMode::AsSent)).then_some(reencoded)
}

/// Removes `.` and `..` segments and empty segments, keeping a trailing slash.
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    if segments.is_empty() || path.ends_with('/') {
        out.push('/');
    }
    out
}

/// Canonical query string: decoded, strictly re-encoded, sorted by key then value.
/// `X-Amz-Signature` is left out when `presigned`.
pub(crate) fn canonical_query(req: &Request<'_>, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = req
        .raw_query_items()
        .filter_map(|(k, v)| {
            let key = decode(k);
            if presigned && key == b"X-Amz-Signature" {
                return None;
            }
            let mut ek = String::with_capacity(k.len());
            encode_strict_into(&mut ek, &key);
            let mut ev = String::new();
            encode_strict_into(&mut ev, &decode(v.unwrap_or("")));
            Some((ek, ev))
        })
        .collect();
    pairs.sort_unstable();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Canonical headers block: `name:value\n` per signed header, all values of a header joined
/// with `,`, each trimmed with inner whitespace runs collapsed to one space.
pub(crate) fn canonical_headers(req: &Request<'_>, signed_headers: &[String]) -> String {
    let mut out = String::new();
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        for (i, value) in req.header_values(name).enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_collapsed(&mut out, value);
        }
        out.push('\n');
    }
    out
}

fn push_collapsed(out: &mut String, value: &str) {
    for (i, word) in value.split_ascii_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// The parts of a canonical request other than the URI.
pub(crate) struct CanonicalParts<'a> {
    pub method: &'a str,
    pub query: &'a str,
    pub headers: &'a str,
    pub signed_headers: &'a str,
    pub payload_hash: &'a str,
}

/// Joins the canonical request.
pub(crate) fn canonical_request(parts: &CanonicalParts<'_>, uri: &str) -> String {
    let CanonicalParts {
        method,
        query,
        headers,
        signed_headers,
        payload_hash,
    } = parts;
    let mut out = String::with_capacity(
        method.len() + uri.len() + query.len() + headers.len() + signed_headers.len() + 70,
    );
    for piece in [*method, uri, *query, *headers, *signed_headers] {
        out.push_str(piece);
        out.push('\n');
    }
    out.push_str(payload_hash);
    out
}

/// `AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical request)>`.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{}\n{amz_date}\n{scope}\n{}",
        crate::parse::ALGORITHM_V4,
        sha256_hex(canonical_request.as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization() {
        for (input, expected) in [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("/../../a", "/a"),
            ("/a/b/../c/", "/a/c/"),
        ] {
            assert_eq!(normalize_path(input), expected, "{input}");
        }
        assert_eq!(
            canonical_uri("/a%20b/c d", PathMode::Normalized),
            "/a%2520b/c%20d"
        );
        assert_eq!(canonical_uri("/a%20b/./c", PathMode::AsSent), "/a%20b/./c");
        assert_eq!(canonical_uri("", PathMode::AsSent), "/");
    }

    #[test]
    fn s3_reencode_fallback() {
        assert_eq!(reencoded_s3_uri("/bkt/a%20b/c~d"), None);
        assert_eq!(
            reencoded_s3_uri("/bkt/it's(1)*!"),
            Some("/bkt/it%27s%281%29%2A%21".to_string())
        );
        assert_eq!(
            reencoded_s3_uri("/bkt/%e1%88%b4"),
            Some("/bkt/%E1%88%B4".to_string())
        );
    }

    #[test]
    fn query_canonicalization() {
        let req = Request {
            method: "GET",
            path: "/",
            query: "b=2&a=1&uploads&c=%7e+x&a=0&&X-Amz-Signature=ff",
            headers: &[],
        };
        assert_eq!(canonical_query(&req, true), "a=0&a=1&b=2&c=~%2Bx&uploads=");
        assert_eq!(
            canonical_query(&req, false),
            "X-Amz-Signature=ff&a=0&a=1&b=2&c=~%2Bx&uploads="
        );
    }

    #[test]
    fn header_canonicalization() {
        let headers = [
            ("Host", "example.com:8080"),
            ("My-Header", "  a   b  "),
            ("my-header", "c\td"),
        ];
        let req = Request {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
        };
        let signed = ["host".to_string(), "my-header".to_string()];
        assert_eq!(
            canonical_headers(&req, &signed),
            "host:example.com:8080\nmy-header:a b,c d\n"
        );
    }
}
