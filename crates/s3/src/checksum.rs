//! Request checksums: Content-MD5 and the `x-amz-checksum-*` family (what the client
//! announced, computed while the body streams, compared before anything commits), and the
//! ETag / composite-checksum rules of multipart uploads.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hourglass_sigv4::{Checksum, ChecksumAlgorithm};
use md5::{Digest, Md5};

use crate::errors::{S3Error, S3Result};
use crate::meta::StoredChecksum;

/// What the request asks to be checked or recorded.
#[derive(Debug, Clone, Default)]
pub struct Expected {
    /// Decoded Content-MD5.
    pub md5: Option<[u8; 16]>,
    /// Algorithm to compute, and the value to compare with when the header carried one
    /// (for trailers the aws-chunked decoder compares).
    pub checksum: Option<(ChecksumAlgorithm, Option<String>)>,
}

/// Reads Content-MD5, `x-amz-checksum-<alg>` and `x-amz-sdk-checksum-algorithm` /
/// `x-amz-trailer` from the headers. `header` looks one up by lower-case name.
pub fn expected<'a>(header: impl Fn(&str) -> Option<&'a str>) -> S3Result<Expected> {
    let mut out = Expected::default();
    if let Some(v) = header("content-md5") {
        let bytes = B64.decode(v.trim()).map_err(|_| {
            S3Error::new(
                400,
                "InvalidDigest",
                "The Content-MD5 you specified was not valid.",
            )
        })?;
        let arr: [u8; 16] = bytes.try_into().map_err(|_| {
            S3Error::new(
                400,
                "InvalidDigest",
                "The Content-MD5 you specified was not valid.",
            )
        })?;
        out.md5 = Some(arr);
    }
    let mut found = None;
    for alg in ChecksumAlgorithm::ALL {
        if let Some(v) = header(alg.header_name()) {
            if found.is_some() {
                return Err(S3Error::invalid_request(
                    "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
                ));
            }
            let decoded = B64.decode(v.trim()).ok();
            if decoded.is_none_or(|d| d.len() != alg.digest_len()) {
                return Err(S3Error::invalid_request(format!(
                    "Value for {} header is invalid.",
                    alg.header_name()
                )));
            }
            found = Some((alg, Some(v.trim().to_string())));
        }
    }
    if found.is_none()
        && let Some(t) = header("x-amz-trailer")
        && let Some(alg) = ChecksumAlgorithm::from_header_name(t)
    {
        found = Some((alg, None));
    }
    if found.is_none()
        && let Some(name) =
            header("x-amz-sdk-checksum-algorithm").or_else(|| header("x-amz-checksum-algorithm"))
    {
        let alg = ChecksumAlgorithm::from_name(name).ok_or_else(|| {
            S3Error::invalid_request("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
        })?;
        found = Some((alg, None));
    }
    out.checksum = found;
    Ok(out)
}

/// Running digests of a body.
pub struct Digests {
    md5: Md5,
    checksum: Option<Checksum>,
}

impl Digests {
    pub fn new(algorithm: Option<ChecksumAlgorithm>) -> Self {
        Self {
            md5: Md5::new(),
            checksum: algorithm.map(Checksum::new),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        if let Some(c) = &mut self.checksum {
            c.update(data);
        }
    }

    /// Final MD5 and checksum, checked against what the client sent.
    pub fn finish(self, expected: &Expected) -> S3Result<([u8; 16], Option<StoredChecksum>)> {
        let md5: [u8; 16] = self.md5.finalize().into();
        if let Some(want) = expected.md5
            && want != md5
        {
            return Err(S3Error::new(
                400,
                "BadDigest",
                "The Content-MD5 you specified did not match what we received.",
            ));
        }
        let stored = match self.checksum {
            Some(c) => {
                let alg = c.algorithm();
                let value = c.finish_base64();
                if let Some((_, Some(want))) = &expected.checksum
                    && *want != value
                {
                    return Err(S3Error::bad_digest(alg.name()));
                }
                Some(StoredChecksum {
                    algorithm: alg.name().to_string(),
                    value,
                })
            }
            None => None,
        };
        Ok((md5, stored))
    }
}

pub fn etag(md5: &[u8; 16]) -> String {
    format!("\"{}\"", hex::encode(md5))
}

/// Multipart ETag: MD5 of the concatenated binary part MD5s, `-N`.
pub fn multipart_etag(part_etags: &[String]) -> S3Result<String> {
    let mut h = Md5::new();
    for e in part_etags {
        let raw = hex::decode(e.trim_matches('"')).map_err(S3Error::internal)?;
        h.update(&raw);
    }
    Ok(format!(
        "\"{}-{}\"",
        hex::encode(h.finalize()),
        part_etags.len()
    ))
}

/// Composite checksum: checksum of the concatenated decoded part checksums, `-N`.
pub fn composite(algorithm: ChecksumAlgorithm, part_values: &[String]) -> S3Result<String> {
    let mut c = Checksum::new(algorithm);
    for v in part_values {
        c.update(&B64.decode(v).map_err(S3Error::internal)?);
    }
    Ok(format!("{}-{}", c.finish_base64(), part_values.len()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn header_checksum_verified() {
        let e = expected(|n| (n == "x-amz-checksum-crc32").then_some("DUoRhQ==")).unwrap();
        let mut d = Digests::new(e.checksum.as_ref().map(|c| c.0));
        d.update(b"hello world");
        let (_, c) = d.finish(&e).unwrap();
        assert_eq!(c.unwrap().value, "DUoRhQ==");
        let mut d = Digests::new(e.checksum.as_ref().map(|c| c.0));
        d.update(b"hello worlD");
        assert_eq!(d.finish(&e).unwrap_err().code, "BadDigest");
        assert_eq!(
            expected(|n| (n == "x-amz-checksum-crc32").then_some("xx"))
                .unwrap_err()
                .code,
            "InvalidRequest"
        );
    }

    #[test]
    fn content_md5() {
        let e = expected(|n| (n == "content-md5").then_some("XrY7u+Ae7tCTyyK7j1rNww==")).unwrap();
        let mut d = Digests::new(None);
        d.update(b"hello world");
        assert!(d.finish(&e).is_ok());
        let mut d = Digests::new(None);
        d.update(b"x");
        assert_eq!(d.finish(&e).unwrap_err().code, "BadDigest");
        assert_eq!(
            expected(|n| (n == "content-md5").then_some("abc"))
                .unwrap_err()
                .code,
            "InvalidDigest"
        );
    }

    #[test]
    fn multipart_etag_matches_aws_rule() {
        let md5a = hex::encode(Md5::digest(b"a"));
        let e = multipart_etag(&[format!("\"{md5a}\"")]).unwrap();
        let mut h = Md5::new();
        h.update(Md5::digest(b"a"));
        assert_eq!(e, format!("\"{}-1\"", hex::encode(h.finalize())));
    }
}
