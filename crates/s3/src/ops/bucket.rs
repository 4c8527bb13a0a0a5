//! Bucket operations: list, create, head, delete, location, policy, versioning, ACL.

use chrono::Utc;
use hourglass_policy::{PolicyKind, limits, policy_size, validate_bucket_resources};

use super::{Ctx, meta_err, no_content, owner_xml, set_header, xml_ok};
use crate::Response;
use crate::authz::{Conditions, bucket_arn};
use crate::errors::{S3Error, S3Result};
use crate::meta::{Bucket, MetaError};
use crate::routing::validate_bucket_name;
use crate::xml::{self, Writer};

pub async fn list_buckets(ctx: &Ctx<'_>) -> S3Result<Response> {
    let Some(caller) = &ctx.auth.caller else {
        return Err(S3Error::access_denied());
    };
    ctx.authorize(
        "s3:ListAllMyBuckets",
        "arn:aws:s3:::*",
        None,
        &Conditions::default(),
    )
    .await?;
    let account = caller.account_id().to_string();
    let buckets = ctx
        .svc
        .meta
        .list_buckets(&account)
        .await
        .map_err(meta_err)?;
    let page = super::list_buckets_page::paginate(ctx, &buckets)?;
    let mut w = Writer::new("ListAllMyBucketsResult");
    owner_xml(&mut w, "Owner", &account);
    w.open("Buckets");
    for b in &page.buckets {
        w.open("Bucket")
            .elem("Name", &b.name)
            .elem("CreationDate", &super::iso_date(b.created))
            .elem("BucketRegion", &b.region)
            .close("Bucket");
    }
    w.close("Buckets");
    w.opt("ContinuationToken", page.next_token.as_deref());
    w.opt("Prefix", page.prefix.as_deref());
    Ok(xml_ok(w.finish("ListAllMyBucketsResult")))
}

pub async fn create(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name().to_string();
    validate_bucket_name(&name)?;
    let Some(caller) = ctx.auth.caller.clone() else {
        return Err(S3Error::access_denied());
    };
    let ownership = super::acl::ownership_header(ctx)?;
    let grants = ctx
        .headers
        .keys()
        .any(|k| k.as_str().starts_with("x-amz-grant-"));
    let mut canned = ctx.header("x-amz-acl").map(str::to_owned);
    let acls_off = ownership
        .as_deref()
        .is_none_or(|o| o == "BucketOwnerEnforced");
    if acls_off
        && (grants
            || canned
                .as_deref()
                .is_some_and(|a| a != "private" && a != "bucket-owner-full-control"))
    {
        return Err(S3Error::new(
            400,
            "InvalidBucketAclWithObjectOwnership",
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
        ));
    }
    // Grant headers are read, before anything is created, into the canned ACL they amount to.
    let mut grants = grants;
    if grants && !acls_off {
        if canned.is_some() {
            return Err(S3Error::invalid_request(
                "Specifying both Canned ACLs and Header Grants is not allowed",
            ));
        }
        if let Some(g) = super::acl_grants::from_headers(ctx, caller.account_id())? {
            canned = Some(super::acl_grants::canned(&g, false)?.to_string());
            grants = false;
        }
    }
    let body = ctx.xml_body(super::body_limits::CREATE_BUCKET).await?;
    let mut location = None;
    if !body.iter().all(u8::is_ascii_whitespace) {
        let doc = xml::parse_document(&body, "CreateBucketConfiguration")?;
        location = doc
            .child_text("LocationConstraint")
            .map(str::to_owned)
            .filter(|l| !l.is_empty());
    }
    let mut cond = Conditions::default();
    if let Some(l) = &location {
        cond.set("s3:LocationConstraint", l.clone());
    }
    ctx.authorize("s3:CreateBucket", &bucket_arn(&name), None, &cond)
        .await?;
    if ownership.is_some() {
        ctx.authorize(
            "s3:PutBucketOwnershipControls",
            &bucket_arn(&name),
            None,
            &cond,
        )
        .await?;
    }
    if canned.is_some() || grants {
        let mut acl_cond = cond.clone();
        if let Some(a) = ctx.header("x-amz-acl") {
            acl_cond.set("s3:x-amz-acl", a);
        }
        ctx.authorize("s3:PutBucketAcl", &bucket_arn(&name), None, &acl_cond)
            .await?;
    }
    if let Some(l) = &location
        && *l != ctx.svc.region
    {
        return Err(S3Error::new(
            400,
            "IllegalLocationConstraintException",
            format!(
                "The {l} location constraint is incompatible for the region specific endpoint this request was sent to."
            ),
        ));
    }
    let bucket = Bucket {
        name: name.clone(),
        owner: caller.account_id().to_string(),
        created: Utc::now(),
        region: ctx.svc.region.clone(),
        policy: None,
        tags: None,
        versioning: None,
        ownership: None,
        acl: None,
    };
    match ctx.svc.meta.create_bucket(&bucket).await {
        Ok(()) => {}
        Err(MetaError::BucketExists) => {
            let existing = ctx.svc.meta.get_bucket(&name).await.map_err(meta_err)?;
            if existing.is_some_and(|b| b.owner == caller.account_id()) {
                return Err(S3Error::new(
                    409,
                    "BucketAlreadyOwnedByYou",
                    "Your previous request to create the named bucket succeeded and you already own it.",
                )
                .with("BucketName", name));
            }
            return Err(meta_err(MetaError::BucketExists).with("BucketName", name));
        }
        Err(e) => return Err(meta_err(e)),
    }
    if let Some(o) = &ownership {
        ctx.svc
            .meta
            .set_bucket_config(&name, "ownership", Some(o))
            .await
            .map_err(meta_err)?;
    }
    if !acls_off {
        let b = Bucket {
            ownership: ownership.clone(),
            ..bucket
        };
        if let Some(a) = super::acl::requested(ctx.svc, &b, canned.as_deref(), grants).await? {
            ctx.svc
                .meta
                .set_bucket_config(&name, "acl", Some(&a))
                .await
                .map_err(meta_err)?;
        }
    }
    let mut r = no_content(200);
    set_header(&mut r, "location", &format!("/{name}"));
    Ok(r)
}

pub async fn head(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name();
    let b = ctx.bucket_op(name, "s3:ListBucket").await?;
    let mut r = no_content(200);
    set_header(&mut r, "x-amz-bucket-region", &b.region);
    Ok(r)
}

pub async fn delete(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name();
    ctx.bucket_op(name, "s3:DeleteBucket").await?;
    ctx.svc
        .meta
        .delete_bucket(name)
        .await
        .map_err(|e| match e {
            MetaError::BucketNotEmpty => meta_err(e).with("BucketName", name),
            other => meta_err(other),
        })?;
    Ok(no_content(204))
}

pub async fn location(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name();
    let b = ctx.bucket_op(name, "s3:GetBucketLocation").await?;
    // us-east-1 is reported as an empty constraint, as AWS does.
    let region = if b.region == "us-east-1" {
        ""
    } else {
        b.region.as_str()
    };
    let body = format!(
        "{}<LocationConstraint xmlns=\"{}\">{}</LocationConstraint>",
        xml::DECL,
        xml::NS,
        xml::escape(region)
    );
    Ok(xml_ok(body))
}

/// Policy operations: the bucket owner's root may always manage the policy (lock-out
/// recovery, spec §6.4); everyone else needs the permission.
async fn policy_bucket(ctx: &Ctx<'_>, action: &str) -> S3Result<Bucket> {
    let name = ctx.bucket_name();
    let Some(b) = ctx.svc.meta.get_bucket(name).await.map_err(meta_err)? else {
        ctx.authorize(action, &bucket_arn(name), None, &Conditions::default())
            .await?;
        return Err(S3Error::no_such_bucket(name));
    };
    let owner_root = ctx
        .auth
        .caller
        .as_ref()
        .is_some_and(|c| c.is_root() && c.account_id() == b.owner);
    if !owner_root {
        ctx.authorize(action, &bucket_arn(name), Some(&b), &Conditions::default())
            .await?;
        if ctx
            .auth
            .caller
            .as_ref()
            .is_none_or(|c| c.account_id() != b.owner)
        {
            return Err(S3Error::method_not_allowed());
        }
    }
    Ok(b)
}

pub async fn get_policy(ctx: &Ctx<'_>) -> S3Result<Response> {
    let b = policy_bucket(ctx, "s3:GetBucketPolicy").await?;
    let Some(policy) = b.policy else {
        return Err(S3Error::new(
            404,
            "NoSuchBucketPolicy",
            "The bucket policy does not exist",
        )
        .with("BucketName", b.name));
    };
    let mut r = http::Response::new(crate::full(policy));
    set_header(&mut r, "content-type", "application/json");
    Ok(r)
}

pub async fn put_policy(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    let b = policy_bucket(ctx, "s3:PutBucketPolicy").await?;
    let body = ctx
        .small_body(super::body_limits::BUCKET_POLICY, policy_too_large)
        .await?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| malformed("Policies must be valid JSON and the first byte must be '{'"))?;
    if policy_size(text) > limits::BUCKET_POLICY {
        return Err(policy_too_large());
    }
    let parsed =
        hourglass_policy::parse(text, PolicyKind::Resource).map_err(|e| malformed(&e.message))?;
    validate_bucket_resources(&parsed, &b.name).map_err(|e| malformed(&e.message))?;
    super::public_access::check_new_policy(ctx, &b, text).await?;
    ctx.svc
        .meta
        .set_bucket_policy(&b.name, Some(text))
        .await
        .map_err(meta_err)?;
    Ok(no_content(204))
}

fn policy_too_large() -> S3Error {
    malformed("Policy exceeds the maximum allowed document size.")
}

fn malformed(message: &str) -> S3Error {
    S3Error::new(400, "MalformedPolicy", message)
}

pub async fn delete_policy(ctx: &Ctx<'_>) -> S3Result<Response> {
    let b = policy_bucket(ctx, "s3:DeleteBucketPolicy").await?;
    ctx.svc
        .meta
        .set_bucket_policy(&b.name, None)
        .await
        .map_err(meta_err)?;
    Ok(no_content(204))
}
