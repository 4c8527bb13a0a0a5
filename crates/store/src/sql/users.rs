//! IAM users.

use crate::error::{DeleteConflict, Quota, ResourceKind, Result, StoreError};
use crate::model::{EntityKind, NewUser, Page, PageRequest, Quotas, Rename, User};
use crate::sql::{Row, Tx, Val, accounts, entities, paging, policies, tags};

/// Columns decoded by [`user_from`]; `u` is the users table.
pub(crate) const USER_COLUMNS: &str = "u.user_id, u.account_id, u.name, u.path, u.arn, \
     u.create_date, (SELECT bp.arn FROM policies bp WHERE bp.policy_id = u.boundary_policy_id)";

fn user_from(row: &Row) -> Result<User> {
    Ok(User {
        user_id: row.text(0)?,
        account_id: row.text(1)?,
        name: row.text(2)?,
        path: row.text(3)?,
        arn: row.text(4)?,
        create_date: row.time(5)?,
        permissions_boundary: row.opt_text(6)?,
        tags: Vec::new(),
    })
}

/// Decodes rows selected with [`USER_COLUMNS`] and attaches their tags.
pub(crate) async fn users_from(tx: &mut dyn Tx, rows: &[Row]) -> Result<Vec<User>> {
    let mut users = rows.iter().map(user_from).collect::<Result<Vec<_>>>()?;
    let ids: Vec<String> = users.iter().map(|u| u.user_id.clone()).collect();
    let mut tags = tags::load_many(tx, &ids).await?;
    for user in &mut users {
        user.tags = tags.remove(&user.user_id).unwrap_or_default();
    }
    Ok(users)
}

async fn one(tx: &mut dyn Tx, row: Option<Row>, not_found: &str) -> Result<User> {
    let row = row.ok_or_else(|| StoreError::not_found(ResourceKind::User, not_found))?;
    users_from(tx, &[row])
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found(ResourceKind::User, not_found))
}

pub(crate) async fn create(tx: &mut dyn Tx, quotas: &Quotas, user: &NewUser) -> Result<User> {
    accounts::require(tx, &user.account_id).await?;
    let name_lower = user.name.to_lowercase();
    entities::ensure_name_free(tx, &user.account_id, EntityKind::User, &user.name, None).await?;
    let boundary =
        policies::visible_id_opt(tx, &user.account_id, user.permissions_boundary.as_deref())
            .await?;
    tx.ensure_room(
        "SELECT COUNT(*) FROM users WHERE account_id = $1",
        &params![&user.account_id],
        Quota::UsersPerAccount,
        quotas.users_per_account,
    )
    .await?;
    tx.execute(
        "INSERT INTO users (user_id, account_id, name, name_lower, path, arn, create_date, \
         boundary_policy_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &params![
            &user.user_id,
            &user.account_id,
            &user.name,
            name_lower,
            &user.path,
            &user.arn,
            user.create_date,
            boundary
        ],
    )
    .await?;
    tags::put(tx, quotas, &user.user_id, &user.tags, tags::USER).await?;
    get_by_id(tx, &user.account_id, &user.user_id).await
}

pub(crate) async fn get(tx: &mut dyn Tx, account_id: &str, name: &str) -> Result<User> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {USER_COLUMNS} FROM users u WHERE u.account_id = $1 AND u.name_lower = $2"
            ),
            &params![account_id, name.to_lowercase()],
        )
        .await?;
    one(tx, row, name).await
}

pub(crate) async fn get_by_id(tx: &mut dyn Tx, account_id: &str, user_id: &str) -> Result<User> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {USER_COLUMNS} FROM users u WHERE u.account_id = $1 AND u.user_id = $2"
            ),
            &params![account_id, user_id],
        )
        .await?;
    one(tx, row, user_id).await
}

pub(crate) async fn list(
    tx: &mut dyn Tx,
    account_id: &str,
    path_prefix: Option<&str>,
    page: &PageRequest,
) -> Result<Page<User>> {
    let mut sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.account_id = $1");
    let mut params: Vec<Val> = Vec::from(params![account_id]);
    paging::push_prefix(&mut sql, &mut params, "u.path", path_prefix);
    paging::push_keyset(&mut sql, &mut params, page, &["u.name_lower"])?;
    let rows = tx.query(&sql, &params).await?;
    let users = users_from(tx, &rows).await?;
    Ok(paging::finish(users, page, |u| vec![u.name.to_lowercase()]))
}

pub(crate) async fn update(
    tx: &mut dyn Tx,
    account_id: &str,
    name: &str,
    update: &Rename,
) -> Result<User> {
    let (user_id, _) = entities::id_by_name(tx, account_id, EntityKind::User, name).await?;
    entities::ensure_name_free(
        tx,
        account_id,
        EntityKind::User,
        &update.name,
        Some(&user_id),
    )
    .await?;
    let new_lower = update.name.to_lowercase();
    tx.execute(
        "UPDATE users SET name = $1, name_lower = $2, path = $3, arn = $4 WHERE user_id = $5",
        &params![&update.name, new_lower, &update.path, &update.arn, &user_id],
    )
    .await?;
    get_by_id(tx, account_id, &user_id).await
}

pub(crate) async fn delete(tx: &mut dyn Tx, account_id: &str, name: &str) -> Result<()> {
    let (user_id, _) = entities::id_by_name(tx, account_id, EntityKind::User, name).await?;
    entities::ensure_no_dependents(
        tx,
        &user_id,
        &[
            (
                "SELECT 1 FROM login_profiles WHERE user_id = $1",
                DeleteConflict::LoginProfile,
            ),
            (
                "SELECT 1 FROM access_keys WHERE user_id = $1",
                DeleteConflict::AccessKeys,
            ),
            (
                "SELECT 1 FROM user_credentials WHERE user_id = $1 AND kind = 'cert'",
                DeleteConflict::SigningCertificates,
            ),
            (
                "SELECT 1 FROM user_credentials WHERE user_id = $1 AND kind = 'ssh'",
                DeleteConflict::SshPublicKeys,
            ),
            (
                "SELECT 1 FROM user_credentials WHERE user_id = $1 AND kind = 'service'",
                DeleteConflict::ServiceSpecificCredentials,
            ),
            (
                "SELECT 1 FROM mfa_devices WHERE user_id = $1",
                DeleteConflict::MfaDevices,
            ),
            (
                "SELECT 1 FROM inline_policies WHERE entity_id = $1",
                DeleteConflict::InlinePolicies,
            ),
            (
                "SELECT 1 FROM attachments WHERE entity_id = $1",
                DeleteConflict::AttachedPolicies,
            ),
            (
                "SELECT 1 FROM group_members WHERE user_id = $1",
                DeleteConflict::UserInGroups,
            ),
        ],
    )
    .await?;
    tags::remove_all(tx, &user_id).await?;
    tx.execute("DELETE FROM users WHERE user_id = $1", &params![&user_id])
        .await?;
    Ok(())
}
