//! CreateGroup, GetGroup, ListGroups, ListGroupsForUser, AddUserToGroup,
//! RemoveUserFromGroup, UpdateGroup, DeleteGroup.

use hourglass_store::Group;

use super::users::write_user;
use super::{page_request, write_page_tail};
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

pub(super) fn write_group(x: &mut Xml, g: &Group) {
    x.text("Path", &g.path)
        .text("GroupName", &g.name)
        .text("GroupId", &g.group_id)
        .text("Arn", &g.arn)
        .date("CreateDate", &g.create_date);
}

pub async fn create_group(ctx: &Ctx<'_>) -> ApiResult {
    let group = ctx
        .identity
        .create_group(ctx.caller()?, ctx.required("GroupName")?, ctx.get("Path"))
        .await?;
    let mut x = Xml::new();
    x.open("Group");
    write_group(&mut x, &group);
    x.close("Group");
    Ok(Some(x.finish()))
}

pub async fn get_group(ctx: &Ctx<'_>) -> ApiResult {
    let (group, members) = ctx
        .identity
        .get_group(
            ctx.caller()?,
            ctx.required("GroupName")?,
            page_request(ctx)?,
        )
        .await?;
    let mut x = Xml::new();
    x.open("Group");
    write_group(&mut x, &group);
    x.close("Group");
    x.list("Users", &members.items, |x, u| write_user(x, u, false));
    write_page_tail(&mut x, &members);
    Ok(Some(x.finish()))
}

pub async fn list_groups(ctx: &Ctx<'_>) -> ApiResult {
    let page = ctx
        .identity
        .list_groups(ctx.caller()?, ctx.get("PathPrefix"), page_request(ctx)?)
        .await?;
    let mut x = Xml::new();
    x.list("Groups", &page.items, write_group);
    write_page_tail(&mut x, &page);
    Ok(Some(x.finish()))
}

pub async fn list_groups_for_user(ctx: &Ctx<'_>) -> ApiResult {
    let page = ctx
        .identity
        .list_groups_for_user(ctx.caller()?, ctx.required("UserName")?, page_request(ctx)?)
        .await?;
    let mut x = Xml::new();
    x.list("Groups", &page.items, write_group);
    write_page_tail(&mut x, &page);
    Ok(Some(x.finish()))
}

/// AddUserToGroup (`member`) and RemoveUserFromGroup.
pub async fn membership(ctx: &Ctx<'_>, member: bool) -> ApiResult {
    ctx.identity
        .set_group_membership(
            ctx.caller()?,
            ctx.required("GroupName")?,
            ctx.required("UserName")?,
            member,
        )
        .await?;
    Ok(None)
}

pub async fn update_group(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .update_group(
            ctx.caller()?,
            ctx.required("GroupName")?,
            ctx.get("NewGroupName"),
            ctx.get("NewPath"),
        )
        .await?;
    Ok(None)
}

pub async fn delete_group(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .delete_group(ctx.caller()?, ctx.required("GroupName")?)
        .await?;
    Ok(None)
}
