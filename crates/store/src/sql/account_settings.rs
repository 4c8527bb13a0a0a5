//! Account-wide IAM settings: the account alias and the password policy.

use crate::error::{ResourceKind, Result, StoreError};
use crate::sql::{Tx, accounts};

/// Sets the account's alias, replacing any previous one (an account has at most one).
/// `AlreadyExists(AccountAlias)` when another account holds it.
pub(crate) async fn set_alias(tx: &mut dyn Tx, account_id: &str, alias: &str) -> Result<()> {
    accounts::require(tx, account_id).await?;
    if tx
        .exists(
            "SELECT 1 FROM account_aliases WHERE alias = $1 AND account_id <> $2",
            &params![alias, account_id],
        )
        .await?
    {
        return Err(StoreError::already_exists(
            ResourceKind::AccountAlias,
            alias,
        ));
    }
    tx.execute(
        "INSERT INTO account_aliases (account_id, alias) VALUES ($1, $2) \
         ON CONFLICT (account_id) DO UPDATE SET alias = excluded.alias",
        &params![account_id, alias],
    )
    .await?;
    Ok(())
}

/// `NotFound(AccountAlias)` unless the account's alias is `alias`.
pub(crate) async fn delete_alias(tx: &mut dyn Tx, account_id: &str, alias: &str) -> Result<()> {
    let n = tx
        .execute(
            "DELETE FROM account_aliases WHERE account_id = $1 AND alias = $2",
            &params![account_id, alias],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found(ResourceKind::AccountAlias, alias));
    }
    Ok(())
}

pub(crate) async fn aliases(tx: &mut dyn Tx, account_id: &str) -> Result<Vec<String>> {
    tx.query(
        "SELECT alias FROM account_aliases WHERE account_id = $1",
        &params![account_id],
    )
    .await?
    .iter()
    .map(|r| r.text(0))
    .collect()
}

pub(crate) async fn put_password_policy(
    tx: &mut dyn Tx,
    account_id: &str,
    policy: &str,
) -> Result<()> {
    accounts::require(tx, account_id).await?;
    tx.execute(
        "INSERT INTO password_policies (account_id, policy) VALUES ($1, $2) \
         ON CONFLICT (account_id) DO UPDATE SET policy = excluded.policy",
        &params![account_id, policy],
    )
    .await?;
    Ok(())
}

pub(crate) async fn password_policy(tx: &mut dyn Tx, account_id: &str) -> Result<Option<String>> {
    match tx
        .query_opt(
            "SELECT policy FROM password_policies WHERE account_id = $1",
            &params![account_id],
        )
        .await?
    {
        Some(row) => Ok(Some(row.text(0)?)),
        None => Ok(None),
    }
}

/// `NotFound(PasswordPolicy)` when the account has none.
pub(crate) async fn delete_password_policy(tx: &mut dyn Tx, account_id: &str) -> Result<()> {
    let n = tx
        .execute(
            "DELETE FROM password_policies WHERE account_id = $1",
            &params![account_id],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found(
            ResourceKind::PasswordPolicy,
            account_id,
        ));
    }
    Ok(())
}
