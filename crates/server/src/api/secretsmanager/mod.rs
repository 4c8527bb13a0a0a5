//! Secrets Manager (2017-10-17) over the JSON 1.1 front: the operation table, and what the
//! handlers share (error mapping, secret resolution, authorization with the secret's
//! resource policy and condition keys). Values never reach a log or the audit record: the
//! front records service, operation, caller and error code only.

pub mod config;
mod handlers;
mod output;
mod policy;
mod rotation;
pub mod rotator;
pub mod runtime;
mod values;
pub mod worker;

use hourglass_iam::authz::{Access, ResourcePolicy};
use hourglass_secrets::{Loaded, SmError};
use hourglass_wire::json::JsonVersion;
use serde::de::DeserializeOwned;

use crate::json::{JsonApiError, JsonCtx, ServiceSpec, json_operations};

pub use runtime::SecretsRuntime;

json_operations! {
    /// Secrets Manager, `X-Amz-Target: secretsmanager.<Operation>`.
    pub enum SecretsManagerOperation, pub static SECRETS_MANAGER: SecretsManagerApi = ServiceSpec {
        target_prefixes: &["secretsmanager"],
        signing_name: "secretsmanager",
        version: JsonVersion::V1_1,
    }, "secretsmanager" {
        CreateSecret => handlers::create_secret;
        DescribeSecret => handlers::describe_secret;
        ListSecrets => handlers::list_secrets;
        UpdateSecret => handlers::update_secret;
        DeleteSecret => handlers::delete_secret;
        RestoreSecret => handlers::restore_secret;
        TagResource => handlers::tag_resource;
        UntagResource => handlers::untag_resource;
        GetSecretValue => values::get_secret_value;
        BatchGetSecretValue => values::batch_get_secret_value;
        PutSecretValue => values::put_secret_value;
        UpdateSecretVersionStage => values::update_secret_version_stage;
        ListSecretVersionIds => values::list_secret_version_ids;
        GetRandomPassword => values::get_random_password;
        GetResourcePolicy => policy::get_resource_policy;
        PutResourcePolicy => policy::put_resource_policy;
        DeleteResourcePolicy => policy::delete_resource_policy;
        ValidateResourcePolicy => policy::validate_resource_policy;
        RotateSecret => rotation::rotate_secret;
        CancelRotateSecret => rotation::cancel_rotate_secret;
        ReplicateSecretToRegions => handlers::replication_unsupported;
        RemoveRegionsFromReplication => handlers::replication_unsupported;
        StopReplicationToReplica => handlers::replication_unsupported;
    }
}

/// The input of the calls that name nothing but a secret.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SecretIdIn {
    secret_id: Option<String>,
}

/// The secret named by a call whose input is only its `SecretId`, once the call is
/// authorized on it with no condition keys beyond the secret's own.
pub(crate) async fn secret_of_input(ctx: &JsonCtx<'_>) -> Result<Loaded, JsonApiError> {
    let i: SecretIdIn = input(ctx)?;
    let id = required(i.secret_id, "secretId")?;
    resolve_authorized(ctx, &id, |a| a).await
}

/// The one mapping of the domain's errors to the wire.
pub(crate) fn sm_error(e: SmError) -> JsonApiError {
    JsonApiError::new(e.status(), e.code, e.message)
}

pub(crate) fn runtime<'a>(ctx: &'a JsonCtx<'_>) -> &'a SecretsRuntime {
    &ctx.state.secrets
}

/// The typed input, or AWS's error for a member of the wrong type.
pub(crate) fn input<T: DeserializeOwned>(ctx: &JsonCtx<'_>) -> Result<T, JsonApiError> {
    ctx.decode()
}

/// A required member that is absent.
pub(crate) fn required<T>(v: Option<T>, member: &str) -> Result<T, JsonApiError> {
    v.ok_or_else(|| {
        JsonApiError::validation(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy \
             constraint: Member must not be null"
        ))
    })
}

/// Condition keys every secret-level request carries.
pub(crate) fn secret_access(
    ctx: &JsonCtx<'_>,
    action: &str,
    resource: &str,
    s: Option<&Loaded>,
) -> Access {
    let mut access = Access::new(action, resource);
    if let Some(s) = s {
        access = access.with("secretsmanager:SecretId", s.arn());
        for (k, v) in s.tags() {
            access = access
                .with(&format!("secretsmanager:ResourceTag/{k}"), &v)
                .with(&format!("aws:ResourceTag/{k}"), &v);
        }
        if let Some(f) = &s.meta.rotation_lambda_arn {
            access = access.with("secretsmanager:resource/AllowRotationLambdaArn", f);
        }
    }
    let _ = ctx;
    access
}

/// Decides `access` for the caller with the secret's resource policy (if any): in this
/// one-account server an allow from either the identity's policies or the secret's policy
/// suffices, and an explicit deny in either wins, as AWS evaluates same-account access.
pub(crate) async fn authorize_secret(
    ctx: &JsonCtx<'_>,
    access: &Access,
    s: Option<&Loaded>,
) -> Result<(), JsonApiError> {
    let rp = s.and_then(|s| {
        s.meta.policy.as_deref().map(|document| ResourcePolicy {
            id: s.arn(),
            document: Some(document),
            account_id: &s.row.account_id,
        })
    });
    ctx.identity
        .authorize_with_kind(
            Some(ctx.caller),
            access,
            rp,
            hourglass_policy::PolicyKind::ServiceResource,
        )
        .await
        .map_err(JsonApiError::from)
}

/// Resolves `SecretId` and authorizes this operation on it (before telling whether it
/// exists: a caller without permission learns nothing). `extra` adds request keys.
pub(crate) async fn resolve_authorized(
    ctx: &JsonCtx<'_>,
    secret_id: &str,
    extra: impl FnOnce(Access) -> Access,
) -> Result<Loaded, JsonApiError> {
    let rt = runtime(ctx);
    let found = rt.secrets.resolve(secret_id).await.map_err(sm_error)?;
    let resource = match &found {
        Some(s) => s.arn().to_owned(),
        None => secret_id.to_owned(),
    };
    let access = extra(secret_access(
        ctx,
        ctx.iam_action,
        &resource,
        found.as_ref(),
    ));
    authorize_secret(ctx, &access, found.as_ref()).await?;
    found.ok_or_else(|| sm_error(SmError::not_found()))
}
