//! Tag{Kind}, Untag{Kind} and List{Kind}Tags for every taggable IAM resource: one handler
//! per operation family, told which kind of resource the action names.

use hourglass_iam::Taggable;
use hourglass_store::{PageRequest, Tag};

use super::{page_request, write_tags};
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

pub async fn tag(ctx: &Ctx<'_>, kind: Taggable) -> ApiResult {
    let tags = ctx.tags("Tags")?;
    ctx.identity
        .tag_resource(ctx.caller()?, kind, ctx.required(kind.param())?, &tags)
        .await?;
    Ok(None)
}

pub async fn untag(ctx: &Ctx<'_>, kind: Taggable) -> ApiResult {
    let keys: Vec<String> = ctx
        .params
        .list("TagKeys")
        .into_iter()
        .map(str::to_owned)
        .collect();
    ctx.identity
        .untag_resource(ctx.caller()?, kind, ctx.required(kind.param())?, &keys)
        .await?;
    Ok(None)
}

pub async fn list(ctx: &Ctx<'_>, kind: Taggable) -> ApiResult {
    let request = page_request(ctx)?;
    let tags = ctx
        .identity
        .list_resource_tags(ctx.caller()?, kind, ctx.required(kind.param())?)
        .await?;
    Ok(Some(write_tag_page(&tags, &request)))
}

/// A provider's create answer: its ARN under `member`, and its tags when it has any.
pub(super) fn created_provider(member: &str, arn: &str, tags: &[Tag]) -> ApiResult {
    let mut x = Xml::new();
    x.text(member, arn);
    if !tags.is_empty() {
        write_tags(&mut x, "Tags", tags);
    }
    Ok(Some(x.finish()))
}

/// One page of `tags`. A resource has at most 50 tags, so the page is cut here rather than
/// in the store, and the marker is the index of the next tag.
fn write_tag_page(tags: &[Tag], request: &PageRequest) -> String {
    let std::ops::Range { start, end } = request.offset_window(tags.len());
    let mut x = Xml::new();
    write_tags(&mut x, "Tags", tags.get(start..end).unwrap_or_default());
    x.bool("IsTruncated", end < tags.len());
    if end < tags.len() {
        x.text("Marker", &end.to_string());
    }
    x.finish()
}
