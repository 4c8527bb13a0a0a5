//! The organization tree: ListRoots, organizational units, ListChildren/ListParents,
//! MoveAccount.

use hourglass_store::org::{OrgFault, OrgUnit, Organization};
use serde_json::{Value, json};

use super::accounts::random_id;
use super::errors::{destination_not_found, from_fault, from_store, invalid};
use super::input::{gate, id, is_account_id, is_ou_id, is_root_id, page, required, string};
use super::shapes;
use crate::json::{JsonApiError, JsonCtx, JsonResult};

fn is_parent_id(v: &str) -> bool {
    is_root_id(v) || is_ou_id(v)
}

fn validate_ou_name(name: &str) -> Result<(), JsonApiError> {
    if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
        return Err(invalid(
            if name.chars().count() > 128 {
                "MAX_LENGTH_EXCEEDED"
            } else {
                "INVALID_PATTERN"
            },
            "You provided a value that does not match the required pattern.",
        ));
    }
    Ok(())
}

pub async fn list_roots(ctx: &JsonCtx<'_>) -> JsonResult {
    let org = gate(ctx, |_| "*".to_owned(), false).await?;
    page(ctx, "Roots", vec![shapes::root(&org)], 20)
}

pub async fn create_organizational_unit(ctx: &JsonCtx<'_>) -> JsonResult {
    let raw = string(ctx, "ParentId")?.unwrap_or_default();
    let org = gate(ctx, |o| shapes::target_arn(o, &raw), false).await?;
    let parent = id(ctx, "ParentId", is_parent_id)?;
    let name = required(ctx, "Name")?;
    validate_ou_name(&name)?;
    let root_suffix = org.root_id.trim_start_matches("r-");
    let ou = OrgUnit {
        ou_id: format!("ou-{root_suffix}-{}", random_id("", 8)),
        name,
        parent_id: parent.clone(),
    };
    let ou = ctx
        .identity
        .store()
        .create_org_unit(&parent, ou)
        .await
        .map_err(from_store)?
        .map_err(from_fault)?;
    Ok(json!({"OrganizationalUnit": shapes::ou(&org, &ou)}))
}

async fn ou_gate(ctx: &JsonCtx<'_>) -> Result<(Organization, String), JsonApiError> {
    let raw = string(ctx, "OrganizationalUnitId")?.unwrap_or_default();
    let org = gate(ctx, |o| shapes::ou_arn(o, &raw), false).await?;
    let ou_id = id(ctx, "OrganizationalUnitId", is_ou_id)?;
    Ok((org, ou_id))
}

pub async fn describe_organizational_unit(ctx: &JsonCtx<'_>) -> JsonResult {
    let (org, ou_id) = ou_gate(ctx).await?;
    let ou = ctx
        .identity
        .store()
        .org_unit(&ou_id)
        .await
        .map_err(from_store)?
        .ok_or_else(|| from_fault(OrgFault::OrganizationalUnitNotFound))?;
    Ok(json!({"OrganizationalUnit": shapes::ou(&org, &ou)}))
}

pub async fn update_organizational_unit(ctx: &JsonCtx<'_>) -> JsonResult {
    let (org, ou_id) = ou_gate(ctx).await?;
    let store = ctx.identity.store();
    let ou = match string(ctx, "Name")? {
        Some(name) => {
            validate_ou_name(&name)?;
            store
                .rename_org_unit(&ou_id, &name)
                .await
                .map_err(from_store)?
                .map_err(from_fault)?
        }
        None => store
            .org_unit(&ou_id)
            .await
            .map_err(from_store)?
            .ok_or_else(|| from_fault(OrgFault::OrganizationalUnitNotFound))?,
    };
    Ok(json!({"OrganizationalUnit": shapes::ou(&org, &ou)}))
}

pub async fn delete_organizational_unit(ctx: &JsonCtx<'_>) -> JsonResult {
    let (_, ou_id) = ou_gate(ctx).await?;
    ctx.identity
        .store()
        .delete_org_unit(&ou_id)
        .await
        .map_err(from_store)?
        .map_err(from_fault)?;
    Ok(json!({}))
}

async fn children_of(
    ctx: &JsonCtx<'_>,
) -> Result<
    (
        Organization,
        Vec<OrgUnit>,
        Vec<hourglass_store::org::OrgAccount>,
    ),
    JsonApiError,
> {
    let raw = string(ctx, "ParentId")?.unwrap_or_default();
    let org = gate(ctx, |o| shapes::target_arn(o, &raw), false).await?;
    let parent = id(ctx, "ParentId", is_parent_id)?;
    let (ous, accounts) = ctx
        .identity
        .store()
        .org_children(&parent)
        .await
        .map_err(from_store)?
        .map_err(from_fault)?;
    Ok((org, ous, accounts))
}

pub async fn list_organizational_units_for_parent(ctx: &JsonCtx<'_>) -> JsonResult {
    let (org, ous, _) = children_of(ctx).await?;
    let items = ous.iter().map(|u| shapes::ou(&org, u)).collect();
    page(ctx, "OrganizationalUnits", items, 20)
}

pub async fn list_accounts_for_parent(ctx: &JsonCtx<'_>) -> JsonResult {
    let (org, _, accounts) = children_of(ctx).await?;
    let items = accounts.iter().map(|a| shapes::account(&org, a)).collect();
    page(ctx, "Accounts", items, 20)
}

pub async fn list_children(ctx: &JsonCtx<'_>) -> JsonResult {
    let child_type = required(ctx, "ChildType")?;
    let (_, ous, accounts) = children_of(ctx).await?;
    let items: Vec<Value> = match child_type.as_str() {
        "ACCOUNT" => accounts
            .iter()
            .map(|a| json!({"Id": a.account_id, "Type": "ACCOUNT"}))
            .collect(),
        "ORGANIZATIONAL_UNIT" => ous
            .iter()
            .map(|u| json!({"Id": u.ou_id, "Type": "ORGANIZATIONAL_UNIT"}))
            .collect(),
        _ => return Err(invalid("INVALID_ENUM", "You specified an invalid value.")),
    };
    page(ctx, "Children", items, 20)
}

pub async fn list_parents(ctx: &JsonCtx<'_>) -> JsonResult {
    let raw = string(ctx, "ChildId")?.unwrap_or_default();
    gate(ctx, |o| shapes::target_arn(o, &raw), false).await?;
    let child = id(ctx, "ChildId", |v| is_account_id(v) || is_ou_id(v))?;
    let parent = ctx
        .identity
        .store()
        .org_parent(&child)
        .await
        .map_err(from_store)?
        .ok_or_else(|| {
            JsonApiError::new(
                400,
                "ChildNotFoundException",
                "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
            )
        })?;
    let kind = shapes::target_type(&parent);
    page(
        ctx,
        "Parents",
        vec![json!({"Id": parent, "Type": kind})],
        20,
    )
}

pub async fn move_account(ctx: &JsonCtx<'_>) -> JsonResult {
    let raw = string(ctx, "AccountId")?.unwrap_or_default();
    gate(ctx, |o| shapes::account_arn(o, &raw), false).await?;
    let account = id(ctx, "AccountId", is_account_id)?;
    let source = id(ctx, "SourceParentId", is_parent_id)?;
    let destination = id(ctx, "DestinationParentId", is_parent_id)?;
    ctx.identity
        .store()
        .move_org_account(&account, &source, &destination)
        .await
        .map_err(from_store)?
        .map_err(|f| match f {
            OrgFault::ParentNotFound => destination_not_found(),
            other => from_fault(other),
        })?;
    Ok(json!({}))
}
