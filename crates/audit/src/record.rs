//! Building one CloudTrail record (spec §3.1) and its LookupEvents index fields.

use chrono::{DateTime, Utc};
use hourglass_store::AuditEventRow;
use serde::Serialize;
use serde_json::Value;

use crate::detail::EventDetail;
use crate::identity::UserIdentity;
use crate::rules;

/// The record's `eventVersion`: the newest whose fields Hourglass fills.
pub const EVENT_VERSION: &str = "1.08";

/// Longest `userAgent`/`errorMessage` kept (AWS truncates at 1 KB).
const MAX_TEXT: usize = 1024;

/// What the pipeline knows about a request besides the front's [`EventDetail`].
#[derive(Debug, Clone)]
pub struct RequestMeta<'a> {
    pub request_id: &'a str,
    /// `iam`, `sts`, `s3`, `cloudtrail`, …
    pub service: &'a str,
    pub operation: &'a str,
    pub error_code: Option<&'a str>,
    pub time: DateTime<Utc>,
    pub source_ip: String,
    pub user_agent: Option<&'a str>,
    /// The `Host` header of a request that arrived over TLS (`tlsDetails`).
    pub tls_host: Option<&'a str>,
    /// The server's account: the recipient of events without an authenticated caller.
    pub default_account_id: &'a str,
}

fn truncate(s: &str) -> String {
    if s.len() <= MAX_TEXT {
        return s.to_owned();
    }
    let mut end = MAX_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// One CloudTrail record, in the order AWS writes its members.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a, R: Serialize> {
    event_version: &'static str,
    user_identity: &'a UserIdentity,
    event_time: String,
    event_source: &'a str,
    event_name: &'a str,
    aws_region: &'a str,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<String>,
    request_parameters: Option<&'a Value>,
    response_elements: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    additional_event_data: Option<&'a Value>,
    #[serde(rename = "requestID")]
    request_id: &'a str,
    #[serde(rename = "eventID")]
    event_id: &'a str,
    read_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    resources: Option<&'a R>,
    event_type: &'static str,
    management_event: bool,
    recipient_account_id: &'a str,
    event_category: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_details: Option<TlsDetails<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TlsDetails<'a> {
    client_provided_host_header: &'a str,
}

/// The record and its index row.
pub fn build(meta: &RequestMeta<'_>, detail: &EventDetail) -> AuditEventRow {
    let service = meta.service;
    let name = rules::event_name(service, meta.operation);
    let identity = detail.user_identity.clone().unwrap_or_else(|| {
        if detail.claimed_access_key_id.is_some() || meta.error_code.is_some() {
            UserIdentity::unknown(detail.claimed_access_key_id.clone())
        } else {
            UserIdentity::anonymous()
        }
    });
    let account_id = identity
        .account_id
        .clone()
        .filter(|a| a.len() == 12)
        .unwrap_or_else(|| meta.default_account_id.to_owned());
    let read_only = rules::read_only(service, &name);
    let management = rules::management(service, &name);
    let failed = meta.error_code.is_some();
    let response = if failed || !rules::records_response(service, &name) {
        None
    } else {
        detail.response_elements.as_ref()
    };
    let region = match service {
        "iam" | "organizations" => "us-east-1".to_owned(),
        _ => detail
            .region
            .clone()
            .unwrap_or_else(|| "us-east-1".to_owned()),
    };
    let user_agent = meta.user_agent.map(|ua| {
        let ua = truncate(ua);
        if service == "s3" {
            format!("[{ua}]")
        } else {
            ua
        }
    });
    // Time-ordered (version 7), still a UUID as CloudTrail's: the primary-key index then
    // grows at its end instead of dirtying a random page per event.
    let event_id = uuid::Uuid::now_v7().to_string();
    let resources = rules::record_resources(
        service,
        &name,
        &account_id,
        detail.request_parameters.as_ref(),
        detail.bucket.as_deref(),
        detail.key.as_deref(),
    );
    let lookup_resources = rules::lookup_resources(
        service,
        &name,
        detail.request_parameters.as_ref(),
        response,
        detail.bucket.as_deref(),
        detail.key.as_deref(),
    );

    let event_source = rules::event_source(service);
    let record = Record {
        event_version: EVENT_VERSION,
        user_identity: &identity,
        event_time: hourglass_wire::xml::iso8601(&meta.time),
        event_source: &event_source,
        event_name: &name,
        aws_region: &region,
        source_ip_address: &meta.source_ip,
        user_agent: user_agent.as_deref(),
        error_code: meta.error_code,
        error_message: meta
            .error_code
            .and(detail.error_message.as_deref())
            .map(truncate),
        request_parameters: detail.request_parameters.as_ref(),
        response_elements: response,
        additional_event_data: detail.additional_event_data.as_ref(),
        request_id: meta.request_id,
        event_id: &event_id,
        read_only,
        resources: (!resources.is_empty()).then_some(&resources),
        event_type: "AwsApiCall",
        management_event: management,
        recipient_account_id: &account_id,
        event_category: if management { "Management" } else { "Data" },
        tls_details: meta.tls_host.map(|host| TlsDetails {
            client_provided_host_header: host,
        }),
    };
    // Serializing borrowed, typed fields skips building a `Value` tree per request; a
    // failure is impossible for these types, and an empty record still marks the event.
    let record = serde_json::to_string(&record).unwrap_or_else(|_| "{}".to_owned());
    AuditEventRow {
        event_id,
        account_id,
        event_time_ms: meta.time.timestamp_millis(),
        event_name: name,
        event_source,
        read_only,
        management,
        access_key_id: identity.access_key_id.clone().filter(|_| {
            // A key that failed to authenticate is not attributed to its owner.
            detail.user_identity.is_some()
        }),
        username: identity.lookup_username.clone(),
        origin_key_id: detail.origin_key_id.clone(),
        resources: lookup_resources,
        record,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn meta<'a>(service: &'a str, op: &'a str, err: Option<&'a str>) -> RequestMeta<'a> {
        RequestMeta {
            request_id: "rid",
            service,
            operation: op,
            error_code: err,
            time: DateTime::from_timestamp(1_795_350_602, 0).unwrap(),
            source_ip: "127.0.0.1".into(),
            user_agent: Some("aws-cli/2"),
            tls_host: None,
            default_account_id: "123456789012",
        }
    }

    #[test]
    fn a_denied_call_keeps_its_code_and_has_no_response() {
        let detail = EventDetail {
            user_identity: Some(UserIdentity {
                kind: "IAMUser".into(),
                account_id: Some("123456789012".into()),
                access_key_id: Some("AKIA1".into()),
                lookup_username: Some("alice".into()),
                ..UserIdentity::default()
            }),
            response_elements: Some(serde_json::json!({"x": 1})),
            error_message: Some("denied".into()),
            ..EventDetail::default()
        };
        let row = build(&meta("iam", "CreateUser", Some("AccessDenied")), &detail);
        let v: Value = serde_json::from_str(&row.record).unwrap();
        assert_eq!(v["errorCode"], "AccessDenied");
        assert_eq!(v["errorMessage"], "denied");
        assert_eq!(v["responseElements"], Value::Null);
        assert_eq!(v["readOnly"], false);
        assert_eq!(v["eventTime"], "2026-11-22T12:30:02Z");
        assert_eq!(row.username.as_deref(), Some("alice"));
        assert_eq!(row.access_key_id.as_deref(), Some("AKIA1"));
    }

    #[test]
    fn unauthenticated_requests_are_unknown_and_not_attributed() {
        let detail = EventDetail {
            claimed_access_key_id: Some("AKIAX".into()),
            ..EventDetail::default()
        };
        let row = build(
            &meta("s3", "GetObject", Some("InvalidAccessKeyId")),
            &detail,
        );
        let v: Value = serde_json::from_str(&row.record).unwrap();
        assert_eq!(v["userIdentity"]["type"], "Unknown");
        assert_eq!(v["userIdentity"]["accessKeyId"], "AKIAX");
        assert_eq!(v["userAgent"], "[aws-cli/2]");
        assert_eq!(v["managementEvent"], false);
        assert_eq!(row.access_key_id, None);
        assert_eq!(row.account_id, "123456789012");
    }
}
