//! STS operations.

mod assume_role;
mod info;
mod session_token;

use hourglass_iam::sts::Credentials;

use crate::api::{ApiResult, Ctx};
use crate::query::QueryError;
use crate::query::xml::Xml;

pub const ACTIONS: &[&str] = &[
    "GetCallerIdentity",
    "AssumeRole",
    "GetSessionToken",
    "GetAccessKeyInfo",
    "DecodeAuthorizationMessage",
];

pub async fn dispatch(ctx: &Ctx<'_>) -> ApiResult {
    match ctx.action {
        "GetCallerIdentity" => get_caller_identity(ctx),
        "AssumeRole" => assume_role::assume_role(ctx).await,
        "GetSessionToken" => session_token::get_session_token(ctx).await,
        "GetAccessKeyInfo" => info::get_access_key_info(ctx).await,
        "DecodeAuthorizationMessage" => info::decode_authorization_message(ctx).await,
        other => Err(QueryError::InvalidAction {
            action: other.to_owned(),
            version: ctx.service.version().to_owned(),
        }
        .into()),
    }
}

fn get_caller_identity(ctx: &Ctx<'_>) -> ApiResult {
    ctx.declare(&[])?;
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
