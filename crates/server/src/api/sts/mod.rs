//! STS operations.

mod assume_role;
mod federation_token;
mod info;
mod saml;
mod session_token;
mod web_identity;

use hourglass_iam::sts::Credentials;

use crate::api::{ApiResult, Ctx};
use crate::query::Service;
use crate::query::xml::Xml;

super::operations::operations! {
    /// The STS (2011-06-15) operations this server answers.
    pub enum StsOperation for Service::Sts, "sts" {
        GetCallerIdentity => get_caller_identity, [];
        AssumeRole => assume_role::assume_role,
            [RoleArn, RoleSessionName, DurationSeconds, Policy, PolicyArns, ExternalId,
             SourceIdentity, Tags, TransitiveTagKeys, SerialNumber, TokenCode, ProvidedContexts];
        GetSessionToken => session_token::get_session_token,
            [DurationSeconds, SerialNumber, TokenCode];
        GetFederationToken => federation_token::get_federation_token,
            [Name, Policy, PolicyArns, DurationSeconds, Tags];
        GetAccessKeyInfo => info::get_access_key_info, [AccessKeyId];
        DecodeAuthorizationMessage => info::decode_authorization_message, [EncodedMessage];
        AssumeRoleWithWebIdentity => web_identity::assume_role_with_web_identity,
            [RoleArn, RoleSessionName, WebIdentityToken, ProviderId, DurationSeconds, Policy,
             PolicyArns], unsigned;
        AssumeRoleWithSAML => saml::assume_role_with_saml,
            [RoleArn, PrincipalArn, SAMLAssertion, PolicyArns, Policy, DurationSeconds],
            unsigned;
    }
}

/// Federation actions AWS accepts without a signature that this server does not serve
/// (refused as InvalidAction before this matters); served ones carry `, unsigned` in the
/// table above.
pub const UNSERVED_UNSIGNED: &[&str] = &[];

/// `PolicyArns.member.N.arn` as sent (AWS managed policies among them enter the store when
/// the session-policy checks first name them).
pub(super) fn policy_arns(ctx: &Ctx<'_>) -> Vec<String> {
    ctx.params
        .struct_list("PolicyArns")
        .iter()
        .map(|p| ctx.get(&format!("{p}.arn")).unwrap_or_default().to_owned())
        .collect()
}

async fn get_caller_identity(ctx: &Ctx<'_>) -> ApiResult {
    let id = ctx.identity.get_caller_identity(ctx.caller()?);
    let mut x = Xml::new();
    x.text("Arn", &id.arn)
        .text("UserId", &id.user_id)
        .text("Account", &id.account);
    Ok(Some(x.finish()))
}

/// `<Credentials>` of AssumeRole and GetSessionToken.
pub(crate) fn write_credentials(x: &mut Xml, c: &Credentials) {
    x.open("Credentials")
        .text("AccessKeyId", &c.access_key_id)
        .text("SecretAccessKey", c.secret_access_key.expose())
        .text("SessionToken", &c.session_token)
        .date("Expiration", &c.expiration)
        .close("Credentials");
}
