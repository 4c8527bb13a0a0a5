//! Object Ownership and ACLs as AWS has them since 2023: Put/Get/DeleteBucketOwnershipControls
//! with BucketOwnerEnforced (ACLs disabled) as the default; with ObjectWriter or
//! BucketOwnerPreferred, canned ACLs on buckets and objects (`x-amz-acl` on CreateBucket,
//! PutObject, CopyObject, POST, Put{Bucket,Object}Acl) whose grants take part in
//! authorization as resource-policy statements, subject to Block Public Access.

use serde_json::{Value, json};

use super::{Ctx, meta_err, no_content, owner_xml, xml_ok};
use crate::authz::{Conditions, bucket_arn};
use crate::errors::{S3Error, S3Result};
use crate::meta::Bucket;
use crate::xml::{self, Writer};
use crate::{Response, S3Service};

const ENFORCED: &str = "BucketOwnerEnforced";
const SETTINGS: [&str; 3] = [ENFORCED, "BucketOwnerPreferred", "ObjectWriter"];
const CANNED: [&str; 8] = [
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
];
const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// Whether the bucket accepts ACLs (anything but BucketOwnerEnforced, including deleted
/// ownership controls, which AWS treats as ObjectWriter).
pub fn acls_enabled(b: &Bucket) -> bool {
    b.ownership.as_deref().is_some_and(|o| o != ENFORCED)
}

fn is_public(canned: &str) -> bool {
    matches!(
        canned,
        "public-read" | "public-read-write" | "authenticated-read"
    )
}

fn not_supported() -> S3Error {
    S3Error::new(
        400,
        "AccessControlListNotSupported",
        "The bucket does not allow ACLs",
    )
}

/// The canned ACL a write asks for, checked against the bucket's ownership and Block
/// Public Access; `None` when nothing is to be stored (private, or ACLs disabled).
pub async fn requested(
    svc: &S3Service,
    b: &Bucket,
    canned: Option<&str>,
    grants: bool,
) -> S3Result<Option<String>> {
    if let Some(c) = canned
        && !CANNED.contains(&c)
    {
        return Err(
            S3Error::invalid_argument(format!("Invalid canned ACL: {c}"))
                .with("ArgumentName", "x-amz-acl"),
        );
    }
    if !acls_enabled(b) {
        return match canned {
            _ if grants => Err(not_supported()),
            None | Some("private" | "bucket-owner-full-control") => Ok(None),
            Some(_) => Err(not_supported()),
        };
    }
    if grants {
        return Err(S3Error::not_implemented(
            "x-amz-grant-* headers (use a canned ACL)",
        ));
    }
    match canned {
        Some(c) if is_public(c) && svc.public_access_block(b).await?.block_public_acls => {
            Err(S3Error::access_denied())
        }
        None | Some("private") => Ok(None),
        Some(c) => Ok(Some(c.to_owned())),
    }
}

/// [`requested`] for a request's `x-amz-acl` / `x-amz-grant-*` headers.
/// Grant headers are taken when they amount to a canned ACL ([`super::acl_grants`]).
pub async fn from_headers(ctx: &Ctx<'_>, b: &Bucket, object: bool) -> S3Result<Option<String>> {
    let Some(grants) = super::acl_grants::from_headers(ctx, &b.owner)? else {
        return requested(ctx.svc, b, ctx.header("x-amz-acl"), false).await;
    };
    if ctx.header("x-amz-acl").is_some() {
        return Err(S3Error::invalid_request(
            "Specifying both Canned ACLs and Header Grants is not allowed",
        ));
    }
    let canned = super::acl_grants::canned(&grants, object);
    match canned {
        Ok(c) => requested(ctx.svc, b, Some(c), false).await,
        // With ACLs disabled any grant beyond the owner's is refused as such.
        Err(_) if !acls_enabled(b) => Err(not_supported()),
        Err(e) => Err(e),
    }
}

/// The statements a canned ACL grants, as resource-policy statements on `arn`
/// (`object`: an object ACL, else a bucket ACL).
pub fn statements(canned: &str, arn: &str, object: bool) -> Vec<Value> {
    let read: Vec<&str> = if object {
        vec!["s3:GetObject", "s3:GetObjectVersion"]
    } else {
        vec![
            "s3:ListBucket",
            "s3:ListBucketVersions",
            "s3:ListBucketMultipartUploads",
        ]
    };
    let anyone = |actions: &[&str], resource: &str| json!({"Effect": "Allow", "Principal": "*", "Action": actions, "Resource": resource});
    match canned {
        "public-read" => vec![anyone(&read, arn)],
        "public-read-write" if object => vec![anyone(&read, arn)],
        "public-read-write" => vec![
            anyone(&read, arn),
            anyone(&["s3:PutObject", "s3:DeleteObject"], &format!("{arn}/*")),
        ],
        "authenticated-read" => vec![json!({
            "Effect": "Allow", "Principal": "*", "Action": read, "Resource": arn,
            "Condition": {"Null": {"aws:PrincipalArn": "false"}}
        })],
        _ => Vec::new(),
    }
}

fn grants_xml(w: &mut Writer, owner: &str, canned: Option<&str>) {
    w.open("AccessControlList");
    let grant = |w: &mut Writer, kind: &str, id: &str, permission: &str| {
        w.open("Grant");
        w.open(&format!(
            "Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"{kind}\""
        ));
        if kind == "Group" {
            w.elem("URI", id);
        } else {
            w.elem("ID", &Ctx::canonical_id(id)).elem("DisplayName", id);
        }
        w.close("Grantee")
            .elem("Permission", permission)
            .close("Grant");
    };
    grant(w, "CanonicalUser", owner, "FULL_CONTROL");
    match canned {
        Some("public-read") => grant(w, "Group", ALL_USERS, "READ"),
        Some("public-read-write") => {
            grant(w, "Group", ALL_USERS, "READ");
            grant(w, "Group", ALL_USERS, "WRITE");
        }
        Some("authenticated-read") => grant(w, "Group", AUTHENTICATED_USERS, "READ"),
        _ => {}
    }
    w.close("AccessControlList");
}

pub fn document(owner: &str, canned: Option<&str>) -> String {
    let mut w = Writer::new("AccessControlPolicy");
    owner_xml(&mut w, "Owner", owner);
    grants_xml(&mut w, owner, canned);
    w.finish("AccessControlPolicy")
}

/// PutBucketAcl/PutObjectAcl accept a canned ACL header, grant headers or an
/// AccessControlPolicy body, the latter two when they amount to a canned ACL.
async fn put_request(ctx: &mut Ctx<'_>, b: &Bucket, object: bool) -> S3Result<Option<String>> {
    let body = ctx.xml_body(super::body_limits::TAGGING).await?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return from_headers(ctx, b, object).await;
    }
    let headers_too = ctx
        .headers
        .keys()
        .any(|k| k.as_str().starts_with("x-amz-grant-"));
    if ctx.header("x-amz-acl").is_some() || headers_too {
        return Err(S3Error::new(
            400,
            "UnexpectedContent",
            "This request does not support content",
        ));
    }
    let doc = xml::parse_document(&body, "AccessControlPolicy")?;
    let grants = super::acl_grants::from_document(&doc, &b.owner)?;
    match super::acl_grants::canned(&grants, object) {
        Ok(c) => requested(ctx.svc, b, Some(c), false).await,
        Err(_) if !acls_enabled(b) => Err(not_supported()),
        Err(e) => Err(e),
    }
}

pub async fn get_bucket(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name();
    let b = ctx.bucket_op(name, "s3:GetBucketAcl").await?;
    let canned = b.acl.as_deref().filter(|_| acls_enabled(&b));
    Ok(xml_ok(document(&b.owner, canned)))
}

pub async fn put_bucket(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name().to_string();
    let mut cond = Conditions::default();
    if let Some(a) = ctx.header("x-amz-acl") {
        cond.set("s3:x-amz-acl", a);
    }
    let b = ctx
        .bucket_for(&name, "s3:PutBucketAcl", &bucket_arn(&name), &cond)
        .await?;
    let canned = put_request(ctx, &b, false).await?;
    ctx.svc
        .meta
        .set_bucket_config(&name, "acl", canned.as_deref())
        .await
        .map_err(meta_err)?;
    Ok(no_content(200))
}

pub async fn get_object(ctx: &Ctx<'_>) -> S3Result<Response> {
    let version = super::versions::requested(ctx)?;
    let (o, b) = super::versions::load(
        ctx,
        ctx.bucket_name(),
        ctx.key(),
        version.as_deref(),
        "s3:GetObjectAcl",
        Conditions::default(),
    )
    .await?;
    let canned = o.acl.as_deref().filter(|_| acls_enabled(&b));
    let mut r = xml_ok(document(&b.owner, canned));
    super::versions::version_header(&mut r, super::versions::header_for(&b, &o).as_deref());
    Ok(r)
}

pub async fn put_object(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    let version = super::versions::requested(ctx)?;
    let mut cond = Conditions::default();
    if let Some(a) = ctx.header("x-amz-acl") {
        cond.set("s3:x-amz-acl", a);
    }
    let (name, key) = (ctx.bucket_name().to_string(), ctx.key().to_string());
    let (o, b) = super::versions::load(
        ctx,
        &name,
        &key,
        version.as_deref(),
        "s3:PutObjectAcl",
        cond,
    )
    .await?;
    let canned = put_request(ctx, &b, true).await?;
    if !ctx
        .svc
        .meta
        .set_object_acl(&name, &key, &o.version_id, canned.as_deref())
        .await
        .map_err(meta_err)?
    {
        return Err(S3Error::no_such_key(&key));
    }
    let mut r = no_content(200);
    super::versions::version_header(&mut r, super::versions::header_for(&b, &o).as_deref());
    Ok(r)
}

// ----- ownership controls -----

pub fn parse_ownership(body: &[u8]) -> S3Result<String> {
    let doc = xml::parse_document(body, "OwnershipControls")?;
    let rules: Vec<_> = doc.children_named("Rule").collect();
    let [rule] = rules.as_slice() else {
        return Err(S3Error::malformed_xml());
    };
    match rule.child_text("ObjectOwnership").map(str::trim) {
        Some(s) if SETTINGS.contains(&s) => Ok(s.to_owned()),
        _ => Err(S3Error::malformed_xml()),
    }
}

/// CreateBucket's `x-amz-object-ownership`, validated.
pub fn ownership_header(ctx: &Ctx<'_>) -> S3Result<Option<String>> {
    match ctx.header("x-amz-object-ownership") {
        None => Ok(None),
        Some(s) if SETTINGS.contains(&s) => Ok(Some(s.to_owned())),
        Some(s) => Err(S3Error::invalid_argument(format!(
            "Invalid x-amz-object-ownership header: {s}"
        ))
        .with("ArgumentName", "x-amz-object-ownership")),
    }
}

pub async fn get_ownership(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name();
    let b = ctx.bucket_op(name, "s3:GetBucketOwnershipControls").await?;
    let setting = match b.ownership.as_deref() {
        None => ENFORCED,
        Some("") => {
            return Err(S3Error::new(
                404,
                "OwnershipControlsNotFoundError",
                "The bucket ownership controls were not found",
            )
            .with("BucketName", name));
        }
        Some(s) => s,
    };
    let mut w = Writer::new("OwnershipControls");
    w.open("Rule")
        .elem("ObjectOwnership", setting)
        .close("Rule");
    Ok(xml_ok(w.finish("OwnershipControls")))
}

pub async fn put_ownership(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name().to_string();
    let b = ctx
        .bucket_op(&name, "s3:PutBucketOwnershipControls")
        .await?;
    let body = ctx.xml_body(super::body_limits::TAGGING).await?;
    let setting = parse_ownership(&body)?;
    // AWS refuses to disable ACLs while the bucket ACL grants more than the owner.
    if setting == ENFORCED && acls_enabled(&b) && b.acl.is_some() {
        return Err(S3Error::new(
            400,
            "InvalidBucketAclWithObjectOwnership",
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
        ));
    }
    ctx.svc
        .meta
        .set_bucket_config(&name, "ownership", Some(&setting))
        .await
        .map_err(meta_err)?;
    Ok(no_content(200))
}

pub async fn delete_ownership(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name();
    ctx.bucket_op(name, "s3:PutBucketOwnershipControls").await?;
    ctx.svc
        .meta
        .set_bucket_config(name, "ownership", Some(""))
        .await
        .map_err(meta_err)?;
    Ok(no_content(204))
}

/// The ACL statements that join the bucket policy when deciding on `resource`: the
/// bucket's ACL, and the object's (`object_acl`) for object resources. Public grants are
/// dropped under IgnorePublicAcls.
pub async fn merged_policy(
    svc: &S3Service,
    b: &Bucket,
    policy: Option<&str>,
    object_acl: Option<&str>,
    resource: &str,
) -> S3Result<Option<String>> {
    if !acls_enabled(b) || (b.acl.is_none() && object_acl.is_none()) {
        return Ok(policy.map(str::to_owned));
    }
    let mut extra = Vec::new();
    if let Some(a) = &b.acl {
        extra.extend(statements(a, &bucket_arn(&b.name), false));
    }
    if let Some(a) = object_acl
        && resource != bucket_arn(&b.name)
    {
        extra.extend(statements(a, resource, true));
    }
    if extra.is_empty() || svc.public_access_block(b).await?.ignore_public_acls {
        return Ok(policy.map(str::to_owned));
    }
    let mut doc: Value = match policy {
        Some(p) => serde_json::from_str(p).map_err(S3Error::internal)?,
        None => json!({"Version": "2012-10-17", "Statement": []}),
    };
    let list = match doc.get_mut("Statement") {
        Some(Value::Array(a)) => a,
        Some(other) => {
            let one = other.take();
            *other = Value::Array(vec![one]);
            match other {
                Value::Array(a) => a,
                _ => return Ok(policy.map(str::to_owned)),
            }
        }
        None => return Ok(policy.map(str::to_owned)),
    };
    list.extend(extra);
    Ok(Some(doc.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ownership_documents() {
        assert_eq!(
            parse_ownership(b"<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>").unwrap(),
            "ObjectWriter"
        );
        for bad in [
            &b"<OwnershipControls><Rule><ObjectOwnership>Nobody</ObjectOwnership></Rule></OwnershipControls>"[..],
            b"<OwnershipControls/>",
            b"<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>",
        ] {
            assert_eq!(parse_ownership(bad).unwrap_err().code, "MalformedXML");
        }
    }

    #[test]
    fn canned_acl_statements() {
        assert!(statements("private", "arn:aws:s3:::b", false).is_empty());
        let s = statements("public-read-write", "arn:aws:s3:::b", false);
        assert_eq!(s.len(), 2);
        assert_eq!(s[1]["Resource"], "arn:aws:s3:::b/*");
        let o = statements("public-read", "arn:aws:s3:::b/k", true);
        assert_eq!(o[0]["Action"][0], "s3:GetObject");
        assert!(document("1", Some("public-read")).contains(ALL_USERS));
    }
}
