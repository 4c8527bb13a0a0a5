//! The S3 metadata methods of [`Store`]: each is one transaction over [`crate::s3::sql`].
//!
//! Methods that replace or remove records return the data segments no longer referenced,
//! so the caller deletes the files only after the metadata change committed (a crash then
//! leaks a file, never loses one). Reads of one statement skip the explicit transaction.

use super::Store;
use crate::s3::{Bucket, MetaResult, Object, Part, Segment, Tag, Upload, sql};
use crate::sql::{Backend, tx_fn};

impl Store {
    /// `BucketExists` when the name is taken (by any account).
    pub async fn create_bucket(&self, bucket: &Bucket) -> MetaResult<()> {
        Ok(run!(self.write, [bucket], |tx| sql::create_bucket(
            tx, &bucket
        ))?)
    }

    pub async fn get_bucket(&self, name: &str) -> MetaResult<Option<Bucket>> {
        Ok(run!(self.read_single, [name], |tx| sql::get_bucket(
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

    /// Inserts or replaces an object; returns the segments of the replaced version.
    /// `NoSuchBucket`.
    pub async fn put_object(&self, object: &Object) -> MetaResult<Vec<Segment>> {
        Ok(run!(self.write_untracked, [object], |tx| sql::put_object(
            tx, &object
        ))?)
    }

    pub async fn get_object(&self, bucket: &str, key: &str) -> MetaResult<Option<Object>> {
        Ok(run!(
            self.read_single,
            [bucket, key],
            |tx| sql::get_object(tx, &bucket, &key)
        )?)
    }

    /// Removes an object; returns its segments (`None` when there was no object).
    pub async fn delete_object(&self, bucket: &str, key: &str) -> MetaResult<Option<Vec<Segment>>> {
        Ok(run!(self.write_untracked, [bucket, key], |tx| {
            sql::delete_object(tx, &bucket, &key)
        })?)
    }

    /// Replaces an object's tags; false when the object does not exist.
    pub async fn set_object_tags(&self, bucket: &str, key: &str, tags: &[Tag]) -> MetaResult<bool> {
        let tags = tags.to_vec();
        Ok(run!(self.write_untracked, [bucket, key, tags], |tx| {
            sql::set_object_tags(tx, &bucket, &key, &tags)
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
    pub async fn complete_upload(
        &self,
        upload_id: &str,
        object: &Object,
    ) -> MetaResult<Vec<Segment>> {
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
