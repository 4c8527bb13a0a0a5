//! S3 metadata: buckets (with policy and tags), the object index and multipart uploads, kept
//! in the same database, schema and transactions as the IAM records (the [`Store`] methods
//! in `store/s3.rs`; the SQL in [`sql`]). Object bytes never live here: records name data
//! files ([`Segment`]) written and fsynced before the record commits.
//!
//! [`Store`]: crate::Store

pub(crate) mod sql;
pub(crate) mod versions;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{DeleteConflict, ResourceKind, StoreError};

/// Failures of the S3 metadata methods: the S3 domain outcomes, and everything else as
/// `Backend` (rendered from a [`StoreError`], which never carries secrets).
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

impl From<StoreError> for MetaError {
    fn from(e: StoreError) -> MetaError {
        match e {
            StoreError::NotFound {
                kind: ResourceKind::Bucket,
                ..
            } => MetaError::NoSuchBucket,
            StoreError::NotFound {
                kind: ResourceKind::Upload,
                ..
            } => MetaError::NoSuchUpload,
            StoreError::AlreadyExists {
                kind: ResourceKind::Bucket,
                ..
            } => MetaError::BucketExists,
            StoreError::DeleteConflict(DeleteConflict::BucketNotEmpty) => MetaError::BucketNotEmpty,
            other => MetaError::Backend(other.to_string()),
        }
    }
}

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
    /// `Enabled` or `Suspended` once versioning was configured; `None` for a bucket that
    /// never had it (which can never go back to that state).
    pub versioning: Option<String>,
    /// The `ownership` configuration document as stored (`None`: the default,
    /// BucketOwnerEnforced; `""`: deleted). Read only: set with `set_bucket_config`.
    pub ownership: Option<String>,
    /// The bucket's canned ACL (`acl` document). Read only, like `ownership`.
    pub acl: Option<String>,
}

/// One data file of an object, in order. A simple PUT has one; a completed multipart
/// upload has one per part (the parts' files are adopted, not copied).
///
/// A small object's only segment may instead be *inline*: id [`INLINE_SEGMENT`], its
/// (sealed) bytes in `data`, kept in the object's own row so that one commit makes data and
/// metadata durable together. `data` is not part of the segment's JSON: the store writes
/// it to the row's `data` column and fills it back on the reads that serve object bodies
/// ([`crate::Store::get_object`], [`crate::Store::get_version`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub id: String,
    pub len: u64,
    #[serde(skip)]
    pub data: Option<bytes::Bytes>,
}

/// The id of an inline segment (never a file name: file ids are hex).
pub const INLINE_SEGMENT: &str = "inline";

impl Segment {
    /// A segment kept in a data file.
    pub fn file(id: String, len: u64) -> Segment {
        Segment {
            id,
            len,
            data: None,
        }
    }

    /// A segment kept in the metadata row: `len` plaintext bytes stored as `data`.
    pub fn inline(data: bytes::Bytes, len: u64) -> Segment {
        Segment {
            id: INLINE_SEGMENT.to_owned(),
            len,
            data: Some(data),
        }
    }

    pub fn is_inline(&self) -> bool {
        self.id == INLINE_SEGMENT
    }
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

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Object {
    pub bucket: String,
    pub key: String,
    /// `null` for the version an unversioned or suspended bucket writes. On a write, the
    /// id to use if the bucket has versioning enabled (the store decides).
    pub version_id: String,
    /// Canned ACL (`public-read`, …) when the bucket has ACLs enabled; `None` = private.
    pub acl: Option<String>,
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

/// One entry of a key's history: an object version or a delete marker (whose object has
/// no data, only key, version id and time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub object: Object,
    pub delete_marker: bool,
    /// The current version of its key (the newest entry).
    pub latest: bool,
}

/// What a write did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Written {
    /// Data no longer referenced (a replaced `null` version), to delete after commit.
    pub freed: Vec<Segment>,
    /// The new version's id when the bucket has versioning configured (`null` when
    /// suspended); `None` on a bucket that never had versioning (no header on the wire).
    pub version_id: Option<String>,
}

/// What a delete did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Removed {
    pub freed: Vec<Segment>,
    /// The version removed, or the delete marker created (see `delete_marker`).
    pub version_id: Option<String>,
    /// A delete marker was created, or the version removed was one.
    pub delete_marker: bool,
    /// Something existed (unversioned delete, or a delete by version id).
    pub found: bool,
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

/// JSON columns (headers, tags, segments, checksums): their text is the stored format.
pub(crate) fn to_json<T: Serialize>(v: &T) -> crate::Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
}

pub(crate) fn from_json<T: for<'de> Deserialize<'de>>(s: &str) -> crate::Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::corrupt(format!("S3 record: {e}")))
}
