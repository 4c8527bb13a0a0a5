//! Resource policies on secrets: parsed and validated by the policy engine as resource
//! policies; `BlockPublicPolicy` refuses a policy that grants access to everyone or to
//! another account without conditions.

use hourglass_policy::{Effect, Policy, PolicyKind, PrincipalElement};
use serde::Deserialize;
use serde_json::{Value, json};

use super::output::arn_name;
use super::{
    authorize_secret, input, required, resolve_authorized, runtime, secret_access, secret_of_input,
    sm_error,
};
use crate::json::{JsonApiError, JsonCtx, JsonResult};

const MAX_POLICY: usize = hourglass_secrets::validate::MAX_POLICY;

fn malformed(message: impl Into<String>) -> JsonApiError {
    JsonApiError::new(400, "MalformedPolicyDocumentException", message)
}

fn parse(text: &str) -> Result<Policy, JsonApiError> {
    if text.is_empty() || text.chars().count() > MAX_POLICY {
        return Err(JsonApiError::validation(format!(
            "1 validation error detected: Value at 'resourcePolicy' failed to satisfy \
             constraint: Member must have length between 1 and {MAX_POLICY}"
        )));
    }
    let p = hourglass_policy::parse(text, PolicyKind::ServiceResource)
        .map_err(|e| malformed(e.message))?;
    if p.statements.iter().any(|s| s.principal.is_none()) {
        return Err(malformed(
            "This resource policy contains a statement without a Principal.",
        ));
    }
    Ok(p)
}

/// Whether the policy grants access beyond this account: to everyone, or to another
/// account, without a condition narrowing it.
fn is_public(p: &Policy, account: &str) -> bool {
    p.statements.iter().any(|s| {
        if s.effect != Effect::Allow || !s.conditions.is_empty() {
            return false;
        }
        match &s.principal {
            Some(PrincipalElement::Principal(set)) => {
                set.everyone
                    || set.aws.iter().any(|a| {
                        a == "*"
                            || !(a == account
                                || a.starts_with(&format!("arn:aws:iam::{account}:"))
                                || a.starts_with(&format!("arn:aws:sts::{account}:")))
                    })
            }
            Some(PrincipalElement::NotPrincipal(_)) => true,
            None => false,
        }
    })
}

pub(crate) async fn get_resource_policy(ctx: &JsonCtx<'_>) -> JsonResult {
    let s = secret_of_input(ctx).await?;
    let mut out = arn_name(&s);
    if let Some(p) = &s.meta.policy {
        out.insert("ResourcePolicy".into(), Value::from(p.as_str()));
    }
    Ok(Value::Object(out))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutIn {
    secret_id: Option<String>,
    resource_policy: Option<String>,
    block_public_policy: Option<bool>,
}

pub(crate) async fn put_resource_policy(ctx: &JsonCtx<'_>) -> JsonResult {
    let i: PutIn = input(ctx)?;
    let id = required(i.secret_id, "secretId")?;
    let text = required(i.resource_policy, "resourcePolicy")?;
    let block = i.block_public_policy;
    let s = resolve_authorized(ctx, &id, |a| match block {
        Some(b) => a.with("secretsmanager:BlockPublicPolicy", &b.to_string()),
        None => a,
    })
    .await?;
    let parsed = parse(&text)?;
    if block == Some(true) && is_public(&parsed, &s.row.account_id) {
        return Err(JsonApiError::new(
            400,
            "PublicPolicyException",
            "The BlockPublicPolicy parameter is set to true, and the resource policy did not \
             prevent broad access to the secret.",
        ));
    }
    runtime(ctx)
        .secrets
        .set_policy(s.arn(), Some(&text))
        .await
        .map_err(sm_error)?;
    Ok(Value::Object(arn_name(&s)))
}

pub(crate) async fn delete_resource_policy(ctx: &JsonCtx<'_>) -> JsonResult {
    let s = secret_of_input(ctx).await?;
    runtime(ctx)
        .secrets
        .set_policy(s.arn(), None)
        .await
        .map_err(sm_error)?;
    Ok(Value::Object(arn_name(&s)))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ValidateIn {
    secret_id: Option<String>,
    resource_policy: Option<String>,
}

pub(crate) async fn validate_resource_policy(ctx: &JsonCtx<'_>) -> JsonResult {
    let i: ValidateIn = input(ctx)?;
    let text = required(i.resource_policy, "resourcePolicy")?;
    match &i.secret_id {
        Some(id) => {
            resolve_authorized(ctx, id, |a| a).await?;
        }
        None => {
            let access = secret_access(ctx, ctx.iam_action, "*", None);
            authorize_secret(ctx, &access, None).await?;
        }
    }
    match parse(&text) {
        Ok(_) => Ok(json!({"PolicyValidationPassed": true, "ValidationErrors": []})),
        Err(e) if e.code == "MalformedPolicyDocumentException" => Ok(json!({
            "PolicyValidationPassed": false,
            "ValidationErrors": [{"CheckName": "SYNTAX_CHECK", "ErrorMessage": e.message}],
        })),
        Err(e) => Err(e),
    }
}
