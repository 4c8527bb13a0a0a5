//! Lifecycle: Put/Get/DeleteBucketLifecycleConfiguration, `x-amz-expiration` on GET/HEAD,
//! and the background pass that applies the rules (Expiration by days or date,
//! ExpiredObjectDeleteMarker, NoncurrentVersionExpiration, AbortIncompleteMultipartUpload).
//!
//! The pass keeps no state of its own: each run lists every bucket with a configuration from
//! the start, in bounded pages, so a restart simply runs it again. Time is the identity
//! clock's, so tests move it like every other expiry.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Ctx, bucket_config, http_date, xml_ok};
use crate::errors::{S3Error, S3Result};
use crate::meta::{Object, Tag, Version};
use crate::xml::{self, Element, Writer};
use crate::{Response, S3Service};

const DOC: &str = "lifecycle";
const MAX_RULES: usize = 1000;
/// Entries examined per store read of the background pass.
const PAGE: usize = 500;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub prefix: String,
    pub tags: Vec<Tag>,
    pub size_gt: Option<u64>,
    pub size_lt: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub enabled: bool,
    pub filter: Filter,
    /// Whether the rule used the legacy top-level `<Prefix>` (rendered back the same way).
    pub legacy_prefix: bool,
    pub expiration_days: Option<u32>,
    pub expiration_date: Option<DateTime<Utc>>,
    pub expired_object_delete_marker: bool,
    pub noncurrent_days: Option<u32>,
    pub newer_noncurrent_versions: Option<u32>,
    pub abort_upload_days: Option<u32>,
}

fn invalid(message: &str) -> S3Error {
    S3Error::invalid_argument(message)
}

fn days(e: &Element, name: &str, what: &str) -> S3Result<Option<u32>> {
    match e.child_text(name) {
        None => Ok(None),
        Some(v) => match v.trim().parse::<u32>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(invalid(&format!(
                "'{name}' for {what} action must be a positive integer"
            ))),
        },
    }
}

fn tag_of(e: &Element) -> S3Result<Tag> {
    Ok(Tag {
        key: e
            .child_text("Key")
            .ok_or_else(S3Error::malformed_xml)?
            .to_owned(),
        value: e.child_text("Value").unwrap_or("").to_owned(),
    })
}

fn size(e: &Element, name: &str) -> S3Result<Option<u64>> {
    e.child_text(name)
        .map(|v| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| S3Error::malformed_xml())
        })
        .transpose()
}

fn filter_of(f: &Element) -> S3Result<Filter> {
    let mut out = Filter::default();
    let scope = f.child("And");
    let src = scope.unwrap_or(f);
    out.prefix = src.child_text("Prefix").unwrap_or("").to_owned();
    for t in src.children_named("Tag") {
        out.tags.push(tag_of(t)?);
    }
    out.size_gt = size(src, "ObjectSizeGreaterThan")?;
    out.size_lt = size(src, "ObjectSizeLessThan")?;
    if scope.is_none() {
        let set = usize::from(f.child("Prefix").is_some())
            + out.tags.len()
            + usize::from(out.size_gt.is_some())
            + usize::from(out.size_lt.is_some());
        if set > 1 {
            return Err(S3Error::malformed_xml());
        }
    }
    if let (Some(gt), Some(lt)) = (out.size_gt, out.size_lt)
        && gt >= lt
    {
        return Err(invalid(
            "ObjectSizeGreaterThan must be less than ObjectSizeLessThan",
        ));
    }
    Ok(out)
}

pub fn parse(body: &[u8]) -> S3Result<Vec<Rule>> {
    let doc = xml::parse_document(body, "LifecycleConfiguration")?;
    let mut rules: Vec<Rule> = Vec::new();
    for r in doc.children_named("Rule") {
        let id = r.child_text("ID").unwrap_or("").to_owned();
        let id = if id.is_empty() {
            super::versions::new_version_id()
        } else {
            id
        };
        if id.len() > 255 {
            return Err(invalid("ID length should not exceed allowed limit of 255"));
        }
        if rules.iter().any(|x| x.id == id) {
            return Err(invalid(
                "Rule ID must be unique. Found same ID for more than one rule",
            ));
        }
        let enabled = match r.child_text("Status").map(str::trim) {
            Some("Enabled") => true,
            Some("Disabled") => false,
            _ => return Err(S3Error::malformed_xml()),
        };
        let (filter, legacy_prefix) = match (r.child("Filter"), r.child_text("Prefix")) {
            (Some(_), Some(_)) => return Err(S3Error::malformed_xml()),
            (Some(f), None) => (filter_of(f)?, false),
            (None, Some(p)) => (
                Filter {
                    prefix: p.to_owned(),
                    ..Filter::default()
                },
                true,
            ),
            (None, None) => (Filter::default(), false),
        };
        if r.child("Transition").is_some() || r.child("NoncurrentVersionTransition").is_some() {
            return Err(S3Error::not_implemented(
                "lifecycle transitions (one storage class)",
            ));
        }
        let mut rule = Rule {
            id,
            enabled,
            filter,
            legacy_prefix,
            expiration_days: None,
            expiration_date: None,
            expired_object_delete_marker: false,
            noncurrent_days: None,
            newer_noncurrent_versions: None,
            abort_upload_days: None,
        };
        if let Some(e) = r.child("Expiration") {
            rule.expiration_days = days(e, "Days", "Expiration")?;
            if let Some(d) = e.child_text("Date") {
                let parsed = DateTime::parse_from_rfc3339(d.trim())
                    .map(|d| d.with_timezone(&Utc))
                    .ok()
                    .or_else(|| {
                        NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                            .ok()
                            .and_then(|n| n.and_hms_opt(0, 0, 0))
                            .map(|n| n.and_utc())
                    })
                    .ok_or_else(|| invalid("Date must be in ISO 8601 format"))?;
                if parsed.time() != chrono::NaiveTime::MIN {
                    return Err(invalid("'Date' must be at midnight GMT"));
                }
                rule.expiration_date = Some(parsed);
            }
            rule.expired_object_delete_marker = match e.child_text("ExpiredObjectDeleteMarker") {
                None => false,
                Some(v) if v.trim() == "true" => true,
                Some(v) if v.trim() == "false" => false,
                Some(_) => return Err(S3Error::malformed_xml()),
            };
            let set = usize::from(rule.expiration_days.is_some())
                + usize::from(rule.expiration_date.is_some())
                + usize::from(e.child("ExpiredObjectDeleteMarker").is_some());
            if set != 1 {
                return Err(S3Error::malformed_xml());
            }
            if rule.expired_object_delete_marker && !rule.filter.tags.is_empty() {
                return Err(invalid(
                    "ExpiredObjectDeleteMarker cannot be specified with a tag-based filter",
                ));
            }
        }
        if let Some(n) = r.child("NoncurrentVersionExpiration") {
            rule.noncurrent_days = days(n, "NoncurrentDays", "NoncurrentVersionExpiration")?;
            rule.newer_noncurrent_versions =
                days(n, "NewerNoncurrentVersions", "NoncurrentVersionExpiration")?;
            if rule.noncurrent_days.is_none() {
                return Err(S3Error::malformed_xml());
            }
        }
        if let Some(a) = r.child("AbortIncompleteMultipartUpload") {
            rule.abort_upload_days =
                days(a, "DaysAfterInitiation", "AbortIncompleteMultipartUpload")?;
            if rule.abort_upload_days.is_none() {
                return Err(S3Error::malformed_xml());
            }
            if !rule.filter.tags.is_empty() {
                return Err(invalid(
                    "AbortIncompleteMultipartUpload cannot be specified with Tags.",
                ));
            }
        }
        if rule.expiration_days.is_none()
            && rule.expiration_date.is_none()
            && !rule.expired_object_delete_marker
            && rule.noncurrent_days.is_none()
            && rule.abort_upload_days.is_none()
        {
            return Err(invalid(
                "At least one action needs to be specified in a rule",
            ));
        }
        rules.push(rule);
    }
    if rules.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    if rules.len() > MAX_RULES {
        return Err(invalid(
            "The number of lifecycle rules should not exceed allowed limit of 1000 rules",
        ));
    }
    Ok(rules)
}

fn render(rules: &[Rule]) -> String {
    let mut w = Writer::new("LifecycleConfiguration");
    for r in rules {
        w.open("Rule").elem("ID", &r.id);
        let f = &r.filter;
        if r.legacy_prefix {
            w.elem("Prefix", &f.prefix);
        } else {
            w.open("Filter");
            let parts = usize::from(!f.prefix.is_empty())
                + f.tags.len()
                + usize::from(f.size_gt.is_some())
                + usize::from(f.size_lt.is_some());
            let and = parts > 1;
            if and {
                w.open("And");
            }
            if !f.prefix.is_empty() || parts == 0 {
                w.elem("Prefix", &f.prefix);
            }
            for t in &f.tags {
                w.open("Tag")
                    .elem("Key", &t.key)
                    .elem("Value", &t.value)
                    .close("Tag");
            }
            if let Some(v) = f.size_gt {
                w.elem("ObjectSizeGreaterThan", &v.to_string());
            }
            if let Some(v) = f.size_lt {
                w.elem("ObjectSizeLessThan", &v.to_string());
            }
            if and {
                w.close("And");
            }
            w.close("Filter");
        }
        w.elem("Status", if r.enabled { "Enabled" } else { "Disabled" });
        if r.expiration_days.is_some()
            || r.expiration_date.is_some()
            || r.expired_object_delete_marker
        {
            w.open("Expiration");
            if let Some(d) = r.expiration_days {
                w.elem("Days", &d.to_string());
            }
            if let Some(d) = r.expiration_date {
                w.elem("Date", &d.format("%Y-%m-%dT%H:%M:%S.000Z").to_string());
            }
            if r.expired_object_delete_marker {
                w.elem("ExpiredObjectDeleteMarker", "true");
            }
            w.close("Expiration");
        }
        if let Some(d) = r.noncurrent_days {
            w.open("NoncurrentVersionExpiration")
                .elem("NoncurrentDays", &d.to_string());
            if let Some(n) = r.newer_noncurrent_versions {
                w.elem("NewerNoncurrentVersions", &n.to_string());
            }
            w.close("NoncurrentVersionExpiration");
        }
        if let Some(d) = r.abort_upload_days {
            w.open("AbortIncompleteMultipartUpload")
                .elem("DaysAfterInitiation", &d.to_string())
                .close("AbortIncompleteMultipartUpload");
        }
        w.close("Rule");
    }
    w.finish("LifecycleConfiguration")
}

async fn rules(svc: &S3Service, bucket: &str) -> S3Result<Option<Vec<Rule>>> {
    bucket_config::load(svc, bucket, DOC, "lifecycle configuration").await
}

pub async fn put(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    let limit = super::body_limits::LIFECYCLE;
    bucket_config::put(ctx, "s3:PutLifecycleConfiguration", DOC, limit, parse).await
}

pub async fn get(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name();
    bucket_config::authorize(ctx, name, "s3:GetLifecycleConfiguration").await?;
    match rules(ctx.svc, name).await? {
        Some(r) => Ok(xml_ok(render(&r))),
        None => Err(S3Error::new(
            404,
            "NoSuchLifecycleConfiguration",
            "The lifecycle configuration does not exist",
        )
        .with("BucketName", name)),
    }
}

pub async fn delete(ctx: &Ctx<'_>) -> S3Result<Response> {
    bucket_config::delete(ctx, "s3:PutLifecycleConfiguration", DOC).await
}

// ----- applying the rules -----

fn matches(f: &Filter, o: &Object) -> bool {
    o.key.starts_with(&f.prefix)
        && f.tags.iter().all(|t| o.tags.contains(t))
        && f.size_gt.is_none_or(|n| o.size > n)
        && f.size_lt.is_none_or(|n| o.size < n)
}

/// AWS counts days from the object's creation and expires at the following midnight UTC.
fn after_days(t: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let day = t.date_naive() + Duration::days(i64::from(days) + 1);
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// When `o` (current) expires under `rules`, and by which rule: the earliest.
fn expiry<'a>(rules: &'a [Rule], o: &Object) -> Option<(DateTime<Utc>, &'a str)> {
    rules
        .iter()
        .filter(|r| r.enabled && matches(&r.filter, o))
        .filter_map(|r| {
            let t = match (r.expiration_days, r.expiration_date) {
                (Some(d), _) => after_days(o.modified, d),
                (None, Some(d)) => d,
                (None, None) => return None,
            };
            Some((t, r.id.as_str()))
        })
        .min_by_key(|(t, _)| *t)
}

/// `x-amz-expiration` for a GET/HEAD of the current object.
pub async fn expiration_header(svc: &S3Service, bucket: &str, o: &Object) -> Option<String> {
    let rules = rules(svc, bucket).await.ok()??;
    let (t, id) = expiry(&rules, o)?;
    Some(format!(
        "expiry-date=\"{}\", rule-id=\"{}\"",
        http_date(t),
        id.replace('"', "")
    ))
}

impl S3Service {
    /// Runs [`S3Service::run_lifecycle`] now and then every `every`, for the life of the
    /// process.
    pub fn spawn_lifecycle(self: &std::sync::Arc<Self>, every: std::time::Duration) {
        let svc = std::sync::Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match svc.run_lifecycle().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(removed = n, "lifecycle pass"),
                    Err(e) => tracing::warn!(error = %e, "lifecycle pass failed"),
                }
            }
        });
    }

    /// One pass over every bucket with a lifecycle configuration. Returns how many entries
    /// it removed (objects expired, versions and markers deleted, uploads aborted).
    pub async fn run_lifecycle(&self) -> Result<usize, String> {
        let now = self.identity.clock().now();
        let configured = self
            .meta
            .buckets_with_config(DOC)
            .await
            .map_err(|e| e.to_string())?;
        let mut removed = 0usize;
        for (bucket, json) in configured {
            let rules: Vec<Rule> = match serde_json::from_str(&json) {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(%bucket, error = %e, "unreadable lifecycle configuration");
                    continue;
                }
            };
            match self.apply(&bucket, &rules, now).await {
                Ok(n) => removed = removed.saturating_add(n),
                Err(e) => tracing::warn!(%bucket, error = %e, "lifecycle pass failed"),
            }
        }
        Ok(removed)
    }

    async fn apply(
        &self,
        bucket: &str,
        rules: &[Rule],
        now: DateTime<Utc>,
    ) -> Result<usize, String> {
        let err = |e: crate::meta::MetaError| e.to_string();
        let mut removed = 0usize;
        let mut start = String::new();
        let mut after: Option<String> = None;
        // The entries of the current key, newest first, gathered across pages.
        let mut key_entries: Vec<Version> = Vec::new();
        loop {
            let page = self
                .meta
                .list_versions(bucket, "", &start, after.as_deref(), false, PAGE)
                .await
                .map_err(err)?;
            let done = page.len() < PAGE;
            for v in page {
                start = v.object.key.clone();
                after = Some(v.object.version_id.clone());
                if key_entries
                    .first()
                    .is_some_and(|f| f.object.key != v.object.key)
                {
                    removed += self.apply_key(bucket, rules, now, &key_entries).await?;
                    key_entries.clear();
                }
                key_entries.push(v);
            }
            if done {
                break;
            }
        }
        if !key_entries.is_empty() {
            removed += self.apply_key(bucket, rules, now, &key_entries).await?;
        }
        // Incomplete multipart uploads.
        let (mut key_marker, mut id_marker) = (String::new(), String::new());
        loop {
            let uploads = self
                .meta
                .list_uploads(bucket, "", &key_marker, &id_marker, PAGE)
                .await
                .map_err(err)?;
            let done = uploads.len() < PAGE;
            for u in uploads {
                key_marker = u.key.clone();
                id_marker = u.upload_id.clone();
                let due = rules.iter().any(|r| {
                    r.enabled
                        && u.key.starts_with(&r.filter.prefix)
                        && r.abort_upload_days
                            .is_some_and(|d| after_days(u.initiated, d) <= now)
                });
                if due && let Ok(segs) = self.meta.abort_upload(&u.upload_id).await {
                    self.data.remove(segs).await;
                    removed += 1;
                }
            }
            if done {
                break;
            }
        }
        Ok(removed)
    }

    /// Applies the rules to one key's history (newest first).
    async fn apply_key(
        &self,
        bucket: &str,
        rules: &[Rule],
        now: DateTime<Utc>,
        entries: &[Version],
    ) -> Result<usize, String> {
        let mut removed = 0usize;
        let Some(newest) = entries.first() else {
            return Ok(0);
        };
        let key = newest.object.key.clone();
        // Current object past its expiration: delete as a DELETE without version id would.
        if newest.latest
            && !newest.delete_marker
            && expiry(rules, &newest.object).is_some_and(|(t, _)| t <= now)
        {
            let r = self
                .meta
                .delete_object(bucket, &key, None, &super::versions::new_version_id())
                .await
                .map_err(|e| e.to_string())?;
            self.data.remove(r.freed).await;
            removed += 1;
        }
        // Noncurrent versions: noncurrent since their successor was written.
        let mut kept_noncurrent = 0u32;
        for pair in entries.windows(2) {
            let (successor, v) = (&pair[0], &pair[1]);
            if v.delete_marker {
                continue;
            }
            let due = rules.iter().any(|r| {
                r.enabled
                    && matches(&r.filter, &v.object)
                    && r.noncurrent_days.is_some_and(|d| {
                        after_days(successor.object.modified, d) <= now
                            && r.newer_noncurrent_versions
                                .is_none_or(|keep| kept_noncurrent >= keep)
                    })
            });
            if due {
                let r = self
                    .meta
                    .delete_object(bucket, &key, Some(&v.object.version_id), "")
                    .await
                    .map_err(|e| e.to_string())?;
                self.data.remove(r.freed).await;
                removed += 1;
            } else {
                kept_noncurrent = kept_noncurrent.saturating_add(1);
            }
        }
        // A delete marker left alone (no versions behind it) goes with ExpiredObjectDeleteMarker.
        let remaining = self
            .meta
            .list_versions(bucket, &key, &key, None, true, 2)
            .await
            .map_err(|e| e.to_string())?;
        let own: Vec<&Version> = remaining.iter().filter(|v| v.object.key == key).collect();
        if let [only] = own.as_slice()
            && only.delete_marker
            && rules.iter().any(|r| {
                r.enabled && r.expired_object_delete_marker && key.starts_with(&r.filter.prefix)
            })
        {
            self.meta
                .delete_object(bucket, &key, Some(&only.object.version_id), "")
                .await
                .map_err(|e| e.to_string())?;
            removed += 1;
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rules_parse_render_and_validate() {
        let doc = br#"<LifecycleConfiguration><Rule><ID>logs</ID><Filter><And><Prefix>logs/</Prefix><Tag><Key>t</Key><Value>1</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration><NoncurrentVersionExpiration><NoncurrentDays>7</NoncurrentDays></NoncurrentVersionExpiration></Rule><Rule><ID>mp</ID><Filter><Prefix></Prefix></Filter><Status>Disabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>"#;
        let rules = parse(doc).unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(parse(render(&rules).as_bytes()).unwrap(), rules);
        for (bad, code) in [
            (&br#"<LifecycleConfiguration/>"#[..], "MalformedXML"),
            (br#"<LifecycleConfiguration><Rule><Status>On</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>"#, "MalformedXML"),
            (br#"<LifecycleConfiguration><Rule><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule></LifecycleConfiguration>"#, "InvalidArgument"),
            (br#"<LifecycleConfiguration><Rule><Status>Enabled</Status></Rule></LifecycleConfiguration>"#, "InvalidArgument"),
            (br#"<LifecycleConfiguration><Rule><ID>a</ID><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule><Rule><ID>a</ID><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>"#, "InvalidArgument"),
            (br#"<LifecycleConfiguration><Rule><Status>Enabled</Status><Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration></Rule></LifecycleConfiguration>"#, "InvalidArgument"),
            (br#"<LifecycleConfiguration><Rule><Status>Enabled</Status><Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition></Rule></LifecycleConfiguration>"#, "NotImplemented"),
        ] {
            assert_eq!(parse(bad).unwrap_err().code, code, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn expiry_is_the_next_midnight_after_the_days() {
        let t = DateTime::parse_from_rfc3339("2026-01-01T15:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(after_days(t, 1).to_rfc3339(), "2026-01-03T00:00:00+00:00");
    }
}
