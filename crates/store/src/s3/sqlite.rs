//! SQLite adapter: its own file (`DATA_DIR/s3.db`), WAL, `synchronous = FULL` (an object
//! acknowledged to a client must survive a power cut). One writer connection and a few
//! readers; rusqlite is synchronous, so every call runs on `spawn_blocking`.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::*;

pub struct SqliteMeta {
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Vec<Mutex<Connection>>>,
    next: std::sync::atomic::AtomicUsize,
}

fn be(e: impl std::fmt::Display) -> MetaError {
    MetaError::Backend(e.to_string())
}

fn open_conn(path: &Path) -> MetaResult<Connection> {
    let conn = Connection::open(path).map_err(be)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(be)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
    )
    .map_err(be)?;
    Ok(conn)
}

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

impl SqliteMeta {
    pub async fn open(path: &Path) -> MetaResult<Self> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            let writer = open_conn(&path)?;
            writer
                .execute_batch(&schema_sql("TEXT", "BIGINT"))
                .map_err(be)?;
            let mut readers = Vec::new();
            for _ in 0..4 {
                readers.push(Mutex::new(open_conn(&path)?));
            }
            Ok(Self {
                writer: Arc::new(Mutex::new(writer)),
                readers: Arc::new(readers),
                next: std::sync::atomic::AtomicUsize::new(0),
            })
        })
        .await
        .map_err(be)?
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> MetaResult<T> + Send + 'static,
    ) -> MetaResult<T> {
        let conn = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| be("sqlite writer lock poisoned"))?;
            f(&mut guard)
        })
        .await
        .map_err(be)?
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> MetaResult<T> + Send + 'static,
    ) -> MetaResult<T> {
        let readers = self.readers.clone();
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % readers.len().max(1);
        tokio::task::spawn_blocking(move || {
            let conn = readers.get(i).ok_or_else(|| be("no reader"))?;
            let guard = conn.lock().map_err(|_| be("sqlite reader lock poisoned"))?;
            f(&guard)
        })
        .await
        .map_err(be)?
    }
}

const BUCKET_COLS: &str = "name, owner, created, region, policy, tags";
const OBJECT_COLS: &str =
    "bucket, key, size, etag, modified, headers, checksum, tags, segments, parts";
const UPLOAD_COLS: &str =
    "upload_id, bucket, key, initiated, headers, checksum_algorithm, tags, initiator";
const PART_COLS: &str = "upload_id, number, size, etag, modified, checksum, segment";

type BucketRow = (String, String, i64, String, Option<String>, Option<String>);

fn bucket_row(r: &Row<'_>) -> rusqlite::Result<BucketRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn to_bucket((name, owner, created, region, policy, tags): BucketRow) -> MetaResult<Bucket> {
    Ok(Bucket {
        name,
        owner,
        created: from_ms(created),
        region,
        policy,
        tags: tags.map(|t| from_json(&t)).transpose()?,
    })
}

type ObjRow = (
    String,
    String,
    i64,
    String,
    i64,
    String,
    Option<String>,
    String,
    String,
    String,
);

fn object_row(r: &Row<'_>) -> rusqlite::Result<ObjRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

pub(crate) fn to_object(
    (bucket, key, size, etag, modified, headers, checksum, tags, segments, parts): ObjRow,
) -> MetaResult<Object> {
    Ok(Object {
        bucket,
        key,
        size: u64::try_from(size).unwrap_or(0),
        etag,
        modified: from_ms(modified),
        headers: from_json(&headers)?,
        checksum: checksum.map(|c| from_json(&c)).transpose()?,
        tags: from_json(&tags)?,
        segments: from_json(&segments)?,
        parts: from_json(&parts)?,
    })
}

pub(crate) struct ObjectCols {
    pub size: i64,
    pub modified: i64,
    pub headers: String,
    pub checksum: Option<String>,
    pub tags: String,
    pub segments: String,
    pub parts: String,
}

pub(crate) fn object_cols(o: &Object) -> MetaResult<ObjectCols> {
    Ok(ObjectCols {
        size: i64::try_from(o.size).map_err(be)?,
        modified: ms(o.modified),
        headers: to_json(&o.headers)?,
        checksum: o.checksum.as_ref().map(to_json).transpose()?,
        tags: to_json(&o.tags)?,
        segments: to_json(&o.segments)?,
        parts: to_json(&o.parts)?,
    })
}

/// Deletes a multipart upload and its parts in `tx`, returning the parts' data segments
/// (complete keeps those the object uses; abort frees them all).
fn take_upload(tx: &rusqlite::Transaction<'_>, id: &str) -> MetaResult<Vec<Segment>> {
    let n = tx
        .execute("DELETE FROM s3_uploads WHERE upload_id = ?1", params![id])
        .map_err(be)?;
    if n == 0 {
        return Err(MetaError::NoSuchUpload);
    }
    let mut segs = Vec::new();
    {
        let mut st = tx
            .prepare("SELECT segment FROM s3_parts WHERE upload_id = ?1")
            .map_err(be)?;
        let rows = st
            .query_map(params![id], |r| r.get::<_, String>(0))
            .map_err(be)?;
        for r in rows {
            segs.push(from_json(&r.map_err(be)?)?);
        }
    }
    tx.execute("DELETE FROM s3_parts WHERE upload_id = ?1", params![id])
        .map_err(be)?;
    Ok(segs)
}

type UploadRow = (
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    String,
    String,
);

fn upload_row(r: &Row<'_>) -> rusqlite::Result<UploadRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

pub(crate) fn to_upload(
    (upload_id, bucket, key, initiated, headers, checksum_algorithm, tags, initiator): UploadRow,
) -> MetaResult<Upload> {
    Ok(Upload {
        upload_id,
        bucket,
        key,
        initiated: from_ms(initiated),
        headers: from_json(&headers)?,
        checksum_algorithm,
        tags: from_json(&tags)?,
        initiator,
    })
}

type PartRow = (String, i64, i64, String, i64, Option<String>, String);

fn part_row(r: &Row<'_>) -> rusqlite::Result<PartRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

pub(crate) fn to_part(
    (upload_id, number, size, etag, modified, checksum, segment): PartRow,
) -> MetaResult<Part> {
    Ok(Part {
        upload_id,
        number: u32::try_from(number).map_err(be)?,
        size: u64::try_from(size).map_err(be)?,
        etag,
        modified: from_ms(modified),
        checksum: checksum.map(|c| from_json(&c)).transpose()?,
        segment: from_json(&segment)?,
    })
}

fn insert_object(tx: &rusqlite::Transaction<'_>, o: &Object) -> MetaResult<Vec<Segment>> {
    let old: Option<String> = tx
        .query_row(
            "SELECT segments FROM s3_objects WHERE bucket = ?1 AND key = ?2",
            params![o.bucket, o.key],
            |r| r.get(0),
        )
        .optional()
        .map_err(be)?;
    let c = object_cols(o)?;
    tx.execute(
        &format!("INSERT OR REPLACE INTO s3_objects ({OBJECT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
        params![o.bucket, o.key, c.size, o.etag, c.modified, c.headers, c.checksum, c.tags, c.segments, c.parts],
    )
    .map_err(be)?;
    match old {
        Some(s) => from_json(&s),
        None => Ok(Vec::new()),
    }
}

fn bucket_exists(conn: &Connection, name: &str) -> MetaResult<bool> {
    conn.query_row(
        "SELECT 1 FROM s3_buckets WHERE name = ?1",
        params![name],
        |_| Ok(()),
    )
    .optional()
    .map(|o| o.is_some())
    .map_err(be)
}

#[async_trait]
impl MetaStore for SqliteMeta {
    async fn create_bucket(&self, b: &Bucket) -> MetaResult<()> {
        let b = b.clone();
        self.write(move |c| {
            let tags = b.tags.as_ref().map(to_json).transpose()?;
            let n = c
                .execute(
                    &format!("INSERT OR IGNORE INTO s3_buckets ({BUCKET_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
                    params![b.name, b.owner, ms(b.created), b.region, b.policy, tags],
                )
                .map_err(be)?;
            if n == 0 { Err(MetaError::BucketExists) } else { Ok(()) }
        })
        .await
    }

    async fn get_bucket(&self, name: &str) -> MetaResult<Option<Bucket>> {
        let name = name.to_owned();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {BUCKET_COLS} FROM s3_buckets WHERE name = ?1"),
                params![name],
                bucket_row,
            )
            .optional()
            .map_err(be)?
            .map(to_bucket)
            .transpose()
        })
        .await
    }

    async fn list_buckets(&self, owner: &str) -> MetaResult<Vec<Bucket>> {
        let owner = owner.to_owned();
        self.read(move |c| {
            let mut st = c
                .prepare(&format!(
                    "SELECT {BUCKET_COLS} FROM s3_buckets WHERE owner = ?1 ORDER BY name"
                ))
                .map_err(be)?;
            let rows = st.query_map(params![owner], bucket_row).map_err(be)?;
            rows.map(|r| r.map_err(be).and_then(to_bucket)).collect()
        })
        .await
    }

    async fn delete_bucket(&self, name: &str) -> MetaResult<()> {
        let name = name.to_owned();
        self.write(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(be)?;
            if !bucket_exists(&tx, &name)? {
                return Err(MetaError::NoSuchBucket);
            }
            let busy: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM s3_objects WHERE bucket = ?1 UNION ALL SELECT 1 FROM s3_uploads WHERE bucket = ?1 LIMIT 1",
                    params![name],
                    |r| r.get(0),
                )
                .optional()
                .map_err(be)?;
            if busy.is_some() {
                return Err(MetaError::BucketNotEmpty);
            }
            tx.execute("DELETE FROM s3_buckets WHERE name = ?1", params![name]).map_err(be)?;
            tx.commit().map_err(be)
        })
        .await
    }

    async fn set_bucket_policy(&self, name: &str, policy: Option<&str>) -> MetaResult<()> {
        let (name, policy) = (name.to_owned(), policy.map(str::to_owned));
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE s3_buckets SET policy = ?2 WHERE name = ?1",
                    params![name, policy],
                )
                .map_err(be)?;
            if n == 0 {
                Err(MetaError::NoSuchBucket)
            } else {
                Ok(())
            }
        })
        .await
    }

    async fn set_bucket_tags(&self, name: &str, tags: Option<&[Tag]>) -> MetaResult<()> {
        let name = name.to_owned();
        let tags = tags.map(|t| to_json(&t)).transpose()?;
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE s3_buckets SET tags = ?2 WHERE name = ?1",
                    params![name, tags],
                )
                .map_err(be)?;
            if n == 0 {
                Err(MetaError::NoSuchBucket)
            } else {
                Ok(())
            }
        })
        .await
    }

    async fn put_object(&self, o: &Object) -> MetaResult<Vec<Segment>> {
        let o = o.clone();
        self.write(move |c| {
            let tx = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(be)?;
            if !bucket_exists(&tx, &o.bucket)? {
                return Err(MetaError::NoSuchBucket);
            }
            let old = insert_object(&tx, &o)?;
            tx.commit().map_err(be)?;
            Ok(old)
        })
        .await
    }

    async fn get_object(&self, bucket: &str, key: &str) -> MetaResult<Option<Object>> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {OBJECT_COLS} FROM s3_objects WHERE bucket = ?1 AND key = ?2"),
                params![bucket, key],
                object_row,
            )
            .optional()
            .map_err(be)?
            .map(to_object)
            .transpose()
        })
        .await
    }

    async fn delete_object(&self, bucket: &str, key: &str) -> MetaResult<Option<Vec<Segment>>> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        self.write(move |c| {
            let tx = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(be)?;
            let old: Option<String> = tx
                .query_row(
                    "SELECT segments FROM s3_objects WHERE bucket = ?1 AND key = ?2",
                    params![bucket, key],
                    |r| r.get(0),
                )
                .optional()
                .map_err(be)?;
            tx.execute(
                "DELETE FROM s3_objects WHERE bucket = ?1 AND key = ?2",
                params![bucket, key],
            )
            .map_err(be)?;
            tx.commit().map_err(be)?;
            old.map(|s| from_json(&s)).transpose()
        })
        .await
    }

    async fn set_object_tags(&self, bucket: &str, key: &str, tags: &[Tag]) -> MetaResult<bool> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        let tags = to_json(&tags)?;
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE s3_objects SET tags = ?3 WHERE bucket = ?1 AND key = ?2",
                    params![bucket, key, tags],
                )
                .map_err(be)?;
            Ok(n > 0)
        })
        .await
    }

    async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        after: &str,
        limit: usize,
    ) -> MetaResult<Vec<Object>> {
        let (bucket, prefix, after) = (bucket.to_owned(), prefix.to_owned(), after.to_owned());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {OBJECT_COLS} FROM s3_objects WHERE bucket = ?1 AND key > ?2 AND key >= ?3 ORDER BY key LIMIT ?4"
                ))
                .map_err(be)?;
            let rows = st.query_map(params![bucket, after, prefix, limit], object_row).map_err(be)?;
            rows.map(|r| r.map_err(be).and_then(to_object)).collect()
        })
        .await
    }

    async fn create_upload(&self, u: &Upload) -> MetaResult<()> {
        let u = u.clone();
        self.write(move |c| {
            if !bucket_exists(c, &u.bucket)? {
                return Err(MetaError::NoSuchBucket);
            }
            c.execute(
                &format!(
                    "INSERT INTO s3_uploads ({UPLOAD_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                ),
                params![
                    u.upload_id,
                    u.bucket,
                    u.key,
                    ms(u.initiated),
                    to_json(&u.headers)?,
                    u.checksum_algorithm,
                    to_json(&u.tags)?,
                    u.initiator
                ],
            )
            .map_err(be)?;
            Ok(())
        })
        .await
    }

    async fn get_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> MetaResult<Option<Upload>> {
        let (bucket, key, id) = (bucket.to_owned(), key.to_owned(), upload_id.to_owned());
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {UPLOAD_COLS} FROM s3_uploads WHERE upload_id = ?1 AND bucket = ?2 AND key = ?3"),
                params![id, bucket, key],
                upload_row,
            )
            .optional()
            .map_err(be)?
            .map(to_upload)
            .transpose()
        })
        .await
    }

    async fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: &str,
        id_marker: &str,
        limit: usize,
    ) -> MetaResult<Vec<Upload>> {
        let (bucket, prefix, km, im) = (
            bucket.to_owned(),
            prefix.to_owned(),
            key_marker.to_owned(),
            id_marker.to_owned(),
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let mut st = c
                .prepare(&format!(
                    "SELECT {UPLOAD_COLS} FROM s3_uploads WHERE bucket = ?1 AND key >= ?2
                     AND (key > ?3 OR (key = ?3 AND upload_id > ?4)) ORDER BY key, upload_id LIMIT ?5"
                ))
                .map_err(be)?;
            let rows = st.query_map(params![bucket, prefix, km, im, limit], upload_row).map_err(be)?;
            rows.map(|r| r.map_err(be).and_then(to_upload)).collect()
        })
        .await
    }

    async fn put_part(&self, p: &Part) -> MetaResult<Option<Segment>> {
        let p = p.clone();
        self.write(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(be)?;
            let exists: Option<i64> = tx
                .query_row("SELECT 1 FROM s3_uploads WHERE upload_id = ?1", params![p.upload_id], |r| r.get(0))
                .optional()
                .map_err(be)?;
            if exists.is_none() {
                return Err(MetaError::NoSuchUpload);
            }
            let old: Option<String> = tx
                .query_row(
                    "SELECT segment FROM s3_parts WHERE upload_id = ?1 AND number = ?2",
                    params![p.upload_id, p.number],
                    |r| r.get(0),
                )
                .optional()
                .map_err(be)?;
            tx.execute(
                &format!("INSERT OR REPLACE INTO s3_parts ({PART_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                params![
                    p.upload_id,
                    p.number,
                    i64::try_from(p.size).map_err(be)?,
                    p.etag,
                    ms(p.modified),
                    p.checksum.as_ref().map(to_json).transpose()?,
                    to_json(&p.segment)?
                ],
            )
            .map_err(be)?;
            tx.commit().map_err(be)?;
            old.map(|s| from_json(&s)).transpose()
        })
        .await
    }

    async fn list_parts(&self, upload_id: &str, after: u32, limit: usize) -> MetaResult<Vec<Part>> {
        let id = upload_id.to_owned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let mut st = c
                .prepare(&format!(
                    "SELECT {PART_COLS} FROM s3_parts WHERE upload_id = ?1 AND number > ?2 ORDER BY number LIMIT ?3"
                ))
                .map_err(be)?;
            let rows = st.query_map(params![id, after, limit], part_row).map_err(be)?;
            rows.map(|r| r.map_err(be).and_then(to_part)).collect()
        })
        .await
    }

    async fn complete_upload(&self, upload_id: &str, o: &Object) -> MetaResult<Vec<Segment>> {
        let (id, o) = (upload_id.to_owned(), o.clone());
        self.write(move |c| {
            let tx = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(be)?;
            let mut unused = take_upload(&tx, &id)?;
            unused.retain(|seg| !o.segments.contains(seg));
            if !bucket_exists(&tx, &o.bucket)? {
                return Err(MetaError::NoSuchBucket);
            }
            unused.extend(insert_object(&tx, &o)?);
            tx.commit().map_err(be)?;
            Ok(unused)
        })
        .await
    }

    async fn abort_upload(&self, upload_id: &str) -> MetaResult<Vec<Segment>> {
        let id = upload_id.to_owned();
        self.write(move |c| {
            let tx = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(be)?;
            let segs = take_upload(&tx, &id)?;
            tx.commit().map_err(be)?;
            Ok(segs)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[tokio::test]
    async fn conformance() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::SqliteMeta::open(&dir.path().join("s3.db"))
            .await
            .unwrap();
        super::super::conformance::run(&store).await;
    }
}
