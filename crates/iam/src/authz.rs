//! Authorization of IAM and STS calls (spec §4.15, §5): the action, the resource ARN and the
//! request-specific condition keys of one call, decided for the caller by the policy engine.

use std::borrow::Cow;

use hourglass_policy::{
    AssumeRoleRequest, AttachedPolicy, DecisionEffect, EvaluationInput, PolicyCache, PolicyKind,
    PolicyType, RequestContext, Values, evaluate, evaluate_assume_role,
};
use hourglass_store::{PrincipalPolicies, PrincipalRef, StoreError, Tag, User};

use crate::Identity;
use crate::error::{IamError, IamResult};
use crate::principal::{Caller, Principal, root_arn};
use crate::session::{SessionClaims, SessionKind};
use crate::tags::{Taggable, tag_pairs};

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

    /// The target resource's current tags: `aws:ResourceTag/<key>` for every taggable kind,
    /// and `iam:ResourceTag/<key>` for users and roles only, the two resource types AWS's
    /// service authorization reference gives that key. Callers pass no tags for a resource
    /// that does not exist (yet): Create* calls, and calls that report NoSuchEntity after
    /// authorization.
    pub(crate) fn with_resource_tags(mut self, kind: Taggable, tags: &[Tag]) -> Self {
        self.context.extend(resource_tag_keys(
            kind,
            tags.iter().map(|t| (t.key.as_str(), t.value.as_str())),
        ));
        self
    }
}

/// The condition keys of a resource's tags: `aws:ResourceTag/<key>` for every taggable
/// kind, and `iam:ResourceTag/<key>` too for users and roles (see
/// [`Access::with_resource_tags`]; AssumeRole's trust checks use the same keys for the role).
pub(crate) fn resource_tag_keys<'a>(
    kind: Taggable,
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<(String, Vec<String>)> {
    let iam_key = matches!(kind, Taggable::User | Taggable::Role);
    let mut keys = Vec::new();
    for (k, v) in tags {
        keys.push((format!("aws:ResourceTag/{k}"), vec![v.to_owned()]));
        if iam_key {
            keys.push((format!("iam:ResourceTag/{k}"), vec![v.to_owned()]));
        }
    }
    keys
}

/// A principal's identity policies, compiled.
#[derive(Clone)]
pub(crate) struct CompiledSet {
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

pub(crate) fn compile_set(
    cache: &PolicyCache,
    entity: &str,
    p: &PrincipalPolicies,
) -> IamResult<CompiledSet> {
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
    /// `None` when the resource has no policy: its account still decides whether the
    /// access is cross-account.
    pub document: Option<&'a str>,
    /// The account owning the resource.
    pub account_id: &'a str,
}

/// Everything about a caller the evaluator needs, gathered from the store at request time
/// (identity policies and boundary as they are now; session policies as frozen in the
/// session token) plus the caller's condition keys.
pub(crate) struct CallerPolicies {
    pub identity: Vec<AttachedPolicy>,
    pub boundary: Option<AttachedPolicy>,
    /// `Some` when the session was created with session policies.
    pub session: Option<Vec<AttachedPolicy>>,
    /// The caller's ARN (session ARN for role sessions).
    pub arn: String,
    /// Condition keys of the caller (§5.5), beyond those derived from the principal.
    pub keys: Vec<(String, Vec<String>)>,
    /// The SCPs binding the caller's account, level by level (see [`crate::scp`]).
    pub scp: Vec<Vec<AttachedPolicy>>,
}

impl CallerPolicies {
    /// A caller that is no principal of any account (an identity provider, an AWS
    /// service): no identity policies, no boundary or session policies, and no SCP binds it,
    /// so only the resource's own policy can allow it.
    pub(crate) fn outside_account(arn: &str) -> Self {
        Self {
            identity: Vec::new(),
            boundary: None,
            session: None,
            arn: arn.to_owned(),
            keys: Vec::new(),
            scp: Vec::new(),
        }
    }

    pub(crate) fn input(&self) -> EvaluationInput<'_> {
        EvaluationInput {
            identity: &self.identity,
            permissions_boundary: self.boundary.as_ref(),
            session_policies: self.session.as_deref(),
            service_control_policies: &self.scp,
            ..Default::default()
        }
    }
}

/// The policy-engine principal of a caller.
pub(crate) fn policy_principal<'a>(
    caller: &'a Caller,
    arn: &'a str,
) -> hourglass_policy::Principal<'a> {
    match &caller.principal {
        Principal::Root { account_id } => hourglass_policy::Principal::root(account_id, arn),
        Principal::User(u) => hourglass_policy::Principal::user(&u.account_id, &u.arn, &u.user_id),
        Principal::AssumedRole(r) => hourglass_policy::Principal::assumed_role(
            &r.role.account_id,
            &r.arn,
            &r.role.arn,
            &r.role.role_id,
            &r.assumed_role_id,
        ),
        Principal::FederatedUser(f) => hourglass_policy::Principal::federated_user(
            &f.account_id,
            &f.arn,
            &f.federated_user_id,
            &f.parent_arn,
        ),
    }
}

/// The identity policy a federated session of the root user is intersected with: root
/// may do anything, so the session policies alone decide.
const ROOT_FEDERATION_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// Sets owned keys on a context.
pub(crate) fn load_keys<'a>(ctx: &mut RequestContext<'a>, keys: &'a [(String, Vec<String>)]) {
    for (k, values) in keys {
        let v: Values<'a> = values.iter().map(|s| Cow::Borrowed(s.as_str())).collect();
        ctx.set_values(k.as_str(), v);
    }
}

/// Merges tags into `into`, later keys replacing earlier ones case-insensitively.
pub(crate) fn merge_tags(into: &mut Vec<(String, String)>, tags: &[(String, String)]) {
    for (k, v) in tags {
        into.retain(|(old, _)| !old.eq_ignore_ascii_case(k));
        into.push((k.clone(), v.clone()));
    }
}

/// `aws:ResourceOrgID`/`Paths` of a resource in the caller's own account: the caller's.
fn same_org_keys(keys: &[(String, Vec<String>)]) -> Vec<(String, Vec<String>)> {
    keys.iter()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix("aws:PrincipalOrg")?;
            Some((format!("aws:ResourceOrg{rest}"), v.clone()))
        })
        .collect()
}

/// STS actions a GetSessionToken session may call (spec §3.3, §3.9); a federated user
/// (GetFederationToken) may call none but GetCallerIdentity.
fn session_token_may_call(kind: SessionKind, action: &str) -> bool {
    !action
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("sts:"))
        || (kind != SessionKind::FederatedUser && action.eq_ignore_ascii_case("sts:AssumeRole"))
        || action.eq_ignore_ascii_case("sts:GetCallerIdentity")
}

impl Identity {
    /// The List{Users,Groups,Roles,InstanceProfiles} check: the `PathPrefix`, then `action`
    /// on this account's `resource` (`user/`, `role/*`…, as AWS names each).
    pub(crate) async fn authorize_path_listing(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
        path_prefix: Option<&str>,
    ) -> IamResult<()> {
        if let Some(p) = path_prefix {
            crate::validate::path_prefix(p)?;
        }
        let resource = format!("arn:aws:iam::{}:{resource}", self.account_id);
        self.authorize(caller, &Access::new(action, &resource))
            .await
    }

    /// UpdateUser / UpdateGroup: the entity's name and path after the call. A rename or a
    /// move gives the entity a new ARN, and policies and trust conditions that match on the
    /// ARN (`aws:PrincipalArn` `user/admins/*`) would see it differently afterwards, so AWS
    /// requires the access `access` builds for the new ARN too (the caller has checked the
    /// current one). The entity keeps its tags, so the access carries them on both ARNs.
    pub(crate) async fn authorize_rename(
        &self,
        caller: &Caller,
        kind: &str,
        (name, path, arn): (&str, &str, &str),
        new_name: Option<&str>,
        new_path: Option<&str>,
        access: impl FnOnce(&str) -> Access,
    ) -> IamResult<hourglass_store::Rename> {
        let name = new_name.unwrap_or(name).to_owned();
        let path = new_path.unwrap_or(path).to_owned();
        let new_arn = crate::principal::entity_arn(&self.account_id, kind, &path, &name);
        if new_arn != arn {
            self.authorize(caller, &access(&new_arn)).await?;
        }
        Ok(hourglass_store::Rename {
            name,
            path,
            arn: new_arn,
        })
    }

    /// Decides one access for the caller against identity policies only (IAM and STS calls).
    pub async fn authorize(&self, caller: &Caller, access: &Access) -> IamResult<()> {
        self.authorize_with(Some(caller), access, None).await
    }

    /// Decides one access, with an optional resource-based policy (spec §5.6). `caller` is
    /// `None` for anonymous requests, which only a resource policy can allow. Root may do
    /// anything in its own account that no resource policy explicitly denies.
    ///
    /// A denial carries, besides AWS's message, an encoded authorization message
    /// (`IamError::AccessDenied::encoded`) that DecodeAuthorizationMessage opens.
    pub async fn authorize_with(
        &self,
        caller: Option<&Caller>,
        access: &Access,
        resource_policy: Option<ResourcePolicy<'_>>,
    ) -> IamResult<()> {
        self.authorize_with_kind(caller, access, resource_policy, PolicyKind::Resource)
            .await
    }

    /// [`Self::authorize_with`] for a resource policy of another kind than an S3 bucket
    /// policy (a secret's policy is [`PolicyKind::ServiceResource`]).
    pub async fn authorize_with_kind(
        &self,
        caller: Option<&Caller>,
        access: &Access,
        resource_policy: Option<ResourcePolicy<'_>>,
        kind: PolicyKind,
    ) -> IamResult<()> {
        let resource_attached = match resource_policy.and_then(|rp| Some((rp.id, rp.document?))) {
            Some((id, document)) => Some(AttachedPolicy::new(
                id,
                self.policies.get_or_compile(document, kind).map_err(|e| {
                    IamError::Internal(format!("stored resource policy {id} does not compile: {e}"))
                })?,
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
            self.telemetry.authz_decision(decision.effect);
            return if decision.is_allowed() {
                Ok(())
            } else {
                Err(IamError::access_denied("Access Denied"))
            };
        };
        if let Some(session) = &caller.session
            && session.kind != SessionKind::Role
            && !session_token_may_call(session.kind, &access.action)
        {
            self.telemetry.authz_decision(DecisionEffect::ImplicitDeny);
            return Err(self.denied(caller, access, None));
        }
        let gathered = self.caller_policies(caller).await?;
        let resource_org = match resource_account {
            Some(a) if a != caller.account_id() => self.resource_org_keys(a).await?,
            _ => same_org_keys(&gathered.keys),
        };
        let canonical = resource_attached
            .as_ref()
            .map(|_| crate::principal::canonical_user_id(caller.account_id()));
        let mut principal = policy_principal(caller, &gathered.arn);
        if let Some(c) = &canonical {
            principal = principal.with_canonical_user(c);
        }
        let mut ctx = RequestContext::new(&access.action, Some(&access.resource), principal);
        load_keys(&mut ctx, &gathered.keys);
        load_keys(&mut ctx, &resource_org);
        self.fill_common(&mut ctx, access);
        let input = EvaluationInput {
            resource_policy: resource_attached.as_ref(),
            resource_account,
            ..gathered.input()
        };
        let decision = evaluate(&input, &ctx);
        if decision.is_allowed() {
            self.telemetry.authz_decision(DecisionEffect::Allow);
            return Ok(());
        }
        if let Principal::Root { account_id } = &caller.principal {
            let own = resource_account.is_none_or(|a| a == account_id.as_str());
            // A missing SCP allow binds the member account's root too.
            let scp_bound = decision.denying_policy_type() == Some(PolicyType::ServiceControl);
            if own && !scp_bound && decision.effect != DecisionEffect::ExplicitDeny {
                self.telemetry.authz_decision(DecisionEffect::Allow);
                return Ok(());
            }
        }
        self.telemetry.authz_decision(decision.effect);
        let message =
            decision.access_denied_message(&gathered.arn, &access.action, Some(&access.resource));
        let encoded = self.encode_denial(
            &decision,
            &ctx,
            &[&gathered.keys, &access.context],
            message.as_deref(),
        );
        Err(IamError::AccessDenied {
            message: message.unwrap_or_else(|| {
                format!(
                    "{} is not authorized to perform: {} on resource: {}",
                    caller.describe(),
                    access.action,
                    access.resource
                )
            }),
            encoded,
        })
    }

    /// AssumeRole's decision (spec §3.2): the role's trust policy together with the caller's
    /// own policies, through [`evaluate_assume_role`], recorded like every other decision.
    /// `requested_arn` is the RoleArn as the caller wrote it (AWS's message quotes it);
    /// `keys` the request's condition keys beyond the caller's.
    pub(crate) fn authorize_assume_role(
        &self,
        gathered: &CallerPolicies,
        ctx: &RequestContext<'_>,
        request: &AssumeRoleRequest<'_>,
        requested_arn: &str,
        keys: &[(String, Vec<String>)],
    ) -> IamResult<()> {
        let decision = evaluate_assume_role(&gathered.input(), ctx, request);
        self.telemetry.authz_decision(decision.decision.effect);
        if decision.is_allowed() {
            return Ok(());
        }
        let message = decision
            .access_denied_message(&gathered.arn, requested_arn)
            .unwrap_or_default();
        let mut ctx_for_message = ctx.clone();
        ctx_for_message.action = decision.action;
        let encoded = self.encode_denial(
            &decision.decision,
            &ctx_for_message,
            &[&gathered.keys, keys],
            Some(&message),
        );
        Err(IamError::AccessDenied { message, encoded })
    }

    /// A user's or role's policies as compiled now, and its tags (the principal tags).
    async fn principal_policies(
        &self,
        account_id: &str,
        principal: PrincipalRef,
        arn: &str,
        tags: &[Tag],
    ) -> IamResult<(CompiledSet, Vec<(String, String)>)> {
        let set = self.snapshot_policies(account_id, principal, arn).await?;
        Ok((CompiledSet::clone(&set), tag_pairs(tags)))
    }

    /// [`Identity::principal_policies`] of a user (the caller, or a federated user's parent).
    async fn user_policies(&self, u: &User) -> IamResult<(CompiledSet, Vec<(String, String)>)> {
        let principal = PrincipalRef::User(u.user_id.clone());
        self.principal_policies(&u.account_id, principal, &u.arn, &u.tags)
            .await
    }

    /// Gathers the caller's policies and condition keys.
    pub(crate) async fn caller_policies(&self, caller: &Caller) -> IamResult<CallerPolicies> {
        let (set, mut tags) = match &caller.principal {
            Principal::Root { .. } => (
                CompiledSet {
                    identity: Vec::new(),
                    boundary: None,
                },
                Vec::new(),
            ),
            Principal::User(u) => self.user_policies(u).await?,
            Principal::AssumedRole(r) => {
                let role = &r.role;
                let principal = PrincipalRef::Role(role.role_id.clone());
                self.principal_policies(&role.account_id, principal, &role.arn, &role.tags)
                    .await?
            }
            Principal::FederatedUser(f) => match &f.parent {
                Some(u) => self.user_policies(u).await?,
                None => (
                    CompiledSet {
                        identity: vec![compile(
                            &self.policies,
                            root_arn(&f.account_id),
                            ROOT_FEDERATION_POLICY,
                        )?],
                        boundary: None,
                    },
                    Vec::new(),
                ),
            },
        };
        let mut keys: Vec<(String, Vec<String>)> = Vec::with_capacity(16);
        let mut session_policies = None;
        if let Some(session) = &caller.session {
            merge_tags(&mut tags, &session.tags);
            keys.push((
                "aws:TokenIssueTime".to_owned(),
                vec![session.token_issue_time()],
            ));
            keys.push((
                "aws:MultiFactorAuthPresent".to_owned(),
                vec![session.mfa.to_string()],
            ));
            if session.mfa {
                // Seconds since the MFA check, which happened when the session was issued.
                let age = (self.clock.now().timestamp_millis() - session.issued_ms).max(0) / 1000;
                keys.push(("aws:MultiFactorAuthAge".to_owned(), vec![age.to_string()]));
            }
            if let Some(si) = &session.source_identity {
                keys.push(("aws:SourceIdentity".to_owned(), vec![si.clone()]));
            }
            if let Some(f) = &session.federated {
                if !f.saml {
                    keys.push(("aws:FederatedProvider".to_owned(), vec![f.provider.clone()]));
                }
                keys.extend(f.keys.iter().cloned());
            }
            if session.has_session_policies() {
                session_policies = Some(self.session_policies(session).await?);
            }
        }
        for (k, v) in &tags {
            keys.push((format!("aws:PrincipalTag/{k}"), vec![v.clone()]));
        }
        let now = self.clock.now();
        keys.push((
            "aws:CurrentTime".to_owned(),
            vec![hourglass_sigv4::time::format_iso8601(now)],
        ));
        keys.push((
            "aws:EpochTime".to_owned(),
            vec![now.timestamp().to_string()],
        ));
        keys.push((
            "aws:SourceIp".to_owned(),
            vec![caller.source_ip.to_string()],
        ));
        keys.push((
            "aws:SecureTransport".to_owned(),
            vec![caller.secure_transport.to_string()],
        ));
        keys.push((
            "aws:RequestedRegion".to_owned(),
            vec![caller.region.clone()],
        ));
        keys.push(("aws:ViaAWSService".to_owned(), vec!["false".to_owned()]));
        keys.push((
            "aws:PrincipalIsAWSService".to_owned(),
            vec!["false".to_owned()],
        ));
        if let Some(ua) = &caller.user_agent {
            keys.push(("aws:UserAgent".to_owned(), vec![ua.clone()]));
        }
        let org = self.org_controls(caller.account_id()).await?;
        keys.extend(org.keys);
        Ok(CallerPolicies {
            identity: set.identity,
            boundary: set.boundary,
            session: session_policies,
            arn: caller.arn(),
            keys,
            scp: org.scp,
        })
    }

    /// The session policies frozen in a session: the inline policy as passed, and the
    /// managed policies named by ARN with their default version as it is now (a managed
    /// policy deleted since grants nothing).
    async fn session_policies(&self, session: &SessionClaims) -> IamResult<Vec<AttachedPolicy>> {
        let mut out = Vec::with_capacity(1 + session.policy_arns.len());
        if let Some(text) = &session.policy {
            let compiled = self
                .policies
                .get_or_compile(text, PolicyKind::Identity)
                .map_err(|e| IamError::Internal(format!("session policy does not compile: {e}")))?;
            out.push(AttachedPolicy::new("session-policy", compiled));
        }
        for arn in &session.policy_arns {
            let policy = match self.store.get_policy(&session.account_id, arn).await {
                Ok(p) => p,
                Err(StoreError::NotFound { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            let version = match self
                .store
                .get_policy_version(&session.account_id, arn, &policy.default_version_id)
                .await
            {
                Ok(v) => v,
                Err(StoreError::NotFound { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            out.push(compile(&self.policies, arn.clone(), &version.document)?);
        }
        Ok(out)
    }

    /// Condition keys that do not depend on the caller.
    fn fill_common<'a>(&self, ctx: &mut RequestContext<'a>, access: &'a Access) {
        let now = self.clock.now();
        ctx.set(
            "aws:CurrentTime",
            hourglass_sigv4::time::format_iso8601(now),
        );
        ctx.set("aws:EpochTime", now.timestamp().to_string());
        load_keys(ctx, &access.context);
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
