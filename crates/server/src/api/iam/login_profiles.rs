//! Create/Get/Update/DeleteLoginProfile and ChangePassword.

use hourglass_store::LoginProfile;

use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

fn profile_result(p: &LoginProfile) -> ApiResult {
    let mut x = Xml::new();
    x.open("LoginProfile")
        .text("UserName", &p.user_name)
        .date("CreateDate", &p.create_date)
        .bool("PasswordResetRequired", p.password_reset_required)
        .close("LoginProfile");
    Ok(Some(x.finish()))
}

pub async fn create(ctx: &Ctx<'_>) -> ApiResult {
    let p = ctx
        .identity
        .create_login_profile(
            ctx.caller()?,
            ctx.required("UserName")?,
            ctx.required("Password")?,
            ctx.get("PasswordResetRequired"),
        )
        .await?;
    profile_result(&p)
}

pub async fn get(ctx: &Ctx<'_>) -> ApiResult {
    let p = ctx
        .identity
        .get_login_profile(ctx.caller()?, ctx.required("UserName")?)
        .await?;
    profile_result(&p)
}

pub async fn update(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .update_login_profile(
            ctx.caller()?,
            ctx.required("UserName")?,
            ctx.get("Password"),
            ctx.get("PasswordResetRequired"),
        )
        .await?;
    Ok(None)
}

pub async fn delete(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .delete_login_profile(ctx.caller()?, ctx.required("UserName")?)
        .await?;
    Ok(None)
}

pub async fn change_password(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .change_password(
            ctx.caller()?,
            ctx.required("OldPassword")?,
            ctx.required("NewPassword")?,
        )
        .await?;
    Ok(None)
}
