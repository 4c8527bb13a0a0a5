//! `requestParameters` and `responseElements` as AWS records them (spec §3.3): API member
//! names with a lower-case first letter, lists as arrays, numbers as numbers, Java-style
//! dates in IAM/STS responses; secrets dropped and session tokens hidden.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::HIDDEN;

/// Request members never recorded: passwords, MFA codes, federation assertions, private
/// keys, and the signature of a presigned request.
const DROPPED_REQUEST: &[&str] = &[
    "Action",
    "Version",
    "Password",
    "OldPassword",
    "NewPassword",
    "TokenCode",
    "AuthenticationCode1",
    "AuthenticationCode2",
    "SAMLAssertion",
    "WebIdentityToken",
    "PrivateKey",
    "AWSAccessKeyId",
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "Timestamp",
    "SecurityToken",
];

/// Response members never recorded (the model's `sensitive` members).
const DROPPED_RESPONSE: &[&str] = &[
    "secretAccessKey",
    "password",
    "privateKey",
    "base32StringSeed",
    "qRCodePNG",
    "serviceSpecificCredential",
];

/// Request members AWS records as numbers.
const NUMERIC: &[&str] = &[
    "DurationSeconds",
    "MaxItems",
    "MaxSessionDuration",
    "MaxResults",
    "MinimumPasswordLength",
    "MaxPasswordAge",
    "PasswordReusePrevention",
];

/// Largest `requestParameters`/`responseElements` AWS keeps (100 KB); larger ones are
/// replaced by `{"omitted": true}`.
const MAX_ELEMENT_BYTES: usize = 100 * 1024;

/// `UserName` → `userName`.
pub fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => c.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

#[derive(Default)]
struct Node {
    value: Option<String>,
    children: BTreeMap<String, Node>,
}

impl Node {
    fn insert(&mut self, path: &[&str], value: &str) {
        match path.split_first() {
            None => self.value = Some(value.to_owned()),
            Some((first, rest)) => self
                .children
                .entry((*first).to_owned())
                .or_default()
                .insert(rest, value),
        }
    }

    fn to_json(&self, name: &str) -> Value {
        if self.children.is_empty() {
            let v = self.value.clone().unwrap_or_default();
            if NUMERIC.contains(&name)
                && let Ok(n) = v.parse::<i64>()
            {
                return Value::from(n);
            }
            return match v.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => Value::String(v),
            };
        }
        // `Name.member.N…` and `Name.N…` are lists, in index order.
        let list = self
            .children
            .get("member")
            .filter(|_| self.children.len() == 1)
            .unwrap_or(self);
        if !list.children.is_empty() && list.children.keys().all(|k| k.parse::<u32>().is_ok()) {
            let mut items: Vec<(u32, &Node)> = list
                .children
                .iter()
                .filter_map(|(k, n)| k.parse::<u32>().ok().map(|i| (i, n)))
                .collect();
            items.sort_by_key(|(i, _)| *i);
            return Value::Array(items.into_iter().map(|(_, n)| n.to_json(name)).collect());
        }
        // `entry.N.key/value` maps stay as their entries.
        let mut m = Map::new();
        for (k, n) in &self.children {
            if DROPPED_REQUEST.contains(&k.as_str()) {
                continue;
            }
            m.insert(lower_camel(k), n.to_json(k));
        }
        Value::Object(m)
    }
}

/// A Query request's parameters as `requestParameters`; `None` (JSON `null`) when the
/// operation took none.
pub fn query_request<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<Value> {
    let mut root = Node::default();
    for (name, value) in pairs {
        if DROPPED_REQUEST.contains(&name) || name.starts_with("X-Amz-") {
            continue;
        }
        let path: Vec<&str> = name.split('.').collect();
        if path.first().is_some_and(|p| DROPPED_REQUEST.contains(p)) {
            continue;
        }
        root.insert(&path, value);
    }
    if root.children.is_empty() {
        return None;
    }
    bounded(root.to_json(""))
}

/// Which date style a service's `responseElements` use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    /// `Nov 2, 2023 3:26:53 PM`.
    Iam,
    /// `Feb 9, 2026, 9:57:03 PM`.
    Sts,
}

/// An operation's result members (the XML inside `<…Result>`) as `responseElements`.
pub fn query_response(result_xml: &str, style: DateStyle) -> Option<Value> {
    let doc = format!("<r>{result_xml}</r>");
    let root = hourglass_wire::xml::parse(doc.as_bytes()).ok()?;
    if root.children.is_empty() {
        return None;
    }
    bounded(element_json(&root, style))
}

fn element_json(e: &hourglass_wire::xml::Element, style: DateStyle) -> Value {
    if e.children.is_empty() {
        return Value::String(e.text.clone());
    }
    if e.children.iter().all(|c| c.name == "member") {
        return Value::Array(e.children.iter().map(|c| element_json(c, style)).collect());
    }
    let mut m = Map::new();
    for c in &e.children {
        let key = lower_camel(&c.name);
        if DROPPED_RESPONSE.contains(&key.as_str()) {
            continue;
        }
        let v = if key == "sessionToken" {
            Value::String(HIDDEN.into())
        } else if c.children.is_empty() && (key.ends_with("Date") || key == "expiration") {
            match DateTime::parse_from_rfc3339(&c.text) {
                Ok(t) => Value::String(java_date(&t.with_timezone(&Utc), style)),
                Err(_) => Value::String(c.text.clone()),
            }
        } else {
            element_json(c, style)
        };
        m.insert(key, v);
    }
    Value::Object(m)
}

/// AWS's Java-style date text in IAM and STS `responseElements`.
pub fn java_date(t: &DateTime<Utc>, style: DateStyle) -> String {
    match style {
        DateStyle::Iam => t.format("%b %-d, %Y %-I:%M:%S %p").to_string(),
        DateStyle::Sts => t.format("%b %-d, %Y, %-I:%M:%S %p").to_string(),
    }
}

/// Counts what is written to it; measuring a value's JSON text needs no copy of the text.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn bounded(v: Value) -> Option<Value> {
    let mut size = Counter(0);
    // Serializing a `Value` into a writer that cannot fail does not fail.
    let _ = serde_json::to_writer(&mut size, &v);
    if size.0 > MAX_ELEMENT_BYTES {
        let mut m = Map::new();
        m.insert("omitted".into(), Value::Bool(true));
        return Some(Value::Object(m));
    }
    Some(v)
}

/// A JSON-protocol request body as `requestParameters`: member names with a lower-case
/// first letter, values as sent, sensitive members dropped.
pub fn json_request(input: &Map<String, Value>) -> Option<Value> {
    if input.is_empty() {
        return None;
    }
    bounded(json_members(&Value::Object(input.clone())))
}

fn json_members(v: &Value) -> Value {
    const SENSITIVE: &[&str] = &[
        "SecretString",
        "SecretBinary",
        "RandomPassword",
        "RotationToken",
    ];
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !SENSITIVE.contains(&k.as_str()))
                .map(|(k, v)| (lower_camel(k), json_members(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(json_members).collect()),
        other => other.clone(),
    }
}

/// The access key id a request claims (SigV4 header or query, SigV2), whether or not it
/// authenticates: what an `Unknown` identity records.
pub fn claimed_access_key(authorization: Option<&str>, raw_query: &str) -> Option<String> {
    let valid =
        |k: &str| (16..=128).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_alphanumeric());
    if let Some(h) = authorization {
        let key = if let Some(i) = h.find("Credential=") {
            h[i + "Credential=".len()..].split('/').next()
        } else {
            h.strip_prefix("AWS ").and_then(|r| r.split(':').next())
        };
        return key.map(str::trim).filter(|k| valid(k)).map(str::to_owned);
    }
    for pair in raw_query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = match k {
            "X-Amz-Credential" => v.split(['/', '%']).next(),
            "AWSAccessKeyId" => Some(v),
            _ => None,
        };
        if let Some(key) = key.filter(|k| valid(k)) {
            return Some(key.to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn query_parameters_become_lower_camel_members_with_lists() {
        let v = query_request([
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", "arn:aws:iam::123456789012:role/r"),
            ("RoleSessionName", "s"),
            ("DurationSeconds", "900"),
            ("Tags.member.2.Key", "b"),
            ("Tags.member.2.Value", "2"),
            ("Tags.member.1.Key", "a"),
            ("Tags.member.1.Value", "1"),
            ("TokenCode", "123456"),
        ])
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "roleArn": "arn:aws:iam::123456789012:role/r",
                "roleSessionName": "s",
                "durationSeconds": 900,
                "tags": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}],
            })
        );
        assert_eq!(query_request([("Action", "GetCallerIdentity")]), None);
    }

    #[test]
    fn claimed_keys_come_from_every_signature_form() {
        let h = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE123456/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=ab";
        assert_eq!(
            claimed_access_key(Some(h), "").as_deref(),
            Some("AKIAEXAMPLE123456")
        );
        assert_eq!(
            claimed_access_key(None, "X-Amz-Credential=AKIAEXAMPLE123456%2F2026").as_deref(),
            Some("AKIAEXAMPLE123456")
        );
        assert_eq!(
            claimed_access_key(Some("AWS AKIAEXAMPLE123456:sig"), "").as_deref(),
            Some("AKIAEXAMPLE123456")
        );
        assert_eq!(claimed_access_key(Some("Bearer x"), ""), None);
    }

    #[test]
    fn responses_drop_secrets_hide_tokens_and_use_java_dates() {
        let xml = "<Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>sek</SecretAccessKey>\
            <SessionToken>tok</SessionToken><Expiration>2026-02-09T21:57:03Z</Expiration></Credentials>\
            <AssumedRoleUser><AssumedRoleId>AROA1:s</AssumedRoleId><Arn>arn</Arn></AssumedRoleUser>";
        let v = query_response(xml, DateStyle::Sts).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "credentials": {"accessKeyId": "ASIAX", "sessionToken": HIDDEN,
                                "expiration": "Feb 9, 2026, 9:57:03 PM"},
                "assumedRoleUser": {"assumedRoleId": "AROA1:s", "arn": "arn"},
            })
        );
        let s = v.to_string();
        assert!(!s.contains("sek") && !s.contains("tok"));
        let v = query_response(
            "<User><UserName>a</UserName><CreateDate>2023-11-02T15:26:53Z</CreateDate></User>",
            DateStyle::Iam,
        )
        .unwrap();
        assert_eq!(v["user"]["createDate"], "Nov 2, 2023 3:26:53 PM");
        let v = query_response(
            "<Users><member><UserName>a</UserName></member><member><UserName>b</UserName></member></Users>",
            DateStyle::Iam,
        )
        .unwrap();
        assert_eq!(v["users"][1]["userName"], "b");
    }
}
