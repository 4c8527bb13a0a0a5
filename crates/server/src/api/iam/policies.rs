//! CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, the policy version operations,
//! ListEntitiesForPolicy (the tag calls: [`super::tags`]).

use hourglass_iam::policies::{CreatePolicy, ListPolicies};
use hourglass_store::{EntityKind, ManagedPolicy, PolicyEntity, PolicyVersion};

use super::{page_request, write_page_tail, write_tags};
use crate::api::{ApiError, ApiResult, Ctx};
use crate::query::xml::Xml;

/// Which members of the `Policy` shape an operation returns.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// GetPolicy: with `Description` and tags.
    Full,
    /// CreatePolicy: tags but no `Description`, as AWS answers.
    Created,
    /// ListPolicies: neither.
    Listed,
}

pub(super) fn write_policy(x: &mut Xml, p: &ManagedPolicy, shape: Shape) {
    x.text("PolicyName", &p.name)
        .text("PolicyId", &p.policy_id)
        .text("Arn", &p.arn)
        .text("Path", &p.path)
        .text("DefaultVersionId", &p.default_version_id)
        .num("AttachmentCount", p.attachment_count)
        .num(
            "PermissionsBoundaryUsageCount",
            p.permissions_boundary_usage_count,
        )
        .bool("IsAttachable", p.is_attachable);
    if shape == Shape::Full {
        x.opt_text("Description", p.description.as_deref());
    }
    x.date("CreateDate", &p.create_date)
        .date("UpdateDate", &p.update_date);
    if shape != Shape::Listed && !p.tags.is_empty() {
        write_tags(x, "Tags", &p.tags);
    }
}

/// The `PolicyVersion` shape; `Document` only where AWS returns it.
pub(super) fn write_version(x: &mut Xml, v: &PolicyVersion, with_document: bool) {
    if with_document {
        x.policy_document("Document", &v.document);
    }
    x.text("VersionId", &v.version_id)
        .bool("IsDefaultVersion", v.is_default)
        .date("CreateDate", &v.create_date);
}

fn policy_result(p: &ManagedPolicy, shape: Shape) -> ApiResult {
    let mut x = Xml::new();
    x.open("Policy");
    write_policy(&mut x, p, shape);
    x.close("Policy");
    Ok(Some(x.finish()))
}

fn bool_param(ctx: &Ctx<'_>, name: &str) -> Result<bool, ApiError> {
    Ok(hourglass_iam::validate::boolean(ctx.get(name), name)?)
}

pub async fn create_policy(ctx: &Ctx<'_>) -> ApiResult {
    let input = CreatePolicy {
        name: ctx.required("PolicyName")?.to_owned(),
        path: ctx.get("Path").map(str::to_owned),
        document: ctx.required("PolicyDocument")?.to_owned(),
        description: ctx.get("Description").map(str::to_owned),
        tags: ctx.tags("Tags")?,
    };
    let policy = ctx.identity.create_policy(ctx.caller()?, input).await?;
    policy_result(&policy, Shape::Created)
}

pub async fn get_policy(ctx: &Ctx<'_>) -> ApiResult {
    let policy = ctx
        .identity
        .get_policy(ctx.caller()?, ctx.required("PolicyArn")?)
        .await?;
    policy_result(&policy, Shape::Full)
}

pub async fn list_policies(ctx: &Ctx<'_>) -> ApiResult {
    let input = ListPolicies {
        scope: ctx.get("Scope").map(str::to_owned),
        only_attached: bool_param(ctx, "OnlyAttached")?,
        path_prefix: ctx.get("PathPrefix").map(str::to_owned),
        usage: ctx.get("PolicyUsageFilter").map(str::to_owned),
    };
    let page = ctx
        .identity
        .list_policies(ctx.caller()?, input, page_request(ctx)?)
        .await?;
    let mut x = Xml::new();
    x.list("Policies", &page.items, |x, p| {
        write_policy(x, p, Shape::Listed)
    });
    write_page_tail(&mut x, &page);
    Ok(Some(x.finish()))
}

pub async fn delete_policy(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .delete_policy(ctx.caller()?, ctx.required("PolicyArn")?)
        .await?;
    Ok(None)
}

pub async fn create_policy_version(ctx: &Ctx<'_>) -> ApiResult {
    let version = ctx
        .identity
        .create_policy_version(
            ctx.caller()?,
            ctx.required("PolicyArn")?,
            ctx.required("PolicyDocument")?,
            bool_param(ctx, "SetAsDefault")?,
        )
        .await?;
    let mut x = Xml::new();
    x.open("PolicyVersion");
    write_version(&mut x, &version, false);
    x.close("PolicyVersion");
    Ok(Some(x.finish()))
}

pub async fn get_policy_version(ctx: &Ctx<'_>) -> ApiResult {
    let version = ctx
        .identity
        .get_policy_version(
            ctx.caller()?,
            ctx.required("PolicyArn")?,
            ctx.required("VersionId")?,
        )
        .await?;
    let mut x = Xml::new();
    x.open("PolicyVersion");
    write_version(&mut x, &version, true);
    x.close("PolicyVersion");
    Ok(Some(x.finish()))
}

pub async fn list_policy_versions(ctx: &Ctx<'_>) -> ApiResult {
    let page = ctx
        .identity
        .list_policy_versions(
            ctx.caller()?,
            ctx.required("PolicyArn")?,
            page_request(ctx)?,
        )
        .await?;
    let mut x = Xml::new();
    x.list("Versions", &page.items, |x, v| write_version(x, v, false));
    write_page_tail(&mut x, &page);
    Ok(Some(x.finish()))
}

pub async fn set_default_policy_version(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .set_default_policy_version(
            ctx.caller()?,
            ctx.required("PolicyArn")?,
            ctx.required("VersionId")?,
        )
        .await?;
    Ok(None)
}

pub async fn delete_policy_version(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .delete_policy_version(
            ctx.caller()?,
            ctx.required("PolicyArn")?,
            ctx.required("VersionId")?,
        )
        .await?;
    Ok(None)
}

pub async fn list_entities_for_policy(ctx: &Ctx<'_>) -> ApiResult {
    let page = ctx
        .identity
        .list_entities_for_policy(
            ctx.caller()?,
            ctx.required("PolicyArn")?,
            ctx.get("EntityFilter"),
            ctx.get("PathPrefix"),
            ctx.get("PolicyUsageFilter"),
            page_request(ctx)?,
        )
        .await?;
    let of = |kind: EntityKind| -> Vec<&PolicyEntity> {
        page.items.iter().filter(|e| e.kind == kind).collect()
    };
    let mut x = Xml::new();
    x.list("PolicyGroups", &of(EntityKind::Group), |x, e| {
        x.text("GroupName", &e.name).text("GroupId", &e.id);
    });
    x.list("PolicyUsers", &of(EntityKind::User), |x, e| {
        x.text("UserName", &e.name).text("UserId", &e.id);
    });
    x.list("PolicyRoles", &of(EntityKind::Role), |x, e| {
        x.text("RoleName", &e.name).text("RoleId", &e.id);
    });
    write_page_tail(&mut x, &page);
    Ok(Some(x.finish()))
}
