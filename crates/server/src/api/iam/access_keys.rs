//! CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey, GetAccessKeyLastUsed.

use hourglass_iam::IamError;

use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

pub async fn create(ctx: &Ctx<'_>) -> ApiResult {
    let key = ctx
        .identity
        .create_access_key(ctx.caller()?, ctx.get("UserName"))
        .await?;
    let mut x = Xml::new();
    x.open("AccessKey")
        .text("UserName", &key.user_name)
        .text("AccessKeyId", &key.metadata.access_key_id)
        .text("Status", key.metadata.status.as_str())
        .text("SecretAccessKey", key.secret.expose())
        .date("CreateDate", &key.metadata.create_date)
        .close("AccessKey");
    Ok(Some(x.finish()))
}

pub async fn list(ctx: &Ctx<'_>) -> ApiResult {
    let request = super::page_request(ctx)?;
    let keys = ctx
        .identity
        .list_access_keys(ctx.caller()?, ctx.get("UserName"))
        .await?;
    // At most two keys per owner: the marker is simply the index of the next key.
    let start = match request.marker.as_deref() {
        Some(m) => m
            .parse::<usize>()
            .map_err(|_| IamError::InvalidInput(format!("Invalid Marker: {m}")))?,
        None => 0,
    }
    .min(keys.len());
    let end = (start + request.max_items as usize).min(keys.len());
    let mut x = Xml::new();
    x.list("AccessKeyMetadata", &keys[start..end], |x, k| {
        x.text("UserName", &k.user_name)
            .text("AccessKeyId", &k.metadata.access_key_id)
            .text("Status", k.metadata.status.as_str())
            .date("CreateDate", &k.metadata.create_date);
    });
    x.bool("IsTruncated", end < keys.len());
    if end < keys.len() {
        x.text("Marker", &end.to_string());
    }
    Ok(Some(x.finish()))
}

pub async fn update(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .update_access_key(
            ctx.caller()?,
            ctx.get("UserName"),
            ctx.required("AccessKeyId")?,
            ctx.required("Status")?,
        )
        .await?;
    Ok(None)
}

pub async fn delete(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .delete_access_key(
            ctx.caller()?,
            ctx.get("UserName"),
            ctx.required("AccessKeyId")?,
        )
        .await?;
    Ok(None)
}

pub async fn last_used(ctx: &Ctx<'_>) -> ApiResult {
    let view = ctx
        .identity
        .get_access_key_last_used(ctx.caller()?, ctx.required("AccessKeyId")?)
        .await?;
    let mut x = Xml::new();
    x.text("UserName", &view.user_name)
        .open("AccessKeyLastUsed");
    match &view.metadata.last_used {
        Some(u) => {
            x.date("LastUsedDate", &u.date)
                .text("ServiceName", &u.service)
                .text("Region", &u.region);
        }
        None => {
            x.text("ServiceName", "N/A").text("Region", "N/A");
        }
    }
    x.close("AccessKeyLastUsed");
    Ok(Some(x.finish()))
}
