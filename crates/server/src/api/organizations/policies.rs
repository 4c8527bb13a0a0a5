//! Organization policies (spec 2 §2.10): service control policies, their attachments to
//! the root, OUs and accounts, and enabling or disabling the policy type in the root.

use hourglass_policy::{PolicyKind, limits, policy_size};
use hourglass_store::org::{OrgPolicy, OrgPolicyUpdate, Organization};
use serde_json::{Value, json};

use super::accounts::random_id;
use super::errors::{from_fault, from_iam, from_store, invalid};
use super::input::{
    gate, id, is_account_id, is_ou_id, is_policy_id, is_root_id, page, required, string,
};
use super::shapes;
use crate::json::{JsonApiError, JsonCtx, JsonResult};

const SCP: &str = "SERVICE_CONTROL_POLICY";
/// Every policy type of the model; only SCPs are evaluated by this server.
const KNOWN_TYPES: &[&str] = &[
    SCP,
    "RESOURCE_CONTROL_POLICY",
    "TAG_POLICY",
    "BACKUP_POLICY",
    "AISERVICES_OPT_OUT_POLICY",
    "CHATBOT_POLICY",
    "DECLARATIVE_POLICY_EC2",
    "SECURITYHUB_POLICY",
];

fn policy_type(value: &str) -> Result<&'static str, JsonApiError> {
    match KNOWN_TYPES.iter().find(|t| **t == value) {
        Some(&SCP) => Ok(SCP),
        Some(_) => Err(invalid(
            "INVALID_ENUM",
            format!(
                "Policy type {value} is not supported by this server; only SERVICE_CONTROL_POLICY is."
            ),
        )),
        None => Err(invalid("INVALID_ENUM", "You specified an invalid value.")),
    }
}

/// The ARN of a policy from its id alone (authorization happens before the lookup).
fn policy_arn_for(org: &Organization, policy_id: &str) -> String {
    let p = OrgPolicy {
        policy_id: policy_id.to_owned(),
        policy_type: SCP.to_owned(),
        name: String::new(),
        description: String::new(),
        content: String::new(),
        aws_managed: policy_id == "p-FullAWSAccess",
    };
    shapes::policy_arn(org, &p)
}

fn is_target_id(v: &str) -> bool {
    is_root_id(v) || is_ou_id(v) || is_account_id(v)
}

fn validate_content(content: &str) -> Result<(), JsonApiError> {
    if policy_size(content) > limits::SERVICE_CONTROL_POLICY {
        return Err(JsonApiError::new(
            400,
            "ConstraintViolationException",
            "You attempted to create a policy that is larger than the maximum size.",
        )
        .with("Reason", "POLICY_CONTENT_LIMIT_EXCEEDED"));
    }
    hourglass_policy::parse(content, PolicyKind::Scp).map_err(|e| {
        JsonApiError::new(
            400,
            "MalformedPolicyDocumentException",
            format!(
                "The provided policy document doesn't meet the requirements of the specified policy type. {}",
                e.message
            ),
        )
    })?;
    Ok(())
}

fn validate_name(name: &str) -> Result<(), JsonApiError> {
    if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
        return Err(invalid(
            "INVALID_PATTERN",
            "You provided a value that does not match the required pattern.",
        ));
    }
    Ok(())
}

fn validate_description(d: &str) -> Result<(), JsonApiError> {
    if d.chars().count() > 512 {
        return Err(invalid(
            "MAX_LENGTH_EXCEEDED",
            "You provided a value that exceeds the maximum length.",
        ));
    }
    Ok(())
}

pub async fn create_policy(ctx: &JsonCtx<'_>) -> JsonResult {
    let org = gate(ctx, |_| "*".to_owned(), false).await?;
    let content = required(ctx, "Content")?;
    let description = required(ctx, "Description")?;
    let name = required(ctx, "Name")?;
    let kind = policy_type(&required(ctx, "Type")?)?;
    validate_name(&name)?;
    validate_description(&description)?;
    validate_content(&content)?;
    let policy = OrgPolicy {
        policy_id: random_id("p-", 8),
        policy_type: kind.to_owned(),
        name,
        description,
        content,
        aws_managed: false,
    };
    let p = ctx
        .identity
        .store()
        .create_org_policy(policy)
        .await
        .map_err(from_store)?
        .map_err(from_fault)?;
    Ok(shapes::policy(&org, &p))
}

async fn policy_gate(ctx: &JsonCtx<'_>) -> Result<(Organization, String), JsonApiError> {
    let raw = string(ctx, "PolicyId")?.unwrap_or_default();
    let org = gate(ctx, |o| policy_arn_for(o, &raw), false).await?;
    let policy_id = id(ctx, "PolicyId", is_policy_id)?;
    Ok((org, policy_id))
}

pub async fn describe_policy(ctx: &JsonCtx<'_>) -> JsonResult {
    let (org, policy_id) = policy_gate(ctx).await?;
    let p = ctx
        .identity
        .store()
        .org_policy(&policy_id)
        .await
        .map_err(from_store)?
        .ok_or_else(|| from_fault(hourglass_store::org::OrgFault::PolicyNotFound))?;
    Ok(shapes::policy(&org, &p))
}

pub async fn update_policy(ctx: &JsonCtx<'_>) -> JsonResult {
    let (org, policy_id) = policy_gate(ctx).await?;
    let update = OrgPolicyUpdate {
        name: string(ctx, "Name")?,
        description: string(ctx, "Description")?,
        content: string(ctx, "Content")?,
    };
    if let Some(n) = &update.name {
        validate_name(n)?;
    }
    if let Some(d) = &update.description {
        validate_description(d)?;
    }
    if let Some(c) = &update.content {
        validate_content(c)?;
    }
    let p = ctx
        .identity
        .store()
        .update_org_policy(&policy_id, update)
        .await
        .map_err(from_store)?
        .map_err(from_fault)?;
    Ok(shapes::policy(&org, &p))
}

pub async fn delete_policy(ctx: &JsonCtx<'_>) -> JsonResult {
    let (_, policy_id) = policy_gate(ctx).await?;
    ctx.identity
        .store()
        .delete_org_policy(&policy_id)
        .await
        .map_err(from_store)?
        .map_err(from_fault)?;
    Ok(json!({}))
}

fn filter(ctx: &JsonCtx<'_>) -> Result<&'static str, JsonApiError> {
    policy_type(&required(ctx, "Filter")?)
}

pub async fn list_policies(ctx: &JsonCtx<'_>) -> JsonResult {
    let org = gate(ctx, |_| "*".to_owned(), false).await?;
    let kind = filter(ctx)?;
    let all = ctx
        .identity
        .store()
        .org_policies(kind)
        .await
        .map_err(from_store)?;
    let items = all
        .iter()
        .map(|p| shapes::policy_summary(&org, p))
        .collect();
    page(ctx, "Policies", items, 20)
}

/// AttachPolicy and DetachPolicy are authorized on the policy and on the target.
async fn attachment_gate(ctx: &JsonCtx<'_>) -> Result<(String, String), JsonApiError> {
    let raw_policy = string(ctx, "PolicyId")?.unwrap_or_default();
    let raw_target = string(ctx, "TargetId")?.unwrap_or_default();
    let org = gate(ctx, |o| policy_arn_for(o, &raw_policy), false).await?;
    ctx.identity
        .authorize(
            ctx.caller,
            &ctx.access(&shapes::target_arn(&org, &raw_target)),
        )
        .await
        .map_err(from_iam)?;
    let policy_id = id(ctx, "PolicyId", is_policy_id)?;
    let target = id(ctx, "TargetId", is_target_id)?;
    Ok((policy_id, target))
}

pub async fn attach_policy(ctx: &JsonCtx<'_>) -> JsonResult {
    let (policy_id, target) = attachment_gate(ctx).await?;
    ctx.identity
        .store()
        .attach_org_policy(&policy_id, &target)
        .await
        .map_err(from_store)?
        .map_err(from_fault)?;
    Ok(json!({}))
}

pub async fn detach_policy(ctx: &JsonCtx<'_>) -> JsonResult {
    let (policy_id, target) = attachment_gate(ctx).await?;
    ctx.identity
        .store()
        .detach_org_policy(&policy_id, &target)
        .await
        .map_err(from_store)?
        .map_err(from_fault)?;
    Ok(json!({}))
}

pub async fn list_policies_for_target(ctx: &JsonCtx<'_>) -> JsonResult {
    let raw = string(ctx, "TargetId")?.unwrap_or_default();
    let org = gate(ctx, |o| shapes::target_arn(o, &raw), false).await?;
    let target = id(ctx, "TargetId", is_target_id)?;
    let kind = filter(ctx)?;
    let all = ctx
        .identity
        .store()
        .org_policies_for_target(&target, kind)
        .await
        .map_err(from_store)?
        .map_err(from_fault)?;
    let items = all
        .iter()
        .map(|p| shapes::policy_summary(&org, p))
        .collect();
    page(ctx, "Policies", items, 20)
}

pub async fn list_targets_for_policy(ctx: &JsonCtx<'_>) -> JsonResult {
    let (org, policy_id) = policy_gate(ctx).await?;
    let targets = ctx
        .identity
        .store()
        .org_policy_targets(&policy_id)
        .await
        .map_err(from_store)?
        .map_err(from_fault)?;
    let items: Vec<Value> = targets
        .iter()
        .map(|(id, name)| {
            json!({
                "TargetId": id,
                "Arn": shapes::target_arn(&org, id),
                "Name": name,
                "Type": shapes::target_type(id),
            })
        })
        .collect();
    page(ctx, "Targets", items, 20)
}

async fn policy_type_change(ctx: &JsonCtx<'_>, enable: bool) -> JsonResult {
    gate(ctx, shapes::root_arn, false).await?;
    let root = id(ctx, "RootId", is_root_id)?;
    let kind = policy_type(&required(ctx, "PolicyType")?)?;
    let store = ctx.identity.store();
    let org = if enable {
        store.enable_org_policy_type(&root, kind).await
    } else {
        store.disable_org_policy_type(&root, kind).await
    }
    .map_err(from_store)?
    .map_err(from_fault)?;
    Ok(json!({"Root": shapes::root(&org)}))
}

pub async fn enable_policy_type(ctx: &JsonCtx<'_>) -> JsonResult {
    policy_type_change(ctx, true).await
}

pub async fn disable_policy_type(ctx: &JsonCtx<'_>) -> JsonResult {
    policy_type_change(ctx, false).await
}
