#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::key_cache::SigningKeyCache;
use crate::parse::{Auth, parse_auth};
use crate::signer::aws_chunked_body;
use crate::time::parse_amz_date;
use crate::v4::{VerifyOptions, verify_v4};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The AWS example (spec §2.7 c/d): 66560 × `a` in chunks of 65536 + 1024 + 0.
fn example_body(signatures: [&str; 3], tail: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for (size, sig) in [(65536usize, signatures[0]), (1024, signatures[1])] {
        body.extend_from_slice(format!("{size:x};chunk-signature={sig}\r\n").as_bytes());
        body.extend(std::iter::repeat_n(b'a', size));
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("0;chunk-signature={}\r\n{tail}", signatures[2]).as_bytes());
    body
}

fn verified(headers: &[(&str, &str)]) -> Verified {
    let req = Request {
        method: "PUT",
        path: "/examplebucket/chunkObject.txt",
        query: "",
        headers,
    };
    let Auth::V4(auth) = parse_auth(&req).unwrap() else {
        panic!("not v4")
    };
    let now = parse_amz_date("20130524T000000Z").unwrap();
    verify_v4(
        &req,
        &auth,
        SECRET,
        &VerifyOptions::s3(now),
        &SigningKeyCache::default(),
    )
    .unwrap()
}

const SIGNED_HEADERS: [(&str, &str); 8] = [
    ("Host", "s3.amazonaws.com"),
    ("x-amz-date", "20130524T000000Z"),
    ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
    (
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    ),
    ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
    ("Content-Encoding", "aws-chunked"),
    ("x-amz-decoded-content-length", "66560"),
    ("Content-Length", "66824"),
];
const CHUNK_SIGS: [&str; 3] = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];

const TRAILER_HEADERS: [(&str, &str); 8] = [
    ("Host", "s3.amazonaws.com"),
    ("x-amz-date", "20130524T000000Z"),
    ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
    (
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
    ),
    (
        "x-amz-content-sha256",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    ),
    ("Content-Encoding", "aws-chunked"),
    ("x-amz-decoded-content-length", "66560"),
    ("x-amz-trailer", "x-amz-checksum-crc32c"),
];
const TRAILER_CHUNK_SIGS: [&str; 3] = [
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
];
const TRAILER_TAIL: &str = "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n";

fn decode_in_pieces(
    mut decoder: ChunkedDecoder,
    body: &[u8],
    piece: usize,
) -> Result<(Vec<u8>, ChunkedSummary), Error> {
    let mut out = Vec::new();
    for part in body.chunks(piece) {
        decoder.feed(part, &mut out)?;
    }
    decoder.finish().map(|s| (out, s))
}

#[test]
fn signed_chunks_vector() {
    let v = verified(&SIGNED_HEADERS);
    assert_eq!(v.payload, PayloadMode::StreamingSigned);
    let req = Request {
        method: "PUT",
        path: "/examplebucket/chunkObject.txt",
        query: "",
        headers: &SIGNED_HEADERS,
    };
    let body = example_body(CHUNK_SIGS, "\r\n");
    assert_eq!(body.len(), 66824);
    // Our signer produces the same bytes from the same seed.
    assert_eq!(
        aws_chunked_body(&[b'a'; 66560], 65536, Some(&v.signing), &[]),
        body
    );
    for piece in [1, 7, 85, 4096, body.len()] {
        let decoder = ChunkedDecoder::for_request(&req, &v).unwrap();
        let (out, summary) = decode_in_pieces(decoder, &body, piece).unwrap();
        assert_eq!(out, vec![b'a'; 66560]);
        assert_eq!(summary.decoded_length, 66560);
        assert!(summary.trailers.is_empty());
    }
}

#[test]
fn signed_chunks_tampering() {
    let v = verified(&SIGNED_HEADERS);
    let req = Request {
        method: "PUT",
        path: "/examplebucket/chunkObject.txt",
        query: "",
        headers: &SIGNED_HEADERS,
    };
    let body = example_body(CHUNK_SIGS, "\r\n");
    let mut tampered = body.clone();
    tampered[100] = b'b';
    let err = decode_in_pieces(
        ChunkedDecoder::for_request(&req, &v).unwrap(),
        &tampered,
        1000,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ChunkSignatureDoesNotMatch { chunk_index: 0, .. }
        ),
        "{err:?}"
    );
    assert_eq!(err.s3_code(), "SignatureDoesNotMatch");

    let mut sigs = CHUNK_SIGS;
    let wrong = CHUNK_SIGS[2].replace('b', "c");
    sigs[2] = &wrong;
    let err = decode_in_pieces(
        ChunkedDecoder::for_request(&req, &v).unwrap(),
        &example_body(sigs, "\r\n"),
        4096,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ChunkSignatureDoesNotMatch { chunk_index: 2, .. }
        ),
        "{err:?}"
    );

    // Chunks reordered: the chain breaks.
    let reordered = example_body([CHUNK_SIGS[1], CHUNK_SIGS[0], CHUNK_SIGS[2]], "\r\n");
    assert!(
        decode_in_pieces(
            ChunkedDecoder::for_request(&req, &v).unwrap(),
            &reordered,
            4096
        )
        .is_err()
    );

    // Truncated: incomplete body; after an error the decoder keeps failing.
    let err = decode_in_pieces(
        ChunkedDecoder::for_request(&req, &v).unwrap(),
        &body[..body.len() - 2],
        4096,
    )
    .unwrap_err();
    assert_eq!(err, Error::IncompleteBody);
    let mut decoder = ChunkedDecoder::for_request(&req, &v).unwrap();
    let mut out = Vec::new();
    assert!(decoder.feed(&tampered, &mut out).is_err());
    assert!(decoder.feed(b"", &mut out).is_err());
}

#[test]
fn signed_trailer_vector() {
    let v = verified(&TRAILER_HEADERS);
    assert_eq!(v.payload, PayloadMode::StreamingSignedTrailer);
    let req = Request {
        method: "PUT",
        path: "/examplebucket/chunkObject.txt",
        query: "",
        headers: &TRAILER_HEADERS,
    };
    let body = example_body(TRAILER_CHUNK_SIGS, TRAILER_TAIL);
    assert_eq!(
        aws_chunked_body(
            &[b'a'; 66560],
            65536,
            Some(&v.signing),
            &[("x-amz-checksum-crc32c", "sOO8/Q==")]
        ),
        body
    );
    for piece in [1, 13, 65536, body.len()] {
        let (out, summary) =
            decode_in_pieces(ChunkedDecoder::for_request(&req, &v).unwrap(), &body, piece).unwrap();
        assert_eq!(out.len(), 66560);
        assert_eq!(
            summary.trailers,
            vec![("x-amz-checksum-crc32c".to_string(), "sOO8/Q==".to_string())]
        );
        assert_eq!(
            summary.verified_checksum,
            Some((ChecksumAlgorithm::Crc32c, "sOO8/Q==".to_string()))
        );
    }
    // A changed trailer value breaks the trailer signature.
    let forged = example_body(
        TRAILER_CHUNK_SIGS,
        &TRAILER_TAIL.replace("sOO8/Q==", "AAAAAA=="),
    );
    let err = decode_in_pieces(
        ChunkedDecoder::for_request(&req, &v).unwrap(),
        &forged,
        4096,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ChunkSignatureDoesNotMatch { chunk_index: 3, .. }
        ),
        "{err:?}"
    );
    // Missing trailer signature.
    let unsigned = example_body(TRAILER_CHUNK_SIGS, "x-amz-checksum-crc32c:sOO8/Q==\r\n\r\n");
    let err = decode_in_pieces(
        ChunkedDecoder::for_request(&req, &v).unwrap(),
        &unsigned,
        4096,
    )
    .unwrap_err();
    assert!(matches!(err, Error::MalformedTrailer { .. }), "{err:?}");
}

fn unsigned_decoder(decoded_length: Option<u64>) -> ChunkedDecoder {
    ChunkedDecoder::new(ChunkedConfig {
        mode: ChunkedMode::UnsignedTrailer,
        signing: None,
        decoded_length,
        expected_trailer: Some("x-amz-checksum-crc32".to_string()),
        verify_checksum: true,
    })
    .unwrap()
}

const CAPTURED: &[u8] = b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";

#[test]
fn unsigned_trailer_captured_body() {
    for piece in 1..CAPTURED.len() {
        let (out, summary) = decode_in_pieces(unsigned_decoder(Some(11)), CAPTURED, piece).unwrap();
        assert_eq!(out, b"hello world");
        assert_eq!(
            summary.verified_checksum,
            Some((ChecksumAlgorithm::Crc32, "DUoRhQ==".to_string()))
        );
    }
    assert_eq!(
        aws_chunked_body(
            b"hello world",
            1 << 20,
            None,
            &[("x-amz-checksum-crc32", "DUoRhQ==")]
        ),
        CAPTURED
    );
    // Without the final empty line the body still ends cleanly.
    let short = &CAPTURED[..CAPTURED.len() - 2];
    assert!(decode_in_pieces(unsigned_decoder(Some(11)), short, 5).is_ok());
}

#[test]
fn unsigned_trailer_errors() {
    let bad_sum = String::from_utf8_lossy(CAPTURED).replace("DUoRhQ==", "AAAAAA==");
    let err = decode_in_pieces(unsigned_decoder(None), bad_sum.as_bytes(), 64).unwrap_err();
    assert_eq!(err.s3_code(), "BadDigest");
    assert_eq!(
        err.to_string(),
        "The CRC32 you specified did not match the calculated checksum."
    );

    let err = decode_in_pieces(unsigned_decoder(Some(12)), CAPTURED, 64).unwrap_err();
    assert_eq!(
        err,
        Error::DecodedLengthMismatch {
            expected: 12,
            actual: 11
        }
    );
    assert_eq!(err.s3_code(), "IncompleteBody");
    let err = decode_in_pieces(unsigned_decoder(Some(10)), CAPTURED, 64).unwrap_err();
    assert_eq!(
        err,
        Error::DecodedLengthMismatch {
            expected: 10,
            actual: 11
        }
    );

    let missing = b"b\r\nhello world\r\n0\r\n\r\n";
    let err = decode_in_pieces(unsigned_decoder(None), missing, 64).unwrap_err();
    assert!(matches!(err, Error::MalformedTrailer { .. }), "{err:?}");

    for (body, what) in [
        (&b"zz\r\nhello"[..], "bad hex"),
        (b"b\r\nhello world!!\r\n", "size mismatch"),
        (b"b\nhello world\r\n", "bare LF"),
        (b"11111111111111111\r\n", "size overflow"),
        (b"\r\n", "empty size"),
    ] {
        let err = decode_in_pieces(unsigned_decoder(None), body, 64).unwrap_err();
        assert!(
            matches!(err, Error::MalformedChunk { .. }),
            "{what}: {err:?}"
        );
    }
    let mut after_end = CAPTURED.to_vec();
    after_end.extend_from_slice(b"x");
    assert!(decode_in_pieces(unsigned_decoder(None), &after_end, 64).is_err());
    assert_eq!(
        decode_in_pieces(unsigned_decoder(None), b"b\r\nhello", 64).unwrap_err(),
        Error::IncompleteBody
    );
}

#[test]
fn lines_are_bounded() {
    let mut decoder = unsigned_decoder(None);
    let mut out = Vec::new();
    let long = vec![b'0'; MAX_LINE + 1];
    let err = long
        .chunks(100)
        .try_for_each(|p| decoder.feed(p, &mut out))
        .unwrap_err();
    assert!(matches!(err, Error::MalformedChunk { .. }));

    let mut body = b"0\r\n".to_vec();
    for i in 0..=MAX_TRAILERS {
        body.extend_from_slice(format!("x-amz-meta-{i}:v\r\n").as_bytes());
    }
    let err = decode_in_pieces(unsigned_decoder(None), &body, 64).unwrap_err();
    assert!(matches!(err, Error::MalformedChunk { .. }), "{err:?}");
}

#[test]
fn signed_chunks_must_be_at_least_8_kib() {
    let v = verified(&SIGNED_HEADERS);
    let config = ChunkedConfig {
        mode: ChunkedMode::Signed,
        signing: Some(v.signing.clone()),
        decoded_length: None,
        expected_trailer: None,
        verify_checksum: false,
    };
    let body = aws_chunked_body(&[b'x'; 3000], 1000, Some(&v.signing), &[]);
    let err =
        decode_in_pieces(ChunkedDecoder::new(config.clone()).unwrap(), &body, 512).unwrap_err();
    assert_eq!(err, Error::ChunkTooSmall { size: 1000 });
    assert_eq!(err.s3_code(), "InvalidChunkSizeError");
    // One small last chunk is fine.
    let body = aws_chunked_body(&[b'x'; 9000], 8192, Some(&v.signing), &[]);
    assert!(decode_in_pieces(ChunkedDecoder::new(config.clone()).unwrap(), &body, 512).is_ok());
    // A signed mode needs its signing context.
    assert!(
        ChunkedDecoder::new(ChunkedConfig {
            signing: None,
            ..config
        })
        .is_err()
    );
}
