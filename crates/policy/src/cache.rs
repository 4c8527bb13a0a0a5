//! A cache of compiled policies keyed by document text and kind.
//!
//! The same document (a managed policy attached to many users, a bucket policy read on
//! every request) is compiled once and shared. Lookups hash the text with a per-process
//! random key and then compare the full text, so two documents can never share an entry
//! however their hashes collide.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Arc, RwLock};

use smallvec::SmallVec;

use crate::compile::CompiledPolicy;
use crate::error::PolicyError;
use crate::kind::PolicyKind;

struct Entry {
    kind: PolicyKind,
    text: Box<str>,
    policy: Arc<CompiledPolicy>,
}

/// A bounded, thread-safe cache of compiled policies.
pub struct PolicyCache {
    hasher: RandomState,
    capacity: usize,
    entries: RwLock<HashMap<u64, SmallVec<[Entry; 1]>>>,
}

impl std::fmt::Debug for PolicyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl Default for PolicyCache {
    fn default() -> Self {
        PolicyCache::new(4096)
    }
}

impl PolicyCache {
    /// A cache holding at most `capacity` documents (at least one).
    pub fn new(capacity: usize) -> Self {
        PolicyCache {
            hasher: RandomState::new(),
            capacity: capacity.max(1),
            entries: RwLock::new(HashMap::new()),
        }
    }

    fn key(&self, text: &str, kind: PolicyKind) -> u64 {
        self.hasher.hash_one((kind, text))
    }

    /// The compiled form of `text` as `kind`, compiling it on first use. Refused
    /// documents are not cached.
    pub fn get_or_compile(
        &self,
        text: &str,
        kind: PolicyKind,
    ) -> Result<Arc<CompiledPolicy>, PolicyError> {
        let key = self.key(text, kind);
        {
            let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
            if let Some(found) = entries
                .get(&key)
                .and_then(|bucket| bucket.iter().find(|e| e.kind == kind && &*e.text == text))
            {
                return Ok(found.policy.clone());
            }
        }
        // Compile outside the lock; a racing thread may compile the same text, and the
        // first insert wins.
        let compiled = Arc::new(CompiledPolicy::from_text(text, kind)?);
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = entries
            .get(&key)
            .and_then(|bucket| bucket.iter().find(|e| e.kind == kind && &*e.text == text))
        {
            return Ok(existing.policy.clone());
        }
        if entries.len() >= self.capacity {
            // No recency tracking: dropping an arbitrary entry costs one recompilation.
            if let Some(victim) = entries.keys().next().copied() {
                entries.remove(&victim);
            }
        }
        entries.entry(key).or_default().push(Entry {
            kind,
            text: text.into(),
            policy: compiled.clone(),
        });
        Ok(compiled)
    }

    /// Number of cached documents.
    pub fn len(&self) -> usize {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.values().map(SmallVec::len).sum()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry.
    pub fn clear(&self) {
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const DOC: &str =
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;

    #[test]
    fn shares_compiled_policies_by_text_and_kind() {
        let cache = PolicyCache::new(2);
        let a = cache.get_or_compile(DOC, PolicyKind::Identity).unwrap();
        let b = cache.get_or_compile(DOC, PolicyKind::Identity).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let c = cache.get_or_compile(DOC, PolicyKind::Managed).unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(cache.len(), 2);
        assert!(cache.get_or_compile("{", PolicyKind::Identity).is_err());
        assert_eq!(cache.len(), 2);
        let other = DOC.replace("s3:*", "iam:*");
        cache.get_or_compile(&other, PolicyKind::Identity).unwrap();
        assert_eq!(cache.len(), 2, "capacity bounds the cache");
        cache.clear();
        assert!(cache.is_empty());
    }
}
