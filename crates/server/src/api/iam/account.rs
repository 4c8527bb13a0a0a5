//! GetAccountSummary and GetAccountAuthorizationDetails.

use hourglass_store::{AttachedPolicy, InlinePolicy};

use super::policies::{Shape, write_policy, write_version};
use super::{page_request, write_tags};
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

pub async fn get_account_summary(ctx: &Ctx<'_>) -> ApiResult {
    let entries = ctx.identity.account_summary(ctx.caller()?).await?;
    let mut x = Xml::new();
    x.open("SummaryMap");
    for (key, value) in &entries {
        x.open("entry")
            .text("key", key)
            .num("value", value)
            .close("entry");
    }
    x.close("SummaryMap");
    Ok(Some(x.finish()))
}

fn write_inline(x: &mut Xml, name: &str, policies: &[InlinePolicy]) {
    x.list(name, policies, |x, p| {
        x.text("PolicyName", &p.name)
            .policy_document("PolicyDocument", &p.document);
    });
}

fn write_attached(x: &mut Xml, policies: &[AttachedPolicy]) {
    x.list("AttachedManagedPolicies", policies, |x, p| {
        x.text("PolicyName", &p.policy_name)
            .text("PolicyArn", &p.policy_arn);
    });
}

fn write_boundary(x: &mut Xml, boundary: Option<&str>) {
    if let Some(b) = boundary {
        x.open("PermissionsBoundary")
            .text("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
            .text("PermissionsBoundaryArn", b)
            .close("PermissionsBoundary");
    }
}

pub async fn get_account_authorization_details(ctx: &Ctx<'_>) -> ApiResult {
    let filter = ctx.params.list("Filter");
    let details = ctx
        .identity
        .account_authorization_details(ctx.caller()?, &filter, page_request(ctx)?)
        .await?;
    let mut x = Xml::new();
    x.list("UserDetailList", &details.users, |x, d| {
        let u = &d.user;
        x.text("Path", &u.path)
            .text("UserName", &u.name)
            .text("UserId", &u.user_id)
            .text("Arn", &u.arn)
            .date("CreateDate", &u.create_date);
        write_inline(x, "UserPolicyList", &d.inline);
        x.open("GroupList");
        for g in &d.groups {
            x.text("member", g);
        }
        x.close("GroupList");
        write_attached(x, &d.attached);
        write_boundary(x, u.permissions_boundary.as_deref());
        write_tags(x, "Tags", &u.tags);
    });
    x.list("GroupDetailList", &details.groups, |x, d| {
        let g = &d.group;
        x.text("Path", &g.path)
            .text("GroupName", &g.name)
            .text("GroupId", &g.group_id)
            .text("Arn", &g.arn)
            .date("CreateDate", &g.create_date);
        write_inline(x, "GroupPolicyList", &d.inline);
        write_attached(x, &d.attached);
    });
    x.list("RoleDetailList", &details.roles, |x, d| {
        let r = &d.role;
        x.text("Path", &r.path)
            .text("RoleName", &r.name)
            .text("RoleId", &r.role_id)
            .text("Arn", &r.arn)
            .date("CreateDate", &r.create_date)
            .policy_document("AssumeRolePolicyDocument", &r.assume_role_policy_document);
        x.list(
            "InstanceProfileList",
            &d.instance_profiles,
            super::instance_profiles::write_profile,
        );
        write_inline(x, "RolePolicyList", &d.inline);
        write_attached(x, &d.attached);
        write_boundary(x, r.permissions_boundary.as_deref());
        write_tags(x, "Tags", &r.tags);
        x.open("RoleLastUsed");
        if let Some(u) = &r.last_used {
            x.date("LastUsedDate", &u.date).text("Region", &u.region);
        }
        x.close("RoleLastUsed");
    });
    x.list("Policies", &details.policies, |x, d| {
        write_policy(x, &d.policy, Shape::Full);
        x.list("PolicyVersionList", &d.versions, |x, v| {
            write_version(x, v, true);
        });
    });
    x.bool("IsTruncated", details.next_marker.is_some());
    x.opt_text("Marker", details.next_marker.as_deref());
    Ok(Some(x.finish()))
}
