//! The audit log's records: one row per CloudTrail event, with the fields LookupEvents
//! filters on kept beside the record text so every lookup is an index range scan.

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEventRow {
    /// The record's `eventID` (a UUID).
    pub event_id: String,
    /// The `recipientAccountId`: the account whose LookupEvents sees the event.
    pub account_id: String,
    /// `eventTime`, Unix milliseconds.
    pub event_time_ms: i64,
    pub event_name: String,
    pub event_source: String,
    pub read_only: bool,
    /// `managementEvent` (false for S3 object-level data events).
    pub management: bool,
    pub access_key_id: Option<String>,
    /// LookupEvents' derived `Username`.
    pub username: Option<String>,
    /// The long-term access key at the root of the credential chain that signed the
    /// request (the key itself for long-term keys, the key a session descends from for
    /// temporary ones): what the leaked-key response searches.
    pub origin_key_id: Option<String>,
    /// LookupEvents' derived `Resources`, `(ResourceType, ResourceName)`.
    pub resources: Vec<(String, String)>,
    /// The CloudTrail record, compact JSON.
    pub record: String,
}

/// The LookupEvents attribute keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAttribute {
    EventId,
    EventName,
    ReadOnly,
    Username,
    ResourceType,
    ResourceName,
    EventSource,
    AccessKeyId,
}

impl AuditAttribute {
    /// The attribute a LookupEvents `AttributeKey` names (case-sensitive, as AWS's).
    pub fn parse(key: &str) -> Option<Self> {
        Some(match key {
            "EventId" => Self::EventId,
            "EventName" => Self::EventName,
            "ReadOnly" => Self::ReadOnly,
            "Username" => Self::Username,
            "ResourceType" => Self::ResourceType,
            "ResourceName" => Self::ResourceName,
            "EventSource" => Self::EventSource,
            "AccessKeyId" => Self::AccessKeyId,
            _ => return None,
        })
    }
}

/// One page of a lookup, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    pub account_id: String,
    pub attribute: Option<(AuditAttribute, String)>,
    /// Inclusive bounds, Unix milliseconds.
    pub start_ms: i64,
    pub end_ms: i64,
    /// Continue after this `(event_time_ms, event_id)` (exclusive, descending order).
    pub after: Option<(i64, String)>,
    pub limit: u32,
    /// Whether data events (S3 object calls) are included.
    pub include_data_events: bool,
}

/// A stored credential report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialReport {
    pub generated_at_ms: i64,
    pub content: String,
}
