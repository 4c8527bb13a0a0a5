//! Object operations: PutObject, GetObject/HeadObject (ranges, conditions, checksum
//! mode), DeleteObject, DeleteObjects, CopyObject, GetObjectAcl.

use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, StreamBody};

use super::tagging::parse_tagging_header;
use super::versions;
use super::{Ctx, MAX_OBJECT_SIZE, http_date, iso_date, meta_err, no_content, set_header, xml_ok};
use crate::Response;
use crate::authz::{Conditions, object_arn};
use crate::checksum::{self, BodyDigests, ChecksumType};
use crate::data::Placement;
use crate::errors::{S3Error, S3Result};
use crate::meta::{Object, ObjectHeaders, Segment, StoredChecksum, Tag};
use crate::routing::has;
use crate::xml::{self, Writer};
use hourglass_sigv4::ChecksumAlgorithm;

/// What a received body became.
pub struct Received {
    pub segment: Segment,
    pub md5: [u8; 16],
    pub checksum: Option<StoredChecksum>,
}

/// Streams the request payload into a new data file, verifying every digest the client
/// declared; nothing is left behind on failure. When the client declares no checksum,
/// `default` is computed instead (AWS gives every new object a CRC64NVME).
pub async fn receive(
    ctx: &mut Ctx<'_>,
    default: Option<ChecksumAlgorithm>,
    placement: Placement,
) -> S3Result<Received> {
    let expected = checksum::expected(|n| ctx.header(n))?;
    let declared = ctx.declared_length();
    let mut reader = ctx.payload(MAX_OBJECT_SIZE)?;
    let mut digests = BodyDigests::new(
        expected.checksum.as_ref().map(|c| c.0).or(default),
        declared,
    );
    let mut writer = ctx.svc.data.writer(placement).map_err(S3Error::internal)?;
    let result = async {
        while let Some(chunk) = reader.next().await? {
            digests.update(&chunk).await?;
            writer.write(&chunk).await.map_err(S3Error::internal)?;
        }
        digests.finish(&expected).await
    }
    .await;
    let (md5, mut stored) = match result {
        Ok(v) => v,
        Err(e) => {
            writer.abort().await;
            return Err(e);
        }
    };
    if stored.is_none()
        && let Some((alg, value)) = reader.trailer_checksum.take()
    {
        stored = Some(StoredChecksum {
            algorithm: alg,
            value,
        });
    }
    let segment = writer.commit().await.map_err(S3Error::internal)?;
    Ok(Received {
        segment,
        md5,
        checksum: stored,
    })
}

/// AWS's bound on user metadata: `x-amz-meta-*` names and values together, in bytes.
pub(super) fn check_user_metadata_size(size: usize) -> S3Result<()> {
    if size > 2048 {
        return Err(S3Error::new(
            400,
            "MetadataTooLarge",
            "Your metadata headers exceed the maximum allowed metadata size",
        )
        .with("Size", size.to_string())
        .with("MaxSizeAllowed", "2048"));
    }
    Ok(())
}

/// Content headers and `x-amz-meta-*` of a PUT/CreateMultipartUpload/CopyObject(REPLACE).
pub fn headers_from_request(ctx: &Ctx<'_>) -> S3Result<ObjectHeaders> {
    let get = |n: &str| ctx.header(n).map(str::to_owned);
    // aws-chunked is transfer framing, not a property of the object.
    let encoding = get("content-encoding").and_then(|v| {
        let kept: Vec<&str> = v
            .split(',')
            .map(str::trim)
            .filter(|e| !e.eq_ignore_ascii_case("aws-chunked") && !e.is_empty())
            .collect();
        (!kept.is_empty()).then(|| kept.join(","))
    });
    let mut user = Vec::new();
    let mut user_size = 0;
    for (name, value) in &ctx.headers {
        if let Some(k) = name.as_str().strip_prefix("x-amz-meta-") {
            let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
            user_size += k.len() + v.len();
            user.push((k.to_string(), v));
        }
    }
    check_user_metadata_size(user_size)?;
    user.sort();
    Ok(stored_headers(get, encoding, user))
}

/// The headers an object keeps, from a request's content fields (`get`): `binary/octet-stream`
/// when no type is given, and no storage class for `STANDARD`, as AWS reports them.
pub(super) fn stored_headers(
    get: impl Fn(&str) -> Option<String>,
    content_encoding: Option<String>,
    user: Vec<(String, String)>,
) -> ObjectHeaders {
    ObjectHeaders {
        content_type: get("content-type").or_else(|| Some("binary/octet-stream".into())),
        content_encoding,
        content_disposition: get("content-disposition"),
        content_language: get("content-language"),
        cache_control: get("cache-control"),
        expires: get("expires"),
        user,
        storage_class: get("x-amz-storage-class").filter(|s| s != "STANDARD"),
    }
}

/// Checks the requested encryption, authorizes a write of the target object
/// (`s3:PutObject`, plus `s3:PutObjectTagging` when tags are set) and returns the bucket.
pub async fn authorize_put(ctx: &Ctx<'_>, tags: &[Tag]) -> S3Result<crate::meta::Bucket> {
    // Every write (PUT, copy, multipart) refuses encryption it cannot honour, first.
    crate::sse::check_request(|n| ctx.header(n), ctx.auth.secure_transport)?;
    let (name, key) = (ctx.bucket_name(), ctx.key());
    let arn = object_arn(name, key);
    let mut cond = Conditions::default();
    cond.request_tags(tags);
    for h in [
        "x-amz-acl",
        "x-amz-storage-class",
        "x-amz-server-side-encryption",
        "x-amz-copy-source",
        "x-amz-metadata-directive",
    ] {
        if let Some(v) = ctx.header(h) {
            cond.set(&format!("s3:{h}"), v);
        }
    }
    let b = ctx.bucket_for(name, "s3:PutObject", &arn, &cond).await?;
    if !tags.is_empty() {
        ctx.authorize("s3:PutObjectTagging", &arn, Some(&b), &cond)
            .await?;
    }
    Ok(b)
}

pub async fn put(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    let tags = match ctx.header("x-amz-tagging") {
        Some(t) => parse_tagging_header(t)?,
        None => Vec::new(),
    };
    let b = authorize_put(ctx, &tags).await?;
    let acl = super::acl::from_headers(ctx, &b, true).await?;
    let headers = headers_from_request(ctx)?;
    let got = receive(
        ctx,
        Some(ChecksumAlgorithm::Crc64Nvme),
        Placement::MayInline,
    )
    .await?;
    let obj = Object {
        bucket: ctx.bucket_name().to_string(),
        key: ctx.key().to_string(),
        size: got.segment.len,
        etag: checksum::etag(&got.md5),
        modified: Utc::now(),
        headers,
        checksum: got.checksum.clone(),
        tags,
        segments: vec![got.segment.clone()],
        parts: Vec::new(),
        version_id: versions::new_version_id(),
        acl: acl.clone(),
    };
    let written = ctx.commit_object(&obj, got.segment).await?;
    let mut r = no_content(200);
    set_header(&mut r, "etag", &obj.etag);
    versions::version_header(&mut r, written.version_id.as_deref());
    crate::sse::response_header(&mut r);
    if let Some(c) = &obj.checksum {
        checksum_headers(&mut r, c);
    }
    Ok(r)
}

/// `x-amz-checksum-<algorithm>` and `x-amz-checksum-type` of a stored checksum.
pub fn checksum_headers(r: &mut Response, c: &StoredChecksum) {
    set_header(
        r,
        &format!("x-amz-checksum-{}", c.algorithm.to_ascii_lowercase()),
        &c.value,
    );
    set_header(r, "x-amz-checksum-type", ChecksumType::of(c).name());
}

fn etag_matches(list: &str, etag: &str) -> bool {
    let bare = etag.trim_matches('"');
    list.split(',')
        .map(str::trim)
        .any(|c| c == "*" || c.trim_start_matches("W/").trim_matches('"') == bare)
}

fn parse_http_date(v: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(v.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Evaluates conditional headers (`prefix` is "" or "x-amz-copy-source-").
/// Returns Some(status) to answer early: 304 or 412.
pub fn conditions(ctx: &Ctx<'_>, prefix: &str, o: &Object) -> Option<u16> {
    let h = |n: &str| ctx.header(&format!("{prefix}{n}"));
    // Last-Modified has second precision on the wire.
    let modified = o.modified.timestamp();
    let if_match = h("if-match").map(|v| etag_matches(v, &o.etag));
    let if_none_match = h("if-none-match").map(|v| etag_matches(v, &o.etag));
    if if_match == Some(false) {
        return Some(412);
    }
    if if_match.is_none()
        && let Some(t) = h("if-unmodified-since").and_then(parse_http_date)
        && modified > t.timestamp()
    {
        return Some(412);
    }
    if if_none_match == Some(true) {
        return Some(
            if prefix.is_empty() && matches!(ctx.method, http::Method::GET | http::Method::HEAD) {
                304
            } else {
                412
            },
        );
    }
    if if_none_match.is_none()
        && let Some(t) = h("if-modified-since").and_then(parse_http_date)
        && modified <= t.timestamp()
    {
        return Some(if prefix.is_empty() { 304 } else { 412 });
    }
    None
}

/// Query parameters that override a response header of GetObject/HeadObject.
const RESPONSE_OVERRIDES: [&str; 6] = [
    "response-content-type",
    "response-content-encoding",
    "response-content-disposition",
    "response-content-language",
    "response-cache-control",
    "response-expires",
];

pub async fn get(ctx: &Ctx<'_>) -> S3Result<Response> {
    // An anonymous reader of a public object must not choose how it is served (a text
    // object rendered as text/html is stored XSS): AWS refuses, and so do we, before any
    // lookup so the answer says nothing about the object.
    if ctx.auth.caller.is_none() && RESPONSE_OVERRIDES.iter().any(|p| has(&ctx.q, p)) {
        return Err(S3Error::invalid_request(
            "Request specific response headers cannot be used for anonymous GET requests.",
        ));
    }
    crate::sse::check_read(|n| ctx.header(n), ctx.auth.secure_transport)?;
    let version = versions::requested(ctx)?;
    let (o, b) = versions::load(
        ctx,
        ctx.bucket_name(),
        ctx.key(),
        version.as_deref(),
        "s3:GetObject",
        Conditions::default(),
    )
    .await?;
    let version = versions::header_for(&b, &o);
    if let Some(code) = conditions(ctx, "", &o) {
        if code == 412 {
            return Err(S3Error::precondition_failed(
                if ctx.header("if-match").is_some() {
                    "If-Match"
                } else {
                    "If-Unmodified-Since"
                },
            ));
        }
        let mut r = no_content(304);
        versions::version_header(&mut r, version.as_deref());
        set_header(&mut r, "etag", &o.etag);
        set_header(&mut r, "last-modified", &http_date(o.modified));
        return Ok(r);
    }
    let mut range = None;
    let mut part_count = None;
    if let Some(pn) = ctx.query("partNumber") {
        let n: usize = pn
            .parse()
            .ok()
            .filter(|n| (1..=10000).contains(n))
            .ok_or_else(|| {
                S3Error::invalid_argument(
                    "Part number must be an integer between 1 and 10000, inclusive",
                )
            })?;
        if o.parts.is_empty() {
            if n != 1 {
                return Err(S3Error::new(
                    416,
                    "InvalidPartNumber",
                    "The requested partnumber is not satisfiable",
                ));
            }
        } else {
            let start = o
                .parts
                .iter()
                .take(n - 1)
                .try_fold(0u64, |acc, p| acc.checked_add(*p))
                .ok_or_else(|| S3Error::internal("part sizes overflow"))?;
            let len = *o.parts.get(n - 1).ok_or_else(|| {
                S3Error::new(
                    416,
                    "InvalidPartNumber",
                    "The requested partnumber is not satisfiable",
                )
            })?;
            let end = start
                .checked_add(len)
                .filter(|e| *e <= o.size)
                .ok_or_else(|| S3Error::internal("part sizes exceed the object size"))?;
            range = Some((start, end));
            part_count = Some(o.parts.len());
        }
    } else if let Some(v) = ctx.header("range") {
        range = super::range::parse_range(v, o.size)?;
    }
    let (start, end) = range.unwrap_or((0, o.size));
    let is_head = ctx.method == http::Method::HEAD;
    let body = if is_head || start == end {
        crate::empty()
    } else {
        let stream = ctx
            .svc
            .data
            .read_range(&o.segments, start, end)
            .map_err(S3Error::internal)?;
        use futures_util::{StreamExt, TryStreamExt};
        // The first piece is read before the status goes out: a missing, damaged or
        // tampered file then answers 500 InternalError instead of a truncated 200 (a later
        // piece failing cuts the body short; wrong bytes are never sent).
        let mut stream = Box::pin(stream);
        let first = match stream.next().await {
            Some(Ok(b)) => b,
            Some(Err(e)) => return Err(S3Error::internal(format!("reading object data: {e}"))),
            None => bytes::Bytes::new(),
        };
        let stream = futures_util::stream::once(async move { Ok(first) }).chain(stream);
        StreamBody::new(stream.map_ok(hyper::body::Frame::data)).boxed_unsync()
    };
    let mut r = http::Response::new(body);
    if range.is_some() {
        *r.status_mut() = http::StatusCode::PARTIAL_CONTENT;
        set_header(
            &mut r,
            "content-range",
            &format!("bytes {}-{}/{}", start, end.saturating_sub(1), o.size),
        );
    }
    set_header(
        &mut r,
        "content-length",
        &end.saturating_sub(start).to_string(),
    );
    set_header(&mut r, "accept-ranges", "bytes");
    versions::version_header(&mut r, version.as_deref());
    // Expiration rules apply to the current version, which a GET without versionId reads.
    if ctx.query("versionId").is_none()
        && let Some(e) = super::lifecycle::expiration_header(ctx.svc, &b.name, &o).await
    {
        set_header(&mut r, "x-amz-expiration", &e);
    }
    object_headers(ctx, &mut r, &o);
    if let Some(n) = part_count
        .or((!o.parts.is_empty()).then_some(o.parts.len()))
        .filter(|_| ctx.query("partNumber").is_some())
    {
        set_header(&mut r, "x-amz-mp-parts-count", &n.to_string());
    }
    // The checksum covers the whole object: only sent for a full read, when asked for.
    if range.is_none()
        && ctx
            .header("x-amz-checksum-mode")
            .is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"))
        && let Some(c) = &o.checksum
    {
        checksum_headers(&mut r, c);
    }
    Ok(r)
}

fn object_headers(ctx: &Ctx<'_>, r: &mut Response, o: &Object) {
    set_header(r, "etag", &o.etag);
    crate::sse::response_header(r);
    set_header(r, "last-modified", &http_date(o.modified));
    let h = &o.headers;
    let pairs = [
        ("content-type", &h.content_type),
        ("content-encoding", &h.content_encoding),
        ("content-disposition", &h.content_disposition),
        ("content-language", &h.content_language),
        ("cache-control", &h.cache_control),
        ("expires", &h.expires),
    ];
    for ((name, value), override_param) in pairs.into_iter().zip(RESPONSE_OVERRIDES) {
        // Overrides come only from signed requests (anonymous ones were refused in `get`).
        let wanted = ctx
            .auth
            .caller
            .as_ref()
            .and_then(|_| ctx.query(override_param));
        if let Some(v) = wanted.or(value.as_deref()) {
            set_header(r, name, v);
        }
    }
    for (k, v) in &h.user {
        set_header(r, &format!("x-amz-meta-{k}"), v);
    }
    if let Some(sc) = &h.storage_class {
        set_header(r, "x-amz-storage-class", sc);
    }
    if !o.tags.is_empty() {
        set_header(r, "x-amz-tagging-count", &o.tags.len().to_string());
    }
}

pub async fn delete(ctx: &Ctx<'_>) -> S3Result<Response> {
    let (name, key) = (ctx.bucket_name(), ctx.key());
    let version = versions::requested(ctx)?;
    let Some(b) = ctx.svc.bucket(name).await.map_err(meta_err)? else {
        let action = versions::versioned_action("s3:DeleteObject", version.as_deref());
        ctx.authorize(
            &action,
            &object_arn(name, key),
            None,
            &Conditions::default(),
        )
        .await?;
        return Err(S3Error::no_such_bucket(name));
    };
    let removed = delete_one(ctx, &b, key, version.as_deref()).await?;
    let mut r = no_content(204);
    if removed.delete_marker {
        set_header(&mut r, "x-amz-delete-marker", "true");
    }
    versions::version_header(&mut r, removed.version_id.as_deref());
    Ok(r)
}

/// Authorizes and performs one delete (of the key, or of one version) in bucket `b`.
async fn delete_one(
    ctx: &Ctx<'_>,
    b: &crate::meta::Bucket,
    key: &str,
    version: Option<&str>,
) -> S3Result<crate::meta::Removed> {
    let action = versions::versioned_action("s3:DeleteObject", version);
    let mut cond = Conditions::default();
    if let Some(v) = version {
        cond.set("s3:VersionId", v);
    }
    if let Some(v) = ctx
        .svc
        .meta
        .get_version(&b.name, key, version)
        .await
        .map_err(meta_err)?
        .filter(|v| !v.delete_marker)
    {
        cond.existing_tags(&v.object.tags);
    }
    ctx.authorize(&action, &object_arn(&b.name, key), Some(b), &cond)
        .await?;
    let removed = ctx
        .svc
        .meta
        .delete_object(&b.name, key, version, &versions::new_version_id())
        .await
        .map_err(meta_err)?;
    ctx.svc.data.remove(removed.freed.clone()).await;
    Ok(removed)
}

pub async fn delete_objects(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name().to_string();
    let body = ctx.xml_body(super::body_limits::DELETE_OBJECTS).await?;
    let doc = xml::parse_document(&body, "Delete")?;
    let quiet = doc
        .child_text("Quiet")
        .is_some_and(|q| q.trim().eq_ignore_ascii_case("true"));
    let keys: Vec<(String, Option<String>)> = doc
        .children_named("Object")
        .map(|o| {
            let key = o
                .child_text("Key")
                .map(str::to_owned)
                .ok_or_else(S3Error::malformed_xml)?;
            Ok((key, o.child_text("VersionId").map(str::to_owned)))
        })
        .collect::<S3Result<_>>()?;
    if keys.is_empty() || keys.len() > 1000 {
        return Err(S3Error::malformed_xml());
    }
    let Some(b) = ctx.svc.bucket(&name).await.map_err(meta_err)? else {
        return Err(S3Error::no_such_bucket(&name));
    };
    let mut w = Writer::new("DeleteResult");
    for (key, version) in &keys {
        let outcome = async {
            crate::routing::validate_key(key)?;
            if let Some(v) = version
                && !versions::valid_version_id(v)
            {
                return Err(versions::invalid_version_id());
            }
            delete_one(ctx, &b, key, version.as_deref()).await
        }
        .await;
        match outcome {
            Ok(removed) if !quiet => {
                w.open("Deleted").elem("Key", key);
                if let Some(v) = version {
                    w.elem("VersionId", v);
                }
                if removed.delete_marker {
                    w.elem("DeleteMarker", "true");
                    if version.is_none() {
                        w.opt("DeleteMarkerVersionId", removed.version_id.as_deref());
                    } else {
                        w.opt("DeleteMarkerVersionId", version.as_deref());
                    }
                }
                w.close("Deleted");
            }
            Ok(_) => {}
            Err(e) => {
                w.open("Error").elem("Key", key);
                if let Some(v) = version {
                    w.elem("VersionId", v);
                }
                w.elem("Code", e.code)
                    .elem("Message", &e.message)
                    .close("Error");
            }
        }
    }
    Ok(xml_ok(w.finish("DeleteResult")))
}

/// `x-amz-copy-source: [/]bucket/key[?versionId=…]`, URL-encoded.
pub fn parse_copy_source(v: &str) -> S3Result<(String, String, Option<String>)> {
    let v = v.trim();
    let v = v.strip_prefix('/').unwrap_or(v);
    let (path, query) = v.split_once('?').unwrap_or((v, ""));
    let mut version = None;
    for p in query.split('&').filter(|p| !p.is_empty()) {
        match p.strip_prefix("versionId=") {
            Some(id) if versions::valid_version_id(id) => version = Some(id.to_owned()),
            Some(_) => return Err(versions::invalid_version_id()),
            None => {
                return Err(S3Error::invalid_argument(
                    "Invalid copy source: only versionId may follow '?'",
                ));
            }
        }
    }
    let invalid = || S3Error::invalid_argument("Invalid copy source object key");
    let (b, k) = path.split_once('/').ok_or_else(invalid)?;
    let bucket = percent_encoding::percent_decode_str(b)
        .decode_utf8()
        .map_err(|_| invalid())?
        .into_owned();
    let key = crate::routing::decode_key(k)?;
    if bucket.is_empty() || key.is_empty() {
        return Err(invalid());
    }
    Ok((bucket, key, version))
}

/// Authorizes reading the copy source (`s3:GetObject`, or `s3:GetObjectVersion` for a
/// named version, with its bucket's policy) and applies the `x-amz-copy-source-if-*`
/// conditions. Also returns the `x-amz-copy-source-version-id` to answer.
pub async fn copy_source(ctx: &Ctx<'_>) -> S3Result<(Object, Option<String>)> {
    let (sb, sk, version) = parse_copy_source(ctx.header("x-amz-copy-source").unwrap_or(""))?;
    let loaded = versions::load(
        ctx,
        &sb,
        &sk,
        version.as_deref(),
        "s3:GetObject",
        Conditions::default(),
    )
    .await;
    // A delete marker as copy source is an invalid request, not a 404/405 (AWS).
    let (src, src_bucket) = match loaded {
        Err(e) if e.status == 405 => {
            return Err(S3Error::invalid_request(
                "The source of a copy request may not specifically refer to a delete marker by version id.",
            ));
        }
        other => other?,
    };
    if conditions(ctx, "x-amz-copy-source-", &src).is_some() {
        return Err(S3Error::precondition_failed("x-amz-copy-source-If-Match"));
    }
    let header = versions::header_for(&src_bucket, &src);
    Ok((src, header))
}

pub async fn copy(ctx: &Ctx<'_>) -> S3Result<Response> {
    let directive = ctx
        .header("x-amz-metadata-directive")
        .unwrap_or("COPY")
        .to_ascii_uppercase();
    let tag_directive = ctx
        .header("x-amz-tagging-directive")
        .unwrap_or("COPY")
        .to_ascii_uppercase();
    if !matches!(directive.as_str(), "COPY" | "REPLACE")
        || !matches!(tag_directive.as_str(), "COPY" | "REPLACE")
    {
        return Err(S3Error::invalid_argument("Unknown metadata directive."));
    }
    let new_tags = match (tag_directive.as_str(), ctx.header("x-amz-tagging")) {
        ("REPLACE", Some(t)) => Some(parse_tagging_header(t)?),
        ("REPLACE", None) => Some(Vec::new()),
        _ => None,
    };
    let dest_bucket = authorize_put(ctx, new_tags.as_deref().unwrap_or(&[])).await?;
    let acl = super::acl::from_headers(ctx, &dest_bucket, true).await?;
    let (src, src_version) = copy_source(ctx).await?;
    let src_named = parse_copy_source(ctx.header("x-amz-copy-source").unwrap_or(""))?.2;
    if new_tags.is_none() && !src.tags.is_empty() {
        // Copying tags reads them from the source and writes them on the destination: a
        // caller who may not tag objects cannot launder tags (ABAC) through a copy.
        let mut read = Conditions::default();
        read.existing_tags(&src.tags);
        ctx.authorize(
            &versions::versioned_action("s3:GetObjectTagging", src_named.as_deref()),
            &object_arn(&src.bucket, &src.key),
            ctx.svc
                .bucket(&src.bucket)
                .await
                .map_err(meta_err)?
                .as_ref(),
            &read,
        )
        .await?;
        let mut write = Conditions::default();
        write.request_tags(&src.tags);
        ctx.authorize(
            "s3:PutObjectTagging",
            &object_arn(ctx.bucket_name(), ctx.key()),
            Some(&dest_bucket),
            &write,
        )
        .await?;
    }
    let same = src.bucket == ctx.bucket_name() && src.key == ctx.key() && src_named.is_none();
    if same && directive == "COPY" && ctx.header("x-amz-storage-class").is_none() {
        return Err(S3Error::invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    if src.size > MAX_OBJECT_SIZE {
        return Err(S3Error::invalid_request(
            "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120",
        ));
    }
    let headers = if directive == "REPLACE" {
        headers_from_request(ctx)?
    } else {
        src.headers.clone()
    };
    let (segment, md5) = ctx
        .svc
        .data
        .copy_range(&src.segments, 0, src.size, Placement::MayInline)
        .await
        .map_err(S3Error::internal)?;
    let obj = Object {
        bucket: ctx.bucket_name().to_string(),
        key: ctx.key().to_string(),
        size: src.size,
        etag: checksum::etag(&md5),
        modified: Utc::now(),
        headers,
        // A composite checksum describes the source's parts, which the copy does not have.
        checksum: src.checksum.clone().filter(|c| !c.value.contains('-')),
        tags: new_tags.unwrap_or(src.tags),
        segments: vec![segment.clone()],
        parts: Vec::new(),
        version_id: versions::new_version_id(),
        acl: acl.clone(),
    };
    let written = ctx.commit_object(&obj, segment).await?;
    let mut w = Writer::new("CopyObjectResult");
    w.elem("LastModified", &iso_date(obj.modified))
        .elem("ETag", &obj.etag);
    if let Some(c) = &obj.checksum {
        w.elem(&format!("Checksum{}", c.algorithm), &c.value);
        w.elem("ChecksumType", ChecksumType::of(c).name());
    }
    let mut r = xml_ok(w.finish("CopyObjectResult"));
    crate::sse::response_header(&mut r);
    versions::version_header(&mut r, written.version_id.as_deref());
    if let Some(v) = src_version {
        set_header(&mut r, "x-amz-copy-source-version-id", &v);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn copy_source_forms() {
        assert_eq!(
            parse_copy_source("/b/a%20b").unwrap(),
            ("b".into(), "a b".into(), None)
        );
        assert_eq!(
            parse_copy_source("b/k/x?versionId=null").unwrap(),
            ("b".into(), "k/x".into(), Some("null".into()))
        );
        assert_eq!(
            parse_copy_source("b/k?versionId=bad").unwrap_err().code,
            "InvalidArgument"
        );
        assert!(parse_copy_source("b").is_err());
    }

    #[test]
    fn etag_lists() {
        assert!(etag_matches("\"abc\"", "\"abc\""));
        assert!(etag_matches("abc, \"def\"", "\"def\""));
        assert!(etag_matches("*", "\"x\""));
        assert!(!etag_matches("\"x\"", "\"y\""));
    }
}
