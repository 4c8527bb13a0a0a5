//! Bucket sub-resources Hourglass has no feature behind, answered as AWS answers a bucket
//! where they were never configured (what Terraform and SDK clean-up code read), never as
//! a bare 501: website, replication and object lock are "not found" errors; encryption is
//! the default SSE-S3 rule (every object is encrypted at rest); logging, notifications, transfer acceleration and request payment are empty or default
//! documents; analytics, metrics, inventory and Intelligent-Tiering configurations list
//! none and name none; deleting what was never configured succeeds. Objects have no
//! Object Lock (retention and legal hold are refused as on a bucket created without it)
//! and no archived storage class to restore from.

use super::{Ctx, no_content, xml_ok};
use crate::Response;
use crate::authz::{Conditions, bucket_arn, object_arn};
use crate::errors::{S3Error, S3Result};
use crate::routing::Op;
use crate::xml::Writer;

pub async fn get(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name();
    let action = crate::authz::action(ctx.op);
    ctx.bucket_for(name, action, &bucket_arn(name), &Conditions::default())
        .await?;
    let missing = |code: &'static str, message: &str| {
        Err(S3Error::new(404, code, message).with("BucketName", name))
    };
    match ctx.op {
        Op::GetBucketWebsite => missing(
            "NoSuchWebsiteConfiguration",
            "The specified bucket does not have a website configuration",
        ),
        Op::GetBucketReplication => missing(
            "ReplicationConfigurationNotFoundError",
            "The replication configuration was not found",
        ),
        Op::GetObjectLockConfiguration => missing(
            "ObjectLockConfigurationNotFoundError",
            "Object Lock configuration does not exist for this bucket",
        ),
        // Every object is encrypted with SSE-S3 (as on AWS since January 2023): every
        // bucket has the default rule, which DeleteBucketEncryption leaves in place.
        Op::GetBucketEncryption => {
            let mut w = Writer::new("ServerSideEncryptionConfiguration");
            w.open("Rule")
                .open("ApplyServerSideEncryptionByDefault")
                .elem("SSEAlgorithm", "AES256")
                .close("ApplyServerSideEncryptionByDefault")
                .elem("BucketKeyEnabled", "false")
                .close("Rule");
            Ok(xml_ok(w.finish("ServerSideEncryptionConfiguration")))
        }
        Op::GetBucketLogging => Ok(xml_ok(
            Writer::new("BucketLoggingStatus").finish("BucketLoggingStatus"),
        )),
        Op::GetBucketNotification => Ok(xml_ok(
            Writer::new("NotificationConfiguration").finish("NotificationConfiguration"),
        )),
        Op::GetBucketAccelerate => Ok(xml_ok(
            Writer::new("AccelerateConfiguration").finish("AccelerateConfiguration"),
        )),
        Op::GetBucketRequestPayment => {
            let mut w = Writer::new("RequestPaymentConfiguration");
            w.elem("Payer", "BucketOwner");
            Ok(xml_ok(w.finish("RequestPaymentConfiguration")))
        }
        Op::DeleteBucketWebsite | Op::DeleteBucketReplication | Op::DeleteBucketEncryption => {
            Ok(no_content(204))
        }
        Op::ListBucketAnalyticsConfigurations => {
            empty_list(ctx, "ListBucketAnalyticsConfigurationResult")
        }
        Op::ListBucketMetricsConfigurations => empty_list(ctx, "ListMetricsConfigurationsResult"),
        Op::ListBucketInventoryConfigurations => {
            empty_list(ctx, "ListInventoryConfigurationsResult")
        }
        Op::ListBucketIntelligentTieringConfigurations => {
            empty_list(ctx, "ListBucketIntelligentTieringConfigurationsOutput")
        }
        Op::GetBucketAnalyticsConfiguration
        | Op::DeleteBucketAnalyticsConfiguration
        | Op::GetBucketMetricsConfiguration
        | Op::DeleteBucketMetricsConfiguration
        | Op::GetBucketInventoryConfiguration
        | Op::DeleteBucketInventoryConfiguration
        | Op::GetBucketIntelligentTieringConfiguration
        | Op::DeleteBucketIntelligentTieringConfiguration => Err(S3Error::new(
            404,
            "NoSuchConfiguration",
            "The specified configuration does not exist.",
        )),
        _ => Err(S3Error::internal(
            "unconfigured sub-resource routed wrongly",
        )),
    }
}

/// A configuration listing with nothing in it (the continuation token echoed as AWS does).
fn empty_list(ctx: &Ctx<'_>, root: &str) -> S3Result<Response> {
    let mut w = Writer::new(root);
    if let Some(t) = ctx.query("continuation-token") {
        w.elem("ContinuationToken", t);
    }
    w.elem("IsTruncated", "false");
    Ok(xml_ok(w.finish(root)))
}

/// Get/PutObjectRetention and Get/PutObjectLegalHold: every bucket here is one created
/// without Object Lock, so AWS's answer is always the same refusal, after authorization
/// and before any body is read (the document never becomes the object).
pub async fn object_lock(ctx: &Ctx<'_>) -> S3Result<Response> {
    let (name, key) = (ctx.bucket_name(), ctx.key());
    super::versions::requested(ctx)?;
    let action = crate::authz::action(ctx.op);
    ctx.bucket_for(name, action, &object_arn(name, key), &Conditions::default())
        .await?;
    Err(S3Error::invalid_request(
        "Bucket is missing Object Lock Configuration",
    ))
}

/// RestoreObject: only archived storage classes can be restored, and none is archived
/// here, so an existing object gets AWS's answer for a non-archived one.
pub async fn restore(ctx: &Ctx<'_>) -> S3Result<Response> {
    let (name, key) = (ctx.bucket_name(), ctx.key());
    let version = super::versions::requested(ctx)?;
    let (o, _) = super::versions::load(
        ctx,
        name,
        key,
        version.as_deref(),
        "s3:RestoreObject",
        Conditions::default(),
    )
    .await?;
    match o.headers.storage_class.as_deref() {
        Some("GLACIER" | "DEEP_ARCHIVE") => Err(S3Error::not_implemented(
            "restore of an object stored as GLACIER or DEEP_ARCHIVE (its data is never archived here)",
        )),
        _ => Err(S3Error::new(
            403,
            "InvalidObjectState",
            "Restore is not allowed for the object's current storage class",
        )),
    }
}

/// PutBucketRequestPayment, PutBucketAccelerateConfiguration, PutBucketLogging,
/// PutBucketEncryption and PutBucketNotificationConfiguration: the state every bucket here
/// is in (bucket owner pays, acceleration suspended, no logging, SSE-S3 without a bucket
/// key, no notifications) is accepted — what infrastructure
/// tools write when declaring the defaults; anything else cannot be honoured and answers
/// `NotImplemented`, changing nothing.
/// Whether a ServerSideEncryptionConfiguration asks for what every bucket has: one rule,
/// SSE-S3 (`AES256`), no KMS key, no bucket key.
fn encryption_is_default(doc: &crate::xml::Element) -> S3Result<bool> {
    let rules: Vec<_> = doc.children_named("Rule").collect();
    let [rule] = rules.as_slice() else {
        return Err(S3Error::malformed_xml());
    };
    let by_default = rule
        .child("ApplyServerSideEncryptionByDefault")
        .ok_or_else(S3Error::malformed_xml)?;
    let algorithm = match by_default.child_text("SSEAlgorithm").map(str::trim) {
        Some(a @ ("AES256" | "aws:kms" | "aws:kms:dsse")) => a,
        _ => return Err(S3Error::malformed_xml()),
    };
    let bucket_key = match rule.child_text("BucketKeyEnabled").map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(S3Error::malformed_xml()),
    };
    Ok(algorithm == "AES256" && by_default.child("KMSMasterKeyID").is_none() && !bucket_key)
}

pub async fn put_default(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name().to_string();
    let action = crate::authz::action(ctx.op);
    ctx.bucket_for(&name, action, &bucket_arn(&name), &Conditions::default())
        .await?;
    let body = ctx.xml_body(super::body_limits::TAGGING).await?;
    let doc = crate::xml::parse(&body)?;
    let (root, is_default) = match ctx.op {
        Op::PutBucketRequestPayment => (
            "RequestPaymentConfiguration",
            match doc.child_text("Payer").map(str::trim) {
                Some("BucketOwner") => true,
                Some("Requester") => false,
                _ => return Err(S3Error::malformed_xml()),
            },
        ),
        Op::PutBucketAccelerate => (
            "AccelerateConfiguration",
            match doc.child_text("Status").map(str::trim) {
                Some("Suspended") => true,
                Some("Enabled") => false,
                _ => return Err(S3Error::malformed_xml()),
            },
        ),
        Op::PutBucketLogging => ("BucketLoggingStatus", doc.child("LoggingEnabled").is_none()),
        Op::PutBucketNotification => ("NotificationConfiguration", doc.children.is_empty()),
        Op::PutBucketEncryption => (
            "ServerSideEncryptionConfiguration",
            encryption_is_default(&doc)?,
        ),
        _ => {
            return Err(S3Error::internal(
                "unconfigured sub-resource routed wrongly",
            ));
        }
    };
    if doc.name != root {
        return Err(S3Error::malformed_xml());
    }
    if !is_default {
        return Err(S3Error::not_implemented(&format!(
            "{root} other than the default (Hourglass has no such feature)"
        )));
    }
    Ok(super::no_content(200))
}
