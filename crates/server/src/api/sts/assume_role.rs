//! AssumeRole.

use hourglass_iam::sts::AssumeRoleInput;

use super::write_credentials;
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

pub async fn assume_role(ctx: &Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let role_arn = ctx.required("RoleArn")?.to_owned();
    let role_session_name = ctx.required("RoleSessionName")?.to_owned();
    if !ctx.params.struct_list("ProvidedContexts").is_empty() {
        return Err(hourglass_iam::IamError::Validation(
            "ProvidedContexts are not supported by this server.".into(),
        )
        .into());
    }
    let policy_arns = super::policy_arns(ctx);
    let input = AssumeRoleInput {
        role_arn,
        role_session_name,
        duration_seconds: ctx.get("DurationSeconds").map(str::to_owned),
        policy: ctx.get("Policy").map(str::to_owned),
        policy_arns,
        external_id: ctx.get("ExternalId").map(str::to_owned),
        source_identity: ctx.get("SourceIdentity").map(str::to_owned),
        tags: ctx.tags("Tags")?,
        transitive_tag_keys: ctx
            .params
            .list("TransitiveTagKeys")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        serial_number: ctx.get("SerialNumber").map(str::to_owned),
        token_code: ctx.get("TokenCode").map(str::to_owned),
    };
    let out = ctx.identity.assume_role(caller, input).await?;
    let mut x = Xml::new();
    x.opt_text("SourceIdentity", out.source_identity.as_deref());
    write_credentials(&mut x, &out.credentials);
    x.open("AssumedRoleUser")
        .text("AssumedRoleId", &out.assumed_role_id)
        .text("Arn", &out.arn)
        .close("AssumedRoleUser");
    if let Some(p) = out.packed_policy_size {
        x.num("PackedPolicySize", p);
    }
    Ok(Some(x.finish()))
}
