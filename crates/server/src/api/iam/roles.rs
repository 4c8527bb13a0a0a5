//! CreateRole, GetRole, ListRoles, UpdateRole, UpdateRoleDescription,
//! UpdateAssumeRolePolicy, DeleteRole (the tag calls: [`super::tags`]).

use hourglass_iam::roles::CreateRole;
use hourglass_store::Role;

use super::{page_request, write_boundary, write_page_tail, write_tags};
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

/// Which members of the `Role` shape an operation returns (AWS trims list and create
/// answers).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// GetRole, UpdateRoleDescription: everything, including `RoleLastUsed`.
    Full,
    /// CreateRole: no `RoleLastUsed`.
    Created,
    /// ListRoles: no tags, boundary or `RoleLastUsed`.
    Listed,
}

/// The members every shape of a role begins with (the `Role` shape and
/// GetAccountAuthorizationDetails' `RoleDetail`).
pub(super) fn write_role_head(x: &mut Xml, r: &Role) {
    x.text("Path", &r.path)
        .text("RoleName", &r.name)
        .text("RoleId", &r.role_id)
        .text("Arn", &r.arn)
        .date("CreateDate", &r.create_date)
        .policy_document("AssumeRolePolicyDocument", &r.assume_role_policy_document);
}

/// `RoleLastUsed`, empty when the role was never used.
pub(super) fn write_last_used(x: &mut Xml, r: &Role) {
    x.open("RoleLastUsed");
    if let Some(u) = &r.last_used {
        x.date("LastUsedDate", &u.date).text("Region", &u.region);
    }
    x.close("RoleLastUsed");
}

pub(super) fn write_role(x: &mut Xml, r: &Role, shape: Shape) {
    write_role_head(x, r);
    x.opt_text("Description", r.description.as_deref());
    // AWS's CreateRole answer has no MaxSessionDuration (GetRole's and ListRoles' do).
    if shape != Shape::Created {
        x.num("MaxSessionDuration", r.max_session_duration);
    }
    if shape == Shape::Listed {
        return;
    }
    write_boundary(x, r.permissions_boundary.as_deref());
    if !r.tags.is_empty() {
        write_tags(x, "Tags", &r.tags);
    }
    if shape == Shape::Full {
        write_last_used(x, r);
    }
}

fn role_result(r: &Role, shape: Shape) -> ApiResult {
    let mut x = Xml::new();
    x.open("Role");
    write_role(&mut x, r, shape);
    x.close("Role");
    Ok(Some(x.finish()))
}

pub async fn create_role(ctx: &Ctx<'_>) -> ApiResult {
    let input = CreateRole {
        name: ctx.required("RoleName")?.to_owned(),
        path: ctx.get("Path").map(str::to_owned),
        assume_role_policy_document: ctx.required("AssumeRolePolicyDocument")?.to_owned(),
        description: ctx.get("Description").map(str::to_owned),
        max_session_duration: ctx.get("MaxSessionDuration").map(str::to_owned),
        permissions_boundary: ctx.get("PermissionsBoundary").map(str::to_owned),
        tags: ctx.tags("Tags")?,
    };
    let role = ctx.identity.create_role(ctx.caller()?, input).await?;
    role_result(&role, Shape::Created)
}

pub async fn get_role(ctx: &Ctx<'_>) -> ApiResult {
    let role = ctx
        .identity
        .get_role(ctx.caller()?, ctx.required("RoleName")?)
        .await?;
    role_result(&role, Shape::Full)
}

pub async fn list_roles(ctx: &Ctx<'_>) -> ApiResult {
    let page = ctx
        .identity
        .list_roles(ctx.caller()?, ctx.get("PathPrefix"), page_request(ctx)?)
        .await?;
    let mut x = Xml::new();
    x.list("Roles", &page.items, |x, r| write_role(x, r, Shape::Listed));
    write_page_tail(&mut x, &page);
    Ok(Some(x.finish()))
}

pub async fn update_role(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .update_role(
            ctx.caller()?,
            "iam:UpdateRole",
            ctx.required("RoleName")?,
            ctx.get("Description"),
            ctx.get("MaxSessionDuration"),
        )
        .await?;
    // UpdateRole is the one IAM operation whose model has an empty output structure, so
    // botocore requires an (empty) `UpdateRoleResult` element.
    Ok(Some(String::new()))
}

pub async fn update_role_description(ctx: &Ctx<'_>) -> ApiResult {
    let role = ctx
        .identity
        .update_role(
            ctx.caller()?,
            "iam:UpdateRoleDescription",
            ctx.required("RoleName")?,
            Some(ctx.required("Description")?),
            None,
        )
        .await?;
    role_result(&role, Shape::Full)
}

pub async fn update_assume_role_policy(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .update_assume_role_policy(
            ctx.caller()?,
            ctx.required("RoleName")?,
            ctx.required("PolicyDocument")?,
        )
        .await?;
    Ok(None)
}

pub async fn delete_role(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .delete_role(ctx.caller()?, ctx.required("RoleName")?)
        .await?;
    Ok(None)
}
