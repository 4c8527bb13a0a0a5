//! The evaluation algorithm (spec §5.6): explicit deny wins; SCPs must allow; root acts
//! freely on its own account; then the same- and cross-account rules combine identity
//! policies, permissions boundary, session policies and the resource-based policy.

use smallvec::SmallVec;

use crate::compile::{Hit, PrincipalMatch};
use crate::context::{PrincipalKind, RequestContext};
use crate::decision::{AttachedPolicy, Decision, DecisionEffect, PolicyType, Reason, StatementRef};
use crate::document::Effect;

/// The policies that apply to one request, borrowed from the caller.
///
/// What to pass, per caller: an IAM user → its inline and managed policies plus those of
/// its groups; a role session → the role's policies, and the session policies in
/// `session_policies`; a federated user → the parent user's policies and its session
/// policies (`Some(&[])` if none were passed: such a session has no permissions); root,
/// anonymous → no identity policies.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvaluationInput<'p> {
    /// Identity-based policies.
    pub identity: &'p [AttachedPolicy],
    /// The resource-based policy (bucket policy, or the trust policy for AssumeRole).
    pub resource_policy: Option<&'p AttachedPolicy>,
    /// The account owning the resource; `None` means the caller's own account (IAM and
    /// STS resources).
    pub resource_account: Option<&'p str>,
    /// The permissions boundary of the user or role, if it has one.
    pub permissions_boundary: Option<&'p AttachedPolicy>,
    /// Session policies; `None` when the session was created without any.
    pub session_policies: Option<&'p [AttachedPolicy]>,
    /// Service control policies, one slice per level of the organisation (root, OUs,
    /// account). Each level must allow. Empty when SCPs are not modelled or the caller
    /// is in the management account.
    pub service_control_policies: &'p [Vec<AttachedPolicy>],
}

/// Decides a request: `ctx.action` on `ctx.resource` by `ctx.principal`.
///
/// Pure and allocation-free on the common path (up to 8 matching statements).
pub fn evaluate(input: &EvaluationInput<'_>, ctx: &RequestContext<'_>) -> Decision {
    decide(input, ctx, ctx.action, ctx.resource, false)
}

struct Tagged<'p> {
    policy_type: PolicyType,
    policy: &'p AttachedPolicy,
    hit: Hit,
}

#[derive(Default, Clone, Copy)]
struct SetResult {
    allow: bool,
    deny: bool,
    /// Resource-based policies: the strongest way an Allow statement named the caller.
    grant: Option<PrincipalMatch>,
}

fn run<'p>(
    policy_type: PolicyType,
    policies: impl IntoIterator<Item = &'p AttachedPolicy>,
    ctx: &RequestContext<'_>,
    action: &str,
    resource: Option<&str>,
    hits: &mut SmallVec<[Tagged<'p>; 8]>,
    grant_rank: impl Fn(PrincipalMatch) -> u8,
) -> SetResult {
    let mut result = SetResult::default();
    for policy in policies {
        policy.policy.evaluate(ctx, action, resource, |hit| {
            match hit.effect {
                Effect::Deny => result.deny = true,
                Effect::Allow => {
                    result.allow = true;
                    if let Some(m) = hit.principal
                        && result.grant.is_none_or(|g| grant_rank(m) > grant_rank(g))
                    {
                        result.grant = Some(m);
                    }
                }
            }
            hits.push(Tagged {
                policy_type,
                policy,
                hit,
            });
        });
    }
    result
}

fn is_authentication_action(action: &str) -> bool {
    action.eq_ignore_ascii_case("sts:GetCallerIdentity")
        || action.eq_ignore_ascii_case("sts:GetSessionToken")
}

fn is_assume_role_action(action: &str) -> bool {
    action
        .get(..14)
        .is_some_and(|p| p.eq_ignore_ascii_case("sts:AssumeRole"))
}

/// What a resource-policy grant is worth to the caller in the same account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum GrantStrength {
    /// Names the account: grants nothing by itself.
    None,
    /// Names the role (or parent user): still cut by boundary and session policies.
    Limited,
    /// Names the user or the session: grants by itself.
    Full,
}

fn grant_strength(kind: PrincipalKind, m: PrincipalMatch) -> GrantStrength {
    match m {
        PrincipalMatch::User | PrincipalMatch::Session => GrantStrength::Full,
        PrincipalMatch::Role => GrantStrength::Limited,
        // `"*"` is as good as naming the caller; for sessions, as good as naming the
        // role (spec choice, see README).
        PrincipalMatch::Everyone if kind == PrincipalKind::User => GrantStrength::Full,
        PrincipalMatch::Everyone => GrantStrength::Limited,
        PrincipalMatch::Account => GrantStrength::None,
    }
}

pub(crate) fn decide(
    input: &EvaluationInput<'_>,
    ctx: &RequestContext<'_>,
    action: &str,
    resource: Option<&str>,
    trust: bool,
) -> Decision {
    if is_authentication_action(action) {
        return Decision::single(DecisionEffect::Allow, Reason::AuthenticationAction);
    }
    let principal = &ctx.principal;
    let trust = trust || is_assume_role_action(action);
    if trust && principal.kind == PrincipalKind::Root {
        return Decision::single(DecisionEffect::ImplicitDeny, Reason::RootCannotAssumeRole);
    }
    let kind = principal.kind;
    let rank = |m: PrincipalMatch| grant_strength(kind, m) as u8;
    let mut hits: SmallVec<[Tagged<'_>; 8]> = SmallVec::new();

    let mut scp_denied = false;
    let mut scp_allowed = true;
    for level in input.service_control_policies {
        let r = run(
            PolicyType::ServiceControl,
            level,
            ctx,
            action,
            resource,
            &mut hits,
            rank,
        );
        scp_denied |= r.deny;
        scp_allowed &= r.allow;
    }
    let rbp = run(
        PolicyType::Resource,
        input.resource_policy,
        ctx,
        action,
        resource,
        &mut hits,
        rank,
    );
    let identity = run(
        PolicyType::Identity,
        input.identity,
        ctx,
        action,
        resource,
        &mut hits,
        rank,
    );
    let boundary = input.permissions_boundary.map(|b| {
        run(
            PolicyType::PermissionsBoundary,
            Some(b),
            ctx,
            action,
            resource,
            &mut hits,
            rank,
        )
    });
    let session = input.session_policies.map(|s| {
        run(
            PolicyType::Session,
            s,
            ctx,
            action,
            resource,
            &mut hits,
            rank,
        )
    });

    let any_deny = scp_denied
        || rbp.deny
        || identity.deny
        || boundary.is_some_and(|b| b.deny)
        || session.is_some_and(|s| s.deny);
    if any_deny {
        return with_statements(DecisionEffect::ExplicitDeny, &hits, Effect::Deny);
    }
    if !scp_allowed {
        return Decision::single(
            DecisionEffect::ImplicitDeny,
            Reason::NoAllow(PolicyType::ServiceControl),
        );
    }

    let same_account = input
        .resource_account
        .is_none_or(|owner| owner == principal.account);
    let allow = || with_statements(DecisionEffect::Allow, &hits, Effect::Allow);
    let no_resource_allow = || {
        Decision::single(
            DecisionEffect::ImplicitDeny,
            Reason::NoAllow(PolicyType::Resource),
        )
    };

    match kind {
        PrincipalKind::Root => {
            return if same_account {
                Decision::single(DecisionEffect::Allow, Reason::RootUser)
            } else if rbp.allow {
                allow()
            } else {
                no_resource_allow()
            };
        }
        // No requester-side policies exist: only a resource-based grant can allow.
        PrincipalKind::Anonymous
        | PrincipalKind::Service
        | PrincipalKind::WebIdentity
        | PrincipalKind::Saml => {
            return if rbp.allow {
                allow()
            } else {
                no_resource_allow()
            };
        }
        PrincipalKind::User | PrincipalKind::AssumedRole | PrincipalKind::FederatedUser => {}
    }

    let id_ok = identity.allow;
    let pb_ok = boundary.is_none_or(|b| b.allow);
    let sp_ok = match session {
        Some(s) => s.allow,
        // A federated user without session policies has no permissions of its own.
        None => kind != PrincipalKind::FederatedUser,
    };
    let mut missing: SmallVec<[Reason; 4]> = SmallVec::new();
    let mut note_missing = |ok: bool, t: PolicyType| {
        if !ok {
            missing.push(Reason::NoAllow(t));
        }
    };

    if same_account {
        let strength = rbp
            .grant
            .map_or(GrantStrength::None, |m| grant_strength(kind, m));
        match strength {
            GrantStrength::Full => return allow(),
            GrantStrength::Limited if pb_ok && sp_ok => return allow(),
            GrantStrength::Limited => {
                note_missing(pb_ok, PolicyType::PermissionsBoundary);
                note_missing(sp_ok, PolicyType::Session);
                return Decision::new(DecisionEffect::ImplicitDeny, missing);
            }
            GrantStrength::None => {}
        }
        // A trust policy must name the caller, at least by its account.
        if trust && !rbp.allow {
            return no_resource_allow();
        }
        if id_ok && pb_ok && sp_ok {
            return allow();
        }
        note_missing(id_ok, PolicyType::Identity);
        note_missing(pb_ok, PolicyType::PermissionsBoundary);
        note_missing(sp_ok, PolicyType::Session);
        Decision::new(DecisionEffect::ImplicitDeny, missing)
    } else {
        if id_ok && pb_ok && sp_ok && rbp.allow {
            return allow();
        }
        note_missing(id_ok, PolicyType::Identity);
        note_missing(pb_ok, PolicyType::PermissionsBoundary);
        note_missing(sp_ok, PolicyType::Session);
        note_missing(rbp.allow, PolicyType::Resource);
        Decision::new(DecisionEffect::ImplicitDeny, missing)
    }
}

fn with_statements(effect: DecisionEffect, hits: &[Tagged<'_>], which: Effect) -> Decision {
    let reasons = hits
        .iter()
        .filter(|t| t.hit.effect == which)
        .map(|t| {
            let statement = StatementRef {
                policy_type: t.policy_type,
                policy_id: t.policy.id.clone(),
                index: t.hit.statement as usize,
                sid: t
                    .policy
                    .policy
                    .statement(t.hit.statement)
                    .and_then(|s| s.sid.clone()),
                principal_match: t.hit.principal,
            };
            match which {
                Effect::Allow => Reason::Allowed(statement),
                Effect::Deny => Reason::Denied(statement),
            }
        })
        .collect();
    Decision::new(effect, reasons)
}
