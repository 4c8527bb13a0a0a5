//! What can be wrong with a document, and how IAM and S3 word it.
//!
//! The checks produce a [`Problem`]; the policy kind decides the wording, because IAM
//! (`MalformedPolicyDocument`) and S3 (`MalformedPolicy`) describe the same fault in
//! different words, and IAM folds most structural faults into one generic message.

use crate::error::PolicyError;
use crate::kind::PolicyKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Not JSON at all, or the top level is not an object.
    InvalidJson,
    /// A structural fault (IAM: "Syntax errors in policy.").
    Syntax(Syntax),
    /// A managed policy with a version other than 2012-10-17.
    VersionTooOld,
    /// Effect in the wrong case (IAM), or an unparsable date literal.
    LegacyParsing,
    /// An Effect that is neither Allow nor Deny (S3 also uses it for the wrong case).
    InvalidEffect(String),
    SidNotUnique,
    SidNotAlphanumeric,
    PrincipalNotAllowed,
    ProhibitedField(&'static str),
    MissingPrincipal,
    /// The offending entry rendered as `"AWS":"value"`.
    InvalidPrincipal(String),
    MissingActions,
    MissingResources,
    ResourceNotArn(String),
    IamResourceRegion(String),
    ActionNoVendor,
    ActionTwoColons,
    InvalidVendor(String),
    TrustActionNotSts,
}

/// Structural faults, kept apart because S3 names each one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Syntax {
    TooLarge,
    UnknownField(String),
    MissingField(&'static str),
    EmptyStatement,
    WrongType(&'static str),
    BothElements(&'static str),
    UnsupportedVersion,
    UnknownOperator(String),
    EmptyConditionKey,
}

impl Problem {
    pub(crate) fn into_error(self, kind: PolicyKind) -> PolicyError {
        let message = if kind == PolicyKind::Resource {
            self.s3_message()
        } else {
            self.iam_message(kind)
        };
        PolicyError::new(kind.error_code(), message)
    }

    fn iam_message(self, kind: PolicyKind) -> String {
        match self {
            // Trust policies are parsed by a different front end that reports JSON
            // errors in its own words (see README).
            Problem::InvalidJson if kind == PolicyKind::Trust => {
                "This policy contains invalid Json".to_owned()
            }
            Problem::InvalidJson | Problem::Syntax(_) => "Syntax errors in policy.".to_owned(),
            Problem::VersionTooOld => {
                "Policy document must be version 2012-10-17 or greater.".to_owned()
            }
            Problem::InvalidEffect(_) => "Syntax errors in policy.".to_owned(),
            Problem::LegacyParsing => "The policy failed legacy parsing".to_owned(),
            Problem::SidNotUnique => {
                "Statement IDs (SID) in a single policy must be unique.".to_owned()
            }
            Problem::SidNotAlphanumeric => "Statement IDs (SID) must be alpha-numeric. Check \
                 that your input satisfies the regular expression [0-9A-Za-z]*"
                .to_owned(),
            Problem::PrincipalNotAllowed => {
                "Policy document should not specify a principal.".to_owned()
            }
            Problem::ProhibitedField(field) => format!("Has prohibited field {field}."),
            Problem::MissingPrincipal => "Missing required field Principal.".to_owned(),
            Problem::InvalidPrincipal(entry) => format!("Invalid principal in policy: {entry}"),
            Problem::MissingActions => "Policy statement must contain actions.".to_owned(),
            Problem::MissingResources => "Policy statement must contain resources.".to_owned(),
            Problem::ResourceNotArn(r) => format!("Resource {r} must be in ARN format or \"*\"."),
            Problem::IamResourceRegion(r) => {
                format!("IAM resource {r} cannot contain region information.")
            }
            Problem::ActionNoVendor => {
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
                    .to_owned()
            }
            Problem::ActionTwoColons => "Actions/Condition can contain only one colon.".to_owned(),
            Problem::InvalidVendor(v) => format!("Vendor {v} is not valid"),
            Problem::TrustActionNotSts => {
                "AssumeRole policy may only specify STS AssumeRole actions.".to_owned()
            }
        }
    }

    fn s3_message(self) -> String {
        match self {
            Problem::InvalidJson => "This policy contains invalid Json".to_owned(),
            Problem::Syntax(s) => match s {
                Syntax::TooLarge => "Policies must be no larger than 20480 bytes".to_owned(),
                Syntax::UnknownField(f) => format!("Unknown field {f}"),
                Syntax::MissingField(f) => format!("Missing required field {f}"),
                Syntax::EmptyStatement => {
                    "Could not parse the policy: Statement is empty!".to_owned()
                }
                Syntax::UnsupportedVersion => "Invalid policy version".to_owned(),
                Syntax::UnknownOperator(op) => format!("Invalid Condition type : {op}"),
                Syntax::EmptyConditionKey => "Policy has an invalid condition key".to_owned(),
                Syntax::WrongType(_) | Syntax::BothElements(_) => {
                    "This policy contains invalid Json".to_owned()
                }
            },
            Problem::InvalidEffect(e) => format!("Invalid effect: {e}"),
            Problem::MissingPrincipal => "Missing required field Principal".to_owned(),
            Problem::InvalidPrincipal(_) => "Invalid principal in policy".to_owned(),
            Problem::MissingActions => "Missing required field Action".to_owned(),
            Problem::MissingResources => "Missing required field Resource".to_owned(),
            Problem::ResourceNotArn(_) | Problem::IamResourceRegion(_) => {
                "Policy has invalid resource".to_owned()
            }
            Problem::ActionNoVendor
            | Problem::ActionTwoColons
            | Problem::InvalidVendor(_)
            | Problem::TrustActionNotSts => "Policy has invalid action".to_owned(),
            Problem::LegacyParsing => "Policy has an invalid condition value".to_owned(),
            Problem::VersionTooOld => "Invalid policy version".to_owned(),
            Problem::SidNotUnique => {
                "Statement IDs (SID) in a single policy must be unique.".to_owned()
            }
            Problem::SidNotAlphanumeric => "Invalid Sid".to_owned(),
            Problem::PrincipalNotAllowed | Problem::ProhibitedField(_) => {
                "Invalid principal in policy".to_owned()
            }
        }
    }
}
