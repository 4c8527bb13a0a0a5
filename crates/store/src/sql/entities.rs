//! What users, roles and groups share: lookup by case-insensitive name, and (users, roles)
//! permissions boundaries.

use crate::error::{ResourceKind, Result, StoreError};
use crate::model::{EntityKind, EntityRef};
use crate::sql::{Tx, policies};

/// `(table, id column)` of an entity kind.
pub(crate) fn table(kind: EntityKind) -> (&'static str, &'static str) {
    match kind {
        EntityKind::User => ("users", "user_id"),
        EntityKind::Role => ("roles", "role_id"),
        EntityKind::Group => ("iam_groups", "group_id"),
    }
}

pub(crate) fn resource_kind(kind: EntityKind) -> ResourceKind {
    match kind {
        EntityKind::User => ResourceKind::User,
        EntityKind::Role => ResourceKind::Role,
        EntityKind::Group => ResourceKind::Group,
    }
}

/// `(id, stored name)` of an entity, by case-insensitive name. `NotFound(kind)`.
pub(crate) async fn id_by_name(
    tx: &mut dyn Tx,
    account_id: &str,
    kind: EntityKind,
    name: &str,
) -> Result<(String, String)> {
    let (table, id) = table(kind);
    let row = tx
        .query_opt(
            &format!("SELECT {id}, name FROM {table} WHERE account_id = $1 AND name_lower = $2"),
            &params![account_id, name.to_lowercase()],
        )
        .await?
        .ok_or_else(|| StoreError::not_found(resource_kind(kind), name))?;
    Ok((row.text(0)?, row.text(1)?))
}

/// [`id_by_name`] for an [`EntityRef`].
pub(crate) async fn resolve(
    tx: &mut dyn Tx,
    account_id: &str,
    entity: &EntityRef,
) -> Result<(String, String)> {
    id_by_name(tx, account_id, entity.kind(), entity.name()).await
}

/// Fails with `AlreadyExists(kind)` if another entity of the kind (not `except_id`) has the
/// name in any case.
pub(crate) async fn ensure_name_free(
    tx: &mut dyn Tx,
    account_id: &str,
    kind: EntityKind,
    name: &str,
    except_id: Option<&str>,
) -> Result<()> {
    let (table, id) = table(kind);
    let taken = tx
        .exists(
            &format!(
                "SELECT 1 FROM {table} WHERE account_id = $1 AND name_lower = $2 AND {id} <> $3"
            ),
            &params![account_id, name.to_lowercase(), except_id.unwrap_or("")],
        )
        .await?;
    if taken {
        return Err(StoreError::already_exists(resource_kind(kind), name));
    }
    Ok(())
}

/// Sets or clears the permissions boundary of a user or role.
pub(crate) async fn set_boundary(
    tx: &mut dyn Tx,
    account_id: &str,
    kind: EntityKind,
    name: &str,
    policy_arn: Option<&str>,
) -> Result<()> {
    let (entity_id, _) = id_by_name(tx, account_id, kind, name).await?;
    let policy_id = policies::visible_id_opt(tx, account_id, policy_arn).await?;
    let (table, id) = table(kind);
    tx.execute(
        &format!("UPDATE {table} SET boundary_policy_id = $1 WHERE {id} = $2"),
        &params![policy_id, &entity_id],
    )
    .await?;
    Ok(())
}

/// Fails with the first matching `DeleteConflict` among `checks` (`SELECT 1 … WHERE … = $1`).
pub(crate) async fn ensure_no_dependents(
    tx: &mut dyn Tx,
    entity_id: &str,
    checks: &[(&str, crate::error::DeleteConflict)],
) -> Result<()> {
    for (sql, conflict) in checks {
        if tx.exists(sql, &params![entity_id]).await? {
            return Err(StoreError::DeleteConflict(*conflict));
        }
    }
    Ok(())
}
