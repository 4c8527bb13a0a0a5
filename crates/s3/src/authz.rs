//! Authorization of S3 operations (spec §6): each operation's action and resource ARN,
//! the S3 condition keys, and the decision by the identity domain with the bucket policy
//! as the resource-based policy (identity, boundary and session policies per §5.6).

use hourglass_iam::authz::{Access, ResourcePolicy};

use crate::S3Service;
use crate::auth::AuthInfo;
use crate::errors::{S3Result, from_iam};
use crate::meta::{Bucket, Tag};
use crate::routing::Op;

pub fn bucket_arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

pub fn object_arn(bucket: &str, key: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{key}")
}

/// The IAM action an operation needs (the primary one; extra ones such as tagging on
/// PutObject are added by the operation).
pub fn action(op: Op) -> &'static str {
    match op {
        Op::ListBuckets => "s3:ListAllMyBuckets",
        Op::CreateBucket => "s3:CreateBucket",
        Op::DeleteBucket => "s3:DeleteBucket",
        Op::HeadBucket | Op::ListObjects | Op::ListObjectsV2 => "s3:ListBucket",
        Op::ListMultipartUploads => "s3:ListBucketMultipartUploads",
        Op::GetBucketLocation => "s3:GetBucketLocation",
        Op::GetBucketPolicy => "s3:GetBucketPolicy",
        Op::PutBucketPolicy => "s3:PutBucketPolicy",
        Op::DeleteBucketPolicy => "s3:DeleteBucketPolicy",
        Op::GetBucketTagging => "s3:GetBucketTagging",
        Op::PutBucketTagging | Op::DeleteBucketTagging => "s3:PutBucketTagging",
        Op::GetBucketVersioning => "s3:GetBucketVersioning",
        Op::PutBucketVersioning => "s3:PutBucketVersioning",
        Op::GetBucketCors => "s3:GetBucketCORS",
        Op::GetPublicAccessBlock => "s3:GetBucketPublicAccessBlock",
        Op::PutPublicAccessBlock | Op::DeletePublicAccessBlock => "s3:PutBucketPublicAccessBlock",
        Op::GetBucketPolicyStatus => "s3:GetBucketPolicyStatus",
        Op::GetAccountPublicAccessBlock => "s3:GetAccountPublicAccessBlock",
        Op::PutAccountPublicAccessBlock | Op::DeleteAccountPublicAccessBlock => {
            "s3:PutAccountPublicAccessBlock"
        }
        Op::PutBucketCors | Op::DeleteBucketCors => "s3:PutBucketCORS",
        // Preflight requests are not authorized: they are answered from the CORS rules.
        Op::Preflight => "s3:GetBucketCORS",
        Op::ListObjectVersions => "s3:ListBucketVersions",
        Op::GetBucketAcl => "s3:GetBucketAcl",
        Op::GetObject | Op::HeadObject => "s3:GetObject",
        Op::PutObject
        | Op::PostObject
        | Op::CopyObject
        | Op::CreateMultipartUpload
        | Op::UploadPart
        | Op::UploadPartCopy
        | Op::CompleteMultipartUpload => "s3:PutObject",
        Op::DeleteObject | Op::DeleteObjects => "s3:DeleteObject",
        Op::GetObjectTagging => "s3:GetObjectTagging",
        Op::PutObjectTagging => "s3:PutObjectTagging",
        Op::DeleteObjectTagging => "s3:DeleteObjectTagging",
        Op::GetObjectAcl => "s3:GetObjectAcl",
        Op::PutObjectAcl => "s3:PutObjectAcl",
        Op::PutBucketAcl => "s3:PutBucketAcl",
        Op::GetBucketWebsite => "s3:GetBucketWebsite",
        Op::GetBucketReplication => "s3:GetReplicationConfiguration",
        Op::GetObjectLockConfiguration => "s3:GetBucketObjectLockConfiguration",
        Op::GetBucketEncryption => "s3:GetEncryptionConfiguration",
        Op::GetBucketLogging => "s3:GetBucketLogging",
        Op::GetBucketNotification => "s3:GetBucketNotification",
        Op::GetBucketAccelerate => "s3:GetAccelerateConfiguration",
        Op::GetBucketRequestPayment => "s3:GetBucketRequestPayment",
        Op::PutBucketRequestPayment => "s3:PutBucketRequestPayment",
        Op::PutBucketAccelerate => "s3:PutAccelerateConfiguration",
        Op::PutBucketLogging => "s3:PutBucketLogging",
        Op::PutBucketNotification => "s3:PutBucketNotification",
        Op::DeleteBucketWebsite => "s3:DeleteBucketWebsite",
        Op::DeleteBucketReplication => "s3:PutReplicationConfiguration",
        Op::DeleteBucketEncryption | Op::PutBucketEncryption => "s3:PutEncryptionConfiguration",
        Op::ListBucketAnalyticsConfigurations | Op::GetBucketAnalyticsConfiguration => {
            "s3:GetAnalyticsConfiguration"
        }
        Op::DeleteBucketAnalyticsConfiguration => "s3:PutAnalyticsConfiguration",
        Op::ListBucketMetricsConfigurations | Op::GetBucketMetricsConfiguration => {
            "s3:GetMetricsConfiguration"
        }
        Op::DeleteBucketMetricsConfiguration => "s3:PutMetricsConfiguration",
        Op::ListBucketInventoryConfigurations | Op::GetBucketInventoryConfiguration => {
            "s3:GetInventoryConfiguration"
        }
        Op::DeleteBucketInventoryConfiguration => "s3:PutInventoryConfiguration",
        Op::ListBucketIntelligentTieringConfigurations
        | Op::GetBucketIntelligentTieringConfiguration => "s3:GetIntelligentTieringConfiguration",
        Op::DeleteBucketIntelligentTieringConfiguration => "s3:PutIntelligentTieringConfiguration",
        Op::GetObjectAttributes => "s3:GetObjectAttributes",
        Op::GetObjectRetention => "s3:GetObjectRetention",
        Op::PutObjectRetention => "s3:PutObjectRetention",
        Op::GetObjectLegalHold => "s3:GetObjectLegalHold",
        Op::PutObjectLegalHold => "s3:PutObjectLegalHold",
        Op::RestoreObject => "s3:RestoreObject",
        Op::GetBucketLifecycle => "s3:GetLifecycleConfiguration",
        Op::PutBucketLifecycle | Op::DeleteBucketLifecycle => "s3:PutLifecycleConfiguration",
        Op::GetBucketOwnershipControls => "s3:GetBucketOwnershipControls",
        Op::PutBucketOwnershipControls | Op::DeleteBucketOwnershipControls => {
            "s3:PutBucketOwnershipControls"
        }
        Op::AbortMultipartUpload => "s3:AbortMultipartUpload",
        Op::ListParts => "s3:ListMultipartUploadParts",
    }
}

/// Condition keys of one decision besides the caller's globals.
#[derive(Debug, Default, Clone)]
pub struct Conditions {
    pub keys: Vec<(String, Vec<String>)>,
    /// The canned ACL of the object decided on (its grants join the bucket policy).
    pub object_acl: Option<String>,
}

impl Conditions {
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.keys.push((key.to_string(), vec![value.into()]));
        self
    }

    pub fn existing_tags(&mut self, tags: &[Tag]) -> &mut Self {
        for t in tags {
            self.set(&format!("s3:ExistingObjectTag/{}", t.key), t.value.clone());
        }
        self
    }

    pub fn request_tags(&mut self, tags: &[Tag]) -> &mut Self {
        if tags.is_empty() {
            return self;
        }
        for t in tags {
            self.set(&format!("s3:RequestObjectTag/{}", t.key), t.value.clone());
        }
        self.keys.push((
            "s3:RequestObjectTagKeys".to_string(),
            tags.iter().map(|t| t.key.clone()).collect(),
        ));
        self
    }
}

impl S3Service {
    /// Decides `action` on `resource` for the request's caller, with `bucket`'s policy.
    pub async fn authorize(
        &self,
        auth: &AuthInfo,
        action: &str,
        resource: &str,
        bucket: Option<&Bucket>,
        conditions: &Conditions,
    ) -> S3Result<()> {
        let mut access = Access::new(action, resource);
        access.context.extend(conditions.keys.iter().cloned());
        access
            .context
            .push(("s3:authType".into(), vec![auth.auth_type.into()]));
        if let Some(v) = auth.signature_version {
            access
                .context
                .push(("s3:signatureversion".into(), vec![v.into()]));
        }
        if let Some(age) = auth.signature_age_ms {
            access
                .context
                .push(("s3:signatureAge".into(), vec![age.to_string()]));
        }
        if let Some(v) = &auth.content_sha256 {
            access
                .context
                .push(("s3:x-amz-content-sha256".into(), vec![v.clone()]));
        }
        if auth.caller.is_none() {
            // Authenticated callers get these from the identity domain; anonymous ones
            // have no caller record, so they are set here.
            access
                .context
                .push(("aws:SourceIp".into(), vec![auth.source_ip.to_string()]));
            access.context.push((
                "aws:SecureTransport".into(),
                vec![
                    if auth.secure_transport {
                        "true"
                    } else {
                        "false"
                    }
                    .into(),
                ],
            ));
        }
        let policy_id;
        // RestrictPublicBuckets: a public bucket policy grants nothing to callers outside
        // the bucket owner's account (anonymous ones included).
        let ignore_policy = match bucket {
            Some(b)
                if b.policy
                    .as_deref()
                    .is_some_and(crate::ops::public_access::policy_is_public)
                    && auth
                        .caller
                        .as_ref()
                        .is_none_or(|c| c.account_id() != b.owner) =>
            {
                self.public_access_block(b).await?.restrict_public_buckets
            }
            _ => false,
        };
        let merged;
        let resource_policy = match bucket {
            Some(b) => {
                access
                    .context
                    .push(("s3:ResourceAccount".into(), vec![b.owner.clone()]));
                access
                    .context
                    .push(("aws:ResourceAccount".into(), vec![b.owner.clone()]));
                policy_id = bucket_arn(&b.name);
                let policy = b.policy.as_deref().filter(|_| !ignore_policy);
                merged = crate::ops::acl::merged_policy(
                    self,
                    b,
                    policy,
                    conditions.object_acl.as_deref(),
                    resource,
                )
                .await?;
                Some(ResourcePolicy {
                    id: &policy_id,
                    document: merged.as_deref(),
                    account_id: &b.owner,
                })
            }
            None => None,
        };
        self.identity
            .authorize_with(auth.caller.as_ref(), &access, resource_policy)
            .await
            .map_err(from_iam)
    }
}
