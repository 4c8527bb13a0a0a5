//! The AWS JSON 1.0/1.1 protocol (CloudTrail, Organizations, Secrets Manager): the
//! `X-Amz-Target` header, request bodies and response bodies. Errors have their envelope in
//! [`crate::error::json_error`].
//!
//! Requests are `POST /` with one JSON object as the body; an empty body counts as `{}`.
//! Members are PascalCase model names; unknown members are ignored by the typed decoders
//! (serde's default), a wrong type or unparsable JSON is `SerializationException`.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The two protocol versions; they differ only in the content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonVersion {
    V1_0,
    V1_1,
}

impl JsonVersion {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::V1_0 => "application/x-amz-json-1.0",
            Self::V1_1 => "application/x-amz-json-1.1",
        }
    }

    /// The version a request's `Content-Type` names, so the answer can echo it. The header
    /// confirms the protocol but is not required, hence `None` rather than an error.
    pub fn from_content_type(value: &str) -> Option<Self> {
        let media = value.split(';').next().unwrap_or_default().trim();
        if media.eq_ignore_ascii_case("application/x-amz-json-1.0") {
            Some(Self::V1_0)
        } else if media.eq_ignore_ascii_case("application/x-amz-json-1.1") {
            Some(Self::V1_1)
        } else {
            None
        }
    }
}

/// `X-Amz-Target: AWSOrganizationsV20161128.CreateAccount`, split at the last dot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    /// Names the service (`AWSOrganizationsV20161128`,
    /// `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101`, `secretsmanager`).
    pub prefix: &'a str,
    pub operation: &'a str,
}

/// Why a JSON request could not be decoded, or an answer encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    #[error("X-Amz-Target is not of the form Service.Operation")]
    BadTarget,
    #[error("Request body exceeds the maximum of {0} bytes.")]
    TooLarge(usize),
    #[error("Request body nests deeper than {0} levels.")]
    TooDeep(usize),
    #[error("Request body is not valid JSON: {0}")]
    Syntax(String),
    #[error("Request body must be a JSON object.")]
    NotAnObject,
    #[error("{0}")]
    Type(String),
    #[error("response could not be encoded: {0}")]
    Encode(String),
}

impl JsonError {
    /// The framework error code AWS's JSON services answer with.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadTarget => "UnknownOperationException",
            Self::Encode(_) => "InternalFailure",
            _ => "SerializationException",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::Encode(_) => 500,
            _ => 400,
        }
    }
}

/// Parses `X-Amz-Target`. Both halves must be non-empty; the operation is an identifier and
/// the prefix identifiers joined by dots, which every AWS target is.
pub fn parse_target(value: &str) -> Result<Target<'_>, JsonError> {
    let (prefix, operation) = value.trim().rsplit_once('.').ok_or(JsonError::BadTarget)?;
    let ident =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !ident(operation) || !prefix.split('.').all(ident) {
        return Err(JsonError::BadTarget);
    }
    Ok(Target { prefix, operation })
}

/// Bounds on one request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: usize,
    /// Deepest nesting of objects and arrays (the body object is level 1).
    pub max_depth: usize,
}

impl Default for Limits {
    /// Secrets Manager's largest member (a 64 KiB secret) with room to spare; the modeled
    /// shapes of these services nest a handful of levels.
    fn default() -> Self {
        Self {
            max_bytes: 1024 * 1024,
            max_depth: 32,
        }
    }
}

/// Checks size and nesting before parsing, so a hostile body is refused in one linear scan
/// without building anything.
fn check_bounds(body: &[u8], limits: &Limits) -> Result<(), JsonError> {
    if body.len() > limits.max_bytes {
        return Err(JsonError::TooLarge(limits.max_bytes));
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth = depth.saturating_add(1);
                if depth > limits.max_depth {
                    return Err(JsonError::TooDeep(limits.max_depth));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Decodes a request body into its members; empty or blank is `{}`.
pub fn decode_body(body: &[u8], limits: &Limits) -> Result<Map<String, Value>, JsonError> {
    check_bounds(body, limits)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(JsonError::NotAnObject),
        Err(e) => Err(JsonError::Syntax(e.to_string())),
    }
}

/// Decodes a request body into an operation's input type. Unknown members are ignored
/// unless the type says otherwise; a wrong member type is `SerializationException`.
pub fn decode<T: DeserializeOwned>(body: &[u8], limits: &Limits) -> Result<T, JsonError> {
    let members = decode_body(body, limits)?;
    serde_json::from_value(Value::Object(members)).map_err(|e| JsonError::Type(e.to_string()))
}

/// Encodes an operation's output. Absent optional members should be skipped by the type
/// (`#[serde(skip_serializing_if = "Option::is_none")]`), as AWS omits them.
pub fn encode<T: Serialize>(output: &T) -> Result<Vec<u8>, JsonError> {
    serde_json::to_vec(output).map_err(|e| JsonError::Encode(e.to_string()))
}

/// A timestamp member: epoch seconds as a JSON number (botocore sends integers, other SDKs
/// fractions or exponents) or an ISO-8601 string. `None` for anything else or out of range.
pub fn timestamp(value: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    match value {
        Value::Number(n) => {
            if let Some(secs) = n.as_i64() {
                return chrono::DateTime::from_timestamp(secs, 0);
            }
            let f = n.as_f64().filter(|f| f.is_finite())?;
            let millis = (f * 1000.0).round();
            // i64 range in f64 terms; anything beyond it is no date anyway.
            if !(-9.2e18..=9.2e18).contains(&millis) {
                return None;
            }
            #[allow(clippy::cast_possible_truncation)]
            chrono::DateTime::from_timestamp_millis(millis as i64)
        }
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc)),
        _ => None,
    }
}

/// A timestamp for a response: epoch seconds as a JSON number, with milliseconds when there
/// are any.
pub fn epoch_seconds(at: &chrono::DateTime<chrono::Utc>) -> Value {
    let millis = at.timestamp_subsec_millis();
    if millis == 0 {
        Value::from(at.timestamp())
    } else {
        #[allow(clippy::cast_precision_loss)]
        let secs = at.timestamp() as f64 + f64::from(millis) / 1000.0;
        Value::from(secs)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn targets() {
        let t = parse_target("AWSOrganizationsV20161128.CreateAccount").unwrap();
        assert_eq!(
            (t.prefix, t.operation),
            ("AWSOrganizationsV20161128", "CreateAccount")
        );
        let t = parse_target("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents")
            .unwrap();
        assert_eq!(
            (t.prefix, t.operation),
            (
                "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101",
                "LookupEvents"
            )
        );
        for bad in ["", "NoDot", ".Op", "Svc.", "Svc..Op", "a b.Op", "Svc.Op/x"] {
            assert_eq!(parse_target(bad), Err(JsonError::BadTarget), "{bad}");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(
            JsonVersion::from_content_type("application/x-amz-json-1.1; charset=utf-8"),
            Some(JsonVersion::V1_1)
        );
        assert_eq!(
            JsonVersion::from_content_type("Application/X-Amz-Json-1.0"),
            Some(JsonVersion::V1_0)
        );
        assert_eq!(JsonVersion::from_content_type("text/plain"), None);
        assert_eq!(
            JsonVersion::V1_1.content_type(),
            "application/x-amz-json-1.1"
        );
    }

    #[test]
    fn bodies() {
        assert!(decode_body(b"", &Limits::default()).unwrap().is_empty());
        assert!(decode_body(b" \n", &Limits::default()).unwrap().is_empty());
        let m = decode_body(br#"{"MaxResults": 5, "S": "a{[\"b"}"#, &Limits::default()).unwrap();
        assert_eq!(m["MaxResults"], 5);
        assert_eq!(
            decode_body(b"[1]", &Limits::default()),
            Err(JsonError::NotAnObject)
        );
        assert!(matches!(
            decode_body(b"{", &Limits::default()),
            Err(JsonError::Syntax(_))
        ));
        let deep = "[".repeat(40) + &"]".repeat(40);
        let body = format!("{{\"a\":{deep}}}");
        assert_eq!(
            decode_body(body.as_bytes(), &Limits::default()),
            Err(JsonError::TooDeep(32))
        );
        let small = Limits {
            max_bytes: 4,
            max_depth: 2,
        };
        assert_eq!(decode_body(b"{ }  ", &small), Err(JsonError::TooLarge(4)));
        assert_eq!(JsonError::TooLarge(4).code(), "SerializationException");
    }

    #[test]
    fn typed_decoding() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(rename_all = "PascalCase")]
        struct In {
            max_results: Option<u32>,
        }
        let v: In = decode(br#"{"MaxResults": 5, "Unknown": true}"#, &Limits::default()).unwrap();
        assert_eq!(v.max_results, Some(5));
        let e = decode::<In>(br#"{"MaxResults": "5"}"#, &Limits::default()).unwrap_err();
        assert!(matches!(e, JsonError::Type(_)));
        assert_eq!(e.code(), "SerializationException");
    }

    #[test]
    fn timestamps() {
        let t = timestamp(&serde_json::json!(1_763_812_800)).unwrap();
        assert_eq!(t.timestamp(), 1_763_812_800);
        let t = timestamp(&serde_json::json!(1.7638140001E9)).unwrap();
        assert_eq!(t.timestamp_millis(), 1_763_814_000_100);
        assert_eq!(epoch_seconds(&t), serde_json::json!(1_763_814_000.1));
        let t = timestamp(&serde_json::json!("2025-11-01T00:00:00Z")).unwrap();
        assert_eq!(epoch_seconds(&t), serde_json::json!(1_761_955_200));
        assert!(timestamp(&serde_json::json!(1e300)).is_none());
        assert!(timestamp(&serde_json::json!("yesterday")).is_none());
        assert!(timestamp(&serde_json::json!(true)).is_none());
    }
}
