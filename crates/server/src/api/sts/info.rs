//! GetAccessKeyInfo and DecodeAuthorizationMessage.

use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

pub async fn get_access_key_info(ctx: &Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let key = ctx.required("AccessKeyId")?;
    let account = ctx.identity.get_access_key_info(caller, key).await?;
    let mut x = Xml::new();
    x.text("Account", &account);
    Ok(Some(x.finish()))
}

pub async fn decode_authorization_message(ctx: &Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let encoded = ctx.required("EncodedMessage")?;
    let decoded = ctx
        .identity
        .decode_authorization_message(caller, encoded)
        .await?;
    let mut x = Xml::new();
    x.text("DecodedMessage", &decoded);
    Ok(Some(x.finish()))
}
