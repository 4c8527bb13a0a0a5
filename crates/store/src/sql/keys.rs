//! Long-term access keys. Secrets arrive here already sealed; the store layer seals and opens.

use chrono::{DateTime, Utc};

use crate::error::{Quota, ResourceKind, Result, StoreError};
use crate::model::{
    AccessKeyLastUsed, AccessKeyMetadata, AccessKeyStatus, KeyOwner, NewAccessKey, Quotas,
};
use crate::sql::{Row, Tx, Val, accounts};

const KEY_COLUMNS: &str = "access_key_id, account_id, user_id, status, create_date, \
     last_used_date, last_used_service, last_used_region, secret_sealed";

/// Decodes [`KEY_COLUMNS`] into metadata and the sealed secret.
fn key_from(row: &Row) -> Result<(AccessKeyMetadata, String)> {
    let status_text = row.text(3)?;
    let status = AccessKeyStatus::parse(&status_text)
        .ok_or_else(|| StoreError::corrupt(format!("access key status {status_text:?}")))?;
    let last_used = match row.opt_time(5)? {
        Some(date) => Some(AccessKeyLastUsed {
            date,
            service: row.opt_text(6)?.unwrap_or_default(),
            region: row.opt_text(7)?.unwrap_or_default(),
        }),
        None => None,
    };
    let meta = AccessKeyMetadata {
        access_key_id: row.text(0)?,
        account_id: row.text(1)?,
        owner: row.opt_text(2)?.map_or(KeyOwner::Root, KeyOwner::User),
        status,
        create_date: row.time(4)?,
        last_used,
    };
    Ok((meta, row.text(8)?))
}

/// `AND <owner matches>` for an owner, appending its parameter.
fn owner_clause(owner: &KeyOwner, params: &mut Vec<Val>) -> String {
    match owner {
        KeyOwner::Root => " AND user_id IS NULL".to_owned(),
        KeyOwner::User(user_id) => {
            params.push(user_id.into());
            format!(" AND user_id = ${}", params.len())
        }
    }
}

pub(crate) async fn create(
    tx: &mut dyn Tx,
    quotas: &Quotas,
    key: &NewAccessKey,
    sealed_secret: &str,
) -> Result<AccessKeyMetadata> {
    accounts::require(tx, &key.account_id).await?;
    if let KeyOwner::User(user_id) = &key.owner {
        let exists = tx
            .exists(
                "SELECT 1 FROM users WHERE account_id = $1 AND user_id = $2",
                &params![&key.account_id, user_id],
            )
            .await?;
        if !exists {
            return Err(StoreError::not_found(ResourceKind::User, user_id));
        }
    }
    let mut params: Vec<Val> = Vec::from(params![&key.account_id]);
    let sql = format!(
        "SELECT COUNT(*) FROM access_keys WHERE account_id = $1{}",
        owner_clause(&key.owner, &mut params)
    );
    tx.ensure_room(
        &sql,
        &params,
        Quota::AccessKeysPerUser,
        quotas.access_keys_per_user,
    )
    .await?;
    if tx
        .exists(
            "SELECT 1 FROM access_keys WHERE access_key_id = $1",
            &params![&key.access_key_id],
        )
        .await?
    {
        return Err(StoreError::already_exists(
            ResourceKind::AccessKey,
            &key.access_key_id,
        ));
    }
    let user_id = match &key.owner {
        KeyOwner::Root => None,
        KeyOwner::User(id) => Some(id.as_str()),
    };
    tx.execute(
        "INSERT INTO access_keys (access_key_id, account_id, user_id, secret_sealed, status, \
         create_date) VALUES ($1, $2, $3, $4, $5, $6)",
        &params![
            &key.access_key_id,
            &key.account_id,
            user_id,
            sealed_secret,
            AccessKeyStatus::Active.as_str(),
            key.create_date
        ],
    )
    .await?;
    Ok(AccessKeyMetadata {
        access_key_id: key.access_key_id.clone(),
        account_id: key.account_id.clone(),
        owner: key.owner.clone(),
        status: AccessKeyStatus::Active,
        create_date: key.create_date,
        last_used: None,
    })
}

/// Metadata and sealed secret of a key. `NotFound(AccessKey)`.
pub(crate) async fn get(
    tx: &mut dyn Tx,
    access_key_id: &str,
) -> Result<(AccessKeyMetadata, String)> {
    let row = tx
        .query_opt(
            &format!("SELECT {KEY_COLUMNS} FROM access_keys WHERE access_key_id = $1"),
            &params![access_key_id],
        )
        .await?
        .ok_or_else(|| StoreError::not_found(ResourceKind::AccessKey, access_key_id))?;
    key_from(&row)
}

pub(crate) async fn list(
    tx: &mut dyn Tx,
    account_id: &str,
    owner: &KeyOwner,
) -> Result<Vec<AccessKeyMetadata>> {
    let mut params: Vec<Val> = Vec::from(params![account_id]);
    let sql = format!(
        "SELECT {KEY_COLUMNS} FROM access_keys WHERE account_id = $1{} \
         ORDER BY create_date, access_key_id",
        owner_clause(owner, &mut params)
    );
    tx.query(&sql, &params)
        .await?
        .iter()
        .map(|row| key_from(row).map(|(meta, _)| meta))
        .collect()
}

/// Active keys of every account created before `cutoff`, oldest first. The cut is made
/// here rather than in SQL so that it does not depend on how each backend compares times.
pub(crate) async fn active_created_before(
    tx: &mut dyn Tx,
    cutoff: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<AccessKeyMetadata>> {
    let sql = format!(
        "SELECT {KEY_COLUMNS} FROM access_keys WHERE status = $1 \
         ORDER BY create_date, access_key_id LIMIT {limit}"
    );
    let mut out = Vec::new();
    for row in tx
        .query(&sql, &params![AccessKeyStatus::Active.as_str()])
        .await?
    {
        let (meta, _) = key_from(&row)?;
        if meta.create_date >= cutoff {
            break;
        }
        out.push(meta);
    }
    Ok(out)
}

/// Runs `UPDATE/DELETE … WHERE access_key_id = $1 AND account_id = $2 AND <owner>`;
/// `NotFound(AccessKey)` when no row matched.
async fn change_owned(
    tx: &mut dyn Tx,
    statement: &str,
    mut params: Vec<Val>,
    account_id: &str,
    owner: &KeyOwner,
    access_key_id: &str,
) -> Result<()> {
    let first = params.len();
    params.push(access_key_id.into());
    params.push(account_id.into());
    let sql = format!(
        "{statement} WHERE access_key_id = ${} AND account_id = ${}{}",
        first + 1,
        first + 2,
        owner_clause(owner, &mut params)
    );
    if tx.execute(&sql, &params).await? == 0 {
        return Err(StoreError::not_found(
            ResourceKind::AccessKey,
            access_key_id,
        ));
    }
    Ok(())
}

pub(crate) async fn update_status(
    tx: &mut dyn Tx,
    account_id: &str,
    owner: &KeyOwner,
    access_key_id: &str,
    status: AccessKeyStatus,
) -> Result<()> {
    change_owned(
        tx,
        "UPDATE access_keys SET status = $1",
        Vec::from(params![status.as_str()]),
        account_id,
        owner,
        access_key_id,
    )
    .await
}

pub(crate) async fn delete(
    tx: &mut dyn Tx,
    account_id: &str,
    owner: &KeyOwner,
    access_key_id: &str,
) -> Result<()> {
    change_owned(
        tx,
        "DELETE FROM access_keys",
        Vec::new(),
        account_id,
        owner,
        access_key_id,
    )
    .await
}

pub(crate) async fn record_use(
    tx: &mut dyn Tx,
    access_key_id: &str,
    used: &AccessKeyLastUsed,
) -> Result<()> {
    tx.execute(
        "UPDATE access_keys SET last_used_date = $1, last_used_service = $2, \
         last_used_region = $3 WHERE access_key_id = $4",
        &params![used.date, &used.service, &used.region, access_key_id],
    )
    .await?;
    Ok(())
}
