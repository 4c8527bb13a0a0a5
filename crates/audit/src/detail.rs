//! What a protocol front reports about one request for its audit event.

use serde::Serialize;
use serde_json::Value;

use crate::identity::UserIdentity;

/// The front's part of the record; the pipeline adds time, source address, user agent and
/// the outcome. Nothing here may hold a secret: fronts redact through [`crate::params`].
#[derive(Debug, Clone, Default)]
pub struct EventDetail {
    /// The authenticated caller; `None` for unsigned or unauthenticated requests.
    pub user_identity: Option<UserIdentity>,
    /// The access key id an unauthenticated request claimed.
    pub claimed_access_key_id: Option<String>,
    /// The long-term key the credentials descend from (see
    /// `hourglass_store::AuditEventRow::origin_key_id`).
    pub origin_key_id: Option<String>,
    /// The region the request was signed for.
    pub region: Option<String>,
    pub request_parameters: Option<Value>,
    pub response_elements: Option<Value>,
    /// S3: the bucket and key the request addressed.
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// The error message of a failed request.
    pub error_message: Option<String>,
    /// S3's `additionalEventData`.
    pub additional_event_data: Option<Value>,
}

/// One entry of the record's `resources`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordResource {
    #[serde(rename = "accountId", skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(rename = "ARNPrefix", skip_serializing_if = "Option::is_none")]
    pub arn_prefix: Option<String>,
}
