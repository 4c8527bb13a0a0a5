//! GetObjectAttributes: what HeadObject tells, chosen by `x-amz-object-attributes`, plus the
//! parts of a multipart object, in one XML document.

use super::{Ctx, http_date, set_header, versions, xml_ok};
use crate::Response;
use crate::authz::{Conditions, object_arn};
use crate::checksum::ChecksumType;
use crate::errors::{S3Error, S3Result};
use crate::xml::Writer;

/// The attribute names AWS accepts.
const ATTRIBUTES: [&str; 5] = [
    "ETag",
    "Checksum",
    "ObjectParts",
    "StorageClass",
    "ObjectSize",
];

/// Most parts one answer lists (and the default of `x-amz-max-parts`).
const MAX_PARTS: usize = 1000;

fn requested(ctx: &Ctx<'_>) -> S3Result<Vec<&'static str>> {
    let invalid = || S3Error::invalid_argument("Invalid attribute name specified.");
    // The header may be repeated or comma-separated; both arrive here.
    let mut out = Vec::new();
    for value in ctx.headers.get_all("x-amz-object-attributes") {
        let text = value.to_str().map_err(|_| invalid())?;
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let known = ATTRIBUTES
                .iter()
                .find(|a| **a == name)
                .ok_or_else(invalid)?;
            if !out.contains(known) {
                out.push(*known);
            }
        }
    }
    if out.is_empty() {
        return Err(S3Error::invalid_request(
            "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty",
        ));
    }
    Ok(out)
}

fn header_number(ctx: &Ctx<'_>, name: &str, what: &str) -> S3Result<Option<usize>> {
    match ctx.header(name) {
        None => Ok(None),
        Some(v) => v.trim().parse::<usize>().map(Some).map_err(|_| {
            S3Error::invalid_argument(format!(
                "Provided {what} not an integer or within integer range"
            ))
        }),
    }
}

pub async fn get(ctx: &Ctx<'_>) -> S3Result<Response> {
    let wanted = requested(ctx)?;
    let max_parts = header_number(ctx, "x-amz-max-parts", "max-parts")?
        .unwrap_or(MAX_PARTS)
        .min(MAX_PARTS);
    let marker = header_number(ctx, "x-amz-part-number-marker", "part-number-marker")?.unwrap_or(0);
    let version = versions::requested(ctx)?;
    let (name, key) = (ctx.bucket_name(), ctx.key());
    let (o, b) = versions::load(
        ctx,
        name,
        key,
        version.as_deref(),
        "s3:GetObjectAttributes",
        Conditions::default(),
    )
    .await?;
    // AWS requires read access to the object as well as to its attributes.
    let mut cond = Conditions::default();
    cond.existing_tags(&o.tags);
    cond.object_acl = o.acl.clone();
    if let Some(v) = &version {
        cond.set("s3:VersionId", v.clone());
    }
    ctx.authorize(
        &versions::versioned_action("s3:GetObject", version.as_deref()),
        &object_arn(name, key),
        Some(&b),
        &cond,
    )
    .await?;

    let mut w = Writer::new("GetObjectAttributesOutput");
    for attr in &wanted {
        match *attr {
            // Unquoted here, unlike every other ETag S3 sends.
            "ETag" => {
                w.elem("ETag", o.etag.trim_matches('"'));
            }
            "Checksum" => {
                if let Some(c) = &o.checksum {
                    w.open("Checksum")
                        .elem(&format!("Checksum{}", c.algorithm), &c.value)
                        .elem("ChecksumType", ChecksumType::of(c).name())
                        .close("Checksum");
                }
            }
            "ObjectParts" if !o.parts.is_empty() => {
                let total = o.parts.len();
                let page: Vec<(usize, u64)> = o
                    .parts
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (i + 1, *s))
                    .filter(|(n, _)| *n > marker)
                    .take(max_parts)
                    .collect();
                let truncated = page.last().is_some_and(|(n, _)| *n < total);
                w.open("ObjectParts")
                    .elem("PartsCount", &total.to_string())
                    .elem("PartNumberMarker", &marker.to_string());
                if let Some((n, _)) = page.last() {
                    w.elem("NextPartNumberMarker", &n.to_string());
                }
                w.elem("MaxParts", &max_parts.to_string())
                    .elem("IsTruncated", if truncated { "true" } else { "false" });
                // AWS lists the parts only of objects uploaded with a checksum.
                for (n, size) in page.iter().filter(|_| o.checksum.is_some()) {
                    w.open("Part")
                        .elem("PartNumber", &n.to_string())
                        .elem("Size", &size.to_string())
                        .close("Part");
                }
                w.close("ObjectParts");
            }
            "StorageClass" => {
                w.elem(
                    "StorageClass",
                    o.headers.storage_class.as_deref().unwrap_or("STANDARD"),
                );
            }
            "ObjectSize" => {
                w.elem("ObjectSize", &o.size.to_string());
            }
            _ => {}
        }
    }
    let mut r = xml_ok(w.finish("GetObjectAttributesOutput"));
    set_header(&mut r, "last-modified", &http_date(o.modified));
    versions::version_header(&mut r, versions::header_for(&b, &o).as_deref());
    Ok(r)
}
