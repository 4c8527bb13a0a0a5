//! IAM operations.

mod access_keys;
mod account;
mod attachments;
mod groups;
mod inline_policies;
mod policies;
mod roles;
mod users;

use hourglass_store::{EntityKind, Page, PageRequest, Tag};

use crate::api::{ApiError, ApiResult, Ctx};
use crate::query::QueryError;
use crate::query::xml::Xml;

pub const ACTIONS: &[&str] = &[
    "CreateUser",
    "GetUser",
    "ListUsers",
    "UpdateUser",
    "DeleteUser",
    "TagUser",
    "UntagUser",
    "ListUserTags",
    "CreateAccessKey",
    "ListAccessKeys",
    "UpdateAccessKey",
    "DeleteAccessKey",
    "GetAccessKeyLastUsed",
    "CreateRole",
    "GetRole",
    "ListRoles",
    "UpdateRole",
    "UpdateRoleDescription",
    "UpdateAssumeRolePolicy",
    "DeleteRole",
    "TagRole",
    "UntagRole",
    "ListRoleTags",
    "CreatePolicy",
    "GetPolicy",
    "ListPolicies",
    "DeletePolicy",
    "CreatePolicyVersion",
    "GetPolicyVersion",
    "ListPolicyVersions",
    "SetDefaultPolicyVersion",
    "DeletePolicyVersion",
    "TagPolicy",
    "UntagPolicy",
    "ListPolicyTags",
    "ListEntitiesForPolicy",
    "AttachUserPolicy",
    "AttachRolePolicy",
    "AttachGroupPolicy",
    "DetachUserPolicy",
    "DetachRolePolicy",
    "DetachGroupPolicy",
    "ListAttachedUserPolicies",
    "ListAttachedRolePolicies",
    "ListAttachedGroupPolicies",
    "PutUserPolicy",
    "PutRolePolicy",
    "PutGroupPolicy",
    "GetUserPolicy",
    "GetRolePolicy",
    "GetGroupPolicy",
    "DeleteUserPolicy",
    "DeleteRolePolicy",
    "DeleteGroupPolicy",
    "ListUserPolicies",
    "ListRolePolicies",
    "ListGroupPolicies",
    "PutUserPermissionsBoundary",
    "PutRolePermissionsBoundary",
    "DeleteUserPermissionsBoundary",
    "DeleteRolePermissionsBoundary",
    "CreateGroup",
    "GetGroup",
    "ListGroups",
    "ListGroupsForUser",
    "AddUserToGroup",
    "RemoveUserFromGroup",
    "UpdateGroup",
    "DeleteGroup",
    "GetAccountSummary",
    "GetAccountAuthorizationDetails",
];

pub async fn dispatch(ctx: &Ctx<'_>) -> ApiResult {
    match ctx.action {
        "CreateUser" => users::create_user(ctx).await,
        "GetUser" => users::get_user(ctx).await,
        "ListUsers" => users::list_users(ctx).await,
        "UpdateUser" => users::update_user(ctx).await,
        "DeleteUser" => users::delete_user(ctx).await,
        "TagUser" => users::tag_user(ctx).await,
        "UntagUser" => users::untag_user(ctx).await,
        "ListUserTags" => users::list_user_tags(ctx).await,
        "CreateAccessKey" => access_keys::create(ctx).await,
        "ListAccessKeys" => access_keys::list(ctx).await,
        "UpdateAccessKey" => access_keys::update(ctx).await,
        "DeleteAccessKey" => access_keys::delete(ctx).await,
        "GetAccessKeyLastUsed" => access_keys::last_used(ctx).await,
        "CreateRole" => roles::create_role(ctx).await,
        "GetRole" => roles::get_role(ctx).await,
        "ListRoles" => roles::list_roles(ctx).await,
        "UpdateRole" => roles::update_role(ctx).await,
        "UpdateRoleDescription" => roles::update_role_description(ctx).await,
        "UpdateAssumeRolePolicy" => roles::update_assume_role_policy(ctx).await,
        "DeleteRole" => roles::delete_role(ctx).await,
        "TagRole" => roles::tag_role(ctx).await,
        "UntagRole" => roles::untag_role(ctx).await,
        "ListRoleTags" => roles::list_role_tags(ctx).await,
        "CreatePolicy" => policies::create_policy(ctx).await,
        "GetPolicy" => policies::get_policy(ctx).await,
        "ListPolicies" => policies::list_policies(ctx).await,
        "DeletePolicy" => policies::delete_policy(ctx).await,
        "CreatePolicyVersion" => policies::create_policy_version(ctx).await,
        "GetPolicyVersion" => policies::get_policy_version(ctx).await,
        "ListPolicyVersions" => policies::list_policy_versions(ctx).await,
        "SetDefaultPolicyVersion" => policies::set_default_policy_version(ctx).await,
        "DeletePolicyVersion" => policies::delete_policy_version(ctx).await,
        "TagPolicy" => policies::tag_policy(ctx).await,
        "UntagPolicy" => policies::untag_policy(ctx).await,
        "ListPolicyTags" => policies::list_policy_tags(ctx).await,
        "ListEntitiesForPolicy" => policies::list_entities_for_policy(ctx).await,
        "AttachUserPolicy" => attachments::attach(ctx, EntityKind::User).await,
        "AttachRolePolicy" => attachments::attach(ctx, EntityKind::Role).await,
        "AttachGroupPolicy" => attachments::attach(ctx, EntityKind::Group).await,
        "DetachUserPolicy" => attachments::detach(ctx, EntityKind::User).await,
        "DetachRolePolicy" => attachments::detach(ctx, EntityKind::Role).await,
        "DetachGroupPolicy" => attachments::detach(ctx, EntityKind::Group).await,
        "ListAttachedUserPolicies" => attachments::list_attached(ctx, EntityKind::User).await,
        "ListAttachedRolePolicies" => attachments::list_attached(ctx, EntityKind::Role).await,
        "ListAttachedGroupPolicies" => attachments::list_attached(ctx, EntityKind::Group).await,
        "PutUserPolicy" => inline_policies::put(ctx, EntityKind::User).await,
        "PutRolePolicy" => inline_policies::put(ctx, EntityKind::Role).await,
        "PutGroupPolicy" => inline_policies::put(ctx, EntityKind::Group).await,
        "GetUserPolicy" => inline_policies::get(ctx, EntityKind::User).await,
        "GetRolePolicy" => inline_policies::get(ctx, EntityKind::Role).await,
        "GetGroupPolicy" => inline_policies::get(ctx, EntityKind::Group).await,
        "DeleteUserPolicy" => inline_policies::delete(ctx, EntityKind::User).await,
        "DeleteRolePolicy" => inline_policies::delete(ctx, EntityKind::Role).await,
        "DeleteGroupPolicy" => inline_policies::delete(ctx, EntityKind::Group).await,
        "ListUserPolicies" => inline_policies::list(ctx, EntityKind::User).await,
        "ListRolePolicies" => inline_policies::list(ctx, EntityKind::Role).await,
        "ListGroupPolicies" => inline_policies::list(ctx, EntityKind::Group).await,
        "PutUserPermissionsBoundary" => attachments::put_boundary(ctx, EntityKind::User).await,
        "PutRolePermissionsBoundary" => attachments::put_boundary(ctx, EntityKind::Role).await,
        "DeleteUserPermissionsBoundary" => {
            attachments::delete_boundary(ctx, EntityKind::User).await
        }
        "DeleteRolePermissionsBoundary" => {
            attachments::delete_boundary(ctx, EntityKind::Role).await
        }
        "CreateGroup" => groups::create_group(ctx).await,
        "GetGroup" => groups::get_group(ctx).await,
        "ListGroups" => groups::list_groups(ctx).await,
        "ListGroupsForUser" => groups::list_groups_for_user(ctx).await,
        "AddUserToGroup" => groups::add_user_to_group(ctx).await,
        "RemoveUserFromGroup" => groups::remove_user_from_group(ctx).await,
        "UpdateGroup" => groups::update_group(ctx).await,
        "DeleteGroup" => groups::delete_group(ctx).await,
        "GetAccountSummary" => account::get_account_summary(ctx).await,
        "GetAccountAuthorizationDetails" => account::get_account_authorization_details(ctx).await,
        other => Err(QueryError::InvalidAction {
            action: other.to_owned(),
            version: ctx.service.version().to_owned(),
        }
        .into()),
    }
}

/// `Marker` and `MaxItems` of a list call.
pub(crate) fn page_request(ctx: &Ctx<'_>) -> Result<PageRequest, ApiError> {
    let max_items = hourglass_iam::validate::max_items(ctx.get("MaxItems"))?;
    let marker = hourglass_iam::validate::marker(ctx.get("Marker"))?;
    Ok(PageRequest {
        marker: marker.map(str::to_owned),
        max_items: u32::try_from(max_items).unwrap_or(1000),
    })
}

/// `IsTruncated` and, when truncated, `Marker`.
pub(crate) fn write_page_tail<T>(x: &mut Xml, page: &Page<T>) {
    x.bool("IsTruncated", page.is_truncated());
    x.opt_text("Marker", page.next_marker.as_deref());
}

pub(crate) fn write_tags(x: &mut Xml, name: &str, tags: &[Tag]) {
    x.list(name, tags, |x, t| {
        x.text("Key", &t.key).text("Value", &t.value);
    });
}
