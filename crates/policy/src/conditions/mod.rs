//! Condition blocks: compiled, typed values and their evaluation.
//!
//! Blocks AND, keys within a block AND, values of one key OR — except negated operators,
//! whose values combine as NOR. A missing key fails positive operators and satisfies
//! negated ones and `…IfExists`; `ForAnyValue` over no values is false, `ForAllValues`
//! over no values is true.

pub mod operator;
pub(crate) mod values;

use std::cmp::Ordering;

use crate::arn::ArnPattern;
use crate::context::RequestContext;
use crate::document::Condition;
use crate::glob::Pattern;
use crate::variables::{Syntax, parse_template};
use operator::{BaseOperator, Family, Operator, SetQualifier};
use values::{Decimal, Instant};

/// Policy values, read once at compile time for the operator's family. A value that does
/// not read as the family's type is kept as `None`: it equals no request value.
#[derive(Debug, Clone, PartialEq)]
enum PolicyValues {
    Strings(Box<[Pattern]>),
    Arns(Box<[ArnPattern]>),
    Numbers(Box<[Option<Box<str>>]>),
    Dates(Box<[Option<Instant>]>),
    Bools(Box<[Pattern]>),
    Binary(Box<[Option<Vec<u8>>]>),
    Ips(Box<[Option<ipnet::IpNet>]>),
    Null(Box<[Option<bool>]>),
}

/// One compiled `operator: {key: values}` entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompiledCondition {
    operator: Operator,
    key: Box<str>,
    values: PolicyValues,
}

impl CompiledCondition {
    pub(crate) fn compile(c: &Condition, variables: bool) -> CompiledCondition {
        let base = c.operator.base;
        let syntax = Syntax {
            wildcards: matches!(
                base,
                BaseOperator::StringLike
                    | BaseOperator::StringNotLike
                    | BaseOperator::ArnLike
                    | BaseOperator::ArnNotLike
                    | BaseOperator::ArnEquals
                    | BaseOperator::ArnNotEquals
            ),
            variables: variables && base.takes_variables(),
        };
        let raw = c.values.iter().map(String::as_str);
        let values = match base.family() {
            Family::String => PolicyValues::Strings(
                raw.map(|v| Pattern::new(parse_template(v, syntax)))
                    .collect(),
            ),
            Family::Arn => PolicyValues::Arns(
                raw.map(|v| ArnPattern::new(parse_template(v, syntax)))
                    .collect(),
            ),
            Family::Bool => PolicyValues::Bools(
                raw.map(|v| Pattern::new(parse_template(v, syntax)))
                    .collect(),
            ),
            Family::Numeric => {
                PolicyValues::Numbers(raw.map(|v| Decimal::parse(v).map(|_| v.into())).collect())
            }
            Family::Date => PolicyValues::Dates(raw.map(values::parse_date).collect()),
            Family::Binary => PolicyValues::Binary(raw.map(values::parse_base64).collect()),
            Family::Ip => PolicyValues::Ips(raw.map(values::parse_cidr).collect()),
            Family::Null => PolicyValues::Null(raw.map(values::parse_bool).collect()),
        };
        CompiledCondition {
            operator: c.operator,
            key: c.key.as_str().into(),
            values,
        }
    }

    /// Whether a negated operator's values hold a policy variable: the only place where
    /// an unresolvable variable would make the condition hold more often, not less.
    pub(crate) fn widens_when_unresolved(&self) -> bool {
        self.operator.base.is_negated() && self.has_variables()
    }

    fn has_variables(&self) -> bool {
        match &self.values {
            PolicyValues::Strings(ps) | PolicyValues::Bools(ps) => {
                ps.iter().any(Pattern::has_variables)
            }
            PolicyValues::Arns(ps) => ps.iter().any(ArnPattern::has_variables),
            _ => false,
        }
    }

    /// Whether the request consults the values (the key is present) and one of them
    /// names a variable that does not resolve.
    pub(crate) fn consults_unresolved(&self, ctx: &RequestContext<'_>) -> bool {
        if ctx.values(&self.key).is_empty() {
            return false;
        }
        match &self.values {
            PolicyValues::Strings(ps) | PolicyValues::Bools(ps) => {
                ps.iter().any(|p| p.has_unresolved(ctx))
            }
            PolicyValues::Arns(ps) => ps.iter().any(|p| p.has_unresolved(ctx)),
            _ => false,
        }
    }

    /// Whether the condition holds for the request.
    pub(crate) fn holds(&self, ctx: &RequestContext<'_>) -> bool {
        let request = ctx.values(&self.key);
        if let PolicyValues::Null(expected) = &self.values {
            let absent = request.is_empty();
            return expected.contains(&Some(absent));
        }
        let op = self.operator;
        if request.is_empty() {
            return op.if_exists
                || match op.qualifier {
                    Some(SetQualifier::ForAnyValue) => false,
                    Some(SetQualifier::ForAllValues) => true,
                    None => op.base.is_negated(),
                };
        }
        let all = match op.qualifier {
            Some(SetQualifier::ForAllValues) => true,
            Some(SetQualifier::ForAnyValue) => false,
            // Unqualified on a multi-valued key: positive operators need one matching
            // value, negated ones need every value to match none.
            None => op.base.is_negated(),
        };
        let mut each = request.iter().map(|r| self.value_passes(r, ctx));
        if all {
            each.all(|ok| ok)
        } else {
            each.any(|ok| ok)
        }
    }

    /// One request value against all policy values: some match (positive operators) or
    /// none match (negated operators).
    fn value_passes(&self, r: &str, ctx: &RequestContext<'_>) -> bool {
        let any = self.any_policy_value_matches(r, ctx);
        any != self.operator.base.is_negated()
    }

    fn any_policy_value_matches(&self, r: &str, ctx: &RequestContext<'_>) -> bool {
        use BaseOperator as B;
        let base = self.operator.base;
        match &self.values {
            PolicyValues::Strings(ps) => match base {
                B::StringEquals | B::StringNotEquals => ps.iter().any(|p| p.equals(r, false, ctx)),
                B::StringEqualsIgnoreCase | B::StringNotEqualsIgnoreCase => {
                    ps.iter().any(|p| p.equals(r, true, ctx))
                }
                _ => ps.iter().any(|p| p.matches(r, false, ctx)),
            },
            PolicyValues::Arns(ps) => ps.iter().any(|p| p.matches(r, ctx)),
            PolicyValues::Bools(ps) => match values::parse_bool(r) {
                Some(b) => {
                    let canonical = if b { "true" } else { "false" };
                    ps.iter().any(|p| p.equals(canonical, true, ctx))
                }
                None => false,
            },
            PolicyValues::Numbers(ps) => {
                let Some(r) = Decimal::parse(r.trim()) else {
                    return false;
                };
                ps.iter().flatten().any(|p| {
                    Decimal::parse(p).is_some_and(|p| ordering_satisfies(base, r.compare(&p)))
                })
            }
            PolicyValues::Dates(ps) => {
                let Some(r) = values::parse_date(r.trim()) else {
                    return false;
                };
                ps.iter()
                    .flatten()
                    .any(|p| ordering_satisfies(base, r.cmp(p)))
            }
            PolicyValues::Binary(ps) => match values::parse_base64(r) {
                Some(bytes) => ps.iter().flatten().any(|p| *p == bytes),
                None => false,
            },
            PolicyValues::Ips(ps) => match values::parse_ip(r) {
                Some(ip) => ps.iter().flatten().any(|net| net.contains(&ip)),
                None => false,
            },
            PolicyValues::Null(_) => false,
        }
    }
}

/// For numeric and date operators: does `request ⋄ policy` hold? Negated operators use
/// their positive counterpart here; the caller inverts.
fn ordering_satisfies(base: BaseOperator, request_vs_policy: Ordering) -> bool {
    use BaseOperator as B;
    match base {
        B::NumericEquals | B::NumericNotEquals | B::DateEquals | B::DateNotEquals => {
            request_vs_policy == Ordering::Equal
        }
        B::NumericLessThan | B::DateLessThan => request_vs_policy == Ordering::Less,
        B::NumericLessThanEquals | B::DateLessThanEquals => request_vs_policy != Ordering::Greater,
        B::NumericGreaterThan | B::DateGreaterThan => request_vs_policy == Ordering::Greater,
        B::NumericGreaterThanEquals | B::DateGreaterThanEquals => {
            request_vs_policy != Ordering::Less
        }
        _ => false,
    }
}

/// All conditions of a statement hold.
pub(crate) fn all_hold(conditions: &[CompiledCondition], ctx: &RequestContext<'_>) -> bool {
    conditions.iter().all(|c| c.holds(ctx))
}
