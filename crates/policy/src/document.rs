//! The validated policy document: what [`crate::parse`] returns.
//!
//! This is the document as the author wrote it (strings, not compiled patterns), after
//! every check AWS performs on write. [`crate::compile`] turns it into the form the
//! evaluator runs.

use crate::conditions::operator::Operator;
use crate::kind::PolicyKind;

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `2008-10-17` or no `Version`: `${…}` is literal text.
    V2008_10_17,
    /// `2012-10-17`: policy variables are substituted.
    V2012_10_17,
}

impl Version {
    /// The version string.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2008_10_17 => "2008-10-17",
            Version::V2012_10_17 => "2012-10-17",
        }
    }

    pub(crate) fn has_variables(self) -> bool {
        self == Version::V2012_10_17
    }
}

/// A statement's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

/// A parsed, validated policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The kind it was validated as.
    pub kind: PolicyKind,
    /// The language version (`2008-10-17` when absent).
    pub version: Version,
    /// The optional `Id`.
    pub id: Option<String>,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The `Sid`, if present and non-empty.
    pub sid: Option<String>,
    /// Allow or Deny.
    pub effect: Effect,
    /// `Principal` / `NotPrincipal` (resource-based and trust policies).
    pub principal: Option<PrincipalElement>,
    /// `Action` / `NotAction`.
    pub action: ActionElement,
    /// `Resource` / `NotResource`; `None` where the kind allows omitting it (trust, SCP).
    pub resource: Option<ResourceElement>,
    /// Condition entries, one per (operator, key) pair, in document order.
    pub conditions: Vec<Condition>,
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq)]
pub enum PrincipalElement {
    /// `Principal`: the statement applies to these principals.
    Principal(PrincipalSet),
    /// `NotPrincipal`: the statement applies to everyone else.
    NotPrincipal(PrincipalSet),
}

/// The principals named by a `Principal` / `NotPrincipal` element.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrincipalSet {
    /// `"Principal": "*"` or `{"AWS": "*"}`: everyone, including anonymous callers.
    pub everyone: bool,
    /// `AWS` entries other than `*`: account ids, ARNs, unique ids.
    pub aws: Vec<String>,
    /// `Service` entries, e.g. `ec2.amazonaws.com`.
    pub service: Vec<String>,
    /// `Federated` entries: identity-provider ARNs or well-known provider names.
    pub federated: Vec<String>,
    /// `CanonicalUser` entries (S3 canonical ids).
    pub canonical_user: Vec<String>,
}

/// `Action` or `NotAction` patterns.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionElement {
    /// Applies to actions matching any pattern.
    Action(Vec<String>),
    /// Applies to actions matching none of the patterns.
    NotAction(Vec<String>),
}

/// `Resource` or `NotResource` patterns.
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceElement {
    /// Applies to resources matching any pattern.
    Resource(Vec<String>),
    /// Applies to resources matching none of the patterns.
    NotResource(Vec<String>),
}

/// One `"Operator": {"key": [values]}` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator.
    pub operator: Operator,
    /// The context key as written (matched case-insensitively).
    pub key: String,
    /// The values in their string form (`true`, `10`, …).
    pub values: Vec<String>,
}
