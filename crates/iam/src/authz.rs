//! Authorization of IAM and STS calls (spec §4.15, §5): the action, the resource ARN and the
//! request-specific condition keys of one call, decided for the caller by the policy engine.

use std::borrow::Cow;

use hourglass_policy::{
    AttachedPolicy, EvaluationInput, PolicyCache, PolicyKind, RequestContext, Values, evaluate,
};
use hourglass_store::{PrincipalPolicies, PrincipalRef};

use crate::Identity;
use crate::error::{IamError, IamResult};
use crate::principal::{Caller, Principal};

/// One authorization question: may the caller perform `action` on `resource`?
#[derive(Debug, Clone)]
pub struct Access {
    pub action: String,
    pub resource: String,
    /// Request-specific condition keys (`aws:RequestTag/k`, `aws:TagKeys`,
    /// `iam:PermissionsBoundary`, `iam:PolicyARN`, …), each with one or more values.
    pub context: Vec<(String, Vec<String>)>,
}

impl Access {
    pub fn new(action: &str, resource: &str) -> Self {
        Self {
            action: action.to_owned(),
            resource: resource.to_owned(),
            context: Vec::new(),
        }
    }

    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.context.push((key.to_owned(), vec![value.to_owned()]));
        self
    }

    pub fn with_values(mut self, key: &str, values: Vec<String>) -> Self {
        self.context.push((key.to_owned(), values));
        self
    }

    /// `aws:RequestTag/<key>` for each tag and `aws:TagKeys` for the set of keys.
    pub fn with_request_tags(mut self, tags: &[(String, String)]) -> Self {
        if tags.is_empty() {
            return self;
        }
        for (k, v) in tags {
            self.context
                .push((format!("aws:RequestTag/{k}"), vec![v.clone()]));
        }
        self.context.push((
            "aws:TagKeys".to_owned(),
            tags.iter().map(|(k, _)| k.clone()).collect(),
        ));
        self
    }
}

/// A principal's identity policies, compiled.
struct CompiledSet {
    identity: Vec<AttachedPolicy>,
    boundary: Option<AttachedPolicy>,
}

fn compile(cache: &PolicyCache, id: String, text: &str) -> IamResult<AttachedPolicy> {
    // Stored documents were validated on write; a failure here means the stored text is
    // no longer acceptable (e.g. after a validation change), which is a server problem.
    let compiled = cache
        .get_or_compile(text, PolicyKind::Identity)
        .map_err(|e| IamError::Internal(format!("stored policy {id} does not compile: {e}")))?;
    Ok(AttachedPolicy::new(id, compiled))
}

fn compile_set(cache: &PolicyCache, entity: &str, p: &PrincipalPolicies) -> IamResult<CompiledSet> {
    let mut identity = Vec::with_capacity(p.managed.len() + p.inline.len());
    for m in &p.managed {
        identity.push(compile(cache, m.arn.clone(), &m.document)?);
    }
    for i in &p.inline {
        identity.push(compile(cache, format!("{entity}/{}", i.name), &i.document)?);
    }
    for g in &p.groups {
        for m in &g.managed {
            identity.push(compile(cache, m.arn.clone(), &m.document)?);
        }
        for i in &g.inline {
            identity.push(compile(
                cache,
                format!("{}/{}", g.group_arn, i.name),
                &i.document,
            )?);
        }
    }
    let boundary = match &p.boundary {
        Some(b) => Some(compile(cache, b.arn.clone(), &b.document)?),
        None => None,
    };
    Ok(CompiledSet { identity, boundary })
}

/// A resource-based policy (an S3 bucket policy) taking part in a decision.
#[derive(Debug, Clone, Copy)]
pub struct ResourcePolicy<'a> {
    /// How the decision names it, e.g. the bucket ARN.
    pub id: &'a str,
    pub document: &'a str,
    /// The account owning the resource.
    pub account_id: &'a str,
}

impl Identity {
    /// Decides one access for the caller against identity policies only (IAM and STS calls).
    pub async fn authorize(&self, caller: &Caller, access: &Access) -> IamResult<()> {
        self.authorize_with(Some(caller), access, None).await
    }

    /// Decides one access, with an optional resource-based policy (spec §5.6). `caller` is
    /// `None` for anonymous requests, which only a resource policy can allow. Root may do
    /// anything in its own account that no resource policy explicitly denies.
    pub async fn authorize_with(
        &self,
        caller: Option<&Caller>,
        access: &Access,
        resource_policy: Option<ResourcePolicy<'_>>,
    ) -> IamResult<()> {
        let resource_attached = match resource_policy {
            Some(rp) => Some(AttachedPolicy::new(
                rp.id,
                self.policies
                    .get_or_compile(rp.document, PolicyKind::Resource)
                    .map_err(|e| IamError::Internal(format!("stored resource policy {} does not compile: {e}", rp.id)))?,
            )),
            None => None,
        };
        let resource_account = resource_policy.map(|rp| rp.account_id);
        let Some(caller) = caller else {
            let principal = hourglass_policy::Principal::anonymous();
            let mut ctx = RequestContext::new(&access.action, Some(&access.resource), principal);
            self.fill_common(&mut ctx, access);
            let input = EvaluationInput {
                resource_policy: resource_attached.as_ref(),
                resource_account,
                ..Default::default()
            };
            let decision = evaluate(&input, &ctx);
            return if decision.is_allowed() {
                Ok(())
            } else {
                Err(IamError::access_denied("Access Denied"))
            };
        };
        match &caller.principal {
            Principal::Root { account_id } => {
                let root_arn = caller.arn();
                let principal = hourglass_policy::Principal::root(account_id, &root_arn);
                let mut ctx = RequestContext::new(&access.action, Some(&access.resource), principal);
                self.fill_context(&mut ctx, caller, access);
                let input = EvaluationInput {
                    resource_policy: resource_attached.as_ref(),
                    resource_account,
                    ..Default::default()
                };
                let decision = evaluate(&input, &ctx);
                let own = *account_id == self.account_id
                    && resource_account.is_none_or(|a| a == account_id.as_str());
                let explicit_deny = decision.effect == hourglass_policy::DecisionEffect::ExplicitDeny;
                if (own && !explicit_deny) || decision.is_allowed() {
                    Ok(())
                } else {
                    let message = decision.access_denied_message(&root_arn, &access.action, Some(&access.resource));
                    Err(self.denied(caller, access, message))
                }
            }
            Principal::User(u) => {
                let policies = self
                    .store
                    .principal_policies(&u.account_id, &PrincipalRef::User(u.user_id.clone()))
                    .await?;
                let set = compile_set(&self.policies, &u.arn, &policies)?;
                let principal = hourglass_policy::Principal::user(&u.account_id, &u.arn, &u.user_id);
                let mut ctx = RequestContext::new(&access.action, Some(&access.resource), principal);
                self.fill_context(&mut ctx, caller, access);
                for tag in &u.tags {
                    ctx.set(format!("aws:PrincipalTag/{}", tag.key), tag.value.as_str());
                }
                let input = EvaluationInput {
                    identity: &set.identity,
                    permissions_boundary: set.boundary.as_ref(),
                    resource_policy: resource_attached.as_ref(),
                    resource_account,
                    ..Default::default()
                };
                let decision = evaluate(&input, &ctx);
                if decision.is_allowed() {
                    Ok(())
                } else {
                    let message = decision.access_denied_message(&u.arn, &access.action, Some(&access.resource));
                    Err(self.denied(caller, access, message))
                }
            }
        }
    }

    /// Condition keys that do not depend on the caller.
    fn fill_common<'a>(&self, ctx: &mut RequestContext<'a>, access: &'a Access) {
        let now = self.clock.now();
        ctx.set("aws:CurrentTime", now.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        ctx.set("aws:EpochTime", now.timestamp().to_string());
        for (k, values) in &access.context {
            let v: Values<'a> = values.iter().map(|s| Cow::Borrowed(s.as_str())).collect();
            ctx.set_values(k.as_str(), v);
        }
    }

    /// Global condition keys every request carries (spec §5.5).
    fn fill_context<'a>(
        &self,
        ctx: &mut RequestContext<'a>,
        caller: &'a Caller,
        access: &'a Access,
    ) {
        let now = self.clock.now();
        ctx.set(
            "aws:CurrentTime",
            now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        );
        ctx.set("aws:EpochTime", now.timestamp().to_string());
        ctx.set("aws:SourceIp", caller.source_ip.to_string());
        ctx.set(
            "aws:SecureTransport",
            if caller.secure_transport {
                "true"
            } else {
                "false"
            },
        );
        ctx.set("aws:RequestedRegion", caller.region.as_str());
        ctx.set("aws:ViaAWSService", "false");
        self.fill_common(ctx, access);
    }

    fn denied(&self, caller: &Caller, access: &Access, message: Option<String>) -> IamError {
        IamError::access_denied(message.unwrap_or_else(|| {
            format!(
                "{} is not authorized to perform: {} on resource: {}",
                caller.describe(),
                access.action,
                access.resource
            )
        }))
    }
}
