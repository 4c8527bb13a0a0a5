//! Block Public Access at bucket and account level (`?publicAccessBlock`, and s3control's
//! `/v20180820/configuration/publicAccessBlock`), GetBucketPolicyStatus, and what the
//! settings enforce: BlockPublicPolicy refuses a public bucket policy, RestrictPublicBuckets
//! ignores one for anyone outside the bucket owner's account. The effective setting is the
//! bucket's OR the account's, flag by flag.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Ctx, bucket_config, meta_err, no_content, xml_ok};
use crate::authz::Conditions;
use crate::errors::{S3Error, S3Result};
use crate::meta::Bucket;
use crate::xml::{self, Writer};
use crate::{Response, S3Service};

const DOC: &str = "public-access-block";
const S3CONTROL_NS: &str = "http://awss3control.amazonaws.com/doc/2018-08-20/";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl Block {
    fn or(self, o: Block) -> Block {
        Block {
            block_public_acls: self.block_public_acls || o.block_public_acls,
            ignore_public_acls: self.ignore_public_acls || o.ignore_public_acls,
            block_public_policy: self.block_public_policy || o.block_public_policy,
            restrict_public_buckets: self.restrict_public_buckets || o.restrict_public_buckets,
        }
    }

    fn fields(&self) -> [(&'static str, bool); 4] {
        [
            ("BlockPublicAcls", self.block_public_acls),
            ("IgnorePublicAcls", self.ignore_public_acls),
            ("BlockPublicPolicy", self.block_public_policy),
            ("RestrictPublicBuckets", self.restrict_public_buckets),
        ]
    }
}

pub fn parse(body: &[u8]) -> S3Result<Block> {
    let doc = xml::parse_document(body, "PublicAccessBlockConfiguration")?;
    let flag = |name: &str| match doc.child_text(name).map(str::trim) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(S3Error::malformed_xml()),
    };
    Ok(Block {
        block_public_acls: flag("BlockPublicAcls")?,
        ignore_public_acls: flag("IgnorePublicAcls")?,
        block_public_policy: flag("BlockPublicPolicy")?,
        restrict_public_buckets: flag("RestrictPublicBuckets")?,
    })
}

fn render(b: &Block, ns: Option<&str>) -> String {
    let mut w = match ns {
        Some(ns) => Writer::with_namespace("PublicAccessBlockConfiguration", ns),
        None => Writer::new("PublicAccessBlockConfiguration"),
    };
    for (name, v) in b.fields() {
        w.elem(name, if v { "true" } else { "false" });
    }
    w.finish("PublicAccessBlockConfiguration")
}

fn decode(json: Option<impl AsRef<str>>) -> S3Result<Option<Block>> {
    json.map(|j| {
        serde_json::from_str(j.as_ref())
            .map_err(|e| S3Error::internal(format!("stored public access block: {e}")))
    })
    .transpose()
}

impl S3Service {
    /// The bucket's setting OR its owner account's.
    pub(crate) async fn public_access_block(&self, b: &Bucket) -> S3Result<Block> {
        let bucket = decode(
            self.buckets
                .bucket_config(&self.meta, &b.name, DOC)
                .await
                .map_err(meta_err)?,
        )?;
        let account = decode(
            self.buckets
                .account_config(&self.meta, &b.owner, DOC)
                .await
                .map_err(meta_err)?,
        )?;
        Ok(bucket.unwrap_or_default().or(account.unwrap_or_default()))
    }
}

// ----- "public" as AWS defines it -----

/// Condition keys whose fixed values restrict a statement to known principals or sources.
const RESTRICTING_KEYS: [&str; 12] = [
    "aws:sourceip",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalarn",
    "aws:userid",
    "s3:dataaccesspointarn",
];

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn wildcard_principal(stmt: &Value) -> bool {
    if stmt.get("NotPrincipal").is_some() {
        return true;
    }
    match stmt.get("Principal") {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(m)) => m.get("AWS").is_some_and(|v| strings(v).contains(&"*")),
        _ => false,
    }
}

/// An IP range narrow enough not to count as public (AWS: at least /8 for IPv4, /32 for IPv6).
fn fixed_ip(v: &str) -> bool {
    match v.split_once('/') {
        None => !v.is_empty(),
        Some((addr, len)) => {
            let Ok(len) = len.parse::<u8>() else {
                return false;
            };
            if addr.contains(':') {
                len >= 32
            } else {
                len >= 8
            }
        }
    }
}

fn restricted(stmt: &Value) -> bool {
    let Some(Value::Object(ops)) = stmt.get("Condition") else {
        return false;
    };
    ops.iter().any(|(op, keys)| {
        let op = op.to_ascii_lowercase();
        let op = op.strip_suffix("ifexists").unwrap_or(&op);
        let positive = matches!(
            op,
            "stringequals"
                | "stringequalsignorecase"
                | "stringlike"
                | "arnequals"
                | "arnlike"
                | "ipaddress"
        );
        let Value::Object(keys) = keys else {
            return false;
        };
        positive
            && keys.iter().any(|(k, v)| {
                let k = k.to_ascii_lowercase();
                let values = strings(v);
                RESTRICTING_KEYS.contains(&k.as_str())
                    && !values.is_empty()
                    && values.iter().all(|x| {
                        !x.contains('*') && !x.contains('?') && (k != "aws:sourceip" || fixed_ip(x))
                    })
            })
    })
}

/// Whether a bucket policy is public: some Allow statement names any principal without a
/// condition fixing who or where the request comes from.
pub fn policy_is_public(document: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<Value>(document) else {
        return false;
    };
    let statements = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect::<Vec<_>>(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => Vec::new(),
    };
    statements.into_iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && wildcard_principal(s)
            && !restricted(s)
    })
}

// ----- bucket operations -----

pub async fn get_bucket(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name();
    ctx.bucket_op(name, "s3:GetBucketPublicAccessBlock").await?;
    match decode(
        ctx.svc
            .meta
            .bucket_config(name, DOC)
            .await
            .map_err(meta_err)?,
    )? {
        Some(b) => Ok(xml_ok(render(&b, None))),
        None => Err(S3Error::new(
            404,
            "NoSuchPublicAccessBlockConfiguration",
            "The public access block configuration was not found",
        )
        .with("BucketName", name)),
    }
}

pub async fn put_bucket(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    let limit = super::body_limits::TAGGING;
    bucket_config::put(ctx, "s3:PutBucketPublicAccessBlock", DOC, limit, parse).await
}

pub async fn delete_bucket(ctx: &Ctx<'_>) -> S3Result<Response> {
    bucket_config::delete(ctx, "s3:PutBucketPublicAccessBlock", DOC).await
}

pub async fn policy_status(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name();
    let b = ctx.bucket_op(name, "s3:GetBucketPolicyStatus").await?;
    let Some(policy) = &b.policy else {
        return Err(S3Error::new(
            404,
            "NoSuchBucketPolicy",
            "The bucket policy does not exist",
        )
        .with("BucketName", name));
    };
    let mut w = Writer::new("PolicyStatus");
    w.elem(
        "IsPublic",
        if policy_is_public(policy) {
            "true"
        } else {
            "false"
        },
    );
    Ok(xml_ok(w.finish("PolicyStatus")))
}

/// PutBucketPolicy's check: a public policy is refused while BlockPublicPolicy is on.
pub async fn check_new_policy(ctx: &Ctx<'_>, b: &Bucket, document: &str) -> S3Result<()> {
    if policy_is_public(document) && ctx.svc.public_access_block(b).await?.block_public_policy {
        return Err(S3Error::new(
            403,
            "AccessDenied",
            "Access Denied: public policies are blocked by the BlockPublicPolicy block public access setting.",
        ));
    }
    Ok(())
}

// ----- account operations (s3control) -----

/// The account an s3control request names (`x-amz-account-id`); only the caller's own.
async fn account_for(ctx: &Ctx<'_>, action: &str) -> S3Result<String> {
    let account = ctx
        .header("x-amz-account-id")
        .map(str::trim)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| S3Error::invalid_request("Missing or invalid x-amz-account-id header."))?
        .to_owned();
    ctx.authorize(action, "*", None, &Conditions::default())
        .await?;
    match &ctx.auth.caller {
        Some(c) if c.account_id() == account => Ok(account),
        _ => Err(S3Error::access_denied()),
    }
}

pub async fn get_account(ctx: &Ctx<'_>) -> S3Result<Response> {
    let account = account_for(ctx, "s3:GetAccountPublicAccessBlock").await?;
    match decode(
        ctx.svc
            .meta
            .account_config(&account, DOC)
            .await
            .map_err(meta_err)?,
    )? {
        Some(b) => Ok(xml_ok(render(&b, Some(S3CONTROL_NS)))),
        None => Err(S3Error::new(
            404,
            "NoSuchPublicAccessBlockConfiguration",
            "The public access block configuration was not found",
        )
        .with("AccountId", account)),
    }
}

pub async fn put_account(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    let account = account_for(ctx, "s3:PutAccountPublicAccessBlock").await?;
    let body = ctx.xml_body(super::body_limits::TAGGING).await?;
    let block = parse(&body)?;
    let json = serde_json::to_string(&block).map_err(S3Error::internal)?;
    ctx.svc
        .meta
        .set_account_config(&account, DOC, Some(&json))
        .await
        .map_err(meta_err)?;
    Ok(no_content(200))
}

pub async fn delete_account(ctx: &Ctx<'_>) -> S3Result<Response> {
    let account = account_for(ctx, "s3:PutAccountPublicAccessBlock").await?;
    ctx.svc
        .meta
        .set_account_config(&account, DOC, None)
        .await
        .map_err(meta_err)?;
    Ok(no_content(204))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_policies() {
        let public = [
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","*"]},"Action":"s3:*","Resource":"*"}}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"*"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceAccount":"1"}}}]}"#,
        ];
        for p in public {
            assert!(policy_is_public(p), "{p}");
        }
        let private = [
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}]}"#,
        ];
        for p in private {
            assert!(!policy_is_public(p), "{p}");
        }
    }

    #[test]
    fn block_documents() {
        let b = parse(b"<PublicAccessBlockConfiguration><BlockPublicPolicy>true</BlockPublicPolicy></PublicAccessBlockConfiguration>").ok();
        assert_eq!(
            b,
            Some(Block {
                block_public_policy: true,
                ..Block::default()
            })
        );
        assert!(parse(b"<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls></PublicAccessBlockConfiguration>").is_err());
        assert!(parse(b"<Other/>").is_err());
    }
}
