//! Buckets (owner, policy, region) and their configuration documents in memory for the
//! request path: authorizing an object request reads its bucket's policy and owner from
//! here, and a GET its bucket's lifecycle rules (for `x-amz-expiration`), without a store
//! round trip. Keyed by the store's change counter like the identity snapshot
//! (`hourglass_iam`'s `snapshot`): creating or deleting a bucket, changing its policy or
//! setting a configuration document increments it, so the next request on this node, and
//! other nodes within the documented bound, see the change. What is missing is cached too
//! (as `None`): creating it is a counted write.

use std::sync::Arc;

use hourglass_store::{SnapshotMap, Store};

use crate::meta::{Bucket, MetaResult};

const CAPACITY: usize = 100_000;

pub(crate) struct BucketSnapshot {
    buckets: SnapshotMap<String, Option<Arc<Bucket>>>,
    /// Bucket documents (lifecycle, CORS, public access block).
    bucket_configs: Documents,
    /// Account documents (public access block).
    account_configs: Documents,
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

impl BucketSnapshot {
    /// The bucket as [`hourglass_store::Store::get_bucket`] returns it.
    pub(crate) async fn get(&self, store: &Store, name: &str) -> MetaResult<Option<Bucket>> {
        let bucket = self
            .buckets
            .get_or_load(store.generation(), name, || async {
                store.get_bucket(name).await.map(|b| b.map(Arc::new))
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
        let load = store.bucket_config(bucket, doc);
        document(&self.bucket_configs, store, bucket, doc, load).await
    }

    /// An account's S3 configuration document, as
    /// [`hourglass_store::Store::account_config`].
    pub(crate) async fn account_config(
        &self,
        store: &Store,
        account: &str,
        doc: &'static str,
    ) -> MetaResult<Option<Arc<str>>> {
        let load = store.account_config(account, doc);
        document(&self.account_configs, store, account, doc, load).await
    }
}

/// Configuration documents by `(owner, document)`, the owner a bucket or an account.
type Documents = SnapshotMap<(String, &'static str), Option<Arc<str>>>;

/// `owner`'s document `doc` from `map`, or `load`'s (a future, so awaited only on a miss).
async fn document(
    map: &Documents,
    store: &Store,
    owner: &str,
    doc: &'static str,
    load: impl Future<Output = MetaResult<Option<String>>>,
) -> MetaResult<Option<Arc<str>>> {
    map.get_or_load(store.generation(), &(owner.to_owned(), doc), || async {
        load.await.map(|d| d.map(Arc::from))
    })
    .await
}
