//! Listings, all served from the metadata index: ListObjects (V1 and V2, with prefix,
//! delimiter and common prefixes, markers, continuation tokens, URL encoding),
//! ListMultipartUploads and ListParts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{Ctx, iso_date, meta_err, owner_xml, xml_ok};
use crate::Response;
use crate::authz::{Conditions, bucket_arn};
use crate::errors::{S3Error, S3Result};
use crate::meta::{Bucket, Object, Upload};
use crate::routing::{Op, has};
use crate::xml::Writer;
use hourglass_store::Store;

/// Whether keys come back URL-encoded (`encoding-type=url`, the only value S3 takes).
pub(super) fn url_encoding(ctx: &Ctx<'_>) -> S3Result<bool> {
    match ctx.query("encoding-type") {
        None => Ok(false),
        Some(e) if e.eq_ignore_ascii_case("url") => Ok(true),
        Some(_) => Err(S3Error::invalid_argument(
            "Invalid Encoding Method specified in Request",
        )),
    }
}

/// Loads the bucket named `name`, authorizing the listing `action` with a listing's
/// condition keys (`s3:prefix` only when the request names a prefix, as AWS sets it).
pub(super) async fn listing_bucket(
    ctx: &Ctx<'_>,
    name: &str,
    action: &str,
    prefix: &str,
    max: usize,
) -> S3Result<Bucket> {
    let mut cond = Conditions::default();
    if has(&ctx.q, "prefix") {
        cond.set("s3:prefix", prefix);
    }
    if let Some(d) = ctx.query("delimiter") {
        cond.set("s3:delimiter", d);
    }
    cond.set("s3:max-keys", max.to_string());
    ctx.bucket_for(name, action, &bucket_arn(name), &cond).await
}

/// Keys come back percent-encoded like botocore's `quote(key, safe='/~')`.
pub(crate) const KEY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

pub enum Entry {
    Object(Box<Object>),
    Prefix(String),
}

pub struct Page {
    pub entries: Vec<Entry>,
    pub truncated: bool,
}

impl Page {
    fn done(entries: Vec<Entry>) -> Self {
        Self {
            entries,
            truncated: false,
        }
    }

    /// The marker that resumes after this page.
    pub fn last_marker(&self) -> Option<String> {
        self.entries.last().map(|e| match e {
            Entry::Object(o) => o.key.clone(),
            Entry::Prefix(p) => p.clone(),
        })
    }
}

/// The character right after `c` in code point order (= UTF-8 byte order), skipping the
/// surrogate gap; `None` for U+10FFFF.
fn next_char(c: char) -> Option<char> {
    if c == '\u{D7FF}' {
        return Some('\u{E000}');
    }
    u32::from(c).checked_add(1).and_then(char::from_u32)
}

/// The least string greater than every string that starts with `p`, so a listing resumes
/// at it (inclusive) to skip a whole common prefix. `None` when `p` is empty or all
/// U+10FFFF: then nothing sorts after its strings. Any suffix of a "skip marker" such as
/// `p + U+10FFFF` can be exceeded by a real key (`p + U+10FFFF + "x"`), this cannot.
pub(crate) fn prefix_successor(p: &str) -> Option<String> {
    let mut chars: Vec<char> = p.chars().collect();
    while let Some(c) = chars.pop() {
        if let Some(n) = next_char(c) {
            chars.push(n);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Where the next index read starts.
enum Resume {
    After(String),
    From(String),
}

/// Lists up to `max` entries after `marker`, rolling keys up to common prefixes; a common
/// prefix that contains `marker` was already returned and is skipped.
pub async fn list_page(
    meta: &Store,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    marker: &str,
    max: usize,
) -> S3Result<Page> {
    let delimiter = delimiter.filter(|d| !d.is_empty());
    // Keys never contain U+0000 (refused on write; PostgreSQL text cannot hold it): no key
    // starts with such a prefix, and keys after `a\0…` are exactly the keys after `a`.
    if prefix.contains('\0') {
        return Ok(Page::done(Vec::new()));
    }
    let marker = marker.split('\0').next().unwrap_or_default();
    let mut resume = Resume::After(marker.to_string());
    if let Some(d) = delimiter
        && let Some(rest) = marker.strip_prefix(prefix)
        && let Some(i) = rest.find(d)
    {
        match prefix_successor(&marker[..prefix.len() + i + d.len()]) {
            Some(s) => resume = Resume::From(s),
            None => return Ok(Page::done(Vec::new())),
        }
    }
    let mut entries = Vec::new();
    let batch = max.saturating_add(1).clamp(2, 1001);
    loop {
        let (start, inclusive) = match &resume {
            Resume::After(s) => (s.as_str(), false),
            Resume::From(s) => (s.as_str(), true),
        };
        let rows = meta
            .list_objects(bucket, prefix, start, inclusive, batch)
            .await
            .map_err(meta_err)?;
        let exhausted = rows.len() < batch;
        let mut restarted = false;
        for o in rows {
            if !o.key.starts_with(prefix) {
                return Ok(Page::done(entries));
            }
            let rolled = delimiter.and_then(|d| {
                o.key[prefix.len()..]
                    .find(d)
                    .map(|i| o.key[..prefix.len() + i + d.len()].to_string())
            });
            if entries.len() >= max {
                return Ok(Page {
                    entries,
                    truncated: true,
                });
            }
            match rolled {
                Some(cp) => {
                    let next = prefix_successor(&cp);
                    entries.push(Entry::Prefix(cp));
                    match next {
                        Some(s) => resume = Resume::From(s),
                        None => return Ok(Page::done(entries)),
                    }
                    restarted = true;
                    break;
                }
                None => {
                    resume = Resume::After(o.key.clone());
                    entries.push(Entry::Object(Box::new(o)));
                }
            }
        }
        if !restarted && exhausted {
            return Ok(Page::done(entries));
        }
    }
}

pub(crate) fn max_keys(ctx: &Ctx<'_>, name: &str) -> S3Result<usize> {
    match ctx.query(name) {
        None => Ok(1000),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| usize::try_from(n.min(1000)).unwrap_or(1000))
            .ok_or_else(|| {
                S3Error::invalid_argument(
                    "Provided max-keys not an integer or within integer range",
                )
                .with("ArgumentName", name)
            }),
    }
}

pub async fn list_objects(ctx: &Ctx<'_>) -> S3Result<Response> {
    let v2 = ctx.op == Op::ListObjectsV2;
    let name = ctx.bucket_name();
    let prefix = ctx.query("prefix").unwrap_or("");
    let delimiter = ctx.query("delimiter").filter(|d| !d.is_empty());
    let max = max_keys(ctx, "max-keys")?;
    let url = url_encoding(ctx)?;
    let bucket = listing_bucket(ctx, name, "s3:ListBucket", prefix, max).await?;

    let token = ctx.query("continuation-token");
    let marker = if v2 {
        match token {
            Some(t) => {
                let raw = B64.decode(t).map_err(|_| {
                    S3Error::invalid_argument("The continuation token provided is incorrect")
                })?;
                String::from_utf8(raw).map_err(|_| {
                    S3Error::invalid_argument("The continuation token provided is incorrect")
                })?
            }
            None => ctx.query("start-after").unwrap_or("").to_string(),
        }
    } else {
        ctx.query("marker").unwrap_or("").to_string()
    };
    let page = list_page(ctx.svc.meta.as_ref(), name, prefix, delimiter, &marker, max).await?;
    let enc = |s: &str| {
        if url {
            utf8_percent_encode(s, KEY_ENCODE).to_string()
        } else {
            s.to_string()
        }
    };

    // V1 and V2 share the root element name.
    let root = "ListBucketResult";
    let mut w = Writer::new(root);
    w.elem("Name", name).elem("Prefix", &enc(prefix));
    if v2 {
        if let Some(t) = token {
            w.elem("ContinuationToken", t);
        }
        if let Some(sa) = ctx.query("start-after") {
            w.elem("StartAfter", &enc(sa));
        }
        w.elem("KeyCount", &page.entries.len().to_string());
    } else {
        w.elem("Marker", &enc(&marker));
    }
    w.elem("MaxKeys", &max.to_string());
    if let Some(d) = ctx.query("delimiter") {
        w.elem("Delimiter", &enc(d));
    }
    if url {
        w.elem("EncodingType", "url");
    }
    w.elem("IsTruncated", if page.truncated { "true" } else { "false" });
    if page.truncated
        && let Some(next) = page.last_marker()
    {
        if v2 {
            w.elem("NextContinuationToken", &B64.encode(next.as_bytes()));
        } else if delimiter.is_some() {
            w.elem("NextMarker", &enc(&next));
        }
    }
    let fetch_owner = !v2 || ctx.query("fetch-owner").is_some_and(|v| v == "true");
    for e in &page.entries {
        if let Entry::Object(o) = e {
            w.open("Contents")
                .elem("Key", &enc(&o.key))
                .elem("LastModified", &iso_date(o.modified))
                .elem("ETag", &o.etag)
                .elem("Size", &o.size.to_string())
                .elem(
                    "StorageClass",
                    o.headers.storage_class.as_deref().unwrap_or("STANDARD"),
                );
            if let Some(c) = &o.checksum {
                w.elem("ChecksumAlgorithm", &c.algorithm)
                    .elem("ChecksumType", crate::checksum::ChecksumType::of(c).name());
            }
            if fetch_owner {
                // BucketOwnerEnforced: every object belongs to the bucket's account,
                // whoever wrote it.
                owner_xml(&mut w, "Owner", &bucket.owner);
            }
            w.close("Contents");
        }
    }
    for e in &page.entries {
        if let Entry::Prefix(p) = e {
            w.open("CommonPrefixes")
                .elem("Prefix", &enc(p))
                .close("CommonPrefixes");
        }
    }
    Ok(xml_ok(w.finish(root)))
}

/// Sorts after every upload id (ids are ASCII).
const ID_AFTER_ALL: &str = "\u{10FFFF}";

pub enum UploadEntry {
    Upload(Box<Upload>),
    Prefix(String),
}

/// ListMultipartUploads' page: uploads after `(key_marker, id_marker)` under `prefix`, keys
/// rolled up to common prefixes like [`list_page`]. A common prefix is skipped by resuming
/// at `(successor, "")`, which covers every upload of the successor key (ids are never
/// empty).
pub async fn upload_page(
    meta: &Store,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    key_marker: &str,
    id_marker: &str,
    max: usize,
) -> S3Result<(Vec<UploadEntry>, bool)> {
    let delimiter = delimiter.filter(|d| !d.is_empty());
    // No key holds U+0000 (and PostgreSQL text cannot): nothing is under such a prefix,
    // and the uploads after `a\0…` are those of keys after `a`, whatever their ids.
    if prefix.contains('\0') {
        return Ok((Vec::new(), false));
    }
    let id_marker = id_marker.split('\0').next().unwrap_or_default();
    let (key_marker, id_marker) = match key_marker.split_once('\0') {
        Some((head, _)) => (head, ID_AFTER_ALL),
        None => (key_marker, id_marker),
    };
    // The id marker only counts together with a key marker (AWS ignores it alone); a key
    // marker alone lists keys strictly after it, which an id above every id expresses.
    let (mut km, mut im) = match (key_marker.is_empty(), id_marker.is_empty()) {
        (true, _) => (String::new(), String::new()),
        (false, true) => (key_marker.to_string(), ID_AFTER_ALL.to_string()),
        (false, false) => (key_marker.to_string(), id_marker.to_string()),
    };
    if let Some(d) = delimiter
        && let Some(rest) = key_marker.strip_prefix(prefix)
        && let Some(i) = rest.find(d)
    {
        match prefix_successor(&key_marker[..prefix.len() + i + d.len()]) {
            Some(s) => (km, im) = (s, String::new()),
            None => return Ok((Vec::new(), false)),
        }
    }
    let mut entries = Vec::new();
    let batch = max.saturating_add(1).clamp(2, 1001);
    loop {
        let rows = meta
            .list_uploads(bucket, prefix, &km, &im, batch)
            .await
            .map_err(meta_err)?;
        let exhausted = rows.len() < batch;
        let mut restarted = false;
        for u in rows {
            if !u.key.starts_with(prefix) {
                return Ok((entries, false));
            }
            if entries.len() >= max {
                return Ok((entries, true));
            }
            let rolled = delimiter.and_then(|d| {
                u.key[prefix.len()..]
                    .find(d)
                    .map(|i| u.key[..prefix.len() + i + d.len()].to_string())
            });
            match rolled {
                Some(cp) => {
                    let next = prefix_successor(&cp);
                    entries.push(UploadEntry::Prefix(cp));
                    match next {
                        Some(s) => (km, im) = (s, String::new()),
                        None => return Ok((entries, false)),
                    }
                    restarted = true;
                    break;
                }
                None => {
                    (km, im) = (u.key.clone(), u.upload_id.clone());
                    entries.push(UploadEntry::Upload(Box::new(u)));
                }
            }
        }
        if !restarted && exhausted {
            return Ok((entries, false));
        }
    }
}

pub async fn list_uploads(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name();
    let b = ctx.bucket_op(name, "s3:ListBucketMultipartUploads").await?;
    let prefix = ctx.query("prefix").unwrap_or("");
    let delimiter = ctx.query("delimiter");
    let key_marker = ctx.query("key-marker").unwrap_or("");
    let id_marker = ctx.query("upload-id-marker").unwrap_or("");
    let max = max_keys(ctx, "max-uploads")?;
    let (entries, truncated) = upload_page(
        ctx.svc.meta.as_ref(),
        name,
        prefix,
        delimiter,
        key_marker,
        id_marker,
        max,
    )
    .await?;
    let mut w = Writer::new("ListMultipartUploadsResult");
    w.elem("Bucket", name)
        .elem("KeyMarker", key_marker)
        .elem("UploadIdMarker", id_marker)
        .elem("Prefix", prefix);
    if let Some(d) = delimiter {
        w.elem("Delimiter", d);
    }
    match entries.last().filter(|_| truncated) {
        Some(UploadEntry::Upload(u)) => {
            w.elem("NextKeyMarker", &u.key)
                .elem("NextUploadIdMarker", &u.upload_id);
        }
        Some(UploadEntry::Prefix(p)) => {
            w.elem("NextKeyMarker", p).elem("NextUploadIdMarker", "");
        }
        None => {}
    }
    w.elem("MaxUploads", &max.to_string())
        .elem("IsTruncated", if truncated { "true" } else { "false" });
    for e in &entries {
        let UploadEntry::Upload(u) = e else {
            continue;
        };
        w.open("Upload")
            .elem("Key", &u.key)
            .elem("UploadId", &u.upload_id);
        owner_xml(&mut w, "Initiator", &u.initiator);
        owner_xml(&mut w, "Owner", &b.owner);
        w.elem(
            "StorageClass",
            u.headers.storage_class.as_deref().unwrap_or("STANDARD"),
        )
        .elem("Initiated", &iso_date(u.initiated));
        if let Some((alg, ty)) = super::multipart::upload_checksum(u) {
            w.elem("ChecksumAlgorithm", alg.name())
                .elem("ChecksumType", ty.name());
        }
        w.close("Upload");
    }
    for e in &entries {
        if let UploadEntry::Prefix(p) = e {
            w.open("CommonPrefixes")
                .elem("Prefix", p)
                .close("CommonPrefixes");
        }
    }
    Ok(xml_ok(w.finish("ListMultipartUploadsResult")))
}

pub async fn list_parts(ctx: &Ctx<'_>) -> S3Result<Response> {
    let upload = super::multipart::load_for_list(ctx).await?;
    let marker: u32 = match ctx.query("part-number-marker") {
        Some(m) => m
            .trim()
            .parse()
            .map_err(|_| S3Error::invalid_argument("Provided part-number-marker not an integer"))?,
        None => 0,
    };
    let max = max_keys(ctx, "max-parts")?;
    let mut parts = ctx
        .svc
        .meta
        .list_parts(&upload.upload_id, marker, max + 1)
        .await
        .map_err(meta_err)?;
    let truncated = parts.len() > max;
    parts.truncate(max);
    let mut w = Writer::new("ListPartsResult");
    w.elem("Bucket", &upload.bucket)
        .elem("Key", &upload.key)
        .elem("UploadId", &upload.upload_id);
    owner_xml(&mut w, "Initiator", &upload.initiator);
    owner_xml(&mut w, "Owner", &upload.initiator);
    w.elem(
        "StorageClass",
        upload
            .headers
            .storage_class
            .as_deref()
            .unwrap_or("STANDARD"),
    )
    .elem("PartNumberMarker", &marker.to_string());
    if let Some(last) = parts.last() {
        w.elem("NextPartNumberMarker", &last.number.to_string());
    }
    w.elem("MaxParts", &max.to_string())
        .elem("IsTruncated", if truncated { "true" } else { "false" });
    if let Some((alg, ty)) = super::multipart::upload_checksum(&upload) {
        w.elem("ChecksumAlgorithm", alg.name())
            .elem("ChecksumType", ty.name());
    }
    for p in &parts {
        w.open("Part")
            .elem("PartNumber", &p.number.to_string())
            .elem("LastModified", &iso_date(p.modified))
            .elem("ETag", &p.etag)
            .elem("Size", &p.size.to_string());
        if let Some(c) = &p.checksum {
            w.elem(&format!("Checksum{}", c.algorithm), &c.value);
        }
        w.close("Part");
    }
    Ok(xml_ok(w.finish("ListPartsResult")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    async fn store(keys: &[&str]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let keyring = std::sync::Arc::new(hourglass_store::KeyRing::generate("k1").unwrap());
        let s = Store::open(dir.path().join("m.db"), keyring).await.unwrap();
        super::super::list_props::load(&s, "b", keys.iter().copied()).await;
        (dir, s)
    }

    fn names(p: &Page) -> Vec<String> {
        p.entries
            .iter()
            .map(|e| match e {
                Entry::Object(o) => o.key.clone(),
                Entry::Prefix(p) => format!("P:{p}"),
            })
            .collect()
    }

    #[tokio::test]
    async fn delimiter_and_paging() {
        let (_d, s) = store(&["a/1", "a/2", "a/b/3", "b", "c/1", "c/2", "d"]).await;
        let p = list_page(&s, "b", "", Some("/"), "", 1000).await.unwrap();
        assert_eq!(names(&p), vec!["P:a/", "b", "P:c/", "d"]);
        assert!(!p.truncated);
        let p = list_page(&s, "b", "", Some("/"), "", 2).await.unwrap();
        assert_eq!(names(&p), vec!["P:a/", "b"]);
        assert!(p.truncated);
        let p2 = list_page(&s, "b", "", Some("/"), &p.last_marker().unwrap(), 2)
            .await
            .unwrap();
        assert_eq!(names(&p2), vec!["P:c/", "d"]);
        assert!(!p2.truncated);
        let p = list_page(&s, "b", "a/", Some("/"), "", 10).await.unwrap();
        assert_eq!(names(&p), vec!["a/1", "a/2", "P:a/b/"]);
        let p = list_page(&s, "b", "c", None, "c/1", 10).await.unwrap();
        assert_eq!(names(&p), vec!["c/2"]);
        let p = list_page(&s, "b", "", None, "", 7).await.unwrap();
        assert_eq!(p.entries.len(), 7);
        assert!(!p.truncated);
        // Resuming from a marker inside a returned prefix skips the rest of it.
        let p = list_page(&s, "b", "", Some("/"), "a/1", 10).await.unwrap();
        assert_eq!(names(&p), vec!["b", "P:c/", "d"]);
    }
}
