//! The S3 metadata store: buckets (with policy and tags), the object index and multipart
//! uploads. One small trait, one adapter per engine (SQLite, PostgreSQL), one conformance
//! suite run against both. Object bytes never live here: records name data files
//! ([`Segment`]) written and fsynced before the record commits.

pub mod conformance;
pub mod postgres;
pub mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    #[error("bucket already exists")]
    BucketExists,
    #[error("no such bucket")]
    NoSuchBucket,
    #[error("bucket not empty")]
    BucketNotEmpty,
    #[error("no such upload")]
    NoSuchUpload,
    #[error("backend: {0}")]
    Backend(String),
}

pub type MetaResult<T> = Result<T, MetaError>;

/// A key/value tag (bucket or object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub name: String,
    /// Owning account id.
    pub owner: String,
    pub created: DateTime<Utc>,
    pub region: String,
    pub policy: Option<String>,
    pub tags: Option<Vec<Tag>>,
}

/// One data file of an object, in order. A simple PUT has one; a completed multipart
/// upload has one per part (the parts' files are adopted, not copied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub id: String,
    pub len: u64,
}

/// A flexible checksum as stored and returned: algorithm name (`CRC32`…) and base64 value
/// (multipart composites end in `-N`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredChecksum {
    pub algorithm: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ObjectHeaders {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    pub expires: Option<String>,
    /// `x-amz-meta-*` without the prefix, lower-case names.
    pub user: Vec<(String, String)>,
    pub storage_class: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub bucket: String,
    pub key: String,
    pub size: u64,
    /// Quoted ETag as returned (`"hex"` or `"hex-N"`).
    pub etag: String,
    pub modified: DateTime<Utc>,
    pub headers: ObjectHeaders,
    pub checksum: Option<StoredChecksum>,
    pub tags: Vec<Tag>,
    pub segments: Vec<Segment>,
    /// Part sizes of a multipart object (for `partNumber` GETs and parts count).
    pub parts: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub upload_id: String,
    pub bucket: String,
    pub key: String,
    pub initiated: DateTime<Utc>,
    pub headers: ObjectHeaders,
    pub checksum_algorithm: Option<String>,
    pub tags: Vec<Tag>,
    /// Account id of the initiator, for ListMultipartUploads.
    pub initiator: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub upload_id: String,
    pub number: u32,
    pub size: u64,
    pub etag: String,
    pub modified: DateTime<Utc>,
    pub checksum: Option<StoredChecksum>,
    pub segment: Segment,
}

/// Storage of S3 metadata. Methods that replace or remove records return the data
/// segments that are no longer referenced, so the caller deletes the files only after the
/// metadata change committed (a crash then leaks a file, never loses one).
#[async_trait]
pub trait MetaStore: Send + Sync {
    async fn create_bucket(&self, bucket: &Bucket) -> MetaResult<()>;
    async fn get_bucket(&self, name: &str) -> MetaResult<Option<Bucket>>;
    /// Buckets owned by `owner`, by name.
    async fn list_buckets(&self, owner: &str) -> MetaResult<Vec<Bucket>>;
    /// Fails with `BucketNotEmpty` while objects or uploads remain.
    async fn delete_bucket(&self, name: &str) -> MetaResult<()>;
    async fn set_bucket_policy(&self, name: &str, policy: Option<&str>) -> MetaResult<()>;
    async fn set_bucket_tags(&self, name: &str, tags: Option<&[Tag]>) -> MetaResult<()>;

    /// Inserts or replaces an object; returns the segments of the replaced version.
    async fn put_object(&self, object: &Object) -> MetaResult<Vec<Segment>>;
    async fn get_object(&self, bucket: &str, key: &str) -> MetaResult<Option<Object>>;
    /// Removes an object; returns its segments (empty when there was none).
    async fn delete_object(&self, bucket: &str, key: &str) -> MetaResult<Option<Vec<Segment>>>;
    /// Replaces an object's tags; false when the object does not exist.
    async fn set_object_tags(&self, bucket: &str, key: &str, tags: &[Tag]) -> MetaResult<bool>;
    /// Up to `limit` objects with `key > after` and `key >= prefix`, in key (byte) order.
    /// Keys past the prefix range may be returned; the caller stops at the first one.
    async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        after: &str,
        limit: usize,
    ) -> MetaResult<Vec<Object>>;

    async fn create_upload(&self, upload: &Upload) -> MetaResult<()>;
    async fn get_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> MetaResult<Option<Upload>>;
    /// Up to `limit` uploads with `(key, upload_id) > (key_marker, id_marker)` and `key >= prefix`.
    async fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: &str,
        id_marker: &str,
        limit: usize,
    ) -> MetaResult<Vec<Upload>>;
    /// Inserts or replaces a part; returns the replaced part's segment. Fails with
    /// `NoSuchUpload` if the upload is gone (aborted or completed meanwhile).
    async fn put_part(&self, part: &Part) -> MetaResult<Option<Segment>>;
    /// Parts with number > `after`, ascending, at most `limit`.
    async fn list_parts(&self, upload_id: &str, after: u32, limit: usize) -> MetaResult<Vec<Part>>;
    /// Atomically removes the upload and its parts and stores `object`; returns the
    /// segments no longer referenced (unused parts and the replaced object).
    async fn complete_upload(&self, upload_id: &str, object: &Object) -> MetaResult<Vec<Segment>>;
    /// Removes the upload and its parts; returns their segments.
    async fn abort_upload(&self, upload_id: &str) -> MetaResult<Vec<Segment>>;
}

/// JSON columns: (de)serialisation helpers shared by the adapters.
pub(crate) fn to_json<T: Serialize>(v: &T) -> MetaResult<String> {
    serde_json::to_string(v).map_err(|e| MetaError::Backend(e.to_string()))
}

pub(crate) fn from_json<T: for<'de> Deserialize<'de>>(s: &str) -> MetaResult<T> {
    serde_json::from_str(s).map_err(|e| MetaError::Backend(format!("corrupt record: {e}")))
}

/// The table definitions, in the SQL both engines accept. Keys compare bytewise (PostgreSQL
/// `COLLATE "C"`; SQLite's default BINARY) so listings are in S3's UTF-8 byte order.
pub(crate) fn schema_sql(text_c: &str, ts: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS s3_buckets (
            name TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            created {ts} NOT NULL,
            region TEXT NOT NULL,
            policy TEXT,
            tags TEXT
        );
        CREATE TABLE IF NOT EXISTS s3_objects (
            bucket TEXT NOT NULL,
            key {text_c} NOT NULL,
            size BIGINT NOT NULL,
            etag TEXT NOT NULL,
            modified {ts} NOT NULL,
            headers TEXT NOT NULL,
            checksum TEXT,
            tags TEXT NOT NULL,
            segments TEXT NOT NULL,
            parts TEXT NOT NULL,
            PRIMARY KEY (bucket, key)
        );
        CREATE TABLE IF NOT EXISTS s3_uploads (
            upload_id TEXT PRIMARY KEY,
            bucket TEXT NOT NULL,
            key {text_c} NOT NULL,
            initiated {ts} NOT NULL,
            headers TEXT NOT NULL,
            checksum_algorithm TEXT,
            tags TEXT NOT NULL,
            initiator TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS s3_uploads_by_key ON s3_uploads (bucket, key, upload_id);
        CREATE TABLE IF NOT EXISTS s3_parts (
            upload_id TEXT NOT NULL,
            number INTEGER NOT NULL,
            size BIGINT NOT NULL,
            etag TEXT NOT NULL,
            modified {ts} NOT NULL,
            checksum TEXT,
            segment TEXT NOT NULL,
            PRIMARY KEY (upload_id, number)
        );"
    )
}
