//! Bucket and object tagging, and the tag rules S3 applies to both.

use super::{Ctx, meta_err, no_content, xml_ok};
use crate::Response;
use crate::authz::Conditions;
use crate::errors::{S3Error, S3Result};
use crate::meta::Tag;
use crate::xml::{self, Writer};

fn invalid_tag(message: &str) -> S3Error {
    S3Error::new(400, "InvalidTag", message)
}

/// AWS limits: keys 1–128 and values 0–256 characters, unique keys, at most `max` tags.
pub fn validate_tags(tags: &[Tag], max: usize) -> S3Result<()> {
    if tags.len() > max {
        return Err(S3Error::new(
            400,
            "BadRequest",
            "Object tags cannot be greater than 10",
        ));
    }
    for (i, t) in tags.iter().enumerate() {
        let klen = t.key.chars().count();
        if klen == 0 || klen > 128 {
            return Err(invalid_tag("The TagKey you have provided is invalid"));
        }
        if t.value.chars().count() > 256 {
            return Err(invalid_tag("The TagValue you have provided is invalid"));
        }
        if t.key.starts_with("aws:") {
            return Err(invalid_tag(
                "System tags cannot be added/updated by requester",
            ));
        }
        if tags[..i].iter().any(|o| o.key == t.key) {
            return Err(invalid_tag(
                "Cannot provide multiple Tags with the same key",
            ));
        }
    }
    Ok(())
}

/// `x-amz-tagging: k1=v1&k2=v2` (URL query encoding).
pub fn parse_tagging_header(v: &str) -> S3Result<Vec<Tag>> {
    let tags: Vec<Tag> = form_urlencoded::parse(v.as_bytes())
        .map(|(k, v)| Tag {
            key: k.into_owned(),
            value: v.into_owned(),
        })
        .collect();
    validate_tags(&tags, 10)?;
    Ok(tags)
}

pub(crate) fn parse_tagging_xml(body: &[u8], max: usize) -> S3Result<Vec<Tag>> {
    let doc = xml::parse_document(body, "Tagging")?;
    let set = doc.child("TagSet").ok_or_else(S3Error::malformed_xml)?;
    let mut tags = Vec::new();
    for t in set.children_named("Tag") {
        tags.push(Tag {
            key: t
                .child_text("Key")
                .ok_or_else(S3Error::malformed_xml)?
                .to_string(),
            value: t.child_text("Value").unwrap_or("").to_string(),
        });
    }
    validate_tags(&tags, max)?;
    Ok(tags)
}

fn tagging_xml(tags: &[Tag]) -> String {
    let mut w = Writer::new("Tagging");
    w.open("TagSet");
    for t in tags {
        w.open("Tag")
            .elem("Key", &t.key)
            .elem("Value", &t.value)
            .close("Tag");
    }
    w.close("TagSet");
    w.finish("Tagging")
}

pub async fn get_bucket(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name();
    let b = ctx.bucket_op(name, "s3:GetBucketTagging").await?;
    match b.tags {
        Some(t) if !t.is_empty() => Ok(xml_ok(tagging_xml(&t))),
        _ => Err(
            S3Error::new(404, "NoSuchTagSet", "The TagSet does not exist").with("BucketName", name),
        ),
    }
}

pub async fn put_bucket(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name().to_string();
    ctx.bucket_op(&name, "s3:PutBucketTagging").await?;
    let body = ctx.xml_body(super::body_limits::TAGGING).await?;
    let tags = parse_tagging_xml(&body, 50)?;
    ctx.svc
        .meta
        .set_bucket_tags(&name, Some(&tags))
        .await
        .map_err(meta_err)?;
    Ok(no_content(204))
}

pub async fn delete_bucket(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name();
    ctx.bucket_op(name, "s3:PutBucketTagging").await?;
    ctx.svc
        .meta
        .set_bucket_tags(name, None)
        .await
        .map_err(meta_err)?;
    Ok(no_content(204))
}

/// Loads bucket and object, authorizing `action` with the object's existing tags as
/// condition keys; a missing object is NoSuchKey.
async fn object_for(
    ctx: &Ctx<'_>,
    action: &str,
    extra: Conditions,
) -> S3Result<(crate::meta::Object, Option<String>)> {
    let version = super::versions::requested(ctx)?;
    let (o, b) = super::versions::load(
        ctx,
        ctx.bucket_name(),
        ctx.key(),
        version.as_deref(),
        action,
        extra,
    )
    .await?;
    let header = super::versions::header_for(&b, &o);
    Ok((o, header))
}

pub async fn get_object(ctx: &Ctx<'_>) -> S3Result<Response> {
    let (o, version) = object_for(ctx, "s3:GetObjectTagging", Conditions::default()).await?;
    let mut r = xml_ok(tagging_xml(&o.tags));
    super::versions::version_header(&mut r, version.as_deref());
    Ok(r)
}

pub async fn put_object(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    let body = ctx.xml_body(super::body_limits::TAGGING).await?;
    let tags = parse_tagging_xml(&body, 10)?;
    let mut cond = Conditions::default();
    cond.request_tags(&tags);
    let (o, version) = object_for(ctx, "s3:PutObjectTagging", cond).await?;
    if !ctx
        .svc
        .meta
        .set_object_tags(ctx.bucket_name(), ctx.key(), Some(&o.version_id), &tags)
        .await
        .map_err(meta_err)?
    {
        return Err(S3Error::no_such_key(ctx.key()));
    }
    let mut r = no_content(200);
    super::versions::version_header(&mut r, version.as_deref());
    Ok(r)
}

pub async fn delete_object(ctx: &Ctx<'_>) -> S3Result<Response> {
    let (o, version) = object_for(ctx, "s3:DeleteObjectTagging", Conditions::default()).await?;
    ctx.svc
        .meta
        .set_object_tags(ctx.bucket_name(), ctx.key(), Some(&o.version_id), &[])
        .await
        .map_err(meta_err)?;
    let mut r = no_content(204);
    super::versions::version_header(&mut r, version.as_deref());
    Ok(r)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tag_rules() {
        assert_eq!(parse_tagging_header("a=1&b=x%20y").unwrap()[1].value, "x y");
        assert_eq!(
            parse_tagging_header("a=1&a=2").unwrap_err().code,
            "InvalidTag"
        );
        let many: Vec<String> = (0..11).map(|i| format!("k{i}=v")).collect();
        assert_eq!(
            parse_tagging_header(&many.join("&")).unwrap_err().code,
            "BadRequest"
        );
        let t = parse_tagging_xml(
            b"<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>",
            10,
        )
        .unwrap();
        assert_eq!(
            t,
            vec![Tag {
                key: "k".into(),
                value: "v".into()
            }]
        );
    }
}
