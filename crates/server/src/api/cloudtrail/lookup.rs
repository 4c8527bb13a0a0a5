//! LookupEvents (spec `aws-semantics-2.md` §3.7): the caller's account's events, newest
//! first, filtered by one lookup attribute and a time range, in pages of at most 50 with
//! tokens bound to the request's other parameters.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hourglass_store::{AuditAttribute, AuditEventRow, AuditQuery};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::json::{JsonApiError, JsonCtx, JsonResult};

const DEFAULT_MAX_RESULTS: i64 = 50;
/// AWS's event history window, the default when StartTime is absent.
const DEFAULT_WINDOW_DAYS: i64 = 90;
const MAX_ATTRIBUTE_VALUE: usize = 2000;
const MAX_TOKEN_LEN: usize = 1024;

fn err(code: &'static str, message: impl Into<String>) -> JsonApiError {
    JsonApiError::new(400, code, message)
}

fn serialization(member: &str) -> JsonApiError {
    err(
        "SerializationException",
        format!("Unexpected value type for member {member}."),
    )
}

/// A timestamp member: epoch seconds (any JSON number) or an ISO 8601 string, in
/// milliseconds; out-of-range numbers saturate rather than wrap.
fn time_ms(input: &Map<String, Value>, member: &str) -> Result<Option<f64>, JsonApiError> {
    match input.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map(|f| Some(f * 1000.0))
            .ok_or_else(|| serialization(member)),
        Some(Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.timestamp_millis() as f64))
            .map_err(|_| serialization(member)),
        Some(_) => Err(serialization(member)),
    }
}

fn clamp_ms(f: f64) -> i64 {
    // `as` saturates on out-of-range floats, which is the intent here.
    f as i64
}

struct Request {
    attribute: Option<(AuditAttribute, String)>,
    start_ms: i64,
    end_ms: i64,
    max: u32,
    after: Option<(i64, String)>,
    insight: bool,
}

/// Hash of the parameters a token must be reused with.
fn binding(input: &Map<String, Value>) -> String {
    let mut h = Sha256::new();
    for m in ["LookupAttributes", "StartTime", "EndTime", "EventCategory"] {
        h.update(m.as_bytes());
        h.update(input.get(m).map(Value::to_string).unwrap_or_default());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..12])
}

fn encode_token(input: &Map<String, Value>, last: &AuditEventRow) -> String {
    let body = json!({"v": 1, "t": last.event_time_ms, "id": last.event_id, "h": binding(input)});
    URL_SAFE_NO_PAD.encode(body.to_string())
}

fn decode_token(input: &Map<String, Value>, token: &str) -> Result<(i64, String), JsonApiError> {
    let bad = || {
        err(
            "InvalidNextTokenException",
            "Invalid NextToken or the request parameters changed.",
        )
    };
    if token.len() > MAX_TOKEN_LEN {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if v["v"] != 1 || v["h"].as_str() != Some(binding(input).as_str()) {
        return Err(bad());
    }
    match (v["t"].as_i64(), v["id"].as_str()) {
        (Some(t), Some(id)) => Ok((t, id.to_owned())),
        _ => Err(bad()),
    }
}

fn parse(input: &Map<String, Value>, now_ms: i64) -> Result<Request, JsonApiError> {
    let mut attribute = None;
    match input.get("LookupAttributes") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let Value::Object(o) = item else {
                    return Err(serialization("LookupAttributes"));
                };
                let key = match o.get("AttributeKey") {
                    Some(Value::String(s)) => s.as_str(),
                    None | Some(Value::Null) => "",
                    Some(_) => return Err(serialization("AttributeKey")),
                };
                let value = match o.get("AttributeValue") {
                    Some(Value::String(s)) => s.as_str(),
                    None | Some(Value::Null) => "",
                    Some(_) => return Err(serialization("AttributeValue")),
                };
                let parsed = AuditAttribute::parse(key).ok_or_else(|| {
                    err(
                        "InvalidLookupAttributesException",
                        format!("Invalid lookup attribute key: {key}"),
                    )
                })?;
                if value.is_empty() || value.chars().count() > MAX_ATTRIBUTE_VALUE {
                    return Err(err(
                        "InvalidLookupAttributesException",
                        format!(
                            "AttributeValue must be between 1 and {MAX_ATTRIBUTE_VALUE} characters."
                        ),
                    ));
                }
                // AWS honours the first attribute only (spec §3.7).
                if i == 0 {
                    attribute = Some((parsed, value.to_owned()));
                }
            }
        }
        Some(_) => return Err(serialization("LookupAttributes")),
    }
    let start = time_ms(input, "StartTime")?;
    let end = time_ms(input, "EndTime")?;
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Err(err(
            "InvalidTimeRangeException",
            "Start time must not be after end time.",
        ));
    }
    // Records keep whole seconds: an event in second S matches StartTime <= S <= EndTime.
    let start_ms = start.map_or(
        now_ms.saturating_sub(DEFAULT_WINDOW_DAYS * 86_400_000),
        |s| clamp_ms((s / 1000.0).ceil() * 1000.0),
    );
    let end_ms = end.map_or(i64::MAX, |e| {
        clamp_ms((e / 1000.0).floor() * 1000.0).saturating_add(999)
    });
    let max = match input.get("MaxResults") {
        None | Some(Value::Null) => DEFAULT_MAX_RESULTS,
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| serialization("MaxResults"))?,
        Some(_) => return Err(serialization("MaxResults")),
    };
    if !(1..=50).contains(&max) {
        return Err(err(
            "InvalidMaxResultsException",
            "Value for MaxResults must be between 1 and 50.",
        ));
    }
    let insight = match input.get("EventCategory") {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) if s == "insight" => true,
        Some(Value::String(s)) => {
            return Err(err(
                "InvalidEventCategoryException",
                format!("Invalid event category: {s}"),
            ));
        }
        Some(_) => return Err(serialization("EventCategory")),
    };
    let after = match input.get("NextToken") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(decode_token(input, t)?),
        Some(_) => return Err(serialization("NextToken")),
    };
    Ok(Request {
        attribute,
        start_ms,
        end_ms,
        max: u32::try_from(max).unwrap_or(50),
        after,
        insight,
    })
}

fn event(row: &AuditEventRow) -> Value {
    let mut e = Map::new();
    e.insert("EventId".into(), row.event_id.clone().into());
    e.insert("EventName".into(), row.event_name.clone().into());
    e.insert("ReadOnly".into(), row.read_only.to_string().into());
    if let Some(k) = &row.access_key_id {
        e.insert("AccessKeyId".into(), k.clone().into());
    }
    e.insert(
        "EventTime".into(),
        row.event_time_ms.div_euclid(1000).into(),
    );
    e.insert("EventSource".into(), row.event_source.clone().into());
    if let Some(u) = &row.username {
        e.insert("Username".into(), u.clone().into());
    }
    e.insert(
        "Resources".into(),
        Value::Array(
            row.resources
                .iter()
                .map(|(t, n)| json!({"ResourceType": t, "ResourceName": n}))
                .collect(),
        ),
    );
    e.insert("CloudTrailEvent".into(), row.record.clone().into());
    Value::Object(e)
}

/// LookupEvents, authorized by `cloudtrail:LookupEvents` on `*`.
pub async fn lookup_events(ctx: &JsonCtx<'_>) -> JsonResult {
    ctx.authorize("*").await?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let req = parse(ctx.input, now_ms)?;
    if req.insight {
        return Ok(json!({"Events": []}));
    }
    // Read-your-writes: every request answered before this one has its event queued;
    // committing the queue first makes them all visible.
    ctx.state.audit.flush().await;
    let query = AuditQuery {
        account_id: ctx.caller.account_id().to_owned(),
        attribute: req.attribute,
        start_ms: req.start_ms,
        end_ms: req.end_ms,
        after: req.after,
        limit: req.max.saturating_add(1),
        include_data_events: ctx.state.config.audit.lookup_data_events,
    };
    let mut rows = ctx
        .identity
        .store()
        .lookup_audit_events(&query)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "audit lookup failed");
            JsonApiError::internal()
        })?;
    let more = rows.len() > req.max as usize;
    rows.truncate(req.max as usize);
    let mut out = Map::new();
    out.insert(
        "Events".into(),
        Value::Array(rows.iter().map(event).collect()),
    );
    if more && let Some(last) = rows.last() {
        out.insert("NextToken".into(), encode_token(ctx.input, last).into());
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn input(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn validation_errors_are_cloudtrails() {
        let code = |v: Value| parse(&input(v), 0).err().map(|e| e.code.into_owned());
        assert_eq!(
            code(json!({"LookupAttributes": [{"AttributeKey": "Bogus", "AttributeValue": "x"}]})),
            Some("InvalidLookupAttributesException".into())
        );
        assert_eq!(
            code(json!({"StartTime": 10, "EndTime": 5})),
            Some("InvalidTimeRangeException".into())
        );
        assert_eq!(
            code(json!({"MaxResults": 51})),
            Some("InvalidMaxResultsException".into())
        );
        assert_eq!(
            code(json!({"MaxResults": "5"})),
            Some("SerializationException".into())
        );
        assert_eq!(
            code(json!({"EventCategory": "data"})),
            Some("InvalidEventCategoryException".into())
        );
        assert_eq!(
            code(json!({"NextToken": "garbage"})),
            Some("InvalidNextTokenException".into())
        );
        assert_eq!(code(json!({"StartTime": 1e300, "EndTime": 1e301})), None);
    }

    #[test]
    fn only_the_first_attribute_counts_and_times_are_whole_seconds() {
        let r = parse(
            &input(json!({"LookupAttributes": [
                {"AttributeKey": "Username", "AttributeValue": "alice"},
                {"AttributeKey": "EventName", "AttributeValue": "x"}],
                "StartTime": 100.5, "EndTime": 200})),
            0,
        )
        .unwrap();
        assert_eq!(
            r.attribute,
            Some((AuditAttribute::Username, "alice".into()))
        );
        assert_eq!((r.start_ms, r.end_ms), (101_000, 200_999));
    }

    #[test]
    fn tokens_are_bound_to_the_parameters() {
        let a = input(json!({"StartTime": 1}));
        let row = AuditEventRow {
            event_id: "e".into(),
            account_id: "1".into(),
            event_time_ms: 5,
            event_name: "n".into(),
            event_source: "s".into(),
            read_only: true,
            management: true,
            access_key_id: None,
            username: None,
            origin_key_id: None,
            resources: vec![],
            record: "{}".into(),
        };
        let t = encode_token(&a, &row);
        assert_eq!(decode_token(&a, &t).unwrap(), (5, "e".into()));
        assert!(decode_token(&input(json!({"StartTime": 2})), &t).is_err());
    }
}
