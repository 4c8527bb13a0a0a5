//! Trust evaluation for the AssumeRole family (spec §5.7).
//!
//! Every required action (`sts:AssumeRole…`, plus `sts:TagSession` when tags are
//! passed or inherited, plus `sts:SetSourceIdentity` when a source identity is) runs
//! through the ordinary decision with the trust policy as the resource-based policy, so
//! the same- and cross-account rules apply unchanged: in the same account a trust
//! policy naming the user or session suffices, one naming the account needs an identity
//! allow too; across accounts both sides must allow.

use crate::context::{PrincipalKind, RequestContext};
use crate::decision::{AttachedPolicy, Decision, DecisionEffect, Reason};
use crate::evaluate::{EvaluationInput, decide};

/// Which AssumeRole operation is being authorised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssumeRoleAction {
    /// `sts:AssumeRole` by a user or role session.
    AssumeRole,
    /// `sts:AssumeRoleWithWebIdentity` (principal: the OIDC provider).
    AssumeRoleWithWebIdentity,
    /// `sts:AssumeRoleWithSAML` (principal: the SAML provider).
    AssumeRoleWithSaml,
}

impl AssumeRoleAction {
    /// The IAM action name.
    pub fn action(self) -> &'static str {
        match self {
            AssumeRoleAction::AssumeRole => "sts:AssumeRole",
            AssumeRoleAction::AssumeRoleWithWebIdentity => "sts:AssumeRoleWithWebIdentity",
            AssumeRoleAction::AssumeRoleWithSaml => "sts:AssumeRoleWithSAML",
        }
    }
}

/// An AssumeRole-family request to authorise.
#[derive(Debug, Clone, Copy)]
pub struct AssumeRoleRequest<'a> {
    /// The operation.
    pub action: AssumeRoleAction,
    /// The role's ARN (with path).
    pub role_arn: &'a str,
    /// The account owning the role.
    pub role_account: &'a str,
    /// The role's trust policy.
    pub trust_policy: &'a AttachedPolicy,
    /// Session tags are passed, or transitive tags inherited: `sts:TagSession` required.
    pub tags: bool,
    /// A source identity is passed or inherited: `sts:SetSourceIdentity` required.
    pub source_identity: bool,
}

/// The outcome of a trust evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustDecision {
    /// The decision of the first required action that was not allowed, or of
    /// the AssumeRole action itself when all were allowed.
    pub decision: Decision,
    /// The action `decision` is about.
    pub action: &'static str,
}

impl TrustDecision {
    /// Whether the role may be assumed.
    pub fn is_allowed(&self) -> bool {
        self.decision.is_allowed()
    }

    /// The AccessDenied message STS returns (`None` when allowed). STS words AssumeRole
    /// denials without a reason clause; root callers get their own message.
    pub fn access_denied_message(&self, principal_arn: &str, role_arn: &str) -> Option<String> {
        if self.is_allowed() {
            return None;
        }
        if self
            .decision
            .reasons
            .contains(&Reason::RootCannotAssumeRole)
        {
            return Some("Roles may not be assumed by root accounts.".to_owned());
        }
        Some(format!(
            "User: {principal_arn} is not authorized to perform: {} on resource: {role_arn}",
            self.action
        ))
    }
}

/// Authorises an AssumeRole-family request.
///
/// `caller` lists the caller's identity policies, boundary and session policies (its
/// `resource_policy` and `resource_account` are replaced by the trust policy and the
/// role's account). `ctx` carries the caller and the trust-evaluation keys
/// (`sts:ExternalId`, `sts:RoleSessionName`, `aws:RequestTag/…`, …); its action and
/// resource are ignored.
pub fn evaluate_assume_role(
    caller: &EvaluationInput<'_>,
    ctx: &RequestContext<'_>,
    request: &AssumeRoleRequest<'_>,
) -> TrustDecision {
    let main = request.action.action();
    let refuse = |reason| TrustDecision {
        decision: Decision::single(DecisionEffect::ImplicitDeny, reason),
        action: main,
    };
    match ctx.principal.kind {
        PrincipalKind::Root => return refuse(Reason::RootCannotAssumeRole),
        PrincipalKind::FederatedUser => return refuse(Reason::FederatedUserCannotAssumeRole),
        _ => {}
    }
    let input = EvaluationInput {
        resource_policy: Some(request.trust_policy),
        resource_account: Some(request.role_account),
        ..*caller
    };
    let required = [
        Some(main),
        request.tags.then_some("sts:TagSession"),
        request.source_identity.then_some("sts:SetSourceIdentity"),
    ];
    let mut first = None;
    for action in required.into_iter().flatten() {
        let decision = decide(&input, ctx, action, Some(request.role_arn), true);
        if !decision.is_allowed() {
            return TrustDecision { decision, action };
        }
        if first.is_none() {
            first = Some(decision);
        }
    }
    match first {
        Some(decision) => TrustDecision {
            decision,
            action: main,
        },
        None => refuse(Reason::NoAllow(crate::decision::PolicyType::Resource)),
    }
}
