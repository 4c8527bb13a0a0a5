//! CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser (the tag calls: [`super::tags`]).

use hourglass_iam::users::{CreateUser, UserView};
use hourglass_store::User;

use super::{page_request, write_boundary, write_page_tail, write_tags};
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

/// The `User` shape; list calls (and the other shapes that embed a user) omit tags and the
/// boundary, as AWS does.
pub(super) fn write_user(x: &mut Xml, u: &User, full: bool) {
    x.text("Path", &u.path)
        .text("UserName", &u.name)
        .text("UserId", &u.user_id)
        .text("Arn", &u.arn)
        .date("CreateDate", &u.create_date);
    if full {
        write_boundary(x, u.permissions_boundary.as_deref());
        if !u.tags.is_empty() {
            write_tags(x, "Tags", &u.tags);
        }
    }
}

pub async fn create_user(ctx: &Ctx<'_>) -> ApiResult {
    let input = CreateUser {
        name: ctx.required("UserName")?.to_owned(),
        path: ctx.get("Path").map(str::to_owned),
        permissions_boundary: ctx.get("PermissionsBoundary").map(str::to_owned),
        tags: ctx.tags("Tags")?,
    };
    let user = ctx.identity.create_user(ctx.caller()?, input).await?;
    let mut x = Xml::new();
    x.open("User");
    write_user(&mut x, &user, true);
    x.close("User");
    Ok(Some(x.finish()))
}

pub async fn get_user(ctx: &Ctx<'_>) -> ApiResult {
    let view = ctx
        .identity
        .get_user(ctx.caller()?, ctx.get("UserName"))
        .await?;
    let mut x = Xml::new();
    x.open("User");
    match &view {
        UserView::User(u) => write_user(&mut x, u, true),
        UserView::Root {
            account_id,
            arn,
            create_date,
        } => {
            x.text("UserId", account_id)
                .text("Arn", arn)
                .date("CreateDate", create_date);
        }
    }
    x.close("User");
    Ok(Some(x.finish()))
}

pub async fn list_users(ctx: &Ctx<'_>) -> ApiResult {
    let page = ctx
        .identity
        .list_users(ctx.caller()?, ctx.get("PathPrefix"), page_request(ctx)?)
        .await?;
    let mut x = Xml::new();
    x.list("Users", &page.items, |x, u| write_user(x, u, false));
    write_page_tail(&mut x, &page);
    Ok(Some(x.finish()))
}

pub async fn update_user(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .update_user(
            ctx.caller()?,
            ctx.required("UserName")?,
            ctx.get("NewUserName"),
            ctx.get("NewPath"),
        )
        .await?;
    Ok(None)
}

pub async fn delete_user(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .delete_user(ctx.caller()?, ctx.required("UserName")?)
        .await?;
    Ok(None)
}
