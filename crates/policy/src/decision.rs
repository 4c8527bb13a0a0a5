//! The result of an evaluation: an effect and the reasons for it.

use std::sync::Arc;

use smallvec::SmallVec;

use crate::compile::CompiledPolicy;
use crate::compile::PrincipalMatch;

/// The policy types AWS names in decisions and AccessDenied messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyType {
    /// Organisation service control policies.
    ServiceControl,
    /// Resource-based policies: bucket policies, role trust policies.
    Resource,
    /// Identity-based policies: inline and managed policies of the user, its groups, or
    /// the role.
    Identity,
    /// The permissions boundary of the user or role.
    PermissionsBoundary,
    /// Session policies passed when the session was created.
    Session,
}

impl PolicyType {
    /// The words AWS uses for this type in AccessDenied messages, with article:
    /// `an identity-based policy`, `a permissions boundary`, …
    pub fn with_article(self) -> &'static str {
        match self {
            PolicyType::ServiceControl => "a service control policy",
            PolicyType::Resource => "a resource-based policy",
            PolicyType::Identity => "an identity-based policy",
            PolicyType::PermissionsBoundary => "a permissions boundary",
            PolicyType::Session => "a session policy",
        }
    }

    /// The words without article: `identity-based policy`, `permissions boundary`, …
    pub fn name(self) -> &'static str {
        match self {
            PolicyType::ServiceControl => "service control policy",
            PolicyType::Resource => "resource-based policy",
            PolicyType::Identity => "identity-based policy",
            PolicyType::PermissionsBoundary => "permissions boundary",
            PolicyType::Session => "session policy",
        }
    }
}

/// A compiled policy with the label decisions report it by.
#[derive(Debug, Clone)]
pub struct AttachedPolicy {
    /// How reasons name the policy: a managed policy ARN
    /// (`arn:aws:iam::123456789012:policy/p`), or a label such as
    /// `inline:user/alice/p1`, `bucket:my-bucket`, `trust:role/r`.
    pub id: Arc<str>,
    /// The policy.
    pub policy: Arc<CompiledPolicy>,
}

impl AttachedPolicy {
    /// Labels a compiled policy.
    pub fn new(id: impl Into<Arc<str>>, policy: Arc<CompiledPolicy>) -> Self {
        AttachedPolicy {
            id: id.into(),
            policy,
        }
    }
}

/// One statement that took part in a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    /// The type of the policy holding the statement.
    pub policy_type: PolicyType,
    /// The policy's label ([`AttachedPolicy::id`]).
    pub policy_id: Arc<str>,
    /// The statement's position in the policy, from 0.
    pub index: usize,
    /// The statement's Sid, if any.
    pub sid: Option<Arc<str>>,
    /// For resource-based policies: how the statement's Principal named the caller.
    pub principal_match: Option<PrincipalMatch>,
}

/// Why a decision came out as it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// A matching Allow statement.
    Allowed(StatementRef),
    /// A matching Deny statement.
    Denied(StatementRef),
    /// No policy of this type allows the request (and one had to).
    NoAllow(PolicyType),
    /// The account's root user acting on its own account's resources.
    RootUser,
    /// `sts:GetCallerIdentity` / `sts:GetSessionToken`: authentication operations that no
    /// policy can deny.
    AuthenticationAction,
    /// AssumeRole by the root user is refused before any policy is read.
    RootCannotAssumeRole,
    /// Federated-user sessions cannot assume roles.
    FederatedUserCannotAssumeRole,
}

/// The outcome of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecisionEffect {
    /// The request is allowed.
    Allow,
    /// A Deny statement matched.
    ExplicitDeny,
    /// Nothing allowed the request (or not every required policy type did).
    ImplicitDeny,
}

/// An evaluation result: the effect and the reasons behind it.
///
/// For `Allow`, the reasons are the Allow statements that matched (or [`Reason::RootUser`]
/// / [`Reason::AuthenticationAction`]). For `ExplicitDeny`, every matching Deny statement.
/// For `ImplicitDeny`, each policy type that lacked an allow, most significant first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Allow, explicit deny or implicit deny.
    pub effect: DecisionEffect,
    /// Why.
    pub reasons: SmallVec<[Reason; 4]>,
}

impl Decision {
    pub(crate) fn new(effect: DecisionEffect, reasons: SmallVec<[Reason; 4]>) -> Self {
        Decision { effect, reasons }
    }

    pub(crate) fn single(effect: DecisionEffect, reason: Reason) -> Self {
        let mut reasons = SmallVec::new();
        reasons.push(reason);
        Decision { effect, reasons }
    }

    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.effect == DecisionEffect::Allow
    }

    /// The policy type a denial is attributed to: the type of the first matching Deny
    /// statement, or the first type that lacked an allow.
    pub fn denying_policy_type(&self) -> Option<PolicyType> {
        if self.is_allowed() {
            return None;
        }
        self.reasons.iter().find_map(|r| match r {
            Reason::Denied(s) => Some(s.policy_type),
            Reason::NoAllow(t) => Some(*t),
            _ => None,
        })
    }

    /// The statements that matched with the decision's effect (allowing or denying ones).
    pub fn statements(&self) -> impl Iterator<Item = &StatementRef> {
        self.reasons.iter().filter_map(|r| match r {
            Reason::Allowed(s) | Reason::Denied(s) => Some(s),
            _ => None,
        })
    }
}
