//! The S3 metadata logic, written once over [`Tx`] like the IAM logic, so SQLite and
//! PostgreSQL share every statement.
//!
//! Timestamps are stored as Unix milliseconds (`BIGINT`) and JSON documents as text: the
//! format v0.1 wrote, kept so existing rows are read back unchanged. Checks and the changes
//! they guard (bucket exists → insert object; bucket empty → delete it) run in one write
//! transaction; PostgreSQL's serializable isolation retries the loser of a race.

use chrono::{DateTime, TimeZone, Utc};

use super::{Bucket, Object, Part, Segment, StoredChecksum, Tag, Upload, from_json, to_json};
use crate::error::{DeleteConflict, ResourceKind, Result, StoreError};
use crate::sql::{Row, Tx};

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

/// A client-supplied count as a SQL `LIMIT` (saturating: a huge limit means "all").
pub(crate) fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn size(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| StoreError::InvalidInput(format!("size {v} out of range")))
}

pub(crate) fn no_bucket(name: &str) -> StoreError {
    StoreError::not_found(ResourceKind::Bucket, name)
}

fn no_upload(id: &str) -> StoreError {
    StoreError::not_found(ResourceKind::Upload, id)
}

const BUCKET_COLS: &str = "name, owner, created, region, policy, tags, versioning";
/// [`BUCKET_COLS`] and the configuration documents every authorization needs.
const BUCKET_SELECT: &str = "name, owner, created, region, policy, tags, versioning, \
     (SELECT value FROM s3_bucket_config c WHERE c.bucket = s3_buckets.name AND c.name = 'ownership'), \
     (SELECT value FROM s3_bucket_config c WHERE c.bucket = s3_buckets.name AND c.name = 'acl')";
pub(crate) const OBJECT_COLS: &str =
    "bucket, key, size, etag, modified, headers, checksum, tags, segments, parts, version_id, acl";
const UPLOAD_COLS: &str =
    "upload_id, bucket, key, initiated, headers, checksum_algorithm, tags, initiator";
const PART_COLS: &str = "upload_id, number, size, etag, modified, checksum, segment";

fn opt_json<T: for<'de> serde::Deserialize<'de>>(v: Option<String>) -> Result<Option<T>> {
    v.map(|s| from_json(&s)).transpose()
}

fn bucket_from(r: &Row) -> Result<Bucket> {
    Ok(Bucket {
        name: r.text(0)?,
        owner: r.text(1)?,
        created: from_ms(r.int(2)?),
        region: r.text(3)?,
        policy: r.opt_text(4)?,
        tags: opt_json(r.opt_text(5)?)?,
        versioning: r.opt_text(6)?,
        ownership: r.opt_text(7)?,
        acl: r.opt_text(8)?,
    })
}

pub(crate) fn object_from(r: &Row) -> Result<Object> {
    Ok(Object {
        bucket: r.text(0)?,
        key: r.text(1)?,
        size: u64::try_from(r.int(2)?).unwrap_or(0),
        etag: r.text(3)?,
        modified: from_ms(r.int(4)?),
        headers: from_json(&r.text(5)?)?,
        checksum: opt_json::<StoredChecksum>(r.opt_text(6)?)?,
        tags: from_json(&r.text(7)?)?,
        segments: from_json(&r.text(8)?)?,
        parts: from_json(&r.text(9)?)?,
        version_id: r.text(10)?,
        acl: r.opt_text(11)?,
    })
}

fn upload_from(r: &Row) -> Result<Upload> {
    Ok(Upload {
        upload_id: r.text(0)?,
        bucket: r.text(1)?,
        key: r.text(2)?,
        initiated: from_ms(r.int(3)?),
        headers: from_json(&r.text(4)?)?,
        checksum_algorithm: r.opt_text(5)?,
        tags: from_json(&r.text(6)?)?,
        initiator: r.text(7)?,
    })
}

fn part_from(r: &Row) -> Result<Part> {
    let number = r.int(1)?;
    let size = r.int(2)?;
    Ok(Part {
        upload_id: r.text(0)?,
        number: u32::try_from(number)
            .map_err(|_| StoreError::corrupt(format!("part number {number}")))?,
        size: u64::try_from(size).map_err(|_| StoreError::corrupt(format!("part size {size}")))?,
        etag: r.text(3)?,
        modified: from_ms(r.int(4)?),
        checksum: opt_json(r.opt_text(5)?)?,
        segment: from_json(&r.text(6)?)?,
    })
}

pub(crate) fn rows<T>(rows: Vec<Row>, f: fn(&Row) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}

pub(crate) async fn bucket_exists(tx: &mut dyn Tx, name: &str) -> Result<bool> {
    tx.exists("SELECT 1 FROM s3_buckets WHERE name = $1", &params![name])
        .await
}

// ----- buckets -----

pub(crate) async fn create_bucket(tx: &mut dyn Tx, b: &Bucket) -> Result<()> {
    let tags = b.tags.as_ref().map(to_json).transpose()?;
    let n = tx
        .execute(
            &format!(
                "INSERT INTO s3_buckets ({BUCKET_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT DO NOTHING"
            ),
            &params![
                &b.name,
                &b.owner,
                ms(b.created),
                &b.region,
                b.policy.as_deref(),
                tags,
                b.versioning.as_deref()
            ],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::already_exists(ResourceKind::Bucket, &b.name));
    }
    Ok(())
}

pub(crate) async fn get_bucket(tx: &mut dyn Tx, name: &str) -> Result<Option<Bucket>> {
    tx.query_opt(
        &format!("SELECT {BUCKET_SELECT} FROM s3_buckets WHERE name = $1"),
        &params![name],
    )
    .await?
    .as_ref()
    .map(bucket_from)
    .transpose()
}

pub(crate) async fn list_buckets(tx: &mut dyn Tx, owner: &str) -> Result<Vec<Bucket>> {
    let found = tx
        .query(
            &format!("SELECT {BUCKET_SELECT} FROM s3_buckets WHERE owner = $1 ORDER BY name"),
            &params![owner],
        )
        .await?;
    rows(found, bucket_from)
}

pub(crate) async fn delete_bucket(tx: &mut dyn Tx, name: &str) -> Result<()> {
    if !bucket_exists(tx, name).await? {
        return Err(no_bucket(name));
    }
    let busy = tx
        .exists(
            "SELECT 1 FROM s3_objects WHERE bucket = $1 \
             UNION ALL SELECT 1 FROM s3_versions WHERE bucket = $1 \
             UNION ALL SELECT 1 FROM s3_uploads WHERE bucket = $1 LIMIT 1",
            &params![name],
        )
        .await?;
    if busy {
        return Err(StoreError::DeleteConflict(DeleteConflict::BucketNotEmpty));
    }
    tx.execute("DELETE FROM s3_buckets WHERE name = $1", &params![name])
        .await?;
    tx.execute(
        "DELETE FROM s3_bucket_config WHERE bucket = $1",
        &params![name],
    )
    .await?;
    Ok(())
}

/// Sets one nullable text column of a bucket (`column` is a constant of this module).
async fn set_bucket_column(
    tx: &mut dyn Tx,
    column: &str,
    name: &str,
    value: Option<String>,
) -> Result<()> {
    let n = tx
        .execute(
            &format!("UPDATE s3_buckets SET {column} = $2 WHERE name = $1"),
            &params![name, value],
        )
        .await?;
    if n == 0 {
        return Err(no_bucket(name));
    }
    Ok(())
}

pub(crate) async fn set_bucket_policy(
    tx: &mut dyn Tx,
    name: &str,
    policy: Option<&str>,
) -> Result<()> {
    set_bucket_column(tx, "policy", name, policy.map(str::to_owned)).await
}

pub(crate) async fn set_bucket_tags(
    tx: &mut dyn Tx,
    name: &str,
    tags: Option<&[Tag]>,
) -> Result<()> {
    let tags = tags.map(|t| to_json(&t)).transpose()?;
    set_bucket_column(tx, "tags", name, tags).await
}

// ----- objects -----

/// The current object with its inline data, if any (the read that serves bodies).
pub(crate) async fn get_object(tx: &mut dyn Tx, bucket: &str, key: &str) -> Result<Option<Object>> {
    let Some(row) = tx
        .query_opt(
            &format!("SELECT {OBJECT_COLS}, data FROM s3_objects WHERE bucket = $1 AND key = $2"),
            &params![bucket, key],
        )
        .await?
    else {
        return Ok(None);
    };
    let mut object = object_from(&row)?;
    super::versions::attach_data(&mut object, row.opt_bytes(12)?)?;
    Ok(Some(object))
}

pub(crate) async fn list_objects(
    tx: &mut dyn Tx,
    bucket: &str,
    prefix: &str,
    start: &str,
    inclusive: bool,
    max: usize,
) -> Result<Vec<Object>> {
    let op = if inclusive { ">=" } else { ">" };
    let found = tx
        .query(
            &format!(
                "SELECT {OBJECT_COLS} FROM s3_objects WHERE bucket = $1 AND key {op} $2 \
                 AND key >= $3 ORDER BY key LIMIT $4"
            ),
            &params![bucket, start, prefix, limit(max)],
        )
        .await?;
    rows(found, object_from)
}

// ----- multipart uploads -----

pub(crate) async fn create_upload(tx: &mut dyn Tx, u: &Upload) -> Result<()> {
    if !bucket_exists(tx, &u.bucket).await? {
        return Err(no_bucket(&u.bucket));
    }
    tx.execute(
        &format!("INSERT INTO s3_uploads ({UPLOAD_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
        &params![
            &u.upload_id,
            &u.bucket,
            &u.key,
            ms(u.initiated),
            to_json(&u.headers)?,
            u.checksum_algorithm.as_deref(),
            to_json(&u.tags)?,
            &u.initiator,
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get_upload(
    tx: &mut dyn Tx,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<Option<Upload>> {
    tx.query_opt(
        &format!(
            "SELECT {UPLOAD_COLS} FROM s3_uploads WHERE upload_id = $1 AND bucket = $2 AND key = $3"
        ),
        &params![upload_id, bucket, key],
    )
    .await?
    .as_ref()
    .map(upload_from)
    .transpose()
}

pub(crate) async fn list_uploads(
    tx: &mut dyn Tx,
    bucket: &str,
    prefix: &str,
    key_marker: &str,
    id_marker: &str,
    max: usize,
) -> Result<Vec<Upload>> {
    let found = tx
        .query(
            &format!(
                "SELECT {UPLOAD_COLS} FROM s3_uploads WHERE bucket = $1 AND key >= $2
                 AND (key > $3 OR (key = $3 AND upload_id > $4)) ORDER BY key, upload_id LIMIT $5"
            ),
            &params![bucket, prefix, key_marker, id_marker, limit(max)],
        )
        .await?;
    rows(found, upload_from)
}

pub(crate) async fn put_part(tx: &mut dyn Tx, p: &Part) -> Result<Option<Segment>> {
    // A part's bytes live in a file: its record holds no data column.
    if p.segment.is_inline() || p.segment.data.is_some() {
        return Err(StoreError::InvalidInput(
            "a multipart upload part cannot be inline".into(),
        ));
    }
    let live = tx
        .exists(
            "SELECT 1 FROM s3_uploads WHERE upload_id = $1",
            &params![&p.upload_id],
        )
        .await?;
    if !live {
        return Err(no_upload(&p.upload_id));
    }
    let old = tx
        .query_opt(
            "SELECT segment FROM s3_parts WHERE upload_id = $1 AND number = $2",
            &params![&p.upload_id, p.number],
        )
        .await?;
    tx.execute(
        &format!(
            "INSERT INTO s3_parts ({PART_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (upload_id, number) DO UPDATE SET size = excluded.size,
             etag = excluded.etag, modified = excluded.modified, checksum = excluded.checksum,
             segment = excluded.segment"
        ),
        &params![
            &p.upload_id,
            p.number,
            size(p.size)?,
            &p.etag,
            ms(p.modified),
            p.checksum.as_ref().map(to_json).transpose()?,
            to_json(&p.segment)?,
        ],
    )
    .await?;
    old.map(|r| from_json(&r.text(0)?)).transpose()
}

pub(crate) async fn list_parts(
    tx: &mut dyn Tx,
    upload_id: &str,
    after: u32,
    max: usize,
) -> Result<Vec<Part>> {
    // Part numbers are an INTEGER column; a marker past its range matches nothing either way.
    let after = after.min(i32::MAX.unsigned_abs());
    let found = tx
        .query(
            &format!(
                "SELECT {PART_COLS} FROM s3_parts WHERE upload_id = $1 AND number > $2 \
                 ORDER BY number LIMIT $3"
            ),
            &params![upload_id, after, limit(max)],
        )
        .await?;
    rows(found, part_from)
}

/// Deletes a multipart upload and its parts, returning the parts' data segments (complete
/// keeps those the object uses; abort frees them all).
async fn take_upload(tx: &mut dyn Tx, upload_id: &str) -> Result<Vec<Segment>> {
    let n = tx
        .execute(
            "DELETE FROM s3_uploads WHERE upload_id = $1",
            &params![upload_id],
        )
        .await?;
    if n == 0 {
        return Err(no_upload(upload_id));
    }
    let parts = tx
        .query(
            "SELECT segment FROM s3_parts WHERE upload_id = $1",
            &params![upload_id],
        )
        .await?;
    tx.execute(
        "DELETE FROM s3_parts WHERE upload_id = $1",
        &params![upload_id],
    )
    .await?;
    parts.iter().map(|r| from_json(&r.text(0)?)).collect()
}

pub(crate) async fn complete_upload(
    tx: &mut dyn Tx,
    upload_id: &str,
    o: &Object,
) -> Result<super::Written> {
    let mut unused = take_upload(tx, upload_id).await?;
    unused.retain(|seg| !o.segments.contains(seg));
    if !bucket_exists(tx, &o.bucket).await? {
        return Err(no_bucket(&o.bucket));
    }
    let mut written = super::versions::write(tx, o).await?;
    written.freed.extend(unused);
    Ok(written)
}

pub(crate) async fn abort_upload(tx: &mut dyn Tx, upload_id: &str) -> Result<Vec<Segment>> {
    take_upload(tx, upload_id).await
}

/// Ids of every data file a record names: parts first, then objects. The caller runs this
/// on one snapshot; the order also keeps it sound without one, as a segment only ever moves
/// from a part to an object (completion), never back.
pub(crate) async fn segment_ids(tx: &mut dyn Tx) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for r in tx.query("SELECT segment FROM s3_parts", &[]).await? {
        ids.push(from_json::<Segment>(&r.text(0)?)?.id);
    }
    for r in tx
        .query(
            "SELECT segments FROM s3_objects UNION ALL SELECT segments FROM s3_versions",
            &[],
        )
        .await?
    {
        ids.extend(
            from_json::<Vec<Segment>>(&r.text(0)?)?
                .into_iter()
                .map(|s| s.id),
        );
    }
    Ok(ids)
}
