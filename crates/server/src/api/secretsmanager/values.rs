//! Values and versions: GetSecretValue, BatchGetSecretValue, PutSecretValue,
//! UpdateSecretVersionStage, ListSecretVersionIds, GetRandomPassword.

use hourglass_secrets::list::{self, Filter};
use hourglass_secrets::password::{self, PasswordSpec};
use hourglass_secrets::{PutInput, SmError};
use serde::Deserialize;
use serde_json::{Value, json};

use super::handlers::value_from;
use super::output::{arn_name, epoch, secret_value};
use super::{
    authorize_secret, input, required, resolve_authorized, runtime, secret_access, sm_error,
};
use crate::json::{JsonApiError, JsonCtx, JsonResult};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetValueIn {
    secret_id: Option<String>,
    version_id: Option<String>,
    version_stage: Option<String>,
}

pub(crate) async fn get_secret_value(ctx: &JsonCtx<'_>) -> JsonResult {
    let i: GetValueIn = input(ctx)?;
    let id = required(i.secret_id, "secretId")?;
    let (vid, vst) = (i.version_id.clone(), i.version_stage.clone());
    // secretsmanager:VersionId / VersionStage are in the context only when sent.
    let s = resolve_authorized(ctx, &id, |mut a| {
        if let Some(v) = &vid {
            a = a.with("secretsmanager:VersionId", v);
        }
        if let Some(v) = &vst {
            a = a.with("secretsmanager:VersionStage", v);
        }
        a
    })
    .await?;
    let (v, value) = runtime(ctx)
        .secrets
        .get_value(&s, i.version_id.as_deref(), i.version_stage.as_deref())
        .await
        .map_err(sm_error)?;
    Ok(secret_value(&s, &v, &value))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchIn {
    secret_id_list: Option<Vec<String>>,
    filters: Option<Vec<Filter>>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

pub(crate) async fn batch_get_secret_value(ctx: &JsonCtx<'_>) -> JsonResult {
    let i: BatchIn = input(ctx)?;
    ctx.authorize("*").await?;
    let rt = runtime(ctx);
    let (ids, next): (Vec<String>, Option<String>) = match (i.secret_id_list, i.filters) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(sm_error(SmError::invalid_parameter(
                "Either SecretIdList or Filters must be provided, but not both.",
            )));
        }
        (Some(ids), None) => {
            if i.max_results.is_some() || i.next_token.is_some() {
                return Err(sm_error(SmError::invalid_parameter(
                    "MaxResults and NextToken can only be used with Filters.",
                )));
            }
            if ids.is_empty() || ids.len() > 20 {
                return Err(JsonApiError::validation(
                    "1 validation error detected: Value at 'secretIdList' failed to satisfy \
                     constraint: Member must have length between 1 and 20",
                ));
            }
            (ids, None)
        }
        (None, Some(filters)) => {
            list::validate_filters(&filters).map_err(sm_error)?;
            let list_access = secret_access(ctx, "secretsmanager:ListSecrets", "*", None);
            authorize_secret(ctx, &list_access, None).await?;
            let size = list::page_size(i.max_results, 20, "maxResults").map_err(sm_error)?;
            let start = match &i.next_token {
                Some(t) => list::decode_token(t).map_err(sm_error)?,
                None => 0,
            };
            let mut all: Vec<_> = rt
                .secrets
                .all()
                .await
                .map_err(sm_error)?
                .into_iter()
                .filter(|s| !s.is_deleted() && list::matches(s, &filters))
                .collect();
            list::sort(&mut all, None, false).map_err(sm_error)?;
            let end = start.saturating_add(size);
            let next = (end < all.len()).then(|| list::encode_token(end));
            (
                all.iter()
                    .skip(start)
                    .take(size)
                    .map(|s| s.arn().to_owned())
                    .collect(),
                next,
            )
        }
    };
    let mut values = Vec::new();
    let mut errors = Vec::new();
    for id in ids {
        let found = rt.secrets.resolve(&id).await.map_err(sm_error)?;
        let resource = found.as_ref().map_or(id.clone(), |s| s.arn().to_owned());
        let access = secret_access(
            ctx,
            "secretsmanager:GetSecretValue",
            &resource,
            found.as_ref(),
        );
        let outcome = match authorize_secret(ctx, &access, found.as_ref()).await {
            Err(e) => Err((e.code.to_string(), e.message)),
            Ok(()) => match &found {
                None => {
                    let e = SmError::not_found();
                    Err((e.code.to_owned(), e.message))
                }
                Some(s) => match rt.secrets.get_value(s, None, None).await {
                    Ok((v, value)) => Ok(secret_value(s, &v, &value)),
                    Err(e) => Err((e.code.to_owned(), e.message)),
                },
            },
        };
        match outcome {
            Ok(v) => values.push(v),
            Err((code, message)) => {
                errors.push(json!({"SecretId": id, "ErrorCode": code, "Message": message}));
            }
        }
    }
    let mut out = json!({"SecretValues": values, "Errors": errors});
    if let Some(n) = next {
        out["NextToken"] = Value::from(n);
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutValueIn {
    secret_id: Option<String>,
    client_request_token: Option<String>,
    secret_string: Option<String>,
    secret_binary: Option<String>,
    version_stages: Option<Vec<String>>,
    rotation_token: Option<String>,
}

pub(crate) async fn put_secret_value(ctx: &JsonCtx<'_>) -> JsonResult {
    let i: PutValueIn = input(ctx)?;
    let id = required(i.secret_id, "secretId")?;
    if let Some(t) = &i.rotation_token
        && (!(36..=256).contains(&t.len())
            || !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return Err(sm_error(SmError::invalid_parameter(
            "RotationToken must be 36-256 characters of letters, digits and hyphens.",
        )));
    }
    let s = resolve_authorized(ctx, &id, |a| a).await?;
    let value = value_from(i.secret_string, i.secret_binary)?.ok_or_else(|| {
        sm_error(SmError::invalid_parameter(
            "You must provide either SecretString or SecretBinary.",
        ))
    })?;
    let w = runtime(ctx)
        .secrets
        .put_value(
            s.arn(),
            PutInput {
                token: i.client_request_token,
                value,
                stages: i.version_stages,
            },
        )
        .await
        .map_err(sm_error)?;
    Ok(json!({
        "ARN": w.arn,
        "Name": w.name,
        "VersionId": w.version_id,
        "VersionStages": w.stages,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StageIn {
    secret_id: Option<String>,
    version_stage: Option<String>,
    remove_from_version_id: Option<String>,
    move_to_version_id: Option<String>,
}

pub(crate) async fn update_secret_version_stage(ctx: &JsonCtx<'_>) -> JsonResult {
    let i: StageIn = input(ctx)?;
    let id = required(i.secret_id, "secretId")?;
    let stage = required(i.version_stage, "versionStage")?;
    let st = stage.clone();
    let s = resolve_authorized(ctx, &id, |a| a.with("secretsmanager:VersionStage", &st)).await?;
    runtime(ctx)
        .secrets
        .update_stage(
            s.arn(),
            &stage,
            i.remove_from_version_id.as_deref(),
            i.move_to_version_id.as_deref(),
        )
        .await
        .map_err(sm_error)?;
    Ok(Value::Object(arn_name(&s)))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VersionsIn {
    secret_id: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
    #[serde(default)]
    include_deprecated: bool,
}

pub(crate) async fn list_secret_version_ids(ctx: &JsonCtx<'_>) -> JsonResult {
    let i: VersionsIn = input(ctx)?;
    let id = required(i.secret_id, "secretId")?;
    let size = list::page_size(i.max_results, 100, "maxResults").map_err(sm_error)?;
    let start = match &i.next_token {
        Some(t) => list::decode_token(t).map_err(sm_error)?,
        None => 0,
    };
    let s = resolve_authorized(ctx, &id, |a| a).await?;
    // Newest first, as AWS lists them.
    let mut versions: Vec<_> = s
        .versions
        .iter()
        .filter(|v| i.include_deprecated || !v.stages.is_empty())
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(v.seq));
    let page: Vec<Value> = versions
        .iter()
        .skip(start)
        .take(size)
        .map(|v| {
            let mut m = json!({
                "VersionId": v.id,
                "VersionStages": v.stages,
                "CreatedDate": epoch(v.created),
                "KmsKeyIds": [s.meta.kms_key_id.clone().unwrap_or_else(|| "DefaultEncryptionKey".to_owned())],
            });
            if let Some(t) = v.last_accessed {
                m["LastAccessedDate"] = epoch(t);
            }
            m
        })
        .collect();
    let mut out = arn_name(&s);
    out.insert("Versions".into(), Value::from(page));
    let end = start.saturating_add(size);
    if end < versions.len() {
        out.insert("NextToken".into(), Value::from(list::encode_token(end)));
    }
    Ok(Value::Object(out))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PasswordIn {
    password_length: Option<i64>,
    exclude_characters: Option<String>,
    exclude_numbers: Option<bool>,
    exclude_punctuation: Option<bool>,
    exclude_uppercase: Option<bool>,
    exclude_lowercase: Option<bool>,
    include_space: Option<bool>,
    require_each_included_type: Option<bool>,
}

pub(crate) async fn get_random_password(ctx: &JsonCtx<'_>) -> JsonResult {
    let i: PasswordIn = input(ctx)?;
    ctx.authorize("*").await?;
    if i.exclude_characters
        .as_ref()
        .is_some_and(|e| e.chars().count() > 4096)
    {
        return Err(JsonApiError::validation(
            "1 validation error detected: Value at 'excludeCharacters' failed to satisfy \
             constraint: Member must have length less than or equal to 4096",
        ));
    }
    let d = PasswordSpec::default();
    let spec = PasswordSpec {
        length: i.password_length.unwrap_or(d.length),
        exclude_characters: i.exclude_characters.unwrap_or_default(),
        exclude_numbers: i.exclude_numbers.unwrap_or(false),
        exclude_punctuation: i.exclude_punctuation.unwrap_or(false),
        exclude_uppercase: i.exclude_uppercase.unwrap_or(false),
        exclude_lowercase: i.exclude_lowercase.unwrap_or(false),
        include_space: i.include_space.unwrap_or(false),
        require_each_included_type: i.require_each_included_type.unwrap_or(true),
    };
    let p = password::generate(&spec).map_err(sm_error)?;
    Ok(json!({ "RandomPassword": p.as_str() }))
}
