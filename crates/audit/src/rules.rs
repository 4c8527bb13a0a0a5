//! Per-operation facts of the record (spec §3.4): the event source and S3's event-name
//! quirks, read-only and management/data classification, and the resources: the record's
//! own `resources` and LookupEvents' derived `Resources`.

use serde_json::Value;

use crate::detail::RecordResource;

/// `iam.amazonaws.com` for `iam`.
pub fn event_source(service: &str) -> String {
    format!("{service}.amazonaws.com")
}

/// The name CloudTrail logs an operation under.
pub fn event_name(service: &str, operation: &str) -> String {
    if service == "s3" && operation == "ListObjectsV2" {
        return "ListObjects".into();
    }
    operation.to_owned()
}

/// Whether the operation only reads. Failed calls keep their operation's classification.
pub fn read_only(service: &str, name: &str) -> bool {
    const READ_PREFIXES: &[&str] = &["Get", "List", "Head", "Describe", "Lookup", "Simulate"];
    match service {
        // Every STS operation is read-only, AssumeRole included.
        "sts" => true,
        _ => READ_PREFIXES.iter().any(|p| name.starts_with(p)),
    }
}

/// S3 object-level operations (and object listings) are data events.
pub fn management(service: &str, name: &str) -> bool {
    const DATA: &[&str] = &[
        "AbortMultipartUpload",
        "CompleteMultipartUpload",
        "CreateMultipartUpload",
        "CopyObject",
        "DeleteObject",
        "DeleteObjects",
        "GetObject",
        "GetObjectAcl",
        "GetObjectAttributes",
        "GetObjectLegalHold",
        "GetObjectRetention",
        "GetObjectTagging",
        "DeleteObjectTagging",
        "HeadObject",
        "ListParts",
        "PostObject",
        "PutObject",
        "PutObjectAcl",
        "PutObjectLegalHold",
        "PutObjectRetention",
        "PutObjectTagging",
        "RestoreObject",
        "UploadPart",
        "UploadPartCopy",
        "ListObjects",
        "ListObjectVersions",
        "HeadBucket",
    ];
    !(service == "s3" && DATA.contains(&name))
}

/// Whether a successful operation's output is recorded as `responseElements`: writes, and
/// the STS calls that issue credentials (read-only, yet AWS records their output).
pub fn records_response(service: &str, name: &str) -> bool {
    match service {
        "sts" => matches!(
            name,
            "AssumeRole"
                | "AssumeRoleWithWebIdentity"
                | "AssumeRoleWithSAML"
                | "GetSessionToken"
                | "GetFederationToken"
        ),
        "s3" => false,
        _ => !read_only(service, name),
    }
}

fn text<'a>(v: Option<&'a Value>, path: &[&str]) -> Option<&'a str> {
    let mut cur = v?;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// The record's `resources` member.
pub fn record_resources(
    service: &str,
    name: &str,
    account_id: &str,
    request: Option<&Value>,
    bucket: Option<&str>,
    key: Option<&str>,
) -> Vec<RecordResource> {
    let mut out = Vec::new();
    match service {
        "sts" if name.starts_with("AssumeRole") => {
            if let Some(arn) = text(request, &["roleArn"]) {
                out.push(RecordResource {
                    account_id: arn.split(':').nth(4).map(str::to_owned),
                    kind: "AWS::IAM::Role".into(),
                    arn: Some(arn.to_owned()),
                    arn_prefix: None,
                });
            }
        }
        "s3" => {
            if let Some(b) = bucket {
                if name == "ListObjects" {
                    out.push(RecordResource {
                        account_id: None,
                        kind: "AWS::S3::Object".into(),
                        arn: None,
                        arn_prefix: Some(format!("arn:aws:s3:::{b}/")),
                    });
                } else if let Some(k) = key {
                    out.push(RecordResource {
                        account_id: None,
                        kind: "AWS::S3::Object".into(),
                        arn: Some(format!("arn:aws:s3:::{b}/{k}")),
                        arn_prefix: None,
                    });
                }
                out.push(RecordResource {
                    account_id: Some(account_id.to_owned()),
                    kind: "AWS::S3::Bucket".into(),
                    arn: Some(format!("arn:aws:s3:::{b}")),
                    arn_prefix: None,
                });
            }
        }
        _ => {}
    }
    out
}

/// LookupEvents' derived `Resources`, `(ResourceType, ResourceName)` (spec §3.7).
pub fn lookup_resources(
    service: &str,
    name: &str,
    request: Option<&Value>,
    response: Option<&Value>,
    bucket: Option<&str>,
    key: Option<&str>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |t: &str, n: Option<&str>| {
        if let Some(n) = n.filter(|n| !n.is_empty()) {
            let entry = (t.to_owned(), n.to_owned());
            if !out.contains(&entry) {
                out.push(entry);
            }
        }
    };
    match service {
        "sts" => {
            push(
                "AWS::IAM::AccessKey",
                text(response, &["credentials", "accessKeyId"]),
            );
            if name.starts_with("AssumeRole") {
                push("AWS::STS::AssumedRole", text(request, &["roleSessionName"]));
                push(
                    "AWS::STS::AssumedRole",
                    text(response, &["assumedRoleUser", "assumedRoleId"]),
                );
                push(
                    "AWS::STS::AssumedRole",
                    text(response, &["assumedRoleUser", "arn"]),
                );
                push("AWS::IAM::Role", text(request, &["roleArn"]));
            }
        }
        "iam" => {
            push(
                "AWS::IAM::AccessKey",
                text(response, &["accessKey", "accessKeyId"]),
            );
            push("AWS::IAM::AccessKey", text(request, &["accessKeyId"]));
            push("AWS::IAM::User", text(request, &["userName"]));
            push("AWS::IAM::User", text(response, &["accessKey", "userName"]));
            push("AWS::IAM::Role", text(request, &["roleName"]));
            push("AWS::IAM::Group", text(request, &["groupName"]));
            push("AWS::IAM::Policy", text(request, &["policyArn"]));
        }
        "s3" => {
            push("AWS::S3::Bucket", bucket);
            if let (Some(b), Some(k)) = (bucket, key) {
                push("AWS::S3::Object", Some(&format!("arn:aws:s3:::{b}/{k}")));
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_cloudtrail() {
        assert!(read_only("sts", "AssumeRole"));
        assert!(read_only("iam", "GetRole"));
        assert!(!read_only("iam", "CreateUser"));
        assert!(read_only("s3", "ListBuckets"));
        assert!(!read_only("s3", "PutObject"));
        assert!(management("s3", "CreateBucket"));
        assert!(!management("s3", "GetObject"));
        assert!(management("iam", "CreateUser"));
        assert_eq!(event_name("s3", "ListObjectsV2"), "ListObjects");
        assert!(records_response("sts", "AssumeRole"));
        assert!(!records_response("sts", "GetCallerIdentity"));
        assert!(!records_response("iam", "ListUsers"));
        assert!(records_response("iam", "CreateAccessKey"));
    }

    #[test]
    fn assume_role_resources_find_the_new_key() {
        let req = serde_json::json!({"roleArn": "arn:aws:iam::1:role/r", "roleSessionName": "s"});
        let resp = serde_json::json!({"credentials": {"accessKeyId": "ASIA1"},
            "assumedRoleUser": {"assumedRoleId": "AROA:s", "arn": "arn:aws:sts::1:assumed-role/r/s"}});
        let r = lookup_resources("sts", "AssumeRole", Some(&req), Some(&resp), None, None);
        assert_eq!(r[0], ("AWS::IAM::AccessKey".into(), "ASIA1".into()));
        assert_eq!(r.len(), 5);
    }
}
