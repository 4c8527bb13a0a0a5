//! The POST policy of browser uploads: the base64 JSON document a form carries, its
//! expiration and conditions (`eq`, `starts-with`, `content-length-range`, and the
//! `{"field": "value"}` short form), checked against the form's fields as AWS does.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::errors::{S3Error, S3Result};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Cond {
    Eq(String, String),
    StartsWith(String, String),
    Range(u64, u64),
}

#[derive(Debug, Clone)]
pub struct Policy {
    expiration: DateTime<Utc>,
    conditions: Vec<Cond>,
    /// The conditions as the client wrote them, for error messages.
    raw: Vec<String>,
}

fn invalid(detail: &str) -> S3Error {
    S3Error::new(
        400,
        "InvalidPolicyDocument",
        format!("Invalid Policy: {detail}"),
    )
}

fn denied(detail: &str) -> S3Error {
    S3Error::new(
        403,
        "AccessDenied",
        format!("Invalid according to Policy: {detail}"),
    )
}

/// `$key` → `key`; field names compare case-insensitively.
fn field_name(v: &Value) -> S3Result<String> {
    let s = v
        .as_str()
        .ok_or_else(|| invalid("Invalid Condition: field name must be a string."))?;
    let name = s.strip_prefix('$').unwrap_or(s);
    Ok(name.to_ascii_lowercase())
}

fn text(v: &Value) -> S3Result<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(invalid("Invalid Condition: value must be a string.")),
    }
}

fn bound(v: &Value) -> S3Result<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| invalid("Invalid content-length-range: bounds must be non-negative integers."))
}

/// Decodes and validates the `policy` form field.
pub fn parse(b64: &str) -> S3Result<Policy> {
    let bytes = B64
        .decode(b64.trim().as_bytes())
        .map_err(|_| invalid("Invalid base64 encoding."))?;
    let doc: Value = serde_json::from_slice(&bytes).map_err(|_| invalid("Invalid JSON."))?;
    let exp = doc
        .get("expiration")
        .ok_or_else(|| invalid("Policy missing expiration."))?
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .ok_or_else(|| invalid("Invalid 'expiration' value: must be an ISO 8601 date and time."))?
        .with_timezone(&Utc);
    let list = doc
        .get("conditions")
        .ok_or_else(|| invalid("Policy missing conditions."))?
        .as_array()
        .ok_or_else(|| invalid("Invalid 'conditions' value: must be a list."))?;
    let mut conditions = Vec::new();
    let mut raw = Vec::new();
    for c in list {
        let cond = match c {
            Value::Object(m) => {
                let mut it = m.iter();
                match (it.next(), it.next()) {
                    (Some((k, v)), None) => Cond::Eq(
                        k.strip_prefix('$').unwrap_or(k).to_ascii_lowercase(),
                        text(v)?,
                    ),
                    _ => {
                        return Err(invalid(
                            "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.",
                        ));
                    }
                }
            }
            Value::Array(a) => {
                let op = a
                    .first()
                    .and_then(Value::as_str)
                    .map(str::to_ascii_lowercase);
                match (op.as_deref(), a.len()) {
                    (Some("eq"), 3) => Cond::Eq(field_name(&a[1])?, text(&a[2])?),
                    (Some("starts-with"), 3) => Cond::StartsWith(field_name(&a[1])?, text(&a[2])?),
                    (Some("content-length-range"), 3) => {
                        let (lo, hi) = (bound(&a[1])?, bound(&a[2])?);
                        if lo > hi {
                            return Err(invalid(
                                "Invalid content-length-range: the minimum exceeds the maximum.",
                            ));
                        }
                        Cond::Range(lo, hi)
                    }
                    (Some("eq" | "starts-with" | "content-length-range"), _) => {
                        return Err(invalid(&format!(
                            "Invalid Condition: wrong number of arguments: {c}"
                        )));
                    }
                    _ => {
                        return Err(invalid(&format!(
                            "Invalid Condition: unknown operation: {c}"
                        )));
                    }
                }
            }
            _ => return Err(invalid("Invalid Condition: must be an object or a list.")),
        };
        conditions.push(cond);
        raw.push(c.to_string());
    }
    Ok(Policy {
        expiration: exp,
        conditions,
        raw,
    })
}

/// Form fields that never need a condition (AWS).
fn exempt(name: &str) -> bool {
    matches!(
        name,
        "x-amz-signature" | "signature" | "file" | "policy" | "awsaccesskeyid"
    ) || name.starts_with("x-ignore-")
}

impl Policy {
    /// Checks expiration and every condition against the form `fields` (lower-case names)
    /// and the target bucket; each field must be covered by some condition.
    pub fn check(
        &self,
        fields: &BTreeMap<String, String>,
        bucket: &str,
        now: DateTime<Utc>,
    ) -> S3Result<()> {
        if now >= self.expiration {
            return Err(denied("Policy expired."));
        }
        let value = |name: &str| -> Option<&str> {
            if name == "bucket" {
                Some(bucket)
            } else {
                fields.get(name).map(String::as_str)
            }
        };
        for (cond, raw) in self.conditions.iter().zip(&self.raw) {
            let ok = match cond {
                Cond::Eq(name, want) => value(name) == Some(want.as_str()),
                Cond::StartsWith(name, prefix) => match value(name) {
                    // Content-Type may list several types; each must match.
                    Some(v) if name == "content-type" => {
                        v.split(',').all(|t| t.trim().starts_with(prefix.as_str()))
                    }
                    Some(v) => v.starts_with(prefix.as_str()),
                    None => false,
                },
                Cond::Range(..) => true,
            };
            if !ok {
                return Err(denied(&format!("Policy Condition failed: {raw}")));
            }
        }
        let covered = |name: &str| {
            self.conditions.iter().any(|c| match c {
                Cond::Eq(n, _) | Cond::StartsWith(n, _) => n == name,
                Cond::Range(..) => false,
            })
        };
        let extra: Vec<&str> = fields
            .keys()
            .map(String::as_str)
            .filter(|n| !exempt(n) && !covered(n))
            .collect();
        if !extra.is_empty() {
            return Err(denied(&format!("Extra input fields: {}", extra.join(", "))));
        }
        Ok(())
    }

    /// The allowed size range of the file, when the policy sets one (the tightest).
    pub fn length_range(&self) -> Option<(u64, u64)> {
        self.conditions.iter().fold(None, |acc, c| match (c, acc) {
            (Cond::Range(lo, hi), None) => Some((*lo, *hi)),
            (Cond::Range(lo, hi), Some((a, b))) => Some((a.max(*lo), b.min(*hi))),
            (_, acc) => acc,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn enc(doc: &str) -> String {
        B64.encode(doc)
    }

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn conditions_and_extra_fields() {
        let p = parse(&enc(
            r#"{"expiration":"2100-01-01T00:00:00Z","conditions":[{"bucket":"b"},["starts-with","$key","up/"],["eq","$Content-Type","image/png"],["content-length-range",1,10],{"x-amz-date":"d"}]}"#,
        ))
        .unwrap();
        let now = Utc::now();
        let ok = fields(&[
            ("key", "up/${filename}"),
            ("content-type", "image/png"),
            ("x-amz-date", "d"),
            ("policy", "…"),
            ("x-amz-signature", "…"),
            ("x-ignore-me", "1"),
        ]);
        p.check(&ok, "b", now).unwrap();
        assert_eq!(p.length_range(), Some((1, 10)));
        assert_eq!(p.check(&ok, "other", now).unwrap_err().code, "AccessDenied");
        let mut bad = ok.clone();
        bad.insert("key".into(), "down/x".into());
        assert!(
            p.check(&bad, "b", now)
                .unwrap_err()
                .message
                .contains("starts-with")
        );
        let mut extra = ok.clone();
        extra.insert("acl".into(), "public-read".into());
        assert!(
            p.check(&extra, "b", now)
                .unwrap_err()
                .message
                .contains("Extra input fields: acl")
        );
        let expired = parse(&enc(
            r#"{"expiration":"2000-01-01T00:00:00Z","conditions":[]}"#,
        ))
        .unwrap();
        assert!(
            expired
                .check(&BTreeMap::new(), "b", now)
                .unwrap_err()
                .message
                .contains("expired")
        );
    }

    #[test]
    fn malformed_policies() {
        for doc in [
            "not base64!",
            &enc("{"),
            &enc(r#"{"conditions":[]}"#),
            &enc(r#"{"expiration":"soon","conditions":[]}"#),
            &enc(r#"{"expiration":"2100-01-01T00:00:00Z"}"#),
            &enc(r#"{"expiration":"2100-01-01T00:00:00Z","conditions":[["gt","$key","a"]]}"#),
            &enc(r#"{"expiration":"2100-01-01T00:00:00Z","conditions":[{"a":"1","b":"2"}]}"#),
            &enc(
                r#"{"expiration":"2100-01-01T00:00:00Z","conditions":[["content-length-range",5,1]]}"#,
            ),
            &enc(
                r#"{"expiration":"2100-01-01T00:00:00Z","conditions":[["content-length-range",-1,1]]}"#,
            ),
        ] {
            assert_eq!(
                parse(doc).unwrap_err().code,
                "InvalidPolicyDocument",
                "{doc}"
            );
        }
    }

    #[test]
    fn starts_with_empty_prefix_and_content_type_lists() {
        let p = parse(&enc(
            r#"{"expiration":"2100-01-01T00:00:00Z","conditions":[["starts-with","$key",""],["starts-with","$Content-Type","image/"]]}"#,
        ))
        .unwrap();
        let now = Utc::now();
        p.check(
            &fields(&[("key", "x"), ("content-type", "image/png, image/gif")]),
            "b",
            now,
        )
        .unwrap();
        assert!(
            p.check(
                &fields(&[("key", "x"), ("content-type", "image/png,text/html")]),
                "b",
                now
            )
            .is_err()
        );
    }
}
