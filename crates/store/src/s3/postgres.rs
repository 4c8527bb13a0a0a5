//! PostgreSQL adapter: the same database and schema as the IAM store (`database_url`,
//! `database_schema`), tables prefixed `s3_`. A few connections, each used by one call at
//! a time; multi-row changes run in a transaction.

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use tokio::sync::Mutex;
use tokio_postgres::{Client, GenericClient, NoTls, Row};

use super::sqlite::{from_ms, ms, object_cols, to_object, to_part, to_upload};
use super::*;

pub struct PostgresMeta {
    conns: Vec<Mutex<Client>>,
    next: AtomicUsize,
}

fn be(e: impl std::fmt::Display) -> MetaError {
    MetaError::Backend(e.to_string())
}

const POOL: usize = 4;

impl PostgresMeta {
    /// Connects and creates the tables if needed. `schema` must be an identifier; it is
    /// created if missing and set as `search_path`.
    pub async fn connect(url: &str, schema: Option<&str>) -> MetaResult<Self> {
        if let Some(s) = schema
            && (s.is_empty() || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        {
            return Err(be("invalid schema name"));
        }
        let mut conns = Vec::with_capacity(POOL);
        for i in 0..POOL {
            let (client, connection) = tokio_postgres::connect(url, NoTls).await.map_err(be)?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::error!(error = %e, "s3 metadata connection ended");
                }
            });
            if let Some(s) = schema {
                if i == 0 {
                    client
                        .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{s}\""))
                        .await
                        .map_err(be)?;
                }
                client
                    .batch_execute(&format!("SET search_path TO \"{s}\""))
                    .await
                    .map_err(be)?;
            }
            if i == 0 {
                client
                    .batch_execute(&schema_sql("TEXT COLLATE \"C\"", "BIGINT"))
                    .await
                    .map_err(be)?;
            }
            conns.push(Mutex::new(client));
        }
        Ok(Self {
            conns,
            next: AtomicUsize::new(0),
        })
    }

    async fn conn(&self) -> MetaResult<tokio::sync::MutexGuard<'_, Client>> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len().max(1);
        match self.conns.get(i) {
            Some(c) => Ok(c.lock().await),
            None => Err(be("no connection")),
        }
    }
}

const BUCKET_COLS: &str = "name, owner, created, region, policy, tags";
const OBJECT_COLS: &str =
    "bucket, key, size, etag, modified, headers, checksum, tags, segments, parts";
const UPLOAD_COLS: &str =
    "upload_id, bucket, key, initiated, headers, checksum_algorithm, tags, initiator";
const PART_COLS: &str = "upload_id, number, size, etag, modified, checksum, segment";

fn row_bucket(r: &Row) -> MetaResult<Bucket> {
    let tags: Option<String> = r.try_get(5).map_err(be)?;
    Ok(Bucket {
        name: r.try_get(0).map_err(be)?,
        owner: r.try_get(1).map_err(be)?,
        created: from_ms(r.try_get(2).map_err(be)?),
        region: r.try_get(3).map_err(be)?,
        policy: r.try_get(4).map_err(be)?,
        tags: tags.map(|t| from_json(&t)).transpose()?,
    })
}

fn row_object(r: &Row) -> MetaResult<Object> {
    to_object((
        r.try_get(0).map_err(be)?,
        r.try_get(1).map_err(be)?,
        r.try_get(2).map_err(be)?,
        r.try_get(3).map_err(be)?,
        r.try_get(4).map_err(be)?,
        r.try_get(5).map_err(be)?,
        r.try_get(6).map_err(be)?,
        r.try_get(7).map_err(be)?,
        r.try_get(8).map_err(be)?,
        r.try_get(9).map_err(be)?,
    ))
}

fn row_upload(r: &Row) -> MetaResult<Upload> {
    to_upload((
        r.try_get(0).map_err(be)?,
        r.try_get(1).map_err(be)?,
        r.try_get(2).map_err(be)?,
        r.try_get(3).map_err(be)?,
        r.try_get(4).map_err(be)?,
        r.try_get(5).map_err(be)?,
        r.try_get(6).map_err(be)?,
        r.try_get(7).map_err(be)?,
    ))
}

fn row_part(r: &Row) -> MetaResult<Part> {
    let number: i32 = r.try_get(1).map_err(be)?;
    to_part((
        r.try_get(0).map_err(be)?,
        i64::from(number),
        r.try_get(2).map_err(be)?,
        r.try_get(3).map_err(be)?,
        r.try_get(4).map_err(be)?,
        r.try_get(5).map_err(be)?,
        r.try_get(6).map_err(be)?,
    ))
}

async fn upsert_object<C: GenericClient>(c: &C, o: &Object) -> MetaResult<Vec<Segment>> {
    let old = c
        .query_opt(
            "SELECT segments FROM s3_objects WHERE bucket = $1 AND key = $2 FOR UPDATE",
            &[&o.bucket, &o.key],
        )
        .await
        .map_err(be)?;
    let k = object_cols(o)?;
    c.execute(
        &format!(
            "INSERT INTO s3_objects ({OBJECT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (bucket, key) DO UPDATE SET size = EXCLUDED.size, etag = EXCLUDED.etag,
             modified = EXCLUDED.modified, headers = EXCLUDED.headers, checksum = EXCLUDED.checksum,
             tags = EXCLUDED.tags, segments = EXCLUDED.segments, parts = EXCLUDED.parts"
        ),
        &[
            &o.bucket,
            &o.key,
            &k.size,
            &o.etag,
            &k.modified,
            &k.headers,
            &k.checksum,
            &k.tags,
            &k.segments,
            &k.parts,
        ],
    )
    .await
    .map_err(be)?;
    match old {
        Some(r) => from_json(&r.try_get::<_, String>(0).map_err(be)?),
        None => Ok(Vec::new()),
    }
}

/// Deletes a multipart upload and its parts, returning the parts' data segments (complete
/// keeps those the object uses; abort frees them all).
async fn take_upload<C: GenericClient>(c: &C, upload_id: &str) -> MetaResult<Vec<Segment>> {
    let n = c
        .execute("DELETE FROM s3_uploads WHERE upload_id = $1", &[&upload_id])
        .await
        .map_err(be)?;
    if n == 0 {
        return Err(MetaError::NoSuchUpload);
    }
    let mut segs = Vec::new();
    for r in c
        .query(
            "DELETE FROM s3_parts WHERE upload_id = $1 RETURNING segment",
            &[&upload_id],
        )
        .await
        .map_err(be)?
    {
        segs.push(from_json(&r.try_get::<_, String>(0).map_err(be)?)?);
    }
    Ok(segs)
}

async fn bucket_exists<C: GenericClient>(c: &C, name: &str, lock: bool) -> MetaResult<bool> {
    // FOR SHARE keeps a concurrent DeleteBucket from removing the bucket under a write.
    let sql = if lock {
        "SELECT 1 FROM s3_buckets WHERE name = $1 FOR SHARE"
    } else {
        "SELECT 1 FROM s3_buckets WHERE name = $1"
    };
    Ok(c.query_opt(sql, &[&name]).await.map_err(be)?.is_some())
}

#[async_trait]
impl MetaStore for PostgresMeta {
    async fn create_bucket(&self, b: &Bucket) -> MetaResult<()> {
        let c = self.conn().await?;
        let tags = b.tags.as_ref().map(to_json).transpose()?;
        let n = c
            .execute(
                &format!("INSERT INTO s3_buckets ({BUCKET_COLS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"),
                &[&b.name, &b.owner, &ms(b.created), &b.region, &b.policy, &tags],
            )
            .await
            .map_err(be)?;
        if n == 0 {
            Err(MetaError::BucketExists)
        } else {
            Ok(())
        }
    }

    async fn get_bucket(&self, name: &str) -> MetaResult<Option<Bucket>> {
        let c = self.conn().await?;
        c.query_opt(
            &format!("SELECT {BUCKET_COLS} FROM s3_buckets WHERE name = $1"),
            &[&name],
        )
        .await
        .map_err(be)?
        .as_ref()
        .map(row_bucket)
        .transpose()
    }

    async fn list_buckets(&self, owner: &str) -> MetaResult<Vec<Bucket>> {
        let c = self.conn().await?;
        c.query(
            &format!("SELECT {BUCKET_COLS} FROM s3_buckets WHERE owner = $1 ORDER BY name"),
            &[&owner],
        )
        .await
        .map_err(be)?
        .iter()
        .map(row_bucket)
        .collect()
    }

    async fn delete_bucket(&self, name: &str) -> MetaResult<()> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(be)?;
        if tx
            .query_opt(
                "SELECT 1 FROM s3_buckets WHERE name = $1 FOR UPDATE",
                &[&name],
            )
            .await
            .map_err(be)?
            .is_none()
        {
            return Err(MetaError::NoSuchBucket);
        }
        let busy = tx
            .query_opt(
                "SELECT 1 FROM s3_objects WHERE bucket = $1 UNION ALL SELECT 1 FROM s3_uploads WHERE bucket = $1 LIMIT 1",
                &[&name],
            )
            .await
            .map_err(be)?;
        if busy.is_some() {
            return Err(MetaError::BucketNotEmpty);
        }
        tx.execute("DELETE FROM s3_buckets WHERE name = $1", &[&name])
            .await
            .map_err(be)?;
        tx.commit().await.map_err(be)
    }

    async fn set_bucket_policy(&self, name: &str, policy: Option<&str>) -> MetaResult<()> {
        let c = self.conn().await?;
        let n = c
            .execute(
                "UPDATE s3_buckets SET policy = $2 WHERE name = $1",
                &[&name, &policy],
            )
            .await
            .map_err(be)?;
        if n == 0 {
            Err(MetaError::NoSuchBucket)
        } else {
            Ok(())
        }
    }

    async fn set_bucket_tags(&self, name: &str, tags: Option<&[Tag]>) -> MetaResult<()> {
        let c = self.conn().await?;
        let tags = tags.map(|t| to_json(&t)).transpose()?;
        let n = c
            .execute(
                "UPDATE s3_buckets SET tags = $2 WHERE name = $1",
                &[&name, &tags],
            )
            .await
            .map_err(be)?;
        if n == 0 {
            Err(MetaError::NoSuchBucket)
        } else {
            Ok(())
        }
    }

    async fn put_object(&self, o: &Object) -> MetaResult<Vec<Segment>> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(be)?;
        if !bucket_exists(&tx, &o.bucket, true).await? {
            return Err(MetaError::NoSuchBucket);
        }
        let old = upsert_object(&tx, o).await?;
        tx.commit().await.map_err(be)?;
        Ok(old)
    }

    async fn get_object(&self, bucket: &str, key: &str) -> MetaResult<Option<Object>> {
        let c = self.conn().await?;
        c.query_opt(
            &format!("SELECT {OBJECT_COLS} FROM s3_objects WHERE bucket = $1 AND key = $2"),
            &[&bucket, &key],
        )
        .await
        .map_err(be)?
        .as_ref()
        .map(row_object)
        .transpose()
    }

    async fn delete_object(&self, bucket: &str, key: &str) -> MetaResult<Option<Vec<Segment>>> {
        let c = self.conn().await?;
        let row = c
            .query_opt(
                "DELETE FROM s3_objects WHERE bucket = $1 AND key = $2 RETURNING segments",
                &[&bucket, &key],
            )
            .await
            .map_err(be)?;
        match row {
            Some(r) => Ok(Some(from_json(&r.try_get::<_, String>(0).map_err(be)?)?)),
            None => Ok(None),
        }
    }

    async fn set_object_tags(&self, bucket: &str, key: &str, tags: &[Tag]) -> MetaResult<bool> {
        let c = self.conn().await?;
        let tags = to_json(&tags)?;
        let n = c
            .execute(
                "UPDATE s3_objects SET tags = $3 WHERE bucket = $1 AND key = $2",
                &[&bucket, &key, &tags],
            )
            .await
            .map_err(be)?;
        Ok(n > 0)
    }

    async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        after: &str,
        limit: usize,
    ) -> MetaResult<Vec<Object>> {
        let c = self.conn().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        c.query(
            &format!(
                "SELECT {OBJECT_COLS} FROM s3_objects WHERE bucket = $1 AND key > $2 AND key >= $3 ORDER BY key LIMIT $4"
            ),
            &[&bucket, &after, &prefix, &limit],
        )
        .await
        .map_err(be)?
        .iter()
        .map(row_object)
        .collect()
    }

    async fn create_upload(&self, u: &Upload) -> MetaResult<()> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(be)?;
        if !bucket_exists(&tx, &u.bucket, true).await? {
            return Err(MetaError::NoSuchBucket);
        }
        tx.execute(
            &format!(
                "INSERT INTO s3_uploads ({UPLOAD_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            ),
            &[
                &u.upload_id,
                &u.bucket,
                &u.key,
                &ms(u.initiated),
                &to_json(&u.headers)?,
                &u.checksum_algorithm,
                &to_json(&u.tags)?,
                &u.initiator,
            ],
        )
        .await
        .map_err(be)?;
        tx.commit().await.map_err(be)
    }

    async fn get_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> MetaResult<Option<Upload>> {
        let c = self.conn().await?;
        c.query_opt(
            &format!("SELECT {UPLOAD_COLS} FROM s3_uploads WHERE upload_id = $1 AND bucket = $2 AND key = $3"),
            &[&upload_id, &bucket, &key],
        )
        .await
        .map_err(be)?
        .as_ref()
        .map(row_upload)
        .transpose()
    }

    async fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: &str,
        id_marker: &str,
        limit: usize,
    ) -> MetaResult<Vec<Upload>> {
        let c = self.conn().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        c.query(
            &format!(
                "SELECT {UPLOAD_COLS} FROM s3_uploads WHERE bucket = $1 AND key >= $2
                 AND (key > $3 OR (key = $3 AND upload_id > $4)) ORDER BY key, upload_id LIMIT $5"
            ),
            &[&bucket, &prefix, &key_marker, &id_marker, &limit],
        )
        .await
        .map_err(be)?
        .iter()
        .map(row_upload)
        .collect()
    }

    async fn put_part(&self, p: &Part) -> MetaResult<Option<Segment>> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(be)?;
        if tx
            .query_opt(
                "SELECT 1 FROM s3_uploads WHERE upload_id = $1 FOR SHARE",
                &[&p.upload_id],
            )
            .await
            .map_err(be)?
            .is_none()
        {
            return Err(MetaError::NoSuchUpload);
        }
        let number = i32::try_from(p.number).map_err(be)?;
        let old = tx
            .query_opt(
                "SELECT segment FROM s3_parts WHERE upload_id = $1 AND number = $2 FOR UPDATE",
                &[&p.upload_id, &number],
            )
            .await
            .map_err(be)?;
        let size = i64::try_from(p.size).map_err(be)?;
        let checksum = p.checksum.as_ref().map(to_json).transpose()?;
        tx.execute(
            &format!(
                "INSERT INTO s3_parts ({PART_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (upload_id, number) DO UPDATE SET size = EXCLUDED.size, etag = EXCLUDED.etag,
                 modified = EXCLUDED.modified, checksum = EXCLUDED.checksum, segment = EXCLUDED.segment"
            ),
            &[&p.upload_id, &number, &size, &p.etag, &ms(p.modified), &checksum, &to_json(&p.segment)?],
        )
        .await
        .map_err(be)?;
        tx.commit().await.map_err(be)?;
        match old {
            Some(r) => Ok(Some(from_json(&r.try_get::<_, String>(0).map_err(be)?)?)),
            None => Ok(None),
        }
    }

    async fn list_parts(&self, upload_id: &str, after: u32, limit: usize) -> MetaResult<Vec<Part>> {
        let c = self.conn().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let after = i32::try_from(after).unwrap_or(i32::MAX);
        c.query(
            &format!("SELECT {PART_COLS} FROM s3_parts WHERE upload_id = $1 AND number > $2 ORDER BY number LIMIT $3"),
            &[&upload_id, &after, &limit],
        )
        .await
        .map_err(be)?
        .iter()
        .map(row_part)
        .collect()
    }

    async fn complete_upload(&self, upload_id: &str, o: &Object) -> MetaResult<Vec<Segment>> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(be)?;
        let mut unused = take_upload(&tx, upload_id).await?;
        unused.retain(|seg| !o.segments.contains(seg));
        if !bucket_exists(&tx, &o.bucket, true).await? {
            return Err(MetaError::NoSuchBucket);
        }
        unused.extend(upsert_object(&tx, o).await?);
        tx.commit().await.map_err(be)?;
        Ok(unused)
    }

    async fn abort_upload(&self, upload_id: &str) -> MetaResult<Vec<Segment>> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(be)?;
        let segs = take_upload(&tx, upload_id).await?;
        tx.commit().await.map_err(be)?;
        Ok(segs)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[tokio::test]
    async fn conformance() {
        let Ok(url) = std::env::var("HOURGLASS_TEST_DATABASE_URL") else {
            eprintln!(
                "skipping PostgreSQL S3 metadata conformance: HOURGLASS_TEST_DATABASE_URL is not set"
            );
            return;
        };
        let schema = format!("s3test_{}", uuid::Uuid::new_v4().simple());
        let store = super::PostgresMeta::connect(&url, Some(&schema))
            .await
            .unwrap();
        super::super::conformance::run(&store).await;
        let c = store.conn().await.unwrap();
        c.batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
            .await
            .unwrap();
    }
}
