//! STS operations.

use crate::api::{ApiResult, Ctx};
use crate::query::QueryError;
use crate::query::xml::Xml;

pub const ACTIONS: &[&str] = &["GetCallerIdentity"];

pub async fn dispatch(ctx: &Ctx<'_>) -> ApiResult {
    match ctx.action {
        "GetCallerIdentity" => get_caller_identity(ctx),
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
