//! Presigned query parsing (SigV4 `X-Amz-*` and SigV2 `AWSAccessKeyId`/`Signature`/`Expires`).
#![no_main]

use hourglass_sigv4::Request;
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (path, query) = text.split_once('?').unwrap_or(("/", &text));
    let headers = [("host", "h"), ("x-amz-meta-a", "b")];
    let req = Request { method: "GET", path, query, headers: &headers };
    common::parse_and_verify(&req);
});
