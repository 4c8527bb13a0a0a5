//! The audit log, revoked key origins and credential reports.

use crate::audit::{AuditAttribute, AuditEventRow, AuditQuery, CredentialReport};
use crate::error::{Result, StoreError};
use crate::sql::{Row, Tx, Val};

const COLUMNS: &str = "event_id, account_id, event_time, event_name, event_source, read_only, \
     management, access_key_id, username, origin_key_id, resources, record";

fn row_from(row: &Row) -> Result<AuditEventRow> {
    let resources: Vec<(String, String)> = serde_json::from_str(&row.text(10)?)
        .map_err(|e| StoreError::corrupt(format!("audit resources: {e}")))?;
    Ok(AuditEventRow {
        event_id: row.text(0)?,
        account_id: row.text(1)?,
        event_time_ms: row.int(2)?,
        event_name: row.text(3)?,
        event_source: row.text(4)?,
        read_only: row.int(5)? != 0,
        management: row.int(6)? != 0,
        access_key_id: row.opt_text(7)?,
        username: row.opt_text(8)?,
        origin_key_id: row.opt_text(9)?,
        resources,
        record: row.text(11)?,
    })
}

/// Rows per multi-row INSERT: batches go in pieces of 64, 32, …, 1 rows, so a handful of
/// statement shapes (each prepared once) serve any batch, and PostgreSQL gets one round
/// trip per piece instead of one per event (the per-row round trips held its audit writer,
/// and through the bounded queue every request, to a few thousand events a second).
const PIECES: [usize; 7] = [64, 32, 16, 8, 4, 2, 1];

/// `INSERT … VALUES ($1, …), ($k+1, …), …` for `rows` rows of `width` values.
fn multi_row_insert(head: &str, width: usize, rows: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(head.len() + tail.len() + rows * width * 5);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(r * width + c + 1).to_string());
        }
        sql.push(')');
    }
    sql.push_str(tail);
    sql
}

/// Splits `len` rows into [`PIECES`]-sized runs.
fn pieces(mut len: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for piece in PIECES {
        while len >= piece {
            out.push(piece);
            len -= piece;
        }
    }
    out
}

/// [`pieces`], or single rows where the engine prefers them ([`Tx::batches_rows`]).
fn runs(tx: &dyn Tx, len: usize) -> Vec<usize> {
    if tx.batches_rows() {
        pieces(len)
    } else {
        vec![1; len]
    }
}

/// The statement for `n` rows, rebuilt only when `n` changes (pieces come sorted).
fn statement(
    cached: &mut Option<(usize, String)>,
    n: usize,
    build: impl FnOnce() -> String,
) -> &str {
    if cached.as_ref().is_none_or(|(m, _)| *m != n) {
        *cached = Some((n, build()));
    }
    cached.as_ref().map_or("", |(_, sql)| sql.as_str())
}

pub(crate) async fn append(tx: &mut dyn Tx, events: &[AuditEventRow]) -> Result<()> {
    let mut rest = events;
    let mut sql = None;
    for n in runs(tx, events.len()) {
        let (chunk, after) = rest.split_at(n);
        rest = after;
        let mut values = Vec::with_capacity(n * 12);
        for e in chunk {
            let resources = serde_json::to_string(&e.resources)
                .map_err(|err| StoreError::Backend(format!("audit resources: {err}")))?;
            values.extend(params![
                &e.event_id,
                &e.account_id,
                e.event_time_ms,
                &e.event_name,
                &e.event_source,
                i64::from(e.read_only),
                i64::from(e.management),
                e.access_key_id.as_deref(),
                e.username.as_deref(),
                e.origin_key_id.as_deref(),
                resources,
                &e.record,
            ]);
        }
        let sql = statement(&mut sql, n, || {
            multi_row_insert(
                &format!("INSERT INTO audit_events ({COLUMNS})"),
                12,
                n,
                " ON CONFLICT (event_id) DO NOTHING",
            )
        });
        tx.execute(sql, &values).await?;
    }
    let resources: Vec<(&AuditEventRow, &(String, String))> = events
        .iter()
        .flat_map(|e| e.resources.iter().map(move |r| (e, r)))
        .collect();
    let mut rest = resources.as_slice();
    let mut sql = None;
    for n in runs(tx, resources.len()) {
        let (chunk, after) = rest.split_at(n);
        rest = after;
        let mut values = Vec::with_capacity(n * 5);
        for (e, (kind, name)) in chunk {
            values.extend(params![
                &e.event_id,
                &e.account_id,
                e.event_time_ms,
                kind,
                name
            ]);
        }
        let sql = statement(&mut sql, n, || {
            multi_row_insert(
                "INSERT INTO audit_event_resources (event_id, account_id, event_time, \
                 resource_type, resource_name)",
                5,
                n,
                "",
            )
        });
        tx.execute(sql, &values).await?;
    }
    Ok(())
}

pub(crate) async fn lookup(tx: &mut dyn Tx, q: &AuditQuery) -> Result<Vec<AuditEventRow>> {
    if let Some((attr @ (AuditAttribute::ResourceType | AuditAttribute::ResourceName), value)) =
        &q.attribute
    {
        return lookup_by_resource(tx, q, *attr, value).await;
    }
    let mut params: Vec<Val> = Vec::from(params![&q.account_id, q.start_ms, q.end_ms]);
    let mut sql = format!(
        "SELECT {COLUMNS} FROM audit_events WHERE account_id = $1 AND event_time >= $2 \
         AND event_time <= $3"
    );
    if let Some((attr, value)) = &q.attribute {
        let column = match attr {
            AuditAttribute::EventId => "event_id",
            AuditAttribute::EventName => "event_name",
            AuditAttribute::EventSource => "event_source",
            AuditAttribute::Username => "username",
            AuditAttribute::AccessKeyId => "access_key_id",
            AuditAttribute::ReadOnly
            | AuditAttribute::ResourceType
            | AuditAttribute::ResourceName => "read_only",
        };
        if *attr == AuditAttribute::ReadOnly {
            // Anything but the exact strings matches nothing, as on AWS.
            let flag = match value.as_str() {
                "true" => 1,
                "false" => 0,
                _ => -1,
            };
            params.push(Val::Int(flag));
        } else {
            params.push(value.into());
        }
        sql.push_str(&format!(" AND {column} = ${}", params.len()));
    }
    if !q.include_data_events {
        sql.push_str(" AND management = 1");
    }
    if let Some((t, id)) = &q.after {
        params.push(Val::Int(*t));
        let a = params.len();
        params.push(id.into());
        let b = params.len();
        sql.push_str(&format!(
            " AND (event_time < ${a} OR (event_time = ${a} AND event_id < ${b}))"
        ));
    }
    params.push(Val::Int(i64::from(q.limit)));
    sql.push_str(&format!(
        " ORDER BY event_time DESC, event_id DESC LIMIT ${}",
        params.len()
    ));
    tx.query(&sql, &params)
        .await?
        .iter()
        .map(row_from)
        .collect()
}

/// Most rows one event has under one resource type (AssumeRole's three
/// `AWS::STS::AssumedRole` entries): a page reads this many rows per event it returns.
const MAX_ROWS_PER_EVENT: u32 = 3;

/// Lookups by resource walk the resource index newest first and join each row to its
/// event, so a page costs its own size whatever the log holds; an event listed under the
/// same type more than once comes back once.
async fn lookup_by_resource(
    tx: &mut dyn Tx,
    q: &AuditQuery,
    attr: AuditAttribute,
    value: &str,
) -> Result<Vec<AuditEventRow>> {
    let column = if attr == AuditAttribute::ResourceType {
        "resource_type"
    } else {
        "resource_name"
    };
    let cols: Vec<String> = COLUMNS.split(", ").map(|c| format!("e.{c}")).collect();
    let mut params: Vec<Val> = Vec::from(params![&q.account_id, q.start_ms, q.end_ms, value]);
    let mut sql = format!(
        "SELECT {} FROM audit_event_resources r JOIN audit_events e ON e.event_id = r.event_id \
         WHERE r.account_id = $1 AND r.event_time >= $2 AND r.event_time <= $3 AND r.{column} = $4",
        cols.join(", ")
    );
    if !q.include_data_events {
        sql.push_str(" AND e.management = 1");
    }
    if let Some((t, id)) = &q.after {
        params.push(Val::Int(*t));
        let a = params.len();
        params.push(id.into());
        let b = params.len();
        sql.push_str(&format!(
            " AND (r.event_time < ${a} OR (r.event_time = ${a} AND r.event_id < ${b}))"
        ));
    }
    params.push(Val::Int(i64::from(
        q.limit.saturating_mul(MAX_ROWS_PER_EVENT),
    )));
    sql.push_str(&format!(
        " ORDER BY r.event_time DESC, r.event_id DESC LIMIT ${}",
        params.len()
    ));
    let mut out: Vec<AuditEventRow> = Vec::new();
    for row in tx.query(&sql, &params).await? {
        let e = row_from(&row)?;
        if out.last().is_some_and(|l| l.event_id == e.event_id) {
            continue;
        }
        out.push(e);
        if out.len() >= q.limit as usize {
            break;
        }
    }
    Ok(out)
}

/// Events after `after` (ascending `(event_time, event_id)`) up to `until_ms`, every account.
pub(crate) async fn after(
    tx: &mut dyn Tx,
    after: Option<&(i64, String)>,
    until_ms: i64,
    limit: u32,
) -> Result<Vec<AuditEventRow>> {
    let (t, id) = after.cloned().unwrap_or((i64::MIN, String::new()));
    tx.query(
        &format!(
            "SELECT {COLUMNS} FROM audit_events WHERE event_time <= $1 \
             AND (event_time > $2 OR (event_time = $2 AND event_id > $3)) \
             ORDER BY event_time, event_id LIMIT $4"
        ),
        &params![until_ms, t, id, limit],
    )
    .await?
    .iter()
    .map(row_from)
    .collect()
}

/// Every event whose credentials descend from `origin_key_id`, oldest first.
pub(crate) async fn by_origin(
    tx: &mut dyn Tx,
    origin_key_id: &str,
    limit: u32,
) -> Result<Vec<AuditEventRow>> {
    tx.query(
        &format!(
            "SELECT {COLUMNS} FROM audit_events WHERE origin_key_id = $1 \
             ORDER BY event_time, event_id LIMIT $2"
        ),
        &params![origin_key_id, limit],
    )
    .await?
    .iter()
    .map(row_from)
    .collect()
}

pub(crate) async fn purge(tx: &mut dyn Tx, before_ms: i64) -> Result<u64> {
    tx.execute(
        "DELETE FROM audit_event_resources WHERE event_time < $1",
        &params![before_ms],
    )
    .await?;
    tx.execute(
        "DELETE FROM audit_events WHERE event_time < $1",
        &params![before_ms],
    )
    .await
}

pub(crate) async fn revoke_origin(tx: &mut dyn Tx, key: &str, at_ms: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO revoked_key_origins (access_key_id, revoked_at) VALUES ($1, $2) \
         ON CONFLICT (access_key_id) DO UPDATE SET revoked_at = excluded.revoked_at",
        &params![key, at_ms],
    )
    .await?;
    Ok(())
}

pub(crate) async fn origin_revoked_at(tx: &mut dyn Tx, key: &str) -> Result<Option<i64>> {
    match tx
        .query_opt(
            "SELECT revoked_at FROM revoked_key_origins WHERE access_key_id = $1",
            &params![key],
        )
        .await?
    {
        Some(r) => Ok(Some(r.int(0)?)),
        None => Ok(None),
    }
}

pub(crate) async fn put_report(
    tx: &mut dyn Tx,
    account_id: &str,
    report: &CredentialReport,
) -> Result<()> {
    tx.execute(
        "INSERT INTO credential_reports (account_id, generated_at, content) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO UPDATE SET generated_at = excluded.generated_at, \
         content = excluded.content",
        &params![account_id, report.generated_at_ms, &report.content],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get_report(
    tx: &mut dyn Tx,
    account_id: &str,
) -> Result<Option<CredentialReport>> {
    match tx
        .query_opt(
            "SELECT generated_at, content FROM credential_reports WHERE account_id = $1",
            &params![account_id],
        )
        .await?
    {
        Some(r) => Ok(Some(CredentialReport {
            generated_at_ms: r.int(0)?,
            content: r.text(1)?,
        })),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_split_into_few_statement_shapes() {
        assert_eq!(pieces(0), Vec::<usize>::new());
        assert_eq!(pieces(1), vec![1]);
        assert_eq!(pieces(100), vec![64, 32, 4]);
        assert_eq!(pieces(200), vec![64, 64, 64, 8]);
        assert_eq!(pieces(127).iter().sum::<usize>(), 127);
        assert_eq!(
            multi_row_insert("INSERT INTO t (a, b)", 2, 2, " ON CONFLICT DO NOTHING"),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING"
        );
    }
}
