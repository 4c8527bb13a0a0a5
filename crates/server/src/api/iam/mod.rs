//! IAM operations.

mod access_keys;
mod users;

use hourglass_store::{Page, PageRequest, Tag};

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
