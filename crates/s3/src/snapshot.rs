//! Buckets (owner, policy, region) in memory for the request path: authorizing an object
//! request reads its bucket's policy and owner from here without a store round trip. Keyed
//! by the store's change counter like the identity snapshot (`hourglass_iam`'s `snapshot`):
//! creating or deleting a bucket or changing its policy increments it, so the next request
//! on this node, and other nodes within the documented bound, see the change. A missing
//! bucket is cached too (as `None`): creating it is a counted write.

use std::sync::Arc;

use hourglass_store::SnapshotMap;

use crate::meta::{Bucket, MetaResult};

const CAPACITY: usize = 100_000;

pub(crate) struct BucketSnapshot {
    buckets: SnapshotMap<String, Option<Arc<Bucket>>>,
}

impl Default for BucketSnapshot {
    fn default() -> Self {
        BucketSnapshot {
            buckets: SnapshotMap::new(CAPACITY),
        }
    }
}

impl BucketSnapshot {
    /// The bucket as [`hourglass_store::Store::get_bucket`] returns it.
    pub(crate) async fn get(
        &self,
        store: &hourglass_store::Store,
        name: &str,
    ) -> MetaResult<Option<Bucket>> {
        let token = store.generation().token();
        if let Some(generation) = token
            && let Some(hit) = self.buckets.get(generation, name)
        {
            return Ok(hit.as_deref().cloned());
        }
        let bucket = store.get_bucket(name).await?;
        if let Some(generation) = token {
            self.buckets
                .insert(generation, name.to_owned(), bucket.clone().map(Arc::new));
        }
        Ok(bucket)
    }
}
