//! Managed policy attachments to users, roles and groups.

use crate::error::{Quota, ResourceKind, Result, StoreError};
use crate::model::{
    AttachedPolicy, EntityFilter, EntityKind, EntityRef, Page, PageRequest, PolicyEntity,
    PolicyUsage, Quotas,
};
use crate::sql::{Tx, Val, entities, paging, policies};

fn quota(kind: EntityKind, quotas: &Quotas) -> (Quota, u32) {
    match kind {
        EntityKind::User => (Quota::PoliciesPerUser, quotas.policies_per_user),
        EntityKind::Role => (Quota::PoliciesPerRole, quotas.policies_per_role),
        EntityKind::Group => (Quota::PoliciesPerGroup, quotas.policies_per_group),
    }
}

pub(crate) async fn attach(
    tx: &mut dyn Tx,
    quotas: &Quotas,
    account_id: &str,
    entity: &EntityRef,
    arn: &str,
) -> Result<()> {
    let (entity_id, _) = entities::resolve(tx, account_id, entity).await?;
    let policy_id = policies::visible_id(tx, account_id, arn).await?;
    if tx
        .exists(
            "SELECT 1 FROM attachments WHERE entity_id = $1 AND policy_id = $2",
            &params![&entity_id, &policy_id],
        )
        .await?
    {
        return Ok(());
    }
    let (quota, limit) = quota(entity.kind(), quotas);
    tx.ensure_room(
        "SELECT COUNT(*) FROM attachments WHERE entity_id = $1",
        &params![&entity_id],
        quota,
        limit,
    )
    .await?;
    tx.execute(
        "INSERT INTO attachments (entity_id, policy_id, account_id, entity_kind) \
         VALUES ($1, $2, $3, $4)",
        &params![&entity_id, &policy_id, account_id, entity.kind().as_str()],
    )
    .await?;
    Ok(())
}

pub(crate) async fn detach(
    tx: &mut dyn Tx,
    account_id: &str,
    entity: &EntityRef,
    arn: &str,
) -> Result<()> {
    let (entity_id, _) = entities::resolve(tx, account_id, entity).await?;
    let removed = tx
        .execute(
            "DELETE FROM attachments WHERE entity_id = $1 \
             AND policy_id = (SELECT policy_id FROM policies WHERE arn = $2)",
            &params![&entity_id, arn],
        )
        .await?;
    if removed == 0 {
        return Err(StoreError::not_found(ResourceKind::AttachedPolicy, arn));
    }
    Ok(())
}

pub(crate) async fn list_attached(
    tx: &mut dyn Tx,
    account_id: &str,
    entity: &EntityRef,
    path_prefix: Option<&str>,
    page: &PageRequest,
) -> Result<Page<AttachedPolicy>> {
    let (entity_id, _) = entities::resolve(tx, account_id, entity).await?;
    let mut sql = "SELECT p.name, p.arn FROM attachments a \
                   JOIN policies p ON p.policy_id = a.policy_id WHERE a.entity_id = $1"
        .to_owned();
    let mut params: Vec<Val> = Vec::from(params![&entity_id]);
    paging::push_prefix(&mut sql, &mut params, "p.path", path_prefix);
    paging::push_keyset(&mut sql, &mut params, page, &["p.name_lower", "p.arn"])?;
    let items = tx
        .query(&sql, &params)
        .await?
        .iter()
        .map(|row| {
            Ok(AttachedPolicy {
                policy_name: row.text(0)?,
                policy_arn: row.text(1)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(paging::finish(items, page, |p| {
        vec![p.policy_name.to_lowercase(), p.policy_arn.clone()]
    }))
}

/// Kinds in AWS's response order (PolicyGroups, PolicyRoles, PolicyUsers); the index is the
/// sort key.
const KINDS: [EntityKind; 3] = [EntityKind::Group, EntityKind::Role, EntityKind::User];

pub(crate) async fn list_entities(
    tx: &mut dyn Tx,
    account_id: &str,
    arn: &str,
    filter: &EntityFilter,
    page: &PageRequest,
) -> Result<Page<PolicyEntity>> {
    let policy_id = policies::visible_id(tx, account_id, arn).await?;
    let boundary = filter.usage == Some(PolicyUsage::PermissionsBoundary);
    let mut selects = Vec::new();
    for (rank, kind) in KINDS.iter().enumerate() {
        if filter.kind.is_some_and(|k| k != *kind) || (boundary && *kind == EntityKind::Group) {
            continue;
        }
        let (table, id) = entities::table(*kind);
        let source = if boundary {
            format!("FROM {table} e WHERE e.boundary_policy_id = $1 AND e.account_id = $2")
        } else {
            format!(
                "FROM attachments a JOIN {table} e ON e.{id} = a.entity_id \
                 WHERE a.policy_id = $1 AND a.account_id = $2"
            )
        };
        selects.push(format!(
            "SELECT {rank} AS kind_rank, e.name_lower AS name_lower, e.name AS name, e.{id} AS id, \
             e.path AS path {source}"
        ));
    }
    if selects.is_empty() {
        return Ok(Page {
            items: Vec::new(),
            next_marker: None,
        });
    }
    let mut sql = format!(
        "SELECT kind_rank, name, id FROM ({}) t WHERE 1 = 1",
        selects.join(" UNION ALL ")
    );
    let mut params: Vec<Val> = Vec::from(params![&policy_id, account_id]);
    paging::push_prefix(
        &mut sql,
        &mut params,
        "t.path",
        filter.path_prefix.as_deref(),
    );
    if let Some(marker) = paging::decode_marker(page, 2)? {
        let mut parts = marker.into_iter();
        let rank: i64 = parts
            .next()
            .and_then(|r| r.parse().ok())
            .ok_or_else(|| StoreError::InvalidInput("Invalid Marker".into()))?;
        params.push(rank.into());
        params.push(parts.next().into());
        let n = params.len();
        sql.push_str(&format!(
            " AND (t.kind_rank > ${} OR (t.kind_rank = ${} AND t.name_lower > ${n}))",
            n - 1,
            n - 1
        ));
    }
    params.push(paging::fetch_limit(page).into());
    sql.push_str(&format!(
        " ORDER BY t.kind_rank, t.name_lower LIMIT ${}",
        params.len()
    ));
    let items = tx
        .query(&sql, &params)
        .await?
        .iter()
        .map(|row| {
            let rank = row.int(0)?;
            let kind = usize::try_from(rank)
                .ok()
                .and_then(|r| KINDS.get(r).copied())
                .ok_or_else(|| StoreError::corrupt(format!("entity rank {rank}")))?;
            Ok(PolicyEntity {
                kind,
                name: row.text(1)?,
                id: row.text(2)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(paging::finish(items, page, |e| {
        let rank = KINDS.iter().position(|k| *k == e.kind).unwrap_or(0);
        vec![rank.to_string(), e.name.to_lowercase()]
    }))
}
