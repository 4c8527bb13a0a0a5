//! Secret lifecycle: CreateSecret, DescribeSecret, ListSecrets, UpdateSecret,
//! DeleteSecret, RestoreSecret, TagResource, UntagResource.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hourglass_secrets::list::{self, Filter};
use hourglass_secrets::{CreateInput, SmError, Tag, UpdateInput};
use hourglass_store::Secret;
use hourglass_store::secrets::SecretValue;
use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::output::{arn_name, describe, epoch};
use super::{
    authorize_secret, input, required, resolve_authorized, runtime, secret_access, secret_of_input,
    sm_error,
};
use crate::json::{JsonApiError, JsonCtx, JsonResult};

/// `SecretString` / `SecretBinary` as sent: at most one.
pub(crate) fn value_from(
    string: Option<String>,
    binary: Option<String>,
) -> Result<Option<SecretValue>, JsonApiError> {
    match (string, binary) {
        (Some(_), Some(_)) => Err(sm_error(SmError::invalid_parameter(
            "You can't specify both a binary secret value and a string secret value in the same \
             secret.",
        ))),
        (Some(s), None) => Ok(Some(SecretValue::String(Secret::new(s)))),
        (None, Some(b)) => {
            let bytes = Zeroizing::new(STANDARD.decode(b.as_bytes()).map_err(|_| {
                JsonApiError::new(
                    400,
                    "SerializationException",
                    "SecretBinary is not valid base64.",
                )
            })?);
            Ok(Some(SecretValue::Binary(bytes)))
        }
        (None, None) => Ok(None),
    }
}

fn tag_pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateSecretIn {
    name: Option<String>,
    client_request_token: Option<String>,
    description: Option<String>,
    kms_key_id: Option<String>,
    secret_string: Option<String>,
    secret_binary: Option<String>,
    #[serde(default)]
    tags: Vec<Tag>,
    #[serde(default)]
    add_replica_regions: Vec<Value>,
}

pub(crate) async fn create_secret(ctx: &JsonCtx<'_>) -> JsonResult {
    let i: CreateSecretIn = input(ctx)?;
    let name = required(i.name, "name")?;
    let rt = runtime(ctx);
    hourglass_secrets::validate::name(&name).map_err(sm_error)?;
    let arn = rt.secrets.new_arn(&name);
    let mut access = secret_access(ctx, ctx.iam_action, &arn, None)
        .with("secretsmanager:Name", &name)
        .with_request_tags(&tag_pairs(&i.tags));
    if let Some(d) = &i.description {
        access = access.with("secretsmanager:Description", d);
    }
    if let Some(k) = &i.kms_key_id {
        access = access.with("secretsmanager:KmsKeyId", k);
    }
    authorize_secret(ctx, &access, None).await?;
    if !i.tags.is_empty() {
        let tag_access = secret_access(ctx, "secretsmanager:TagResource", &arn, None)
            .with_request_tags(&tag_pairs(&i.tags));
        authorize_secret(ctx, &tag_access, None).await?;
    }
    if !i.add_replica_regions.is_empty() {
        return Err(sm_error(SmError::invalid_parameter(
            "Replication to other regions is not supported by this server.",
        )));
    }
    let value = value_from(i.secret_string, i.secret_binary)?;
    let w = rt
        .secrets
        .create(CreateInput {
            arn,
            name,
            token: i.client_request_token,
            description: i.description,
            kms_key_id: i.kms_key_id,
            value,
            tags: i.tags,
        })
        .await
        .map_err(sm_error)?;
    Ok(written(w))
}

pub(crate) async fn describe_secret(ctx: &JsonCtx<'_>) -> JsonResult {
    let s = secret_of_input(ctx).await?;
    Ok(Value::Object(describe(&s, "VersionIdsToStages")))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListSecretsIn {
    #[serde(default)]
    include_planned_deletion: bool,
    max_results: Option<i64>,
    next_token: Option<String>,
    #[serde(default)]
    filters: Vec<Filter>,
    sort_order: Option<String>,
    sort_by: Option<String>,
}

pub(crate) async fn list_secrets(ctx: &JsonCtx<'_>) -> JsonResult {
    let i: ListSecretsIn = input(ctx)?;
    ctx.authorize("*").await?;
    list::validate_filters(&i.filters).map_err(sm_error)?;
    let size = list::page_size(i.max_results, 100, "maxResults").map_err(sm_error)?;
    let desc = match i.sort_order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(JsonApiError::validation(format!(
                "1 validation error detected: Value '{other}' at 'sortOrder' failed to satisfy \
                 constraint: Member must satisfy enum value set: [asc, desc]"
            )));
        }
    };
    let start = match &i.next_token {
        Some(t) => list::decode_token(t).map_err(sm_error)?,
        None => 0,
    };
    let mut all: Vec<_> = runtime(ctx)
        .secrets
        .all()
        .await
        .map_err(sm_error)?
        .into_iter()
        .filter(|s| i.include_planned_deletion || !s.is_deleted())
        .filter(|s| list::matches(s, &i.filters))
        .collect();
    list::sort(&mut all, i.sort_by.as_deref(), desc).map_err(sm_error)?;
    let page: Vec<Value> = all
        .iter()
        .skip(start)
        .take(size)
        .map(|s| Value::Object(describe(s, "SecretVersionsToStages")))
        .collect();
    let mut out = json!({ "SecretList": page });
    let end = start.saturating_add(size);
    if end < all.len() {
        out["NextToken"] = Value::from(list::encode_token(end));
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateSecretIn {
    secret_id: Option<String>,
    client_request_token: Option<String>,
    description: Option<String>,
    kms_key_id: Option<String>,
    secret_string: Option<String>,
    secret_binary: Option<String>,
}

pub(crate) async fn update_secret(ctx: &JsonCtx<'_>) -> JsonResult {
    let i: UpdateSecretIn = input(ctx)?;
    let id = required(i.secret_id, "secretId")?;
    let (desc, kms) = (i.description.clone(), i.kms_key_id.clone());
    let s = resolve_authorized(ctx, &id, |mut a| {
        if let Some(d) = &desc {
            a = a.with("secretsmanager:Description", d);
        }
        if let Some(k) = &kms {
            a = a.with("secretsmanager:KmsKeyId", k);
        }
        a
    })
    .await?;
    let value = value_from(i.secret_string, i.secret_binary)?;
    let w = runtime(ctx)
        .secrets
        .update(
            s.arn(),
            UpdateInput {
                token: i.client_request_token,
                description: i.description,
                kms_key_id: i.kms_key_id,
                value,
            },
        )
        .await
        .map_err(sm_error)?;
    Ok(written(w))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteSecretIn {
    secret_id: Option<String>,
    recovery_window_in_days: Option<i64>,
    force_delete_without_recovery: Option<bool>,
}

pub(crate) async fn delete_secret(ctx: &JsonCtx<'_>) -> JsonResult {
    let i: DeleteSecretIn = input(ctx)?;
    let id = required(i.secret_id, "secretId")?;
    let force = i.force_delete_without_recovery.unwrap_or(false);
    if force && i.recovery_window_in_days.is_some() {
        return Err(sm_error(SmError::invalid_parameter(
            "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
        )));
    }
    if let Some(w) = i.recovery_window_in_days
        && !(7..=30).contains(&w)
    {
        return Err(sm_error(SmError::invalid_parameter(
            "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
        )));
    }
    let window = i.recovery_window_in_days;
    let extra = |mut a: hourglass_iam::authz::Access| {
        if let Some(w) = window {
            a = a.with("secretsmanager:RecoveryWindowInDays", &w.to_string());
        }
        if let Some(f) = i.force_delete_without_recovery {
            a = a.with("secretsmanager:ForceDeleteWithoutRecovery", &f.to_string());
        }
        a
    };
    let s = match resolve_authorized(ctx, &id, extra).await {
        Ok(s) => s,
        // A forced delete of a secret that is not there succeeds (AWS purges
        // asynchronously and answers the same way).
        Err(e) if force && e.code == "ResourceNotFoundException" => {
            let rt = runtime(ctx);
            let name = id.strip_prefix(&rt.secrets.arn_prefix()).unwrap_or(&id);
            return Ok(json!({
                "ARN": rt.secrets.arn_for_id(&id),
                "Name": name,
                "DeletionDate": epoch(chrono::Utc::now()),
            }));
        }
        Err(e) => return Err(e),
    };
    let when = runtime(ctx)
        .secrets
        .delete(s.arn(), window, force)
        .await
        .map_err(sm_error)?;
    let mut out = arn_name(&s);
    out.insert("DeletionDate".into(), epoch(when));
    Ok(Value::Object(out))
}

pub(crate) async fn restore_secret(ctx: &JsonCtx<'_>) -> JsonResult {
    let s = secret_of_input(ctx).await?;
    runtime(ctx)
        .secrets
        .restore(s.arn())
        .await
        .map_err(sm_error)?;
    Ok(Value::Object(arn_name(&s)))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagIn {
    secret_id: Option<String>,
    tags: Option<Vec<Tag>>,
}

pub(crate) async fn tag_resource(ctx: &JsonCtx<'_>) -> JsonResult {
    let i: TagIn = input(ctx)?;
    let id = required(i.secret_id, "secretId")?;
    let tags = required(i.tags, "tags")?;
    let pairs = tag_pairs(&tags);
    let s = resolve_authorized(ctx, &id, |a| a.with_request_tags(&pairs)).await?;
    let mut after = s.clone();
    hourglass_secrets::validate::merge_tags(&mut after.meta.tags, &tags);
    keeps_access(ctx, &after).await?;
    runtime(ctx)
        .secrets
        .tag(s.arn(), &tags)
        .await
        .map_err(sm_error)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UntagIn {
    secret_id: Option<String>,
    tag_keys: Option<Vec<String>>,
}

pub(crate) async fn untag_resource(ctx: &JsonCtx<'_>) -> JsonResult {
    let i: UntagIn = input(ctx)?;
    let id = required(i.secret_id, "secretId")?;
    let keys = required(i.tag_keys, "tagKeys")?;
    let k2 = keys.clone();
    let s = resolve_authorized(ctx, &id, |a| {
        if k2.is_empty() {
            a
        } else {
            a.with_values("aws:TagKeys", k2)
        }
    })
    .await?;
    let mut after = s.clone();
    after.meta.tags.retain(|t| !keys.contains(&t.key));
    keeps_access(ctx, &after).await?;
    runtime(ctx)
        .secrets
        .untag(s.arn(), &keys)
        .await
        .map_err(sm_error)?;
    Ok(json!({}))
}

/// AWS refuses a tag change that would take away the caller's own permission for the
/// secret: the same operation is decided again against the secret as it would be.
async fn keeps_access(
    ctx: &JsonCtx<'_>,
    after: &hourglass_secrets::Loaded,
) -> Result<(), JsonApiError> {
    let access = secret_access(ctx, ctx.iam_action, after.arn(), Some(after));
    authorize_secret(ctx, &access, Some(after))
        .await
        .map_err(|mut e| {
            if e.code == "AccessDeniedException" {
                e.message = format!(
                    "You can't change the tags of this secret in a way that removes your own \
                 permission to do so. {}",
                    e.message
                );
            }
            e
        })
}

pub(crate) async fn replication_unsupported(ctx: &JsonCtx<'_>) -> JsonResult {
    ctx.authorize("*").await?;
    Err(sm_error(SmError::invalid_request(
        "Replication to other regions is not supported by this server.",
    )))
}

/// CreateSecret's and UpdateSecret's answer: `VersionId` only when a value was written.
fn written(w: hourglass_secrets::service::Written) -> Value {
    let mut out = json!({"ARN": w.arn, "Name": w.name});
    if let Some(v) = w.version_id {
        out["VersionId"] = Value::from(v);
    }
    out
}
