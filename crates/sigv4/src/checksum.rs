//! Incremental checksums in AWS's flexible-checksum encodings (base64 of the big-endian
//! digest): CRC32, CRC32C, CRC64NVME, SHA1, SHA256.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// A flexible-checksum algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumAlgorithm {
    /// CRC-32 (IEEE, as zlib).
    Crc32,
    /// CRC-32C (Castagnoli).
    Crc32c,
    /// CRC-64/NVME.
    Crc64Nvme,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

impl ChecksumAlgorithm {
    /// Every algorithm.
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    /// AWS name, as in `x-amz-sdk-checksum-algorithm` (`CRC32`, …).
    pub fn name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    /// Header/trailer name, e.g. `x-amz-checksum-crc32`.
    pub fn header_name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// Algorithm from its AWS name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Algorithm from a header or trailer name such as `x-amz-checksum-crc32` (case-insensitive).
    pub fn from_header_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.header_name().eq_ignore_ascii_case(name.trim()))
    }

    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
            ChecksumAlgorithm::Crc64Nvme => 8,
            ChecksumAlgorithm::Sha1 => 20,
            ChecksumAlgorithm::Sha256 => 32,
        }
    }
}

/// An incremental checksum.
#[derive(Clone)]
pub struct Checksum {
    state: State,
}

#[derive(Clone)]
enum State {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64Nvme(crc_fast::Digest),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl std::fmt::Debug for Checksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checksum")
            .field("algorithm", &self.algorithm())
            .finish()
    }
}

impl Checksum {
    /// A fresh checksum.
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        let state = match algorithm {
            ChecksumAlgorithm::Crc32 => State::Crc32(crc32fast::Hasher::new()),
            ChecksumAlgorithm::Crc32c => State::Crc32c(0),
            ChecksumAlgorithm::Crc64Nvme => {
                State::Crc64Nvme(crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme))
            }
            ChecksumAlgorithm::Sha1 => State::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => State::Sha256(Sha256::new()),
        };
        Self { state }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match self.state {
            State::Crc32(_) => ChecksumAlgorithm::Crc32,
            State::Crc32c(_) => ChecksumAlgorithm::Crc32c,
            State::Crc64Nvme(_) => ChecksumAlgorithm::Crc64Nvme,
            State::Sha1(_) => ChecksumAlgorithm::Sha1,
            State::Sha256(_) => ChecksumAlgorithm::Sha256,
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Crc32(h) => h.update(data),
            State::Crc32c(c) => *c = crc32c::crc32c_append(*c, data),
            State::Crc64Nvme(c) => c.update(data),
            State::Sha1(h) => h.update(data),
            State::Sha256(h) => h.update(data),
        }
    }

    /// The big-endian digest.
    pub fn finish(self) -> Vec<u8> {
        match self.state {
            State::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            State::Crc32c(c) => c.to_be_bytes().to_vec(),
            State::Crc64Nvme(c) => c.finalize().to_be_bytes().to_vec(),
            State::Sha1(h) => h.finalize().to_vec(),
            State::Sha256(h) => h.finalize().to_vec(),
        }
    }

    /// The digest as AWS transmits it: base64 of the big-endian bytes.
    pub fn finish_base64(self) -> String {
        BASE64.encode(self.finish())
    }
}

/// Base64 checksum of `data` in one call.
pub fn checksum_base64(algorithm: ChecksumAlgorithm, data: &[u8]) -> String {
    let mut c = Checksum::new(algorithm);
    c.update(data);
    c.finish_base64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_encodings() {
        assert_eq!(
            checksum_base64(ChecksumAlgorithm::Crc32, b"hello world"),
            "DUoRhQ=="
        );
        assert_eq!(
            checksum_base64(ChecksumAlgorithm::Crc32, b"abc"),
            "NSRBwg=="
        );
        assert_eq!(
            checksum_base64(ChecksumAlgorithm::Sha256, b""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(
            checksum_base64(ChecksumAlgorithm::Sha1, b"abc"),
            "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="
        );
    }

    #[test]
    fn crc_check_values() {
        // The CRC catalogue's check value: the checksum of "123456789".
        let check = |a: ChecksumAlgorithm| {
            let mut c = Checksum::new(a);
            c.update(b"1234");
            c.update(b"56789");
            hex::encode(c.finish())
        };
        assert_eq!(check(ChecksumAlgorithm::Crc32), "cbf43926");
        assert_eq!(check(ChecksumAlgorithm::Crc32c), "e3069283");
        assert_eq!(check(ChecksumAlgorithm::Crc64Nvme), "ae8b14860a799888");
    }

    /// The vectorized CRC-64/NVME agrees with the definition (reflected polynomial
    /// 0x9A6C9329AC4BC9B5, init and xor-out all ones) bit by bit, fed in pieces of every
    /// alignment and of sizes around the SIMD block widths.
    #[test]
    fn crc64nvme_matches_its_definition() {
        fn bitwise(data: &[u8]) -> u64 {
            let mut crc = !0u64;
            for &b in data {
                crc ^= u64::from(b);
                for _ in 0..8 {
                    crc = if crc & 1 == 1 {
                        (crc >> 1) ^ 0x9A6C_9329_AC4B_C9B5
                    } else {
                        crc >> 1
                    };
                }
            }
            !crc
        }
        let data: Vec<u8> = (0..70_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let want = bitwise(&data).to_be_bytes().to_vec();
        for piece in [1usize, 7, 63, 64, 65, 255, 256, 4097, 65_536] {
            let mut c = Checksum::new(ChecksumAlgorithm::Crc64Nvme);
            for chunk in data.chunks(piece) {
                c.update(chunk);
            }
            assert_eq!(c.finish(), want, "pieces of {piece}");
        }
    }

    #[test]
    fn names() {
        for a in ChecksumAlgorithm::ALL {
            assert_eq!(ChecksumAlgorithm::from_name(a.name()), Some(a));
            assert_eq!(
                ChecksumAlgorithm::from_header_name(a.header_name()),
                Some(a)
            );
            assert_eq!(Checksum::new(a).finish().len(), a.digest_len());
        }
        assert_eq!(
            ChecksumAlgorithm::from_name("crc32c"),
            Some(ChecksumAlgorithm::Crc32c)
        );
        assert_eq!(
            ChecksumAlgorithm::from_header_name("X-Amz-Checksum-Crc32"),
            Some(ChecksumAlgorithm::Crc32)
        );
        assert_eq!(ChecksumAlgorithm::from_name("md5"), None);
    }
}
