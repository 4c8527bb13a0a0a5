//! The compiled form: patterns tokenised, condition values typed, statements indexed by
//! the service prefix of their actions so a decision only visits statements that can
//! match the request's action.

pub(crate) mod principal;

use std::sync::Arc;

use crate::arn::ArnPattern;
use crate::conditions::{CompiledCondition, all_hold};
use crate::context::RequestContext;
use crate::document::{ActionElement, Effect, Policy, PrincipalElement, ResourceElement, Version};
use crate::error::PolicyError;
use crate::glob::Pattern;
use crate::kind::PolicyKind;
use crate::variables::{Syntax, parse_template};
pub use principal::PrincipalMatch;
use principal::PrincipalMatcher;

/// A policy ready for evaluation. Immutable, `Send + Sync`, meant to be shared as
/// `Arc<CompiledPolicy>` (see [`crate::PolicyCache`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledPolicy {
    kind: PolicyKind,
    version: Version,
    statements: Box<[CompiledStatement]>,
    index: ActionIndex,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompiledStatement {
    pub(crate) sid: Option<Arc<str>>,
    pub(crate) effect: Effect,
    not_action: bool,
    actions: Box<[Pattern]>,
    resources: ResourceMatcher,
    principal: Option<PrincipalMatcher>,
    conditions: Box<[CompiledCondition]>,
    /// A policy variable sits where, left unresolved, it would widen the statement:
    /// in `NotResource`, or in the values of a negated condition operator.
    widening_variables: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum ResourceMatcher {
    /// No Resource element (trust policies, some SCPs): every resource.
    Absent,
    List {
        negated: bool,
        patterns: Box<[ResourcePattern]>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum ResourcePattern {
    /// `"*"`: every resource, including none.
    Everything,
    Arn(ArnPattern),
}

/// Statement numbers per literal action service; statements whose service is a
/// wildcard, or that use NotAction, are in `always`.
#[derive(Debug, Clone, PartialEq, Default)]
struct ActionIndex {
    services: Box<[ServiceStatements]>,
    always: Box<[u32]>,
}

/// A lower-cased service prefix and the statements whose actions name it.
type ServiceStatements = (Box<str>, Box<[u32]>);

/// One statement that matched a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) statement: u32,
    pub(crate) effect: Effect,
    /// How the statement's Principal covered the caller (resource-based policies only).
    pub(crate) principal: Option<PrincipalMatch>,
}

impl CompiledPolicy {
    /// Compiles a validated document. Infallible: everything that could fail was
    /// refused by [`crate::parse`].
    pub fn compile(policy: &Policy) -> CompiledPolicy {
        let variables = policy.version.has_variables();
        let statements: Box<[CompiledStatement]> = policy
            .statements
            .iter()
            .map(|s| {
                let (not_action, actions) = match &s.action {
                    ActionElement::Action(a) => (false, a),
                    ActionElement::NotAction(a) => (true, a),
                };
                let mut statement = CompiledStatement {
                    sid: s.sid.as_deref().map(Arc::from),
                    effect: s.effect,
                    not_action,
                    actions: actions.iter().map(|a| compile_action(a)).collect(),
                    resources: match &s.resource {
                        None => ResourceMatcher::Absent,
                        Some(ResourceElement::Resource(r)) => {
                            compile_resources(r, false, variables)
                        }
                        Some(ResourceElement::NotResource(r)) => {
                            compile_resources(r, true, variables)
                        }
                    },
                    principal: s.principal.as_ref().map(|p| match p {
                        PrincipalElement::Principal(set) => PrincipalMatcher::new(set, false),
                        PrincipalElement::NotPrincipal(set) => PrincipalMatcher::new(set, true),
                    }),
                    conditions: s
                        .conditions
                        .iter()
                        .map(|c| CompiledCondition::compile(c, variables))
                        .collect(),
                    widening_variables: false,
                };
                statement.widening_variables = statement.has_widening_variables();
                statement
            })
            .collect();
        let index = ActionIndex::build(&statements);
        CompiledPolicy {
            kind: policy.kind,
            version: policy.version,
            statements,
            index,
        }
    }

    /// Parses, validates and compiles in one step.
    pub fn from_text(text: &str, kind: PolicyKind) -> Result<CompiledPolicy, PolicyError> {
        crate::parse(text, kind).map(|p| CompiledPolicy::compile(&p))
    }

    /// The kind the document was validated as.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The language version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Number of statements.
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }

    /// The Sid of statement `index`, if it has one.
    pub fn sid(&self, index: usize) -> Option<&str> {
        self.statements.get(index).and_then(|s| s.sid.as_deref())
    }

    pub(crate) fn statement(&self, index: u32) -> Option<&CompiledStatement> {
        self.statements.get(index as usize)
    }

    /// Runs every statement that can apply to `action` and reports the matching ones,
    /// in document order.
    pub(crate) fn evaluate(
        &self,
        ctx: &RequestContext<'_>,
        action: &str,
        resource: Option<&str>,
        mut hit: impl FnMut(Hit),
    ) {
        let (by_service, always) = self.index.candidates(action);
        for i in MergeSorted::new(by_service, always) {
            let Some(s) = self.statements.get(i as usize) else {
                continue;
            };
            let principal = match &s.principal {
                None => None,
                Some(m) => match m.matches(&ctx.principal, s.effect == Effect::Deny) {
                    Some(how) => Some(how),
                    None => continue,
                },
            };
            if s.action_matches(action)
                && s.resource_matches(resource, ctx)
                && all_hold(&s.conditions, ctx)
                && !(s.effect == Effect::Allow && s.unresolved_widens(ctx))
            {
                hit(Hit {
                    statement: i,
                    effect: s.effect,
                    principal,
                });
            }
        }
    }
}

impl CompiledStatement {
    fn has_widening_variables(&self) -> bool {
        let not_resource = match &self.resources {
            ResourceMatcher::List {
                negated: true,
                patterns,
            } => patterns
                .iter()
                .any(|p| matches!(p, ResourcePattern::Arn(a) if a.has_variables())),
            _ => false,
        };
        not_resource
            || self
                .conditions
                .iter()
                .any(CompiledCondition::widens_when_unresolved)
    }

    /// An unresolvable variable makes its entry match nothing. In `NotResource` or a
    /// negated operator that would make an Allow apply *more* widely (`NotResource:
    /// b/${aws:username}/*` covering every resource for a role session), so such an Allow
    /// does not apply at all: a missing value never grants (fail closed). Deny statements
    /// keep the per-entry rule (spec §5.3), under which these same places make the Deny
    /// apply more widely.
    fn unresolved_widens(&self, ctx: &RequestContext<'_>) -> bool {
        if !self.widening_variables {
            return false;
        }
        if let ResourceMatcher::List {
            negated: true,
            patterns,
        } = &self.resources
            && patterns
                .iter()
                .any(|p| matches!(p, ResourcePattern::Arn(a) if a.has_unresolved(ctx)))
        {
            return true;
        }
        self.conditions
            .iter()
            .any(|c| c.widens_when_unresolved() && c.consults_unresolved(ctx))
    }

    fn action_matches(&self, action: &str) -> bool {
        let vars = crate::variables::NoVars;
        let any = self.actions.iter().any(|p| p.matches(action, true, &vars));
        any != self.not_action
    }

    fn resource_matches(&self, resource: Option<&str>, ctx: &RequestContext<'_>) -> bool {
        match &self.resources {
            ResourceMatcher::Absent => true,
            ResourceMatcher::List { negated, patterns } => {
                let any = patterns.iter().any(|p| match (p, resource) {
                    (ResourcePattern::Everything, _) => true,
                    (ResourcePattern::Arn(arn), Some(r)) => arn.matches(r, ctx),
                    (ResourcePattern::Arn(_), None) => false,
                });
                any != *negated
            }
        }
    }
}

/// Actions compare case-insensitively: patterns are folded once here.
fn compile_action(action: &str) -> Pattern {
    Pattern::new(parse_template(
        &action.to_ascii_lowercase(),
        Syntax {
            wildcards: true,
            variables: false,
        },
    ))
}

fn compile_resources(list: &[String], negated: bool, variables: bool) -> ResourceMatcher {
    let patterns = list
        .iter()
        .map(|r| {
            if r == "*" {
                return ResourcePattern::Everything;
            }
            // Variables are substituted only in the resource part (after the fifth colon).
            let parts: Vec<Pattern> = r
                .splitn(6, ':')
                .enumerate()
                .map(|(i, part)| {
                    Pattern::new(parse_template(
                        part,
                        Syntax {
                            wildcards: true,
                            variables: variables && i == 5,
                        },
                    ))
                })
                .collect();
            ResourcePattern::Arn(ArnPattern::from_parts(parts))
        })
        .collect();
    ResourceMatcher::List { negated, patterns }
}

fn service_of(action: &str) -> &str {
    action.split_once(':').map_or("", |(service, _)| service)
}

impl ActionIndex {
    fn build(statements: &[CompiledStatement]) -> ActionIndex {
        let mut services: Vec<(Box<str>, Vec<u32>)> = Vec::new();
        let mut always = Vec::new();
        for (i, s) in statements.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            let literal_services: Option<Vec<&str>> = if s.not_action {
                None
            } else {
                s.actions
                    .iter()
                    .map(|p| {
                        let prefix = p.literal_prefix();
                        // Only a literal service followed by ':' pins the statement.
                        prefix.split_once(':').map(|(service, _)| service)
                    })
                    .collect()
            };
            match literal_services {
                None => always.push(i),
                Some(list) => {
                    for service in list {
                        match services.iter_mut().find(|(s, _)| &**s == service) {
                            Some((_, ids)) => {
                                if ids.last() != Some(&i) {
                                    ids.push(i);
                                }
                            }
                            None => services.push((service.into(), vec![i])),
                        }
                    }
                }
            }
        }
        ActionIndex {
            services: services
                .into_iter()
                .map(|(s, ids)| (s, ids.into_boxed_slice()))
                .collect(),
            always: always.into_boxed_slice(),
        }
    }

    fn candidates(&self, action: &str) -> (&[u32], &[u32]) {
        let service = service_of(action);
        let by_service = self
            .services
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(service))
            .map_or(&[][..], |(_, ids)| ids);
        (by_service, &self.always)
    }
}

/// Iterates two ascending, disjoint index lists in ascending order.
struct MergeSorted<'a> {
    a: &'a [u32],
    b: &'a [u32],
}

impl<'a> MergeSorted<'a> {
    fn new(a: &'a [u32], b: &'a [u32]) -> Self {
        MergeSorted { a, b }
    }
}

impl Iterator for MergeSorted<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let take_a = match (self.a.first(), self.b.first()) {
            (Some(x), Some(y)) => x < y,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        let (head, rest) = if take_a {
            self.a.split_first()?
        } else {
            self.b.split_first()?
        };
        if take_a {
            self.a = rest;
        } else {
            self.b = rest;
        }
        Some(*head)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn index_groups_statements_by_service() {
        let p = CompiledPolicy::from_text(
            r#"{"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},
              {"Effect":"Allow","Action":["iam:Get*","s3:Put*"],"Resource":"*"},
              {"Effect":"Deny","NotAction":"s3:*","Resource":"*"},
              {"Effect":"Allow","Action":"*","Resource":"*"},
              {"Effect":"Allow","Action":"*:List*","Resource":"*"}]}"#,
            PolicyKind::Identity,
        )
        .unwrap();
        let (a, b) = p.index.candidates("S3:GetObject");
        assert_eq!(
            MergeSorted::new(a, b).collect::<Vec<_>>(),
            vec![0, 1, 2, 3, 4]
        );
        let (a, b) = p.index.candidates("iam:GetUser");
        assert_eq!(MergeSorted::new(a, b).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
        let (a, b) = p.index.candidates("sts:AssumeRole");
        assert_eq!(MergeSorted::new(a, b).collect::<Vec<_>>(), vec![2, 3, 4]);
    }
}
