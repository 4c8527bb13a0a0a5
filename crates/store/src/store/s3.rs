//! The S3 metadata methods of [`Store`]: each is one transaction over [`crate::s3::sql`].
//!
//! Methods that replace or remove records return the data segments no longer referenced,
//! so the caller deletes the files only after the metadata change committed (a crash then
//! leaks a file, never loses one). Reads of one statement skip the explicit transaction.

use super::Store;
use crate::s3::{
    Bucket, MetaResult, Object, Part, Removed, Segment, Tag, Upload, Version, Written, sql,
    versions,
};
use crate::sql::{Backend, tx_fn};

impl Store {
    /// `BucketExists` when the name is taken (by any account).
    pub async fn create_bucket(&self, bucket: &Bucket) -> MetaResult<()> {
        Ok(run!(self.write, [bucket], |tx| sql::create_bucket(
            tx, &bucket
        ))?)
    }

    pub async fn get_bucket(&self, name: &str) -> MetaResult<Option<Bucket>> {
        Ok(run!(self.read_point, [name], |tx| sql::get_bucket(
            tx, &name
        ))?)
    }

    /// Buckets owned by `owner`, by name.
    pub async fn list_buckets(&self, owner: &str) -> MetaResult<Vec<Bucket>> {
        Ok(run!(self.read_single, [owner], |tx| sql::list_buckets(
            tx, &owner
        ))?)
    }

    /// `NoSuchBucket`; `BucketNotEmpty` while objects or uploads remain.
    pub async fn delete_bucket(&self, name: &str) -> MetaResult<()> {
        Ok(run!(self.write, [name], |tx| sql::delete_bucket(
            tx, &name
        ))?)
    }

    /// Sets (`Some`) or removes (`None`) the bucket policy. `NoSuchBucket`.
    pub async fn set_bucket_policy(&self, name: &str, policy: Option<&str>) -> MetaResult<()> {
        let policy = policy.map(str::to_owned);
        Ok(run!(self.write, [name, policy], |tx| {
            sql::set_bucket_policy(tx, &name, policy.as_deref())
        })?)
    }

    /// Sets (`Some`) or removes (`None`) the bucket tags. `NoSuchBucket`.
    pub async fn set_bucket_tags(&self, name: &str, tags: Option<&[Tag]>) -> MetaResult<()> {
        let tags = tags.map(<[Tag]>::to_vec);
        Ok(run!(self.write, [name, tags], |tx| {
            sql::set_bucket_tags(tx, &name, tags.as_deref())
        })?)
    }

    /// Stores a new current version of an object as the bucket's versioning state says
    /// (`object.version_id` is the id used when versioning is enabled). `NoSuchBucket`.
    pub async fn put_object(&self, object: &Object) -> MetaResult<Written> {
        Ok(run!(self.write_untracked, [object], |tx| versions::write(
            tx, &object
        ))?)
    }

    /// The current object of a key (`None` when it has none or a delete marker is newest).
    pub async fn get_object(&self, bucket: &str, key: &str) -> MetaResult<Option<Object>> {
        Ok(run!(self.read_point, [bucket, key], |tx| sql::get_object(
            tx, &bucket, &key
        ))?)
    }

    /// One version or delete marker by id, or (`None`) the newest entry of the key.
    pub async fn get_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> MetaResult<Option<Version>> {
        let version_id = version_id.map(str::to_owned);
        Ok(run!(self.read, [bucket, key, version_id], |tx| {
            versions::get_version(tx, &bucket, &key, version_id.as_deref())
        })?)
    }

    /// DeleteObject: without `version_id`, removes the object (unversioned bucket) or adds
    /// a delete marker (`marker_id` when enabled, `null` when suspended); with it, removes
    /// exactly that version. `NoSuchBucket`.
    pub async fn delete_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        marker_id: &str,
    ) -> MetaResult<Removed> {
        let version_id = version_id.map(str::to_owned);
        let now = sql::ms(chrono::Utc::now());
        Ok(run!(
            self.write_untracked,
            [bucket, key, version_id, marker_id],
            |tx| {
                async move {
                    match version_id.as_deref() {
                        Some(v) => versions::delete_version(tx, &bucket, &key, v).await,
                        None => versions::delete_key(tx, &bucket, &key, &marker_id, now).await,
                    }
                }
            }
        )?)
    }

    /// Replaces the tags of the current object or of one version; false when there is no
    /// such object.
    pub async fn set_object_tags(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        tags: &[Tag],
    ) -> MetaResult<bool> {
        let tags = tags.to_vec();
        let version_id = version_id.map(str::to_owned);
        Ok(run!(
            self.write_untracked,
            [bucket, key, version_id, tags],
            |tx| { versions::set_tags(tx, &bucket, &key, version_id.as_deref(), &tags) }
        )?)
    }

    /// Sets (`Some`) or clears the canned ACL of one object version; false when there is
    /// no such object version.
    pub async fn set_object_acl(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        acl: Option<&str>,
    ) -> MetaResult<bool> {
        let acl = acl.map(str::to_owned);
        Ok(run!(self.write, [bucket, key, version_id, acl], |tx| {
            versions::set_acl(tx, &bucket, &key, &version_id, acl.as_deref())
        })?)
    }

    /// Sets a bucket's versioning state (`Enabled` or `Suspended`). `NoSuchBucket`.
    pub async fn set_versioning(&self, bucket: &str, status: &str) -> MetaResult<()> {
        Ok(run!(self.write, [bucket, status], |tx| {
            versions::set_versioning(tx, &bucket, &status)
        })?)
    }

    /// Up to `limit` versions and delete markers with `key >= prefix`, by key then newest
    /// first, after (`key`, `version_id`) (after every entry of `key` when no id is
    /// given), or from `key` on when `inclusive`. Keys past the prefix range may be
    /// returned; the caller stops at the first one.
    #[allow(clippy::too_many_arguments)]
    pub async fn list_versions(
        &self,
        bucket: &str,
        prefix: &str,
        key: &str,
        version_id: Option<&str>,
        inclusive: bool,
        limit: usize,
    ) -> MetaResult<Vec<Version>> {
        let version_id = version_id.map(str::to_owned);
        Ok(run!(
            self.read,
            [bucket, prefix, key, version_id, inclusive, limit],
            |tx| versions::list_versions(
                tx,
                &bucket,
                &prefix,
                &key,
                version_id.as_deref(),
                inclusive,
                limit
            )
        )?)
    }

    /// A bucket configuration document (`cors`, `lifecycle`, …).
    pub async fn bucket_config(&self, bucket: &str, name: &str) -> MetaResult<Option<String>> {
        Ok(run!(self.read_single, [bucket, name], |tx| {
            versions::get_bucket_config(tx, &bucket, &name)
        })?)
    }

    /// Sets (`Some`) or removes (`None`) a bucket configuration document. `NoSuchBucket`.
    pub async fn set_bucket_config(
        &self,
        bucket: &str,
        name: &str,
        value: Option<&str>,
    ) -> MetaResult<()> {
        let value = value.map(str::to_owned);
        Ok(run!(self.write, [bucket, name, value], |tx| {
            versions::set_bucket_config(tx, &bucket, &name, value.as_deref())
        })?)
    }

    /// Every bucket with configuration document `name` (e.g. `lifecycle`), with it.
    pub async fn buckets_with_config(&self, name: &str) -> MetaResult<Vec<(String, String)>> {
        Ok(run!(self.read_single, [name], |tx| {
            versions::buckets_with_config(tx, &name)
        })?)
    }

    /// An account-level S3 configuration document (`public-access-block`).
    pub async fn account_config(&self, account: &str, name: &str) -> MetaResult<Option<String>> {
        Ok(run!(self.read_single, [account, name], |tx| {
            versions::get_account_config(tx, &account, &name)
        })?)
    }

    pub async fn set_account_config(
        &self,
        account: &str,
        name: &str,
        value: Option<&str>,
    ) -> MetaResult<()> {
        let value = value.map(str::to_owned);
        Ok(run!(self.write, [account, name, value], |tx| {
            versions::set_account_config(tx, &account, &name, value.as_deref())
        })?)
    }

    /// Up to `limit` objects with `key > start` (`key >= start` when `inclusive`) and
    /// `key >= prefix`, in key (UTF-8 byte) order. Keys past the prefix range may be
    /// returned; the caller stops at the first one. The inclusive form lets a listing skip a
    /// whole common prefix by resuming at its successor, which no exclusive bound can name.
    pub async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        start: &str,
        inclusive: bool,
        limit: usize,
    ) -> MetaResult<Vec<Object>> {
        Ok(run!(
            self.read_single,
            [bucket, prefix, start, inclusive, limit],
            |tx| { sql::list_objects(tx, &bucket, &prefix, &start, inclusive, limit) }
        )?)
    }

    /// `NoSuchBucket`.
    pub async fn create_upload(&self, upload: &Upload) -> MetaResult<()> {
        Ok(run!(self.write_untracked, [upload], |tx| {
            sql::create_upload(tx, &upload)
        })?)
    }

    /// The upload, if it exists for this bucket and key.
    pub async fn get_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> MetaResult<Option<Upload>> {
        Ok(run!(self.read_single, [bucket, key, upload_id], |tx| {
            sql::get_upload(tx, &bucket, &key, &upload_id)
        })?)
    }

    /// Up to `limit` uploads with `(key, upload_id) > (key_marker, id_marker)` and
    /// `key >= prefix`.
    pub async fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: &str,
        id_marker: &str,
        limit: usize,
    ) -> MetaResult<Vec<Upload>> {
        Ok(run!(
            self.read_single,
            [bucket, prefix, key_marker, id_marker, limit],
            |tx| sql::list_uploads(tx, &bucket, &prefix, &key_marker, &id_marker, limit)
        )?)
    }

    /// Inserts or replaces a part; returns the replaced part's segment. `NoSuchUpload` if
    /// the upload is gone (aborted or completed meanwhile).
    pub async fn put_part(&self, part: &Part) -> MetaResult<Option<Segment>> {
        Ok(run!(self.write_untracked, [part], |tx| sql::put_part(
            tx, &part
        ))?)
    }

    /// Parts with number > `after`, ascending, at most `limit`.
    pub async fn list_parts(
        &self,
        upload_id: &str,
        after: u32,
        limit: usize,
    ) -> MetaResult<Vec<Part>> {
        Ok(run!(self.read_single, [upload_id, after, limit], |tx| {
            sql::list_parts(tx, &upload_id, after, limit)
        })?)
    }

    /// Atomically removes the upload and its parts and stores `object`; returns the
    /// segments no longer referenced (unused parts and the replaced object). `NoSuchUpload`;
    /// `NoSuchBucket`.
    pub async fn complete_upload(&self, upload_id: &str, object: &Object) -> MetaResult<Written> {
        Ok(run!(self.write_untracked, [upload_id, object], |tx| {
            sql::complete_upload(tx, &upload_id, &object)
        })?)
    }

    /// Removes the upload and its parts; returns their segments. `NoSuchUpload`.
    pub async fn abort_upload(&self, upload_id: &str) -> MetaResult<Vec<Segment>> {
        Ok(run!(self.write_untracked, [upload_id], |tx| {
            sql::abort_upload(tx, &upload_id)
        })?)
    }

    /// Ids of every data file a record names (parts and objects), read on one snapshot: the
    /// files a startup sweep must keep.
    pub async fn segment_ids(&self) -> MetaResult<Vec<String>> {
        Ok(run!(self.read, [], |tx| sql::segment_ids(tx))?)
    }
}
