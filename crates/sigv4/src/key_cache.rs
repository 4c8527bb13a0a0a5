//! Signing-key derivation and a bounded cache of derived keys.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` never fails; the fallback only
    // satisfies the type and is unreachable.
    match HmacSha256::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

/// `kSigning` for a secret and scope: HMAC chain over date, region, service, `aws4_request`.
pub fn derive_signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut k_secret = Vec::with_capacity(4 + secret.len());
    k_secret.extend_from_slice(b"AWS4");
    k_secret.extend_from_slice(secret.as_bytes());
    let k_date = hmac_sha256(&k_secret, date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// A bounded, thread-safe cache of signing keys.
///
/// Entries are keyed by a SHA-256 over secret, date, region and service, so the cache holds
/// no secret in clear and a rotated secret never hits a stale entry. When full, the oldest
/// entry is evicted.
#[derive(Debug)]
pub struct SigningKeyCache {
    capacity: usize,
    inner: Mutex<CacheInner>,
}

#[derive(Debug, Default)]
struct CacheInner {
    map: HashMap<[u8; 32], [u8; 32]>,
    order: VecDeque<[u8; 32]>,
}

impl Default for SigningKeyCache {
    fn default() -> Self {
        Self::new(4096)
    }
}

impl SigningKeyCache {
    /// A cache holding at most `capacity` keys (a capacity of 0 disables caching).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(CacheInner::default()),
        }
    }

    /// The signing key for this secret and scope, derived on a miss.
    pub fn signing_key(&self, secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
        if self.capacity == 0 {
            return derive_signing_key(secret, date, region, service);
        }
        let id = cache_id(secret, date, region, service);
        if let Some(key) = self.lock().map.get(&id) {
            return *key;
        }
        let key = derive_signing_key(secret, date, region, service);
        let mut inner = self.lock();
        if inner.map.insert(id, key).is_none() {
            inner.order.push_back(id);
            while inner.order.len() > self.capacity {
                if let Some(old) = inner.order.pop_front() {
                    inner.map.remove(&old);
                }
            }
        }
        key
    }

    /// Number of cached keys.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every cached key.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.map.clear();
        inner.order.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        // A panic while holding the lock cannot leave the map inconsistent in a way that
        // matters (worst case a missing order entry), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn cache_id(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    // Length prefixes keep ("ab","c") and ("a","bc") apart.
    for part in [secret, date, region, service] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_signing_key_vector() {
        let key = derive_signing_key(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "20130524",
            "us-east-1",
            "s3",
        );
        assert_eq!(
            hex::encode(key),
            "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378"
        );
    }

    #[test]
    fn cache_is_bounded_and_consistent() {
        let cache = SigningKeyCache::new(2);
        let a = cache.signing_key("s", "20130524", "us-east-1", "s3");
        assert_eq!(a, derive_signing_key("s", "20130524", "us-east-1", "s3"));
        assert_eq!(cache.signing_key("s", "20130524", "us-east-1", "s3"), a);
        assert_eq!(cache.len(), 1);
        let b = cache.signing_key("s", "20130525", "us-east-1", "s3");
        assert_ne!(a, b);
        cache.signing_key("t", "20130524", "us-east-1", "s3");
        assert_eq!(cache.len(), 2);
        cache.signing_key("u", "20130524", "us-east-1", "s3");
        assert_eq!(cache.len(), 2);
        // Secrets differing only by where a boundary falls do not collide.
        assert_ne!(cache_id("ab", "c", "r", "s"), cache_id("a", "bc", "r", "s"));
        cache.clear();
        assert!(cache.is_empty());
        let off = SigningKeyCache::new(0);
        assert_eq!(off.signing_key("s", "20130524", "us-east-1", "s3"), a);
        assert!(off.is_empty());
    }
}
