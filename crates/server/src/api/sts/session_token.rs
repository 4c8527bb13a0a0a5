//! GetSessionToken.

use hourglass_iam::sts::SessionTokenInput;

use super::write_credentials;
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

pub async fn get_session_token(ctx: &Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let input = SessionTokenInput {
        duration_seconds: ctx.get("DurationSeconds").map(str::to_owned),
        serial_number: ctx.get("SerialNumber").map(str::to_owned),
        token_code: ctx.get("TokenCode").map(str::to_owned),
    };
    let credentials = ctx.identity.get_session_token(caller, input).await?;
    let mut x = Xml::new();
    write_credentials(&mut x, &credentials);
    Ok(Some(x.finish()))
}
