//! Generated identifiers and secrets, in AWS's formats (§3.1 of the spec).

use rand::Rng;
use rand::distr::Alphanumeric;

/// Base32 alphabet AWS uses for unique ids and access key ids.
const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";

/// The kind of identifier, which fixes its four-letter prefix and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// Long-term access key id (`AKIA` + 16).
    AccessKey,
    /// Temporary access key id (`ASIA` + 16).
    TemporaryAccessKey,
    User,
    Role,
    Group,
    Policy,
    PolicyVersion,
    InstanceProfile,
    ServerCertificate,
    /// Signing certificates, SSH public keys and service-specific credentials.
    UserCredential,
}

impl IdKind {
    pub fn prefix(self) -> &'static str {
        match self {
            Self::AccessKey => "AKIA",
            Self::TemporaryAccessKey => "ASIA",
            Self::User => "AIDA",
            Self::Role => "AROA",
            Self::Group => "AGPA",
            Self::Policy => "ANPA",
            Self::PolicyVersion => "ANVA",
            Self::InstanceProfile => "AIPA",
            Self::ServerCertificate => "ASCA",
            Self::UserCredential => "APKA",
        }
    }

    fn body_len(self) -> usize {
        match self {
            Self::AccessKey | Self::TemporaryAccessKey => 16,
            _ => 17,
        }
    }
}

/// A fresh random identifier of the given kind.
pub fn new_id(kind: IdKind) -> String {
    let mut rng = rand::rng();
    let mut s = String::with_capacity(4 + kind.body_len());
    s.push_str(kind.prefix());
    for _ in 0..kind.body_len() {
        s.push(ID_ALPHABET[rng.random_range(0..ID_ALPHABET.len())] as char);
    }
    s
}

/// A 40-character secret access key from `[A-Za-z0-9/+]`.
pub fn new_secret() -> String {
    let mut rng = rand::rng();
    (0..40)
        .map(|_| SECRET_ALPHABET[rng.random_range(0..SECRET_ALPHABET.len())] as char)
        .collect()
}

/// A request id (UUIDv4), as AWS returns in `RequestId`.
pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Random alphanumeric text, for nonces in names.
pub fn random_alnum(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let k = new_id(IdKind::AccessKey);
        assert_eq!(k.len(), 20);
        assert!(k.starts_with("AKIA"));
        assert!(k[4..].bytes().all(|b| ID_ALPHABET.contains(&b)));
        let u = new_id(IdKind::User);
        assert_eq!(u.len(), 21);
        let s = new_secret();
        assert_eq!(s.len(), 40);
        assert!(s.bytes().all(|b| SECRET_ALPHABET.contains(&b)));
        assert_ne!(new_secret(), s);
    }
}
