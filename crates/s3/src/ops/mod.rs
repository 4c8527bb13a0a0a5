//! The operations, one module per group, and what they share: the request context
//! ([`Ctx`]), bucket lookup with authorization, payload reading and response helpers.

pub(crate) mod acl;
mod acl_grants;
mod attributes;
mod bucket;
mod bucket_config;
pub(crate) mod cors;
mod lifecycle;
mod list;
mod list_buckets_page;
#[cfg(test)]
mod list_props;
mod multipart;
mod object;
mod post_object;
mod post_policy;
pub(crate) mod public_access;
mod range;
mod tagging;
mod unconfigured;
mod versions;

/// A fresh version id, for writes made outside a request ([`crate::internal`]).
pub(crate) fn new_object_version_id() -> String {
    versions::new_version_id()
}

use bytes::Bytes;
use hourglass_iam::telemetry::RequestReport;
use hourglass_sigv4::{ChunkedDecoder, Request as SigRequest};

use crate::auth::{AuthInfo, RequestView};
use crate::authz::Conditions;
use crate::body::{PayloadReader, RequestBody};
use crate::errors::{S3Error, S3Result};
use crate::meta::{Bucket, MetaError};
use crate::routing::{self, Op, Target};
use crate::xml::Writer;
use crate::{Peer, Response, S3Service, full, status};

/// Largest object a single PUT (or part) may carry.
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// Bounds of the request bodies read into memory and parsed, per operation: each is well
/// above the largest valid document (DeleteObjects: 1,000 keys of 1,024 bytes, escaped;
/// CompleteMultipartUpload: 10,000 parts with checksums; tag sets: 50 tags of 128+256
/// characters) and far below what could exhaust memory.
pub mod body_limits {
    pub const DELETE_OBJECTS: u64 = 8 * 1024 * 1024;
    pub const COMPLETE_MULTIPART: u64 = 4 * 1024 * 1024;
    pub const TAGGING: u64 = 256 * 1024;
    pub const CREATE_BUCKET: u64 = 64 * 1024;
    pub const BUCKET_POLICY: u64 = 1024 * 1024;
    /// 100 rules of a few origins and headers each.
    pub const CORS: u64 = 256 * 1024;
    /// 1,000 rules with filters and actions.
    pub const LIFECYCLE: u64 = 2 * 1024 * 1024;
}

pub(crate) struct Ctx<'a> {
    pub svc: &'a S3Service,
    pub method: http::Method,
    pub headers: http::HeaderMap,
    /// Behind a mutex only so `&Ctx` is `Send` across awaits (the body is not `Sync`).
    pub body: std::sync::Mutex<Option<RequestBody>>,
    pub raw_path: String,
    pub raw_query: String,
    pub q: Vec<(String, String)>,
    pub target: Target,
    pub op: Op,
    pub auth: AuthInfo,
}

impl Ctx<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        routing::get(&self.q, name)
    }

    pub fn bucket_name(&self) -> &str {
        self.target.bucket.as_deref().unwrap_or("")
    }

    pub fn key(&self) -> &str {
        self.target.key.as_deref().unwrap_or("")
    }

    /// Canonical owner id of an account (S3 shows a 64-hex id, never the account id).
    pub fn canonical_id(account: &str) -> String {
        hourglass_iam::principal::canonical_user_id(account)
    }

    pub async fn authorize(
        &self,
        action: &str,
        resource: &str,
        bucket: Option<&Bucket>,
        cond: &Conditions,
    ) -> S3Result<()> {
        self.svc
            .authorize(&self.auth, action, resource, bucket, cond)
            .await
    }

    /// Loads a bucket and authorizes `action` on `resource` with its policy. A missing
    /// bucket is reported as such only to callers allowed to act on it.
    pub async fn bucket_for(
        &self,
        name: &str,
        action: &str,
        resource: &str,
        cond: &Conditions,
    ) -> S3Result<Bucket> {
        match self.svc.bucket(name).await.map_err(meta_err)? {
            Some(b) => {
                self.authorize(action, resource, Some(&b), cond).await?;
                Ok(b)
            }
            None => {
                self.authorize(action, resource, None, cond).await?;
                Err(S3Error::no_such_bucket(name))
            }
        }
    }

    /// Records `obj`, whose data is `segment`, and frees the data it replaced. Should the
    /// record fail, the new data is freed instead: nothing points at it.
    pub async fn commit_object(
        &self,
        obj: &crate::meta::Object,
        segment: crate::meta::Segment,
    ) -> S3Result<crate::meta::Written> {
        let mut written = match self.svc.meta.put_object(obj).await {
            Ok(w) => w,
            Err(e) => {
                self.svc.data.remove(vec![segment]).await;
                return Err(meta_err(e));
            }
        };
        self.svc
            .data
            .remove(std::mem::take(&mut written.freed))
            .await;
        Ok(written)
    }

    /// [`Ctx::bucket_for`] on the bucket itself, with no conditions beyond the request's.
    pub async fn bucket_op(&self, name: &str, action: &str) -> S3Result<Bucket> {
        self.bucket_for(
            name,
            action,
            &crate::authz::bucket_arn(name),
            &Conditions::default(),
        )
        .await
    }

    /// The payload's length as the client declares it (aws-chunked bodies declare their
    /// decoded length apart from the framed one).
    pub fn declared_length(&self) -> Option<u64> {
        self.header("x-amz-decoded-content-length")
            .or_else(|| self.header("content-length"))
            .and_then(|v| v.trim().parse::<u64>().ok())
    }

    /// The decoded payload, streaming; checks size against `limit` up front when the
    /// length is declared.
    pub fn payload(&mut self, limit: u64) -> S3Result<PayloadReader> {
        let declared = self.declared_length();
        if declared.is_some_and(|d| d > limit) {
            return Err(crate::body::too_large(limit));
        }
        let body = self
            .body
            .get_mut()
            .map_err(|_| S3Error::internal("request body lock poisoned"))?
            .take()
            .ok_or_else(|| S3Error::internal("request body read twice"))?;
        let decoder = match (&self.auth.verified, self.auth.payload.is_streaming()) {
            (Some(v), true) => {
                let pairs = header_pairs(&self.headers);
                let view: Vec<(&str, &str)> = pairs
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let req = SigRequest {
                    method: self.method.as_str(),
                    path: &self.raw_path,
                    query: &self.raw_query,
                    headers: &view,
                };
                Some(
                    ChunkedDecoder::for_request(&req, v)
                        .map_err(|e| crate::errors::from_sigv4(&e))?,
                )
            }
            _ => None,
        };
        Ok(PayloadReader::new(body, &self.auth.payload, decoder, limit))
    }

    /// Reads a request body to parse, refusing one over `limit` before parsing it: up front
    /// when the declared length is too big, else as soon as the bytes received exceed it.
    /// `too_big` is the operation's error for an oversized body.
    pub async fn small_body(&mut self, limit: u64, too_big: fn() -> S3Error) -> S3Result<Bytes> {
        let read = match self.payload(limit) {
            Ok(reader) => reader.read_all().await,
            Err(e) => Err(e),
        };
        read.map_err(|e| {
            if e.code == "EntityTooLarge" {
                too_big()
            } else {
                e
            }
        })
    }

    /// [`Ctx::small_body`] for an XML document (AWS: `MaxMessageLengthExceeded`).
    pub async fn xml_body(&mut self, limit: u64) -> S3Result<Bytes> {
        self.small_body(limit, S3Error::max_message_length_exceeded)
            .await
    }
}

pub(crate) fn meta_err(e: MetaError) -> S3Error {
    match e {
        MetaError::NoSuchBucket => {
            S3Error::new(404, "NoSuchBucket", "The specified bucket does not exist")
        }
        MetaError::NoSuchUpload => S3Error::new(
            404,
            "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        ),
        MetaError::BucketNotEmpty => S3Error::new(
            409,
            "BucketNotEmpty",
            "The bucket you tried to delete is not empty",
        ),
        MetaError::BucketExists => S3Error::new(
            409,
            "BucketAlreadyExists",
            "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
        ),
        MetaError::Backend(m) => S3Error::internal(m),
    }
}

fn header_pairs(h: &http::HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

pub(crate) fn xml_ok(body: String) -> Response {
    let mut r = http::Response::new(full(body));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/xml"),
    );
    r
}

pub(crate) fn no_content(code: u16) -> Response {
    let mut r = http::Response::new(crate::empty());
    *r.status_mut() = status(code);
    r
}

pub(crate) fn set_header(r: &mut Response, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (
        http::HeaderName::from_bytes(name.as_bytes()),
        http::HeaderValue::from_str(value),
    ) {
        r.headers_mut().insert(n, v);
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate). Written field by field rather than
/// through chrono's pattern formatter, which parses its pattern on every call (every GET
/// and HEAD answers with one); years past four digits keep the pattern's rendering.
pub(crate) fn http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::{Datelike, Timelike};
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (day, month) = (
        DAYS.get(t.weekday().num_days_from_monday() as usize),
        MONTHS.get(t.month0() as usize),
    );
    match (day, month) {
        (Some(day), Some(month)) if (0..=9999).contains(&t.year()) => format!(
            "{day}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
            t.day(),
            t.year(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        _ => t.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
    }
}

/// `2024-01-01T00:00:00.000Z`, as S3 lists `LastModified`.
pub(crate) fn iso_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn owner_xml(w: &mut Writer, name: &str, account: &str) {
    w.open(name)
        .elem("ID", &Ctx::canonical_id(account))
        .elem("DisplayName", account)
        .close(name);
}

/// The request as S3's CloudTrail data and management events record it: bucket and key,
/// the `Host`, and the query parameters (never a presigned signature or token).
fn audit_detail(
    report: &mut RequestReport,
    target: &routing::Target,
    q: &[(String, String)],
    host: Option<&str>,
) {
    let mut params = serde_json::Map::new();
    if let Some(b) = &target.bucket {
        params.insert("bucketName".into(), b.clone().into());
    }
    if let Some(h) = host {
        params.insert("Host".into(), h.into());
    }
    if let Some(k) = &target.key {
        params.insert("key".into(), k.clone().into());
    }
    for (k, v) in q {
        if k.starts_with("X-Amz-")
            || k.starts_with("x-amz-")
            || k == "AWSAccessKeyId"
            || k == "Signature"
        {
            continue;
        }
        params.insert(k.clone(), v.clone().into());
    }
    report.audit.bucket = target.bucket.clone();
    report.audit.key = target.key.clone();
    report.audit.request_parameters = Some(serde_json::Value::Object(params));
}

pub(crate) async fn dispatch(
    svc: &S3Service,
    req: http::Request<RequestBody>,
    peer: Peer,
    _rid: &str,
    report: &mut RequestReport,
) -> S3Result<Response> {
    let (parts, body) = req.into_parts();
    let raw_path = parts.uri.path().to_owned();
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()));
    let target = routing::target(&raw_path, host.as_deref(), svc.domain.as_deref())?;
    let q = routing::query_pairs(&raw_query);
    let copy = parts.headers.contains_key("x-amz-copy-source");
    let account_op = routing::account_operation(
        parts.method.as_str(),
        &target,
        parts.headers.contains_key("x-amz-account-id"),
    );
    let op = match account_op {
        Some(op) => op?,
        None => routing::operation(parts.method.as_str(), &target, &q, copy)?,
    };
    report.operation = Some(format!("{op:?}"));
    audit_detail(report, &target, &q, host.as_deref());

    let pairs = header_pairs(&parts.headers);
    let mut view: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // HTTP/2 carries the host as :authority; the signature covers it as `host`.
    let authority;
    if !parts.headers.contains_key(http::header::HOST)
        && let Some(a) = parts.uri.authority()
    {
        authority = a.to_string();
        view.push(("host", authority.as_str()));
    }
    // A preflight is never signed: the browser sends it before the request it asks about,
    // with that request's presigned query string, which does not sign OPTIONS.
    let auth = if op == Op::Preflight {
        Ok(crate::auth::AuthInfo::anonymous(peer.ip, peer.secure))
    } else {
        svc.authenticate(&RequestView {
            method: parts.method.as_str(),
            raw_path: &raw_path,
            raw_query: &raw_query,
            headers: &view,
            virtual_bucket: target
                .virtual_host
                .then_some(target.bucket.as_deref())
                .flatten(),
            source_ip: peer.ip,
            secure_transport: peer.secure,
        })
        .await
    }
    .inspect_err(|_| report.auth_failed = true)?;
    if let Some(caller) = &auth.caller {
        report.caller(caller);
    }
    let mut ctx = Ctx {
        svc,
        method: parts.method,
        headers: parts.headers,
        body: std::sync::Mutex::new(Some(body)),
        raw_path,
        raw_query,
        q,
        target,
        op,
        auth,
    };
    match op {
        Op::ListBuckets => bucket::list_buckets(&ctx).await,
        Op::CreateBucket => bucket::create(&mut ctx).await,
        Op::HeadBucket => bucket::head(&ctx).await,
        Op::DeleteBucket => bucket::delete(&ctx).await,
        Op::GetBucketLocation => bucket::location(&ctx).await,
        Op::GetBucketPolicy => bucket::get_policy(&ctx).await,
        Op::PutBucketPolicy => bucket::put_policy(&mut ctx).await,
        Op::DeleteBucketPolicy => bucket::delete_policy(&ctx).await,
        Op::GetBucketVersioning => versions::get_versioning(&ctx).await,
        Op::PutBucketVersioning => versions::put_versioning(&mut ctx).await,
        Op::ListObjectVersions => versions::list(&ctx).await,
        Op::GetBucketAcl => acl::get_bucket(&ctx).await,
        Op::GetBucketWebsite
        | Op::GetBucketReplication
        | Op::GetObjectLockConfiguration
        | Op::GetBucketEncryption
        | Op::GetBucketLogging
        | Op::GetBucketNotification
        | Op::GetBucketAccelerate
        | Op::GetBucketRequestPayment
        | Op::DeleteBucketWebsite
        | Op::DeleteBucketReplication
        | Op::DeleteBucketEncryption
        | Op::ListBucketAnalyticsConfigurations
        | Op::GetBucketAnalyticsConfiguration
        | Op::DeleteBucketAnalyticsConfiguration
        | Op::ListBucketMetricsConfigurations
        | Op::GetBucketMetricsConfiguration
        | Op::DeleteBucketMetricsConfiguration
        | Op::ListBucketInventoryConfigurations
        | Op::GetBucketInventoryConfiguration
        | Op::DeleteBucketInventoryConfiguration
        | Op::ListBucketIntelligentTieringConfigurations
        | Op::GetBucketIntelligentTieringConfiguration
        | Op::DeleteBucketIntelligentTieringConfiguration => unconfigured::get(&ctx).await,
        Op::PutBucketRequestPayment
        | Op::PutBucketAccelerate
        | Op::PutBucketLogging
        | Op::PutBucketEncryption
        | Op::PutBucketNotification => unconfigured::put_default(&mut ctx).await,
        Op::GetObjectRetention
        | Op::PutObjectRetention
        | Op::GetObjectLegalHold
        | Op::PutObjectLegalHold => unconfigured::object_lock(&ctx).await,
        Op::RestoreObject => unconfigured::restore(&ctx).await,
        Op::GetObjectAttributes => attributes::get(&ctx).await,
        Op::GetBucketLifecycle => lifecycle::get(&ctx).await,
        Op::PutBucketLifecycle => lifecycle::put(&mut ctx).await,
        Op::DeleteBucketLifecycle => lifecycle::delete(&ctx).await,
        Op::PutBucketAcl => acl::put_bucket(&mut ctx).await,
        Op::PutObjectAcl => acl::put_object(&mut ctx).await,
        Op::GetBucketOwnershipControls => acl::get_ownership(&ctx).await,
        Op::PutBucketOwnershipControls => acl::put_ownership(&mut ctx).await,
        Op::DeleteBucketOwnershipControls => acl::delete_ownership(&ctx).await,
        Op::GetBucketTagging => tagging::get_bucket(&ctx).await,
        Op::PutBucketTagging => tagging::put_bucket(&mut ctx).await,
        Op::DeleteBucketTagging => tagging::delete_bucket(&ctx).await,
        Op::ListObjects | Op::ListObjectsV2 => list::list_objects(&ctx).await,
        Op::ListMultipartUploads => list::list_uploads(&ctx).await,
        Op::DeleteObjects => object::delete_objects(&mut ctx).await,
        Op::PutObject => object::put(&mut ctx).await,
        Op::PostObject => post_object::post(&mut ctx).await,
        Op::GetBucketCors => cors::get(&ctx).await,
        Op::PutBucketCors => cors::put(&mut ctx).await,
        Op::DeleteBucketCors => cors::delete(&ctx).await,
        Op::Preflight => cors::preflight(&ctx).await,
        Op::GetPublicAccessBlock => public_access::get_bucket(&ctx).await,
        Op::PutPublicAccessBlock => public_access::put_bucket(&mut ctx).await,
        Op::DeletePublicAccessBlock => public_access::delete_bucket(&ctx).await,
        Op::GetBucketPolicyStatus => public_access::policy_status(&ctx).await,
        Op::GetAccountPublicAccessBlock => public_access::get_account(&ctx).await,
        Op::PutAccountPublicAccessBlock => public_access::put_account(&mut ctx).await,
        Op::DeleteAccountPublicAccessBlock => public_access::delete_account(&ctx).await,
        Op::CopyObject => object::copy(&ctx).await,
        Op::GetObject | Op::HeadObject => object::get(&ctx).await,
        Op::DeleteObject => object::delete(&ctx).await,
        Op::GetObjectAcl => acl::get_object(&ctx).await,
        Op::GetObjectTagging => tagging::get_object(&ctx).await,
        Op::PutObjectTagging => tagging::put_object(&mut ctx).await,
        Op::DeleteObjectTagging => tagging::delete_object(&ctx).await,
        Op::CreateMultipartUpload => multipart::create(&ctx).await,
        Op::UploadPart => multipart::upload_part(&mut ctx).await,
        Op::UploadPartCopy => multipart::upload_part_copy(&ctx).await,
        Op::CompleteMultipartUpload => multipart::complete(&mut ctx).await,
        Op::AbortMultipartUpload => multipart::abort(&ctx).await,
        Op::ListParts => list::list_parts(&ctx).await,
    }
}

#[cfg(test)]
mod date_tests {
    #![allow(clippy::unwrap_used)]
    use chrono::{DateTime, Datelike, TimeZone, Utc};

    #[test]
    fn dates_render_as_the_patterns_did() {
        let times: Vec<DateTime<Utc>> = vec![
            Utc.timestamp_millis_opt(0).unwrap(),
            Utc.timestamp_millis_opt(784_111_777_005).unwrap(),
            Utc.timestamp_millis_opt(1_764_806_400_999).unwrap(),
            Utc.with_ymd_and_hms(2026, 12, 6, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 1, 2, 3).unwrap(),
            Utc.with_ymd_and_hms(12_000, 1, 1, 0, 0, 0).unwrap(),
        ];
        for t in times {
            assert_eq!(
                super::http_date(t),
                t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
            );
            if t.year_ce().1 <= 9999 {
                assert_eq!(
                    super::iso_date(t),
                    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
                );
            }
        }
    }
}
