//! Building and signing requests as botocore does: a fresh SigV4 signature (and
//! `X-Amz-Date`) for every request.

use std::sync::Arc;

use bytes::Bytes;
use chrono::Utc;
use hourglass_sigv4::{
    Credentials, PathMode, Request, SigningParams, UNSIGNED_PAYLOAD, sha256_hex, sign_v4,
};

/// Where requests go and with which key.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port` as sent in the `Host` header.
    pub host: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub region: String,
}

/// A request template: everything but the signature.
#[derive(Debug, Clone)]
pub struct Op {
    pub method: &'static str,
    /// Raw path, already percent-encoded.
    pub path: String,
    /// Raw query without `?`.
    pub query: String,
    pub content_type: Option<&'static str>,
    pub body: Bytes,
    /// Hex SHA-256 of `body`, computed once per template.
    pub payload_hash: Arc<str>,
    /// Signing name: `iam`, `sts`, `s3` or `organizations`.
    pub service: &'static str,
    /// `X-Amz-Target` of an AWS JSON-protocol call.
    pub amz_target: Option<String>,
}

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";
const JSON_1_1: &str = "application/x-amz-json-1.1";

impl Op {
    /// A Query-protocol POST (IAM or STS) with the given form parameters (already encoded).
    pub fn query(service: &'static str, action: &str, params: &[(&str, &str)]) -> Self {
        let version = if service == "iam" {
            "2010-05-08"
        } else {
            "2011-06-15"
        };
        let mut body = format!("Action={action}&Version={version}");
        for (k, v) in params {
            body.push('&');
            body.push_str(k);
            body.push('=');
            body.push_str(&form_encode(v));
        }
        Self {
            method: "POST",
            path: "/".into(),
            query: String::new(),
            content_type: Some(FORM),
            payload_hash: sha256_hex(body.as_bytes()).into(),
            body: Bytes::from(body),
            service,
            amz_target: None,
        }
    }

    /// An AWS JSON 1.1 call (`X-Amz-Target: PREFIX.ACTION`) with a JSON body.
    pub fn json(service: &'static str, target: String, body: &serde_json::Value) -> Self {
        let body = body.to_string();
        Self {
            method: "POST",
            path: "/".into(),
            query: String::new(),
            content_type: Some(JSON_1_1),
            payload_hash: sha256_hex(body.as_bytes()).into(),
            body: Bytes::from(body),
            service,
            amz_target: Some(target),
        }
    }

    /// An S3 path-style request.
    pub fn s3(method: &'static str, path: String, body: Bytes) -> Self {
        Self {
            method,
            path,
            query: String::new(),
            content_type: None,
            payload_hash: sha256_hex(&body).into(),
            body,
            service: "s3",
            amz_target: None,
        }
    }

    /// The same request signed with `UNSIGNED-PAYLOAD`, so the server does not hash the body.
    pub fn unsigned(self) -> Self {
        Self {
            payload_hash: UNSIGNED_PAYLOAD.into(),
            ..self
        }
    }

    /// The same template on another path, reusing the payload hash.
    pub fn with_path(&self, path: String) -> Self {
        Self {
            path,
            ..self.clone()
        }
    }

    /// Signs now and renders the request head (ending with the blank line).
    pub fn head(&self, target: &Target) -> Vec<u8> {
        let mut headers: Vec<(&str, &str)> = vec![("Host", target.host.as_str())];
        if let Some(ct) = self.content_type {
            headers.push(("Content-Type", ct));
        }
        if let Some(t) = &self.amz_target {
            headers.push(("X-Amz-Target", t.as_str()));
        }
        let s3 = self.service == "s3";
        let req = Request {
            method: self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
        };
        let params = SigningParams {
            credentials: Credentials {
                access_key_id: &target.access_key_id,
                secret_access_key: &target.secret_access_key,
                session_token: target.session_token.as_deref(),
            },
            region: &target.region,
            service: self.service,
            time: Utc::now(),
            path_mode: if s3 {
                PathMode::AsSent
            } else {
                PathMode::Normalized
            },
            payload_hash: &self.payload_hash,
            content_sha256_header: s3,
        };
        let signed = sign_v4(&req, &params);
        let mut head = String::with_capacity(512);
        head.push_str(self.method);
        head.push(' ');
        head.push_str(&self.path);
        if !self.query.is_empty() {
            head.push('?');
            head.push_str(&self.query);
        }
        head.push_str(" HTTP/1.1\r\n");
        for (name, value) in headers
            .iter()
            .copied()
            .chain(signed.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        {
            head.push_str(name);
            head.push_str(": ");
            head.push_str(value);
            head.push_str("\r\n");
        }
        head.push_str("User-Agent: hourglass-loadgen\r\n");
        head.push_str("Content-Length: ");
        head.push_str(&self.body.len().to_string());
        head.push_str("\r\n\r\n");
        head.into_bytes()
    }
}

/// An unsigned GET, for the health endpoint.
pub fn plain_get(host: &str, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: hourglass-loadgen\r\n\r\n")
        .into_bytes()
}

/// `application/x-www-form-urlencoded` value encoding (unreserved characters kept).
pub fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
