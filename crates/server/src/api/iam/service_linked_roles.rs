//! CreateServiceLinkedRole, DeleteServiceLinkedRole, GetServiceLinkedRoleDeletionStatus.

use super::roles::{Shape, write_role};
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

pub async fn create(ctx: &Ctx<'_>) -> ApiResult {
    let role = ctx
        .identity
        .create_service_linked_role(
            ctx.caller()?,
            ctx.required("AWSServiceName")?,
            ctx.get("Description"),
            ctx.get("CustomSuffix"),
        )
        .await?;
    let mut x = Xml::new();
    x.open("Role");
    write_role(&mut x, &role, Shape::Created);
    x.close("Role");
    Ok(Some(x.finish()))
}

pub async fn delete(ctx: &Ctx<'_>) -> ApiResult {
    let task = ctx
        .identity
        .delete_service_linked_role(ctx.caller()?, ctx.required("RoleName")?)
        .await?;
    let mut x = Xml::new();
    x.text("DeletionTaskId", &task);
    Ok(Some(x.finish()))
}

pub async fn deletion_status(ctx: &Ctx<'_>) -> ApiResult {
    let (status, reason) = ctx
        .identity
        .service_linked_role_deletion_status(ctx.caller()?, ctx.required("DeletionTaskId")?)
        .await?;
    let mut x = Xml::new();
    x.text("Status", &status);
    if let Some(r) = reason {
        x.open("Reason").text("Reason", &r).close("Reason");
    }
    Ok(Some(x.finish()))
}
