//! GetAccountSummary and GetAccountAuthorizationDetails.

use hourglass_store::{AttachedPolicy, InlinePolicy};

use super::groups::write_group;
use super::policies::{Shape, write_policy, write_version};
use super::roles::{write_last_used, write_role_head};
use super::users::write_user;
use super::{page_request, write_boundary, write_tags};
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

pub async fn get_account_authorization_details(ctx: &Ctx<'_>) -> ApiResult {
    let filter = ctx.params.list("Filter");
    let details = ctx
        .identity
        .account_authorization_details(ctx.caller()?, &filter, page_request(ctx)?)
        .await?;
    let mut x = Xml::new();
    x.list("UserDetailList", &details.users, |x, d| {
        let u = &d.user;
        write_user(x, u, false);
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
        write_group(x, &d.group);
        write_inline(x, "GroupPolicyList", &d.inline);
        write_attached(x, &d.attached);
    });
    x.list("RoleDetailList", &details.roles, |x, d| {
        let r = &d.role;
        write_role_head(x, r);
        x.list(
            "InstanceProfileList",
            &d.instance_profiles,
            super::instance_profiles::write_profile,
        );
        write_inline(x, "RolePolicyList", &d.inline);
        write_attached(x, &d.attached);
        write_boundary(x, r.permissions_boundary.as_deref());
        write_tags(x, "Tags", &r.tags);
        write_last_used(x, r);
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
