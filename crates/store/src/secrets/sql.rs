//! The Secrets Manager SQL, written once over [`Tx`] for both engines. Timestamps are Unix
//! milliseconds, stage lists JSON arrays.

use chrono::{DateTime, Utc};

use super::{SecretRow, VersionRow};
use crate::error::{Result, StoreError};
use crate::s3::sql::{from_ms, ms};
use crate::sql::{Row, Tx, Val};

const SECRET_COLS: &str = "arn, account_id, name, meta, created, last_accessed, due_at, revision";
const VERSION_COLS: &str = "version_id, seq, created, last_accessed, stages, value_kind";

fn secret_from(r: &Row) -> Result<SecretRow> {
    Ok(SecretRow {
        arn: r.text(0)?,
        account_id: r.text(1)?,
        name: r.text(2)?,
        meta: r.text(3)?,
        created: from_ms(r.int(4)?),
        last_accessed: r.opt_int(5)?.map(from_ms),
        due_at: r.opt_int(6)?.map(from_ms),
        revision: r.int(7)?,
    })
}

fn version_from(r: &Row) -> Result<VersionRow> {
    let stages: Vec<String> = serde_json::from_str(&r.text(4)?)
        .map_err(|e| StoreError::corrupt(format!("secret version stages: {e}")))?;
    Ok(VersionRow {
        version_id: r.text(0)?,
        seq: r.int(1)?,
        created: from_ms(r.int(2)?),
        last_accessed: r.opt_int(3)?.map(from_ms),
        stages,
        has_value: r.opt_text(5)?.is_some(),
    })
}

fn stages_json(stages: &[String]) -> Result<String> {
    serde_json::to_string(stages).map_err(|e| StoreError::Backend(e.to_string()))
}

/// A sealed version ready to write: the row, and `(kind, sealed)` when a value is set.
pub(crate) struct SealedVersion {
    pub row: VersionRow,
    pub value: Option<(&'static str, String)>,
}

async fn upsert_version(tx: &mut dyn Tx, arn: &str, v: &SealedVersion) -> Result<()> {
    let (kind, sealed) = match &v.value {
        Some((k, s)) => (Some(*k), Some(s.as_str())),
        None => (None, None),
    };
    tx.execute(
        "INSERT INTO sm_versions (arn, version_id, seq, created, last_accessed, stages, \
         value_kind, value_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (arn, version_id) DO UPDATE SET stages = excluded.stages, \
         value_kind = COALESCE(sm_versions.value_kind, excluded.value_kind), \
         value_sealed = COALESCE(sm_versions.value_sealed, excluded.value_sealed)",
        &params![
            arn,
            &v.row.version_id,
            v.row.seq,
            ms(v.row.created),
            v.row.last_accessed.map(ms),
            stages_json(&v.row.stages)?,
            kind,
            sealed
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn create(
    tx: &mut dyn Tx,
    row: &SecretRow,
    versions: &[SealedVersion],
) -> Result<()> {
    let n = tx
        .execute(
            &format!(
                "INSERT INTO sm_secrets ({SECRET_COLS}, lease_owner, lease_until) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL) ON CONFLICT DO NOTHING"
            ),
            &params![
                &row.arn,
                &row.account_id,
                &row.name,
                &row.meta,
                ms(row.created),
                row.last_accessed.map(ms),
                row.due_at.map(ms),
                row.revision
            ],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::already_exists(
            crate::ResourceKind::Secret,
            &row.name,
        ));
    }
    // Versions of an earlier secret with the same ARN cannot exist (the suffix is random),
    // but a stale row must never be adopted by a new secret.
    tx.execute("DELETE FROM sm_versions WHERE arn = $1", &params![&row.arn])
        .await?;
    for v in versions {
        upsert_version(tx, &row.arn, v).await?;
    }
    Ok(())
}

pub(crate) async fn versions(tx: &mut dyn Tx, arn: &str) -> Result<Vec<VersionRow>> {
    tx.query(
        &format!("SELECT {VERSION_COLS} FROM sm_versions WHERE arn = $1 ORDER BY seq"),
        &params![arn],
    )
    .await?
    .iter()
    .map(version_from)
    .collect()
}

pub(crate) async fn get(
    tx: &mut dyn Tx,
    account: &str,
    arn: &str,
) -> Result<Option<(SecretRow, Vec<VersionRow>)>> {
    find(tx, account, "arn", arn).await
}

pub(crate) async fn by_name(
    tx: &mut dyn Tx,
    account: &str,
    name: &str,
) -> Result<Option<(SecretRow, Vec<VersionRow>)>> {
    find(tx, account, "name", name).await
}

/// The account's secret whose `column` (`arn` or `name`, both unique per account) is
/// `value`, with its versions.
async fn find(
    tx: &mut dyn Tx,
    account: &str,
    column: &'static str,
    value: &str,
) -> Result<Option<(SecretRow, Vec<VersionRow>)>> {
    let Some(r) = tx
        .query_opt(
            &format!(
                "SELECT {SECRET_COLS} FROM sm_secrets WHERE account_id = $1 AND {column} = $2"
            ),
            &params![account, value],
        )
        .await?
    else {
        return Ok(None);
    };
    let row = secret_from(&r)?;
    let v = versions(tx, &row.arn).await?;
    Ok(Some((row, v)))
}

/// Every secret of the account with its versions' metadata, by ARN.
pub(crate) async fn list(
    tx: &mut dyn Tx,
    account: &str,
) -> Result<Vec<(SecretRow, Vec<VersionRow>)>> {
    let secrets = tx
        .query(
            &format!("SELECT {SECRET_COLS} FROM sm_secrets WHERE account_id = $1 ORDER BY arn"),
            &params![account],
        )
        .await?
        .iter()
        .map(secret_from)
        .collect::<Result<Vec<_>>>()?;
    let all = tx
        .query(
            &format!(
                "SELECT v.{}, v.arn FROM sm_versions v JOIN sm_secrets s ON s.arn = v.arn \
                 WHERE s.account_id = $1 ORDER BY v.arn, v.seq",
                VERSION_COLS.replace(", ", ", v.")
            ),
            &params![account],
        )
        .await?;
    let mut by_arn: std::collections::HashMap<String, Vec<VersionRow>> =
        std::collections::HashMap::new();
    for r in &all {
        by_arn.entry(r.text(6)?).or_default().push(version_from(r)?);
    }
    Ok(secrets
        .into_iter()
        .map(|s| {
            let v = by_arn.remove(&s.arn).unwrap_or_default();
            (s, v)
        })
        .collect())
}

/// Writes a changed secret if it is still at `expected` revision (else `Conflict`; a
/// deleted secret is `NotFound`).
pub(crate) async fn save(
    tx: &mut dyn Tx,
    row: &SecretRow,
    expected: i64,
    upserts: &[SealedVersion],
    deletes: &[String],
) -> Result<()> {
    let n = tx
        .execute(
            "UPDATE sm_secrets SET meta = $1, due_at = $2, revision = $3 \
             WHERE arn = $4 AND revision = $5",
            &params![
                &row.meta,
                row.due_at.map(ms),
                row.revision,
                &row.arn,
                expected
            ],
        )
        .await?;
    if n == 0 {
        let exists = tx
            .exists(
                "SELECT 1 FROM sm_secrets WHERE arn = $1",
                &params![&row.arn],
            )
            .await?;
        return Err(if exists {
            StoreError::Conflict
        } else {
            StoreError::not_found(crate::ResourceKind::Secret, &row.arn)
        });
    }
    for id in deletes {
        tx.execute(
            "DELETE FROM sm_versions WHERE arn = $1 AND version_id = $2",
            &params![&row.arn, id],
        )
        .await?;
    }
    for v in upserts {
        upsert_version(tx, &row.arn, v).await?;
    }
    Ok(())
}

/// `(kind, sealed)` of a version's value, `None` when the version or its value is absent.
pub(crate) async fn sealed_value(
    tx: &mut dyn Tx,
    arn: &str,
    version_id: &str,
) -> Result<Option<(String, String)>> {
    let r = tx
        .query_opt(
            "SELECT value_kind, value_sealed FROM sm_versions WHERE arn = $1 AND version_id = $2",
            &params![arn, version_id],
        )
        .await?;
    Ok(match r {
        Some(r) => match (r.opt_text(0)?, r.opt_text(1)?) {
            (Some(k), Some(s)) => Some((k, s)),
            _ => None,
        },
        None => None,
    })
}

/// Records an access (date resolution, as AWS reports it): writes only when the stored
/// day is older, so a busy secret costs one write a day.
pub(crate) async fn touch(tx: &mut dyn Tx, arn: &str, version_id: &str, day: i64) -> Result<()> {
    tx.execute(
        "UPDATE sm_secrets SET last_accessed = $1 WHERE arn = $2 \
         AND (last_accessed IS NULL OR last_accessed < $1)",
        &params![day, arn],
    )
    .await?;
    tx.execute(
        "UPDATE sm_versions SET last_accessed = $1 WHERE arn = $2 AND version_id = $3 \
         AND (last_accessed IS NULL OR last_accessed < $1)",
        &params![day, arn, version_id],
    )
    .await?;
    Ok(())
}

pub(crate) async fn delete(tx: &mut dyn Tx, arn: &str) -> Result<bool> {
    tx.execute("DELETE FROM sm_versions WHERE arn = $1", &params![arn])
        .await?;
    Ok(tx
        .execute("DELETE FROM sm_secrets WHERE arn = $1", &params![arn])
        .await?
        > 0)
}

/// Claims the secret whose background work is most overdue, unless another node holds it:
/// the lease makes the work run on one node of a cluster, and expires so that a node that
/// died mid-work does not block it forever.
pub(crate) async fn claim_due(
    tx: &mut dyn Tx,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    owner: &str,
) -> Result<Option<String>> {
    let now = ms(now);
    let Some(r) = tx
        .query_opt(
            "SELECT arn FROM sm_secrets WHERE due_at IS NOT NULL AND due_at <= $1 \
             AND (lease_until IS NULL OR lease_until < $1) ORDER BY due_at, arn LIMIT 1",
            &params![now],
        )
        .await?
    else {
        return Ok(None);
    };
    let arn = r.text(0)?;
    let n = tx
        .execute(
            "UPDATE sm_secrets SET lease_owner = $1, lease_until = $2 WHERE arn = $3 \
             AND (lease_until IS NULL OR lease_until < $4)",
            &params![owner, ms(lease_until), &arn, now],
        )
        .await?;
    Ok((n == 1).then_some(arn))
}

/// Gives up a lease. `hold_until` keeps anyone from claiming the secret again before then
/// (work that failed and is still due waits instead of blocking the queue).
pub(crate) async fn release(
    tx: &mut dyn Tx,
    arn: &str,
    owner: &str,
    hold_until: Option<i64>,
) -> Result<()> {
    tx.execute(
        "UPDATE sm_secrets SET lease_owner = NULL, lease_until = $3 \
         WHERE arn = $1 AND lease_owner = $2",
        &params![arn, owner, hold_until],
    )
    .await?;
    Ok(())
}

/// Whether `owner` still holds the lease on `arn` at `now`.
pub(crate) async fn holds(tx: &mut dyn Tx, arn: &str, owner: &str, now: i64) -> Result<bool> {
    tx.exists(
        "SELECT 1 FROM sm_secrets WHERE arn = $1 AND lease_owner = $2 AND lease_until >= $3",
        &params![arn, owner, Val::Int(now)],
    )
    .await
}
