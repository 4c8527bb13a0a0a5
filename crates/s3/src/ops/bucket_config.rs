//! Bucket sub-resources kept as JSON documents in the store (CORS, lifecycle, public access
//! block): the authorization, loading and storing their Put/Get/Delete operations share.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Ctx, meta_err, no_content};
use crate::authz::{Conditions, bucket_arn};
use crate::errors::{S3Error, S3Result};
use crate::{Response, S3Service};

/// Authorizes `action` on the bucket itself (a missing bucket is reported only to callers
/// allowed to act on it, as for every bucket operation).
pub(crate) async fn authorize(ctx: &Ctx<'_>, bucket: &str, action: &str) -> S3Result<()> {
    ctx.bucket_for(bucket, action, &bucket_arn(bucket), &Conditions::default())
        .await
        .map(|_| ())
}

/// The stored document `doc` of `bucket`, decoded; `what` names it in the internal error a
/// corrupt document gives.
pub(crate) async fn load<T: DeserializeOwned>(
    svc: &S3Service,
    bucket: &str,
    doc: &'static str,
    what: &str,
) -> S3Result<Option<T>> {
    match svc
        .buckets
        .bucket_config(&svc.meta, bucket, doc)
        .await
        .map_err(meta_err)?
    {
        Some(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| S3Error::internal(format!("stored {what}: {e}"))),
        None => Ok(None),
    }
}

/// Stores (or, with `None`, removes) the document `doc` of `bucket`.
pub(crate) async fn save<T: Serialize>(
    svc: &S3Service,
    bucket: &str,
    doc: &str,
    value: Option<&T>,
) -> S3Result<()> {
    let json = value
        .map(serde_json::to_string)
        .transpose()
        .map_err(S3Error::internal)?;
    svc.meta
        .set_bucket_config(bucket, doc, json.as_deref())
        .await
        .map_err(meta_err)
}

/// A Put… of a document: authorizes `action`, reads the body within `limit`, and stores
/// what `parse` makes of it (a body it refuses stores nothing).
pub(crate) async fn put<T: Serialize>(
    ctx: &mut Ctx<'_>,
    action: &str,
    doc: &str,
    limit: u64,
    parse: fn(&[u8]) -> S3Result<T>,
) -> S3Result<Response> {
    let name = ctx.bucket_name().to_string();
    authorize(ctx, &name, action).await?;
    let body = ctx.xml_body(limit).await?;
    let parsed = parse(&body)?;
    save(ctx.svc, &name, doc, Some(&parsed)).await?;
    Ok(no_content(200))
}

/// A Delete… of a document, authorized by `action` (AWS checks the Put… action).
pub(crate) async fn delete(ctx: &Ctx<'_>, action: &str, doc: &str) -> S3Result<Response> {
    let name = ctx.bucket_name();
    authorize(ctx, name, action).await?;
    save::<()>(ctx.svc, name, doc, None).await?;
    Ok(no_content(204))
}
