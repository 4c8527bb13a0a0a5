//! Parsing: document text → [`RawPolicy`] (structure checked) → [`Policy`] (validated).
//!
//! The structural pass here refuses what AWS calls syntax errors; the semantic checks,
//! whose order decides which message a document with several faults gets, live in
//! [`crate::validate`].

pub(crate) mod json;
pub(crate) mod problem;

use crate::conditions::operator::Operator;
use crate::document::{Condition, Policy, PrincipalSet};
use crate::error::PolicyError;
use crate::kind::{PolicyKind, limits};
use json::Json;
use problem::{Problem, Syntax};

/// A statement whose structure is sound but whose content is not yet validated.
#[derive(Debug, Clone)]
pub(crate) struct RawStatement {
    pub(crate) sid: Option<String>,
    pub(crate) effect: String,
    /// `(is_not_principal, set, entries that are not valid principals)`.
    pub(crate) principal: Option<RawPrincipal>,
    /// `(is_not_action, patterns)`.
    pub(crate) action: Option<(bool, Vec<String>)>,
    /// `(is_not_resource, patterns)`.
    pub(crate) resource: Option<(bool, Vec<String>)>,
    pub(crate) conditions: Vec<Condition>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawPrincipal {
    pub(crate) negated: bool,
    pub(crate) set: PrincipalSet,
    /// The first entry that cannot be a principal, rendered `"Type":"value"`.
    pub(crate) invalid: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawPolicy {
    pub(crate) version: Option<String>,
    pub(crate) id: Option<String>,
    pub(crate) statements: Vec<RawStatement>,
}

/// Parses and validates a policy document of the given kind.
///
/// On refusal the error carries AWS's code family and exact message, e.g.
/// `MalformedPolicyDocument: Policy document should not specify a principal.`
/// Never panics; refuses documents above [`limits::MAX_DOCUMENT_BYTES`].
pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
    parse_raw(text)
        .and_then(|raw| crate::validate::validate(raw, kind))
        .map_err(|p| p.into_error(kind))
}

pub(crate) fn parse_raw(text: &str) -> Result<RawPolicy, Problem> {
    if text.len() > limits::MAX_DOCUMENT_BYTES {
        return Err(Problem::Syntax(Syntax::TooLarge));
    }
    let root = json::from_str(text).map_err(|_| Problem::InvalidJson)?;
    let Json::Object(members) = root else {
        return Err(Problem::InvalidJson);
    };
    let mut version = None;
    let mut id = None;
    let mut statement = None;
    for (key, value) in members {
        match key.as_str() {
            "Version" => version = Some(string(value, "Version")?),
            "Id" => id = Some(string(value, "Id")?),
            "Statement" => statement = Some(value),
            _ => return Err(Problem::Syntax(Syntax::UnknownField(key))),
        }
    }
    if let Some(v) = &version
        && v != "2012-10-17"
        && v != "2008-10-17"
    {
        return Err(Problem::Syntax(Syntax::UnsupportedVersion));
    }
    let statements = match statement {
        None => return Err(Problem::Syntax(Syntax::MissingField("Statement"))),
        Some(Json::Array(items)) if items.is_empty() => {
            return Err(Problem::Syntax(Syntax::EmptyStatement));
        }
        Some(Json::Array(items)) => items
            .into_iter()
            .map(statement_syntax)
            .collect::<Result<Vec<_>, _>>()?,
        Some(obj @ Json::Object(_)) => vec![statement_syntax(obj)?],
        Some(_) => return Err(Problem::Syntax(Syntax::WrongType("Statement"))),
    };
    Ok(RawPolicy {
        version,
        id,
        statements,
    })
}

fn string(value: Json, field: &'static str) -> Result<String, Problem> {
    match value {
        Json::String(s) => Ok(s),
        _ => Err(Problem::Syntax(Syntax::WrongType(field))),
    }
}

/// A string or a list of strings; `field` names the element for S3's messages.
fn string_list(value: Json, field: &'static str) -> Result<Vec<String>, Problem> {
    match value {
        Json::String(s) => Ok(vec![s]),
        Json::Array(items) => items.into_iter().map(|v| string(v, field)).collect(),
        _ => Err(Problem::Syntax(Syntax::WrongType(field))),
    }
}

fn statement_syntax(value: Json) -> Result<RawStatement, Problem> {
    let Json::Object(members) = value else {
        return Err(Problem::Syntax(Syntax::WrongType("Statement")));
    };
    let mut sid = None;
    let mut effect = None;
    let mut principal = None;
    let mut action = None;
    let mut resource = None;
    let mut conditions = Vec::new();
    for (key, value) in members {
        match key.as_str() {
            "Sid" => sid = Some(string(value, "Sid")?),
            "Effect" => effect = Some(string(value, "Effect")?),
            "Principal" | "NotPrincipal" => {
                if principal.is_some() {
                    return Err(Problem::Syntax(Syntax::BothElements("Principal")));
                }
                principal = Some(principal_syntax(value, key == "NotPrincipal")?);
            }
            "Action" | "NotAction" => {
                if action.is_some() {
                    return Err(Problem::Syntax(Syntax::BothElements("Action")));
                }
                action = Some((key == "NotAction", string_list(value, "Action")?));
            }
            "Resource" | "NotResource" => {
                if resource.is_some() {
                    return Err(Problem::Syntax(Syntax::BothElements("Resource")));
                }
                resource = Some((key == "NotResource", string_list(value, "Resource")?));
            }
            "Condition" => conditions = condition_syntax(value)?,
            _ => return Err(Problem::Syntax(Syntax::UnknownField(key))),
        }
    }
    let effect = effect.ok_or(Problem::Syntax(Syntax::MissingField("Effect")))?;
    if !effect.eq_ignore_ascii_case("Allow") && !effect.eq_ignore_ascii_case("Deny") {
        return Err(Problem::InvalidEffect(effect));
    }
    Ok(RawStatement {
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

fn principal_syntax(value: Json, negated: bool) -> Result<RawPrincipal, Problem> {
    let mut set = PrincipalSet::default();
    let mut invalid = None;
    match value {
        Json::String(s) if s == "*" => set.everyone = true,
        Json::String(s) => invalid = Some(format!("\"{s}\"")),
        Json::Object(members) => {
            for (ty, entries) in members {
                let entries = string_list(entries, "Principal")?;
                if entries.is_empty() && invalid.is_none() {
                    invalid = Some(format!("\"{ty}\":[]"));
                }
                for entry in entries {
                    let target = match ty.as_str() {
                        "AWS" if entry == "*" => {
                            set.everyone = true;
                            continue;
                        }
                        "AWS" => &mut set.aws,
                        "Service" => &mut set.service,
                        "Federated" => &mut set.federated,
                        "CanonicalUser" => &mut set.canonical_user,
                        _ => {
                            if invalid.is_none() {
                                invalid = Some(format!("\"{ty}\":\"{entry}\""));
                            }
                            continue;
                        }
                    };
                    target.push(entry);
                }
            }
        }
        _ => return Err(Problem::Syntax(Syntax::WrongType("Principal"))),
    }
    Ok(RawPrincipal {
        negated,
        set,
        invalid,
    })
}

fn condition_syntax(value: Json) -> Result<Vec<Condition>, Problem> {
    let Json::Object(blocks) = value else {
        return Err(Problem::Syntax(Syntax::WrongType("Condition")));
    };
    let mut out = Vec::new();
    for (op_name, block) in blocks {
        let Json::Object(entries) = block else {
            return Err(Problem::Syntax(Syntax::WrongType("Condition")));
        };
        let operator =
            Operator::parse(&op_name).ok_or(Problem::Syntax(Syntax::UnknownOperator(op_name)))?;
        for (key, values) in entries {
            if key.is_empty() {
                return Err(Problem::Syntax(Syntax::EmptyConditionKey));
            }
            let values = match values {
                Json::Array(items) => items
                    .into_iter()
                    .map(condition_value)
                    .collect::<Result<Vec<_>, _>>()?,
                scalar => vec![condition_value(scalar)?],
            };
            out.push(Condition {
                operator,
                key,
                values,
            });
        }
    }
    Ok(out)
}

/// Condition values may be strings, numbers or booleans; each is kept in its text form.
fn condition_value(value: Json) -> Result<String, Problem> {
    match value {
        Json::String(s) | Json::Number(s) => Ok(s),
        Json::Bool(b) => Ok(if b { "true" } else { "false" }.to_owned()),
        _ => Err(Problem::Syntax(Syntax::WrongType("Condition"))),
    }
}
