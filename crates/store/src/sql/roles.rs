//! IAM roles.

use crate::error::{DeleteConflict, Quota, ResourceKind, Result, StoreError};
use crate::model::{
    EntityKind, NewRole, Page, PageRequest, Quotas, Role, RoleLastUsed, RoleUpdate,
};
use crate::sql::{Row, Tx, Val, accounts, entities, paging, policies, tags};

const ROLE_COLUMNS: &str = "r.role_id, r.account_id, r.name, r.path, r.arn, r.create_date, \
     r.trust_policy, r.description, r.max_session_duration, \
     (SELECT bp.arn FROM policies bp WHERE bp.policy_id = r.boundary_policy_id), \
     r.last_used_date, r.last_used_region";

fn role_from(row: &Row) -> Result<Role> {
    let last_used = match row.opt_time(10)? {
        Some(date) => Some(RoleLastUsed {
            date,
            region: row.opt_text(11)?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Role {
        role_id: row.text(0)?,
        account_id: row.text(1)?,
        name: row.text(2)?,
        path: row.text(3)?,
        arn: row.text(4)?,
        create_date: row.time(5)?,
        assume_role_policy_document: row.text(6)?,
        description: row.opt_text(7)?,
        max_session_duration: row.u32(8)?,
        permissions_boundary: row.opt_text(9)?,
        tags: Vec::new(),
        last_used,
    })
}

async fn roles_from(tx: &mut dyn Tx, rows: &[Row]) -> Result<Vec<Role>> {
    let mut roles = rows.iter().map(role_from).collect::<Result<Vec<_>>>()?;
    let ids: Vec<String> = roles.iter().map(|r| r.role_id.clone()).collect();
    let mut tags = tags::load_many(tx, &ids).await?;
    for role in &mut roles {
        role.tags = tags.remove(&role.role_id).unwrap_or_default();
    }
    Ok(roles)
}

async fn one(tx: &mut dyn Tx, row: Option<Row>, not_found: &str) -> Result<Role> {
    let row = row.ok_or_else(|| StoreError::not_found(ResourceKind::Role, not_found))?;
    roles_from(tx, &[row])
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found(ResourceKind::Role, not_found))
}

pub(crate) async fn create(tx: &mut dyn Tx, quotas: &Quotas, role: &NewRole) -> Result<Role> {
    accounts::require(tx, &role.account_id).await?;
    let name_lower = role.name.to_lowercase();
    entities::ensure_name_free(tx, &role.account_id, EntityKind::Role, &role.name, None).await?;
    let boundary =
        policies::visible_id_opt(tx, &role.account_id, role.permissions_boundary.as_deref())
            .await?;
    tx.ensure_room(
        "SELECT COUNT(*) FROM roles WHERE account_id = $1",
        &params![&role.account_id],
        Quota::RolesPerAccount,
        quotas.roles_per_account,
    )
    .await?;
    tx.execute(
        "INSERT INTO roles (role_id, account_id, name, name_lower, path, arn, create_date, \
         trust_policy, description, max_session_duration, boundary_policy_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &params![
            &role.role_id,
            &role.account_id,
            &role.name,
            name_lower,
            &role.path,
            &role.arn,
            role.create_date,
            &role.assume_role_policy_document,
            role.description.as_deref(),
            role.max_session_duration,
            boundary
        ],
    )
    .await?;
    tags::put(tx, quotas, &role.role_id, &role.tags, tags::ROLE).await?;
    get_by_id(tx, &role.account_id, &role.role_id).await
}

pub(crate) async fn get(tx: &mut dyn Tx, account_id: &str, name: &str) -> Result<Role> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {ROLE_COLUMNS} FROM roles r WHERE r.account_id = $1 AND r.name_lower = $2"
            ),
            &params![account_id, name.to_lowercase()],
        )
        .await?;
    one(tx, row, name).await
}

pub(crate) async fn get_by_id(tx: &mut dyn Tx, account_id: &str, role_id: &str) -> Result<Role> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {ROLE_COLUMNS} FROM roles r WHERE r.account_id = $1 AND r.role_id = $2"
            ),
            &params![account_id, role_id],
        )
        .await?;
    one(tx, row, role_id).await
}

pub(crate) async fn list(
    tx: &mut dyn Tx,
    account_id: &str,
    path_prefix: Option<&str>,
    page: &PageRequest,
) -> Result<Page<Role>> {
    let mut sql = format!("SELECT {ROLE_COLUMNS} FROM roles r WHERE r.account_id = $1");
    let mut params: Vec<Val> = Vec::from(params![account_id]);
    paging::push_prefix(&mut sql, &mut params, "r.path", path_prefix);
    paging::push_keyset(&mut sql, &mut params, page, &["r.name_lower"])?;
    let rows = tx.query(&sql, &params).await?;
    let roles = roles_from(tx, &rows).await?;
    Ok(paging::finish(roles, page, |r| vec![r.name.to_lowercase()]))
}

pub(crate) async fn update(
    tx: &mut dyn Tx,
    account_id: &str,
    name: &str,
    update: &RoleUpdate,
) -> Result<Role> {
    let (role_id, _) = entities::id_by_name(tx, account_id, EntityKind::Role, name).await?;
    if let Some(description) = &update.description {
        tx.execute(
            "UPDATE roles SET description = $1 WHERE role_id = $2",
            &params![description, &role_id],
        )
        .await?;
    }
    if let Some(duration) = update.max_session_duration {
        tx.execute(
            "UPDATE roles SET max_session_duration = $1 WHERE role_id = $2",
            &params![duration, &role_id],
        )
        .await?;
    }
    get_by_id(tx, account_id, &role_id).await
}

pub(crate) async fn update_trust(
    tx: &mut dyn Tx,
    account_id: &str,
    name: &str,
    document: &str,
) -> Result<()> {
    let (role_id, _) = entities::id_by_name(tx, account_id, EntityKind::Role, name).await?;
    tx.execute(
        "UPDATE roles SET trust_policy = $1 WHERE role_id = $2",
        &params![document, &role_id],
    )
    .await?;
    Ok(())
}

pub(crate) async fn delete(tx: &mut dyn Tx, account_id: &str, name: &str) -> Result<()> {
    let (role_id, _) = entities::id_by_name(tx, account_id, EntityKind::Role, name).await?;
    entities::ensure_no_dependents(
        tx,
        &role_id,
        &[
            (
                "SELECT 1 FROM inline_policies WHERE entity_id = $1",
                DeleteConflict::InlinePolicies,
            ),
            (
                "SELECT 1 FROM attachments WHERE entity_id = $1",
                DeleteConflict::AttachedPolicies,
            ),
            (
                "SELECT 1 FROM instance_profiles WHERE role_id = $1",
                DeleteConflict::InstanceProfileRoles,
            ),
        ],
    )
    .await?;
    tags::remove_all(tx, &role_id).await?;
    tx.execute("DELETE FROM roles WHERE role_id = $1", &params![&role_id])
        .await?;
    Ok(())
}

pub(crate) async fn record_use(tx: &mut dyn Tx, role_id: &str, used: &RoleLastUsed) -> Result<()> {
    tx.execute(
        "UPDATE roles SET last_used_date = $1, last_used_region = $2 WHERE role_id = $3",
        &params![used.date, &used.region, role_id],
    )
    .await?;
    Ok(())
}
