//! AssumeRoleWithSAML: verify the response against the named SAML provider's metadata,
//! check the role/provider pair the IdP granted, evaluate the role's trust policy with the
//! `saml:` keys, and issue a role session like AssumeRole's (nothing is written).

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hourglass_policy::AssumeRoleAction;
use hourglass_store::{SamlProvider, StoreError};
use sha1::{Digest, Sha1};

use super::metadata;
use super::response::{self, Claims};
use crate::error::{IamError, IamResult};
use crate::federation::FederationError;
use crate::federation::trust::FederatedRequest;
use crate::sts::{AssumeRoleInput, Credentials, DEFAULT_DURATION, role_session_duration};
use crate::{Identity, validate};

pub const ATTR: &str = "https://aws.amazon.com/SAML/Attributes/";

/// AssumeRoleWithSAML parameters, as received.
#[derive(Debug, Clone, Default)]
pub struct SamlInput {
    pub role_arn: String,
    pub principal_arn: String,
    pub saml_assertion: String,
    pub duration_seconds: Option<String>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
}

/// AssumeRoleWithSAML's answer.
#[derive(Debug, Clone)]
pub struct SamlOutput {
    pub credentials: Credentials,
    pub assumed_role_id: String,
    pub arn: String,
    pub subject: String,
    pub subject_type: String,
    pub issuer: String,
    pub audience: String,
    pub name_qualifier: String,
    pub packed_policy_size: u32,
    pub source_identity: Option<String>,
}

fn not_authorized() -> IamError {
    IamError::access_denied("Not authorized to perform sts:AssumeRoleWithSAML")
}

fn invalid(m: impl Into<String>) -> IamError {
    FederationError::InvalidIdentityToken(m.into()).into()
}

/// AWS's `NameQualifier`: base64(SHA-1(issuer + account id + "/" + provider name)).
pub fn name_qualifier(issuer: &str, account_id: &str, provider_name: &str) -> String {
    let mut h = Sha1::new();
    h.update(issuer.as_bytes());
    h.update(account_id.as_bytes());
    h.update(b"/");
    h.update(provider_name.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

/// SAML attributes AWS maps to `saml:` keys (eduPerson, eduOrg and a few X.500/LDAP
/// attributes), by attribute name (the `urn:oid:` form IdPs send).
const MAPPED_ATTRIBUTES: &[(&str, &str)] = &[
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.1", "edupersonaffiliation"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.2", "edupersonnickname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.3", "edupersonorgdn"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.4", "edupersonorgunitdn"),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.5",
        "edupersonprimaryaffiliation",
    ),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.6", "edupersonprincipalname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.7", "edupersonentitlement"),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.8",
        "edupersonprimaryorgunitdn",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.9",
        "edupersonscopedaffiliation",
    ),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.10", "edupersontargetedid"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.11", "edupersonassurance"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.2", "eduorghomepageuri"),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.2.1.3",
        "eduorgidentityauthnpolicyuri",
    ),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.4", "eduorglegalname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.5", "eduorgsuperioruri"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.6", "eduorgwhitepagesuri"),
    ("urn:oid:2.5.4.3", "cn"),
    ("urn:oid:2.5.4.4", "surname"),
    ("urn:oid:2.5.4.42", "givenName"),
    ("urn:oid:0.9.2342.19200300.100.1.1", "uid"),
    ("urn:oid:0.9.2342.19200300.100.1.3", "mail"),
    ("urn:oid:2.16.840.1.113730.3.1.241", "name"),
];

/// The `saml:` keys of a verified response, as AWS documents them.
fn saml_keys(
    claims: &Claims,
    name_qualifier: &str,
    account_id: &str,
    provider: &SamlProvider,
) -> Vec<(String, Vec<String>)> {
    let mut keys = vec![
        ("saml:aud".to_owned(), vec![claims.recipient.clone()]),
        ("saml:iss".to_owned(), vec![claims.issuer.clone()]),
        ("saml:sub".to_owned(), vec![claims.subject.clone()]),
        (
            "saml:sub_type".to_owned(),
            vec![claims.subject_type.clone()],
        ),
        (
            "saml:namequalifier".to_owned(),
            vec![name_qualifier.to_owned()],
        ),
        (
            "saml:doc".to_owned(),
            vec![format!("{account_id}/{}", provider.name)],
        ),
    ];
    for (oid, key) in MAPPED_ATTRIBUTES {
        let values: Vec<String> = claims.values(oid).into_iter().map(str::to_owned).collect();
        if !values.is_empty() {
            keys.push((format!("saml:{key}"), values));
        }
    }
    keys
}

/// Whether the Role attribute grants `role_arn` through `provider_arn`: each value is
/// `role,provider` or `provider,role`.
fn grants(claims: &Claims, role_arn: &str, provider_arn: &str) -> bool {
    claims.values(&format!("{ATTR}Role")).iter().any(|v| {
        let parts: Vec<&str> = v.split(',').map(str::trim).collect();
        matches!(parts.as_slice(), [a, b]
            if (*a == role_arn && *b == provider_arn) || (*a == provider_arn && *b == role_arn))
    })
}

/// At most one value of a single-valued attribute.
fn single<'c>(claims: &'c Claims, name: &str) -> IamResult<Option<&'c str>> {
    match claims.values(&format!("{ATTR}{name}")).as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(invalid(format!(
            "{name} must have a single value in AuthnResponse"
        ))),
    }
}

fn session_name_ok(s: &str) -> bool {
    (2..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// Session tags (key, value) and transitive tag keys.
type SessionTags = (Vec<(String, String)>, Vec<String>);

/// The session tags (`PrincipalTag:KEY`) and transitive keys of the response.
fn session_tags(claims: &Claims) -> IamResult<SessionTags> {
    let prefix = format!("{ATTR}PrincipalTag:");
    let mut tags = Vec::new();
    for (name, values) in &claims.attributes {
        if let Some(key) = name.strip_prefix(&prefix) {
            match values.as_slice() {
                [v] => tags.push((key.to_owned(), v.clone())),
                _ => {
                    return Err(invalid(format!(
                        "PrincipalTag:{key} must have a single value in AuthnResponse"
                    )));
                }
            }
        }
    }
    let transitive = claims
        .values(&format!("{ATTR}TransitiveTagKeys"))
        .into_iter()
        .map(str::to_owned)
        .collect();
    Ok((tags, transitive))
}

impl Identity {
    /// AssumeRoleWithSAML. Needs no caller: the signed assertion is the credential.
    pub async fn assume_role_with_saml(&self, input: SamlInput) -> IamResult<SamlOutput> {
        let as_assume_role = AssumeRoleInput {
            role_arn: input.role_arn.clone(),
            // Checked below, from the assertion.
            role_session_name: "saml".into(),
            duration_seconds: input.duration_seconds.clone(),
            policy: input.policy.clone(),
            policy_arns: input.policy_arns.clone(),
            ..Default::default()
        };
        crate::sts::validate_assume_role_input(&as_assume_role)?;
        validate::arn(&input.principal_arn, "PrincipalArn")?;
        validate::length(&input.saml_assertion, "SAMLAssertion", 4, 100_000)?;

        // The provider and its metadata; then the response, verified against it.
        let provider = match self
            .store
            .get_saml_provider(&self.account_id, &input.principal_arn)
            .await
        {
            Ok(p) => p,
            Err(StoreError::NotFound { .. }) => {
                return Err(invalid(format!(
                    "SAML provider {} does not exist in this account",
                    input.principal_arn
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let metadata = metadata::parse(&provider.metadata).map_err(|why| {
            IamError::Internal(format!(
                "stored metadata of {} does not parse: {why}",
                provider.arn
            ))
        })?;
        let now = self.clock.now();
        let claims = response::read(&input.saml_assertion, &metadata, now)?;

        if !grants(&claims, &input.role_arn, &provider.arn) {
            tracing::info!(provider = %provider.arn, role = %input.role_arn, "SAML response does not grant the role");
            return Err(not_authorized());
        }
        let session_name = single(&claims, "RoleSessionName")?
            .ok_or_else(|| invalid("RoleSessionName is required in AuthnResponse"))?
            .to_owned();
        if !session_name_ok(&session_name) {
            return Err(invalid(
                "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
            ));
        }
        let session_duration = match single(&claims, "SessionDuration")? {
            Some(v) => Some(
                v.parse::<i64>()
                    .ok()
                    .filter(|d| (900..=43200).contains(d))
                    .ok_or_else(|| {
                        invalid("SessionDuration in AuthnResponse must be an integer between 900 and 43200")
                    })?,
            ),
            None => None,
        };
        let source_identity = single(&claims, "SourceIdentity")?.map(str::to_owned);
        if let Some(si) = &source_identity
            && (!session_name_ok(si) || si.to_ascii_lowercase().starts_with("aws:"))
        {
            return Err(invalid(
                "Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"",
            ));
        }
        let (tags, transitive_keys) = session_tags(&claims)?;
        let with_tags = AssumeRoleInput {
            role_session_name: session_name.clone(),
            tags: tags.clone(),
            transitive_tag_keys: transitive_keys.clone(),
            ..as_assume_role.clone()
        };
        crate::sts::validate_assume_role_input(&with_tags)
            .map_err(|e| invalid(format!("Invalid session tags in AuthnResponse: {e}")))?;

        // The role and its trust policy.
        let role = self
            .role_for_arn(&input.role_arn)
            .await?
            .ok_or_else(not_authorized)?;
        let qualifier = name_qualifier(&claims.issuer, &self.account_id, &provider.name);
        let federated_keys = saml_keys(&claims, &qualifier, &self.account_id, &provider);
        let request = FederatedRequest {
            action: AssumeRoleAction::AssumeRoleWithSaml,
            action_name: "sts:AssumeRoleWithSAML",
            not_authorized,
            provider_arn: &provider.arn,
            saml: true,
            role: &role,
            role_arn_input: &input.role_arn,
            session_name: &session_name,
            source_identity: source_identity.as_deref(),
            tags: &tags,
            transitive_keys: &transitive_keys,
            policy: input.policy.as_deref(),
            policy_arns: &input.policy_arns,
            now,
        };
        self.authorize_federated(federated_keys.clone(), &request)
            .inspect_err(|_| {
                tracing::info!(provider = %provider.arn, subject = %claims.subject, role = %role.arn, "SAML denied by trust policy");
            })?;

        let requested = match input.duration_seconds.as_deref() {
            None => session_duration
                .unwrap_or(DEFAULT_DURATION)
                .min(i64::from(role.max_session_duration)),
            given => role_session_duration(given, &role)?,
        };
        let expires = effective_expiry(now, requested, claims.session_not_on_or_after)?;
        let (credentials, assumed, packed) = self
            .issue_federated_session(&request, federated_keys, requested, Some(expires))
            .await?;
        tracing::info!(
            provider = %provider.arn,
            subject = %claims.subject,
            session = %assumed.arn,
            access_key_id = %credentials.access_key_id,
            "assumed role with SAML"
        );
        Ok(SamlOutput {
            credentials,
            assumed_role_id: assumed.assumed_role_id,
            arn: assumed.arn,
            subject: claims.subject,
            subject_type: claims.subject_type,
            issuer: claims.issuer,
            audience: claims.recipient,
            name_qualifier: qualifier,
            packed_policy_size: u32::try_from(packed).unwrap_or(u32::MAX),
            source_identity,
        })
    }
}

/// The session ends after `seconds`, or at the response's `SessionNotOnOrAfter` if that
/// comes first (AWS: "whichever is shorter").
fn effective_expiry(
    now: DateTime<Utc>,
    seconds: i64,
    session_not_on_or_after: Option<DateTime<Utc>>,
) -> IamResult<DateTime<Utc>> {
    let wanted = now + Duration::seconds(seconds);
    match session_not_on_or_after {
        Some(limit) if limit <= now => Err(FederationError::ExpiredToken(
            "Response is expired: SessionNotOnOrAfter has passed".into(),
        )
        .into()),
        Some(limit) => Ok(wanted.min(limit)),
        None => Ok(wanted),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn claims(attrs: &[(&str, &[&str])]) -> Claims {
        Claims {
            issuer: "https://idp.example.com".into(),
            subject: "alice".into(),
            subject_type: "persistent".into(),
            recipient: "https://signin.aws.amazon.com/saml".into(),
            session_not_on_or_after: None,
            attributes: attrs
                .iter()
                .map(|(n, v)| (n.to_string(), v.iter().map(|s| s.to_string()).collect()))
                .collect(),
        }
    }

    #[test]
    fn role_pairs_either_order() {
        let role = "arn:aws:iam::123456789012:role/r";
        let idp = "arn:aws:iam::123456789012:saml-provider/p";
        let c = claims(&[(
            "https://aws.amazon.com/SAML/Attributes/Role",
            &[
                "arn:aws:iam::123456789012:role/other,arn:aws:iam::123456789012:saml-provider/p",
                "arn:aws:iam::123456789012:saml-provider/p, arn:aws:iam::123456789012:role/r",
            ],
        )]);
        assert!(grants(&c, role, idp));
        assert!(!grants(&c, "arn:aws:iam::123456789012:role/x", idp));
        assert!(!grants(
            &c,
            role,
            "arn:aws:iam::123456789012:saml-provider/q"
        ));
        assert!(!grants(&claims(&[]), role, idp));
    }

    #[test]
    fn name_qualifier_is_base64_sha1() {
        let q = name_qualifier("https://idp.example.com", "123456789012", "p");
        assert_eq!(q.len(), 28);
        assert_eq!(
            q,
            name_qualifier("https://idp.example.com", "123456789012", "p")
        );
        assert_ne!(
            q,
            name_qualifier("https://idp.example.com", "123456789012", "q")
        );
    }

    #[test]
    fn mapped_keys_and_tags() {
        let c = claims(&[
            ("urn:oid:1.3.6.1.4.1.5923.1.1.1.3", &["o=Example"]),
            (
                "https://aws.amazon.com/SAML/Attributes/PrincipalTag:Team",
                &["blue"],
            ),
            (
                "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys",
                &["Team"],
            ),
        ]);
        let p = SamlProvider {
            account_id: "123456789012".into(),
            arn: "arn:aws:iam::123456789012:saml-provider/p".into(),
            name: "p".into(),
            uuid: "u".into(),
            metadata: String::new(),
            create_date: Utc::now(),
            valid_until: Utc::now(),
            tags: vec![],
        };
        let keys = saml_keys(&c, "q", "123456789012", &p);
        let get = |k: &str| keys.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(get("saml:edupersonorgdn").unwrap(), vec!["o=Example"]);
        assert_eq!(get("saml:doc").unwrap(), vec!["123456789012/p"]);
        assert_eq!(
            get("saml:aud").unwrap(),
            vec!["https://signin.aws.amazon.com/saml"]
        );
        assert_eq!(get("saml:sub_type").unwrap(), vec!["persistent"]);
        let (tags, transitive) = session_tags(&c).unwrap();
        assert_eq!(tags, vec![("Team".to_owned(), "blue".to_owned())]);
        assert_eq!(transitive, vec!["Team"]);
    }

    #[test]
    fn session_not_on_or_after_shortens() {
        let now = Utc::now();
        let soon = now + Duration::seconds(600);
        assert_eq!(effective_expiry(now, 3600, Some(soon)).unwrap(), soon);
        assert_eq!(
            effective_expiry(now, 900, None).unwrap(),
            now + Duration::seconds(900)
        );
        assert!(effective_expiry(now, 900, Some(now - Duration::seconds(1))).is_err());
    }
}
