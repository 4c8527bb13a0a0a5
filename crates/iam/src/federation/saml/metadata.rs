//! SAML 2.0 identity-provider metadata: the entity id, the signing certificates
//! (`IDPSSODescriptor/KeyDescriptor[use=signing]`, or without `use`), and `validUntil`.
//! Parsed when a provider is created or updated (bad metadata is refused then) and again
//! when an assertion is checked, so the stored document stays the one source of truth.

use base64::Engine;
use chrono::{DateTime, Utc};
use uppsala::{Document, NodeId, Parser};

pub const MD_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";

/// AWS's message for metadata it cannot use.
pub const UNPARSABLE: &str = "Could not parse metadata";

/// What Hourglass uses from a metadata document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub entity_id: String,
    /// DER certificates, in document order.
    pub signing_certs: Vec<Vec<u8>>,
    pub valid_until: Option<DateTime<Utc>>,
}

/// The XML parser every SAML document goes through: no DTD (so no entity expansion, no
/// external references), bounded depth.
pub fn parser() -> Parser {
    Parser::new().with_forbid_dtd(true).with_max_depth(64)
}

/// The direct child elements of `parent` named `{ns}name`.
pub fn children(doc: &Document<'_>, parent: NodeId, ns: &str, name: &str) -> Vec<NodeId> {
    doc.child_elements_by_name_ns(parent, ns, name)
}

/// The text of an element (all text descendants), trimmed.
pub fn text(doc: &Document<'_>, node: NodeId) -> String {
    doc.text_content_deep(node).trim().to_owned()
}

/// Parses `document`; the error says why (logged, not returned: AWS answers one message).
pub fn parse(document: &str) -> Result<Metadata, String> {
    let doc = parser()
        .parse(document)
        .map_err(|e| format!("not XML: {e}"))?;
    let root = doc
        .document_element()
        .ok_or_else(|| "no document element".to_owned())?;
    let element = doc.element(root).ok_or_else(|| "no root".to_owned())?;
    if !element.matches_name_ns(MD_NS, "EntityDescriptor") {
        return Err("the document element is not md:EntityDescriptor".into());
    }
    let entity_id = element
        .get_attribute("entityID")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| "EntityDescriptor has no entityID".to_owned())?
        .to_owned();
    let valid_until = match element.get_attribute("validUntil") {
        Some(v) => Some(
            DateTime::parse_from_rfc3339(v.trim())
                .map_err(|e| format!("validUntil {v:?}: {e}"))?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    let idps = children(&doc, root, MD_NS, "IDPSSODescriptor");
    if idps.is_empty() {
        return Err("no IDPSSODescriptor".into());
    }
    let mut signing_certs = Vec::new();
    for idp in idps {
        for kd in children(&doc, idp, MD_NS, "KeyDescriptor") {
            match doc.get_attribute(kd, "use") {
                None | Some("signing") => {}
                Some(_) => continue,
            }
            for key_info in children(&doc, kd, DSIG_NS, "KeyInfo") {
                for data in children(&doc, key_info, DSIG_NS, "X509Data") {
                    for cert in children(&doc, data, DSIG_NS, "X509Certificate") {
                        signing_certs.push(certificate(&text(&doc, cert))?);
                    }
                }
            }
        }
    }
    if signing_certs.is_empty() {
        return Err("no signing certificate in IDPSSODescriptor".into());
    }
    Ok(Metadata {
        entity_id,
        signing_certs,
        valid_until,
    })
}

/// A base64 DER certificate whose public key can verify signatures; RSA keys must have at
/// least 1024 bits (AWS's rule).
fn certificate(b64: &str) -> Result<Vec<u8>, String> {
    let compact: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| format!("X509Certificate is not base64: {e}"))?;
    bergshamra_keys::loader::load_x509_cert_der(&der)
        .map_err(|e| format!("X509Certificate: {e}"))?;
    if let Some(bits) = rsa_bits(&der)
        && bits < 1024
    {
        return Err(format!("RSA key of {bits} bits (at least 1024 needed)"));
    }
    Ok(der)
}

const RSA_OID: &str = "1.2.840.113549.1.1.1";

/// The modulus size of a certificate's RSA key; `None` for other key types.
fn rsa_bits(cert_der: &[u8]) -> Option<usize> {
    use der::Decode;
    let cert = x509_cert::Certificate::from_der(cert_der).ok()?;
    let spki = &cert.tbs_certificate.subject_public_key_info;
    if spki.algorithm.oid.to_string() != RSA_OID {
        return None;
    }
    let ints: Vec<der::asn1::UintRef<'_>> =
        Vec::from_der(spki.subject_public_key.raw_bytes()).ok()?;
    let n = ints.first()?.as_bytes();
    let lead = n.first().map_or(0, |b| b.leading_zeros() as usize);
    Some((n.len() * 8).saturating_sub(lead))
}
