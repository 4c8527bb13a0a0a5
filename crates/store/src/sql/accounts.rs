//! Accounts, account summary and server settings.

use chrono::{DateTime, Utc};

use crate::error::{ResourceKind, Result, StoreError};
use crate::model::{Account, AccountSummary};
use crate::sql::{Row, Tx};

fn account_from(row: &Row) -> Result<Account> {
    Ok(Account {
        account_id: row.text(0)?,
        create_date: row.time(1)?,
    })
}

pub(crate) fn validate_account_id(account_id: &str) -> Result<()> {
    if account_id.len() == 12 && account_id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(StoreError::InvalidInput(format!(
            "account id {account_id:?} must be 12 digits"
        )))
    }
}

pub(crate) async fn ensure(
    tx: &mut dyn Tx,
    account_id: &str,
    create_date: DateTime<Utc>,
) -> Result<Account> {
    validate_account_id(account_id)?;
    tx.execute(
        "INSERT INTO accounts (account_id, create_date) VALUES ($1, $2) \
         ON CONFLICT (account_id) DO NOTHING",
        &params![account_id, create_date],
    )
    .await?;
    get(tx, account_id).await
}

pub(crate) async fn get(tx: &mut dyn Tx, account_id: &str) -> Result<Account> {
    let row = tx
        .query_opt(
            "SELECT account_id, create_date FROM accounts WHERE account_id = $1",
            &params![account_id],
        )
        .await?
        .ok_or_else(|| StoreError::not_found(ResourceKind::Account, account_id))?;
    account_from(&row)
}

/// Fails with `NotFound(Account)` unless the account exists.
pub(crate) async fn require(tx: &mut dyn Tx, account_id: &str) -> Result<()> {
    get(tx, account_id).await.map(|_| ())
}

pub(crate) async fn summary(tx: &mut dyn Tx, account_id: &str) -> Result<AccountSummary> {
    let row = tx
        .query_one(
            "SELECT \
               (SELECT COUNT(*) FROM users WHERE account_id = $1), \
               (SELECT COUNT(*) FROM iam_groups WHERE account_id = $1), \
               (SELECT COUNT(*) FROM roles WHERE account_id = $1), \
               (SELECT COUNT(*) FROM policies WHERE account_id = $1), \
               (SELECT COUNT(*) FROM policy_versions v JOIN policies p \
                  ON p.policy_id = v.policy_id WHERE p.account_id = $1), \
               (SELECT COUNT(*) FROM access_keys WHERE account_id = $1 AND user_id IS NULL)",
            &params![account_id],
        )
        .await?;
    Ok(AccountSummary {
        users: row.u32(0)?,
        groups: row.u32(1)?,
        roles: row.u32(2)?,
        policies: row.u32(3)?,
        policy_versions_in_use: row.u32(4)?,
        root_access_keys: row.u32(5)?,
    })
}

pub(crate) async fn get_setting(tx: &mut dyn Tx, key: &str) -> Result<Option<String>> {
    match tx
        .query_opt("SELECT value FROM settings WHERE key = $1", &params![key])
        .await?
    {
        Some(row) => Ok(Some(row.text(0)?)),
        None => Ok(None),
    }
}

pub(crate) async fn put_setting(tx: &mut dyn Tx, key: &str, value: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO settings (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &params![key, value],
    )
    .await?;
    Ok(())
}
