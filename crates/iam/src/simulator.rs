//! The policy simulator: SimulateCustomPolicy, SimulatePrincipalPolicy and
//! GetContextKeysForCustomPolicy / GetContextKeysForPrincipalPolicy, answered by the same
//! policy engine that authorizes every request (not a separate approximation).

use std::collections::BTreeSet;

use hourglass_policy::{
    AssumeRoleAction, AssumeRoleRequest, AttachedPolicy, DecisionEffect, EvaluationInput,
    PolicyKind, PolicyType, Principal, RequestContext, Values, evaluate, evaluate_assume_role,
    parse,
};
use hourglass_store::{EntityRef, PrincipalPolicies, PrincipalRef};

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::tags::Taggable;
use crate::{Caller, Identity, validate};

/// A `ContextEntries` member.
#[derive(Debug, Clone)]
pub struct ContextEntry {
    pub key: String,
    pub values: Vec<String>,
    pub key_type: Option<String>,
}

/// What a simulation is asked.
#[derive(Debug, Clone, Default)]
pub struct SimulationInput {
    pub policies: Vec<String>,
    pub boundaries: Vec<String>,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    pub resource_policy: Option<String>,
    pub resource_owner: Option<String>,
    pub caller_arn: Option<String>,
    pub context: Vec<ContextEntry>,
}

/// A line/column position in a policy document (1-based; an end position is the
/// statement's closing brace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// A statement that decided a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    pub source_policy_id: String,
    pub source_policy_type: String,
    pub start: Position,
    pub end: Position,
}

/// One action × resource result.
#[derive(Debug, Clone)]
pub struct EvaluationResult {
    pub action: String,
    pub resource: String,
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub decision: &'static str,
    pub matched: Vec<MatchedStatement>,
    pub missing_context: Vec<String>,
    pub allowed_by_boundary: Option<bool>,
}

/// A policy taking part in a simulation, with how AWS names it in results.
struct Source {
    id: String,
    kind: String,
    text: String,
}

const VALID_TYPES: &[&str] = &[
    "string",
    "stringList",
    "numeric",
    "numericList",
    "boolean",
    "booleanList",
    "ip",
    "ipList",
    "binary",
    "binaryList",
    "date",
    "dateList",
];

/// The byte spans of the statements of a JSON policy, in document order. A single
/// statement object counts as one.
fn statement_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let Some(key) = find_top_key(b, "Statement") else {
        return Vec::new();
    };
    let mut i = skip_ws(b, key);
    if b.get(i) != Some(&b':') {
        return Vec::new();
    }
    i = skip_ws(b, i + 1);
    match b.get(i) {
        Some(b'{') => match value_end(b, i) {
            Some(e) => vec![(i, e)],
            None => Vec::new(),
        },
        Some(b'[') => {
            let mut out = Vec::new();
            i += 1;
            loop {
                i = skip_ws(b, i);
                match b.get(i) {
                    Some(b']') | None => return out,
                    Some(b',') => i += 1,
                    Some(_) => match value_end(b, i) {
                        Some(e) => {
                            out.push((i, e));
                            i = e;
                        }
                        None => return out,
                    },
                }
            }
        }
        _ => Vec::new(),
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The end (exclusive) of the JSON value starting at `i`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    let mut in_str = false;
    while j < b.len() {
        let c = b[j];
        if in_str {
            if c == b'\\' {
                j += 1;
            } else if c == b'"' {
                in_str = false;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
        } else {
            match c {
                b'"' => in_str = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(j + 1);
                    }
                }
                b',' if depth == 0 => return Some(j),
                _ => {}
            }
        }
        j += 1;
    }
    None
}

/// The index just after the closing quote of top-level key `name`.
fn find_top_key(b: &[u8], name: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = 0;
    while j < b.len() {
        match b[j] {
            b'"' => {
                let end = value_end(b, j)?;
                if depth == 1 && &b[j + 1..end - 1] == name.as_bytes() {
                    let after = skip_ws(b, end);
                    if b.get(after) == Some(&b':') {
                        return Some(end);
                    }
                }
                j = end;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        j += 1;
    }
    None
}

fn position(text: &str, offset: usize) -> Position {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Position { line, column }
}

fn decision_name(e: DecisionEffect) -> &'static str {
    match e {
        DecisionEffect::Allow => "allowed",
        DecisionEffect::ExplicitDeny => "explicitDeny",
        DecisionEffect::ImplicitDeny => "implicitDeny",
    }
}

/// The condition keys a policy text uses, as written.
fn context_keys(text: &str, kind: PolicyKind, out: &mut BTreeSet<String>) -> IamResult<()> {
    let policy = parse(text, kind).map_err(|e| IamError::MalformedPolicyDocument(e.to_string()))?;
    for s in &policy.statements {
        for c in &s.conditions {
            out.insert(c.key.clone());
        }
    }
    Ok(())
}

impl Identity {
    fn compile_source(&self, src: &Source, kind: PolicyKind) -> IamResult<AttachedPolicy> {
        let compiled = self
            .policies
            .get_or_compile(&src.text, kind)
            .map_err(|e| IamError::MalformedPolicyDocument(e.to_string()))?;
        Ok(AttachedPolicy::new(src.id.clone(), compiled))
    }

    /// Runs a simulation over identity `sources` (and boundary `boundaries`) for a
    /// principal named `caller_arn`.
    fn simulate(
        &self,
        identity: &[Source],
        boundaries: &[Source],
        input: &SimulationInput,
        caller_arn: &str,
        user_id: &str,
        trusts: &[Source],
    ) -> IamResult<Vec<EvaluationResult>> {
        if input.actions.is_empty() {
            return Err(IamError::Validation(
                "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null".into(),
            ));
        }
        for e in &input.context {
            if let Some(t) = &e.key_type {
                validate::one_of(t, "ContextKeyType", VALID_TYPES)?;
            }
        }
        let compiled: Vec<AttachedPolicy> = identity
            .iter()
            .map(|s| self.compile_source(s, PolicyKind::Identity))
            .collect::<IamResult<_>>()?;
        let boundary = boundaries
            .first()
            .map(|s| self.compile_source(s, PolicyKind::Identity))
            .transpose()?;
        let resource_source = input.resource_policy.as_ref().map(|text| Source {
            id: "ResourcePolicy".into(),
            kind: "resource".into(),
            text: text.clone(),
        });
        let resource_policy = resource_source
            .as_ref()
            .map(|s| self.compile_source(s, PolicyKind::Resource))
            .transpose()?;
        let compiled_trusts: Vec<AttachedPolicy> = trusts
            .iter()
            .map(|s| self.compile_source(s, PolicyKind::Trust))
            .collect::<IamResult<_>>()?;
        let resources = if input.resources.is_empty() {
            vec!["*".to_owned()]
        } else {
            input.resources.clone()
        };
        let mut used_keys = BTreeSet::new();
        for s in identity.iter().chain(boundaries) {
            context_keys(&s.text, PolicyKind::Identity, &mut used_keys)?;
        }
        let given: BTreeSet<String> = input
            .context
            .iter()
            .map(|e| e.key.to_ascii_lowercase())
            .collect();
        // The caller may be of another account (CallerArn): its policies are evaluated as
        // that account's principal would be.
        let account = caller_arn
            .split(':')
            .nth(4)
            .filter(|a| a.len() == 12)
            .unwrap_or(&self.account_id);
        let principal = Principal::user(account, caller_arn, user_id);
        let mut out = Vec::with_capacity(input.actions.len() * resources.len());
        for action in &input.actions {
            for resource in &resources {
                let mut ctx = RequestContext::new(action, Some(resource), principal);
                for e in &input.context {
                    let values: Values<'_> = e
                        .values
                        .iter()
                        .map(|v| std::borrow::Cow::Borrowed(v.as_str()))
                        .collect();
                    ctx.set_values(e.key.as_str(), values);
                }
                let eval = EvaluationInput {
                    identity: &compiled,
                    permissions_boundary: boundary.as_ref(),
                    resource_policy: resource_policy.as_ref(),
                    resource_account: input
                        .resource_owner
                        .as_deref()
                        .and_then(|o| o.split(':').nth(4)),
                    ..Default::default()
                };
                // The extension over AWS's simulator: sts:AssumeRole on a role of this
                // account is decided together with the role's trust policy, as AssumeRole is.
                let trust = (action.eq_ignore_ascii_case("sts:AssumeRole"))
                    .then(|| {
                        trusts
                            .iter()
                            .zip(&compiled_trusts)
                            .find(|(s, _)| s.kind == "trust" && s.id == **resource)
                    })
                    .flatten();
                let decision = match trust {
                    Some((_, policy)) => {
                        let request = AssumeRoleRequest {
                            action: AssumeRoleAction::AssumeRole,
                            role_arn: resource,
                            role_account: &self.account_id,
                            trust_policy: policy,
                            tags: false,
                            source_identity: false,
                        };
                        let identity_only = EvaluationInput {
                            resource_policy: None,
                            resource_account: None,
                            ..eval
                        };
                        evaluate_assume_role(&identity_only, &ctx, &request).decision
                    }
                    None => evaluate(&eval, &ctx),
                };
                let matched = decision
                    .statements()
                    .filter_map(|s| {
                        let src = identity
                            .iter()
                            .chain(boundaries)
                            .chain(resource_source.as_ref())
                            .chain(trusts)
                            .find(|src| *src.id == *s.policy_id)?;
                        let (start, end) = *statement_spans(&src.text).get(s.index)?;
                        Some(MatchedStatement {
                            source_policy_id: src.id.clone(),
                            source_policy_type: src.kind.clone(),
                            start: position(&src.text, start),
                            end: position(&src.text, end.saturating_sub(1)),
                        })
                    })
                    .collect();
                let allowed_by_boundary = boundary.as_ref().map(|_| {
                    !decision.reasons.iter().any(|r| match r {
                        hourglass_policy::Reason::NoAllow(t) => {
                            *t == PolicyType::PermissionsBoundary
                        }
                        hourglass_policy::Reason::Denied(s) => {
                            s.policy_type == PolicyType::PermissionsBoundary
                        }
                        _ => false,
                    })
                });
                out.push(EvaluationResult {
                    action: action.clone(),
                    resource: resource.clone(),
                    decision: decision_name(decision.effect),
                    matched,
                    missing_context: used_keys
                        .iter()
                        .filter(|k| !given.contains(&k.to_ascii_lowercase()))
                        .cloned()
                        .collect(),
                    allowed_by_boundary,
                });
            }
        }
        Ok(out)
    }

    /// The trust policies of the roles of this account named in `ResourceArns`, when
    /// `sts:AssumeRole` is simulated (the policy's id is the role ARN, as asked).
    async fn trust_sources(&self, input: &SimulationInput) -> IamResult<Vec<Source>> {
        if !input
            .actions
            .iter()
            .any(|a| a.eq_ignore_ascii_case("sts:AssumeRole"))
        {
            return Ok(Vec::new());
        }
        let prefix = format!("arn:aws:iam::{}:role/", self.account_id);
        let mut out = Vec::new();
        for r in &input.resources {
            let Some(rest) = r.strip_prefix(&prefix) else {
                continue;
            };
            let name = rest.rsplit('/').next().unwrap_or(rest);
            match self.store.get_role(&self.account_id, name).await {
                Ok(role) if role.arn == *r => out.push(Source {
                    id: r.clone(),
                    kind: "trust".into(),
                    text: role.assume_role_policy_document,
                }),
                Ok(_) | Err(hourglass_store::StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    pub async fn simulate_custom_policy(
        &self,
        caller: &Caller,
        input: &SimulationInput,
    ) -> IamResult<Vec<EvaluationResult>> {
        if input.policies.is_empty() {
            return Err(IamError::Validation(
                "1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null".into(),
            ));
        }
        self.authorize(caller, &Access::new("iam:SimulateCustomPolicy", "*"))
            .await?;
        let sources = numbered("PolicyInputList", "IAM Policy", &input.policies);
        let boundaries = numbered(
            "PermissionsBoundaryPolicyInputList",
            "IAM Policy",
            &input.boundaries,
        );
        let default_arn = format!("arn:aws:iam::{}:user/SimulatedUser", self.account_id);
        let arn = input.caller_arn.clone().unwrap_or(default_arn);
        let trusts = self.trust_sources(input).await?;
        self.simulate(
            &sources,
            &boundaries,
            input,
            &arn,
            "AIDASIMULATEDUSER0000",
            &trusts,
        )
    }

    /// `action` on the simulated entity `source_arn`, with its tags when it is a user or
    /// role of this account (resolved by name, as [`Identity::principal_sources`] resolves
    /// it); groups carry none, and anything else is refused after authorization.
    async fn source_access(&self, action: &str, source_arn: &str) -> IamResult<Access> {
        let access = Access::new(action, source_arn);
        let own = format!("arn:aws:iam::{}:", self.account_id);
        let Some(rest) = source_arn.strip_prefix(&own) else {
            return Ok(access);
        };
        let name = rest.rsplit('/').next().unwrap_or(rest);
        Ok(if rest.starts_with("user/") {
            match self.user_resource(name).await?.1 {
                Some(u) => access.with_resource_tags(Taggable::User, &u.tags),
                None => access,
            }
        } else if rest.starts_with("role/") {
            match self.role_resource(name).await?.1 {
                Some(r) => access.with_resource_tags(Taggable::Role, &r.tags),
                None => access,
            }
        } else {
            access
        })
    }

    /// The user's or role's own policies (as AWS names them in results), its boundary, and
    /// its unique id.
    async fn principal_sources(&self, arn: &str) -> IamResult<(Vec<Source>, Vec<Source>, String)> {
        let own = format!("arn:aws:iam::{}:", self.account_id);
        let rest = arn.strip_prefix(&own).ok_or_else(|| {
            IamError::InvalidInput(format!("Invalid ARN {arn}: not an entity of this account."))
        })?;
        let name = rest.rsplit('/').next().unwrap_or(rest);
        let (principal, entity_type, id) = if rest.starts_with("user/") {
            let u = self.store.get_user(&self.account_id, name).await?;
            (PrincipalRef::User(u.user_id.clone()), "user", u.user_id)
        } else if rest.starts_with("role/") {
            let r = self.store.get_role(&self.account_id, name).await?;
            (PrincipalRef::Role(r.role_id.clone()), "role", r.role_id)
        } else if rest.starts_with("group/") {
            return self.group_sources(name).await;
        } else {
            return Err(IamError::InvalidInput(format!(
                "Invalid ARN {arn}: only users, groups and roles can be simulated."
            )));
        };
        let p: PrincipalPolicies = self
            .store
            .principal_policies(&self.account_id, &principal)
            .await?;
        let managed_type = |arn: &str| {
            if arn.starts_with("arn:aws:iam::aws:") {
                "aws-managed"
            } else {
                "user-managed"
            }
        };
        let short = |arn: &str| arn.rsplit('/').next().unwrap_or(arn).to_owned();
        let mut out = Vec::new();
        for i in &p.inline {
            out.push(Source {
                id: i.name.clone(),
                kind: entity_type.into(),
                text: i.document.clone(),
            });
        }
        for m in &p.managed {
            out.push(Source {
                id: short(&m.arn),
                kind: managed_type(&m.arn).into(),
                text: m.document.clone(),
            });
        }
        for g in &p.groups {
            for i in &g.inline {
                out.push(Source {
                    id: i.name.clone(),
                    kind: "group".into(),
                    text: i.document.clone(),
                });
            }
            for m in &g.managed {
                out.push(Source {
                    id: short(&m.arn),
                    kind: managed_type(&m.arn).into(),
                    text: m.document.clone(),
                });
            }
        }
        let boundary = p
            .boundary
            .iter()
            .map(|b| Source {
                id: short(&b.arn),
                kind: "permissions-boundary".into(),
                text: b.document.clone(),
            })
            .collect();
        Ok((out, boundary, id))
    }

    /// A group's inline and attached policies (AWS's simulator accepts a group as the
    /// policy source: its policies are evaluated as a member's would be). Groups have no
    /// boundary.
    async fn group_sources(&self, name: &str) -> IamResult<(Vec<Source>, Vec<Source>, String)> {
        let group = self.store.get_group(&self.account_id, name).await?;
        let entity = EntityRef::Group(group.name.clone());
        let acct = self.account_id.clone();
        let names = crate::account::drain(|p| {
            let (store, acct, entity) = (self.store.clone(), acct.clone(), entity.clone());
            async move { store.list_inline_policies(&acct, &entity, &p).await }
        })
        .await?;
        let mut out = Vec::new();
        for n in names {
            let inline = self
                .store
                .get_inline_policy(&self.account_id, &entity, &n)
                .await?;
            out.push(Source {
                id: inline.name,
                kind: "group".into(),
                text: inline.document,
            });
        }
        let attached = crate::account::drain(|p| {
            let (store, acct, entity) = (self.store.clone(), acct.clone(), entity.clone());
            async move { store.list_attached_policies(&acct, &entity, None, &p).await }
        })
        .await?;
        for a in attached {
            let policy = self
                .store
                .get_policy(&self.account_id, &a.policy_arn)
                .await?;
            let version = self
                .store
                .get_policy_version(&self.account_id, &a.policy_arn, &policy.default_version_id)
                .await?;
            let kind = if policy.is_aws_managed() {
                "aws-managed"
            } else {
                "user-managed"
            };
            out.push(Source {
                id: a.policy_name,
                kind: kind.into(),
                text: version.document,
            });
        }
        Ok((out, Vec::new(), group.group_id))
    }

    pub async fn simulate_principal_policy(
        &self,
        caller: &Caller,
        source_arn: &str,
        input: &SimulationInput,
    ) -> IamResult<Vec<EvaluationResult>> {
        validate::length(source_arn, "PolicySourceArn", 20, 2048)?;
        let access = self
            .source_access("iam:SimulatePrincipalPolicy", source_arn)
            .await?;
        self.authorize(caller, &access).await?;
        let (mut sources, mut boundaries, id) = match self.principal_sources(source_arn).await {
            Err(IamError::NoSuchEntity(_)) => {
                return Err(IamError::NoSuchEntity(format!(
                    "The entity {source_arn} cannot be found."
                )));
            }
            other => other?,
        };
        sources.extend(numbered("PolicyInputList", "IAM Policy", &input.policies));
        if !input.boundaries.is_empty() {
            boundaries = numbered(
                "PermissionsBoundaryPolicyInputList",
                "IAM Policy",
                &input.boundaries,
            );
        }
        let arn = input
            .caller_arn
            .clone()
            .unwrap_or_else(|| source_arn.to_owned());
        let trusts = self.trust_sources(input).await?;
        self.simulate(&sources, &boundaries, input, &arn, &id, &trusts)
    }

    pub async fn context_keys_for_custom_policy(
        &self,
        caller: &Caller,
        policies: &[&str],
    ) -> IamResult<Vec<String>> {
        self.authorize(
            caller,
            &Access::new("iam:GetContextKeysForCustomPolicy", "*"),
        )
        .await?;
        let mut keys = BTreeSet::new();
        for p in policies {
            context_keys(p, PolicyKind::Identity, &mut keys)?;
        }
        Ok(keys.into_iter().collect())
    }

    pub async fn context_keys_for_principal_policy(
        &self,
        caller: &Caller,
        source_arn: &str,
        policies: &[&str],
    ) -> IamResult<Vec<String>> {
        let access = self
            .source_access("iam:GetContextKeysForPrincipalPolicy", source_arn)
            .await?;
        self.authorize(caller, &access).await?;
        let (sources, _, _) = match self.principal_sources(source_arn).await {
            Err(IamError::NoSuchEntity(_)) => {
                return Err(IamError::NoSuchEntity(format!(
                    "The entity {source_arn} cannot be found."
                )));
            }
            other => other?,
        };
        let mut keys = BTreeSet::new();
        for s in &sources {
            context_keys(&s.text, PolicyKind::Identity, &mut keys)?;
        }
        for p in policies {
            context_keys(p, PolicyKind::Identity, &mut keys)?;
        }
        Ok(keys.into_iter().collect())
    }
}

fn numbered(list: &str, kind: &str, texts: &[String]) -> Vec<Source> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| Source {
            id: format!("{list}.{}", i + 1),
            kind: kind.into(),
            text: t.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_positions() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n    {\"Effect\": \"Deny\", \"Action\": \"s3:Delete*\", \"Resource\": \"*\"}\n  ]\n}";
        let spans = statement_spans(text);
        assert_eq!(spans.len(), 2);
        assert_eq!(position(text, spans[0].0), Position { line: 4, column: 5 });
        assert!(text[spans[1].0..spans[1].1].contains("Deny"));
        let single = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        assert_eq!(statement_spans(single).len(), 1);
    }
}
