//! `userIdentity` (spec §3.2).

use serde::Serialize;

/// The record's `userIdentity`; members absent for an identity type are omitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_context: Option<SessionContext>,
    /// LookupEvents' `Username` for this identity (not part of the record).
    #[serde(skip)]
    pub lookup_username: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionContext {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_issuer: Option<SessionIssuer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_id_federation_data: Option<serde_json::Value>,
    pub attributes: SessionAttributes,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionAttributes {
    /// ISO 8601, `Z`.
    pub creation_date: String,
    /// A string, `"true"`/`"false"`, as AWS writes it.
    pub mfa_authenticated: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionIssuer {
    #[serde(rename = "type")]
    pub kind: String,
    pub principal_id: String,
    pub arn: String,
    pub account_id: String,
    pub user_name: String,
}

impl UserIdentity {
    /// A request whose credentials did not authenticate: only the key it claimed.
    pub fn unknown(claimed_access_key_id: Option<String>) -> Self {
        Self {
            kind: "Unknown".into(),
            access_key_id: claimed_access_key_id,
            ..Self::default()
        }
    }

    /// An unsigned request (web identity, SAML, anonymous S3).
    pub fn anonymous() -> Self {
        Self {
            kind: "AWSAccount".into(),
            principal_id: Some(String::new()),
            account_id: Some("anonymous".into()),
            ..Self::default()
        }
    }
}

/// `creationDate`: the time a session's credentials were issued.
pub fn creation_date(issued_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(issued_ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
