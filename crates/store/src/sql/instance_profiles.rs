//! Instance profiles: one optional role each, tags, listing by path or by role.

use crate::error::{DeleteConflict, Quota, ResourceKind, Result, StoreError};
use crate::model::{EntityKind, Page, PageRequest};
use crate::records::{InstanceProfile, NewInstanceProfile};
use crate::sql::{Row, Tx, Val, accounts, entities, paging, roles, tags};

/// AWS's default quota of instance profiles per account.
pub(crate) const PROFILES_PER_ACCOUNT: u32 = 1000;

const COLUMNS: &str = "p.profile_id, p.account_id, p.name, p.path, p.arn, p.create_date, p.role_id";

/// A profile row with its role id, before the role and tags are loaded.
fn from_row(row: &Row) -> Result<(InstanceProfile, Option<String>)> {
    Ok((
        InstanceProfile {
            profile_id: row.text(0)?,
            account_id: row.text(1)?,
            name: row.text(2)?,
            path: row.text(3)?,
            arn: row.text(4)?,
            create_date: row.time(5)?,
            roles: Vec::new(),
            tags: Vec::new(),
        },
        row.opt_text(6)?,
    ))
}

async fn complete(tx: &mut dyn Tx, rows: &[Row]) -> Result<Vec<InstanceProfile>> {
    let mut out = Vec::with_capacity(rows.len());
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        let (mut profile, role_id) = from_row(row)?;
        if let Some(role_id) = role_id {
            profile
                .roles
                .push(roles::get_by_id(tx, &profile.account_id, &role_id).await?);
        }
        ids.push(profile.profile_id.clone());
        out.push(profile);
    }
    let mut tags = tags::load_many(tx, &ids).await?;
    for p in &mut out {
        p.tags = tags.remove(&p.profile_id).unwrap_or_default();
    }
    Ok(out)
}

/// The id of a profile, by case-insensitive name. `NotFound(InstanceProfile)`.
pub(crate) async fn id_by_name(tx: &mut dyn Tx, account_id: &str, name: &str) -> Result<String> {
    tx.query_opt(
        "SELECT profile_id FROM instance_profiles WHERE account_id = $1 AND name_lower = $2",
        &params![account_id, name.to_lowercase()],
    )
    .await?
    .ok_or_else(|| StoreError::not_found(ResourceKind::InstanceProfile, name))?
    .text(0)
}

pub(crate) async fn create(
    tx: &mut dyn Tx,
    quotas: &crate::model::Quotas,
    p: &NewInstanceProfile,
) -> Result<InstanceProfile> {
    accounts::require(tx, &p.account_id).await?;
    if tx
        .exists(
            "SELECT 1 FROM instance_profiles WHERE account_id = $1 AND name_lower = $2",
            &params![&p.account_id, p.name.to_lowercase()],
        )
        .await?
    {
        return Err(StoreError::already_exists(
            ResourceKind::InstanceProfile,
            &p.name,
        ));
    }
    tx.ensure_room(
        "SELECT COUNT(*) FROM instance_profiles WHERE account_id = $1",
        &params![&p.account_id],
        Quota::InstanceProfilesPerAccount,
        PROFILES_PER_ACCOUNT,
    )
    .await?;
    tx.execute(
        "INSERT INTO instance_profiles (profile_id, account_id, name, name_lower, path, arn, \
         create_date) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &params![
            &p.profile_id,
            &p.account_id,
            &p.name,
            p.name.to_lowercase(),
            &p.path,
            &p.arn,
            p.create_date
        ],
    )
    .await?;
    tags::put(tx, quotas, &p.profile_id, &p.tags, tags::INSTANCE_PROFILE).await?;
    get(tx, &p.account_id, &p.name).await
}

pub(crate) async fn get(tx: &mut dyn Tx, account_id: &str, name: &str) -> Result<InstanceProfile> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM instance_profiles p \
                 WHERE p.account_id = $1 AND p.name_lower = $2"
            ),
            &params![account_id, name.to_lowercase()],
        )
        .await?
        .ok_or_else(|| StoreError::not_found(ResourceKind::InstanceProfile, name))?;
    complete(tx, &[row])
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found(ResourceKind::InstanceProfile, name))
}

/// Profiles whose path starts with `path_prefix` or (`role`) that hold the role, by
/// lowercase name.
pub(crate) async fn list(
    tx: &mut dyn Tx,
    account_id: &str,
    path_prefix: Option<&str>,
    role: Option<&str>,
    page: &PageRequest,
) -> Result<Page<InstanceProfile>> {
    let mut sql = format!("SELECT {COLUMNS} FROM instance_profiles p WHERE p.account_id = $1");
    let mut params: Vec<Val> = Vec::from(params![account_id]);
    if let Some(role) = role {
        let (role_id, _) = entities::id_by_name(tx, account_id, EntityKind::Role, role).await?;
        params.push(role_id.into());
        sql.push_str(&format!(" AND p.role_id = ${}", params.len()));
    }
    paging::push_prefix(&mut sql, &mut params, "p.path", path_prefix);
    paging::push_keyset(&mut sql, &mut params, page, &["p.name_lower"])?;
    let rows = tx.query(&sql, &params).await?;
    let profiles = complete(tx, &rows).await?;
    Ok(paging::finish(profiles, page, |p| {
        vec![p.name.to_lowercase()]
    }))
}

/// `NotFound(InstanceProfile)`; `DeleteConflict(InstanceProfileRoles)` while it holds a role.
pub(crate) async fn delete(tx: &mut dyn Tx, account_id: &str, name: &str) -> Result<()> {
    let id = id_by_name(tx, account_id, name).await?;
    if tx
        .exists(
            "SELECT 1 FROM instance_profiles WHERE profile_id = $1 AND role_id IS NOT NULL",
            &params![&id],
        )
        .await?
    {
        return Err(StoreError::DeleteConflict(
            DeleteConflict::InstanceProfileRoles,
        ));
    }
    tags::remove_all(tx, &id).await?;
    tx.execute(
        "DELETE FROM instance_profiles WHERE profile_id = $1",
        &params![&id],
    )
    .await?;
    Ok(())
}

/// `NotFound(InstanceProfile | Role)`; `LimitExceeded(InstanceSessionsPerInstanceProfile)`
/// when the profile already holds a role (AWS allows one).
pub(crate) async fn add_role(
    tx: &mut dyn Tx,
    account_id: &str,
    profile: &str,
    role: &str,
) -> Result<()> {
    let id = id_by_name(tx, account_id, profile).await?;
    let (role_id, _) = entities::id_by_name(tx, account_id, EntityKind::Role, role).await?;
    // The conditional update is the check: two racing adds cannot both succeed.
    let changed = tx
        .execute(
            "UPDATE instance_profiles SET role_id = $1 WHERE profile_id = $2 AND role_id IS NULL",
            &params![&role_id, &id],
        )
        .await?;
    if changed == 0 {
        return Err(StoreError::LimitExceeded {
            quota: Quota::InstanceSessionsPerInstanceProfile,
            limit: 1,
        });
    }
    Ok(())
}

/// `NotFound(InstanceProfile | Role)`; `NotFound(ProfileRole)` when the role is not in it.
pub(crate) async fn remove_role(
    tx: &mut dyn Tx,
    account_id: &str,
    profile: &str,
    role: &str,
) -> Result<()> {
    let id = id_by_name(tx, account_id, profile).await?;
    let (role_id, name) = entities::id_by_name(tx, account_id, EntityKind::Role, role).await?;
    let changed = tx
        .execute(
            "UPDATE instance_profiles SET role_id = NULL WHERE profile_id = $1 AND role_id = $2",
            &params![&id, &role_id],
        )
        .await?;
    if changed == 0 {
        return Err(StoreError::not_found(ResourceKind::ProfileRole, name));
    }
    Ok(())
}

/// Instance profiles in the account (GetAccountSummary).
pub(crate) async fn count(tx: &mut dyn Tx, account_id: &str) -> Result<u32> {
    tx.count(
        "SELECT COUNT(*) FROM instance_profiles WHERE account_id = $1",
        &params![account_id],
    )
    .await
}
