//! Semantic validation of a structurally sound document, per policy kind.
//!
//! AWS reports only the first fault it finds, and the order of its checks decides which
//! one that is: version, legacy parsing (effect case, dates), statement ids, principal
//! rules, missing actions, missing resources, resource formats, action vendors,
//! principal values, kind-specific action rules, condition keys.

use crate::conditions::operator::Family;
use crate::conditions::values::parse_date;
use crate::document::{
    ActionElement, Effect, Policy, PrincipalElement, ResourceElement, Statement, Version,
};
use crate::error::PolicyError;
use crate::kind::PolicyKind;
use crate::parse::problem::Problem;
use crate::parse::{RawPolicy, RawStatement};

pub(crate) fn validate(raw: RawPolicy, kind: PolicyKind) -> Result<Policy, Problem> {
    let version = match raw.version.as_deref() {
        Some("2012-10-17") => Version::V2012_10_17,
        _ => Version::V2008_10_17,
    };
    if kind == PolicyKind::Managed && version != Version::V2012_10_17 {
        return Err(Problem::VersionTooOld);
    }
    let stmts = &raw.statements;
    for s in stmts {
        check_legacy(s, kind)?;
    }
    check_sids(stmts, kind)?;
    for s in stmts {
        check_principal_presence(s, kind)?;
    }
    for s in stmts {
        if s.action.as_ref().is_none_or(|(_, a)| a.is_empty()) {
            return Err(Problem::MissingActions);
        }
    }
    for s in stmts {
        check_resource_presence(s, kind)?;
    }
    for s in stmts {
        if let Some((_, resources)) = &s.resource {
            for r in resources {
                check_resource_format(r, kind)?;
            }
        }
    }
    for s in stmts {
        if let Some((_, actions)) = &s.action {
            for a in actions {
                check_action_format(a)?;
            }
        }
    }
    for s in stmts {
        if let Some(p) = &s.principal {
            if let Some(entry) = &p.invalid {
                return Err(Problem::InvalidPrincipal(entry.clone()));
            }
            check_principal_values(&p.set)?;
        }
    }
    if kind == PolicyKind::Trust {
        for s in stmts {
            check_trust_actions(s)?;
        }
    }
    for s in stmts {
        for c in &s.conditions {
            match c.key.split_once(':') {
                Some((vendor, _)) if !vendor.is_empty() => {}
                _ => return Err(Problem::ActionNoVendor),
            }
        }
    }
    Ok(Policy {
        kind,
        version,
        id: raw.id,
        statements: raw.statements.into_iter().map(into_statement).collect(),
    })
}

fn check_legacy(s: &RawStatement, kind: PolicyKind) -> Result<(), Problem> {
    if s.effect != "Allow" && s.effect != "Deny" {
        return Err(if kind == PolicyKind::Resource {
            Problem::InvalidEffect(s.effect.clone())
        } else {
            Problem::LegacyParsing
        });
    }
    for c in &s.conditions {
        if c.operator.base.family() == Family::Date
            && c.values.iter().any(|v| parse_date(v).is_none())
        {
            return Err(Problem::LegacyParsing);
        }
    }
    Ok(())
}

fn check_sids(stmts: &[RawStatement], kind: PolicyKind) -> Result<(), Problem> {
    // S3 accepts any characters in a Sid; IAM's parsers only letters and digits.
    if kind != PolicyKind::Resource {
        for s in stmts {
            if let Some(sid) = &s.sid
                && !sid.chars().all(|c| c.is_ascii_alphanumeric())
            {
                return Err(Problem::SidNotAlphanumeric);
            }
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for sid in stmts.iter().filter_map(|s| s.sid.as_deref()) {
        if sid.is_empty() {
            continue;
        }
        if seen.contains(&sid) {
            return Err(Problem::SidNotUnique);
        }
        seen.push(sid);
    }
    Ok(())
}

fn check_principal_presence(s: &RawStatement, kind: PolicyKind) -> Result<(), Problem> {
    match kind {
        PolicyKind::Identity | PolicyKind::Managed | PolicyKind::Scp => {
            if s.principal.is_some() {
                return Err(Problem::PrincipalNotAllowed);
            }
        }
        PolicyKind::Trust => match &s.principal {
            None => return Err(Problem::MissingPrincipal),
            Some(p) if p.negated => return Err(Problem::ProhibitedField("NotPrincipal")),
            Some(_) => {}
        },
        PolicyKind::Resource | PolicyKind::ServiceResource => {
            if s.principal.is_none() {
                return Err(Problem::MissingPrincipal);
            }
        }
    }
    Ok(())
}

fn check_resource_presence(s: &RawStatement, kind: PolicyKind) -> Result<(), Problem> {
    match kind {
        PolicyKind::Trust => match &s.resource {
            Some((true, _)) => Err(Problem::ProhibitedField("NotResource")),
            Some((false, _)) => Err(Problem::ProhibitedField("Resource")),
            None => Ok(()),
        },
        PolicyKind::Scp => match &s.resource {
            Some((_, r)) if r.is_empty() => Err(Problem::MissingResources),
            _ => Ok(()),
        },
        PolicyKind::Identity
        | PolicyKind::Managed
        | PolicyKind::Resource
        | PolicyKind::ServiceResource => {
            if s.resource.as_ref().is_none_or(|(_, r)| r.is_empty()) {
                Err(Problem::MissingResources)
            } else {
                Ok(())
            }
        }
    }
}

fn check_resource_format(resource: &str, kind: PolicyKind) -> Result<(), Problem> {
    if resource == "*" {
        // A bucket policy must name the bucket or its objects; "*" names neither.
        return if kind == PolicyKind::Resource {
            Err(Problem::ResourceNotArn(resource.to_owned()))
        } else {
            Ok(())
        };
    }
    // AWS only insists on `arn:partition:service…`; an ARN with fewer than six parts is
    // accepted and simply matches nothing (segment-wise matching needs all six).
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    if parts.len() < 3 || parts[0] != "arn" || parts[1].is_empty() || parts[2].is_empty() {
        return Err(Problem::ResourceNotArn(resource.to_owned()));
    }
    if parts[2] == "iam" && parts.get(3).is_some_and(|region| !region.is_empty()) {
        return Err(Problem::IamResourceRegion(resource.to_owned()));
    }
    if kind == PolicyKind::Resource && parts[2] != "s3" {
        return Err(Problem::ResourceNotArn(resource.to_owned()));
    }
    Ok(())
}

fn check_action_format(action: &str) -> Result<(), Problem> {
    if action == "*" {
        return Ok(());
    }
    let mut parts = action.split(':');
    let vendor = parts.next().unwrap_or_default();
    if parts.next().is_none() {
        return Err(Problem::ActionNoVendor);
    }
    if parts.next().is_some() {
        return Err(Problem::ActionTwoColons);
    }
    let vendor_ok = vendor == "*"
        || vendor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !vendor_ok {
        return Err(Problem::InvalidVendor(vendor.to_owned()));
    }
    Ok(())
}

fn check_principal_values(set: &crate::document::PrincipalSet) -> Result<(), Problem> {
    for entry in &set.aws {
        if !is_valid_aws_principal(entry) {
            return Err(Problem::InvalidPrincipal(format!("\"AWS\":\"{entry}\"")));
        }
    }
    for (ty, entries) in [
        ("Service", &set.service),
        ("Federated", &set.federated),
        ("CanonicalUser", &set.canonical_user),
    ] {
        for entry in entries {
            if entry.is_empty() || entry.contains('*') {
                return Err(Problem::InvalidPrincipal(format!("\"{ty}\":\"{entry}\"")));
            }
        }
    }
    Ok(())
}

/// Account ids, principal ARNs and unique ids; wildcards only as the whole value `*`.
fn is_valid_aws_principal(entry: &str) -> bool {
    if entry.contains('*') || entry.contains('?') {
        return false;
    }
    if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    if let Some(rest) = entry.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        return parts.len() == 5
            && !parts[0].is_empty()
            && matches!(parts[1], "iam" | "sts")
            && !parts[3].is_empty()
            && !parts[4].is_empty();
    }
    // Unique ids (AIDA…, AROA…) stand in for principals whose name was deleted.
    entry.len() >= 16
        && entry.len() <= 128
        && entry.starts_with('A')
        && entry
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn check_trust_actions(s: &RawStatement) -> Result<(), Problem> {
    let Some((negated, actions)) = &s.action else {
        return Ok(());
    };
    if *negated {
        return Err(Problem::TrustActionNotSts);
    }
    for a in actions {
        let vendor = a.split(':').next().unwrap_or_default();
        if a != "*" && !vendor.eq_ignore_ascii_case("sts") && vendor != "*" {
            return Err(Problem::TrustActionNotSts);
        }
    }
    Ok(())
}

/// Checks that every `Resource`/`NotResource` of a bucket policy refers to `bucket` or
/// its objects (`arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/…`), as S3 requires on
/// PutBucketPolicy; refused with `MalformedPolicy: Policy has invalid resource`.
pub fn validate_bucket_resources(policy: &Policy, bucket: &str) -> Result<(), PolicyError> {
    let base = format!("arn:aws:s3:::{bucket}");
    for statement in &policy.statements {
        let list = match &statement.resource {
            Some(ResourceElement::Resource(r) | ResourceElement::NotResource(r)) => r,
            None => continue,
        };
        for r in list {
            let ok = r == &base
                || r.strip_prefix(&base)
                    .is_some_and(|rest| rest.starts_with('/'));
            if !ok {
                return Err(PolicyError::new(
                    crate::error::ErrorCode::MalformedPolicy,
                    "Policy has invalid resource",
                ));
            }
        }
    }
    Ok(())
}

fn into_statement(s: RawStatement) -> Statement {
    Statement {
        sid: s.sid.filter(|sid| !sid.is_empty()),
        effect: if s.effect == "Deny" {
            Effect::Deny
        } else {
            Effect::Allow
        },
        principal: s.principal.map(|p| {
            if p.negated {
                PrincipalElement::NotPrincipal(p.set)
            } else {
                PrincipalElement::Principal(p.set)
            }
        }),
        action: match s.action {
            Some((true, a)) => ActionElement::NotAction(a),
            Some((false, a)) => ActionElement::Action(a),
            None => ActionElement::Action(Vec::new()),
        },
        resource: s.resource.map(|(negated, r)| {
            if negated {
                ResourceElement::NotResource(r)
            } else {
                ResourceElement::Resource(r)
            }
        }),
        conditions: s.conditions,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bucket_resources_must_name_the_bucket() {
        let doc = |r: &str| {
            crate::parse(
                &format!(
                    r#"{{"Statement":{{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"{r}"}}}}"#
                ),
                PolicyKind::Resource,
            )
            .unwrap()
        };
        assert!(validate_bucket_resources(&doc("arn:aws:s3:::b"), "b").is_ok());
        assert!(validate_bucket_resources(&doc("arn:aws:s3:::b/*"), "b").is_ok());
        let err = validate_bucket_resources(&doc("arn:aws:s3:::bb/*"), "b").unwrap_err();
        assert_eq!(err.message, "Policy has invalid resource");
        assert!(validate_bucket_resources(&doc("arn:aws:s3:::c"), "b").is_err());
    }
}
