//! The organization, its accounts, OUs, create-account requests and policies.

use crate::error::Result;
use crate::model::{EntityRef, Quotas};
use crate::org::{
    AccountControls, CreateAccountStatus, NewMemberAccount, NewOrganization, OrgAccount, OrgFault,
    OrgPolicy, OrgResult, OrgUnit, Organization, limits,
};
use crate::sql::org_policies::attached;
use crate::sql::{Row, Tx, accounts, attachments, roles};

/// The AWS-managed SCP every target starts with.
pub(crate) const FULL_ACCESS_ID: &str = "p-FullAWSAccess";
pub(crate) const SCP: &str = "SERVICE_CONTROL_POLICY";

const ORG_COLUMNS: &str =
    "org_id, feature_set, management_account, management_email, root_id, created";
const ACCOUNT_COLUMNS: &str = "account_id, name, email, joined_method, joined, parent_id";
pub(crate) const POLICY_COLUMNS: &str = "p.policy_id, p.policy_type, p.name, p.description, p.content, \
     p.aws_managed";
const STATUS_COLUMNS: &str =
    "request_id, account_name, state, requested, completed, account_id, failure_reason";

fn account_from(row: &Row) -> Result<OrgAccount> {
    Ok(OrgAccount {
        account_id: row.text(0)?,
        name: row.text(1)?,
        email: row.text(2)?,
        joined_method: row.text(3)?,
        joined: row.time(4)?,
        parent_id: row.text(5)?,
    })
}

pub(crate) fn policy_from(row: &Row) -> Result<OrgPolicy> {
    Ok(OrgPolicy {
        policy_id: row.text(0)?,
        policy_type: row.text(1)?,
        name: row.text(2)?,
        description: row.text(3)?,
        content: row.text(4)?,
        aws_managed: row.int(5)? != 0,
    })
}

fn status_from(row: &Row) -> Result<CreateAccountStatus> {
    Ok(CreateAccountStatus {
        request_id: row.text(0)?,
        account_name: row.text(1)?,
        state: row.text(2)?,
        requested: row.time(3)?,
        completed: row.opt_time(4)?,
        account_id: row.opt_text(5)?,
        failure_reason: row.opt_text(6)?,
    })
}

pub(crate) async fn get(tx: &mut dyn Tx) -> Result<Option<Organization>> {
    let Some(row) = tx
        .query_opt(&format!("SELECT {ORG_COLUMNS} FROM org_organization"), &[])
        .await?
    else {
        return Ok(None);
    };
    let types = tx
        .query(
            "SELECT policy_type FROM org_policy_types ORDER BY policy_type",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.text(0))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(Organization {
        org_id: row.text(0)?,
        feature_set: row.text(1)?,
        management_account_id: row.text(2)?,
        management_email: row.text(3)?,
        root_id: row.text(4)?,
        created: row.time(5)?,
        enabled_policy_types: types,
    }))
}

pub(crate) async fn require_org(tx: &mut dyn Tx) -> Result<Result<Organization, OrgFault>> {
    Ok(get(tx).await?.ok_or(OrgFault::NoOrganization))
}

pub(crate) async fn type_enabled(tx: &mut dyn Tx, policy_type: &str) -> Result<bool> {
    tx.exists(
        "SELECT 1 FROM org_policy_types WHERE policy_type = $1",
        &params![policy_type],
    )
    .await
}

pub(crate) async fn insert_policy(tx: &mut dyn Tx, p: &OrgPolicy) -> Result<()> {
    tx.execute(
        "INSERT INTO org_policies (policy_id, policy_type, name, description, content, \
         aws_managed) VALUES ($1, $2, $3, $4, $5, $6)",
        &params![
            &p.policy_id,
            &p.policy_type,
            &p.name,
            &p.description,
            &p.content,
            i64::from(p.aws_managed)
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn link(tx: &mut dyn Tx, policy_id: &str, target_id: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO org_policy_targets (policy_id, target_id) VALUES ($1, $2) \
         ON CONFLICT (policy_id, target_id) DO NOTHING",
        &params![policy_id, target_id],
    )
    .await?;
    Ok(())
}

/// Attaches `FullAWSAccess` to a new target when SCPs are enabled, as AWS does.
async fn link_default_scp(tx: &mut dyn Tx, target_id: &str) -> Result<()> {
    if type_enabled(tx, SCP).await? {
        link(tx, FULL_ACCESS_ID, target_id).await?;
    }
    Ok(())
}

pub(crate) async fn create(tx: &mut dyn Tx, new: &NewOrganization) -> OrgResult<Organization> {
    if get(tx).await?.is_some() {
        return Ok(Err(OrgFault::OrganizationExists));
    }
    accounts::require(tx, &new.management_account_id).await?;
    tx.execute(
        &format!("INSERT INTO org_organization ({ORG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"),
        &params![
            &new.org_id,
            &new.feature_set,
            &new.management_account_id,
            &new.management_email,
            &new.root_id,
            new.created
        ],
    )
    .await?;
    tx.execute(
        "INSERT INTO org_accounts (account_id, name, email, email_lower, joined_method, joined, \
         parent_id) VALUES ($1, $2, $3, $4, 'INVITED', $5, $6)",
        &params![
            &new.management_account_id,
            &new.management_name,
            &new.management_email,
            new.management_email.to_ascii_lowercase(),
            new.created,
            &new.root_id
        ],
    )
    .await?;
    if !tx
        .exists(
            "SELECT 1 FROM org_policies WHERE policy_id = $1",
            &params![FULL_ACCESS_ID],
        )
        .await?
    {
        insert_policy(tx, &new.full_access).await?;
    }
    if new.feature_set == "ALL" {
        tx.execute(
            "INSERT INTO org_policy_types (policy_type) VALUES ($1)",
            &params![SCP],
        )
        .await?;
        link(tx, FULL_ACCESS_ID, &new.root_id).await?;
        link(tx, FULL_ACCESS_ID, &new.management_account_id).await?;
    }
    Ok(get(tx).await?.ok_or(OrgFault::NoOrganization))
}

pub(crate) async fn get_account(tx: &mut dyn Tx, account_id: &str) -> Result<Option<OrgAccount>> {
    tx.query_opt(
        &format!("SELECT {ACCOUNT_COLUMNS} FROM org_accounts WHERE account_id = $1"),
        &params![account_id],
    )
    .await?
    .as_ref()
    .map(account_from)
    .transpose()
}

pub(crate) async fn list_accounts(tx: &mut dyn Tx) -> Result<Vec<OrgAccount>> {
    tx.query(
        &format!("SELECT {ACCOUNT_COLUMNS} FROM org_accounts ORDER BY joined, account_id"),
        &[],
    )
    .await?
    .iter()
    .map(account_from)
    .collect()
}

async fn record_status(tx: &mut dyn Tx, s: &CreateAccountStatus) -> Result<()> {
    tx.execute(
        &format!(
            "INSERT INTO org_create_account_status ({STATUS_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ),
        &params![
            &s.request_id,
            &s.account_name,
            &s.state,
            s.requested,
            s.completed,
            s.account_id.as_deref(),
            s.failure_reason.as_deref()
        ],
    )
    .await?;
    Ok(())
}

/// Provisions a member account: the account, its access role with its policy, its place
/// under the root and the default SCP, and the request's SUCCEEDED status; or records the
/// request as FAILED with AWS's reason and creates nothing else.
pub(crate) async fn create_account(
    tx: &mut dyn Tx,
    quotas: &Quotas,
    new: &NewMemberAccount,
) -> OrgResult<CreateAccountStatus> {
    let org = or_fault!(require_org(tx).await?);
    let mut status = CreateAccountStatus {
        request_id: new.request_id.clone(),
        account_name: new.name.clone(),
        state: "FAILED".into(),
        requested: new.requested,
        completed: Some(new.requested),
        account_id: None,
        failure_reason: None,
    };
    let count = tx.count("SELECT COUNT(*) FROM org_accounts", &[]).await?;
    let failure = if count >= new.max_accounts {
        Some("ACCOUNT_LIMIT_EXCEEDED")
    } else if tx
        .exists(
            "SELECT 1 FROM org_accounts WHERE email_lower = $1",
            &params![new.email.to_ascii_lowercase()],
        )
        .await?
    {
        Some("EMAIL_ALREADY_EXISTS")
    } else if tx
        .exists(
            "SELECT 1 FROM accounts WHERE account_id = $1",
            &params![&new.account_id],
        )
        .await?
    {
        // A random id collided with an existing account: nothing to do but report it.
        Some("INTERNAL_FAILURE")
    } else {
        None
    };
    if let Some(reason) = failure {
        status.failure_reason = Some(reason.into());
        record_status(tx, &status).await?;
        return Ok(Ok(status));
    }
    accounts::ensure(tx, &new.account_id, new.requested).await?;
    roles::create(tx, quotas, &new.role).await?;
    attachments::attach(
        tx,
        quotas,
        &new.account_id,
        &EntityRef::Role(new.role.name.clone()),
        &new.role_policy_arn,
    )
    .await?;
    tx.execute(
        "INSERT INTO org_accounts (account_id, name, email, email_lower, joined_method, joined, \
         parent_id) VALUES ($1, $2, $3, $4, 'CREATED', $5, $6)",
        &params![
            &new.account_id,
            &new.name,
            &new.email,
            new.email.to_ascii_lowercase(),
            new.requested,
            &org.root_id
        ],
    )
    .await?;
    link_default_scp(tx, &new.account_id).await?;
    status.state = "SUCCEEDED".into();
    status.account_id = Some(new.account_id.clone());
    record_status(tx, &status).await?;
    Ok(Ok(status))
}

pub(crate) async fn get_status(
    tx: &mut dyn Tx,
    request_id: &str,
) -> Result<Option<CreateAccountStatus>> {
    tx.query_opt(
        &format!("SELECT {STATUS_COLUMNS} FROM org_create_account_status WHERE request_id = $1"),
        &params![request_id],
    )
    .await?
    .as_ref()
    .map(status_from)
    .transpose()
}

pub(crate) async fn list_statuses(tx: &mut dyn Tx) -> Result<Vec<CreateAccountStatus>> {
    tx.query(
        &format!(
            "SELECT {STATUS_COLUMNS} FROM org_create_account_status \
             ORDER BY requested, request_id"
        ),
        &[],
    )
    .await?
    .iter()
    .map(status_from)
    .collect()
}

// --- organizational units ---

pub(crate) async fn get_ou(tx: &mut dyn Tx, ou_id: &str) -> Result<Option<OrgUnit>> {
    match tx
        .query_opt(
            "SELECT ou_id, name, parent_id FROM org_units WHERE ou_id = $1",
            &params![ou_id],
        )
        .await?
    {
        Some(r) => Ok(Some(OrgUnit {
            ou_id: r.text(0)?,
            name: r.text(1)?,
            parent_id: r.text(2)?,
        })),
        None => Ok(None),
    }
}

/// Whether `id` is the root or an OU.
pub(crate) async fn is_parent(tx: &mut dyn Tx, org: &Organization, id: &str) -> Result<bool> {
    Ok(id == org.root_id || get_ou(tx, id).await?.is_some())
}

/// The OUs from the top down to `parent` (empty for the root); bounded by the depth limit
/// so a corrupt cycle cannot loop.
async fn ou_chain(tx: &mut dyn Tx, org: &Organization, parent: &str) -> Result<Vec<String>> {
    let mut chain = Vec::new();
    let mut at = parent.to_owned();
    while at != org.root_id && chain.len() <= limits::OU_DEPTH {
        let Some(ou) = get_ou(tx, &at).await? else {
            break;
        };
        chain.push(ou.ou_id);
        at = ou.parent_id;
    }
    chain.reverse();
    Ok(chain)
}

pub(crate) async fn create_ou(
    tx: &mut dyn Tx,
    parent_id: &str,
    ou: &OrgUnit,
) -> OrgResult<OrgUnit> {
    let org = or_fault!(require_org(tx).await?);
    if !is_parent(tx, &org, parent_id).await? {
        return Ok(Err(OrgFault::ParentNotFound));
    }
    if ou_chain(tx, &org, parent_id).await?.len() >= limits::OU_DEPTH {
        return Ok(Err(OrgFault::Constraint("OU_DEPTH_LIMIT_EXCEEDED")));
    }
    if tx.count("SELECT COUNT(*) FROM org_units", &[]).await? >= limits::OUS {
        return Ok(Err(OrgFault::Constraint("OU_NUMBER_LIMIT_EXCEEDED")));
    }
    if tx
        .exists(
            "SELECT 1 FROM org_units WHERE parent_id = $1 AND name = $2",
            &params![parent_id, &ou.name],
        )
        .await?
    {
        return Ok(Err(OrgFault::DuplicateOrganizationalUnit));
    }
    tx.execute(
        "INSERT INTO org_units (ou_id, name, parent_id, created) VALUES ($1, $2, $3, $4)",
        &params![&ou.ou_id, &ou.name, parent_id, org.created],
    )
    .await?;
    link_default_scp(tx, &ou.ou_id).await?;
    Ok(Ok(OrgUnit {
        ou_id: ou.ou_id.clone(),
        name: ou.name.clone(),
        parent_id: parent_id.to_owned(),
    }))
}

pub(crate) async fn rename_ou(tx: &mut dyn Tx, ou_id: &str, name: &str) -> OrgResult<OrgUnit> {
    let Some(mut ou) = get_ou(tx, ou_id).await? else {
        return Ok(Err(OrgFault::OrganizationalUnitNotFound));
    };
    if ou.name != name
        && tx
            .exists(
                "SELECT 1 FROM org_units WHERE parent_id = $1 AND name = $2",
                &params![&ou.parent_id, name],
            )
            .await?
    {
        return Ok(Err(OrgFault::DuplicateOrganizationalUnit));
    }
    tx.execute(
        "UPDATE org_units SET name = $1 WHERE ou_id = $2",
        &params![name, ou_id],
    )
    .await?;
    ou.name = name.to_owned();
    Ok(Ok(ou))
}

pub(crate) async fn delete_ou(tx: &mut dyn Tx, ou_id: &str) -> OrgResult<()> {
    if get_ou(tx, ou_id).await?.is_none() {
        return Ok(Err(OrgFault::OrganizationalUnitNotFound));
    }
    let children = tx
        .count(
            "SELECT (SELECT COUNT(*) FROM org_units WHERE parent_id = $1) + \
                    (SELECT COUNT(*) FROM org_accounts WHERE parent_id = $1)",
            &params![ou_id],
        )
        .await?;
    if children > 0 {
        return Ok(Err(OrgFault::OrganizationalUnitNotEmpty));
    }
    tx.execute(
        "DELETE FROM org_policy_targets WHERE target_id = $1",
        &params![ou_id],
    )
    .await?;
    tx.execute("DELETE FROM org_units WHERE ou_id = $1", &params![ou_id])
        .await?;
    Ok(Ok(()))
}

/// The OUs and accounts directly under `parent`, or `ParentNotFound`.
pub(crate) async fn children(
    tx: &mut dyn Tx,
    parent_id: &str,
) -> OrgResult<(Vec<OrgUnit>, Vec<OrgAccount>)> {
    let org = or_fault!(require_org(tx).await?);
    if !is_parent(tx, &org, parent_id).await? {
        return Ok(Err(OrgFault::ParentNotFound));
    }
    let ous = tx
        .query(
            "SELECT ou_id, name, parent_id FROM org_units WHERE parent_id = $1 ORDER BY ou_id",
            &params![parent_id],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(OrgUnit {
                ou_id: r.text(0)?,
                name: r.text(1)?,
                parent_id: r.text(2)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let accounts = tx
        .query(
            &format!(
                "SELECT {ACCOUNT_COLUMNS} FROM org_accounts WHERE parent_id = $1 \
                 ORDER BY joined, account_id"
            ),
            &params![parent_id],
        )
        .await?
        .iter()
        .map(account_from)
        .collect::<Result<Vec<_>>>()?;
    Ok(Ok((ous, accounts)))
}

pub(crate) async fn move_account(
    tx: &mut dyn Tx,
    account_id: &str,
    source: &str,
    destination: &str,
) -> OrgResult<()> {
    let org = or_fault!(require_org(tx).await?);
    let Some(account) = get_account(tx, account_id).await? else {
        return Ok(Err(OrgFault::AccountNotFound));
    };
    if !is_parent(tx, &org, source).await? {
        return Ok(Err(OrgFault::SourceParentNotFound));
    }
    if !is_parent(tx, &org, destination).await? {
        return Ok(Err(OrgFault::ParentNotFound));
    }
    if account.parent_id != source {
        return Ok(Err(OrgFault::AccountNotFound));
    }
    if source == destination {
        return Ok(Err(OrgFault::DuplicateAccount));
    }
    tx.execute(
        "UPDATE org_accounts SET parent_id = $1 WHERE account_id = $2",
        &params![destination, account_id],
    )
    .await?;
    Ok(Ok(()))
}

/// Where `target` sits: its parent (root or OU), or `None` for the root and unknown ids.
pub(crate) async fn parent_of(tx: &mut dyn Tx, child: &str) -> Result<Option<String>> {
    if let Some(ou) = get_ou(tx, child).await? {
        return Ok(Some(ou.parent_id));
    }
    Ok(get_account(tx, child).await?.map(|a| a.parent_id))
}

/// Whether the account belongs to the organization (one statement).
pub(crate) async fn is_member(tx: &mut dyn Tx, account_id: &str) -> Result<bool> {
    tx.exists(
        "SELECT 1 FROM org_accounts WHERE account_id = $1",
        &params![account_id],
    )
    .await
}

/// The organization path and the policies of `policy_type` binding an account, `None`
/// when the account is in no organization.
pub(crate) async fn account_controls(
    tx: &mut dyn Tx,
    account_id: &str,
    policy_type: &str,
) -> Result<Option<AccountControls>> {
    let Some(parent) = tx
        .query_opt(
            "SELECT parent_id FROM org_accounts WHERE account_id = $1",
            &params![account_id],
        )
        .await?
    else {
        return Ok(None);
    };
    let parent = parent.text(0)?;
    let Some(org) = get(tx).await? else {
        return Ok(None);
    };
    let mut path = vec![org.root_id.clone()];
    path.extend(ou_chain(tx, &org, &parent).await?);
    path.push(account_id.to_owned());
    let enabled = org.enabled_policy_types.iter().any(|t| t == policy_type);
    let mut levels = Vec::new();
    if enabled {
        for target in &path {
            levels.push(attached(tx, target, policy_type).await?);
        }
    }
    Ok(Some(AccountControls {
        org_id: org.org_id,
        management_account_id: org.management_account_id,
        path,
        enabled,
        levels,
    }))
}
