//! CreateInstanceProfile, GetInstanceProfile, ListInstanceProfiles,
//! ListInstanceProfilesForRole, DeleteInstanceProfile and Add/RemoveRoleToInstanceProfile
//! (the tag calls: [`super::tags`]).

use hourglass_store::InstanceProfile;

use super::roles::{Shape, write_role};
use super::{page_request, write_page_tail, write_tags};
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

/// The `InstanceProfile` shape; its roles as in ListRoles (AWS trims them the same way).
pub(super) fn write_profile(x: &mut Xml, p: &InstanceProfile) {
    x.text("Path", &p.path)
        .text("InstanceProfileName", &p.name)
        .text("InstanceProfileId", &p.profile_id)
        .text("Arn", &p.arn)
        .date("CreateDate", &p.create_date);
    x.list("Roles", &p.roles, |x, r| write_role(x, r, Shape::Listed));
    if !p.tags.is_empty() {
        write_tags(x, "Tags", &p.tags);
    }
}

fn profile_result(p: &InstanceProfile) -> ApiResult {
    let mut x = Xml::new();
    x.open("InstanceProfile");
    write_profile(&mut x, p);
    x.close("InstanceProfile");
    Ok(Some(x.finish()))
}

pub async fn create(ctx: &Ctx<'_>) -> ApiResult {
    let tags = ctx.tags("Tags")?;
    let profile = ctx
        .identity
        .create_instance_profile(
            ctx.caller()?,
            ctx.required("InstanceProfileName")?,
            ctx.get("Path"),
            &tags,
        )
        .await?;
    profile_result(&profile)
}

pub async fn get(ctx: &Ctx<'_>) -> ApiResult {
    let profile = ctx
        .identity
        .get_instance_profile(ctx.caller()?, ctx.required("InstanceProfileName")?)
        .await?;
    profile_result(&profile)
}

pub async fn list(ctx: &Ctx<'_>) -> ApiResult {
    let page = ctx
        .identity
        .list_instance_profiles(ctx.caller()?, ctx.get("PathPrefix"), page_request(ctx)?)
        .await?;
    let mut x = Xml::new();
    x.list("InstanceProfiles", &page.items, write_profile);
    write_page_tail(&mut x, &page);
    Ok(Some(x.finish()))
}

pub async fn list_for_role(ctx: &Ctx<'_>) -> ApiResult {
    let page = ctx
        .identity
        .list_instance_profiles_for_role(
            ctx.caller()?,
            ctx.required("RoleName")?,
            page_request(ctx)?,
        )
        .await?;
    let mut x = Xml::new();
    x.list("InstanceProfiles", &page.items, write_profile);
    write_page_tail(&mut x, &page);
    Ok(Some(x.finish()))
}

pub async fn delete(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .delete_instance_profile(ctx.caller()?, ctx.required("InstanceProfileName")?)
        .await?;
    Ok(None)
}

pub async fn role(ctx: &Ctx<'_>, add: bool) -> ApiResult {
    ctx.identity
        .instance_profile_role(
            ctx.caller()?,
            ctx.required("InstanceProfileName")?,
            ctx.required("RoleName")?,
            add,
        )
        .await?;
    Ok(None)
}
