//! Put/Get/Delete/List{User,Role,Group}Policy (inline policies).

use hourglass_store::EntityKind;

use super::attachments::{entity, entity_param};
use super::{page_request, write_page_tail};
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

pub async fn put(ctx: &Ctx<'_>, kind: EntityKind) -> ApiResult {
    ctx.identity
        .put_inline_policy(
            ctx.caller()?,
            &entity(ctx, kind)?,
            ctx.required("PolicyName")?,
            ctx.required("PolicyDocument")?,
        )
        .await?;
    Ok(None)
}

pub async fn get(ctx: &Ctx<'_>, kind: EntityKind) -> ApiResult {
    let entity = entity(ctx, kind)?;
    let policy = ctx
        .identity
        .get_inline_policy(ctx.caller()?, &entity, ctx.required("PolicyName")?)
        .await?;
    let mut x = Xml::new();
    // AWS echoes the entity name as asked; the store matched it case-insensitively.
    x.text(entity_param(kind), entity.name())
        .text("PolicyName", &policy.name)
        .policy_document("PolicyDocument", &policy.document);
    Ok(Some(x.finish()))
}

pub async fn delete(ctx: &Ctx<'_>, kind: EntityKind) -> ApiResult {
    ctx.identity
        .delete_inline_policy(
            ctx.caller()?,
            &entity(ctx, kind)?,
            ctx.required("PolicyName")?,
        )
        .await?;
    Ok(None)
}

pub async fn list(ctx: &Ctx<'_>, kind: EntityKind) -> ApiResult {
    let page = ctx
        .identity
        .list_inline_policies(ctx.caller()?, &entity(ctx, kind)?, page_request(ctx)?)
        .await?;
    let mut x = Xml::new();
    // A list of strings: each member is the bare name.
    x.open("PolicyNames");
    for name in &page.items {
        x.text("member", name);
    }
    x.close("PolicyNames");
    write_page_tail(&mut x, &page);
    Ok(Some(x.finish()))
}
