//! From a request line to an operation: addressing (path style, or virtual-hosted style
//! under a configured domain), key decoding and validation, and the sub-resource rules that
//! pick one of the S3 operations.

use percent_encoding::percent_decode_str;

use crate::errors::{S3Error, S3Result};

/// Every operation this server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    GetBucketLocation,
    GetBucketPolicy,
    PutBucketPolicy,
    DeleteBucketPolicy,
    GetBucketTagging,
    PutBucketTagging,
    DeleteBucketTagging,
    GetBucketVersioning,
    PutBucketVersioning,
    ListObjectVersions,
    GetBucketAcl,
    ListObjects,
    ListObjectsV2,
    ListMultipartUploads,
    DeleteObjects,
    PostObject,
    GetBucketCors,
    PutBucketCors,
    DeleteBucketCors,
    Preflight,
    GetPublicAccessBlock,
    PutPublicAccessBlock,
    DeletePublicAccessBlock,
    GetBucketPolicyStatus,
    GetAccountPublicAccessBlock,
    PutAccountPublicAccessBlock,
    DeleteAccountPublicAccessBlock,
    PutBucketAcl,
    GetBucketWebsite,
    GetBucketReplication,
    GetObjectLockConfiguration,
    GetBucketEncryption,
    GetBucketLogging,
    GetBucketNotification,
    GetBucketAccelerate,
    GetBucketRequestPayment,
    PutBucketRequestPayment,
    PutBucketAccelerate,
    PutBucketLogging,
    PutBucketEncryption,
    PutBucketNotification,
    DeleteBucketWebsite,
    DeleteBucketReplication,
    DeleteBucketEncryption,
    ListBucketAnalyticsConfigurations,
    GetBucketAnalyticsConfiguration,
    DeleteBucketAnalyticsConfiguration,
    ListBucketMetricsConfigurations,
    GetBucketMetricsConfiguration,
    DeleteBucketMetricsConfiguration,
    ListBucketInventoryConfigurations,
    GetBucketInventoryConfiguration,
    DeleteBucketInventoryConfiguration,
    ListBucketIntelligentTieringConfigurations,
    GetBucketIntelligentTieringConfiguration,
    DeleteBucketIntelligentTieringConfiguration,
    GetBucketLifecycle,
    PutBucketLifecycle,
    DeleteBucketLifecycle,
    PutObjectAcl,
    GetBucketOwnershipControls,
    PutBucketOwnershipControls,
    DeleteBucketOwnershipControls,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    DeleteObject,
    GetObjectTagging,
    PutObjectTagging,
    DeleteObjectTagging,
    GetObjectAcl,
    GetObjectAttributes,
    GetObjectRetention,
    PutObjectRetention,
    GetObjectLegalHold,
    PutObjectLegalHold,
    RestoreObject,
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
}

/// Where a request points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// Virtual-hosted style (the bucket came from the Host header).
    pub virtual_host: bool,
}

/// Longest key S3 accepts, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// Splits the target into bucket and key. `domain` is the configured base domain for
/// virtual-hosted style; `host` the Host header (port ignored).
pub fn target(raw_path: &str, host: Option<&str>, domain: Option<&str>) -> S3Result<Target> {
    let host_bucket = match (host, domain) {
        (Some(h), Some(d)) => {
            let h = strip_port(h).to_ascii_lowercase();
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            h.strip_suffix(&d)
                .and_then(|b| b.strip_suffix('.'))
                .filter(|b| !b.is_empty())
                .map(str::to_owned)
        }
        _ => None,
    };
    let path = raw_path.strip_prefix('/').unwrap_or(raw_path);
    if let Some(bucket) = host_bucket {
        let key = if path.is_empty() {
            None
        } else {
            Some(decode_key(path)?)
        };
        return Ok(Target {
            bucket: Some(bucket),
            key,
            virtual_host: true,
        });
    }
    if path.is_empty() {
        return Ok(Target {
            bucket: None,
            key: None,
            virtual_host: false,
        });
    }
    let (bucket, key) = match path.split_once('/') {
        Some((b, k)) => (b, if k.is_empty() { None } else { Some(k) }),
        None => (path, None),
    };
    let bucket = percent_decode_str(bucket)
        .decode_utf8()
        .map_err(|_| invalid_uri())?
        .into_owned();
    Ok(Target {
        bucket: Some(bucket),
        key: key.map(decode_key).transpose()?,
        virtual_host: false,
    })
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host;
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

fn invalid_uri() -> S3Error {
    S3Error::new(400, "InvalidURI", "Couldn't parse the specified URI.")
}

/// Percent-decodes a key exactly once (`+` stays a plus, as S3 does in paths) and applies
/// S3's limits. A NUL cannot be stored by every metadata backend, so it is refused.
pub fn decode_key(raw: &str) -> S3Result<String> {
    let key = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| invalid_uri())?
        .into_owned();
    validate_key(&key)?;
    Ok(key)
}

pub fn validate_key(key: &str) -> S3Result<()> {
    if key.len() > MAX_KEY_BYTES {
        return Err(S3Error::new(400, "KeyTooLongError", "Your key is too long"));
    }
    if key.contains('\0') {
        return Err(S3Error::invalid_argument(
            "Object key must not contain the NUL character.",
        ));
    }
    Ok(())
}

/// S3's bucket naming rules (general purpose buckets).
pub fn validate_bucket_name(name: &str) -> S3Result<()> {
    let invalid = || {
        S3Error::new(
            400,
            "InvalidBucketName",
            "The specified bucket is not valid.",
        )
        .with("BucketName", name)
    };
    let len_ok = (3..=63).contains(&name.len());
    let chars_ok = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let ends_ok = name
        .bytes()
        .next()
        .zip(name.bytes().last())
        .is_some_and(|(f, l)| f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric());
    let ip_like = name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok());
    let reserved = name.starts_with("xn--")
        || name.starts_with("sthree-")
        || name.ends_with("-s3alias")
        || name.ends_with("--ol-s3")
        || name.contains("..");
    if len_ok && chars_ok && ends_ok && !ip_like && !reserved {
        Ok(())
    } else {
        Err(invalid())
    }
}

/// Decoded query parameters in order (`?uploads` gives `("uploads", "")`).
pub fn query_pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (k, v) = item.split_once('=').unwrap_or((item, ""));
            (decode_query(k), decode_query(v))
        })
        .collect()
}

fn decode_query(s: &str) -> String {
    // Query strings use form encoding in practice ('+' for space), unlike paths.
    let replaced = s.replace('+', " ");
    percent_decode_str(&replaced)
        .decode_utf8_lossy()
        .into_owned()
}

pub fn has(q: &[(String, String)], name: &str) -> bool {
    q.iter().any(|(k, _)| k == name)
}

pub fn get<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The s3control account operations this server answers, addressed as AWS's SDKs send
/// them to a custom endpoint (host prefix off): `/v20180820/configuration/publicAccessBlock`
/// with `x-amz-account-id`. `None` for every other request.
pub fn account_operation(method: &str, t: &Target, account_header: bool) -> Option<S3Result<Op>> {
    if !account_header
        || t.bucket.as_deref() != Some("v20180820")
        || t.key.as_deref() != Some("configuration/publicAccessBlock")
    {
        return None;
    }
    Some(match method {
        "GET" => Ok(Op::GetAccountPublicAccessBlock),
        "PUT" => Ok(Op::PutAccountPublicAccessBlock),
        "DELETE" => Ok(Op::DeleteAccountPublicAccessBlock),
        _ => Err(S3Error::method_not_allowed()),
    })
}

/// Bucket sub-resources of AWS S3 that select an operation this server does not answer
/// for that method: never read as a listing, a bucket creation or an object upload.
const BUCKET_SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "lifecycle",
    "logging",
    "metadataConfiguration",
    "metadataTable",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "session",
    "tagging",
    "versioning",
    "website",
];

/// Object sub-resources that name an operation of another method (or none this server
/// has): a PUT, COPY or DELETE carrying one must not write or delete the object.
const OBJECT_SUBRESOURCES: &[&str] = &[
    "acl",
    "attributes",
    "legal-hold",
    "renameObject",
    "restore",
    "retention",
    "select",
    "select-type",
    "tagging",
    "torrent",
    "uploads",
];

/// `NotImplemented` for the first AWS sub-resource of `known` present in the query.
fn unsupported(q: &[(String, String)], known: &[&str]) -> S3Result<()> {
    match q.iter().find(|(k, _)| known.contains(&k.as_str())) {
        Some((k, _)) => Err(S3Error::not_implemented(&format!("?{k}"))),
        None => Ok(()),
    }
}

/// `MethodNotAllowed` when an object sub-resource accompanies a method that has no
/// operation on it (AWS's answer to, say, `DELETE /key?retention`).
fn not_for_method(q: &[(String, String)]) -> S3Result<()> {
    if q.iter()
        .any(|(k, _)| OBJECT_SUBRESOURCES.contains(&k.as_str()))
    {
        return Err(S3Error::method_not_allowed());
    }
    Ok(())
}

/// Picks the operation. `copy_source` is whether `x-amz-copy-source` is present.
pub fn operation(
    method: &str,
    t: &Target,
    q: &[(String, String)],
    copy_source: bool,
) -> S3Result<Op> {
    let sub = |n| has(q, n);
    let by_id = |one, list| if sub("id") { one } else { list };
    let op = match (&t.bucket, &t.key) {
        (None, _) => match method {
            "GET" | "HEAD" => Op::ListBuckets,
            _ => return Err(S3Error::method_not_allowed()),
        },
        (Some(_), None) => match method {
            "GET" if sub("location") => Op::GetBucketLocation,
            "GET" if sub("policyStatus") => Op::GetBucketPolicyStatus,
            "GET" if sub("policy") => Op::GetBucketPolicy,
            "GET" if sub("tagging") => Op::GetBucketTagging,
            "GET" if sub("versioning") => Op::GetBucketVersioning,
            "GET" if sub("versions") => Op::ListObjectVersions,
            "GET" if sub("cors") => Op::GetBucketCors,
            "GET" if sub("lifecycle") => Op::GetBucketLifecycle,
            "GET" if sub("ownershipControls") => Op::GetBucketOwnershipControls,
            "GET" if sub("publicAccessBlock") => Op::GetPublicAccessBlock,
            "GET" if sub("acl") => Op::GetBucketAcl,
            "GET" if sub("uploads") => Op::ListMultipartUploads,
            "GET" if get(q, "list-type") == Some("2") => Op::ListObjectsV2,
            "GET" if sub("website") => Op::GetBucketWebsite,
            "GET" if sub("replication") => Op::GetBucketReplication,
            "GET" if sub("object-lock") => Op::GetObjectLockConfiguration,
            "GET" if sub("encryption") => Op::GetBucketEncryption,
            "GET" if sub("logging") => Op::GetBucketLogging,
            "GET" if sub("notification") => Op::GetBucketNotification,
            "GET" if sub("accelerate") => Op::GetBucketAccelerate,
            "GET" if sub("requestPayment") => Op::GetBucketRequestPayment,
            "GET" if sub("analytics") => by_id(
                Op::GetBucketAnalyticsConfiguration,
                Op::ListBucketAnalyticsConfigurations,
            ),
            "GET" if sub("metrics") => by_id(
                Op::GetBucketMetricsConfiguration,
                Op::ListBucketMetricsConfigurations,
            ),
            "GET" if sub("inventory") => by_id(
                Op::GetBucketInventoryConfiguration,
                Op::ListBucketInventoryConfigurations,
            ),
            "GET" if sub("intelligent-tiering") => by_id(
                Op::GetBucketIntelligentTieringConfiguration,
                Op::ListBucketIntelligentTieringConfigurations,
            ),
            "GET" => {
                unsupported(q, BUCKET_SUBRESOURCES)?;
                Op::ListObjects
            }
            "HEAD" => Op::HeadBucket,
            "PUT" if sub("policy") => Op::PutBucketPolicy,
            "PUT" if sub("tagging") => Op::PutBucketTagging,
            "PUT" if sub("versioning") => Op::PutBucketVersioning,
            "PUT" if sub("cors") => Op::PutBucketCors,
            "PUT" if sub("lifecycle") => Op::PutBucketLifecycle,
            "PUT" if sub("ownershipControls") => Op::PutBucketOwnershipControls,
            "PUT" if sub("acl") => Op::PutBucketAcl,
            "PUT" if sub("publicAccessBlock") => Op::PutPublicAccessBlock,
            "PUT" if sub("requestPayment") => Op::PutBucketRequestPayment,
            "PUT" if sub("accelerate") => Op::PutBucketAccelerate,
            "PUT" if sub("logging") => Op::PutBucketLogging,
            "PUT" if sub("encryption") => Op::PutBucketEncryption,
            "PUT" if sub("notification") => Op::PutBucketNotification,
            "PUT" if q.is_empty() => Op::CreateBucket,
            "PUT" => {
                unsupported(q, BUCKET_SUBRESOURCES)?;
                // Any other parameter on a PUT to the bucket is still not a CreateBucket.
                let name = q.first().map_or("", |(k, _)| k.as_str());
                return Err(S3Error::not_implemented(&format!("?{name}")));
            }
            "DELETE" if sub("policy") => Op::DeleteBucketPolicy,
            "DELETE" if sub("tagging") => Op::DeleteBucketTagging,
            "DELETE" if sub("cors") => Op::DeleteBucketCors,
            "DELETE" if sub("lifecycle") => Op::DeleteBucketLifecycle,
            "DELETE" if sub("ownershipControls") => Op::DeleteBucketOwnershipControls,
            "DELETE" if sub("publicAccessBlock") => Op::DeletePublicAccessBlock,
            "DELETE" if sub("website") => Op::DeleteBucketWebsite,
            "DELETE" if sub("replication") => Op::DeleteBucketReplication,
            "DELETE" if sub("encryption") => Op::DeleteBucketEncryption,
            "DELETE" if sub("analytics") => Op::DeleteBucketAnalyticsConfiguration,
            "DELETE" if sub("metrics") => Op::DeleteBucketMetricsConfiguration,
            "DELETE" if sub("inventory") => Op::DeleteBucketInventoryConfiguration,
            "DELETE" if sub("intelligent-tiering") => {
                Op::DeleteBucketIntelligentTieringConfiguration
            }
            "DELETE" if q.is_empty() => Op::DeleteBucket,
            "DELETE" => {
                unsupported(q, BUCKET_SUBRESOURCES)?;
                return Err(S3Error::not_implemented("bucket sub-resource"));
            }
            "POST" if sub("delete") => Op::DeleteObjects,
            "POST" => {
                unsupported(q, BUCKET_SUBRESOURCES)?;
                Op::PostObject
            }
            "OPTIONS" => Op::Preflight,
            _ => return Err(S3Error::method_not_allowed()),
        },
        (Some(_), Some(_)) => match method {
            "PUT" if sub("uploadId") && sub("partNumber") && copy_source => Op::UploadPartCopy,
            // Without partNumber still an UploadPart (refused there), never a PutObject.
            "PUT" if sub("uploadId") => Op::UploadPart,
            "PUT" if sub("tagging") => Op::PutObjectTagging,
            "PUT" if sub("acl") => Op::PutObjectAcl,
            "PUT" if sub("retention") => Op::PutObjectRetention,
            "PUT" if sub("legal-hold") => Op::PutObjectLegalHold,
            "PUT" if copy_source => {
                not_for_method(q)?;
                Op::CopyObject
            }
            "PUT" => {
                not_for_method(q)?;
                Op::PutObject
            }
            "GET" if sub("uploadId") => Op::ListParts,
            "GET" if sub("tagging") => Op::GetObjectTagging,
            "GET" if sub("acl") => Op::GetObjectAcl,
            "GET" if sub("retention") => Op::GetObjectRetention,
            "GET" if sub("legal-hold") => Op::GetObjectLegalHold,
            "GET" if sub("attributes") => Op::GetObjectAttributes,
            "GET" if sub("torrent") => {
                return Err(S3Error::not_implemented("object sub-resource"));
            }
            "GET" => Op::GetObject,
            "HEAD" => Op::HeadObject,
            "DELETE" if sub("uploadId") => Op::AbortMultipartUpload,
            "DELETE" if sub("tagging") => Op::DeleteObjectTagging,
            "DELETE" => {
                not_for_method(q)?;
                Op::DeleteObject
            }
            "POST" if sub("uploads") => Op::CreateMultipartUpload,
            "POST" if sub("uploadId") => Op::CompleteMultipartUpload,
            "POST" if sub("restore") => Op::RestoreObject,
            "OPTIONS" => Op::Preflight,
            "POST" if sub("select") => {
                return Err(S3Error::not_implemented("object sub-resource"));
            }
            _ => return Err(S3Error::method_not_allowed()),
        },
    };
    Ok(op)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn path_and_virtual_host_addressing() {
        let t = target("/bkt/a%20b/c~d", Some("127.0.0.1:9000"), None).unwrap();
        assert_eq!(t.bucket.as_deref(), Some("bkt"));
        assert_eq!(t.key.as_deref(), Some("a b/c~d"));
        let t = target("/a+b", Some("bkt.s3.local:9000"), Some("s3.local")).unwrap();
        assert_eq!(t.bucket.as_deref(), Some("bkt"));
        assert_eq!(t.key.as_deref(), Some("a+b"));
        assert!(t.virtual_host);
        let t = target("/bkt/k", Some("s3.local"), Some("s3.local")).unwrap();
        assert_eq!(
            (t.bucket.as_deref(), t.key.as_deref()),
            (Some("bkt"), Some("k"))
        );
        assert_eq!(target("/", None, None).unwrap().bucket, None);
        assert_eq!(target("/bkt/", None, None).unwrap().key, None);
        // Dot segments and doubled slashes are part of the key, never resolved.
        assert_eq!(
            target("/b/../../x", None, None).unwrap().key.as_deref(),
            Some("../../x")
        );
        assert_eq!(
            target("/b/a//b", None, None).unwrap().key.as_deref(),
            Some("a//b")
        );
        assert_eq!(
            target("/b/a%00", None, None).unwrap_err().code,
            "InvalidArgument"
        );
        assert_eq!(target("/b/%FF", None, None).unwrap_err().code, "InvalidURI");
    }

    #[test]
    fn bucket_names() {
        for ok in ["abc", "my-bucket.1", "a1b"] {
            assert!(validate_bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "ABC",
            "-ab",
            "ab-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "a_b",
            &"a".repeat(64),
        ] {
            assert!(validate_bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn operations() {
        let t = target("/b/k", None, None).unwrap();
        let q = query_pairs("uploadId=x&partNumber=1");
        assert_eq!(operation("PUT", &t, &q, false).unwrap(), Op::UploadPart);
        assert_eq!(operation("PUT", &t, &q, true).unwrap(), Op::UploadPartCopy);
        assert_eq!(operation("PUT", &t, &[], true).unwrap(), Op::CopyObject);
        let b = target("/b", None, None).unwrap();
        assert_eq!(
            operation("GET", &b, &query_pairs("list-type=2&prefix=a"), false).unwrap(),
            Op::ListObjectsV2
        );
        assert_eq!(
            operation("POST", &b, &query_pairs("delete"), false).unwrap(),
            Op::DeleteObjects
        );
        assert_eq!(
            operation("GET", &b, &query_pairs("location"), false).unwrap(),
            Op::GetBucketLocation
        );
    }

    /// No sub-resource of S3 reaches PutObject, CopyObject, DeleteObject or CreateBucket.
    #[test]
    fn sub_resources_never_write_or_delete_objects() {
        let t = target("/b/k", None, None).unwrap();
        let op = |m: &str, q: &str, copy: bool| operation(m, &t, &query_pairs(q), copy);
        assert_eq!(
            op("PUT", "retention", false).unwrap(),
            Op::PutObjectRetention
        );
        assert_eq!(
            op("PUT", "legal-hold", false).unwrap(),
            Op::PutObjectLegalHold
        );
        assert_eq!(
            op("GET", "retention", false).unwrap(),
            Op::GetObjectRetention
        );
        assert_eq!(op("POST", "restore", false).unwrap(), Op::RestoreObject);
        assert_eq!(op("PUT", "uploadId=x", false).unwrap(), Op::UploadPart);
        for q in [
            "torrent",
            "restore",
            "select&select-type=2",
            "attributes",
            "uploads",
            "renameObject",
        ] {
            for copy in [false, true] {
                let got = op("PUT", q, copy);
                assert!(got.is_err(), "PUT ?{q} copy={copy}: {got:?}");
            }
        }
        for q in [
            "retention",
            "legal-hold",
            "acl",
            "torrent",
            "restore",
            "uploads",
        ] {
            assert!(op("DELETE", q, false).is_err(), "DELETE ?{q}");
        }
        assert_eq!(op("GET", "torrent", false).unwrap_err().status, 501);
        assert_eq!(
            op("POST", "select&select-type=2", false)
                .unwrap_err()
                .status,
            501
        );
        let b = target("/b", None, None).unwrap();
        let bop = |m: &str, q: &str| operation(m, &b, &query_pairs(q), false);
        assert_eq!(
            bop("GET", "metrics").unwrap(),
            Op::ListBucketMetricsConfigurations
        );
        assert_eq!(
            bop("GET", "analytics&id=x").unwrap(),
            Op::GetBucketAnalyticsConfiguration
        );
        assert_eq!(bop("DELETE", "website").unwrap(), Op::DeleteBucketWebsite);
        assert_eq!(bop("PUT", "logging").unwrap(), Op::PutBucketLogging);
        assert_eq!(bop("PUT", "encryption").unwrap(), Op::PutBucketEncryption);
        for q in ["object-lock", "replication", "website", "metadataTable"] {
            assert_eq!(bop("PUT", q).unwrap_err().status, 501, "PUT ?{q}");
        }
        assert_eq!(bop("GET", "metadataTable").unwrap_err().status, 501);
        assert_eq!(bop("POST", "metadataTable").unwrap_err().status, 501);
    }
}
