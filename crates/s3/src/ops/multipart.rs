//! Multipart uploads: create, upload part (and part copy), complete, abort. Completing
//! adopts the parts' data files as the object's segments, so no byte is copied.

use chrono::Utc;
use hourglass_sigv4::ChecksumAlgorithm;

use super::object::{authorize_put, copy_source, headers_from_request, receive};
use super::tagging::parse_tagging_header;
use super::{Ctx, iso_date, meta_err, no_content, set_header, xml_ok};
use crate::Response;
use crate::authz::{Conditions, object_arn};
use crate::checksum::{self, ChecksumType};
use crate::data::Placement;
use crate::errors::{S3Error, S3Result};
use crate::meta::{Object, Part, StoredChecksum, Upload};
use crate::xml::{self, Writer};

/// Smallest part but the last (AWS: 5 MiB).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
pub const MAX_PARTS: u32 = 10_000;

pub async fn create(ctx: &Ctx<'_>) -> S3Result<Response> {
    let tags = match ctx.header("x-amz-tagging") {
        Some(t) => parse_tagging_header(t)?,
        None => Vec::new(),
    };
    let b = authorize_put(ctx, &tags).await?;
    // Validated as for PutObject; the completed object is stored without it (documented).
    super::acl::from_headers(ctx, &b, true).await?;
    let headers = headers_from_request(ctx)?;
    let declared = declared_checksum(ctx)?;
    let algorithm = declared.map(|(alg, ty)| encode_checksum(alg, ty));
    let initiator = ctx
        .auth
        .caller
        .as_ref()
        .map(|c| c.account_id().to_string())
        .unwrap_or_default();
    let upload = Upload {
        upload_id: new_upload_id(),
        bucket: ctx.bucket_name().to_string(),
        key: ctx.key().to_string(),
        initiated: Utc::now(),
        headers,
        checksum_algorithm: algorithm.clone(),
        tags,
        initiator,
    };
    ctx.svc
        .meta
        .create_upload(&upload)
        .await
        .map_err(meta_err)?;
    let mut w = Writer::new("InitiateMultipartUploadResult");
    w.elem("Bucket", &upload.bucket)
        .elem("Key", &upload.key)
        .elem("UploadId", &upload.upload_id);
    let mut r = xml_ok(w.finish("InitiateMultipartUploadResult"));
    crate::sse::response_header(&mut r);
    if let Some((alg, ty)) = declared {
        set_header(&mut r, "x-amz-checksum-algorithm", alg.name());
        set_header(&mut r, "x-amz-checksum-type", ty.name());
    }
    Ok(r)
}

/// `x-amz-checksum-algorithm` and `x-amz-checksum-type` of CreateMultipartUpload, checked
/// as AWS checks them.
fn declared_checksum(ctx: &Ctx<'_>) -> S3Result<Option<(ChecksumAlgorithm, ChecksumType)>> {
    let ty = match ctx.header("x-amz-checksum-type") {
        Some(t) => Some(ChecksumType::from_name(t).ok_or_else(|| {
            S3Error::invalid_request("Value for x-amz-checksum-type header is invalid.")
        })?),
        None => None,
    };
    let Some(a) = ctx.header("x-amz-checksum-algorithm") else {
        if ty.is_some() {
            return Err(S3Error::invalid_request(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
            ));
        }
        return Ok(None);
    };
    let alg = ChecksumAlgorithm::from_name(a).ok_or_else(|| {
        S3Error::invalid_request("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
    })?;
    let ty = ty.unwrap_or(ChecksumType::default_for(alg));
    if !ty.allowed_with(alg) {
        return Err(S3Error::invalid_request(format!(
            "The {} checksum type cannot be used with the {} checksum algorithm.",
            ty.name(),
            alg.name().to_ascii_lowercase()
        )));
    }
    Ok(Some((alg, ty)))
}

/// An upload's declared checksum is stored as the algorithm name, followed by `/TYPE` when
/// the type is not the algorithm's default (only CRC32 and CRC32C can be either), so
/// uploads stored before checksum types existed read as they were created.
fn encode_checksum(alg: ChecksumAlgorithm, ty: ChecksumType) -> String {
    if ty == ChecksumType::default_for(alg) {
        alg.name().to_string()
    } else {
        format!("{}/{}", alg.name(), ty.name())
    }
}

/// The checksum algorithm and type an upload declared, if any.
pub fn upload_checksum(u: &Upload) -> Option<(ChecksumAlgorithm, ChecksumType)> {
    let stored = u.checksum_algorithm.as_deref()?;
    let (name, ty) = match stored.split_once('/') {
        Some((n, t)) => (n, ChecksumType::from_name(t)),
        None => (stored, None),
    };
    let alg = ChecksumAlgorithm::from_name(name)?;
    Some((alg, ty.unwrap_or(ChecksumType::default_for(alg))))
}

fn new_upload_id() -> String {
    // Opaque, URL-safe, unguessable.
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn part_number(ctx: &Ctx<'_>) -> S3Result<u32> {
    ctx.query("partNumber")
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=MAX_PARTS).contains(n))
        .ok_or_else(|| {
            S3Error::invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive",
            )
        })
}

/// Authorizes `action` on the target object and loads the upload named by `uploadId`.
async fn upload_for(ctx: &Ctx<'_>, action: &str) -> S3Result<Upload> {
    let (name, key) = (ctx.bucket_name(), ctx.key());
    let id = ctx.query("uploadId").unwrap_or("");
    ctx.bucket_for(name, action, &object_arn(name, key), &Conditions::default())
        .await?;
    ctx.svc
        .meta
        .get_upload(name, key, id)
        .await
        .map_err(meta_err)?
        .ok_or_else(|| S3Error::no_such_upload(id))
}

async fn store_part(ctx: &Ctx<'_>, part: Part) -> S3Result<()> {
    match ctx.svc.meta.put_part(&part).await {
        Ok(old) => {
            if let Some(old) = old {
                ctx.svc.data.remove(vec![old]).await;
            }
            Ok(())
        }
        Err(e) => {
            ctx.svc.data.remove(vec![part.segment]).await;
            Err(meta_err(e))
        }
    }
}

pub async fn upload_part(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    crate::sse::check_request(|n| ctx.header(n), ctx.auth.secure_transport)?;
    let number = part_number(ctx)?;
    let upload = upload_for(ctx, "s3:PutObject").await?;
    // Parts of an upload that declared an algorithm always get its checksum (computed when
    // the client sent none), so the object's checksum can be built at completion.
    let declared = upload_checksum(&upload).map(|(alg, _)| alg);
    let got = receive(ctx, declared, Placement::File).await?;
    if let (Some(want), Some(have)) = (declared, &got.checksum)
        && want.name() != have.algorithm
    {
        ctx.svc.data.remove(vec![got.segment]).await;
        return Err(S3Error::invalid_request(format!(
            "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
            want.name().to_ascii_lowercase(),
            have.algorithm.to_ascii_lowercase()
        )));
    }
    let part = Part {
        upload_id: upload.upload_id.clone(),
        number,
        size: got.segment.len,
        etag: checksum::etag(&got.md5),
        modified: Utc::now(),
        checksum: got.checksum.clone(),
        segment: got.segment,
    };
    let etag = part.etag.clone();
    store_part(ctx, part).await?;
    let mut r = no_content(200);
    set_header(&mut r, "etag", &etag);
    crate::sse::response_header(&mut r);
    if let Some(c) = &got.checksum {
        set_header(
            &mut r,
            &format!("x-amz-checksum-{}", c.algorithm.to_ascii_lowercase()),
            &c.value,
        );
    }
    Ok(r)
}

pub async fn upload_part_copy(ctx: &Ctx<'_>) -> S3Result<Response> {
    let number = part_number(ctx)?;
    let upload = upload_for(ctx, "s3:PutObject").await?;
    let (src, src_version) = copy_source(ctx).await?;
    let (start, end) = match ctx.header("x-amz-copy-source-range") {
        Some(v) => {
            let invalid = || {
                S3Error::invalid_argument(
                    "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                )
            };
            let (a, b) = v
                .trim()
                .strip_prefix("bytes=")
                .and_then(|s| s.split_once('-'))
                .ok_or_else(invalid)?;
            let (a, b) = (
                a.parse::<u64>().map_err(|_| invalid())?,
                b.parse::<u64>().map_err(|_| invalid())?,
            );
            let end = b.checked_add(1).filter(|e| a < *e && *e <= src.size);
            let Some(end) = end else {
                return Err(S3Error::new(
                    416,
                    "InvalidRange",
                    "The requested range is not satisfiable",
                ));
            };
            (a, end)
        }
        None => (0, src.size),
    };
    if end.saturating_sub(start) > super::MAX_OBJECT_SIZE {
        return Err(crate::body::too_large(super::MAX_OBJECT_SIZE));
    }
    let (segment, md5) = ctx
        .svc
        .data
        .copy_range(&src.segments, start, end, Placement::File)
        .await
        .map_err(S3Error::internal)?;
    let part = Part {
        upload_id: upload.upload_id,
        number,
        size: segment.len,
        etag: checksum::etag(&md5),
        modified: Utc::now(),
        checksum: None,
        segment,
    };
    let (etag, modified) = (part.etag.clone(), part.modified);
    store_part(ctx, part).await?;
    let mut w = Writer::new("CopyPartResult");
    w.elem("LastModified", &iso_date(modified))
        .elem("ETag", &etag);
    let mut r = xml_ok(w.finish("CopyPartResult"));
    crate::sse::response_header(&mut r);
    if let Some(v) = src_version {
        super::set_header(&mut r, "x-amz-copy-source-version-id", &v);
    }
    Ok(r)
}

fn invalid_part() -> S3Error {
    S3Error::new(
        400,
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    )
}

pub async fn complete(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    let upload = upload_for(ctx, "s3:PutObject").await?;
    let body = ctx.xml_body(super::body_limits::COMPLETE_MULTIPART).await?;
    let doc = xml::parse_document(&body, "CompleteMultipartUpload")?;
    let mut requested = Vec::new();
    for p in doc.children_named("Part") {
        let n = p
            .child_text("PartNumber")
            .and_then(|n| n.trim().parse::<u32>().ok())
            .ok_or_else(S3Error::malformed_xml)?;
        let etag = p
            .child_text("ETag")
            .ok_or_else(S3Error::malformed_xml)?
            .trim()
            .to_string();
        let sums: Vec<(String, String)> = ChecksumAlgorithm::ALL
            .iter()
            .filter_map(|a| {
                p.child_text(&format!("Checksum{}", a.name()))
                    .map(|v| (a.name().to_string(), v.trim().to_string()))
            })
            .collect();
        requested.push((n, etag, sums));
    }
    if requested.is_empty() {
        return Err(S3Error::new(
            400,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        ));
    }
    if requested.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(S3Error::new(
            400,
            "InvalidPartOrder",
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
        ));
    }
    let stored = ctx
        .svc
        .meta
        .list_parts(&upload.upload_id, 0, MAX_PARTS as usize)
        .await
        .map_err(meta_err)?;
    let declared = upload_checksum(&upload);
    let mut chosen = Vec::with_capacity(requested.len());
    for (n, etag, sums) in &requested {
        let part = stored
            .iter()
            .find(|p| p.number == *n)
            .ok_or_else(invalid_part)?;
        if part.etag.trim_matches('"') != etag.trim_matches('"') {
            return Err(invalid_part());
        }
        // A part checksum named in the request must be the one the part was stored with.
        for (alg, value) in sums {
            if part
                .checksum
                .as_ref()
                .is_some_and(|c| c.algorithm == *alg && c.value != *value)
            {
                return Err(invalid_part());
            }
        }
        // Composite checksums are built from the part checksums the client lists (parts
        // copied with UploadPartCopy have none to list).
        if let Some((alg, ChecksumType::Composite)) = declared
            && part.checksum.is_some()
            && !sums.iter().any(|(a, _)| a == alg.name())
        {
            return Err(S3Error::invalid_request(format!(
                "The upload was created using a {} checksum. The complete request must include the checksum for each part. It was missing for part {n} in the request.",
                alg.name().to_ascii_lowercase()
            )));
        }
        chosen.push(part);
    }
    let last = chosen.len() - 1;
    if let Some((i, small)) = chosen
        .iter()
        .enumerate()
        .find(|(i, p)| *i < last && p.size < MIN_PART_SIZE)
    {
        return Err(S3Error::new(
            400,
            "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed object size.",
        )
        .with("ProposedSize", small.size.to_string())
        .with("MinSizeAllowed", MIN_PART_SIZE.to_string())
        .with("PartNumber", requested[i].0.to_string())
        .with("ETag", small.etag.clone()));
    }
    let etag =
        checksum::multipart_etag(&chosen.iter().map(|p| p.etag.clone()).collect::<Vec<_>>())?;
    let checksum = object_checksum(declared, &chosen)?;
    let size = chosen
        .iter()
        .try_fold(0u64, |acc, p| acc.checked_add(p.size))
        .ok_or_else(|| S3Error::internal("part sizes overflow"))?;
    check_complete_headers(ctx, declared, checksum.as_ref(), size)?;
    let obj = Object {
        bucket: upload.bucket.clone(),
        key: upload.key.clone(),
        size,
        etag: etag.clone(),
        modified: Utc::now(),
        headers: upload.headers.clone(),
        checksum: checksum.clone(),
        tags: upload.tags.clone(),
        segments: chosen.iter().map(|p| p.segment.clone()).collect(),
        parts: chosen.iter().map(|p| p.size).collect(),
        version_id: super::versions::new_version_id(),
        acl: None,
    };
    let written = ctx
        .svc
        .meta
        .complete_upload(&upload.upload_id, &obj)
        .await
        .map_err(meta_err)?;
    ctx.svc.data.remove(written.freed).await;
    let mut w = Writer::new("CompleteMultipartUploadResult");
    let scheme = if ctx.auth.secure_transport {
        "https"
    } else {
        "http"
    };
    let host = ctx.header("host").unwrap_or("localhost");
    w.elem(
        "Location",
        &format!("{scheme}://{host}/{}/{}", obj.bucket, obj.key),
    )
    .elem("Bucket", &obj.bucket)
    .elem("Key", &obj.key)
    .elem("ETag", &etag);
    if let Some(c) = &checksum {
        w.elem(&format!("Checksum{}", c.algorithm), &c.value);
        w.elem("ChecksumType", ChecksumType::of(c).name());
    }
    let mut r = xml_ok(w.finish("CompleteMultipartUploadResult"));
    crate::sse::response_header(&mut r);
    super::versions::version_header(&mut r, written.version_id.as_deref());
    Ok(r)
}

/// The object's checksum when the upload declared an algorithm and every part has it:
/// composite (`…-N`) or full-object (combined from the parts' CRCs, no byte re-read).
fn object_checksum(
    declared: Option<(ChecksumAlgorithm, ChecksumType)>,
    parts: &[&Part],
) -> S3Result<Option<StoredChecksum>> {
    let Some((alg, ty)) = declared else {
        return Ok(None);
    };
    let mut values = Vec::with_capacity(parts.len());
    for p in parts {
        match &p.checksum {
            Some(c) if c.algorithm == alg.name() => values.push((c.value.clone(), p.size)),
            _ => return Ok(None),
        }
    }
    let value = match ty {
        ChecksumType::Composite => {
            let v: Vec<String> = values.into_iter().map(|(v, _)| v).collect();
            checksum::composite(alg, &v)?
        }
        ChecksumType::FullObject => checksum::full_object(alg, &values)?,
    };
    Ok(Some(StoredChecksum {
        algorithm: alg.name().to_string(),
        value,
    }))
}

/// The whole-object checksum and size a CompleteMultipartUpload may carry
/// (`x-amz-checksum-<alg>`, `x-amz-mp-object-size`), compared with what the parts make.
fn check_complete_headers(
    ctx: &Ctx<'_>,
    declared: Option<(ChecksumAlgorithm, ChecksumType)>,
    computed: Option<&StoredChecksum>,
    size: u64,
) -> S3Result<()> {
    if let Some(v) = ctx.header("x-amz-mp-object-size") {
        let given = v.trim().parse::<u64>().map_err(|_| {
            S3Error::invalid_request("Value for x-amz-mp-object-size header is invalid.")
        })?;
        if given != size {
            return Err(S3Error::invalid_request(format!(
                "The provided 'x-amz-mp-object-size' header value {given} does not match what was computed: {size}"
            )));
        }
    }
    for alg in ChecksumAlgorithm::ALL {
        let Some(given) = ctx.header(alg.header_name()) else {
            continue;
        };
        match declared {
            Some((want, _)) if want != alg => {
                return Err(S3Error::invalid_request(format!(
                    "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
                    want.name().to_ascii_lowercase(),
                    alg.name().to_ascii_lowercase()
                )));
            }
            // AWS's own default needs no declaration; the parts carry no CRC64NVME to check.
            None if alg == ChecksumAlgorithm::Crc64Nvme => {}
            None => {
                return Err(S3Error::invalid_request(format!(
                    "Checksum Type mismatch occurred, expected checksum Type: null, actual checksum Type: {}",
                    alg.name().to_ascii_lowercase()
                )));
            }
            Some(_) => {
                if computed.is_some_and(|c| c.value != given.trim()) {
                    return Err(S3Error::bad_digest(alg.name()));
                }
            }
        }
    }
    Ok(())
}

pub async fn abort(ctx: &Ctx<'_>) -> S3Result<Response> {
    let upload = upload_for(ctx, "s3:AbortMultipartUpload").await?;
    let segs = ctx
        .svc
        .meta
        .abort_upload(&upload.upload_id)
        .await
        .map_err(meta_err)?;
    ctx.svc.data.remove(segs).await;
    Ok(no_content(204))
}

pub async fn load_for_list(ctx: &Ctx<'_>) -> S3Result<Upload> {
    upload_for(ctx, "s3:ListMultipartUploadParts").await
}
