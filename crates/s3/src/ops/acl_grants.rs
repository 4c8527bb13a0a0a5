//! Explicit ACL grants — `x-amz-grant-*` headers and AccessControlPolicy documents — read
//! into the canned ACL they amount to. Hourglass stores ACLs as canned ACLs, so a grant set
//! equal to one (what GetBucketAcl/GetObjectAcl return, edited and put back by the aws CLI,
//! Terraform's `access_control_policy` or s3cmd) is taken; any other set answers
//! `NotImplemented` rather than being stored as something it is not.

use std::collections::BTreeSet;

use super::Ctx;
use crate::errors::{S3Error, S3Result};
use crate::xml::Element;

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// Header → permission, as AWS names them.
const HEADERS: [(&str, &str); 5] = [
    ("x-amz-grant-read", "READ"),
    ("x-amz-grant-write", "WRITE"),
    ("x-amz-grant-read-acp", "READ_ACP"),
    ("x-amz-grant-write-acp", "WRITE_ACP"),
    ("x-amz-grant-full-control", "FULL_CONTROL"),
];
const PERMISSIONS: [&str; 5] = ["READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grantee {
    Owner,
    AllUsers,
    AuthenticatedUsers,
    LogDelivery,
    Other,
}

pub type Grants = BTreeSet<(Grantee, &'static str)>;

fn grantee(kind: &str, value: &str, owner: &str) -> S3Result<Grantee> {
    match kind {
        "id" => {
            if value.len() != 64 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(S3Error::invalid_argument("Invalid id")
                    .with("ArgumentName", "CanonicalUser/ID"));
            }
            Ok(if value.eq_ignore_ascii_case(&Ctx::canonical_id(owner)) {
                Grantee::Owner
            } else {
                Grantee::Other
            })
        }
        "uri" => {
            match value {
                ALL_USERS => Ok(Grantee::AllUsers),
                AUTHENTICATED_USERS => Ok(Grantee::AuthenticatedUsers),
                LOG_DELIVERY => Ok(Grantee::LogDelivery),
                _ => Err(S3Error::invalid_argument("Invalid group uri")
                    .with("ArgumentName", "Group/URI")),
            }
        }
        "emailAddress" => Ok(Grantee::Other),
        _ => Err(S3Error::invalid_argument("Argument format not recognized")),
    }
}

/// The grants of a request's `x-amz-grant-*` headers; `None` when it has none.
pub fn from_headers(ctx: &Ctx<'_>, owner: &str) -> S3Result<Option<Grants>> {
    let mut out = Grants::new();
    let mut any = false;
    for (header, permission) in HEADERS {
        for value in ctx.headers.get_all(header) {
            any = true;
            let text = value
                .to_str()
                .map_err(|_| S3Error::invalid_argument("Argument format not recognized"))?;
            for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                let (kind, v) = item
                    .split_once('=')
                    .ok_or_else(|| S3Error::invalid_argument("Argument format not recognized"))?;
                let v = v.trim().trim_matches('"');
                out.insert((grantee(kind.trim(), v, owner)?, permission));
            }
        }
    }
    Ok(any.then_some(out))
}

/// The grants of an AccessControlPolicy document.
pub fn from_document(doc: &Element, owner: &str) -> S3Result<Grants> {
    let mut out = Grants::new();
    let Some(list) = doc.child("AccessControlList") else {
        return Err(S3Error::malformed_xml());
    };
    for g in list.children_named("Grant") {
        let who = g.child("Grantee").ok_or_else(S3Error::malformed_xml)?;
        let permission = g
            .child_text("Permission")
            .map(str::trim)
            .and_then(|p| PERMISSIONS.iter().find(|k| **k == p))
            .ok_or_else(S3Error::malformed_xml)?;
        let found = if let Some(id) = who.child_text("ID") {
            grantee("id", id.trim(), owner)?
        } else if let Some(uri) = who.child_text("URI") {
            grantee("uri", uri.trim(), owner)?
        } else if let Some(e) = who.child_text("EmailAddress") {
            grantee("emailAddress", e.trim(), owner)?
        } else {
            return Err(S3Error::malformed_xml());
        };
        out.insert((found, *permission));
    }
    Ok(out)
}

/// The canned ACL whose grants are exactly `grants` (objects are always owned by the bucket
/// owner here, so the bucket-owner-* ACLs are `private` for them).
pub fn canned(grants: &Grants, object: bool) -> S3Result<&'static str> {
    let owner = (Grantee::Owner, "FULL_CONTROL");
    let set = |extra: &[(Grantee, &'static str)]| -> Grants {
        std::iter::once(owner.clone())
            .chain(extra.iter().cloned())
            .collect()
    };
    let mut candidates = vec![
        ("private", set(&[])),
        ("public-read", set(&[(Grantee::AllUsers, "READ")])),
        (
            "public-read-write",
            set(&[(Grantee::AllUsers, "READ"), (Grantee::AllUsers, "WRITE")]),
        ),
        (
            "authenticated-read",
            set(&[(Grantee::AuthenticatedUsers, "READ")]),
        ),
    ];
    if !object {
        candidates.push((
            "log-delivery-write",
            set(&[
                (Grantee::LogDelivery, "WRITE"),
                (Grantee::LogDelivery, "READ_ACP"),
            ]),
        ));
    }
    candidates
        .into_iter()
        .find(|(_, g)| g == grants)
        .map(|(name, _)| name)
        .ok_or_else(|| {
            S3Error::not_implemented(
                "ACL grants other than those of a canned ACL (grants to other accounts, e-mail addresses or partial owner permissions)",
            )
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn documents_map_to_canned_acls() {
        let owner = "123456789012";
        let id = Ctx::canonical_id(owner);
        let doc = |grants: &str| {
            crate::xml::parse(
                format!("<AccessControlPolicy><AccessControlList>{grants}</AccessControlList></AccessControlPolicy>")
                    .as_bytes(),
            )
            .unwrap()
        };
        let mine = format!(
            "<Grant><Grantee><ID>{id}</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>"
        );
        let all_read = format!(
            "<Grant><Grantee><URI>{ALL_USERS}</URI></Grantee><Permission>READ</Permission></Grant>"
        );
        let g = from_document(&doc(&mine), owner).unwrap();
        assert_eq!(canned(&g, true).unwrap(), "private");
        let g = from_document(&doc(&format!("{mine}{all_read}")), owner).unwrap();
        assert_eq!(canned(&g, false).unwrap(), "public-read");
        let other = format!(
            "<Grant><Grantee><ID>{}</ID></Grantee><Permission>READ</Permission></Grant>",
            "a".repeat(64)
        );
        let g = from_document(&doc(&format!("{mine}{other}")), owner).unwrap();
        assert_eq!(canned(&g, false).unwrap_err().code, "NotImplemented");
        // Without the owner's FULL_CONTROL it is no canned ACL either.
        let g = from_document(&doc(&all_read), owner).unwrap();
        assert_eq!(canned(&g, false).unwrap_err().code, "NotImplemented");
        let bad = "<Grant><Grantee><URI>http://example.com/x</URI></Grantee><Permission>READ</Permission></Grant>";
        assert_eq!(
            from_document(&doc(bad), owner).unwrap_err().code,
            "InvalidArgument"
        );
    }
}
