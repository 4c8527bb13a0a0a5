//! Managed policies and their versions.

use chrono::{DateTime, Utc};

use crate::error::{DeleteConflict, Quota, ResourceKind, Result, StoreError};
use crate::model::{
    AWS_ACCOUNT, AwsManagedPolicy, ManagedPolicy, NewPolicy, Page, PageRequest, PolicyFilter,
    PolicyScope, PolicyUsage, PolicyVersion, Quotas,
};
use crate::sql::{Row, Tx, Val, accounts, paging, tags};

/// Columns decoded by [`policy_from`]. `$1` must be the asking account: the counts are per
/// account (AWS-managed policies are shared by all accounts).
const POLICY_COLUMNS: &str = "p.policy_id, p.account_id, p.name, p.path, p.arn, p.description, \
     p.default_version, p.create_date, p.update_date, \
     (SELECT COUNT(*) FROM attachments a \
        WHERE a.policy_id = p.policy_id AND a.account_id = $1) AS attachment_count, \
     (SELECT COUNT(*) FROM users bu \
        WHERE bu.boundary_policy_id = p.policy_id AND bu.account_id = $1) \
     + (SELECT COUNT(*) FROM roles br \
        WHERE br.boundary_policy_id = p.policy_id AND br.account_id = $1) AS boundary_count, \
     p.name_lower";

/// Policies the asking account (`$1`) can see: its own and AWS-managed ones.
const VISIBLE: &str = "(p.account_id = $1 OR p.account_id = 'aws')";

pub(crate) fn version_id(n: i64) -> String {
    format!("v{n}")
}

/// `v3` → 3; anything this store never issues (`v03`, `v3.x`, `x`) → `None`.
fn parse_version_id(id: &str) -> Option<i64> {
    let n: i64 = id.strip_prefix('v')?.parse().ok()?;
    (n > 0 && version_id(n) == id).then_some(n)
}

fn policy_from(row: &Row) -> Result<ManagedPolicy> {
    Ok(ManagedPolicy {
        policy_id: row.text(0)?,
        account_id: row.text(1)?,
        name: row.text(2)?,
        path: row.text(3)?,
        arn: row.text(4)?,
        description: row.opt_text(5)?,
        default_version_id: version_id(row.int(6)?),
        create_date: row.time(7)?,
        update_date: row.time(8)?,
        attachment_count: row.u32(9)?,
        permissions_boundary_usage_count: row.u32(10)?,
        is_attachable: true,
        tags: Vec::new(),
    })
}

/// Id of a policy the account may read or attach. `NotFound(Policy)`.
pub(crate) async fn visible_id(tx: &mut dyn Tx, account_id: &str, arn: &str) -> Result<String> {
    let row = tx
        .query_opt(
            &format!("SELECT p.policy_id FROM policies p WHERE {VISIBLE} AND p.arn = $2"),
            &params![account_id, arn],
        )
        .await?
        .ok_or_else(|| StoreError::not_found(ResourceKind::Policy, arn))?;
    row.text(0)
}

/// [`visible_id`] of an optional ARN (a permissions boundary being set or cleared).
pub(crate) async fn visible_id_opt(
    tx: &mut dyn Tx,
    account_id: &str,
    arn: Option<&str>,
) -> Result<Option<String>> {
    match arn {
        Some(arn) => visible_id(tx, account_id, arn).await.map(Some),
        None => Ok(None),
    }
}

/// Id of a policy the account may modify. `NotFound(Policy)`; `Unmodifiable` for AWS-managed.
pub(crate) async fn writable_id(tx: &mut dyn Tx, account_id: &str, arn: &str) -> Result<String> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT p.policy_id, p.account_id FROM policies p WHERE {VISIBLE} AND p.arn = $2"
            ),
            &params![account_id, arn],
        )
        .await?
        .ok_or_else(|| StoreError::not_found(ResourceKind::Policy, arn))?;
    if row.text(1)? == AWS_ACCOUNT {
        return Err(StoreError::Unmodifiable {
            name: arn.to_owned(),
        });
    }
    row.text(0)
}

pub(crate) async fn get(tx: &mut dyn Tx, account_id: &str, arn: &str) -> Result<ManagedPolicy> {
    let row = tx
        .query_opt(
            &format!("SELECT {POLICY_COLUMNS} FROM policies p WHERE {VISIBLE} AND p.arn = $2"),
            &params![account_id, arn],
        )
        .await?
        .ok_or_else(|| StoreError::not_found(ResourceKind::Policy, arn))?;
    let mut policy = policy_from(&row)?;
    policy.tags = tags::load(tx, &policy.policy_id).await?;
    Ok(policy)
}

async fn insert(tx: &mut dyn Tx, policy: &NewPolicy) -> Result<()> {
    insert_at(tx, policy, 1, policy.create_date).await
}

/// Inserts `policy` whose only version is `version` (the default), dated `update_date`.
async fn insert_at(
    tx: &mut dyn Tx,
    policy: &NewPolicy,
    version: i64,
    update_date: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO policies (policy_id, account_id, name, name_lower, path, arn, description, \
         default_version, next_version, create_date, update_date) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &params![
            &policy.policy_id,
            &policy.account_id,
            &policy.name,
            policy.name.to_lowercase(),
            &policy.path,
            &policy.arn,
            policy.description.as_deref(),
            version,
            version + 1,
            policy.create_date,
            update_date
        ],
    )
    .await?;
    tx.execute(
        "INSERT INTO policy_versions (policy_id, version, document, create_date) \
         VALUES ($1, $2, $3, $4)",
        &params![&policy.policy_id, version, &policy.document, update_date],
    )
    .await?;
    Ok(())
}

pub(crate) async fn create(
    tx: &mut dyn Tx,
    quotas: &Quotas,
    policy: &NewPolicy,
) -> Result<ManagedPolicy> {
    if policy.account_id == AWS_ACCOUNT {
        return Err(StoreError::InvalidInput(
            "AWS-managed policies are registered with upsert_aws_managed_policy".into(),
        ));
    }
    accounts::require(tx, &policy.account_id).await?;
    if tx
        .exists(
            "SELECT 1 FROM policies WHERE account_id = $1 AND name = $2",
            &params![&policy.account_id, &policy.name],
        )
        .await?
    {
        return Err(StoreError::already_exists(
            ResourceKind::Policy,
            &policy.name,
        ));
    }
    tx.ensure_room(
        "SELECT COUNT(*) FROM policies WHERE account_id = $1",
        &params![&policy.account_id],
        Quota::PoliciesPerAccount,
        quotas.policies_per_account,
    )
    .await?;
    insert(tx, policy).await?;
    tags::put(tx, quotas, &policy.policy_id, &policy.tags, tags::POLICY).await?;
    get(tx, &policy.account_id, &policy.arn).await
}

/// Creates the AWS-managed policy, or brings its description and default version (number
/// and document) up to date. AWS-managed policies keep only their default version: older
/// versions are not part of the definition.
pub(crate) async fn upsert_aws(
    tx: &mut dyn Tx,
    policy: &AwsManagedPolicy,
) -> Result<ManagedPolicy> {
    let version = policy.default_version.max(1);
    let existing = tx
        .query_opt(
            "SELECT p.policy_id, p.description, v.document, v.version FROM policies p \
             JOIN policy_versions v ON v.policy_id = p.policy_id AND v.version = p.default_version \
             WHERE p.account_id = 'aws' AND p.arn = $1",
            &params![&policy.arn],
        )
        .await?;
    match existing {
        None => {
            let new = NewPolicy {
                account_id: AWS_ACCOUNT.to_owned(),
                policy_id: policy.policy_id.clone(),
                name: policy.name.clone(),
                path: policy.path.clone(),
                arn: policy.arn.clone(),
                description: policy.description.clone(),
                document: policy.document.clone(),
                create_date: policy.create_date,
                tags: Vec::new(),
            };
            insert_at(tx, &new, version, policy.update_date).await?
        }
        Some(row) => {
            let policy_id = row.text(0)?;
            if row.opt_text(1)? != policy.description
                || row.text(2)? != policy.document
                || row.int(3)? != version
            {
                tx.execute(
                    "DELETE FROM policy_versions WHERE policy_id = $1",
                    &params![&policy_id],
                )
                .await?;
                tx.execute(
                    "INSERT INTO policy_versions (policy_id, version, document, create_date) \
                     VALUES ($1, $2, $3, $4)",
                    &params![&policy_id, version, &policy.document, policy.update_date],
                )
                .await?;
                tx.execute(
                    "UPDATE policies SET description = $1, default_version = $2, \
                     next_version = $3, update_date = $4 WHERE policy_id = $5",
                    &params![
                        policy.description.as_deref(),
                        version,
                        version + 1,
                        policy.update_date,
                        &policy_id
                    ],
                )
                .await?;
            }
        }
    }
    // Counts are per account; the pseudo-account has no entities, so they read 0 here.
    get(tx, AWS_ACCOUNT, &policy.arn).await
}

pub(crate) async fn list(
    tx: &mut dyn Tx,
    account_id: &str,
    filter: &PolicyFilter,
    page: &PageRequest,
) -> Result<Page<ManagedPolicy>> {
    let scope = match filter.scope {
        PolicyScope::All => VISIBLE,
        PolicyScope::Aws => "p.account_id = 'aws'",
        PolicyScope::Local => "p.account_id = $1",
    };
    let mut sql = format!("SELECT * FROM (SELECT {POLICY_COLUMNS} FROM policies p WHERE {scope}");
    let mut params: Vec<Val> = Vec::from(params![account_id]);
    paging::push_prefix(
        &mut sql,
        &mut params,
        "p.path",
        filter.path_prefix.as_deref(),
    );
    sql.push_str(") t WHERE 1 = 1");
    if filter.only_attached {
        sql.push_str(" AND t.attachment_count > 0");
    }
    match filter.usage {
        Some(PolicyUsage::PermissionsPolicy) => sql.push_str(" AND t.attachment_count > 0"),
        Some(PolicyUsage::PermissionsBoundary) => sql.push_str(" AND t.boundary_count > 0"),
        None => {}
    }
    paging::push_keyset(&mut sql, &mut params, page, &["t.name_lower", "t.arn"])?;
    let rows = tx.query(&sql, &params).await?;
    let mut policies = rows.iter().map(policy_from).collect::<Result<Vec<_>>>()?;
    let ids: Vec<String> = policies.iter().map(|p| p.policy_id.clone()).collect();
    let mut all_tags = tags::load_many(tx, &ids).await?;
    for p in &mut policies {
        p.tags = all_tags.remove(&p.policy_id).unwrap_or_default();
    }
    Ok(paging::finish(policies, page, |p| {
        vec![p.name.to_lowercase(), p.arn.clone()]
    }))
}

pub(crate) async fn delete(tx: &mut dyn Tx, account_id: &str, arn: &str) -> Result<()> {
    let policy_id = writable_id(tx, account_id, arn).await?;
    let in_use = tx
        .exists(
            "SELECT 1 FROM attachments WHERE policy_id = $1 \
             UNION ALL SELECT 1 FROM users WHERE boundary_policy_id = $1 \
             UNION ALL SELECT 1 FROM roles WHERE boundary_policy_id = $1",
            &params![&policy_id],
        )
        .await?;
    if in_use {
        return Err(StoreError::DeleteConflict(DeleteConflict::PolicyAttached));
    }
    let versions = tx
        .count(
            "SELECT COUNT(*) FROM policy_versions WHERE policy_id = $1",
            &params![&policy_id],
        )
        .await?;
    if versions > 1 {
        return Err(StoreError::DeleteConflict(
            DeleteConflict::PolicyHasVersions,
        ));
    }
    tags::remove_all(tx, &policy_id).await?;
    tx.execute(
        "DELETE FROM policy_versions WHERE policy_id = $1",
        &params![&policy_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM policies WHERE policy_id = $1",
        &params![&policy_id],
    )
    .await?;
    Ok(())
}

pub(crate) async fn create_version(
    tx: &mut dyn Tx,
    quotas: &Quotas,
    account_id: &str,
    arn: &str,
    document: &str,
    set_as_default: bool,
    date: DateTime<Utc>,
) -> Result<PolicyVersion> {
    let policy_id = writable_id(tx, account_id, arn).await?;
    tx.ensure_room(
        "SELECT COUNT(*) FROM policy_versions WHERE policy_id = $1",
        &params![&policy_id],
        Quota::VersionsPerPolicy,
        quotas.versions_per_policy,
    )
    .await?;
    let next = tx
        .query_one(
            "SELECT next_version FROM policies WHERE policy_id = $1",
            &params![&policy_id],
        )
        .await?
        .int(0)?;
    tx.execute(
        "INSERT INTO policy_versions (policy_id, version, document, create_date) \
         VALUES ($1, $2, $3, $4)",
        &params![&policy_id, next, document, date],
    )
    .await?;
    tx.execute(
        "UPDATE policies SET next_version = $1 WHERE policy_id = $2",
        &params![next + 1, &policy_id],
    )
    .await?;
    if set_as_default {
        set_default_version(tx, &policy_id, next, date).await?;
    }
    Ok(PolicyVersion {
        version_id: version_id(next),
        document: document.to_owned(),
        is_default: set_as_default,
        create_date: date,
    })
}

async fn set_default_version(
    tx: &mut dyn Tx,
    policy_id: &str,
    version: i64,
    date: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE policies SET default_version = $1, update_date = $2 WHERE policy_id = $3",
        &params![version, date, policy_id],
    )
    .await?;
    Ok(())
}

const VERSION_COLUMNS: &str = "v.version, v.document, v.create_date, p.default_version";

fn version_from(row: &Row) -> Result<PolicyVersion> {
    let version = row.int(0)?;
    Ok(PolicyVersion {
        version_id: version_id(version),
        document: row.text(1)?,
        create_date: row.time(2)?,
        is_default: row.int(3)? == version,
    })
}

/// The version number of an existing version. `NotFound(PolicyVersion)`.
async fn existing_version(tx: &mut dyn Tx, policy_id: &str, version_id: &str) -> Result<i64> {
    let not_found = || StoreError::not_found(ResourceKind::PolicyVersion, version_id);
    let n = parse_version_id(version_id).ok_or_else(not_found)?;
    let found = tx
        .exists(
            "SELECT 1 FROM policy_versions WHERE policy_id = $1 AND version = $2",
            &params![policy_id, n],
        )
        .await?;
    if found { Ok(n) } else { Err(not_found()) }
}

pub(crate) async fn get_version(
    tx: &mut dyn Tx,
    account_id: &str,
    arn: &str,
    version_id: &str,
) -> Result<PolicyVersion> {
    let policy_id = visible_id(tx, account_id, arn).await?;
    let n = existing_version(tx, &policy_id, version_id).await?;
    let row = tx
        .query_one(
            &format!(
                "SELECT {VERSION_COLUMNS} FROM policy_versions v \
                 JOIN policies p ON p.policy_id = v.policy_id \
                 WHERE v.policy_id = $1 AND v.version = $2"
            ),
            &params![&policy_id, n],
        )
        .await?;
    version_from(&row)
}

pub(crate) async fn list_versions(
    tx: &mut dyn Tx,
    account_id: &str,
    arn: &str,
) -> Result<Vec<PolicyVersion>> {
    let policy_id = visible_id(tx, account_id, arn).await?;
    let rows = tx
        .query(
            &format!(
                "SELECT {VERSION_COLUMNS} FROM policy_versions v \
                 JOIN policies p ON p.policy_id = v.policy_id \
                 WHERE v.policy_id = $1 ORDER BY v.version DESC"
            ),
            &params![&policy_id],
        )
        .await?;
    rows.iter().map(version_from).collect()
}

pub(crate) async fn set_default(
    tx: &mut dyn Tx,
    account_id: &str,
    arn: &str,
    version_id: &str,
    date: DateTime<Utc>,
) -> Result<()> {
    let policy_id = writable_id(tx, account_id, arn).await?;
    let n = existing_version(tx, &policy_id, version_id).await?;
    set_default_version(tx, &policy_id, n, date).await
}

pub(crate) async fn delete_version(
    tx: &mut dyn Tx,
    account_id: &str,
    arn: &str,
    version_id: &str,
) -> Result<()> {
    let policy_id = writable_id(tx, account_id, arn).await?;
    let n = existing_version(tx, &policy_id, version_id).await?;
    let default = tx
        .query_one(
            "SELECT default_version FROM policies WHERE policy_id = $1",
            &params![&policy_id],
        )
        .await?
        .int(0)?;
    if default == n {
        return Err(StoreError::DeleteConflict(DeleteConflict::DefaultVersion));
    }
    tx.execute(
        "DELETE FROM policy_versions WHERE policy_id = $1 AND version = $2",
        &params![&policy_id, n],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ids() {
        assert_eq!(parse_version_id("v1"), Some(1));
        assert_eq!(parse_version_id("v12"), Some(12));
        for bad in ["v0", "v01", "v1.a", "1", "v", "v-1", ""] {
            assert_eq!(parse_version_id(bad), None, "{bad}");
        }
    }
}
