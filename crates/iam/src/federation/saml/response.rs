//! Reading a base64 `samlp:Response`: signature first (see [`super::verify`]), then the
//! claims of its one assertion, each check AWS's (IAM user guide, "Configure SAML
//! assertions for the authentication response").

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use uppsala::{Document, NodeId};

use super::metadata::{self, Metadata, children, text};
use super::verify::{self, SIGNATURE_INVALID};
use crate::federation::FederationError;

pub const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const NAMEID_PREFIX: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:";
/// Clock skew allowed on every time bound (AWS documents none; 5 minutes as for OIDC).
pub const SKEW_SECONDS: i64 = 300;

/// What an assertion that passed every check says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub issuer: String,
    /// `NameID`'s text.
    pub subject: String,
    /// `NameID@Format` without `urn:oasis:names:tc:SAML:2.0:nameid-format:` (so
    /// `persistent`, `transient`, or the full URI of other formats).
    pub subject_type: String,
    /// `SubjectConfirmationData@Recipient`: the `saml:aud` key and the `Audience` answer.
    pub recipient: String,
    /// `AuthnStatement@SessionNotOnOrAfter`, if any.
    pub session_not_on_or_after: Option<DateTime<Utc>>,
    /// Attributes in document order: name and values.
    pub attributes: Vec<(String, Vec<String>)>,
}

impl Claims {
    /// The values of the attribute named `name` (all statements merged).
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.attributes
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.iter().map(String::as_str))
            .collect()
    }
}

fn invalid(m: impl Into<String>) -> FederationError {
    FederationError::InvalidIdentityToken(m.into())
}

/// Whether `url` is one of AWS's SAML sign-in endpoints (the global one, a regional one,
/// `/static/saml`, the partition endpoints, and the `/saml/acs/ID` form).
pub fn is_aws_endpoint(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host_ok = match host.strip_suffix(".signin.aws.amazon.com") {
        Some(region) => {
            !region.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        }
        None => matches!(
            host,
            "signin.aws.amazon.com" | "signin.amazonaws-us-gov.com" | "signin.amazonaws.cn"
        ),
    };
    let path_ok = path == "saml"
        || path == "static/saml"
        || path.strip_prefix("saml/acs/").is_some_and(|id| {
            !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    host_ok && path_ok
}

/// Audiences AWS accepts: its endpoints and `urn:amazon:webservices`.
fn is_aws_audience(aud: &str) -> bool {
    aud == "urn:amazon:webservices" || is_aws_endpoint(aud)
}

fn time(value: Option<&str>, what: &str) -> Result<Option<DateTime<Utc>>, FederationError> {
    value
        .map(|v| {
            DateTime::parse_from_rfc3339(v.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| invalid(format!("Invalid {what} in the SAML response")))
        })
        .transpose()
}

fn only(doc: &Document<'_>, parent: NodeId, ns: &str, name: &str) -> Option<NodeId> {
    match children(doc, parent, ns, name).as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// Decodes, verifies and reads `saml_assertion` (the base64 `SAMLAssertion` parameter)
/// for a provider with `metadata`, at `now`.
pub fn read(
    saml_assertion: &str,
    metadata: &Metadata,
    now: DateTime<Utc>,
) -> Result<Claims, FederationError> {
    let compact: String = saml_assertion
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| invalid("Invalid base64 SAMLResponse"))?;
    let xml = String::from_utf8(bytes).map_err(|_| invalid("Invalid SAML response"))?;
    let doc = metadata::parser()
        .parse(&xml)
        .map_err(|_| invalid("Invalid SAML response"))?;
    let root = doc
        .document_element()
        .filter(|r| {
            doc.element(*r)
                .is_some_and(|e| e.matches_name_ns(PROTOCOL_NS, "Response"))
        })
        .ok_or_else(|| invalid("Invalid SAML response: not a SAML 2.0 Response"))?;

    // Exactly one assertion, a child of the Response; encrypted ones are not supported.
    if !doc
        .get_elements_by_tag_name_ns(ASSERTION_NS, "EncryptedAssertion")
        .is_empty()
    {
        return Err(invalid("Encrypted SAML assertions are not supported"));
    }
    let all = doc.get_elements_by_tag_name_ns(ASSERTION_NS, "Assertion");
    let assertion = match (all.as_slice(), only(&doc, root, ASSERTION_NS, "Assertion")) {
        ([one], Some(child)) if *one == child => child,
        _ => {
            return Err(invalid(
                "The SAML response must contain exactly one Assertion",
            ));
        }
    };

    // The signature covers the Response or the assertion itself.
    let signed = verify::signed_elements(&doc, &xml, &metadata.signing_certs).map_err(|why| {
        tracing::info!(%why, "SAML signature refused");
        invalid(SIGNATURE_INVALID)
    })?;
    if !signed.contains(&root) && !signed.contains(&assertion) {
        tracing::info!("SAML response carries no signature over its assertion");
        return Err(invalid(SIGNATURE_INVALID));
    }

    let status_ok = only(&doc, root, PROTOCOL_NS, "Status")
        .and_then(|s| only(&doc, s, PROTOCOL_NS, "StatusCode"))
        .and_then(|c| doc.get_attribute(c, "Value"))
        == Some(SUCCESS);
    if !status_ok {
        return Err(invalid("The SAML response status is not Success"));
    }
    if let Some(dest) = doc.get_attribute(root, "Destination")
        && !is_aws_endpoint(dest)
    {
        return Err(invalid("Invalid Destination in the SAML response"));
    }
    let issuer = only(&doc, assertion, ASSERTION_NS, "Issuer")
        .map(|i| text(&doc, i))
        .ok_or_else(|| invalid("Issuer not present in specified provider"))?;
    let response_issuer = only(&doc, root, ASSERTION_NS, "Issuer").map(|i| text(&doc, i));
    if issuer != metadata.entity_id || response_issuer.is_some_and(|r| r != metadata.entity_id) {
        return Err(invalid("Issuer not present in specified provider"));
    }

    // Subject: a NameID and exactly one bearer confirmation with Recipient and NotOnOrAfter.
    let subject_node = only(&doc, assertion, ASSERTION_NS, "Subject")
        .ok_or_else(|| invalid("The SAML assertion has no Subject"))?;
    let name_id = only(&doc, subject_node, ASSERTION_NS, "NameID")
        .ok_or_else(|| invalid("The SAML assertion has no NameID"))?;
    let subject = text(&doc, name_id);
    let format = doc
        .get_attribute(name_id, "Format")
        .unwrap_or("urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified");
    let subject_type = format
        .strip_prefix(NAMEID_PREFIX)
        .unwrap_or(format)
        .to_owned();
    let confirmation = only(&doc, subject_node, ASSERTION_NS, "SubjectConfirmation")
        .filter(|c| doc.get_attribute(*c, "Method") == Some(BEARER))
        .and_then(|c| only(&doc, c, ASSERTION_NS, "SubjectConfirmationData"))
        .ok_or_else(|| {
            invalid("The SAML assertion must have exactly one bearer SubjectConfirmation")
        })?;
    let recipient = doc
        .get_attribute(confirmation, "Recipient")
        .filter(|r| is_aws_endpoint(r))
        .ok_or_else(|| invalid("Invalid Recipient in SubjectConfirmationData"))?
        .to_owned();
    let skew = Duration::seconds(SKEW_SECONDS);
    let expired = || FederationError::ExpiredToken("Response is expired".into());
    let confirm_until = time(
        doc.get_attribute(confirmation, "NotOnOrAfter"),
        "NotOnOrAfter",
    )?
    .ok_or_else(|| invalid("SubjectConfirmationData has no NotOnOrAfter"))?;
    if now >= confirm_until + skew {
        return Err(expired());
    }
    if let Some(nb) = time(doc.get_attribute(confirmation, "NotBefore"), "NotBefore")?
        && now + skew < nb
    {
        return Err(invalid("Response is not yet valid"));
    }

    // Conditions: time window and an AWS audience.
    let conditions = only(&doc, assertion, ASSERTION_NS, "Conditions")
        .ok_or_else(|| invalid("Response does not contain the required audience."))?;
    if let Some(nb) = time(doc.get_attribute(conditions, "NotBefore"), "NotBefore")?
        && now + skew < nb
    {
        return Err(invalid("Response is not yet valid"));
    }
    if let Some(na) = time(
        doc.get_attribute(conditions, "NotOnOrAfter"),
        "NotOnOrAfter",
    )? && now >= na + skew
    {
        return Err(expired());
    }
    let restrictions = children(&doc, conditions, ASSERTION_NS, "AudienceRestriction");
    let audience_ok = !restrictions.is_empty()
        && restrictions.iter().all(|r| {
            children(&doc, *r, ASSERTION_NS, "Audience")
                .iter()
                .any(|a| is_aws_audience(&text(&doc, *a)))
        });
    if !audience_ok {
        return Err(invalid("Response does not contain the required audience."));
    }

    let session_not_on_or_after = match only(&doc, assertion, ASSERTION_NS, "AuthnStatement") {
        Some(a) => time(
            doc.get_attribute(a, "SessionNotOnOrAfter"),
            "SessionNotOnOrAfter",
        )?,
        None => None,
    };
    let mut attributes = Vec::new();
    for statement in children(&doc, assertion, ASSERTION_NS, "AttributeStatement") {
        for attr in children(&doc, statement, ASSERTION_NS, "Attribute") {
            let Some(name) = doc.get_attribute(attr, "Name") else {
                continue;
            };
            let values = children(&doc, attr, ASSERTION_NS, "AttributeValue")
                .iter()
                .map(|v| text(&doc, *v))
                .collect();
            attributes.push((name.to_owned(), values));
        }
    }
    Ok(Claims {
        issuer,
        subject,
        subject_type,
        recipient,
        session_not_on_or_after,
        attributes,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn endpoints() {
        for ok in [
            "https://signin.aws.amazon.com/saml",
            "https://us-east-1.signin.aws.amazon.com/saml",
            "https://signin.aws.amazon.com/static/saml",
            "https://eu-west-3.signin.aws.amazon.com/saml/acs/SAMLSP4SHN3UIS2D558H46",
            "https://signin.amazonaws-us-gov.com/saml",
        ] {
            assert!(is_aws_endpoint(ok), "{ok}");
        }
        for bad in [
            "http://signin.aws.amazon.com/saml",
            "https://signin.aws.amazon.com/saml/",
            "https://evil.com/saml",
            "https://signin.aws.amazon.com.evil.com/saml",
            "https://x.y.signin.aws.amazon.com/saml",
            "https://signin.aws.amazon.com/other",
            "",
        ] {
            assert!(!is_aws_endpoint(bad), "{bad}");
        }
        assert!(is_aws_audience("urn:amazon:webservices"));
        assert!(!is_aws_audience("urn:amazon:other"));
    }
}
