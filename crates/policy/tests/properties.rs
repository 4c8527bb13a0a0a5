//! Property tests of the evaluator's algebra and of wildcard matching.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use hourglass_policy::*;
use proptest::prelude::*;

const ACCOUNT: &str = "111122223333";
const ACTION_PATTERNS: &[&str] = &[
    "s3:GetObject",
    "s3:*",
    "s3:Get*",
    "s3:?utObject",
    "iam:*",
    "*",
    "iam:GetUser",
    "s3:PutObject",
];
const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "iam:GetUser",
    "iam:CreateUser",
    "ec2:RunInstances",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::c/*",
    "arn:aws:iam::*:user/*",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::c/x",
    "arn:aws:iam::111122223333:user/u",
    "arn:aws:s3:::b/other",
];
const CONDITIONS: &[&str] = &[
    "",
    r#","Condition":{"StringEquals":{"aws:PrincipalTag/t":"x"}}"#,
    r#","Condition":{"StringNotEquals":{"aws:PrincipalTag/t":"x"}}"#,
    r#","Condition":{"Bool":{"aws:SecureTransport":"true"}}"#,
    r#","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}"#,
    r#","Condition":{"NumericLessThan":{"s3:max-keys":"10"}}"#,
];

#[derive(Debug, Clone)]
struct Stmt {
    deny: bool,
    not_action: bool,
    actions: Vec<usize>,
    resources: Vec<usize>,
    condition: usize,
}

fn stmt() -> impl Strategy<Value = Stmt> {
    (
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::collection::vec(0..ACTION_PATTERNS.len(), 1..3),
        prop::collection::vec(0..RESOURCE_PATTERNS.len(), 1..3),
        0..CONDITIONS.len(),
    )
        .prop_map(|(deny, not_action, actions, resources, condition)| Stmt {
            deny,
            not_action,
            actions,
            resources,
            condition,
        })
}

fn quoted(list: &[usize], table: &[&str]) -> String {
    let items: Vec<String> = list.iter().map(|i| format!("\"{}\"", table[*i])).collect();
    format!("[{}]", items.join(","))
}

/// Bucket policies refuse "*" and IAM resources: they use the bucket's own ARNs.
const BUCKET_RESOURCE_PATTERNS: &[&str] = &[
    "arn:aws:s3:::b",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::c/*",
    "arn:aws:s3:::b/o*",
];

fn render(statements: &[Stmt], principal: Option<&str>, resources: &[&str]) -> String {
    let body: Vec<String> = statements
        .iter()
        .map(|s| {
            let principal = principal.map_or(String::new(), |p| format!(r#""Principal":{p},"#));
            format!(
                r#"{{"Effect":"{}",{principal}"{}":{},"Resource":{}{}}}"#,
                if s.deny { "Deny" } else { "Allow" },
                if s.not_action { "NotAction" } else { "Action" },
                quoted(&s.actions, ACTION_PATTERNS),
                quoted(&s.resources, resources),
                CONDITIONS[s.condition],
            )
        })
        .collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        body.join(",")
    )
}

fn attach(id: &str, statements: &[Stmt], kind: PolicyKind) -> AttachedPolicy {
    let text = if kind == PolicyKind::Resource {
        render(statements, Some(r#""*""#), BUCKET_RESOURCE_PATTERNS)
    } else {
        render(statements, None, RESOURCE_PATTERNS)
    };
    let compiled = CompiledPolicy::from_text(&text, kind).unwrap_or_else(|e| panic!("{e}: {text}"));
    AttachedPolicy::new(id, Arc::new(compiled))
}

#[derive(Debug, Clone)]
struct Request {
    action: usize,
    resource: usize,
    tag: Option<bool>,
    tls: bool,
    tag_keys: Vec<bool>,
    max_keys: u8,
}

fn request() -> impl Strategy<Value = Request> {
    (
        0..ACTIONS.len(),
        0..RESOURCES.len(),
        prop::option::of(any::<bool>()),
        any::<bool>(),
        prop::collection::vec(any::<bool>(), 0..3),
        0u8..20,
    )
        .prop_map(|(action, resource, tag, tls, tag_keys, max_keys)| Request {
            action,
            resource,
            tag,
            tls,
            tag_keys,
            max_keys,
        })
}

fn context<'a>(r: &Request, principal: Principal<'a>, max_keys: &'a str) -> RequestContext<'a> {
    let mut ctx = RequestContext::new(ACTIONS[r.action], Some(RESOURCES[r.resource]), principal)
        .with("aws:SecureTransport", if r.tls { "true" } else { "false" })
        .with("s3:max-keys", max_keys);
    if let Some(t) = r.tag {
        ctx.set("aws:PrincipalTag/t", if t { "x" } else { "y" });
    }
    ctx.set_values(
        "aws:TagKeys",
        r.tag_keys
            .iter()
            .map(|k| if *k { "a".into() } else { "b".into() })
            .collect(),
    );
    ctx
}

fn alice() -> Principal<'static> {
    Principal::user(
        ACCOUNT,
        "arn:aws:iam::111122223333:user/alice",
        "AIDAALICEXXXXXXXXXXXX",
    )
}

fn session() -> Principal<'static> {
    Principal::assumed_role(
        ACCOUNT,
        "arn:aws:sts::111122223333:assumed-role/r/s",
        "arn:aws:iam::111122223333:role/r",
        "AROARXXXXXXXXXXXXXXXX",
        "AROARXXXXXXXXXXXXXXXX:s",
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// A Deny statement can only take permissions away.
    #[test]
    fn adding_a_deny_never_allows_more(
        identity in prop::collection::vec(stmt(), 1..5),
        bucket in prop::collection::vec(stmt(), 0..3),
        extra in stmt(),
        r in request(),
    ) {
        let max_keys = r.max_keys.to_string();
        let ctx = context(&r, alice(), &max_keys);
        let base = [attach("p", &identity, PolicyKind::Identity)];
        let bucket_policy = (!bucket.is_empty()).then(|| attach("b", &bucket, PolicyKind::Resource));
        let input = EvaluationInput {
            identity: &base,
            resource_policy: bucket_policy.as_ref(),
            ..Default::default()
        };
        let before = evaluate(&input, &ctx);
        let deny = Stmt { deny: true, ..extra };
        let with_deny = [base[0].clone(), attach("d", &[deny], PolicyKind::Identity)];
        let after = evaluate(&EvaluationInput { identity: &with_deny, ..input }, &ctx);
        prop_assert!(!after.is_allowed() || before.is_allowed(), "{before:?} -> {after:?}");
        if before.effect == DecisionEffect::ExplicitDeny {
            prop_assert_eq!(after.effect, DecisionEffect::ExplicitDeny);
        }
    }

    /// Session policies only ever restrict a role session.
    #[test]
    fn a_session_policy_never_widens(
        identity in prop::collection::vec(stmt(), 1..4),
        bucket in prop::collection::vec(stmt(), 0..3),
        session_policy in prop::collection::vec(stmt(), 1..4),
        r in request(),
    ) {
        let max_keys = r.max_keys.to_string();
        let ctx = context(&r, session(), &max_keys);
        let id = [attach("p", &identity, PolicyKind::Identity)];
        let bucket_policy = (!bucket.is_empty()).then(|| attach("b", &bucket, PolicyKind::Resource));
        let sp = [attach("s", &session_policy, PolicyKind::Identity)];
        let without = EvaluationInput { identity: &id, resource_policy: bucket_policy.as_ref(), ..Default::default() };
        let with = EvaluationInput { session_policies: Some(&sp), ..without };
        let before = evaluate(&without, &ctx);
        let after = evaluate(&with, &ctx);
        prop_assert!(!after.is_allowed() || before.is_allowed(), "{before:?} -> {after:?}");
    }

    /// `NotAction: X` applies to exactly the actions `Action: X` does not.
    #[test]
    fn not_action_is_the_complement_of_action(
        patterns in prop::collection::vec(0..ACTION_PATTERNS.len(), 1..4),
        action in "(s3|iam|ec2|S3|IAM):(Get|Put|List|Create)(Object|User|Bucket)",
    ) {
        let positive = Stmt { deny: false, not_action: false, actions: patterns.clone(), resources: vec![0], condition: 0 };
        let negative = Stmt { not_action: true, ..positive.clone() };
        let ctx = RequestContext::new(&action, None, alice());
        let allowed = |s: &Stmt| {
            let p = [attach("p", std::slice::from_ref(s), PolicyKind::Identity)];
            evaluate(&EvaluationInput { identity: &p, ..Default::default() }, &ctx).is_allowed()
        };
        prop_assert_ne!(allowed(&positive), allowed(&negative));
    }

    /// Resource globs and StringLike agree with a naive recursive matcher.
    #[test]
    fn wildcards_agree_with_a_reference_matcher(
        pattern in "[ab*?/]{0,8}",
        text in "[ab/]{0,8}",
    ) {
        let expected = reference_match(pattern.as_bytes(), text.as_bytes());
        let resource_policy = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{pattern}"}}}}"#
        );
        let like_policy = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{{"StringLike":{{"s3:prefix":"{pattern}"}}}}}}}}"#
        );
        let arn = format!("arn:aws:s3:::{text}");
        let ctx = RequestContext::new("s3:GetObject", Some(&arn), alice()).with("s3:prefix", text.as_str());
        for policy in [resource_policy, like_policy] {
            let p = [AttachedPolicy::new("p", Arc::new(CompiledPolicy::from_text(&policy, PolicyKind::Identity).unwrap()))];
            let got = evaluate(&EvaluationInput { identity: &p, ..Default::default() }, &ctx).is_allowed();
            prop_assert_eq!(got, expected, "pattern {:?} text {:?}", pattern, text);
        }
    }

    /// Action matching is the same glob, case-insensitive.
    #[test]
    fn action_wildcards_agree_with_a_reference_matcher(
        pattern in "[aB*?]{0,6}",
        text in "[Ab]{0,6}",
    ) {
        let expected = reference_match(pattern.to_ascii_lowercase().as_bytes(), text.to_ascii_lowercase().as_bytes());
        let policy = format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"svc:{pattern}","Resource":"*"}}}}"#);
        let action = format!("svc:{text}");
        let ctx = RequestContext::new(&action, None, alice());
        let p = [AttachedPolicy::new("p", Arc::new(CompiledPolicy::from_text(&policy, PolicyKind::Identity).unwrap()))];
        let got = evaluate(&EvaluationInput { identity: &p, ..Default::default() }, &ctx).is_allowed();
        prop_assert_eq!(got, expected);
    }

    /// The parser never panics, whatever the input.
    #[test]
    fn parser_total_on_arbitrary_text(text in ".{0,200}") {
        for kind in [PolicyKind::Identity, PolicyKind::Managed, PolicyKind::Trust, PolicyKind::Resource, PolicyKind::Scp] {
            let _ = parse(&text, kind);
        }
    }
}

/// The textbook definition: `*` matches any run, `?` one byte, else literal.
fn reference_match(p: &[u8], t: &[u8]) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some((b'*', rest)) => (0..=t.len()).any(|i| reference_match(rest, &t[i..])),
        Some((b'?', rest)) => !t.is_empty() && reference_match(rest, &t[1..]),
        Some((c, rest)) => t.first() == Some(c) && reference_match(rest, &t[1..]),
    }
}
