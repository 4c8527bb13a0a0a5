//! The request payload as a stream of decoded bytes, whatever the framing: plain
//! (`Content-Length` or HTTP chunked), aws-chunked with signed chunks (with or without a
//! signed trailer) or with an unsigned trailer. The signed SHA-256, chunk signatures and
//! trailing checksums are verified as bytes pass; the caller commits only after
//! [`PayloadReader::finish`] succeeds.

use bytes::Bytes;
use hourglass_sigv4::{ChunkedDecoder, PayloadMode};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use sha2::{Digest, Sha256};

use crate::errors::{S3Error, S3Result, from_sigv4};

/// Request bodies, with transport errors turned into `io::Error`.
pub type RequestBody = UnsyncBoxBody<Bytes, std::io::Error>;

pub struct PayloadReader {
    body: RequestBody,
    decoder: Option<ChunkedDecoder>,
    sha256: Option<(Sha256, String)>,
    limit: u64,
    received: u64,
    done: bool,
    /// Checksum trailer verified by the decoder: (algorithm name, base64 value).
    pub trailer_checksum: Option<(String, String)>,
}

impl PayloadReader {
    /// `decoder` must be given for aws-chunked payloads; `limit` caps the decoded size
    /// (`EntityTooLarge` beyond it).
    pub fn new(
        body: RequestBody,
        mode: &PayloadMode,
        decoder: Option<ChunkedDecoder>,
        limit: u64,
    ) -> Self {
        let sha256 = match mode {
            PayloadMode::Sha256(hex) => Some((Sha256::new(), hex.clone())),
            _ => None,
        };
        Self {
            body,
            decoder,
            sha256,
            limit,
            received: 0,
            done: false,
            trailer_checksum: None,
        }
    }

    /// The next piece of decoded payload, or `None` at the end (after every check passed).
    pub async fn next(&mut self) -> S3Result<Option<Bytes>> {
        loop {
            if self.done {
                return Ok(None);
            }
            let frame = match self.body.frame().await {
                None => {
                    self.end()?;
                    return Ok(None);
                }
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "request body ended early");
                    return Err(S3Error::incomplete_body());
                }
                Some(Ok(f)) => f,
            };
            let Ok(data) = frame.into_data() else {
                // HTTP trailers of the outer chunked layer carry nothing we use.
                continue;
            };
            let out = match &mut self.decoder {
                Some(d) => {
                    let mut out = Vec::with_capacity(data.len());
                    d.feed(&data, &mut out).map_err(|e| from_sigv4(&e))?;
                    Bytes::from(out)
                }
                None => data,
            };
            if out.is_empty() {
                continue;
            }
            self.received = self.received.saturating_add(out.len() as u64);
            if self.received > self.limit {
                return Err(too_large(self.limit));
            }
            if let Some((h, _)) = &mut self.sha256 {
                h.update(&out);
            }
            return Ok(Some(out));
        }
    }

    fn end(&mut self) -> S3Result<()> {
        self.done = true;
        if let Some(d) = self.decoder.take() {
            let summary = d.finish().map_err(|e| from_sigv4(&e))?;
            self.trailer_checksum = summary
                .verified_checksum
                .map(|(alg, v)| (alg.name().to_string(), v));
        }
        if let Some((h, want)) = self.sha256.take() {
            let got = hex::encode(h.finalize());
            if got != want {
                return Err(S3Error::new(
                    400,
                    "XAmzContentSHA256Mismatch",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                )
                .with("ClientComputedContentSHA256", want)
                .with("S3ComputedContentSHA256", got));
            }
        }
        Ok(())
    }

    /// Reads everything (for small XML/JSON bodies), refusing more than the limit.
    pub async fn read_all(mut self) -> S3Result<Bytes> {
        let mut buf = Vec::new();
        while let Some(c) = self.next().await? {
            buf.extend_from_slice(&c);
        }
        Ok(Bytes::from(buf))
    }

    pub fn received(&self) -> u64 {
        self.received
    }
}

pub fn too_large(limit: u64) -> S3Error {
    S3Error::new(
        400,
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed object size.",
    )
    .with("MaxSizeAllowed", limit.to_string())
}
