//! Buckets (owner, policy, region) and their configuration documents in memory for the
//! request path: authorizing an object request reads its bucket's policy and owner from
//! here, and a GET its bucket's lifecycle rules (for `x-amz-expiration`), without a store
//! round trip. Keyed by the store's change counter like the identity snapshot
//! (`hourglass_iam`'s `snapshot`): creating or deleting a bucket, changing its policy or
//! setting a configuration document increments it, so the next request on this node, and
//! other nodes within the documented bound, see the change. What is missing is cached too
//! (as `None`): creating it is a counted write.

use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;

use hourglass_store::{SnapshotMap, Store};

use crate::meta::{Bucket, MetaResult};

const CAPACITY: usize = 100_000;

pub(crate) struct BucketSnapshot {
    buckets: SnapshotMap<String, Option<Arc<Bucket>>>,
    /// Bucket documents (lifecycle, CORS, public access block) by `(bucket, document)`.
    bucket_configs: SnapshotMap<(String, &'static str), Option<Arc<str>>>,
    /// Account documents (public access block) by `(account, document)`.
    account_configs: SnapshotMap<(String, &'static str), Option<Arc<str>>>,
}

impl Default for BucketSnapshot {
    fn default() -> Self {
        BucketSnapshot {
            buckets: SnapshotMap::new(CAPACITY),
            bucket_configs: SnapshotMap::new(CAPACITY),
            account_configs: SnapshotMap::new(CAPACITY),
        }
    }
}

/// Reads `key` from `map` at the current generation, or loads it and caches it under the
/// generation taken *before* the load (so a change committed meanwhile is never hidden).
async fn cached<K, V, F, Fut>(
    store: &Store,
    map: &SnapshotMap<K, V>,
    key: K,
    load: F,
) -> MetaResult<V>
where
    K: Eq + Hash + Clone,
    V: Clone,
    F: FnOnce() -> Fut,
    Fut: Future<Output = MetaResult<V>>,
{
    let token = store.generation().token();
    if let Some(generation) = token
        && let Some(hit) = map.get(generation, &key)
    {
        return Ok(hit);
    }
    let value = load().await?;
    if let Some(generation) = token {
        map.insert(generation, key, value.clone());
    }
    Ok(value)
}

impl BucketSnapshot {
    /// The bucket as [`hourglass_store::Store::get_bucket`] returns it.
    pub(crate) async fn get(&self, store: &Store, name: &str) -> MetaResult<Option<Bucket>> {
        let bucket = cached(store, &self.buckets, name.to_owned(), || async {
            Ok(store.get_bucket(name).await?.map(Arc::new))
        })
        .await?;
        Ok(bucket.as_deref().cloned())
    }

    /// A bucket's configuration document, as [`hourglass_store::Store::bucket_config`].
    pub(crate) async fn bucket_config(
        &self,
        store: &Store,
        bucket: &str,
        doc: &'static str,
    ) -> MetaResult<Option<Arc<str>>> {
        cached(
            store,
            &self.bucket_configs,
            (bucket.to_owned(), doc),
            || async { Ok(store.bucket_config(bucket, doc).await?.map(Arc::from)) },
        )
        .await
    }

    /// An account's S3 configuration document, as
    /// [`hourglass_store::Store::account_config`].
    pub(crate) async fn account_config(
        &self,
        store: &Store,
        account: &str,
        doc: &'static str,
    ) -> MetaResult<Option<Arc<str>>> {
        cached(
            store,
            &self.account_configs,
            (account.to_owned(), doc),
            || async { Ok(store.account_config(account, doc).await?.map(Arc::from)) },
        )
        .await
    }
}
