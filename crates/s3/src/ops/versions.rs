//! Versioning: Put/GetBucketVersioning, ListObjectVersions, and what every object
//! operation shares about versions — the `versionId` parameter, the `s3:…Version` actions,
//! delete markers as AWS answers them (404 with `x-amz-delete-marker` for the current
//! entry, 405 when named by id).

use super::list::{KEY_ENCODE, listing_bucket, max_keys, prefix_successor, url_encoding};
use super::{Ctx, iso_date, meta_err, no_content, owner_xml, set_header, xml_ok};
use crate::Response;
use crate::authz::{Conditions, bucket_arn, object_arn};
use crate::errors::{S3Error, S3Result};
use crate::meta::{Bucket, Object, Version};
use crate::xml::{self, Writer};

pub const NULL_VERSION: &str = "null";
/// Length of the version ids this server makes (AWS's are opaque; 32 characters is their
/// common length).
const VERSION_ID_LEN: usize = 32;

pub fn new_version_id() -> String {
    hourglass_iam::ids::random_alnum(VERSION_ID_LEN)
}

/// Whether `v` can name a version here: `null` or an id this server made. Anything else is
/// AWS's `InvalidArgument` rather than `NoSuchVersion`.
pub fn valid_version_id(v: &str) -> bool {
    v == NULL_VERSION || (v.len() == VERSION_ID_LEN && v.bytes().all(|b| b.is_ascii_alphanumeric()))
}

pub fn invalid_version_id() -> S3Error {
    S3Error::invalid_argument("Invalid version id specified").with("ArgumentName", "versionId")
}

/// The `versionId` query parameter, validated.
pub fn requested(ctx: &Ctx<'_>) -> S3Result<Option<String>> {
    match ctx.query("versionId") {
        None => Ok(None),
        Some("") => Err(
            S3Error::invalid_argument("Version id cannot be the empty string")
                .with("ArgumentName", "versionId"),
        ),
        Some(v) if valid_version_id(v) => Ok(Some(v.to_owned())),
        Some(_) => Err(invalid_version_id()),
    }
}

/// The action to authorize: `s3:GetObject` becomes `s3:GetObjectVersion`,
/// `s3:GetObjectTagging` `s3:GetObjectVersionTagging`, and so on, when a version is named.
pub fn versioned_action(action: &str, version: Option<&str>) -> String {
    if version.is_none() {
        return action.to_owned();
    }
    match action {
        "s3:GetObject" => "s3:GetObjectVersion".into(),
        "s3:DeleteObject" => "s3:DeleteObjectVersion".into(),
        "s3:GetObjectTagging" => "s3:GetObjectVersionTagging".into(),
        "s3:PutObjectTagging" => "s3:PutObjectVersionTagging".into(),
        "s3:DeleteObjectTagging" => "s3:DeleteObjectVersionTagging".into(),
        "s3:GetObjectAcl" => "s3:GetObjectVersionAcl".into(),
        "s3:PutObjectAcl" => "s3:PutObjectVersionAcl".into(),
        "s3:GetObjectAttributes" => "s3:GetObjectVersionAttributes".into(),
        other => other.to_owned(),
    }
}

pub fn version_header(r: &mut Response, version: Option<&str>) {
    if let Some(v) = version {
        set_header(r, "x-amz-version-id", v);
    }
}

fn no_such_version(key: &str, version: &str) -> S3Error {
    S3Error::new(
        404,
        "NoSuchVersion",
        "The specified version does not exist.",
    )
    .with("Key", key)
    .with("VersionId", version)
}

/// How a request that reads an object met a delete marker.
fn marker_error(ctx: &Ctx<'_>, v: &Version, by_id: bool) -> S3Error {
    let mut e = if by_id {
        let mut e = S3Error::method_not_allowed()
            .with("Method", ctx.method.as_str())
            .with("ResourceType", "DeleteMarker");
        e.headers.push(("allow", "DELETE".into()));
        e.headers
            .push(("last-modified", super::http_date(v.object.modified)));
        e
    } else {
        S3Error::no_such_key(&v.object.key)
    };
    e.headers.push(("x-amz-delete-marker", "true".into()));
    e.headers
        .push(("x-amz-version-id", v.object.version_id.clone()));
    e
}

/// Loads the object a request names (the current one, or `version`), authorizing `action`
/// (its `…Version` form when a version is named) with the object's tags and `s3:VersionId`
/// as condition keys. A missing key is NoSuchKey only for callers who may list the bucket
/// (AWS rule); a delete marker answers as AWS does.
pub async fn load(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    action: &str,
    extra: Conditions,
) -> S3Result<(Object, Bucket)> {
    let arn = object_arn(bucket, key);
    let action = versioned_action(action, version);
    let mut cond = extra;
    if let Some(v) = version {
        cond.set("s3:VersionId", v);
    }
    let Some(b) = ctx.svc.bucket(bucket).await.map_err(meta_err)? else {
        ctx.authorize(&action, &arn, None, &cond).await?;
        return Err(S3Error::no_such_bucket(bucket));
    };
    let found = ctx
        .svc
        .meta
        .get_version(bucket, key, version)
        .await
        .map_err(meta_err)?;
    if let Some(v) = found.as_ref().filter(|v| !v.delete_marker) {
        cond.existing_tags(&v.object.tags);
        cond.object_acl = v.object.acl.clone();
    }
    ctx.authorize(&action, &arn, Some(&b), &cond).await?;
    match (found, version) {
        (Some(v), _) if !v.delete_marker => Ok((v.object, b)),
        (Some(v), by_id) => Err(marker_error(ctx, &v, by_id.is_some())),
        (None, Some(id)) => Err(no_such_version(key, id)),
        (None, None) => {
            let list = ctx
                .authorize(
                    "s3:ListBucket",
                    &bucket_arn(bucket),
                    Some(&b),
                    &Conditions::default(),
                )
                .await;
            Err(if list.is_ok() {
                S3Error::no_such_key(key)
            } else {
                S3Error::access_denied()
            })
        }
    }
}

/// The version id header a response about `o` carries: only once the bucket has had
/// versioning configured (AWS sends none for never-versioned buckets).
pub fn header_for(b: &Bucket, o: &Object) -> Option<String> {
    b.versioning.as_ref().map(|_| o.version_id.clone())
}

// ----- bucket versioning -----

pub async fn get_versioning(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name();
    let b = ctx.bucket_op(name, "s3:GetBucketVersioning").await?;
    let mut w = Writer::new("VersioningConfiguration");
    if let Some(s) = &b.versioning {
        w.elem("Status", s);
    }
    Ok(xml_ok(w.finish("VersioningConfiguration")))
}

pub async fn put_versioning(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name().to_string();
    ctx.bucket_op(&name, "s3:PutBucketVersioning").await?;
    let body = ctx.xml_body(super::body_limits::TAGGING).await?;
    let doc = xml::parse_document(&body, "VersioningConfiguration")?;
    match doc.child_text("MfaDelete").map(str::trim) {
        None | Some("Disabled") => {}
        Some("Enabled") => {
            // MFA delete needs the root user's MFA device on every versioned delete;
            // Hourglass does not verify x-amz-mfa, so it refuses to pretend to enforce it.
            return Err(S3Error::not_implemented(
                "MfaDelete=Enabled (MFA delete is not supported)",
            ));
        }
        Some(_) => return Err(S3Error::malformed_xml()),
    }
    let status = match doc.child_text("Status").map(str::trim) {
        Some(s @ ("Enabled" | "Suspended")) => s.to_owned(),
        None => return Ok(no_content(200)),
        Some(_) => return Err(S3Error::malformed_xml()),
    };
    ctx.svc
        .meta
        .set_versioning(&name, &status)
        .await
        .map_err(meta_err)?;
    Ok(no_content(200))
}

// ----- ListObjectVersions -----

enum Entry {
    Version(Box<Version>),
    Prefix(String),
}

struct Page {
    entries: Vec<Entry>,
    truncated: bool,
}

/// Lists up to `max` entries after (`key_marker`, `version_marker`), rolling keys up to
/// common prefixes as ListObjects does (a prefix containing the marker was already
/// returned and is skipped).
async fn page(
    ctx: &Ctx<'_>,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    key_marker: &str,
    version_marker: Option<&str>,
    max: usize,
) -> S3Result<Page> {
    let done = |entries| Page {
        entries,
        truncated: false,
    };
    if prefix.contains('\0') || max == 0 {
        return Ok(done(Vec::new()));
    }
    let mut start = key_marker.split('\0').next().unwrap_or_default().to_owned();
    let mut after_version = version_marker.map(str::to_owned);
    let mut inclusive = false;
    if let Some(d) = delimiter
        && let Some(rest) = start.strip_prefix(prefix)
        && let Some(i) = rest.find(d)
    {
        match prefix_successor(&start[..prefix.len() + i + d.len()]) {
            Some(s) => {
                start = s;
                inclusive = true;
                after_version = None;
            }
            None => return Ok(done(Vec::new())),
        }
    }
    let mut entries = Vec::new();
    let batch = max.saturating_add(1).clamp(2, 1001);
    loop {
        let rows = ctx
            .svc
            .meta
            .list_versions(
                bucket,
                prefix,
                &start,
                after_version.as_deref(),
                inclusive,
                batch,
            )
            .await
            .map_err(meta_err)?;
        let exhausted = rows.len() < batch;
        let mut restarted = false;
        for v in rows {
            if !v.object.key.starts_with(prefix) {
                return Ok(done(entries));
            }
            if entries.len() >= max {
                return Ok(Page {
                    entries,
                    truncated: true,
                });
            }
            let rolled = delimiter.and_then(|d| {
                v.object.key[prefix.len()..]
                    .find(d)
                    .map(|i| v.object.key[..prefix.len() + i + d.len()].to_string())
            });
            match rolled {
                Some(cp) => {
                    let next = prefix_successor(&cp);
                    entries.push(Entry::Prefix(cp));
                    match next {
                        Some(s) => {
                            start = s;
                            inclusive = true;
                            after_version = None;
                        }
                        None => return Ok(done(entries)),
                    }
                    restarted = true;
                    break;
                }
                None => {
                    start = v.object.key.clone();
                    after_version = Some(v.object.version_id.clone());
                    inclusive = false;
                    entries.push(Entry::Version(Box::new(v)));
                }
            }
        }
        if !restarted && exhausted {
            return Ok(done(entries));
        }
    }
}

pub async fn list(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name();
    let prefix = ctx.query("prefix").unwrap_or("");
    let delimiter = ctx.query("delimiter").filter(|d| !d.is_empty());
    let max = max_keys(ctx, "max-keys")?;
    let url = url_encoding(ctx)?;
    let key_marker = ctx.query("key-marker").unwrap_or("");
    let version_marker = ctx.query("version-id-marker").filter(|v| !v.is_empty());
    if let Some(v) = version_marker {
        if key_marker.is_empty() {
            return Err(S3Error::invalid_argument(
                "A version-id marker cannot be specified without a key marker.",
            )
            .with("ArgumentName", "version-id-marker")
            .with("ArgumentValue", v));
        }
        if !valid_version_id(v) {
            return Err(S3Error::invalid_argument("Invalid version id specified")
                .with("ArgumentName", "version-id-marker")
                .with("ArgumentValue", v));
        }
    }
    let b = listing_bucket(ctx, name, "s3:ListBucketVersions", prefix, max).await?;
    let page = page(
        ctx,
        name,
        prefix,
        delimiter,
        key_marker,
        version_marker,
        max,
    )
    .await?;
    let enc = |s: &str| {
        if url {
            percent_encoding::utf8_percent_encode(s, KEY_ENCODE).to_string()
        } else {
            s.to_owned()
        }
    };
    let mut w = Writer::new("ListVersionsResult");
    w.elem("Name", name)
        .elem("Prefix", &enc(prefix))
        .elem("KeyMarker", &enc(key_marker))
        .elem("VersionIdMarker", version_marker.unwrap_or(""));
    if page.truncated {
        match page.entries.last() {
            Some(Entry::Version(v)) => {
                w.elem("NextKeyMarker", &enc(&v.object.key))
                    .elem("NextVersionIdMarker", &v.object.version_id);
            }
            Some(Entry::Prefix(p)) => {
                w.elem("NextKeyMarker", &enc(p));
            }
            None => {}
        }
    }
    w.elem("MaxKeys", &max.to_string());
    if let Some(d) = delimiter {
        w.elem("Delimiter", &enc(d));
    }
    w.elem("IsTruncated", if page.truncated { "true" } else { "false" });
    if url {
        w.elem("EncodingType", "url");
    }
    for e in &page.entries {
        match e {
            Entry::Version(v) => {
                let o = &v.object;
                let tag = if v.delete_marker {
                    "DeleteMarker"
                } else {
                    "Version"
                };
                w.open(tag)
                    .elem("Key", &enc(&o.key))
                    .elem("VersionId", &o.version_id)
                    .elem("IsLatest", if v.latest { "true" } else { "false" })
                    .elem("LastModified", &iso_date(o.modified));
                if !v.delete_marker {
                    w.elem("ETag", &o.etag);
                    if let Some(c) = &o.checksum {
                        w.elem("ChecksumAlgorithm", &c.algorithm)
                            .elem("ChecksumType", crate::checksum::ChecksumType::of(c).name());
                    }
                    w.elem("Size", &o.size.to_string()).elem(
                        "StorageClass",
                        o.headers.storage_class.as_deref().unwrap_or("STANDARD"),
                    );
                }
                owner_xml(&mut w, "Owner", &b.owner);
                w.close(tag);
            }
            Entry::Prefix(p) => {
                w.open("CommonPrefixes")
                    .elem("Prefix", &enc(p))
                    .close("CommonPrefixes");
            }
        }
    }
    Ok(xml_ok(w.finish("ListVersionsResult")))
}
