//! AssumeRoleWithSAML (unsigned; a signed call is authenticated and then handled the same
//! way: the signed assertion, not the signer, is the credential).

use hourglass_iam::federation::saml::SamlInput;

use super::write_credentials;
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

pub async fn assume_role_with_saml(ctx: &Ctx<'_>) -> ApiResult {
    let policy_arns = super::policy_arns(ctx);
    let input = SamlInput {
        role_arn: ctx.required("RoleArn")?.to_owned(),
        principal_arn: ctx.required("PrincipalArn")?.to_owned(),
        saml_assertion: ctx.required("SAMLAssertion")?.to_owned(),
        duration_seconds: ctx.get("DurationSeconds").map(str::to_owned),
        policy: ctx.get("Policy").map(str::to_owned),
        policy_arns,
    };
    let out = ctx.identity.assume_role_with_saml(input).await?;
    let mut x = Xml::new();
    write_credentials(&mut x, &out.credentials);
    x.open("AssumedRoleUser")
        .text("AssumedRoleId", &out.assumed_role_id)
        .text("Arn", &out.arn)
        .close("AssumedRoleUser");
    x.num("PackedPolicySize", out.packed_policy_size)
        .text("Subject", &out.subject)
        .text("SubjectType", &out.subject_type)
        .text("Issuer", &out.issuer)
        .text("Audience", &out.audience)
        .text("NameQualifier", &out.name_qualifier);
    x.opt_text("SourceIdentity", out.source_identity.as_deref());
    Ok(Some(x.finish()))
}
