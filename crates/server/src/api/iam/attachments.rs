//! Attach/Detach{User,Role,Group}Policy, ListAttached{User,Role,Group}Policies and
//! Put/Delete{User,Role}PermissionsBoundary. One handler per operation family, told which
//! kind of entity the action names.

use hourglass_store::{EntityKind, EntityRef};

use super::{page_request, write_page_tail};
use crate::api::{ApiError, ApiResult, Ctx};
use crate::query::xml::Xml;

/// The parameter naming the entity (`UserName`, `RoleName`, `GroupName`).
pub(super) fn entity_param(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::User => "UserName",
        EntityKind::Role => "RoleName",
        EntityKind::Group => "GroupName",
    }
}

/// The entity a request names, required.
pub(super) fn entity(ctx: &Ctx<'_>, kind: EntityKind) -> Result<EntityRef, ApiError> {
    let name = ctx.required(entity_param(kind))?.to_owned();
    Ok(match kind {
        EntityKind::User => EntityRef::User(name),
        EntityKind::Role => EntityRef::Role(name),
        EntityKind::Group => EntityRef::Group(name),
    })
}

pub async fn attach(ctx: &Ctx<'_>, kind: EntityKind) -> ApiResult {
    ctx.identity
        .attach_policy(
            ctx.caller()?,
            &entity(ctx, kind)?,
            ctx.required("PolicyArn")?,
        )
        .await?;
    Ok(None)
}

pub async fn detach(ctx: &Ctx<'_>, kind: EntityKind) -> ApiResult {
    ctx.identity
        .detach_policy(
            ctx.caller()?,
            &entity(ctx, kind)?,
            ctx.required("PolicyArn")?,
        )
        .await?;
    Ok(None)
}

pub async fn list_attached(ctx: &Ctx<'_>, kind: EntityKind) -> ApiResult {
    let page = ctx
        .identity
        .list_attached_policies(
            ctx.caller()?,
            &entity(ctx, kind)?,
            ctx.get("PathPrefix"),
            page_request(ctx)?,
        )
        .await?;
    let mut x = Xml::new();
    x.list("AttachedPolicies", &page.items, |x, p| {
        x.text("PolicyName", &p.policy_name)
            .text("PolicyArn", &p.policy_arn);
    });
    write_page_tail(&mut x, &page);
    Ok(Some(x.finish()))
}

pub async fn put_boundary(ctx: &Ctx<'_>, kind: EntityKind) -> ApiResult {
    ctx.identity
        .set_permissions_boundary(
            ctx.caller()?,
            &entity(ctx, kind)?,
            Some(ctx.required("PermissionsBoundary")?),
        )
        .await?;
    Ok(None)
}

pub async fn delete_boundary(ctx: &Ctx<'_>, kind: EntityKind) -> ApiResult {
    ctx.identity
        .set_permissions_boundary(ctx.caller()?, &entity(ctx, kind)?, None)
        .await?;
    Ok(None)
}
