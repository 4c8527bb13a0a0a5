//! A trail as stored (the JSON document of `cloudtrail_trails`), CloudTrail's naming rules,
//! event selectors and which events a trail delivers, and the bucket-policy check of
//! CreateTrail/UpdateTrail.

use hourglass_store::AuditEventRow;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The trail's settings and state; the name, account and ARN are the row's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailDoc {
    pub home_region: String,
    pub bucket: String,
    #[serde(default)]
    pub prefix: Option<String>,
    pub include_global: bool,
    pub multi_region: bool,
    #[serde(default)]
    pub log_file_validation: bool,
    #[serde(default)]
    pub logging: bool,
    #[serde(default)]
    pub start_logging_ms: Option<i64>,
    #[serde(default)]
    pub stop_logging_ms: Option<i64>,
    /// `None`: CloudTrail's default (all management events, no data events).
    #[serde(default)]
    pub selectors: Option<Vec<Selector>>,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

/// One basic event selector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selector {
    pub read_write: String,
    pub include_management: bool,
    /// `(Type, Values)`.
    #[serde(default)]
    pub data_resources: Vec<(String, Vec<String>)>,
    #[serde(default)]
    pub exclude_sources: Vec<String>,
}

impl Selector {
    pub fn default_selector() -> Selector {
        Selector {
            read_write: "All".into(),
            include_management: true,
            data_resources: Vec::new(),
            exclude_sources: Vec::new(),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "ReadWriteType": self.read_write,
            "IncludeManagementEvents": self.include_management,
            "DataResources": self.data_resources.iter()
                .map(|(t, v)| json!({"Type": t, "Values": v}))
                .collect::<Vec<_>>(),
            "ExcludeManagementEventSources": self.exclude_sources,
        })
    }

    fn read_write_matches(&self, read_only: bool) -> bool {
        match self.read_write.as_str() {
            "ReadOnly" => read_only,
            "WriteOnly" => !read_only,
            _ => true,
        }
    }

    /// Whether this selector takes the event (`record` is its CloudTrail record).
    fn takes(&self, row: &AuditEventRow, record: &Value) -> bool {
        if !self.read_write_matches(row.read_only) {
            return false;
        }
        if row.management {
            return self.include_management && !self.exclude_sources.contains(&row.event_source);
        }
        // Data events: S3 object-level calls whose object ARN a value names.
        let arns: Vec<&str> = record["resources"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    .filter(|r| r["type"] == "AWS::S3::Object")
                    .filter_map(|r| r["ARN"].as_str().or_else(|| r["ARNPrefix"].as_str()))
                    .collect()
            })
            .unwrap_or_default();
        self.data_resources
            .iter()
            .filter(|(t, _)| t == "AWS::S3::Object")
            .flat_map(|(_, values)| values.iter())
            .any(|v| {
                if v == "arn:aws:s3" || v == "arn:aws:s3:::" {
                    row.event_source == "s3.amazonaws.com"
                } else {
                    arns.iter().any(|a| a.starts_with(v.as_str()))
                }
            })
    }
}

impl TrailDoc {
    pub fn selectors(&self) -> Vec<Selector> {
        self.selectors
            .clone()
            .unwrap_or_else(|| vec![Selector::default_selector()])
    }

    /// Whether the trail delivers the event: its account's, in the logging window, from a
    /// region it covers, taken by one of its selectors.
    pub fn delivers(&self, account_id: &str, row: &AuditEventRow) -> bool {
        if row.account_id != account_id {
            return false;
        }
        let Some(start) = self.start_logging_ms else {
            return false;
        };
        if row.event_time_ms < start {
            return false;
        }
        if !self.logging && self.stop_logging_ms.is_some_and(|s| row.event_time_ms > s) {
            return false;
        }
        let record: Value = serde_json::from_str(&row.record).unwrap_or(Value::Null);
        let global = row.event_source == "iam.amazonaws.com";
        if global && !self.include_global {
            return false;
        }
        if !self.multi_region && !global {
            let region = record["awsRegion"].as_str().unwrap_or("us-east-1");
            if region != self.home_region {
                return false;
            }
        }
        self.selectors().iter().any(|s| s.takes(row, &record))
    }
}

/// CloudTrail's trail-name rules (CreateTrail `Name`); the message says which one failed.
pub fn check_name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if len < 3 {
        return Err(format!(
            "Trail name too short. Minimum allowed length: 3 characters. Specified name length: {len} characters."
        ));
    }
    if len > 128 {
        return Err(format!(
            "Trail name too long. Maximum allowed length: 128 characters. Specified name length: {len} characters."
        ));
    }
    let special = |c: char| matches!(c, '.' | '_' | '-');
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || special(c))
    {
        return Err("Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).".into());
    }
    if !name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return Err("Trail name must starts with a letter or number.".into());
    }
    if !name
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return Err("Trail name must ends with a letter or number.".into());
    }
    let chars: Vec<char> = name.chars().collect();
    if chars.windows(2).any(|w| special(w[0]) && special(w[1])) {
        return Err("Trail name cannot have adjacent periods, underscores or dashes.".into());
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err("Trail name cannot be formatted as an IP address.".into());
    }
    Ok(())
}

/// `arn:aws:cloudtrail:REGION:ACCT:trail/NAME` → `(region, account, name)`.
pub fn parse_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let rest = arn.strip_prefix("arn:aws:cloudtrail:")?;
    let (region, rest) = rest.split_once(':')?;
    let (account, rest) = rest.split_once(':')?;
    let name = rest.strip_prefix("trail/")?;
    (!region.is_empty() && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then_some((region, account, name))
}

pub fn trail_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:cloudtrail:{region}:{account}:trail/{name}")
}

/// `*` and `?` wildcards, as IAM resource patterns; actions compare case-insensitively.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether the bucket policy lets CloudTrail write the trail's files: an `Allow`
/// statement for the service principal `cloudtrail.amazonaws.com` (or `*`) with
/// `s3:PutObject` on `arn:aws:s3:::BUCKET/[PREFIX/]AWSLogs/ACCOUNT/*`. Conditions are not
/// evaluated (the ones AWS's documented policy carries, `s3:x-amz-acl` and
/// `aws:SourceArn`, hold for every write a trail makes).
pub fn policy_allows_delivery(
    policy: Option<&str>,
    bucket: &str,
    prefix: Option<&str>,
    account: &str,
) -> bool {
    let Some(doc) = policy.and_then(|p| serde_json::from_str::<Value>(p).ok()) else {
        return false;
    };
    let target = match prefix {
        Some(p) => format!("arn:aws:s3:::{bucket}/{p}/AWSLogs/{account}/CloudTrail/x"),
        None => format!("arn:aws:s3:::{bucket}/AWSLogs/{account}/CloudTrail/x"),
    };
    let statements = match &doc["Statement"] {
        Value::Array(a) => a.iter().collect::<Vec<_>>(),
        s @ Value::Object(_) => vec![s],
        _ => Vec::new(),
    };
    statements.into_iter().any(|s| {
        let principal = match &s["Principal"] {
            Value::String(p) => p == "*",
            Value::Object(o) => {
                o.get("Service")
                    .is_some_and(|v| strings(v).contains(&"cloudtrail.amazonaws.com"))
                    || o.get("AWS").is_some_and(|v| strings(v).contains(&"*"))
            }
            _ => false,
        };
        let action = strings(&s["Action"])
            .iter()
            .any(|a| glob(&a.to_ascii_lowercase(), "s3:putobject"));
        let resource = strings(&s["Resource"]).iter().any(|r| glob(r, &target));
        s["Effect"] == "Allow" && principal && action && resource
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_cloudtrails_rules() {
        for ok in ["abc", "My-Trail_1.x", "a1b"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "a--b",
            "a-_b",
            "a b",
            "192.168.5.4",
            "tr@il",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(check_name(&"a".repeat(129)).is_err());
    }

    #[test]
    fn the_documented_bucket_policy_is_enough() {
        let p = r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
           "Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::b"},
          {"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
           "Action":"s3:PutObject","Resource":"arn:aws:s3:::b/pre/AWSLogs/123456789012/*",
           "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}"#;
        assert!(policy_allows_delivery(
            Some(p),
            "b",
            Some("pre"),
            "123456789012"
        ));
        assert!(!policy_allows_delivery(Some(p), "b", None, "123456789012"));
        assert!(!policy_allows_delivery(
            Some(p),
            "b",
            Some("pre"),
            "210987654321"
        ));
        assert!(!policy_allows_delivery(None, "b", None, "123456789012"));
        assert!(glob("a*c?e", "abbbcde"));
        assert!(!glob("a*c", "abd"));
    }
}
