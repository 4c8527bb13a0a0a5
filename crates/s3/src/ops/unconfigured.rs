//! Bucket sub-resources Hourglass has no feature behind, answered as AWS answers a bucket
//! where they were never configured (what Terraform and SDK clean-up code read), never as
//! a bare 501: website, replication, object lock and encryption are "not found" errors;
//! logging, notifications, transfer acceleration and request payment are empty or default
//! documents.

use super::{Ctx, xml_ok};
use crate::Response;
use crate::authz::{Conditions, bucket_arn};
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
        Op::GetBucketEncryption => missing(
            "ServerSideEncryptionConfigurationNotFoundError",
            "The server side encryption configuration was not found",
        ),
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
        _ => Err(S3Error::internal(
            "unconfigured sub-resource routed wrongly",
        )),
    }
}
