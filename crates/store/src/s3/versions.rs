//! Object versions over [`Tx`]: writes, deletes (delete markers), reads and listings by
//! version, and the bucket/account configuration documents.
//!
//! Invariant kept by every write here: `s3_objects` holds a key's newest entry when that
//! entry is an object; everything else (noncurrent versions, delete markers) lives in
//! `s3_versions`. So a key whose newest entry is a delete marker has no `s3_objects` row,
//! and the unversioned read paths (GetObject, ListObjects) need no change. `seq` orders a
//! key's entries (newest highest) across both tables.

use super::sql::{
    OBJECT_COLS, bucket_exists, from_ms, limit, ms, no_bucket, object_from, rows, size,
};
use super::{Object, Removed, Segment, Tag, Version, Written, from_json, to_json};
use crate::error::{Result, StoreError};
use crate::sql::{Row, Tx, Val};

pub const NULL_VERSION: &str = "null";

/// Columns of `s3_versions` shared with `s3_objects`, in [`OBJECT_COLS`] order.
const SHARED_COLS: &str =
    "bucket, key, size, etag, modified, headers, checksum, tags, segments, parts, version_id";
/// What moves with an entry between `s3_objects` and `s3_versions`: its inline data too.
const MOVED_COLS: &str = "bucket, key, size, etag, modified, headers, checksum, tags, segments, \
     parts, version_id, data";

/// The bucket's versioning state: `Err` when there is no bucket.
async fn state(tx: &mut dyn Tx, bucket: &str) -> Result<Option<String>> {
    match tx
        .query_opt(
            "SELECT versioning FROM s3_buckets WHERE name = $1",
            &params![bucket],
        )
        .await?
    {
        Some(r) => r.opt_text(0),
        None => Err(no_bucket(bucket)),
    }
}

async fn next_seq(tx: &mut dyn Tx, bucket: &str, key: &str) -> Result<i64> {
    let r = tx
        .query_opt(
            "SELECT MAX(seq) FROM (SELECT seq FROM s3_objects WHERE bucket = $1 AND key = $2 \
             UNION ALL SELECT seq FROM s3_versions WHERE bucket = $1 AND key = $2) s",
            &params![bucket, key],
        )
        .await?;
    let max = match r {
        Some(r) => r.opt_int(0)?.unwrap_or(0),
        None => 0,
    };
    max.checked_add(1)
        .ok_or_else(|| StoreError::corrupt("version sequence overflow"))
}

/// The current object's version id and segments, if the key has one.
async fn current(
    tx: &mut dyn Tx,
    bucket: &str,
    key: &str,
) -> Result<Option<(String, Vec<Segment>)>> {
    match tx
        .query_opt(
            "SELECT version_id, segments FROM s3_objects WHERE bucket = $1 AND key = $2",
            &params![bucket, key],
        )
        .await?
    {
        Some(r) => Ok(Some((r.text(0)?, from_json(&r.text(1)?)?))),
        None => Ok(None),
    }
}

/// Moves the current object (if any) to the noncurrent versions.
async fn demote_current(tx: &mut dyn Tx, bucket: &str, key: &str) -> Result<()> {
    tx.execute(
        &format!(
            "INSERT INTO s3_versions ({MOVED_COLS}, seq, delete_marker, acl) \
             SELECT {MOVED_COLS}, seq, 0, acl FROM s3_objects WHERE bucket = $1 AND key = $2"
        ),
        &params![bucket, key],
    )
    .await?;
    tx.execute(
        "DELETE FROM s3_objects WHERE bucket = $1 AND key = $2",
        &params![bucket, key],
    )
    .await?;
    Ok(())
}

/// Removes the current object; returns its segments.
async fn drop_current(tx: &mut dyn Tx, bucket: &str, key: &str) -> Result<Option<Vec<Segment>>> {
    let Some((_, segs)) = current(tx, bucket, key).await? else {
        return Ok(None);
    };
    tx.execute(
        "DELETE FROM s3_objects WHERE bucket = $1 AND key = $2",
        &params![bucket, key],
    )
    .await?;
    Ok(Some(segs))
}

/// Removes one noncurrent version or delete marker; returns (its segments, was a marker).
async fn drop_noncurrent(
    tx: &mut dyn Tx,
    bucket: &str,
    key: &str,
    version_id: &str,
) -> Result<Option<(Vec<Segment>, bool)>> {
    let Some(r) = tx
        .query_opt(
            "SELECT segments, delete_marker FROM s3_versions \
             WHERE bucket = $1 AND key = $2 AND version_id = $3",
            &params![bucket, key, version_id],
        )
        .await?
    else {
        return Ok(None);
    };
    let segs = from_json(&r.text(0)?)?;
    let marker = r.int(1)? != 0;
    tx.execute(
        "DELETE FROM s3_versions WHERE bucket = $1 AND key = $2 AND version_id = $3",
        &params![bucket, key, version_id],
    )
    .await?;
    Ok(Some((segs, marker)))
}

/// Restores the invariant after the newest entry of a key went away: the newest remaining
/// entry becomes current if it is an object.
async fn promote(tx: &mut dyn Tx, bucket: &str, key: &str) -> Result<()> {
    if current(tx, bucket, key).await?.is_some() {
        return Ok(());
    }
    let Some(r) = tx
        .query_opt(
            "SELECT version_id, delete_marker FROM s3_versions WHERE bucket = $1 AND key = $2 \
             ORDER BY seq DESC LIMIT 1",
            &params![bucket, key],
        )
        .await?
    else {
        return Ok(());
    };
    if r.int(1)? != 0 {
        return Ok(());
    }
    let vid = r.text(0)?;
    tx.execute(
        &format!(
            "INSERT INTO s3_objects ({MOVED_COLS}, seq, acl) \
             SELECT {MOVED_COLS}, seq, acl FROM s3_versions \
             WHERE bucket = $1 AND key = $2 AND version_id = $3"
        ),
        &params![bucket, key, &vid],
    )
    .await?;
    tx.execute(
        "DELETE FROM s3_versions WHERE bucket = $1 AND key = $2 AND version_id = $3",
        &params![bucket, key, &vid],
    )
    .await?;
    Ok(())
}

/// Makes room for a new `null` entry of a suspended bucket: the `null` version, current or
/// not, is replaced; a current version with a real id becomes noncurrent.
async fn clear_null(tx: &mut dyn Tx, bucket: &str, key: &str) -> Result<Vec<Segment>> {
    let mut freed = Vec::new();
    match current(tx, bucket, key).await? {
        Some((vid, _)) if vid == NULL_VERSION => {
            freed.extend(drop_current(tx, bucket, key).await?.unwrap_or_default());
        }
        Some(_) => demote_current(tx, bucket, key).await?,
        None => {}
    }
    if let Some((segs, _)) = drop_noncurrent(tx, bucket, key, NULL_VERSION).await? {
        freed.extend(segs);
    }
    Ok(freed)
}

/// Stores `o` as the new current version of its key, as the bucket's versioning state
/// says: unversioned replaces, enabled keeps the old version under its id, suspended
/// replaces only the `null` version.
pub(crate) async fn write(tx: &mut dyn Tx, o: &Object) -> Result<Written> {
    let state = state(tx, &o.bucket).await?;
    // A bucket that never had versioning holds no other entry of the key to order against
    // (versioning cannot be turned off once on), so its one entry needs no sequence query.
    let seq = match state {
        Some(_) => next_seq(tx, &o.bucket, &o.key).await?,
        None => 1,
    };
    let (freed, vid) = match state.as_deref() {
        Some("Enabled") => {
            demote_current(tx, &o.bucket, &o.key).await?;
            (Vec::new(), o.version_id.clone())
        }
        Some(_) => (
            clear_null(tx, &o.bucket, &o.key).await?,
            NULL_VERSION.to_owned(),
        ),
        None => (
            drop_current(tx, &o.bucket, &o.key)
                .await?
                .unwrap_or_default(),
            NULL_VERSION.to_owned(),
        ),
    };
    if vid.is_empty() {
        return Err(StoreError::InvalidInput("missing version id".into()));
    }
    let data = inline_data(&o.segments)?;
    tx.execute(
        &format!(
            "INSERT INTO s3_objects ({OBJECT_COLS}, seq, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $13, $12, $14)"
        ),
        &[
            Val::from(&o.bucket),
            Val::from(&o.key),
            Val::from(size(o.size)?),
            Val::from(&o.etag),
            Val::from(ms(o.modified)),
            Val::from(to_json(&o.headers)?),
            Val::from(o.checksum.as_ref().map(to_json).transpose()?),
            Val::from(to_json(&o.tags)?),
            Val::from(to_json(&o.segments)?),
            Val::from(to_json(&o.parts)?),
            Val::from(&vid),
            Val::from(seq),
            Val::from(o.acl.as_deref()),
            Val::from(data),
        ],
    )
    .await?;
    Ok(Written {
        freed,
        version_id: state.map(|_| vid),
    })
}

/// The bytes of an object's inline segment for its row's `data` column. An inline segment
/// is an object's only one and always carries its bytes: a record naming one without them
/// (an object read from a listing, say) is refused rather than stored without its data.
fn inline_data(segments: &[Segment]) -> Result<Option<bytes::Bytes>> {
    match segments {
        [only] if only.is_inline() => match &only.data {
            Some(d) => Ok(Some(d.clone())),
            None => Err(StoreError::InvalidInput(
                "an inline segment is written without its data".into(),
            )),
        },
        _ if segments.iter().any(|s| s.is_inline() || s.data.is_some()) => Err(
            StoreError::InvalidInput("an inline segment must be an object's only one".into()),
        ),
        _ => Ok(None),
    }
}

/// Gives an object read with its `data` column its inline segment's bytes.
pub(crate) fn attach_data(object: &mut Object, data: Option<bytes::Bytes>) -> Result<()> {
    if let [only] = object.segments.as_mut_slice()
        && only.is_inline()
    {
        only.data = Some(data.ok_or_else(|| {
            StoreError::corrupt(format!("object {:?} lost its inline data", object.key))
        })?);
    }
    Ok(())
}

async fn insert_marker(
    tx: &mut dyn Tx,
    bucket: &str,
    key: &str,
    vid: &str,
    modified: i64,
) -> Result<()> {
    let seq = next_seq(tx, bucket, key).await?;
    tx.execute(
        &format!(
            "INSERT INTO s3_versions ({SHARED_COLS}, seq, delete_marker) \
             VALUES ($1, $2, 0, '', $3, $6, NULL, '[]', '[]', '[]', $4, $5, 1)"
        ),
        &params![
            bucket,
            key,
            modified,
            vid,
            seq,
            to_json(&super::ObjectHeaders::default())?
        ],
    )
    .await?;
    Ok(())
}

/// DeleteObject without a version id: removes the object of an unversioned bucket, or
/// places a delete marker (`marker_id` when enabled, `null` when suspended).
pub(crate) async fn delete_key(
    tx: &mut dyn Tx,
    bucket: &str,
    key: &str,
    marker_id: &str,
    now: i64,
) -> Result<Removed> {
    match state(tx, bucket).await?.as_deref() {
        None => {
            let segs = drop_current(tx, bucket, key).await?;
            Ok(Removed {
                found: segs.is_some(),
                freed: segs.unwrap_or_default(),
                ..Removed::default()
            })
        }
        Some("Enabled") => {
            demote_current(tx, bucket, key).await?;
            insert_marker(tx, bucket, key, marker_id, now).await?;
            Ok(Removed {
                freed: Vec::new(),
                version_id: Some(marker_id.to_owned()),
                delete_marker: true,
                found: true,
            })
        }
        Some(_) => {
            let freed = clear_null(tx, bucket, key).await?;
            insert_marker(tx, bucket, key, NULL_VERSION, now).await?;
            Ok(Removed {
                freed,
                version_id: Some(NULL_VERSION.to_owned()),
                delete_marker: true,
                found: true,
            })
        }
    }
}

/// DeleteObject with a version id: removes exactly that version or delete marker
/// (`found: false` when there is none).
pub(crate) async fn delete_version(
    tx: &mut dyn Tx,
    bucket: &str,
    key: &str,
    version_id: &str,
) -> Result<Removed> {
    if !bucket_exists(tx, bucket).await? {
        return Err(no_bucket(bucket));
    }
    let mut removed = Removed {
        version_id: Some(version_id.to_owned()),
        ..Removed::default()
    };
    match current(tx, bucket, key).await? {
        Some((vid, _)) if vid == version_id => {
            removed.freed = drop_current(tx, bucket, key).await?.unwrap_or_default();
            removed.found = true;
        }
        _ => {
            if let Some((segs, marker)) = drop_noncurrent(tx, bucket, key, version_id).await? {
                removed.freed = segs;
                removed.delete_marker = marker;
                removed.found = true;
            }
        }
    }
    if removed.found {
        promote(tx, bucket, key).await?;
    }
    Ok(removed)
}

/// The entries of a bucket (current objects and `s3_versions`) as one relation; `$data`
/// names the inline-data column to fetch (only a read that serves a body wants it).
macro_rules! version_select {
    ($data_o:literal, $data_v:literal) => {
        concat!(
            "SELECT bucket, key, size, etag, modified, headers, checksum, tags, \
             segments, parts, version_id, acl, seq, dm, latest, data FROM (\
             SELECT bucket, key, size, etag, modified, headers, checksum, tags, segments, parts, \
             version_id, acl, seq, 0 AS dm, 1 AS latest, ",
            $data_o,
            " AS data FROM s3_objects WHERE bucket = $1 \
             UNION ALL SELECT v.bucket, v.key, v.size, v.etag, v.modified, v.headers, v.checksum, \
             v.tags, v.segments, v.parts, v.version_id, v.acl, v.seq, v.delete_marker AS dm, \
             CASE WHEN v.seq = (SELECT MAX(w.seq) FROM s3_versions w WHERE w.bucket = v.bucket \
             AND w.key = v.key) AND NOT EXISTS (SELECT 1 FROM s3_objects o WHERE o.bucket = v.bucket \
             AND o.key = v.key) THEN 1 ELSE 0 END AS latest, ",
            $data_v,
            " AS data FROM s3_versions v WHERE v.bucket = $1) e"
        )
    };
}
const VERSION_SELECT: &str = version_select!("NULL", "NULL");
const VERSION_SELECT_DATA: &str = version_select!("data", "v.data");

fn version_from(r: &Row) -> Result<(Version, i64)> {
    let mut object = object_from(r)?;
    let marker = r.int(13)? != 0;
    if marker {
        object.modified = from_ms(r.int(4)?);
    }
    Ok((
        Version {
            object,
            delete_marker: marker,
            latest: r.int(14)? != 0,
        },
        r.int(12)?,
    ))
}

/// One entry of a key's history: by id, or (`None`) the newest entry, which may be a
/// delete marker.
pub(crate) async fn get_version(
    tx: &mut dyn Tx,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Option<Version>> {
    let found = match version_id {
        Some(v) => {
            tx.query_opt(
                &format!("{VERSION_SELECT_DATA} WHERE key = $2 AND version_id = $3"),
                &params![bucket, key, v],
            )
            .await?
        }
        None => {
            tx.query_opt(
                &format!("{VERSION_SELECT_DATA} WHERE key = $2 ORDER BY seq DESC LIMIT 1"),
                &params![bucket, key],
            )
            .await?
        }
    };
    let Some(row) = found else {
        return Ok(None);
    };
    // A delete marker has no segment, so nothing to attach.
    let (mut version, _) = version_from(&row)?;
    attach_data(&mut version.object, row.opt_bytes(15)?)?;
    Ok(Some(version))
}

/// Up to `max` entries in (key ascending, newest first) order with `key >= prefix`,
/// starting after (`key`, `version_id`) (after all of `key` when the id is `None` or
/// unknown), or at `key` when `inclusive`.
pub(crate) async fn list_versions(
    tx: &mut dyn Tx,
    bucket: &str,
    prefix: &str,
    key: &str,
    version_id: Option<&str>,
    inclusive: bool,
    max: usize,
) -> Result<Vec<Version>> {
    let after_seq = match (inclusive, version_id) {
        (false, Some(v)) => tx
            .query_opt(
                &format!("{VERSION_SELECT} WHERE key = $2 AND version_id = $3"),
                &params![bucket, key, v],
            )
            .await?
            .as_ref()
            .map(version_from)
            .transpose()?
            .map(|(_, seq)| seq),
        _ => None,
    };
    let (cond, params): (&str, Vec<Val>) = match (inclusive, after_seq) {
        (true, _) => (
            "key >= $2",
            params![bucket, key, prefix, limit(max)].to_vec(),
        ),
        (false, Some(seq)) => (
            "(key > $2 OR (key = $2 AND seq < $5))",
            params![bucket, key, prefix, limit(max), seq].to_vec(),
        ),
        (false, None) => (
            "key > $2",
            params![bucket, key, prefix, limit(max)].to_vec(),
        ),
    };
    let found = tx
        .query(
            &format!("{VERSION_SELECT} WHERE {cond} AND key >= $3 ORDER BY key, seq DESC LIMIT $4"),
            &params,
        )
        .await?;
    Ok(rows(found, version_from)?
        .into_iter()
        .map(|(v, _)| v)
        .collect())
}

/// Replaces the tags of the current object or of one version; false when there is no such
/// object version (delete markers have no tags).
pub(crate) async fn set_tags(
    tx: &mut dyn Tx,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
    tags: &[Tag],
) -> Result<bool> {
    let tags = to_json(&tags)?;
    let n = match version_id {
        None => {
            tx.execute(
                "UPDATE s3_objects SET tags = $3 WHERE bucket = $1 AND key = $2",
                &params![bucket, key, &tags],
            )
            .await?
        }
        Some(v) => {
            let a = tx
                .execute(
                    "UPDATE s3_objects SET tags = $3 WHERE bucket = $1 AND key = $2 \
                     AND version_id = $4",
                    &params![bucket, key, &tags, v],
                )
                .await?;
            let b = tx
                .execute(
                    "UPDATE s3_versions SET tags = $3 WHERE bucket = $1 AND key = $2 \
                     AND version_id = $4 AND delete_marker = 0",
                    &params![bucket, key, &tags, v],
                )
                .await?;
            a.saturating_add(b)
        }
    };
    Ok(n > 0)
}

/// Sets the canned ACL of the current object or of one version; false when there is no
/// such object version.
pub(crate) async fn set_acl(
    tx: &mut dyn Tx,
    bucket: &str,
    key: &str,
    version_id: &str,
    acl: Option<&str>,
) -> Result<bool> {
    let a = tx
        .execute(
            "UPDATE s3_objects SET acl = $4 WHERE bucket = $1 AND key = $2 AND version_id = $3",
            &params![bucket, key, version_id, acl],
        )
        .await?;
    let b = tx
        .execute(
            "UPDATE s3_versions SET acl = $4 WHERE bucket = $1 AND key = $2 \
             AND version_id = $3 AND delete_marker = 0",
            &params![bucket, key, version_id, acl],
        )
        .await?;
    Ok(a.saturating_add(b) > 0)
}

pub(crate) async fn set_versioning(tx: &mut dyn Tx, bucket: &str, status: &str) -> Result<()> {
    let n = tx
        .execute(
            "UPDATE s3_buckets SET versioning = $2 WHERE name = $1",
            &params![bucket, status],
        )
        .await?;
    if n == 0 {
        return Err(no_bucket(bucket));
    }
    Ok(())
}

// ----- configuration documents -----

pub(crate) async fn get_bucket_config(
    tx: &mut dyn Tx,
    bucket: &str,
    name: &str,
) -> Result<Option<String>> {
    tx.query_opt(
        "SELECT value FROM s3_bucket_config WHERE bucket = $1 AND name = $2",
        &params![bucket, name],
    )
    .await?
    .map(|r| r.text(0))
    .transpose()
}

/// Sets (`Some`) or removes (`None`) one configuration document of a bucket.
pub(crate) async fn set_bucket_config(
    tx: &mut dyn Tx,
    bucket: &str,
    name: &str,
    value: Option<&str>,
) -> Result<()> {
    if !bucket_exists(tx, bucket).await? {
        return Err(no_bucket(bucket));
    }
    tx.execute(
        "DELETE FROM s3_bucket_config WHERE bucket = $1 AND name = $2",
        &params![bucket, name],
    )
    .await?;
    if let Some(v) = value {
        tx.execute(
            "INSERT INTO s3_bucket_config (bucket, name, value) VALUES ($1, $2, $3)",
            &params![bucket, name, v],
        )
        .await?;
    }
    Ok(())
}

/// Every bucket holding configuration document `name`, with the document.
pub(crate) async fn buckets_with_config(
    tx: &mut dyn Tx,
    name: &str,
) -> Result<Vec<(String, String)>> {
    tx.query(
        "SELECT bucket, value FROM s3_bucket_config WHERE name = $1 ORDER BY bucket",
        &params![name],
    )
    .await?
    .iter()
    .map(|r| Ok((r.text(0)?, r.text(1)?)))
    .collect()
}

pub(crate) async fn get_account_config(
    tx: &mut dyn Tx,
    account: &str,
    name: &str,
) -> Result<Option<String>> {
    tx.query_opt(
        "SELECT value FROM s3_account_config WHERE account = $1 AND name = $2",
        &params![account, name],
    )
    .await?
    .map(|r| r.text(0))
    .transpose()
}

pub(crate) async fn set_account_config(
    tx: &mut dyn Tx,
    account: &str,
    name: &str,
    value: Option<&str>,
) -> Result<()> {
    tx.execute(
        "DELETE FROM s3_account_config WHERE account = $1 AND name = $2",
        &params![account, name],
    )
    .await?;
    if let Some(v) = value {
        tx.execute(
            "INSERT INTO s3_account_config (account, name, value) VALUES ($1, $2, $3)",
            &params![account, name, v],
        )
        .await?;
    }
    Ok(())
}
