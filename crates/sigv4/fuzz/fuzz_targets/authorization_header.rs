//! Authorization header (SigV4 and SigV2) parsing and verification on arbitrary headers.
#![no_main]

use hourglass_sigv4::Request;
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    // Lines: Authorization value, X-Amz-Date, path, then free-form `name:value` headers.
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let authorization = lines.next().unwrap_or_default();
    let date = lines.next().unwrap_or_default();
    let path = lines.next().unwrap_or_default();
    let mut headers = vec![
        ("authorization", authorization),
        ("x-amz-date", date),
        ("host", "h"),
    ];
    headers.extend(lines.filter_map(|l| l.split_once(':')));
    let req = Request { method: "GET", path, query: "", headers: &headers };
    common::parse_and_verify(&req);
});
