//! IAM groups and their members.

use crate::error::{DeleteConflict, Quota, ResourceKind, Result, StoreError};
use crate::model::{EntityKind, Group, NewGroup, Page, PageRequest, Quotas, Rename, User};
use crate::sql::{Row, Tx, Val, accounts, entities, paging, users};

const GROUP_COLUMNS: &str = "g.group_id, g.account_id, g.name, g.path, g.arn, g.create_date";

fn group_from(row: &Row) -> Result<Group> {
    Ok(Group {
        group_id: row.text(0)?,
        account_id: row.text(1)?,
        name: row.text(2)?,
        path: row.text(3)?,
        arn: row.text(4)?,
        create_date: row.time(5)?,
    })
}

pub(crate) async fn create(tx: &mut dyn Tx, quotas: &Quotas, group: &NewGroup) -> Result<Group> {
    accounts::require(tx, &group.account_id).await?;
    entities::ensure_name_free(tx, &group.account_id, EntityKind::Group, &group.name, None).await?;
    tx.ensure_room(
        "SELECT COUNT(*) FROM iam_groups WHERE account_id = $1",
        &params![&group.account_id],
        Quota::GroupsPerAccount,
        quotas.groups_per_account,
    )
    .await?;
    tx.execute(
        "INSERT INTO iam_groups (group_id, account_id, name, name_lower, path, arn, create_date) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &params![
            &group.group_id,
            &group.account_id,
            &group.name,
            group.name.to_lowercase(),
            &group.path,
            &group.arn,
            group.create_date
        ],
    )
    .await?;
    get(tx, &group.account_id, &group.name).await
}

pub(crate) async fn get(tx: &mut dyn Tx, account_id: &str, name: &str) -> Result<Group> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {GROUP_COLUMNS} FROM iam_groups g \
                 WHERE g.account_id = $1 AND g.name_lower = $2"
            ),
            &params![account_id, name.to_lowercase()],
        )
        .await?
        .ok_or_else(|| StoreError::not_found(ResourceKind::Group, name))?;
    group_from(&row)
}

/// Groups of the account (or, with `member`, of one user), paginated by lowercase name.
async fn list_where(
    tx: &mut dyn Tx,
    account_id: &str,
    member: Option<&str>,
    path_prefix: Option<&str>,
    page: &PageRequest,
) -> Result<Page<Group>> {
    let mut sql = format!("SELECT {GROUP_COLUMNS} FROM iam_groups g WHERE g.account_id = $1");
    let mut params: Vec<Val> = Vec::from(params![account_id]);
    if let Some(user_id) = member {
        params.push(user_id.into());
        sql.push_str(&format!(
            " AND g.group_id IN (SELECT group_id FROM group_members WHERE user_id = ${})",
            params.len()
        ));
    }
    paging::push_prefix(&mut sql, &mut params, "g.path", path_prefix);
    paging::push_keyset(&mut sql, &mut params, page, &["g.name_lower"])?;
    let groups = tx
        .query(&sql, &params)
        .await?
        .iter()
        .map(group_from)
        .collect::<Result<Vec<_>>>()?;
    Ok(paging::finish(groups, page, |g| {
        vec![g.name.to_lowercase()]
    }))
}

pub(crate) async fn list(
    tx: &mut dyn Tx,
    account_id: &str,
    path_prefix: Option<&str>,
    page: &PageRequest,
) -> Result<Page<Group>> {
    list_where(tx, account_id, None, path_prefix, page).await
}

pub(crate) async fn list_for_user(
    tx: &mut dyn Tx,
    account_id: &str,
    user: &str,
    page: &PageRequest,
) -> Result<Page<Group>> {
    let (user_id, _) = entities::id_by_name(tx, account_id, EntityKind::User, user).await?;
    list_where(tx, account_id, Some(&user_id), None, page).await
}

pub(crate) async fn update(
    tx: &mut dyn Tx,
    account_id: &str,
    name: &str,
    update: &Rename,
) -> Result<Group> {
    let (group_id, _) = entities::id_by_name(tx, account_id, EntityKind::Group, name).await?;
    entities::ensure_name_free(
        tx,
        account_id,
        EntityKind::Group,
        &update.name,
        Some(&group_id),
    )
    .await?;
    tx.execute(
        "UPDATE iam_groups SET name = $1, name_lower = $2, path = $3, arn = $4 \
         WHERE group_id = $5",
        &params![
            &update.name,
            update.name.to_lowercase(),
            &update.path,
            &update.arn,
            &group_id
        ],
    )
    .await?;
    get(tx, account_id, &update.name).await
}

pub(crate) async fn delete(tx: &mut dyn Tx, account_id: &str, name: &str) -> Result<()> {
    let (group_id, _) = entities::id_by_name(tx, account_id, EntityKind::Group, name).await?;
    entities::ensure_no_dependents(
        tx,
        &group_id,
        &[
            (
                "SELECT 1 FROM group_members WHERE group_id = $1",
                DeleteConflict::GroupHasMembers,
            ),
            (
                "SELECT 1 FROM inline_policies WHERE entity_id = $1",
                DeleteConflict::InlinePolicies,
            ),
            (
                "SELECT 1 FROM attachments WHERE entity_id = $1",
                DeleteConflict::AttachedPolicies,
            ),
        ],
    )
    .await?;
    tx.execute(
        "DELETE FROM iam_groups WHERE group_id = $1",
        &params![&group_id],
    )
    .await?;
    Ok(())
}

pub(crate) async fn add_member(
    tx: &mut dyn Tx,
    quotas: &Quotas,
    account_id: &str,
    group: &str,
    user: &str,
) -> Result<()> {
    let (group_id, _) = entities::id_by_name(tx, account_id, EntityKind::Group, group).await?;
    let (user_id, _) = entities::id_by_name(tx, account_id, EntityKind::User, user).await?;
    if tx
        .exists(
            "SELECT 1 FROM group_members WHERE group_id = $1 AND user_id = $2",
            &params![&group_id, &user_id],
        )
        .await?
    {
        return Ok(());
    }
    tx.ensure_room(
        "SELECT COUNT(*) FROM group_members WHERE user_id = $1",
        &params![&user_id],
        Quota::GroupsPerUser,
        quotas.groups_per_user,
    )
    .await?;
    tx.execute(
        "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)",
        &params![&group_id, &user_id],
    )
    .await?;
    Ok(())
}

pub(crate) async fn remove_member(
    tx: &mut dyn Tx,
    account_id: &str,
    group: &str,
    user: &str,
) -> Result<()> {
    let (group_id, _) = entities::id_by_name(tx, account_id, EntityKind::Group, group).await?;
    let (user_id, _) = entities::id_by_name(tx, account_id, EntityKind::User, user).await?;
    let removed = tx
        .execute(
            "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2",
            &params![&group_id, &user_id],
        )
        .await?;
    if removed == 0 {
        return Err(StoreError::not_found(ResourceKind::GroupMember, user));
    }
    Ok(())
}

pub(crate) async fn members(
    tx: &mut dyn Tx,
    account_id: &str,
    group: &str,
    page: &PageRequest,
) -> Result<Page<User>> {
    let (group_id, _) = entities::id_by_name(tx, account_id, EntityKind::Group, group).await?;
    let mut sql = format!(
        "SELECT {} FROM users u JOIN group_members m ON m.user_id = u.user_id \
         WHERE m.group_id = $1",
        users::USER_COLUMNS
    );
    let mut params: Vec<Val> = Vec::from(params![&group_id]);
    paging::push_keyset(&mut sql, &mut params, page, &["u.name_lower"])?;
    let rows = tx.query(&sql, &params).await?;
    let members = users::users_from(tx, &rows).await?;
    Ok(paging::finish(members, page, |u| {
        vec![u.name.to_lowercase()]
    }))
}
