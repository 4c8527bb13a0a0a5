//! Runs the decision corpus in `tests/corpus/*.json` and reports every failing case by
//! file and name.
//!
//! Each file is `{"description": …, "defaults": {…}, "cases": [case, …]}`; a case is
//! merged over `defaults` and is one of three shapes:
//!
//! - **parse**: `{"name", "parse": {"kind", "document" (JSON or string), "error": msg | null}}`
//! - **evaluate**: `{"name", "principal", "action", "resource"?, "context"?, "identity"?,
//!   "resource_policy"?, "resource_account"?, "boundary"?, "session"?, "scp"?, "expect"}`
//! - **trust**: the evaluate fields plus `"trust": {"action"?, "role", "role_account",
//!   "policy", "tags"?, "source_identity"?}`
//!
//! `expect` has `effect` (`Allow` / `ExplicitDeny` / `ImplicitDeny`) and optionally
//! `statements` (`"<type>/<policy id>/<index>"` of the deciding statements, in order),
//! `missing` (policy types without an allow), `message` (the AccessDenied text).
//!
//! Principals are written `user:ACCT:name` (path allowed: `user:ACCT:/eng/:alice`),
//! `session:ACCT:role:session`, `root:ACCT`, `federated:ACCT:name:parentuser`,
//! `anonymous`, `service:name`, `webidentity:provider`, `saml:provider`. Unique ids are
//! the prefix plus the upper-cased name padded with `X` to 21 characters
//! (`AIDAALICEXXXXXXXXXXXX`, role `r` → `AROARXXXXXXXXXXXXXXXX`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::borrow::Cow;
use std::sync::Arc;

use hourglass_policy::*;
use serde_json::{Map, Value};

struct OwnedPrincipal {
    kind: PrincipalKind,
    account: String,
    arn: String,
    user_id: String,
    parent_arn: Option<String>,
    parent_id: Option<String>,
}

/// A 21-character IAM unique id: prefix, the upper-cased name, padded with `X`
/// (`AIDA` + `alice` → `AIDAALICEXXXXXXXXXXXX`).
fn unique_id(prefix: &str, name: &str) -> String {
    let body: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    format!("{prefix}{body:X<17}")
}

impl OwnedPrincipal {
    fn parse(spec: &str) -> Result<OwnedPrincipal, String> {
        let parts: Vec<&str> = spec.split(':').collect();
        let p = |kind, account: &str, arn: String, user_id: String| OwnedPrincipal {
            kind,
            account: account.to_owned(),
            arn,
            user_id,
            parent_arn: None,
            parent_id: None,
        };
        Ok(match parts.as_slice() {
            ["user", account, name] => p(
                PrincipalKind::User,
                account,
                format!("arn:aws:iam::{account}:user/{name}"),
                unique_id("AIDA", name),
            ),
            ["user", account, path, name] => p(
                PrincipalKind::User,
                account,
                format!("arn:aws:iam::{account}:user{path}{name}"),
                unique_id("AIDA", name),
            ),
            ["session", account, role, session] => {
                let role_name = role.rsplit('/').next().unwrap_or(role);
                let role_id = unique_id("AROA", role_name);
                OwnedPrincipal {
                    kind: PrincipalKind::AssumedRole,
                    account: account.to_string(),
                    arn: format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session}"),
                    user_id: format!("{role_id}:{session}"),
                    parent_arn: Some(if role.starts_with('/') {
                        format!("arn:aws:iam::{account}:role{role}")
                    } else {
                        format!("arn:aws:iam::{account}:role/{role}")
                    }),
                    parent_id: Some(role_id),
                }
            }
            ["root", account] => p(
                PrincipalKind::Root,
                account,
                format!("arn:aws:iam::{account}:root"),
                account.to_string(),
            ),
            ["federated", account, name, parent] => OwnedPrincipal {
                kind: PrincipalKind::FederatedUser,
                account: account.to_string(),
                arn: format!("arn:aws:sts::{account}:federated-user/{name}"),
                user_id: format!("{account}:{name}"),
                parent_arn: Some(format!("arn:aws:iam::{account}:user/{parent}")),
                parent_id: None,
            },
            ["anonymous"] => p(
                PrincipalKind::Anonymous,
                "",
                String::new(),
                "anonymous".into(),
            ),
            ["service", ..] => {
                let name = &spec["service:".len()..];
                p(PrincipalKind::Service, "", name.into(), name.into())
            }
            ["webidentity", ..] => {
                let name = &spec["webidentity:".len()..];
                p(PrincipalKind::WebIdentity, "", name.into(), name.into())
            }
            ["saml", ..] => {
                let name = &spec["saml:".len()..];
                p(PrincipalKind::Saml, "", name.into(), name.into())
            }
            _ => return Err(format!("bad principal spec {spec:?}")),
        })
    }

    fn principal(&self) -> Principal<'_> {
        Principal {
            kind: self.kind,
            account: &self.account,
            arn: &self.arn,
            user_id: &self.user_id,
            parent_arn: self.parent_arn.as_deref(),
            parent_id: self.parent_id.as_deref(),
            canonical_user: None,
        }
    }
}

fn kind_of(name: &str) -> Result<PolicyKind, String> {
    Ok(match name {
        "identity" => PolicyKind::Identity,
        "managed" => PolicyKind::Managed,
        "trust" => PolicyKind::Trust,
        "resource" => PolicyKind::Resource,
        "scp" => PolicyKind::Scp,
        _ => return Err(format!("bad kind {name:?}")),
    })
}

fn type_name(t: PolicyType) -> &'static str {
    match t {
        PolicyType::ServiceControl => "scp",
        PolicyType::Resource => "resource",
        PolicyType::Identity => "identity",
        PolicyType::PermissionsBoundary => "boundary",
        PolicyType::Session => "session",
    }
}

fn document_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A policy entry: a document, or `{"id": …, "document": …}`.
fn attached(v: &Value, default_id: String, kind: PolicyKind) -> Result<AttachedPolicy, String> {
    let (id, doc) = match v.get("document") {
        Some(doc) => (
            v.get("id")
                .and_then(Value::as_str)
                .map_or(default_id, str::to_owned),
            doc,
        ),
        None => (default_id, v),
    };
    let compiled = CompiledPolicy::from_text(&document_text(doc), kind)
        .map_err(|e| format!("policy {id} refused: {e}"))?;
    Ok(AttachedPolicy::new(id, Arc::new(compiled)))
}

fn policy_list(
    case: &Map<String, Value>,
    field: &str,
    prefix: &str,
    kind: PolicyKind,
) -> Result<Vec<AttachedPolicy>, String> {
    match case.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| attached(v, format!("{prefix}{i}"), kind))
            .collect(),
        Some(single) => Ok(vec![attached(single, format!("{prefix}0"), kind)?]),
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn run_parse(spec: &Value) -> Result<(), String> {
    let kind = kind_of(spec["kind"].as_str().ok_or("parse.kind missing")?)?;
    let text = document_text(&spec["document"]);
    let result = parse(&text, kind);
    match (&spec["error"], result) {
        (Value::Null, Ok(_)) => Ok(()),
        (Value::Null, Err(e)) => Err(format!("expected valid, got {e}")),
        (Value::String(msg), Err(e)) if e.message == *msg => {
            let want_code = if kind == PolicyKind::Resource {
                ErrorCode::MalformedPolicy
            } else {
                ErrorCode::MalformedPolicyDocument
            };
            if e.code == want_code {
                Ok(())
            } else {
                Err(format!("wrong code {:?}", e.code))
            }
        }
        (Value::String(msg), Err(e)) => Err(format!("expected {msg:?}, got {:?}", e.message)),
        (Value::String(msg), Ok(_)) => Err(format!("expected {msg:?}, got a valid policy")),
        (other, _) => Err(format!("bad parse.error {other}")),
    }
}

fn run_decision(case: &Map<String, Value>) -> Result<(), String> {
    let principal_spec = case
        .get("principal")
        .and_then(Value::as_str)
        .ok_or("principal missing")?;
    let owned = OwnedPrincipal::parse(principal_spec)?;
    let principal = owned.principal();
    let action = case.get("action").and_then(Value::as_str).unwrap_or("");
    let resource = case.get("resource").and_then(Value::as_str);
    let mut ctx = RequestContext::new(action, resource, principal);
    if let Some(Value::Object(keys)) = case.get("context") {
        for (k, v) in keys {
            match v {
                Value::Array(items) => ctx.set_values(
                    k.as_str(),
                    items.iter().map(|i| Cow::Owned(scalar_text(i))).collect(),
                ),
                Value::Null => ctx.remove(k.as_str()),
                other => ctx.set(k.as_str(), scalar_text(other)),
            }
        }
    }
    let identity = policy_list(case, "identity", "identity", PolicyKind::Identity)?;
    let resource_policy = policy_list(case, "resource_policy", "resource", PolicyKind::Resource)?;
    let boundary = policy_list(case, "boundary", "boundary", PolicyKind::Managed)?;
    let session = policy_list(case, "session", "session", PolicyKind::Identity)?;
    let scp_levels: Vec<Vec<AttachedPolicy>> = match case.get("scp") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(levels)) => levels
            .iter()
            .enumerate()
            .map(|(l, level)| {
                let items = match level {
                    Value::Array(items) => items.clone(),
                    single => vec![single.clone()],
                };
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| attached(v, format!("scp{l}.{i}"), PolicyKind::Scp))
                    .collect()
            })
            .collect::<Result<_, String>>()?,
        Some(_) => return Err("scp must be a list of levels".into()),
    };
    let input = EvaluationInput {
        identity: &identity,
        resource_policy: resource_policy.first(),
        resource_account: case.get("resource_account").and_then(Value::as_str),
        permissions_boundary: boundary.first(),
        session_policies: case.contains_key("session").then_some(session.as_slice()),
        service_control_policies: &scp_levels,
    };

    let (decision, message) = if let Some(trust) = case.get("trust") {
        let trust_policy = attached(&trust["policy"], "trust".into(), PolicyKind::Trust)?;
        let role = trust["role"].as_str().ok_or("trust.role missing")?;
        let request = AssumeRoleRequest {
            action: match trust.get("action").and_then(Value::as_str) {
                None | Some("sts:AssumeRole") => AssumeRoleAction::AssumeRole,
                Some("sts:AssumeRoleWithWebIdentity") => {
                    AssumeRoleAction::AssumeRoleWithWebIdentity
                }
                Some("sts:AssumeRoleWithSAML") => AssumeRoleAction::AssumeRoleWithSaml,
                Some(other) => return Err(format!("bad trust action {other}")),
            },
            role_arn: role,
            role_account: trust["role_account"].as_str().ok_or("trust.role_account")?,
            trust_policy: &trust_policy,
            tags: trust.get("tags").and_then(Value::as_bool).unwrap_or(false),
            source_identity: trust
                .get("source_identity")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        };
        let t = evaluate_assume_role(&input, &ctx, &request);
        let message = t.access_denied_message(principal.display_arn(), role);
        (t.decision, message)
    } else {
        let d = evaluate(&input, &ctx);
        let message = d.access_denied_message(principal.display_arn(), action, resource);
        (d, message)
    };

    let expect = case.get("expect").ok_or("expect missing")?;
    let effect = match decision.effect {
        DecisionEffect::Allow => "Allow",
        DecisionEffect::ExplicitDeny => "ExplicitDeny",
        DecisionEffect::ImplicitDeny => "ImplicitDeny",
    };
    let want = expect["effect"].as_str().ok_or("expect.effect missing")?;
    if effect != want {
        return Err(format!(
            "expected {want}, got {effect} ({:?})",
            decision.reasons
        ));
    }
    if let Some(Value::Array(want)) = expect.get("statements") {
        let got: Vec<String> = decision
            .statements()
            .map(|s| format!("{}/{}/{}", type_name(s.policy_type), s.policy_id, s.index))
            .collect();
        let want: Vec<String> = want.iter().map(scalar_text).collect();
        if got != want {
            return Err(format!("statements: expected {want:?}, got {got:?}"));
        }
    }
    if let Some(Value::Array(want)) = expect.get("missing") {
        let got: Vec<&str> = decision
            .reasons
            .iter()
            .filter_map(|r| match r {
                Reason::NoAllow(t) => Some(type_name(*t)),
                _ => None,
            })
            .collect();
        let want: Vec<String> = want.iter().map(scalar_text).collect();
        if got != want {
            return Err(format!("missing: expected {want:?}, got {got:?}"));
        }
    }
    if let Some(sid) = expect.get("sid").and_then(Value::as_str) {
        let got: Vec<&str> = decision
            .statements()
            .filter_map(|s| s.sid.as_deref())
            .collect();
        if !got.contains(&sid) {
            return Err(format!("expected a statement with Sid {sid}, got {got:?}"));
        }
    }
    if let Some(want) = expect.get("message") {
        let want = want.as_str();
        if message.as_deref() != want {
            return Err(format!("message: expected {want:?}, got {message:?}"));
        }
    }
    Ok(())
}

fn merged(defaults: Option<&Value>, case: &Value) -> Map<String, Value> {
    let mut out = match defaults {
        Some(Value::Object(d)) => d.clone(),
        _ => Map::new(),
    };
    if let Value::Object(c) = case {
        for (k, v) in c {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

#[test]
fn decision_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut total = 0;
    let mut failures = Vec::new();
    let mut names = std::collections::HashSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read corpus file");
        let file_name = file.file_name().unwrap().to_string_lossy().into_owned();
        let doc: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{file_name} is not valid JSON: {e}"));
        let cases = doc["cases"]
            .as_array()
            .unwrap_or_else(|| panic!("{file_name}: no cases"));
        for case in cases {
            total += 1;
            let case = merged(doc.get("defaults"), case);
            let name = case
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("<unnamed>")
                .to_owned();
            if !names.insert(format!("{file_name}/{name}")) {
                failures.push(format!("{file_name} / {name}: duplicate case name"));
            }
            let result = match case.get("parse") {
                Some(spec) => run_parse(spec),
                None => run_decision(&case),
            };
            if let Err(e) = result {
                failures.push(format!("{file_name} / {name}: {e}"));
            }
        }
    }
    println!("decision corpus: {total} cases in {} files", files.len());
    assert!(
        failures.is_empty(),
        "{} of {total} corpus cases failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
    assert!(
        total >= 300,
        "the corpus should hold at least 300 cases, has {total}"
    );
}
