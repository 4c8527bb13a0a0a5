//! XML signature checks of a SAML response, fail-closed, on top of `bergshamra-dsig`.
//!
//! `bergshamra` does the cryptography and canonicalization (exclusive c14n, RSA/ECDSA
//! with SHA-1/2) and, in its secure mode, trusts only the keys we give it (the provider's
//! metadata certificates, never a key embedded in `<KeyInfo>`) and refuses references to
//! elements that neither enclose nor sit beside their `<Signature>`. On top of that this
//! module pins the SAML profile (SAML 2.0 core §5): every signature is enveloped in the
//! element it signs, has exactly one `<Reference URI="#ID">` naming that element's `ID`,
//! and uses only the enveloped-signature and c14n transforms; any signature that does not
//! verify fails the whole response. The caller then reads claims only from an element
//! this module reports as signed, found by node identity, not by a second search: the
//! signature-wrapping defence.

use std::collections::HashSet;

use bergshamra_core::algorithm as alg;
use bergshamra_dsig::{DsigContext, VerifyResult};
use bergshamra_keys::KeysManager;
use uppsala::{Document, NodeId};

use super::metadata::{DSIG_NS, children};

pub const SIGNATURE_INVALID: &str = "Response signature invalid";

const SIGNATURE_METHODS: &[&str] = &[
    alg::RSA_SHA1,
    alg::RSA_SHA256,
    alg::RSA_SHA384,
    alg::RSA_SHA512,
    alg::ECDSA_SHA256,
    alg::ECDSA_SHA384,
    alg::ECDSA_SHA512,
];
const DIGEST_METHODS: &[&str] = &[alg::SHA1, alg::SHA256, alg::SHA384, alg::SHA512];
const C14N_METHODS: &[&str] = &[alg::EXC_C14N, alg::C14N];
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

fn algorithm<'d>(doc: &'d Document<'_>, parent: NodeId, name: &str) -> Option<&'d str> {
    let node = children(doc, parent, DSIG_NS, name);
    match node.as_slice() {
        [one] => doc.get_attribute(*one, "Algorithm"),
        _ => None,
    }
}

/// Checks one `<Signature>` against the profile; returns the element it must cover.
fn profile(doc: &Document<'_>, sig: NodeId) -> Result<NodeId, String> {
    let parent = doc
        .parent(sig)
        .filter(|p| doc.element(*p).is_some())
        .ok_or("signature has no parent element")?;
    let id = doc
        .get_attribute(parent, "ID")
        .ok_or("signed element has no ID")?;
    let signed_info = match children(doc, sig, DSIG_NS, "SignedInfo").as_slice() {
        [one] => *one,
        _ => return Err("not exactly one SignedInfo".into()),
    };
    let c14n = algorithm(doc, signed_info, "CanonicalizationMethod").unwrap_or_default();
    if !C14N_METHODS.contains(&c14n) {
        return Err(format!("canonicalization {c14n:?} not accepted"));
    }
    let method = algorithm(doc, signed_info, "SignatureMethod").unwrap_or_default();
    if !SIGNATURE_METHODS.contains(&method) {
        return Err(format!("signature method {method:?} not accepted"));
    }
    let reference = match children(doc, signed_info, DSIG_NS, "Reference").as_slice() {
        [one] => *one,
        _ => return Err("not exactly one Reference".into()),
    };
    if doc.get_attribute(reference, "URI") != Some(&format!("#{id}")) {
        return Err("the Reference does not name the enclosing element's ID".into());
    }
    let digest = algorithm(doc, reference, "DigestMethod").unwrap_or_default();
    if !DIGEST_METHODS.contains(&digest) {
        return Err(format!("digest method {digest:?} not accepted"));
    }
    for transforms in children(doc, reference, DSIG_NS, "Transforms") {
        for t in children(doc, transforms, DSIG_NS, "Transform") {
            let a = doc.get_attribute(t, "Algorithm").unwrap_or_default();
            if a != ENVELOPED && !C14N_METHODS.contains(&a) {
                return Err(format!("transform {a:?} not accepted"));
            }
        }
    }
    Ok(parent)
}

/// The elements of `doc` covered by a valid signature made with one of `certs` (DER).
/// `Err` (logged reason) when any signature is outside the profile or does not verify, or
/// when the document holds duplicate IDs.
pub fn signed_elements(
    doc: &Document<'_>,
    source: &str,
    certs: &[Vec<u8>],
) -> Result<HashSet<NodeId>, String> {
    let signatures = doc.get_elements_by_tag_name_ns(DSIG_NS, "Signature");
    if signatures.is_empty() {
        return Ok(HashSet::new());
    }
    let mut expected = Vec::with_capacity(signatures.len());
    for sig in &signatures {
        expected.push(profile(doc, *sig)?);
    }
    let mut keys = KeysManager::new();
    for der in certs {
        let key = bergshamra_keys::loader::load_x509_cert_der(der)
            .map_err(|e| format!("metadata certificate: {e}"))?;
        keys.add_key(key);
    }
    // Secure defaults: trusted keys only, strict reference positions, every reference
    // digest computed locally.
    let ctx = DsigContext::new(keys);
    let results = bergshamra_dsig::verify::verify_all_document_with_source(&ctx, doc, Some(source))
        .map_err(|e| format!("signature processing: {e}"))?;
    if results.len() != signatures.len() {
        return Err("signature count changed during verification".into());
    }
    let mut signed = HashSet::new();
    for ((sig, element), result) in signatures.iter().zip(&expected).zip(results) {
        match result {
            VerifyResult::Valid {
                signature_node,
                references,
                ..
            } => {
                let covers = signature_node == *sig
                    && references.len() == 1
                    && references
                        .iter()
                        .all(|r| r.digest_verified && r.resolved_node == Some(*element));
                if !covers {
                    return Err("a valid signature does not cover its enclosing element".into());
                }
                signed.insert(*element);
            }
            VerifyResult::Invalid { reason } => return Err(reason),
        }
    }
    Ok(signed)
}
