//! The aws-chunked decoder in every mode, fed in arbitrary pieces.
#![no_main]

use hourglass_sigv4::{ChunkedConfig, ChunkedDecoder, ChunkedMode, SigningContext};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&control, body)) = data.split_first() else { return };
    let mode = match control % 3 {
        0 => ChunkedMode::Signed,
        1 => ChunkedMode::SignedTrailer,
        _ => ChunkedMode::UnsignedTrailer,
    };
    let piece = usize::from(control >> 2) + 1;
    let signing = SigningContext {
        key: [7; 32],
        amz_date: "20130524T000000Z".to_string(),
        scope: "20130524/us-east-1/s3/aws4_request".to_string(),
        seed_signature: "0".repeat(64),
    };
    let Ok(mut decoder) = ChunkedDecoder::new(ChunkedConfig {
        mode,
        signing: Some(signing),
        decoded_length: (control & 0x80 != 0).then_some(11),
        expected_trailer: Some("x-amz-checksum-crc32".to_string()),
        verify_checksum: true,
    }) else {
        return;
    };
    let mut out = Vec::new();
    for part in body.chunks(piece) {
        if decoder.feed(part, &mut out).is_err() {
            return;
        }
        assert!(out.len() as u64 == decoder.decoded_len());
    }
    let _ = decoder.finish();
});
