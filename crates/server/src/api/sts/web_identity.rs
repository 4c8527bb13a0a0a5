//! AssumeRoleWithWebIdentity (unsigned; a signed call is authenticated and then handled
//! the same way: the token, not the signer, is the credential).

use hourglass_iam::federation::WebIdentityInput;

use super::write_credentials;
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

pub async fn assume_role_with_web_identity(ctx: &Ctx<'_>) -> ApiResult {
    let policy_arns = super::policy_arns(ctx);
    let input = WebIdentityInput {
        role_arn: ctx.required("RoleArn")?.to_owned(),
        role_session_name: ctx.required("RoleSessionName")?.to_owned(),
        web_identity_token: ctx.required("WebIdentityToken")?.to_owned(),
        provider_id: ctx.get("ProviderId").map(str::to_owned),
        duration_seconds: ctx.get("DurationSeconds").map(str::to_owned),
        policy: ctx.get("Policy").map(str::to_owned),
        policy_arns,
    };
    let out = ctx.identity.assume_role_with_web_identity(input).await?;
    let mut x = Xml::new();
    x.text("SubjectFromWebIdentityToken", &out.subject)
        .text("Audience", &out.audience);
    x.open("AssumedRoleUser")
        .text("Arn", &out.arn)
        .text("AssumedRoleId", &out.assumed_role_id)
        .close("AssumedRoleUser");
    write_credentials(&mut x, &out.credentials);
    x.opt_text("SourceIdentity", out.source_identity.as_deref());
    x.text("Provider", &out.provider)
        .num("PackedPolicySize", out.packed_policy_size);
    Ok(Some(x.finish()))
}
