//! RotateSecret and CancelRotateSecret. The rotation itself runs in the background worker
//! ([`super::worker`]) on one node, like AWS's asynchronous Lambda invocations.

use hourglass_secrets::{RotationRules, SmError};
use serde::Deserialize;
use serde_json::json;

use super::rotator::function_name;
use super::{input, required, resolve_authorized, runtime, secret_of_input, sm_error};
use crate::json::{JsonCtx, JsonResult};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RotateIn {
    secret_id: Option<String>,
    client_request_token: Option<String>,
    #[serde(rename = "RotationLambdaARN")]
    rotation_lambda_arn: Option<String>,
    rotation_rules: Option<RotationRules>,
    rotate_immediately: Option<bool>,
}

pub(crate) async fn rotate_secret(ctx: &JsonCtx<'_>) -> JsonResult {
    let i: RotateIn = input(ctx)?;
    let id = required(i.secret_id, "secretId")?;
    let rt = runtime(ctx);
    let immediately = i.rotate_immediately.unwrap_or(true);
    let (f, has_rules) = (i.rotation_lambda_arn.clone(), i.rotation_rules.is_some());
    let s = resolve_authorized(ctx, &id, |mut a| {
        if let Some(f) = &f {
            a = a.with("secretsmanager:RotationLambdaARN", f);
        }
        a.with("secretsmanager:RotateImmediately", &immediately.to_string())
            .with("secretsmanager:ModifyRotationRules", &has_rules.to_string())
    })
    .await?;
    if let Some(f) = &i.rotation_lambda_arn {
        let supported = function_name(f, rt.secrets.account())
            .is_some_and(|name| super::rotator::is_known(name, &rt.config));
        if !supported {
            return Err(sm_error(SmError::invalid_request(format!(
                "Rotation function not supported: {f}. Use \
                 arn:aws:lambda:{}:{}:function:{} or a configured rotation hook.",
                rt.secrets.region(),
                rt.secrets.account(),
                super::rotator::BUILTIN_IAM_KEYS
            ))));
        }
    }
    let version = rt
        .secrets
        .rotate(
            s.arn(),
            i.client_request_token,
            i.rotation_lambda_arn.as_deref(),
            i.rotation_rules,
            immediately,
        )
        .await
        .map_err(sm_error)?;
    rt.wake.notify_one();
    Ok(json!({"ARN": s.arn(), "Name": s.name(), "VersionId": version}))
}

pub(crate) async fn cancel_rotate_secret(ctx: &JsonCtx<'_>) -> JsonResult {
    let s = secret_of_input(ctx).await?;
    let pending = runtime(ctx)
        .secrets
        .cancel_rotation(s.arn())
        .await
        .map_err(sm_error)?;
    let mut out = json!({"ARN": s.arn(), "Name": s.name()});
    if let Some(v) = pending {
        out["VersionId"] = v.into();
    }
    Ok(out)
}
