//! Server-side encryption keys: a ring of 32-byte keys with ids, one of them current.
//!
//! [`KeyRing::seal`] encrypts with the current key (ChaCha20-Poly1305, random 96-bit nonce)
//! and produces `v1.<key id>.<base64url(nonce || ciphertext)>`; [`KeyRing::open`] picks the key
//! named in the sealed value, so values sealed before a rotation stay readable as long as the
//! old key stays in the ring. The associated data (AAD) binds a sealed value to its context
//! (e.g. the access key id it belongs to): opening it with different AAD fails.
//!
//! Rings come from a file ([`KeyRing::load_or_create`], [`KeyRing::rotate`]) or from a value
//! given by the environment ([`KeyRing::from_env_value`]). Key material never appears in
//! `Debug` output or error messages.
//!
//! File format (JSON, mode 0600):
//! ```json
//! {"current": "k2", "keys": [{"id": "k1", "key": "<base64 of 32 bytes>"},
//!                            {"id": "k2", "key": "<base64 of 32 bytes>"}]}
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

const FORMAT_VERSION: &str = "v1";
const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;
/// Key id used for a bare base64 key given without an id.
pub const DEFAULT_KEY_ID: &str = "default";

/// A secret string (e.g. an access key's secret). Its `Debug` prints `***` and its memory is
/// wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(value.into()))
    }

    /// The secret value. Keep the borrow short and never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Errors of the key ring. None of them carries key material or plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRingError {
    #[error("key ring file {path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("invalid key ring: {0}")]
    Format(String),
    #[error("sealed value names unknown key id {0:?}")]
    UnknownKey(String),
    #[error("malformed sealed value")]
    Malformed,
    #[error("sealed value failed authentication (wrong key or associated data)")]
    Decrypt,
    #[error("encryption failed")]
    Encrypt,
}

type Result<T> = std::result::Result<T, KeyRingError>;

struct KeyMaterial(Zeroizing<[u8; KEY_LEN]>);

/// A set of 32-byte keys with ids and one current key. Cheap to share behind an `Arc`.
pub struct KeyRing {
    keys: BTreeMap<String, KeyMaterial>,
    current: String,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("current", &self.current)
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct FileKey {
    id: String,
    key: String,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    current: String,
    keys: Vec<FileKey>,
}

impl Drop for KeyFile {
    fn drop(&mut self) {
        for k in &mut self.keys {
            k.key.zeroize();
        }
    }
}

impl KeyRing {
    /// A ring with one freshly generated random key named `id`.
    pub fn generate(id: &str) -> Result<KeyRing> {
        validate_id(id)?;
        let mut ring = KeyRing {
            keys: BTreeMap::new(),
            current: id.to_owned(),
        };
        ring.keys.insert(id.to_owned(), random_key());
        Ok(ring)
    }

    /// Builds a ring from `(id, 32-byte key)` pairs; `current` must be one of the ids.
    pub fn from_keys(keys: Vec<(String, [u8; KEY_LEN])>, current: &str) -> Result<KeyRing> {
        let mut ring = KeyRing {
            keys: BTreeMap::new(),
            current: current.to_owned(),
        };
        for (id, mut key) in keys {
            validate_id(&id)?;
            if ring.keys.contains_key(&id) {
                key.zeroize();
                return Err(KeyRingError::Format(format!("duplicate key id {id:?}")));
            }
            ring.keys.insert(id, KeyMaterial(Zeroizing::new(key)));
            key.zeroize();
        }
        if !ring.keys.contains_key(current) {
            return Err(KeyRingError::Format(format!(
                "current key {current:?} is not in the ring"
            )));
        }
        Ok(ring)
    }

    /// Parses a ring given in an environment variable: comma-separated `id:base64key` entries,
    /// the last one current. A single bare base64 key gets the id [`DEFAULT_KEY_ID`].
    pub fn from_env_value(value: &str) -> Result<KeyRing> {
        let mut keys = Vec::new();
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, b64) = match entry.split_once(':') {
                Some((id, b64)) => (id.trim().to_owned(), b64.trim()),
                None => (DEFAULT_KEY_ID.to_owned(), entry),
            };
            keys.push((id, decode_key(b64)?));
        }
        let current = match keys.last() {
            Some((id, _)) => id.clone(),
            None => return Err(KeyRingError::Format("no key given".into())),
        };
        KeyRing::from_keys(keys, &current)
    }

    /// Loads the ring file at `path`.
    pub fn load(path: &Path) -> Result<KeyRing> {
        let text = Zeroizing::new(fs::read_to_string(path).map_err(|e| io_error(path, &e))?);
        warn_if_readable_by_others(path);
        let file: KeyFile = serde_json::from_str(&text)
            .map_err(|e| KeyRingError::Format(format!("{}: {e}", path.display())))?;
        let mut keys = Vec::with_capacity(file.keys.len());
        for k in &file.keys {
            keys.push((k.id.clone(), decode_key(&k.key)?));
        }
        KeyRing::from_keys(keys, &file.current)
    }

    /// Loads the ring file at `path`, or creates it (mode 0600) with one random key `k1`.
    pub fn load_or_create(path: &Path) -> Result<KeyRing> {
        match fs::metadata(path) {
            Ok(_) => KeyRing::load(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let ring = KeyRing::generate("k1")?;
                write_new_file(path, &ring.to_file())?;
                tracing::info!(path = %path.display(), "created a new key ring");
                Ok(ring)
            }
            Err(e) => Err(io_error(path, &e)),
        }
    }

    /// Adds a new random key to the ring file at `path` and makes it current; old keys stay so
    /// existing sealed values keep opening. Returns the new key id (`k<n+1>`). The file is
    /// replaced atomically.
    pub fn rotate(path: &Path) -> Result<String> {
        let mut ring = KeyRing::load(path)?;
        let next = ring
            .keys
            .keys()
            .filter_map(|id| id.strip_prefix('k').and_then(|n| n.parse::<u64>().ok()))
            .max()
            .unwrap_or(0)
            + 1;
        let id = format!("k{next}");
        ring.keys.insert(id.clone(), random_key());
        ring.current = id.clone();
        let tmp = path.with_extension("rotate.tmp");
        let _ = fs::remove_file(&tmp);
        write_new_file(&tmp, &ring.to_file())?;
        fs::rename(&tmp, path).map_err(|e| io_error(path, &e))?;
        tracing::info!(path = %path.display(), key_id = %id, "rotated key ring");
        Ok(id)
    }

    /// Id of the key new values are sealed with.
    pub fn current_key_id(&self) -> &str {
        &self.current
    }

    /// Ids of all keys, sorted.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// Encrypts `plaintext` with the current key, binding `aad`.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<String> {
        let key = self
            .keys
            .get(&self.current)
            .ok_or_else(|| KeyRingError::UnknownKey(self.current.clone()))?;
        let cipher = ChaCha20Poly1305::new(Key::from_slice(key.0.as_slice()));
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| KeyRingError::Encrypt)?;
        let mut blob = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        Ok(format!(
            "{FORMAT_VERSION}.{}.{}",
            self.current,
            URL_SAFE_NO_PAD.encode(&blob)
        ))
    }

    /// Decrypts a value produced by [`KeyRing::seal`] with the same `aad`.
    pub fn open(&self, sealed: &str, aad: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let mut parts = sealed.splitn(3, '.');
        let (Some(version), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(KeyRingError::Malformed);
        };
        if version != FORMAT_VERSION {
            return Err(KeyRingError::Malformed);
        }
        let key = self
            .keys
            .get(id)
            .ok_or_else(|| KeyRingError::UnknownKey(id.to_owned()))?;
        let blob = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| KeyRingError::Malformed)?;
        if blob.len() < NONCE_LEN {
            return Err(KeyRingError::Malformed);
        }
        let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(key.0.as_slice()));
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| KeyRingError::Decrypt)
    }

    /// Seals a [`Secret`].
    pub fn seal_secret(&self, secret: &Secret, aad: &[u8]) -> Result<String> {
        self.seal(secret.expose().as_bytes(), aad)
    }

    /// Opens a value sealed by [`KeyRing::seal_secret`].
    pub fn open_secret(&self, sealed: &str, aad: &[u8]) -> Result<Secret> {
        let bytes = self.open(sealed, aad)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| KeyRingError::Malformed)?;
        Ok(Secret::new(text))
    }

    fn to_file(&self) -> KeyFile {
        KeyFile {
            current: self.current.clone(),
            keys: self
                .keys
                .iter()
                .map(|(id, k)| FileKey {
                    id: id.clone(),
                    key: STANDARD.encode(k.0.as_slice()),
                })
                .collect(),
        }
    }
}

fn random_key() -> KeyMaterial {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    rand::rng().fill_bytes(key.as_mut_slice());
    KeyMaterial(key)
}

/// Ids end up inside sealed values, between dots.
fn validate_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(KeyRingError::Format(format!(
            "key id {id:?} must be 1-64 characters of [A-Za-z0-9_-]"
        )))
    }
}

fn decode_key(b64: &str) -> Result<[u8; KEY_LEN]> {
    let bytes = Zeroizing::new(
        STANDARD
            .decode(b64.trim())
            .map_err(|_| KeyRingError::Format("key is not valid base64".into()))?,
    );
    <[u8; KEY_LEN]>::try_from(bytes.as_slice())
        .map_err(|_| KeyRingError::Format(format!("key must be {KEY_LEN} bytes")))
}

fn io_error(path: &Path, e: &std::io::Error) -> KeyRingError {
    KeyRingError::Io {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

fn write_new_file(path: &Path, file: &KeyFile) -> Result<()> {
    let text = Zeroizing::new(
        serde_json::to_string_pretty(file).map_err(|e| KeyRingError::Format(e.to_string()))?,
    );
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(|e| io_error(path, &e))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .and_then(|()| f.sync_all())
        .map_err(|e| io_error(path, &e))
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "key ring file is accessible by other users; chmod 600 it");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn seal_open_roundtrip_and_aad_binding() {
        let ring = KeyRing::generate("k1").unwrap();
        let sealed = ring.seal(b"wJalrXUtnFEMI/K7MDENG", b"AKIA1").unwrap();
        assert!(sealed.starts_with("v1.k1."));
        assert!(!sealed.contains("wJalr"));
        assert_eq!(
            &ring.open(&sealed, b"AKIA1").unwrap()[..],
            b"wJalrXUtnFEMI/K7MDENG"
        );
        assert_eq!(ring.open(&sealed, b"AKIA2"), Err(KeyRingError::Decrypt));
        // Nonces are random: sealing twice differs.
        assert_ne!(
            sealed,
            ring.seal(b"wJalrXUtnFEMI/K7MDENG", b"AKIA1").unwrap()
        );
    }

    #[test]
    fn tampering_and_unknown_keys_fail() {
        let ring = KeyRing::generate("k1").unwrap();
        let other = KeyRing::generate("k1").unwrap();
        let sealed = ring.seal(b"x", b"").unwrap();
        assert_eq!(other.open(&sealed, b""), Err(KeyRingError::Decrypt));
        let mut flipped = sealed.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        assert!(
            ring.open(std::str::from_utf8(&flipped).unwrap(), b"")
                .is_err()
        );
        assert_eq!(
            ring.open(&sealed.replacen("k1", "k9", 1), b""),
            Err(KeyRingError::UnknownKey("k9".into()))
        );
        assert_eq!(ring.open("garbage", b""), Err(KeyRingError::Malformed));
        assert_eq!(ring.open("v2.k1.AAAA", b""), Err(KeyRingError::Malformed));
    }

    #[test]
    fn file_create_rotate_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let ring = KeyRing::load_or_create(&path).unwrap();
        assert_eq!(ring.current_key_id(), "k1");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let old = ring.seal(b"old secret", b"a").unwrap();
        // Loading again gives the same key, not a new one.
        let again = KeyRing::load_or_create(&path).unwrap();
        assert_eq!(&again.open(&old, b"a").unwrap()[..], b"old secret");

        assert_eq!(KeyRing::rotate(&path).unwrap(), "k2");
        let rotated = KeyRing::load(&path).unwrap();
        assert_eq!(rotated.current_key_id(), "k2");
        assert_eq!(rotated.key_ids().collect::<Vec<_>>(), ["k1", "k2"]);
        assert_eq!(&rotated.open(&old, b"a").unwrap()[..], b"old secret");
        assert!(rotated.seal(b"new", b"").unwrap().starts_with("v1.k2."));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn env_value_forms() {
        let k1 = STANDARD.encode([1u8; 32]);
        let k2 = STANDARD.encode([2u8; 32]);
        let bare = KeyRing::from_env_value(&k1).unwrap();
        assert_eq!(bare.current_key_id(), DEFAULT_KEY_ID);
        let multi = KeyRing::from_env_value(&format!("a:{k1}, b:{k2}")).unwrap();
        assert_eq!(multi.current_key_id(), "b");
        let sealed_a = KeyRing::from_env_value(&format!("a:{k1}"))
            .unwrap()
            .seal(b"s", b"")
            .unwrap();
        assert_eq!(&multi.open(&sealed_a, b"").unwrap()[..], b"s");
        assert!(KeyRing::from_env_value("").is_err());
        assert!(KeyRing::from_env_value("a:AAAA").is_err());
        assert!(KeyRing::from_env_value(&format!("a.b:{k1}")).is_err());
        assert!(KeyRing::from_env_value(&format!("a:{k1},a:{k2}")).is_err());
    }

    #[test]
    fn debug_never_shows_material() {
        let ring = KeyRing::from_env_value(&STANDARD.encode([7u8; 32])).unwrap();
        let dbg = format!("{ring:?}");
        assert!(!dbg.contains(&STANDARD.encode([7u8; 32])));
        assert!(dbg.contains("default"));
        let secret = Secret::new("wJalrXUtnFEMI");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(secret.expose(), "wJalrXUtnFEMI");
    }
}
