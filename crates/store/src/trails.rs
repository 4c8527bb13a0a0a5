//! CloudTrail trails (issue 15): one row per trail, keyed by account and name. The trail's
//! configuration, logging state, event selectors and tags are one JSON document owned by
//! the server's CloudTrail front, so adding a trail setting needs no migration.

use crate::error::Result;
use crate::sql::Tx;

/// A stored trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailRow {
    pub account_id: String,
    pub name: String,
    /// `arn:aws:cloudtrail:REGION:ACCT:trail/NAME`.
    pub arn: String,
    /// The front's JSON document.
    pub document: String,
}

const COLUMNS: &str = "account_id, name, arn, document";

fn row_from(row: &crate::sql::Row) -> Result<TrailRow> {
    Ok(TrailRow {
        account_id: row.text(0)?,
        name: row.text(1)?,
        arn: row.text(2)?,
        document: row.text(3)?,
    })
}

/// Inserts `t`; false (and nothing written) when the account already has a trail of that
/// name.
pub(crate) async fn create(tx: &mut dyn Tx, t: &TrailRow) -> Result<bool> {
    if tx
        .exists(
            "SELECT 1 FROM cloudtrail_trails WHERE account_id = $1 AND name = $2",
            &params![&t.account_id, &t.name],
        )
        .await?
    {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO cloudtrail_trails (account_id, name, arn, document) VALUES ($1, $2, $3, $4)",
        &params![&t.account_id, &t.name, &t.arn, &t.document],
    )
    .await?;
    Ok(true)
}

pub(crate) async fn get(tx: &mut dyn Tx, account_id: &str, name: &str) -> Result<Option<TrailRow>> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM cloudtrail_trails WHERE account_id = $1 AND name = $2"),
        &params![account_id, name],
    )
    .await?
    .as_ref()
    .map(row_from)
    .transpose()
}

/// Replaces the document of an existing trail; false when there is none.
pub(crate) async fn update(
    tx: &mut dyn Tx,
    account_id: &str,
    name: &str,
    document: &str,
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE cloudtrail_trails SET document = $3 WHERE account_id = $1 AND name = $2",
            &params![account_id, name, document],
        )
        .await?;
    Ok(n > 0)
}

/// False when there was no such trail.
pub(crate) async fn delete(tx: &mut dyn Tx, account_id: &str, name: &str) -> Result<bool> {
    let n = tx
        .execute(
            "DELETE FROM cloudtrail_trails WHERE account_id = $1 AND name = $2",
            &params![account_id, name],
        )
        .await?;
    Ok(n > 0)
}

/// Every trail of every account, by account and name (the delivery loop's list).
pub(crate) async fn all(tx: &mut dyn Tx) -> Result<Vec<TrailRow>> {
    tx.query(
        &format!("SELECT {COLUMNS} FROM cloudtrail_trails ORDER BY account_id, name"),
        &[],
    )
    .await?
    .iter()
    .map(row_from)
    .collect()
}

/// The account's trails, by name.
pub(crate) async fn list(tx: &mut dyn Tx, account_id: &str) -> Result<Vec<TrailRow>> {
    tx.query(
        &format!("SELECT {COLUMNS} FROM cloudtrail_trails WHERE account_id = $1 ORDER BY name"),
        &params![account_id],
    )
    .await?
    .iter()
    .map(row_from)
    .collect()
}
