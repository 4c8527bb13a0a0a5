//! Organization policies (SCPs): create, update, delete, attach, detach, enable and
//! disable their type in the root.

use crate::error::Result;
use crate::org::{OrgFault, OrgPolicy, OrgPolicyUpdate, OrgResult, Organization, limits};
use crate::sql::Tx;
use crate::sql::organizations::{
    FULL_ACCESS_ID, POLICY_COLUMNS, SCP, get, get_account, get_ou, insert_policy, is_parent, link,
    policy_from, require_org, type_enabled,
};

pub(crate) async fn get_policy(tx: &mut dyn Tx, policy_id: &str) -> Result<Option<OrgPolicy>> {
    tx.query_opt(
        &format!("SELECT {POLICY_COLUMNS} FROM org_policies p WHERE p.policy_id = $1"),
        &params![policy_id],
    )
    .await?
    .as_ref()
    .map(policy_from)
    .transpose()
}

pub(crate) async fn list_policies(tx: &mut dyn Tx, policy_type: &str) -> Result<Vec<OrgPolicy>> {
    tx.query(
        &format!(
            "SELECT {POLICY_COLUMNS} FROM org_policies p WHERE p.policy_type = $1 \
             ORDER BY p.aws_managed DESC, p.name, p.policy_id"
        ),
        &params![policy_type],
    )
    .await?
    .iter()
    .map(policy_from)
    .collect()
}

async fn name_taken(tx: &mut dyn Tx, policy_type: &str, name: &str) -> Result<bool> {
    tx.exists(
        "SELECT 1 FROM org_policies WHERE policy_type = $1 AND name = $2",
        &params![policy_type, name],
    )
    .await
}

pub(crate) async fn create_policy(tx: &mut dyn Tx, p: &OrgPolicy) -> OrgResult<OrgPolicy> {
    or_fault!(require_org(tx).await?);
    if name_taken(tx, &p.policy_type, &p.name).await? {
        return Ok(Err(OrgFault::DuplicatePolicy));
    }
    if tx
        .count(
            "SELECT COUNT(*) FROM org_policies WHERE policy_type = $1",
            &params![&p.policy_type],
        )
        .await?
        >= limits::POLICIES_PER_TYPE
    {
        return Ok(Err(OrgFault::Constraint("POLICY_NUMBER_LIMIT_EXCEEDED")));
    }
    insert_policy(tx, p).await?;
    Ok(Ok(p.clone()))
}

pub(crate) async fn update_policy(
    tx: &mut dyn Tx,
    policy_id: &str,
    update: &OrgPolicyUpdate,
) -> OrgResult<OrgPolicy> {
    let Some(mut p) = get_policy(tx, policy_id).await? else {
        return Ok(Err(OrgFault::PolicyNotFound));
    };
    if p.aws_managed {
        return Ok(Err(OrgFault::PolicyChangesNotAllowed));
    }
    if let Some(name) = &update.name {
        if *name != p.name && name_taken(tx, &p.policy_type, name).await? {
            return Ok(Err(OrgFault::DuplicatePolicy));
        }
        p.name = name.clone();
    }
    if let Some(d) = &update.description {
        p.description = d.clone();
    }
    if let Some(c) = &update.content {
        p.content = c.clone();
    }
    tx.execute(
        "UPDATE org_policies SET name = $1, description = $2, content = $3 WHERE policy_id = $4",
        &params![&p.name, &p.description, &p.content, policy_id],
    )
    .await?;
    Ok(Ok(p))
}

pub(crate) async fn delete_policy(tx: &mut dyn Tx, policy_id: &str) -> OrgResult<()> {
    let Some(p) = get_policy(tx, policy_id).await? else {
        return Ok(Err(OrgFault::PolicyNotFound));
    };
    if p.aws_managed {
        return Ok(Err(OrgFault::PolicyChangesNotAllowed));
    }
    if tx
        .exists(
            "SELECT 1 FROM org_policy_targets WHERE policy_id = $1",
            &params![policy_id],
        )
        .await?
    {
        return Ok(Err(OrgFault::PolicyInUse));
    }
    tx.execute(
        "DELETE FROM org_policies WHERE policy_id = $1",
        &params![policy_id],
    )
    .await?;
    Ok(Ok(()))
}

/// Whether `target` is the root, an OU or an account of the organization.
async fn is_target(tx: &mut dyn Tx, org: &Organization, target: &str) -> Result<bool> {
    Ok(is_parent(tx, org, target).await? || get_account(tx, target).await?.is_some())
}

async fn attached_count(tx: &mut dyn Tx, target: &str, policy_type: &str) -> Result<u32> {
    tx.count(
        "SELECT COUNT(*) FROM org_policy_targets t JOIN org_policies p \
         ON p.policy_id = t.policy_id WHERE t.target_id = $1 AND p.policy_type = $2",
        &params![target, policy_type],
    )
    .await
}

pub(crate) async fn attach(tx: &mut dyn Tx, policy_id: &str, target: &str) -> OrgResult<()> {
    let org = or_fault!(require_org(tx).await?);
    let Some(p) = get_policy(tx, policy_id).await? else {
        return Ok(Err(OrgFault::PolicyNotFound));
    };
    if !is_target(tx, &org, target).await? {
        return Ok(Err(OrgFault::TargetNotFound));
    }
    if !type_enabled(tx, &p.policy_type).await? {
        return Ok(Err(OrgFault::PolicyTypeNotEnabled));
    }
    if tx
        .exists(
            "SELECT 1 FROM org_policy_targets WHERE policy_id = $1 AND target_id = $2",
            &params![policy_id, target],
        )
        .await?
    {
        return Ok(Err(OrgFault::DuplicatePolicyAttachment));
    }
    if attached_count(tx, target, &p.policy_type).await? >= limits::POLICIES_PER_TARGET {
        return Ok(Err(OrgFault::Constraint(
            "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
        )));
    }
    link(tx, policy_id, target).await?;
    Ok(Ok(()))
}

pub(crate) async fn detach(tx: &mut dyn Tx, policy_id: &str, target: &str) -> OrgResult<()> {
    let org = or_fault!(require_org(tx).await?);
    let Some(p) = get_policy(tx, policy_id).await? else {
        return Ok(Err(OrgFault::PolicyNotFound));
    };
    if !is_target(tx, &org, target).await? {
        return Ok(Err(OrgFault::TargetNotFound));
    }
    if !tx
        .exists(
            "SELECT 1 FROM org_policy_targets WHERE policy_id = $1 AND target_id = $2",
            &params![policy_id, target],
        )
        .await?
    {
        return Ok(Err(OrgFault::PolicyNotAttached));
    }
    // A target of an enabled type is never left without a policy of that type.
    if type_enabled(tx, &p.policy_type).await?
        && attached_count(tx, target, &p.policy_type).await? <= 1
    {
        return Ok(Err(OrgFault::Constraint(
            "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
        )));
    }
    tx.execute(
        "DELETE FROM org_policy_targets WHERE policy_id = $1 AND target_id = $2",
        &params![policy_id, target],
    )
    .await?;
    Ok(Ok(()))
}

pub(crate) async fn policies_for_target(
    tx: &mut dyn Tx,
    target: &str,
    policy_type: &str,
) -> OrgResult<Vec<OrgPolicy>> {
    let org = or_fault!(require_org(tx).await?);
    if !is_target(tx, &org, target).await? {
        return Ok(Err(OrgFault::TargetNotFound));
    }
    Ok(Ok(attached(tx, target, policy_type).await?))
}

pub(crate) async fn attached(
    tx: &mut dyn Tx,
    target: &str,
    policy_type: &str,
) -> Result<Vec<OrgPolicy>> {
    tx.query(
        &format!(
            "SELECT {POLICY_COLUMNS} FROM org_policy_targets t JOIN org_policies p \
             ON p.policy_id = t.policy_id WHERE t.target_id = $1 AND p.policy_type = $2 \
             ORDER BY p.aws_managed DESC, p.name, p.policy_id"
        ),
        &params![target, policy_type],
    )
    .await?
    .iter()
    .map(policy_from)
    .collect()
}

/// The targets a policy is attached to: (id, name) pairs, the root named `Root`.
pub(crate) async fn targets_for_policy(
    tx: &mut dyn Tx,
    policy_id: &str,
) -> OrgResult<Vec<(String, String)>> {
    let org = or_fault!(require_org(tx).await?);
    if get_policy(tx, policy_id).await?.is_none() {
        return Ok(Err(OrgFault::PolicyNotFound));
    }
    let ids = tx
        .query(
            "SELECT target_id FROM org_policy_targets WHERE policy_id = $1 ORDER BY target_id",
            &params![policy_id],
        )
        .await?
        .iter()
        .map(|r| r.text(0))
        .collect::<Result<Vec<_>>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let name = if id == org.root_id {
            "Root".to_owned()
        } else if let Some(ou) = get_ou(tx, &id).await? {
            ou.name
        } else if let Some(a) = get_account(tx, &id).await? {
            a.name
        } else {
            continue;
        };
        out.push((id, name));
    }
    Ok(Ok(out))
}

/// The organization whose root is `root_id` and whether `policy_type` is enabled in it:
/// Enable and DisablePolicyType refuse a missing organization or another root first.
async fn policy_type_in(
    tx: &mut dyn Tx,
    root_id: &str,
    policy_type: &str,
) -> OrgResult<(Organization, bool)> {
    let org = or_fault!(require_org(tx).await?);
    if root_id != org.root_id {
        return Ok(Err(OrgFault::RootNotFound));
    }
    let enabled = type_enabled(tx, policy_type).await?;
    Ok(Ok((org, enabled)))
}

pub(crate) async fn enable_policy_type(
    tx: &mut dyn Tx,
    root_id: &str,
    policy_type: &str,
) -> OrgResult<Organization> {
    let (org, enabled) = or_fault!(policy_type_in(tx, root_id, policy_type).await?);
    if enabled {
        return Ok(Err(OrgFault::PolicyTypeAlreadyEnabled));
    }
    tx.execute(
        "INSERT INTO org_policy_types (policy_type) VALUES ($1)",
        &params![policy_type],
    )
    .await?;
    if policy_type == SCP {
        // Every target starts over with FullAWSAccess only, as on AWS.
        let targets = tx
            .query(
                "SELECT ou_id FROM org_units UNION SELECT account_id FROM org_accounts",
                &[],
            )
            .await?
            .iter()
            .map(|r| r.text(0))
            .collect::<Result<Vec<_>>>()?;
        link(tx, FULL_ACCESS_ID, &org.root_id).await?;
        for t in targets {
            link(tx, FULL_ACCESS_ID, &t).await?;
        }
    }
    Ok(get(tx).await?.ok_or(OrgFault::NoOrganization))
}

pub(crate) async fn disable_policy_type(
    tx: &mut dyn Tx,
    root_id: &str,
    policy_type: &str,
) -> OrgResult<Organization> {
    let (_, enabled) = or_fault!(policy_type_in(tx, root_id, policy_type).await?);
    if !enabled {
        return Ok(Err(OrgFault::PolicyTypeNotEnabled));
    }
    tx.execute(
        "DELETE FROM org_policy_targets WHERE policy_id IN \
         (SELECT policy_id FROM org_policies WHERE policy_type = $1)",
        &params![policy_type],
    )
    .await?;
    tx.execute(
        "DELETE FROM org_policy_types WHERE policy_type = $1",
        &params![policy_type],
    )
    .await?;
    Ok(get(tx).await?.ok_or(OrgFault::NoOrganization))
}
