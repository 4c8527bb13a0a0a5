//! The authorizer's hot path: all identity policies of one principal in one read.

use std::collections::HashMap;

use crate::error::{ResourceKind, Result, StoreError};
use crate::model::{GroupPolicies, InlinePolicy, PolicyDocument, PrincipalPolicies, PrincipalRef};
use crate::sql::{Row, Tx, policies};

/// `entity_id, arn, default version, document` of the managed policies attached to the
/// entities selected by `entities_sql` (a subquery using `$1`).
async fn managed_of(
    tx: &mut dyn Tx,
    entities_sql: &str,
    id: &str,
) -> Result<Vec<(String, PolicyDocument)>> {
    let rows = tx
        .query(
            &format!(
                "SELECT a.entity_id, p.arn, p.default_version, v.document FROM attachments a \
                 JOIN policies p ON p.policy_id = a.policy_id \
                 JOIN policy_versions v ON v.policy_id = p.policy_id \
                   AND v.version = p.default_version \
                 WHERE a.entity_id IN ({entities_sql}) ORDER BY a.entity_id, p.arn"
            ),
            &params![id],
        )
        .await?;
    rows.iter()
        .map(|row| Ok((row.text(0)?, document_from(row, 1)?)))
        .collect()
}

fn document_from(row: &Row, first: usize) -> Result<PolicyDocument> {
    Ok(PolicyDocument {
        arn: row.text(first)?,
        version_id: policies::version_id(row.int(first + 1)?),
        document: row.text(first + 2)?,
    })
}

async fn inline_of(
    tx: &mut dyn Tx,
    entities_sql: &str,
    id: &str,
) -> Result<Vec<(String, InlinePolicy)>> {
    let rows = tx
        .query(
            &format!(
                "SELECT entity_id, name, document FROM inline_policies \
                 WHERE entity_id IN ({entities_sql}) ORDER BY entity_id, name"
            ),
            &params![id],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.text(0)?,
                InlinePolicy {
                    name: row.text(1)?,
                    document: row.text(2)?,
                },
            ))
        })
        .collect()
}

pub(crate) async fn principal_policies(
    tx: &mut dyn Tx,
    account_id: &str,
    principal: &PrincipalRef,
) -> Result<PrincipalPolicies> {
    let (table, id_column, id, kind) = match principal {
        PrincipalRef::User(id) => ("users", "user_id", id, ResourceKind::User),
        PrincipalRef::Role(id) => ("roles", "role_id", id, ResourceKind::Role),
    };
    let row = tx
        .query_opt(
            &format!(
                "SELECT boundary_policy_id FROM {table} WHERE {id_column} = $1 AND account_id = $2"
            ),
            &params![id, account_id],
        )
        .await?
        .ok_or_else(|| StoreError::not_found(kind, id))?;
    let boundary = match row.opt_text(0)? {
        Some(policy_id) => {
            let row = tx
                .query_one(
                    "SELECT p.arn, p.default_version, v.document FROM policies p \
                     JOIN policy_versions v ON v.policy_id = p.policy_id \
                       AND v.version = p.default_version WHERE p.policy_id = $1",
                    &params![policy_id],
                )
                .await?;
            Some(document_from(&row, 0)?)
        }
        None => None,
    };

    let own = "SELECT CAST($1 AS TEXT)";
    let managed = managed_of(tx, own, id)
        .await?
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    let inline = inline_of(tx, own, id)
        .await?
        .into_iter()
        .map(|(_, p)| p)
        .collect();

    let mut groups = Vec::new();
    if let PrincipalRef::User(user_id) = principal {
        let rows = tx
            .query(
                "SELECT g.group_id, g.name, g.arn FROM group_members m \
                 JOIN iam_groups g ON g.group_id = m.group_id \
                 WHERE m.user_id = $1 ORDER BY g.name_lower",
                &params![user_id],
            )
            .await?;
        if !rows.is_empty() {
            let of_groups = "SELECT group_id FROM group_members WHERE user_id = $1";
            let mut managed: HashMap<String, Vec<PolicyDocument>> = HashMap::new();
            for (group_id, doc) in managed_of(tx, of_groups, user_id).await? {
                managed.entry(group_id).or_default().push(doc);
            }
            let mut inline: HashMap<String, Vec<InlinePolicy>> = HashMap::new();
            for (group_id, policy) in inline_of(tx, of_groups, user_id).await? {
                inline.entry(group_id).or_default().push(policy);
            }
            for row in &rows {
                let group_id = row.text(0)?;
                groups.push(GroupPolicies {
                    group_name: row.text(1)?,
                    group_arn: row.text(2)?,
                    managed: managed.remove(&group_id).unwrap_or_default(),
                    inline: inline.remove(&group_id).unwrap_or_default(),
                });
            }
        }
    }
    Ok(PrincipalPolicies {
        managed,
        inline,
        groups,
        boundary,
    })
}
