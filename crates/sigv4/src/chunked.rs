//! Sans-I/O incremental decoder for `aws-chunked` bodies.
//!
//! Feed bytes as they arrive; decoded payload bytes are appended to a caller buffer. Memory
//! stays bounded whatever the input: chunk data is streamed (hashed on the fly, never
//! buffered), header and trailer lines are capped at [`MAX_LINE`] bytes and trailers at
//! [`MAX_TRAILERS`]. Signed chunks are verified when each chunk ends, so data of a chunk
//! is emitted before its signature is checked: write it somewhere provisional and commit
//! only once [`ChunkedDecoder::finish`] succeeds.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::canonical::{EMPTY_SHA256, sha256_hex};
use crate::checksum::{Checksum, ChecksumAlgorithm};
use crate::error::Error;
use crate::request::Request;
use crate::v4::{PayloadMode, SigningContext, Verified};

/// Longest chunk-header or trailer line accepted, CRLF included.
pub const MAX_LINE: usize = 4096;
/// Most trailer lines accepted (the trailer signature not counted).
pub const MAX_TRAILERS: usize = 16;
/// AWS minimum size of every signed chunk but the last data chunk.
pub const MIN_SIGNED_CHUNK: u64 = 8192;

const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";

/// Which aws-chunked variant the body uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkedMode {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
    Signed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
    SignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    UnsignedTrailer,
}

/// Decoder settings.
#[derive(Debug, Clone)]
pub struct ChunkedConfig {
    /// The variant.
    pub mode: ChunkedMode,
    /// Chaining context from verification; required for the signed modes.
    pub signing: Option<SigningContext>,
    /// `x-amz-decoded-content-length`, when sent.
    pub decoded_length: Option<u64>,
    /// `x-amz-trailer`: the trailer the client announced (must then be present).
    pub expected_trailer: Option<String>,
    /// Compute the announced `x-amz-checksum-*` trailer over the payload and compare.
    pub verify_checksum: bool,
}

/// What a complete body carried besides its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkedSummary {
    /// Decoded payload length.
    pub decoded_length: u64,
    /// Trailers `(lower-case name, value)` in order, without the trailer signature.
    pub trailers: Vec<(String, String)>,
    /// The checksum trailer that was verified against the payload, if any.
    pub verified_checksum: Option<(ChecksumAlgorithm, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Header,
    Data { remaining: u64 },
    DataCr,
    DataLf,
    Trailer,
    Done,
    Failed(Error),
}

/// Incremental aws-chunked decoder. See the module documentation.
#[derive(Debug)]
pub struct ChunkedDecoder {
    config: ChunkedConfig,
    state: State,
    line: Vec<u8>,
    chunk_hash: Sha256,
    chunk_signature: String,
    previous_signature: String,
    chunk_index: u64,
    small_chunk: Option<u64>,
    decoded: u64,
    trailers: Vec<(String, String)>,
    trailer_signed: bool,
    checksum: Option<Checksum>,
    checksum_ok: Option<(ChecksumAlgorithm, String)>,
}

impl ChunkedDecoder {
    /// A decoder for one body. Fails when a signed mode lacks its signing context.
    pub fn new(config: ChunkedConfig) -> Result<Self, Error> {
        let signed = config.mode != ChunkedMode::UnsignedTrailer;
        let previous_signature = match (&config.signing, signed) {
            (Some(ctx), true) => ctx.seed_signature.clone(),
            (None, true) => {
                return Err(malformed(
                    "signed aws-chunked body without a signing context",
                ));
            }
            (_, false) => String::new(),
        };
        let checksum = config
            .expected_trailer
            .as_deref()
            .filter(|_| config.verify_checksum)
            .and_then(ChecksumAlgorithm::from_header_name)
            .map(Checksum::new);
        Ok(Self {
            config,
            state: State::Header,
            line: Vec::new(),
            chunk_hash: Sha256::new(),
            chunk_signature: String::new(),
            previous_signature,
            chunk_index: 0,
            small_chunk: None,
            decoded: 0,
            trailers: Vec::new(),
            trailer_signed: false,
            checksum,
            checksum_ok: None,
        })
    }

    /// A decoder configured from a verified request: mode from its payload mode,
    /// `x-amz-decoded-content-length` and `x-amz-trailer` from its headers, checksum
    /// verification on.
    pub fn for_request(req: &Request<'_>, verified: &Verified) -> Result<Self, Error> {
        let mode = match verified.payload {
            PayloadMode::StreamingSigned => ChunkedMode::Signed,
            PayloadMode::StreamingSignedTrailer => ChunkedMode::SignedTrailer,
            PayloadMode::StreamingUnsignedTrailer => ChunkedMode::UnsignedTrailer,
            _ => return Err(malformed("the request payload is not aws-chunked")),
        };
        let decoded_length = match req.header("x-amz-decoded-content-length") {
            None => None,
            Some(v) => Some(v.trim().parse::<u64>().map_err(|_| {
                malformed("x-amz-decoded-content-length is not a non-negative integer")
            })?),
        };
        Self::new(ChunkedConfig {
            mode,
            signing: Some(verified.signing.clone()),
            decoded_length,
            expected_trailer: req
                .header("x-amz-trailer")
                .map(|t| t.trim().to_ascii_lowercase()),
            verify_checksum: true,
        })
    }

    /// Decoded payload bytes so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded
    }

    /// Whether the terminating chunk and trailers have been read.
    pub fn is_complete(&self) -> bool {
        self.state == State::Done
    }

    /// Consumes `input`, appending decoded payload bytes to `out`. After an error every
    /// further call returns the same error.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if let State::Failed(e) = &self.state {
            return Err(e.clone());
        }
        let result = self.feed_inner(input, out);
        if let Err(e) = &result {
            self.state = State::Failed(e.clone());
        }
        result
    }

    /// Ends the body. Fails with [`Error::IncompleteBody`] when the framing is not complete.
    pub fn finish(mut self) -> Result<ChunkedSummary, Error> {
        match &self.state {
            State::Done => {}
            State::Failed(e) => return Err(e.clone()),
            // Tolerate a body that stops right after its last trailer line without the
            // closing empty line: every line was complete and, in the signed variant,
            // the trailer signature already covered the trailers.
            State::Trailer if self.line.is_empty() && self.trailers_may_end() => {
                self.complete()?;
            }
            _ => return Err(Error::IncompleteBody),
        }
        Ok(ChunkedSummary {
            decoded_length: self.decoded,
            verified_checksum: self.checksum_ok,
            trailers: self.trailers,
        })
    }

    fn trailers_may_end(&self) -> bool {
        match self.config.mode {
            ChunkedMode::Signed => false,
            ChunkedMode::SignedTrailer => self.trailer_signed,
            ChunkedMode::UnsignedTrailer => !self.trailers.is_empty(),
        }
    }

    fn feed_inner(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let mut rest = input;
        while let Some((&first, tail)) = rest.split_first() {
            match self.state {
                State::Header | State::Trailer => {
                    let (line_done, used) = self.take_line(rest)?;
                    rest = rest.get(used..).unwrap_or_default();
                    if line_done {
                        let line = std::mem::take(&mut self.line);
                        if self.state == State::Header {
                            self.on_header_line(&line)?;
                        } else {
                            self.on_trailer_line(&line)?;
                        }
                    }
                }
                State::Data { remaining } => {
                    let take = usize::try_from(remaining).map_or(rest.len(), |r| r.min(rest.len()));
                    let (data, tail) = rest.split_at(take);
                    self.on_data(data, out)?;
                    rest = tail;
                    let remaining = remaining - take as u64;
                    self.state = State::Data { remaining };
                    if remaining == 0 {
                        self.end_of_chunk_data()?;
                        self.state = State::DataCr;
                    }
                }
                State::DataCr => {
                    expect_byte(first, b'\r')?;
                    self.state = State::DataLf;
                    rest = tail;
                }
                State::DataLf => {
                    expect_byte(first, b'\n')?;
                    self.state = State::Header;
                    rest = tail;
                }
                State::Done => return Err(malformed("data after the end of the aws-chunked body")),
                State::Failed(ref e) => return Err(e.clone()),
            }
        }
        Ok(())
    }

    /// Appends to the pending line up to and including `\n`; returns whether the line is
    /// complete (its CRLF removed) and how many bytes were used.
    fn take_line(&mut self, input: &[u8]) -> Result<(bool, usize), Error> {
        let newline = input.iter().position(|&b| b == b'\n');
        let used = newline.map_or(input.len(), |p| p + 1);
        if self.line.len() + used > MAX_LINE {
            return Err(malformed("chunk header or trailer line too long"));
        }
        self.line
            .extend_from_slice(input.get(..used).unwrap_or_default());
        if newline.is_none() {
            return Ok((false, used));
        }
        if !self.line.ends_with(b"\r\n") {
            return Err(malformed("line not terminated by CRLF"));
        }
        self.line.truncate(self.line.len() - 2);
        Ok((true, used))
    }

    fn on_header_line(&mut self, line: &[u8]) -> Result<(), Error> {
        let line = std::str::from_utf8(line).map_err(|_| malformed("chunk header is not ASCII"))?;
        let (size_hex, extensions) = line.split_once(';').unwrap_or((line, ""));
        let size = parse_chunk_size(size_hex)?;
        if self.config.mode == ChunkedMode::UnsignedTrailer {
            // Chunk extensions carry nothing we use in the unsigned variant.
            self.chunk_signature.clear();
        } else {
            let signature = extensions
                .strip_prefix("chunk-signature=")
                .ok_or_else(|| malformed("chunk header without chunk-signature"))?;
            if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(malformed("chunk-signature is not 64 hex digits"));
            }
            self.chunk_signature = signature.to_string();
            if let Some(small) = self.small_chunk.filter(|_| size > 0) {
                return Err(Error::ChunkTooSmall { size: small });
            }
            if size > 0 && size < MIN_SIGNED_CHUNK {
                self.small_chunk = Some(size);
            }
        }
        if let Some(expected) = self.config.decoded_length {
            let total = self.decoded.saturating_add(size);
            if total > expected {
                return Err(Error::DecodedLengthMismatch {
                    expected,
                    actual: total,
                });
            }
        }
        self.chunk_hash = Sha256::new();
        if size == 0 {
            self.end_of_chunk_data()?;
            self.state = State::Trailer;
        } else {
            self.state = State::Data { remaining: size };
        }
        Ok(())
    }

    fn on_data(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if self.config.mode != ChunkedMode::UnsignedTrailer {
            self.chunk_hash.update(data);
        }
        if let Some(c) = &mut self.checksum {
            c.update(data);
        }
        self.decoded += data.len() as u64;
        out.extend_from_slice(data);
        Ok(())
    }

    /// Verifies the signature of the chunk that just ended (signed modes).
    fn end_of_chunk_data(&mut self) -> Result<(), Error> {
        let Some(ctx) = self
            .config
            .signing
            .as_ref()
            .filter(|_| self.config.mode != ChunkedMode::UnsignedTrailer)
        else {
            return Ok(());
        };
        let data_hash = hex::encode(std::mem::take(&mut self.chunk_hash).finalize());
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{EMPTY_SHA256}\n{data_hash}",
            ctx.amz_date, ctx.scope, self.previous_signature
        );
        let provided = std::mem::take(&mut self.chunk_signature);
        self.check_signature(ctx.sign(&string_to_sign), string_to_sign, provided)
    }

    fn check_signature(
        &mut self,
        computed: String,
        string_to_sign: String,
        provided: String,
    ) -> Result<(), Error> {
        if !bool::from(
            computed
                .as_bytes()
                .ct_eq(provided.to_ascii_lowercase().as_bytes()),
        ) {
            return Err(Error::ChunkSignatureDoesNotMatch {
                chunk_index: self.chunk_index,
                string_to_sign,
                signature_provided: provided,
            });
        }
        self.previous_signature = computed;
        self.chunk_index += 1;
        Ok(())
    }

    fn on_trailer_line(&mut self, line: &[u8]) -> Result<(), Error> {
        if line.is_empty() {
            return self.complete();
        }
        if self.config.mode == ChunkedMode::Signed {
            return Err(malformed("trailer in a body without trailers"));
        }
        if self.trailer_signed {
            return Err(malformed("trailer after the trailer signature"));
        }
        let line = std::str::from_utf8(line).map_err(|_| malformed("trailer is not UTF-8"))?;
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| malformed("trailer line without ':'"))?;
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_string();
        if name == TRAILER_SIGNATURE && self.config.mode == ChunkedMode::SignedTrailer {
            return self.verify_trailer_signature(value);
        }
        if self.trailers.len() >= MAX_TRAILERS {
            return Err(malformed("too many trailers"));
        }
        self.trailers.push((name, value));
        Ok(())
    }

    fn verify_trailer_signature(&mut self, provided: String) -> Result<(), Error> {
        let Some(ctx) = self.config.signing.as_ref() else {
            return Err(malformed("signed trailer without a signing context"));
        };
        let canonical: String = self
            .trailers
            .iter()
            .map(|(n, v)| format!("{n}:{v}\n"))
            .collect();
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
            ctx.amz_date,
            ctx.scope,
            self.previous_signature,
            sha256_hex(canonical.as_bytes())
        );
        let computed = ctx.sign(&string_to_sign);
        self.check_signature(computed, string_to_sign, provided)?;
        self.trailer_signed = true;
        Ok(())
    }

    /// The end of the body: every whole-body check.
    fn complete(&mut self) -> Result<(), Error> {
        if self.config.mode == ChunkedMode::SignedTrailer && !self.trailer_signed {
            return Err(Error::MalformedTrailer {
                reason: "missing x-amz-trailer-signature".to_string(),
            });
        }
        if let Some(expected) = self.config.decoded_length
            && expected != self.decoded
        {
            return Err(Error::DecodedLengthMismatch {
                expected,
                actual: self.decoded,
            });
        }
        if let Some(name) = &self.config.expected_trailer
            && !self.trailers.iter().any(|(n, _)| n == name)
        {
            return Err(Error::MalformedTrailer {
                reason: format!("the trailer {name} announced in x-amz-trailer is missing"),
            });
        }
        if let Some(checksum) = self.checksum.take() {
            let algorithm = checksum.algorithm();
            let computed = checksum.finish_base64();
            let expected = self
                .trailer_value(algorithm.header_name())
                .unwrap_or_default()
                .to_string();
            if expected != computed {
                return Err(Error::ChecksumMismatch {
                    algorithm: algorithm.name(),
                    expected,
                    computed,
                });
            }
            self.checksum_ok = Some((algorithm, computed));
        }
        self.state = State::Done;
        Ok(())
    }

    fn trailer_value(&self, name: &str) -> Option<&str> {
        self.trailers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn malformed(reason: &str) -> Error {
    Error::MalformedChunk {
        reason: reason.to_string(),
    }
}

fn expect_byte(got: u8, want: u8) -> Result<(), Error> {
    if got == want {
        Ok(())
    } else {
        Err(malformed(
            "chunk data not followed by CRLF (chunk size mismatch)",
        ))
    }
}

fn parse_chunk_size(hex_digits: &str) -> Result<u64, Error> {
    if hex_digits.is_empty()
        || hex_digits.len() > 16
        || !hex_digits.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(malformed("invalid chunk size"));
    }
    u64::from_str_radix(hex_digits, 16).map_err(|_| malformed("invalid chunk size"))
}

#[cfg(test)]
#[path = "chunked_tests.rs"]
mod tests;
