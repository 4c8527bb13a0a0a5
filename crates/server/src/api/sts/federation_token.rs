//! GetFederationToken.

use hourglass_iam::sts::FederationTokenInput;

use super::write_credentials;
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

pub async fn get_federation_token(ctx: &Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let name = ctx.required("Name")?.to_owned();
    let policy_arns = super::policy_arns(ctx);
    let input = FederationTokenInput {
        name,
        duration_seconds: ctx.get("DurationSeconds").map(str::to_owned),
        policy: ctx.get("Policy").map(str::to_owned),
        policy_arns,
        tags: ctx.tags("Tags")?,
    };
    let out = ctx.identity.get_federation_token(caller, input).await?;
    let mut x = Xml::new();
    write_credentials(&mut x, &out.credentials);
    x.open("FederatedUser")
        .text("FederatedUserId", &out.federated_user_id)
        .text("Arn", &out.arn)
        .close("FederatedUser");
    if let Some(p) = out.packed_policy_size {
        x.num("PackedPolicySize", p);
    }
    Ok(Some(x.finish()))
}
