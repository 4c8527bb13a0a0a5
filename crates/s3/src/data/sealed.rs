//! The encrypted data-file format (SSE-S3: every object's bytes are encrypted at rest).
//!
//! A file starts with a header — magic, format version, a random 64-bit nonce prefix and
//! the file's random 256-bit data key sealed by the server key ring (so a rotated ring
//! still opens old files) — followed by the plaintext cut into [`CHUNK`]-byte chunks, each
//! sealed with AES-256-GCM: ciphertext then 16-byte tag. Chunk `i` uses the nonce
//! `prefix || i` (32-bit big-endian) and the associated data `version || last || i`, so
//! chunks cannot be reordered, and a file cut after a chunk boundary fails (its last chunk
//! is not flagged last). Every chunk but the last is full; the last holds 0..=CHUNK bytes
//! (an empty object is one empty last chunk), so a ranged read finds chunk `i` at a fixed
//! offset and decrypts only the chunks it needs.
//!
//! Encrypted files are told apart from the clear files written before this format by a
//! marker on the segment id ([`MARKER`]), not by their contents: a legacy file may hold
//! any bytes.

use std::io::Read;

use hourglass_store::KeyRing;
use rand::RngCore;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use zeroize::Zeroizing;

/// Suffix of the id of an encrypted data file.
pub const MARKER: &str = "-e1";
/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
pub const TAG: usize = 16;
/// On-disk bytes of a full chunk.
pub const SEALED_CHUNK: u64 = (CHUNK + TAG) as u64;
const MAGIC: &[u8; 8] = b"HGS3DATA";
const VERSION: u8 = 1;
const KEY_LEN: usize = 32;
/// Binds a sealed data key to its purpose: it opens nowhere else (MFA seeds, secrets).
const KEY_AAD: &[u8] = b"s3-object-data";
/// magic, version, nonce prefix, wrapped-key length.
const FIXED_HEADER: usize = 8 + 1 + 8 + 2;

fn err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// The per-file key and nonce prefix.
pub struct FileKey {
    key: LessSafeKey,
    prefix: [u8; 8],
}

impl FileKey {
    /// A fresh random key, and the file header that carries it sealed by `ring`.
    pub fn generate(ring: &KeyRing) -> std::io::Result<(FileKey, Vec<u8>)> {
        let mut raw = Zeroizing::new([0u8; KEY_LEN]);
        let mut prefix = [0u8; 8];
        rand::rng().fill_bytes(raw.as_mut_slice());
        rand::rng().fill_bytes(&mut prefix);
        let wrapped = ring
            .seal(raw.as_slice(), KEY_AAD)
            .map_err(|e| err(format!("sealing an object data key: {e}")))?;
        let wlen = u16::try_from(wrapped.len()).map_err(|_| err("sealed data key too long"))?;
        let mut header = Vec::with_capacity(FIXED_HEADER + wrapped.len());
        header.extend_from_slice(MAGIC);
        header.push(VERSION);
        header.extend_from_slice(&prefix);
        header.extend_from_slice(&wlen.to_be_bytes());
        header.extend_from_slice(wrapped.as_bytes());
        Ok((FileKey::new(raw.as_slice(), prefix)?, header))
    }

    fn new(raw: &[u8], prefix: [u8; 8]) -> std::io::Result<FileKey> {
        let key = UnboundKey::new(&AES_256_GCM, raw).map_err(|_| err("bad data key length"))?;
        Ok(FileKey {
            key: LessSafeKey::new(key),
            prefix,
        })
    }

    /// Reads the header at the start of `file`; returns the key and the header length.
    pub fn read_header(file: &mut impl Read, ring: &KeyRing) -> std::io::Result<(FileKey, u64)> {
        let mut fixed = [0u8; FIXED_HEADER];
        file.read_exact(&mut fixed)
            .map_err(|e| err(format!("object data header: {e}")))?;
        if &fixed[..8] != MAGIC || fixed[8] != VERSION {
            return Err(err("object data header: bad magic or version"));
        }
        let mut prefix = [0u8; 8];
        prefix.copy_from_slice(&fixed[9..17]);
        let wlen = usize::from(u16::from_be_bytes([fixed[17], fixed[18]]));
        let mut wrapped = vec![0u8; wlen];
        file.read_exact(&mut wrapped)
            .map_err(|e| err(format!("object data header: {e}")))?;
        let wrapped =
            std::str::from_utf8(&wrapped).map_err(|_| err("object data header: bad key"))?;
        let raw = ring
            .open(wrapped, KEY_AAD)
            .map_err(|e| err(format!("object data key: {e}")))?;
        if raw.len() != KEY_LEN {
            return Err(err("object data key: bad length"));
        }
        Ok((FileKey::new(&raw, prefix)?, (FIXED_HEADER + wlen) as u64))
    }

    fn nonce_aad(&self, index: u64, last: bool) -> std::io::Result<(Nonce, [u8; 6])> {
        let i = u32::try_from(index).map_err(|_| err("object data file has too many chunks"))?;
        let mut nonce = [0u8; 12];
        nonce[..8].copy_from_slice(&self.prefix);
        nonce[8..].copy_from_slice(&i.to_be_bytes());
        let mut aad = [0u8; 6];
        aad[0] = VERSION;
        aad[1] = u8::from(last);
        aad[2..].copy_from_slice(&i.to_be_bytes());
        Ok((Nonce::assume_unique_for_key(nonce), aad))
    }

    /// Appends chunk `index` (`plain` ≤ [`CHUNK`] bytes) sealed to `out`.
    pub fn seal_chunk(
        &self,
        index: u64,
        last: bool,
        plain: &[u8],
        out: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        let (nonce, aad) = self.nonce_aad(index, last)?;
        let start = out.len();
        out.extend_from_slice(plain);
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(aad), &mut out[start..])
            .map_err(|_| err("object data encryption failed"))?;
        out.extend_from_slice(tag.as_ref());
        Ok(())
    }

    /// Opens sealed chunk `index` in place, returning its plaintext.
    pub fn open_chunk<'a>(
        &self,
        index: u64,
        last: bool,
        sealed: &'a mut [u8],
    ) -> std::io::Result<&'a mut [u8]> {
        let (nonce, aad) = self.nonce_aad(index, last)?;
        self.key
            .open_in_place(nonce, Aad::from(aad), sealed)
            .map_err(|_| err("object data chunk failed authentication (tampered or truncated)"))
            .map(|p| &mut p[..])
    }
}

/// Plaintext `[from, to)` of an inline segment: sealed bytes of a header and one chunk
/// holding `len` plaintext bytes, opened from memory in one pass.
pub fn open_inline(
    data: &[u8],
    ring: &KeyRing,
    len: u64,
    from: u64,
    to: u64,
) -> std::io::Result<Vec<u8>> {
    // Reading the header advances `body` to the sealed chunk.
    let mut body = data;
    let (key, _) = FileKey::read_header(&mut body, ring)?;
    if chunk_count(len) != 1 {
        return Err(err("inline object data holds more than one chunk"));
    }
    let mut sealed = body.to_vec();
    let plain = key.open_chunk(0, true, &mut sealed)?;
    if plain.len() as u64 != len {
        return Err(err("inline object data does not match its record"));
    }
    let range = usize::try_from(from).unwrap_or(usize::MAX)..usize::try_from(to).unwrap_or(0);
    plain
        .get(range)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| err("inline object data range out of bounds"))
}

/// Number of chunks of a file holding `len` plaintext bytes.
pub fn chunk_count(len: u64) -> u64 {
    len.div_ceil(CHUNK as u64).max(1)
}

/// Reads chunks of an encrypted file in order, yielding the plaintext of `[from, to)`.
pub struct ChunkReader {
    pub file: std::fs::File,
    pub key: FileKey,
    /// Next chunk to read.
    pub next: u64,
    /// Index of the file's last chunk.
    pub last: u64,
    /// Bytes to drop from the start of the next chunk read.
    pub skip: usize,
    /// Plaintext bytes still to yield.
    pub remaining: u64,
}

impl ChunkReader {
    /// Opens `file` for plaintext bytes `[from, to)` of a file holding `len` bytes.
    pub fn open(
        mut file: std::fs::File,
        ring: &KeyRing,
        len: u64,
        from: u64,
        to: u64,
    ) -> std::io::Result<ChunkReader> {
        use std::io::{Seek, SeekFrom};
        let (key, header) = FileKey::read_header(&mut file, ring)?;
        let first = from / CHUNK as u64;
        let offset = first
            .checked_mul(SEALED_CHUNK)
            .and_then(|o| o.checked_add(header))
            .ok_or_else(|| err("object data offset overflows"))?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(ChunkReader {
            file,
            key,
            next: first,
            last: chunk_count(len) - 1,
            skip: (from % CHUNK as u64) as usize,
            remaining: to.saturating_sub(from),
        })
    }

    /// Decrypts up to `max_chunks` chunks; empty when the range is done.
    pub fn read(&mut self, max_chunks: usize) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut sealed = vec![0u8; CHUNK + TAG];
        for _ in 0..max_chunks {
            if self.remaining == 0 {
                break;
            }
            if self.next > self.last {
                return Err(err("object data file is shorter than its record"));
            }
            let is_last = self.next == self.last;
            // Every chunk but the last is full; the last is whatever is left of the file.
            let n = if is_last {
                read_to_end_limited(&mut self.file, &mut sealed)?
            } else {
                self.file.read_exact(&mut sealed).map_err(|e| {
                    err(format!("object data file is shorter than its record: {e}"))
                })?;
                sealed.len()
            };
            if n < TAG {
                return Err(err("object data file is shorter than its record"));
            }
            let plain = self.key.open_chunk(self.next, is_last, &mut sealed[..n])?;
            let plain = plain.get(self.skip..).unwrap_or(&[]);
            let take = usize::try_from(self.remaining)
                .unwrap_or(usize::MAX)
                .min(plain.len());
            if take == 0 {
                return Err(err("object data file is shorter than its record"));
            }
            out.extend_from_slice(&plain[..take]);
            self.remaining -= take as u64;
            self.skip = 0;
            self.next += 1;
        }
        Ok(out)
    }
}

/// Reads until `buf` is full or the file ends; a file longer than `buf` is corrupt.
fn read_to_end_limited(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = file.read(&mut buf[filled..])?;
        if n == 0 {
            return Ok(filled);
        }
        filled += n;
    }
    let mut extra = [0u8; 1];
    if file.read(&mut extra)? != 0 {
        return Err(err("object data file is longer than its record"));
    }
    Ok(filled)
}
