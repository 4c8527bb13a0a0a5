//! POST Object: browser uploads with an HTML form (`multipart/form-data`) to the bucket.
//!
//! The fields before `file` are read into memory, bounded, before anything else; they carry
//! the credentials (SigV4: `x-amz-credential`/`-date`/`-signature`, SigV2:
//! `AWSAccessKeyId`/`signature`, plus `x-amz-security-token`) and the signed policy. Only
//! once the signature, the policy and the authorization of `s3:PutObject` pass is the file
//! streamed to disk, within the policy's `content-length-range`. Fields after the file are
//! ignored, as AWS does.

use std::collections::BTreeMap;

use bytes::Bytes;
use chrono::{NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use hourglass_sigv4::{PayloadMode, derive_signing_key};
use sha1::Sha1;
use sha2::Sha256;

use super::tagging::parse_tagging_xml;
use super::{Ctx, MAX_OBJECT_SIZE, no_content, post_policy, set_header, versions};
use crate::Response;
use crate::auth::AuthInfo;
use crate::authz::{Conditions, object_arn};
use crate::checksum::{self, Digests};
use crate::errors::{S3Error, S3Result};
use crate::meta::{Object, ObjectHeaders};
use crate::routing::validate_key;
use crate::xml::Writer;

/// Bound on all the form fields besides the file, together (AWS documents 20 KB for the
/// policy; the other fields are small).
const FIELDS_LIMIT: u64 = 64 * 1024;

fn malformed() -> S3Error {
    S3Error::new(
        400,
        "MalformedPOSTRequest",
        "The body of your POST request is not well-formed multipart/form-data.",
    )
}

fn missing(field: &str) -> S3Error {
    S3Error::invalid_argument(format!(
        "Bucket POST must contain a field named '{field}'.  If it is specified, please check the order of the fields."
    ))
    .with("ArgumentName", field)
}

fn bad_signature() -> S3Error {
    S3Error::new(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    )
}

pub async fn post(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.bucket_name().to_string();
    let boundary = ctx
        .header("content-type")
        .filter(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(|| {
            S3Error::new(
                412,
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
            )
            .with(
                "Condition",
                "Bucket POST must be of the enclosure-type multipart/form-data",
            )
        })?;
    let limit = MAX_OBJECT_SIZE.saturating_add(FIELDS_LIMIT * 2);
    let reader = ctx.payload(limit)?;
    let stream = futures_util::stream::unfold(reader, |mut r| async move {
        match r.next().await {
            Ok(Some(b)) => Some((Ok::<Bytes, std::io::Error>(b), r)),
            Ok(None) => None,
            Err(e) => Some((Err(std::io::Error::other(e.message)), r)),
        }
    });
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(limit)
            .per_field(MAX_OBJECT_SIZE.saturating_add(1)),
    );
    let mut form = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let mut used = 0u64;
    loop {
        let Some(mut field) = form.next_field().await.map_err(|_| malformed())? else {
            return Err(S3Error::invalid_argument(
                "POST requires exactly one file upload per request.",
            )
            .with("ArgumentName", "file")
            .with("ArgumentValue", "0"));
        };
        let name = field.name().unwrap_or_default().to_ascii_lowercase();
        if name == "file" {
            let filename = field.file_name().unwrap_or_default().to_owned();
            let resp = upload(ctx, &bucket, &fields, &filename, &mut field).await?;
            drop(field);
            // Fields after the file are ignored; reading them lets the connection be reused.
            while let Ok(Some(mut rest)) = form.next_field().await {
                while let Ok(Some(_)) = rest.chunk().await {}
            }
            return Ok(resp);
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| malformed())? {
            used = used.saturating_add(chunk.len() as u64);
            if used > FIELDS_LIMIT {
                return Err(S3Error::max_message_length_exceeded());
            }
            value.extend_from_slice(&chunk);
        }
        let value = String::from_utf8(value).map_err(|_| malformed())?;
        if fields.insert(name.clone(), value).is_some() {
            return Err(S3Error::invalid_argument(format!(
                "POST form field '{name}' was given more than once."
            )));
        }
    }
}

/// Verifies the form's signature (if any) and returns who the uploader is.
async fn authenticate(ctx: &Ctx<'_>, fields: &BTreeMap<String, String>) -> S3Result<AuthInfo> {
    let get = |n: &str| fields.get(n).map(String::as_str);
    let now = ctx.svc.identity.clock().now();
    let base = |caller, version: &'static str, age| AuthInfo {
        caller: Some(caller),
        payload: PayloadMode::Unsigned,
        verified: None,
        auth_type: "POST",
        signature_version: Some(version),
        signature_age_ms: age,
        content_sha256: None,
        source_ip: ctx.auth.source_ip,
        secure_transport: ctx.auth.secure_transport,
    };
    let token = get("x-amz-security-token");
    if let Some(credential) = get("x-amz-credential") {
        if get("x-amz-algorithm") != Some("AWS4-HMAC-SHA256") {
            return Err(S3Error::invalid_argument(
                "Only the AWS4-HMAC-SHA256 algorithm is supported for 'x-amz-algorithm'.",
            )
            .with("ArgumentName", "x-amz-algorithm"));
        }
        let policy = get("policy").ok_or_else(|| missing("policy"))?;
        let signature = get("x-amz-signature").ok_or_else(|| missing("x-amz-signature"))?;
        let date = get("x-amz-date").ok_or_else(|| missing("x-amz-date"))?;
        let parts: Vec<&str> = credential.split('/').collect();
        let [akid, day, region, service, "aws4_request"] = parts.as_slice() else {
            return Err(
                S3Error::invalid_argument(format!("Invalid credential: {credential}"))
                    .with("ArgumentName", "x-amz-credential"),
            );
        };
        let signed_at = NaiveDateTime::parse_from_str(date, "%Y%m%dT%H%M%SZ")
            .map_err(|_| {
                S3Error::invalid_argument("Invalid 'x-amz-date' value.")
                    .with("ArgumentName", "x-amz-date")
            })?
            .and_utc();
        if *service != "s3" || !date.starts_with(day) {
            return Err(S3Error::invalid_argument(format!(
                "Invalid credential scope: {credential}"
            ))
            .with("ArgumentName", "x-amz-credential"));
        }
        let resolved = ctx
            .svc
            .resolve_key(
                akid,
                token,
                region,
                ctx.auth.source_ip,
                ctx.auth.secure_transport,
            )
            .await?;
        let key = derive_signing_key(resolved.secret.expose(), day, region, "s3");
        let want = hex::decode(signature.trim()).map_err(|_| bad_signature())?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(S3Error::internal)?;
        mac.update(policy.as_bytes());
        mac.verify_slice(&want).map_err(|_| bad_signature())?;
        ctx.svc.identity.record_key_use(akid, "s3", region).await;
        let age = (now - signed_at).num_milliseconds().max(0);
        return Ok(base(resolved.caller, "AWS4-HMAC-SHA256", Some(age)));
    }
    if let Some(akid) = get("awsaccesskeyid") {
        let policy = get("policy").ok_or_else(|| missing("policy"))?;
        let signature = get("signature").ok_or_else(|| missing("signature"))?;
        let resolved = ctx
            .svc
            .resolve_key(
                akid,
                token,
                &ctx.svc.region,
                ctx.auth.source_ip,
                ctx.auth.secure_transport,
            )
            .await?;
        use base64::Engine;
        let want = base64::engine::general_purpose::STANDARD
            .decode(signature.trim())
            .map_err(|_| bad_signature())?;
        let mut mac = Hmac::<Sha1>::new_from_slice(resolved.secret.expose().as_bytes())
            .map_err(S3Error::internal)?;
        mac.update(policy.as_bytes());
        mac.verify_slice(&want).map_err(|_| bad_signature())?;
        ctx.svc
            .identity
            .record_key_use(akid, "s3", &ctx.svc.region)
            .await;
        return Ok(base(resolved.caller, "AWS", None));
    }
    // No credentials: an anonymous upload, allowed only by a bucket policy.
    Ok(AuthInfo {
        auth_type: "POST",
        ..AuthInfo::anonymous(ctx.auth.source_ip, ctx.auth.secure_transport)
    })
}

fn object_headers(fields: &BTreeMap<String, String>) -> S3Result<ObjectHeaders> {
    let get = |n: &str| fields.get(n).cloned();
    let mut user = Vec::new();
    let mut user_size = 0usize;
    for (k, v) in fields {
        if let Some(name) = k.strip_prefix("x-amz-meta-") {
            user_size = user_size.saturating_add(name.len() + v.len());
            user.push((name.to_owned(), v.clone()));
        }
    }
    super::object::check_user_metadata_size(user_size)?;
    let encoding = get("content-encoding");
    Ok(super::object::stored_headers(get, encoding, user))
}

async fn upload(
    ctx: &mut Ctx<'_>,
    bucket: &str,
    fields: &BTreeMap<String, String>,
    filename: &str,
    file: &mut multer::Field<'_>,
) -> S3Result<Response> {
    ctx.auth = authenticate(ctx, fields).await?;
    let raw_key = fields.get("key").ok_or_else(|| missing("key"))?;
    let key = raw_key.replace("${filename}", filename);
    if key.is_empty() {
        return Err(
            S3Error::invalid_argument("User key must have a length greater than 0.")
                .with("ArgumentName", "key"),
        );
    }
    validate_key(&key)?;
    let policy = match fields.get("policy") {
        Some(p) => {
            let p = post_policy::parse(p)?;
            p.check(fields, bucket, ctx.svc.identity.clock().now())?;
            Some(p)
        }
        None if ctx.auth.caller.is_some() => return Err(missing("policy")),
        None => None,
    };
    let tags = match fields.get("tagging") {
        Some(t) => parse_tagging_xml(t.as_bytes(), 10)?,
        None => Vec::new(),
    };
    let headers = object_headers(fields)?;
    crate::sse::check_request(
        |n| fields.get(n).map(String::as_str),
        ctx.auth.secure_transport,
    )?;
    let arn = object_arn(bucket, &key);
    let mut cond = Conditions::default();
    cond.request_tags(&tags);
    for h in ["acl", "x-amz-storage-class", "x-amz-server-side-encryption"] {
        if let Some(v) = fields.get(h) {
            let name = if h == "acl" { "x-amz-acl" } else { h };
            cond.set(&format!("s3:{name}"), v.clone());
        }
    }
    let b = ctx.bucket_for(bucket, "s3:PutObject", &arn, &cond).await?;
    let acl =
        super::acl::requested(ctx.svc, &b, fields.get("acl").map(String::as_str), false).await?;
    if !tags.is_empty() {
        ctx.authorize("s3:PutObjectTagging", &arn, Some(&b), &cond)
            .await?;
    }
    let (min, max) = policy
        .as_ref()
        .and_then(post_policy::Policy::length_range)
        .unwrap_or((0, MAX_OBJECT_SIZE));
    let max = max.min(MAX_OBJECT_SIZE);
    let expected = checksum::expected(|n| fields.get(n).map(String::as_str))?;
    // Without a declared checksum the object gets AWS's default CRC64NVME.
    let mut digests = Digests::new(
        expected
            .checksum
            .as_ref()
            .map(|c| c.0)
            .or(Some(hourglass_sigv4::ChecksumAlgorithm::Crc64Nvme)),
    );
    let mut writer = ctx
        .svc
        .data
        .writer(crate::data::Placement::MayInline)
        .map_err(S3Error::internal)?;
    let mut size = 0u64;
    let result = async {
        while let Some(chunk) = file.chunk().await.map_err(|_| malformed())? {
            size = size.saturating_add(chunk.len() as u64);
            if size > max {
                return Err(S3Error::new(
                    400,
                    "EntityTooLarge",
                    "Your proposed upload exceeds the maximum allowed size",
                )
                .with("ProposedSize", size.to_string())
                .with("MaxSizeAllowed", max.to_string()));
            }
            digests.update(&chunk);
            writer.write(&chunk).await.map_err(S3Error::internal)?;
        }
        if size < min {
            return Err(S3Error::new(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
            )
            .with("ProposedSize", size.to_string())
            .with("MinSizeAllowed", min.to_string()));
        }
        digests.finish(&expected)
    }
    .await;
    let (md5, stored) = match result {
        Ok(v) => v,
        Err(e) => {
            writer.abort().await;
            return Err(e);
        }
    };
    let segment = writer.commit().await.map_err(S3Error::internal)?;
    let obj = Object {
        bucket: bucket.to_owned(),
        key: key.clone(),
        size: segment.len,
        etag: checksum::etag(&md5),
        modified: Utc::now(),
        headers,
        checksum: stored,
        tags,
        segments: vec![segment.clone()],
        parts: Vec::new(),
        version_id: versions::new_version_id(),
        acl: acl.clone(),
    };
    let written = ctx.commit_object(&obj, segment).await?;
    respond(ctx, fields, &obj, written.version_id.as_deref())
}

fn respond(
    ctx: &Ctx<'_>,
    fields: &BTreeMap<String, String>,
    obj: &Object,
    version: Option<&str>,
) -> S3Result<Response> {
    let scheme = if ctx.auth.secure_transport {
        "https"
    } else {
        "http"
    };
    let host = ctx.header("host").unwrap_or("localhost");
    let enc =
        |s: &str| percent_encoding::utf8_percent_encode(s, super::list::KEY_ENCODE).to_string();
    let location = if ctx.target.virtual_host {
        format!("{scheme}://{host}/{}", enc(&obj.key))
    } else {
        format!("{scheme}://{host}/{}/{}", obj.bucket, enc(&obj.key))
    };
    let redirect = fields
        .get("success_action_redirect")
        .or_else(|| fields.get("redirect"))
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"));
    let mut r = if let Some(url) = redirect {
        let sep = if url.contains('?') { '&' } else { '?' };
        let target = format!(
            "{url}{sep}bucket={}&key={}&etag={}",
            enc(&obj.bucket),
            enc(&obj.key),
            enc(&obj.etag)
        );
        let mut r = no_content(303);
        set_header(&mut r, "location", &target);
        r
    } else {
        match fields.get("success_action_status").map(String::as_str) {
            Some("200") => no_content(200),
            Some("201") => {
                let mut w = Writer::new("PostResponse");
                w.elem("Location", &location)
                    .elem("Bucket", &obj.bucket)
                    .elem("Key", &obj.key)
                    .elem("ETag", &obj.etag);
                let mut r = super::xml_ok(w.finish("PostResponse"));
                *r.status_mut() = http::StatusCode::CREATED;
                r
            }
            _ => no_content(204),
        }
    };
    if r.status() != http::StatusCode::SEE_OTHER {
        set_header(&mut r, "location", &location);
    }
    set_header(&mut r, "etag", &obj.etag);
    versions::version_header(&mut r, version);
    crate::sse::response_header(&mut r);
    Ok(r)
}
