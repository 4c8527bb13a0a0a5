//! Inline policies of users, roles and groups.

use crate::error::{ResourceKind, Result, StoreError};
use crate::model::{EntityRef, InlinePolicy, Page, PageRequest, SizeCheck};
use crate::sql::{Tx, Val, entities, paging};

fn not_found(entity: &EntityRef, policy_name: &str) -> StoreError {
    StoreError::not_found(ResourceKind::InlinePolicy(entity.kind()), policy_name)
}

pub(crate) async fn put(
    tx: &mut dyn Tx,
    account_id: &str,
    entity: &EntityRef,
    policy_name: &str,
    document: &str,
    check: SizeCheck,
) -> Result<()> {
    let (entity_id, entity_name) = entities::resolve(tx, account_id, entity).await?;
    // The policy being replaced does not count against the new total.
    let others = tx
        .query_one(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM inline_policies \
             WHERE entity_id = $1 AND name <> $2",
            &params![&entity_id, policy_name],
        )
        .await?
        .int(0)?;
    if others + i64::from(check.size) > i64::from(check.limit) {
        return Err(StoreError::PolicySizeExceeded {
            kind: entity.kind(),
            name: entity_name,
            limit: check.limit,
        });
    }
    tx.execute(
        "INSERT INTO inline_policies (entity_id, name, document, size) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (entity_id, name) \
         DO UPDATE SET document = excluded.document, size = excluded.size",
        &params![&entity_id, policy_name, document, check.size],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get(
    tx: &mut dyn Tx,
    account_id: &str,
    entity: &EntityRef,
    policy_name: &str,
) -> Result<InlinePolicy> {
    let (entity_id, _) = entities::resolve(tx, account_id, entity).await?;
    let row = tx
        .query_opt(
            "SELECT name, document FROM inline_policies WHERE entity_id = $1 AND name = $2",
            &params![&entity_id, policy_name],
        )
        .await?
        .ok_or_else(|| not_found(entity, policy_name))?;
    Ok(InlinePolicy {
        name: row.text(0)?,
        document: row.text(1)?,
    })
}

pub(crate) async fn delete(
    tx: &mut dyn Tx,
    account_id: &str,
    entity: &EntityRef,
    policy_name: &str,
) -> Result<()> {
    let (entity_id, _) = entities::resolve(tx, account_id, entity).await?;
    let removed = tx
        .execute(
            "DELETE FROM inline_policies WHERE entity_id = $1 AND name = $2",
            &params![&entity_id, policy_name],
        )
        .await?;
    if removed == 0 {
        return Err(not_found(entity, policy_name));
    }
    Ok(())
}

pub(crate) async fn list_names(
    tx: &mut dyn Tx,
    account_id: &str,
    entity: &EntityRef,
    page: &PageRequest,
) -> Result<Page<String>> {
    let (entity_id, _) = entities::resolve(tx, account_id, entity).await?;
    let mut sql = "SELECT name FROM inline_policies WHERE entity_id = $1".to_owned();
    let mut params: Vec<Val> = Vec::from(params![&entity_id]);
    paging::push_keyset(&mut sql, &mut params, page, &["name"])?;
    let names = tx
        .query(&sql, &params)
        .await?
        .iter()
        .map(|row| row.text(0))
        .collect::<Result<Vec<_>>>()?;
    Ok(paging::finish(names, page, |n| vec![n.clone()]))
}
