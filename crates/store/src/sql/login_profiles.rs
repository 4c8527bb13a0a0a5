//! Login profiles: one password hash per user, with its history for reuse prevention.

use chrono::{DateTime, Utc};

use crate::error::{ResourceKind, Result, StoreError};
use crate::model::EntityKind;
use crate::records::{LoginProfile, LoginProfileUpdate};
use crate::sql::{Tx, entities};

fn history_from(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| StoreError::corrupt(format!("password history: {e}")))
}

fn history_text(history: &[String]) -> Result<String> {
    serde_json::to_string(history)
        .map_err(|e| StoreError::corrupt(format!("password history: {e}")))
}

pub(crate) async fn create(
    tx: &mut dyn Tx,
    account_id: &str,
    user: &str,
    password_hash: &str,
    reset_required: bool,
    at: DateTime<Utc>,
) -> Result<LoginProfile> {
    let (user_id, name) = entities::id_by_name(tx, account_id, EntityKind::User, user).await?;
    if tx
        .exists(
            "SELECT 1 FROM login_profiles WHERE user_id = $1",
            &params![&user_id],
        )
        .await?
    {
        return Err(StoreError::already_exists(ResourceKind::LoginProfile, name));
    }
    tx.execute(
        "INSERT INTO login_profiles (user_id, account_id, password_hash, history, \
         reset_required, create_date, changed_date) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &params![
            &user_id,
            account_id,
            password_hash,
            "[]",
            i64::from(reset_required),
            at,
            at
        ],
    )
    .await?;
    get(tx, account_id, user).await
}

pub(crate) async fn get(tx: &mut dyn Tx, account_id: &str, user: &str) -> Result<LoginProfile> {
    let (user_id, name) = entities::id_by_name(tx, account_id, EntityKind::User, user).await?;
    let row = tx
        .query_opt(
            "SELECT create_date, reset_required, password_hash, history, changed_date, \
             last_used_date FROM login_profiles WHERE user_id = $1",
            &params![&user_id],
        )
        .await?
        .ok_or_else(|| StoreError::not_found(ResourceKind::LoginProfile, &name))?;
    Ok(LoginProfile {
        user_name: name,
        create_date: row.time(0)?,
        password_reset_required: row.int(1)? != 0,
        password_hash: row.text(2)?,
        history: history_from(&row.text(3)?)?,
        changed_date: row.time(4)?,
        last_used_date: row.opt_time(5)?,
    })
}

pub(crate) async fn update(
    tx: &mut dyn Tx,
    account_id: &str,
    user: &str,
    update: &LoginProfileUpdate,
    at: DateTime<Utc>,
) -> Result<LoginProfile> {
    let current = get(tx, account_id, user).await?;
    let (user_id, _) = entities::id_by_name(tx, account_id, EntityKind::User, user).await?;
    if let Some(hash) = &update.password_hash {
        let mut history = current.history.clone();
        history.insert(0, current.password_hash.clone());
        history.truncate(update.keep_history);
        tx.execute(
            "UPDATE login_profiles SET password_hash = $1, history = $2, changed_date = $3 \
             WHERE user_id = $4",
            &params![hash, history_text(&history)?, at, &user_id],
        )
        .await?;
    }
    if let Some(reset) = update.password_reset_required {
        tx.execute(
            "UPDATE login_profiles SET reset_required = $1 WHERE user_id = $2",
            &params![i64::from(reset), &user_id],
        )
        .await?;
    }
    get(tx, account_id, user).await
}

pub(crate) async fn delete(tx: &mut dyn Tx, account_id: &str, user: &str) -> Result<()> {
    let (user_id, name) = entities::id_by_name(tx, account_id, EntityKind::User, user).await?;
    let n = tx
        .execute(
            "DELETE FROM login_profiles WHERE user_id = $1",
            &params![&user_id],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found(ResourceKind::LoginProfile, name));
    }
    Ok(())
}
