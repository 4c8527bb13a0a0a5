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
    /// `SAMLUser`/`WebIdentityUser`: the identity provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_provider: Option<String>,
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

impl UserIdentity {
    /// The caller of a successful AssumeRoleWithSAML, as CloudTrail records it: the
    /// principal id is `NameQualifier:Subject`, the user name the subject, the identity
    /// provider the name qualifier (`responseElements` of the call carry both).
    pub fn saml_user(response_elements: &serde_json::Value) -> Option<Self> {
        let subject = response_elements.get("subject")?.as_str()?;
        let qualifier = response_elements.get("nameQualifier")?.as_str()?;
        Some(Self {
            kind: "SAMLUser".into(),
            principal_id: Some(format!("{qualifier}:{subject}")),
            user_name: Some(subject.to_owned()),
            identity_provider: Some(qualifier.to_owned()),
            lookup_username: Some(subject.to_owned()),
            ..Self::default()
        })
    }
}

/// `creationDate`: the time a session's credentials were issued.
pub fn creation_date(issued_ms: i64) -> String {
    hourglass_wire::xml::iso8601(
        &chrono::DateTime::from_timestamp_millis(issued_ms).unwrap_or_default(),
    )
}

#[cfg(test)]
mod saml_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn saml_user_from_response_elements() {
        let r = serde_json::json!({"subject": "alice", "nameQualifier": "Q0=", "issuer": "x"});
        let id = UserIdentity::saml_user(&r).unwrap();
        let v = serde_json::to_value(&id).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "type": "SAMLUser",
                "principalId": "Q0=:alice",
                "userName": "alice",
                "identityProvider": "Q0="
            })
        );
        assert!(UserIdentity::saml_user(&serde_json::json!({"subject": "a"})).is_none());
    }
}
