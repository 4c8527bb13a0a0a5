//! The S3 metadata methods of [`Store`]: each is one transaction over [`crate::s3::sql`].
//!
//! Methods that replace or remove records return the data segments no longer referenced,
//! so the caller deletes the files only after the metadata change committed (a crash then
//! leaks a file, never loses one). Reads of one statement skip the explicit transaction.

use super::Store;
use crate::s3::{
    Bucket, MetaError, MetaResult, Object, Part, Removed, Segment, Tag, Upload, Version, Written,
    sql, versions,
};
use crate::sql::{Backend, tx_fn};

store_api! {
    /// `BucketExists` when the name is taken (by any account).
    write fn create_bucket(bucket: &Bucket) -> () as MetaError
        = |tx| sql::create_bucket(tx, &bucket);

    read_point fn get_bucket(name: &str) -> Option<Bucket> as MetaError
        = |tx| sql::get_bucket(tx, &name);

    /// Buckets owned by `owner`, by name.
    read_single fn list_buckets(owner: &str) -> Vec<Bucket> as MetaError
        = |tx| sql::list_buckets(tx, &owner);

    /// `NoSuchBucket`; `BucketNotEmpty` while objects or uploads remain.
    write fn delete_bucket(name: &str) -> () as MetaError = |tx| sql::delete_bucket(tx, &name);

    /// Sets (`Some`) or removes (`None`) the bucket policy. `NoSuchBucket`.
    write fn set_bucket_policy(name: &str, policy: Option<&str> => policy.map(str::to_owned))
        -> () as MetaError
        = |tx| sql::set_bucket_policy(tx, &name, policy.as_deref());

    /// Sets (`Some`) or removes (`None`) the bucket tags. `NoSuchBucket`.
    write fn set_bucket_tags(name: &str, tags: Option<&[Tag]> => tags.map(<[Tag]>::to_vec))
        -> () as MetaError
        = |tx| sql::set_bucket_tags(tx, &name, tags.as_deref());

    /// Stores a new current version of an object as the bucket's versioning state says
    /// (`object.version_id` is the id used when versioning is enabled). `NoSuchBucket`.
    write_untracked fn put_object(object: &Object) -> Written as MetaError
        = |tx| versions::write(tx, &object);

    /// The current object of a key (`None` when it has none or a delete marker is newest),
    /// with its inline data.
    read_point fn get_object(bucket: &str, key: &str) -> Option<Object> as MetaError
        = |tx| sql::get_object(tx, &bucket, &key);

    /// As [`Store::get_version`], asking the key's whole history (current object, older
    /// versions and delete markers) in one statement.
    read_point fn find_version(
        bucket: &str,
        key: &str,
        version_id: Option<&str> => version_id.map(str::to_owned),
    ) -> Option<Version> as MetaError
        = |tx| versions::get_version(tx, &bucket, &key, version_id.as_deref());

    /// Replaces the tags of the current object or of one version; false when there is no
    /// such object.
    write_untracked fn set_object_tags(
        bucket: &str,
        key: &str,
        version_id: Option<&str> => version_id.map(str::to_owned),
        tags: &[Tag],
    ) -> bool as MetaError
        = |tx| versions::set_tags(tx, &bucket, &key, version_id.as_deref(), &tags);

    /// Sets (`Some`) or clears the canned ACL of one object version; false when there is
    /// no such object version.
    write fn set_object_acl(
        bucket: &str,
        key: &str,
        version_id: &str,
        acl: Option<&str> => acl.map(str::to_owned),
    ) -> bool as MetaError
        = |tx| versions::set_acl(tx, &bucket, &key, &version_id, acl.as_deref());

    /// Sets a bucket's versioning state (`Enabled` or `Suspended`). `NoSuchBucket`.
    write fn set_versioning(bucket: &str, status: &str) -> () as MetaError
        = |tx| versions::set_versioning(tx, &bucket, &status);

    /// Up to `limit` versions and delete markers with `key >= prefix`, by key then newest
    /// first, after (`key`, `version_id`) (after every entry of `key` when no id is
    /// given), or from `key` on when `inclusive`. Keys past the prefix range may be
    /// returned; the caller stops at the first one.
    #[allow(clippy::too_many_arguments)]
    read fn list_versions(
        bucket: &str,
        prefix: &str,
        key: &str,
        version_id: Option<&str> => version_id.map(str::to_owned),
        inclusive: bool,
        limit: usize,
    ) -> Vec<Version> as MetaError
        = |tx| versions::list_versions(
            tx, &bucket, &prefix, &key, version_id.as_deref(), inclusive, limit,
        );

    /// A bucket configuration document (`cors`, `lifecycle`, …).
    read_single fn bucket_config(bucket: &str, name: &str) -> Option<String> as MetaError
        = |tx| versions::get_bucket_config(tx, &bucket, &name);

    /// Sets (`Some`) or removes (`None`) a bucket configuration document. `NoSuchBucket`.
    write fn set_bucket_config(
        bucket: &str,
        name: &str,
        value: Option<&str> => value.map(str::to_owned),
    ) -> () as MetaError
        = |tx| versions::set_bucket_config(tx, &bucket, &name, value.as_deref());

    /// Every bucket with configuration document `name` (e.g. `lifecycle`), with it.
    read_single fn buckets_with_config(name: &str) -> Vec<(String, String)> as MetaError
        = |tx| versions::buckets_with_config(tx, &name);

    /// An account-level S3 configuration document (`public-access-block`).
    read_single fn account_config(account: &str, name: &str) -> Option<String> as MetaError
        = |tx| versions::get_account_config(tx, &account, &name);

    write fn set_account_config(
        account: &str,
        name: &str,
        value: Option<&str> => value.map(str::to_owned),
    ) -> () as MetaError
        = |tx| versions::set_account_config(tx, &account, &name, value.as_deref());

    /// Up to `limit` objects with `key > start` (`key >= start` when `inclusive`) and
    /// `key >= prefix`, in key (UTF-8 byte) order, without their inline data. Keys past the
    /// prefix range may be returned; the caller stops at the first one. The inclusive form
    /// lets a listing skip a whole common prefix by resuming at its successor, which no
    /// exclusive bound can name.
    read_single fn list_objects(
        bucket: &str,
        prefix: &str,
        start: &str,
        inclusive: bool,
        limit: usize,
    ) -> Vec<Object> as MetaError
        = |tx| sql::list_objects(tx, &bucket, &prefix, &start, inclusive, limit);

    /// `NoSuchBucket`.
    write_untracked fn create_upload(upload: &Upload) -> () as MetaError
        = |tx| sql::create_upload(tx, &upload);

    /// The upload, if it exists for this bucket and key.
    read_single fn get_upload(bucket: &str, key: &str, upload_id: &str) -> Option<Upload>
        as MetaError
        = |tx| sql::get_upload(tx, &bucket, &key, &upload_id);

    /// Up to `limit` uploads with `(key, upload_id) > (key_marker, id_marker)` and
    /// `key >= prefix`.
    read_single fn list_uploads(
        bucket: &str,
        prefix: &str,
        key_marker: &str,
        id_marker: &str,
        limit: usize,
    ) -> Vec<Upload> as MetaError
        = |tx| sql::list_uploads(tx, &bucket, &prefix, &key_marker, &id_marker, limit);

    /// Inserts or replaces a part; returns the replaced part's segment. `NoSuchUpload` if
    /// the upload is gone (aborted or completed meanwhile).
    write_untracked fn put_part(part: &Part) -> Option<Segment> as MetaError
        = |tx| sql::put_part(tx, &part);

    /// Parts with number > `after`, ascending, at most `limit`.
    read_single fn list_parts(upload_id: &str, after: u32, limit: usize) -> Vec<Part>
        as MetaError
        = |tx| sql::list_parts(tx, &upload_id, after, limit);

    /// Atomically removes the upload and its parts and stores `object`; returns the
    /// segments no longer referenced (unused parts and the replaced object). `NoSuchUpload`;
    /// `NoSuchBucket`.
    write_untracked fn complete_upload(upload_id: &str, object: &Object) -> Written as MetaError
        = |tx| sql::complete_upload(tx, &upload_id, &object);

    /// Removes the upload and its parts; returns their segments. `NoSuchUpload`.
    write_untracked fn abort_upload(upload_id: &str) -> Vec<Segment> as MetaError
        = |tx| sql::abort_upload(tx, &upload_id);

    /// Ids of every data file a record names (parts and objects), read on one snapshot: the
    /// files a startup sweep must keep.
    read fn segment_ids() -> Vec<String> as MetaError = |tx| sql::segment_ids(tx);
}

impl Store {
    /// One version or delete marker by id, or (`None`) the newest entry of the key, with
    /// its inline data.
    pub async fn get_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> MetaResult<Option<Version>> {
        if version_id.is_none() {
            // The current object, when there is one, is the key's newest entry (the
            // invariant `versions::promote` keeps), so most reads end at its primary key.
            // Only a miss asks the whole history whether a delete marker is newest; each
            // read sees one committed state and the answer comes from one of them alone.
            if let Some(object) = self.get_object(bucket, key).await? {
                return Ok(Some(Version {
                    object,
                    delete_marker: false,
                    latest: true,
                }));
            }
        }
        self.find_version(bucket, key, version_id).await
    }
}

impl Store {
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
}
