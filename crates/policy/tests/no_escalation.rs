//! "No escalation" as a property of the evaluator: permissions are the intersection of
//! the layers that apply to a caller, so no combination of layers may allow what one of
//! them alone does not allow, or what one of them denies.
//!
//! - A user or role session: identity policies ∩ permissions boundary ∩ session policies.
//! - A role chain: the parent session (role A) assumes role B, then acts. The hop is
//!   authorised by A's layers together with B's trust policy; the chained session then acts
//!   with B's layers only (AWS does not carry A's session policy into B's session, but
//!   without A's layers allowing the hop there is no B session at all).
//!
//! Every decision here goes through the public API (`evaluate`, `evaluate_assume_role`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use hourglass_policy::*;
use proptest::prelude::*;

const ACCOUNT: &str = "111122223333";
const OTHER_ACCOUNT: &str = "444455556666";
const ROLE_A: &str = "arn:aws:iam::111122223333:role/a";
const ROLE_B_SAME: &str = "arn:aws:iam::111122223333:role/b";
const ROLE_B_OTHER: &str = "arn:aws:iam::444455556666:role/b";

const ACTION_PATTERNS: &[&str] = &[
    "*",
    "s3:GetObject",
    "s3:*",
    "s3:Get*",
    "iam:*",
    "*",
    "iam:UpdateUser",
    "sts:AssumeRole",
    "sts:*",
    "s3:PutObject",
];
const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "iam:UpdateUser",
    "iam:AttachUserPolicy",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/${aws:username}/*",
    "arn:aws:iam::*:user/*",
    "arn:aws:iam::111122223333:user/admins/*",
    "arn:aws:iam::*:role/*",
    "arn:aws:iam::444455556666:role/b",
    "arn:aws:iam::111122223333:role/b",
    "arn:aws:s3:::b/${aws:PrincipalTag/t}/*",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::b/alice/k",
    "arn:aws:s3:::b/x/k",
    "arn:aws:s3:::c/x",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:user/admins/alice",
];
const CONDITIONS: &[&str] = &[
    "",
    r#","Condition":{"StringEquals":{"aws:PrincipalTag/t":"x"}}"#,
    r#","Condition":{"StringNotEquals":{"aws:PrincipalTag/t":"x"}}"#,
    r#","Condition":{"StringNotEquals":{"aws:PrincipalTag/t":"${aws:username}"}}"#,
    r#","Condition":{"StringLike":{"hourglass:unknown":"*"}}"#,
    r#","Condition":{"StringEqualsIfExists":{"hourglass:unknown":"x"}}"#,
    r#","Condition":{"Bool":{"aws:SecureTransport":"true"}}"#,
    r#","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/a"}}"#,
    r#","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/${nonexistent:key}"}}"#,
];

#[derive(Debug, Clone)]
struct Stmt {
    deny: bool,
    not_action: bool,
    not_resource: bool,
    actions: Vec<usize>,
    resources: Vec<usize>,
    condition: usize,
}

fn stmt() -> impl Strategy<Value = Stmt> {
    (
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
        prop::collection::vec(0..ACTION_PATTERNS.len(), 1..3),
        prop::collection::vec(0..RESOURCE_PATTERNS.len(), 1..3),
        // Half the statements are unconditional, so that allows are common enough for
        // the properties to bite.
        prop_oneof![Just(0), 0..CONDITIONS.len()],
    )
        .prop_map(
            |(deny, not_action, not_resource, actions, resources, condition)| Stmt {
                deny,
                not_action,
                not_resource,
                actions,
                resources,
                condition,
            },
        )
}

/// One policy: one to three statements.
fn policy() -> impl Strategy<Value = Vec<Stmt>> {
    prop::collection::vec(stmt(), 1..4)
}

fn quoted(list: &[usize], table: &[&str]) -> String {
    let items: Vec<String> = list.iter().map(|i| format!("\"{}\"", table[*i])).collect();
    format!("[{}]", items.join(","))
}

fn render(statements: &[Stmt]) -> String {
    let body: Vec<String> = statements
        .iter()
        .map(|s| {
            format!(
                r#"{{"Effect":"{}","{}":{},"{}":{}{}}}"#,
                if s.deny { "Deny" } else { "Allow" },
                if s.not_action { "NotAction" } else { "Action" },
                quoted(&s.actions, ACTION_PATTERNS),
                if s.not_resource {
                    "NotResource"
                } else {
                    "Resource"
                },
                quoted(&s.resources, RESOURCE_PATTERNS),
                CONDITIONS[s.condition],
            )
        })
        .collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        body.join(",")
    )
}

fn attach(id: &str, statements: &[Stmt]) -> AttachedPolicy {
    let text = render(statements);
    let compiled = CompiledPolicy::from_text(&text, PolicyKind::Identity)
        .unwrap_or_else(|e| panic!("{e}: {text}"));
    AttachedPolicy::new(id, Arc::new(compiled))
}

/// The layers of one caller: identity policies, an optional boundary, optional session
/// policies (several session policies are one layer: they combine as a union).
#[derive(Debug, Clone)]
struct Layers {
    identity: Vec<Vec<Stmt>>,
    boundary: Option<Vec<Stmt>>,
    session: Option<Vec<Vec<Stmt>>>,
}

fn layers() -> impl Strategy<Value = Layers> {
    (
        prop::collection::vec(policy(), 1..3),
        prop::option::weighted(0.6, policy()),
        prop::option::weighted(0.6, prop::collection::vec(policy(), 1..3)),
    )
        .prop_map(|(identity, boundary, session)| Layers {
            identity,
            boundary,
            session,
        })
}

/// Appends `extra` to the policies of `l` whose flag is set, so that a property about a
/// rare event (every layer allowing one action) sees that event often enough.
fn boost(l: &mut Layers, flags: &[bool], extra: &Stmt) {
    let mut flags = flags.iter().cycle();
    let policies = l
        .identity
        .iter_mut()
        .chain(l.boundary.iter_mut())
        .chain(l.session.iter_mut().flatten());
    for p in policies {
        if flags.next().copied().unwrap_or(false) {
            p.push(extra.clone());
        }
    }
}

fn allow_only(action: &str, resource: &str) -> Stmt {
    let index = |table: &[&str], x: &str| table.iter().position(|t| *t == x).unwrap();
    Stmt {
        deny: false,
        not_action: false,
        not_resource: false,
        actions: vec![index(ACTION_PATTERNS, action)],
        resources: vec![index(RESOURCE_PATTERNS, resource)],
        condition: 0,
    }
}

struct Compiled {
    identity: Vec<AttachedPolicy>,
    boundary: Option<AttachedPolicy>,
    session: Option<Vec<AttachedPolicy>>,
}

impl Compiled {
    fn new(l: &Layers) -> Compiled {
        Compiled {
            identity: l
                .identity
                .iter()
                .enumerate()
                .map(|(i, p)| attach(&format!("identity{i}"), p))
                .collect(),
            boundary: l.boundary.as_ref().map(|b| attach("boundary", b)),
            session: l.session.as_ref().map(|s| {
                s.iter()
                    .enumerate()
                    .map(|(i, p)| attach(&format!("session{i}"), p))
                    .collect()
            }),
        }
    }

    fn input(&self) -> EvaluationInput<'_> {
        EvaluationInput {
            identity: &self.identity,
            permissions_boundary: self.boundary.as_ref(),
            session_policies: self.session.as_deref(),
            ..Default::default()
        }
    }

    /// Each layer on its own, as the only identity policies of the caller.
    fn each_layer(&self) -> Vec<(&'static str, Vec<AttachedPolicy>)> {
        let mut out = vec![("identity", self.identity.clone())];
        if let Some(b) = &self.boundary {
            out.push(("boundary", vec![b.clone()]));
        }
        if let Some(s) = &self.session {
            out.push(("session", s.clone()));
        }
        out
    }
}

#[derive(Debug, Clone)]
struct Request {
    action: usize,
    resource: usize,
    tag: Option<bool>,
    tls: bool,
}

fn request() -> impl Strategy<Value = Request> {
    (
        0..ACTIONS.len(),
        0..RESOURCES.len(),
        prop::option::of(any::<bool>()),
        any::<bool>(),
    )
        .prop_map(|(action, resource, tag, tls)| Request {
            action,
            resource,
            tag,
            tls,
        })
}

fn keys<'a>(mut ctx: RequestContext<'a>, r: &Request) -> RequestContext<'a> {
    ctx.set("aws:SecureTransport", if r.tls { "true" } else { "false" });
    if let Some(t) = r.tag {
        ctx.set("aws:PrincipalTag/t", if t { "x" } else { "alice" });
    }
    ctx
}

fn alice() -> Principal<'static> {
    Principal::user(
        ACCOUNT,
        "arn:aws:iam::111122223333:user/alice",
        "AIDAALICEXXXXXXXXXXXX",
    )
}

fn session_of_a() -> Principal<'static> {
    Principal::assumed_role(
        ACCOUNT,
        "arn:aws:sts::111122223333:assumed-role/a/s",
        ROLE_A,
        "AROAAXXXXXXXXXXXXXXXX",
        "AROAAXXXXXXXXXXXXXXXX:s",
    )
}

fn session_of_b(account: &'static str, role: &'static str) -> Principal<'static> {
    let arn = if account == ACCOUNT {
        "arn:aws:sts::111122223333:assumed-role/b/chained"
    } else {
        "arn:aws:sts::444455556666:assumed-role/b/chained"
    };
    Principal::assumed_role(
        account,
        arn,
        role,
        "AROABXXXXXXXXXXXXXXXX",
        "AROABXXXXXXXXXXXXXXXX:chained",
    )
}

/// Checks Allow ⇔ (every layer alone allows ∧ no layer alone denies).
fn layered_decision_is_an_intersection(
    compiled: &Compiled,
    ctx: &RequestContext<'_>,
) -> Result<(), TestCaseError> {
    let decision = evaluate(&compiled.input(), ctx);
    let mut all_allow = true;
    let mut any_deny = false;
    for (name, layer) in compiled.each_layer() {
        let alone = evaluate(
            &EvaluationInput {
                identity: &layer,
                ..Default::default()
            },
            ctx,
        );
        all_allow &= alone.is_allowed();
        any_deny |= alone.effect == DecisionEffect::ExplicitDeny;
        if decision.is_allowed() {
            prop_assert!(
                alone.is_allowed(),
                "allowed although the {name} layer alone does not allow: {alone:?}"
            );
        }
    }
    prop_assert_eq!(decision.is_allowed(), all_allow && !any_deny);
    prop_assert_eq!(
        decision.effect == DecisionEffect::ExplicitDeny,
        any_deny,
        "{:?}",
        decision
    );
    Ok(())
}

/// A trust policy that names the account of the caller: it grants nothing by itself, so
/// the caller's own layers decide (same account), or must agree (cross account).
fn trust_naming_account() -> AttachedPolicy {
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    AttachedPolicy::new(
        "trust",
        Arc::new(CompiledPolicy::from_text(&text, PolicyKind::Trust).unwrap()),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// A user: identity ∩ boundary (session policies are not passed for long-term keys).
    #[test]
    fn user_permissions_are_identity_and_boundary(l in layers(), r in request()) {
        let l = Layers { session: None, ..l };
        let compiled = Compiled::new(&l);
        let ctx = keys(RequestContext::new(ACTIONS[r.action], Some(RESOURCES[r.resource]), alice()), &r);
        layered_decision_is_an_intersection(&compiled, &ctx)?;
    }

    /// A role session: identity ∩ boundary ∩ session policies.
    #[test]
    fn session_permissions_are_the_intersection_of_layers(
        mut l in layers(),
        flags in prop::collection::vec(prop::bool::weighted(0.5), 1..8),
        r in request(),
    ) {
        boost(&mut l, &flags, &allow_only("*", "*"));
        let compiled = Compiled::new(&l);
        let ctx = keys(RequestContext::new(ACTIONS[r.action], Some(RESOURCES[r.resource]), session_of_a()), &r);
        layered_decision_is_an_intersection(&compiled, &ctx)?;
    }

    /// A role chain: session of A (its own layers) assumes B (same account or another
    /// one, trust naming A's account), then the chained session acts with B's layers.
    /// The chain allows only if each of A's layers alone allows the hop, none denies it,
    /// and each of B's layers alone allows the action and none denies it.
    #[test]
    fn a_role_chain_never_exceeds_any_hop(
        mut parent in layers(),
        mut child in layers(),
        parent_boost in prop::collection::vec(prop::bool::weighted(0.85), 1..8),
        child_boost in prop::collection::vec(prop::bool::weighted(0.6), 1..8),
        cross_account in any::<bool>(),
        r in request(),
    ) {
        boost(&mut parent, &parent_boost, &allow_only("sts:AssumeRole", "arn:aws:iam::*:role/*"));
        boost(&mut child, &child_boost, &allow_only("*", "*"));
        let (b_account, b_arn) = if cross_account {
            (OTHER_ACCOUNT, ROLE_B_OTHER)
        } else {
            (ACCOUNT, ROLE_B_SAME)
        };
        let parent_c = Compiled::new(&parent);
        let child_c = Compiled::new(&child);
        let trust = trust_naming_account();
        let hop_ctx = keys(RequestContext::new("sts:AssumeRole", Some(b_arn), session_of_a()), &r);
        let hop = |input: &EvaluationInput<'_>| {
            evaluate_assume_role(
                input,
                &hop_ctx,
                &AssumeRoleRequest {
                    action: AssumeRoleAction::AssumeRole,
                    role_arn: b_arn,
                    role_account: b_account,
                    trust_policy: &trust,
                    tags: false,
                    source_identity: false,
                },
            )
        };
        let hop_allowed = hop(&parent_c.input()).is_allowed();

        let act_ctx = keys(
            RequestContext::new(ACTIONS[r.action], Some(RESOURCES[r.resource]), session_of_b(b_account, b_arn)),
            &r,
        );
        let act = evaluate(&child_c.input(), &act_ctx);
        let chain_allowed = hop_allowed && act.is_allowed();

        let mut hop_layers_allow = true;
        for (name, layer) in parent_c.each_layer() {
            let alone = hop(&EvaluationInput { identity: &layer, ..Default::default() });
            if chain_allowed {
                prop_assert!(alone.is_allowed(), "chain allowed although A's {name} layer alone refuses the hop: {alone:?}");
            }
            hop_layers_allow &= alone.is_allowed();
        }
        // The hop is exactly the intersection of A's layers (the trust names A's account).
        prop_assert_eq!(hop_allowed, hop_layers_allow);
        layered_decision_is_an_intersection(&child_c, &act_ctx)?;
    }
}
