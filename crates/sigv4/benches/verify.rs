//! Verifying a typical IAM POST (header auth, botocore-shaped) with a warm and a cold
//! signing-key cache, plus decoding a 1 MiB signed aws-chunked body.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hourglass_sigv4::{
    Auth, ChunkedConfig, ChunkedDecoder, ChunkedMode, Credentials, PathMode, Request,
    SigningKeyCache, SigningParams, VerifyOptions, aws_chunked_body, parse_auth, sha256_hex,
    sign_v4, verify_v4,
};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const BODY: &[u8] = b"Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Feng%2F&Tags.member.1.Key=team&Tags.member.1.Value=x";

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_350_000, 0).unwrap()
}

fn signed_iam_post() -> Vec<(String, String)> {
    let mut headers = vec![
        ("Host".to_string(), "127.0.0.1:18081".to_string()),
        (
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        ),
        ("Content-Length".to_string(), BODY.len().to_string()),
    ];
    let hash = sha256_hex(BODY);
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let req = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &pairs,
    };
    let signed = sign_v4(
        &req,
        &SigningParams {
            credentials: Credentials {
                access_key_id: "AKIAIOSFODNN7EXAMPLE",
                secret_access_key: SECRET,
                session_token: None,
            },
            region: "us-east-1",
            service: "iam",
            time: now(),
            path_mode: PathMode::Normalized,
            payload_hash: &hash,
            content_sha256_header: false,
        },
    );
    headers.extend(signed.headers);
    headers
}

fn verify_once(req: &Request<'_>, cache: &SigningKeyCache) {
    // What the server does per request: parse, hash the body, verify.
    let Ok(Auth::V4(auth)) = parse_auth(req) else {
        panic!("parse")
    };
    let hash = sha256_hex(BODY);
    let verified = verify_v4(
        req,
        &auth,
        SECRET,
        &VerifyOptions::query(&hash, now()),
        cache,
    );
    assert!(verified.is_ok());
}

fn bench_verify(c: &mut Criterion) {
    let headers = signed_iam_post();
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let req = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &pairs,
    };

    let warm = SigningKeyCache::default();
    verify_once(&req, &warm);
    c.bench_function("verify_iam_post/warm_key_cache", |b| {
        b.iter(|| verify_once(black_box(&req), &warm))
    });

    let cold = SigningKeyCache::new(0);
    c.bench_function("verify_iam_post/cold_key_cache", |b| {
        b.iter(|| verify_once(black_box(&req), &cold))
    });
}

fn bench_chunked(c: &mut Criterion) {
    let headers = [("host", "h")];
    let req = Request {
        method: "PUT",
        path: "/b/k",
        query: "",
        headers: &headers,
    };
    let signed = sign_v4(
        &req,
        &SigningParams {
            credentials: Credentials {
                access_key_id: "AKIAIOSFODNN7EXAMPLE",
                secret_access_key: SECRET,
                session_token: None,
            },
            region: "us-east-1",
            service: "s3",
            time: now(),
            path_mode: PathMode::AsSent,
            payload_hash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            content_sha256_header: true,
        },
    );
    let payload = vec![7u8; 1 << 20];
    let body = aws_chunked_body(&payload, 64 * 1024, Some(&signed.signing), &[]);
    let mut group = c.benchmark_group("aws_chunked_signed");
    group.throughput(Throughput::Bytes(payload.len() as u64));
    group.bench_function("decode_1MiB_64KiB_chunks", |b| {
        let mut out = Vec::with_capacity(payload.len());
        b.iter(|| {
            out.clear();
            let mut decoder = ChunkedDecoder::new(ChunkedConfig {
                mode: ChunkedMode::Signed,
                signing: Some(signed.signing.clone()),
                decoded_length: Some(payload.len() as u64),
                expected_trailer: None,
                verify_checksum: false,
            })
            .unwrap();
            for piece in body.chunks(16 * 1024) {
                decoder.feed(piece, &mut out).unwrap();
            }
            decoder.finish().unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_verify, bench_chunked);
criterion_main!(benches);
