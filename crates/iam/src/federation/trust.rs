//! The trust evaluation shared by the federated STS calls (AssumeRoleWithWebIdentity and
//! AssumeRoleWithSAML): the request's condition keys, and the role's trust policy evaluated
//! for a caller that is an identity provider, not a principal of any account; then the
//! session both issue once the trust policy allowed.

use chrono::{DateTime, Utc};
use hourglass_policy::{AssumeRoleAction, AssumeRoleRequest};
use hourglass_store::Role;

use crate::Identity;
use crate::authz::{CallerPolicies, load_keys, resource_tag_keys};
use crate::error::{IamError, IamResult};
use crate::principal::AssumedRole;
use crate::session::FederatedSession;
use crate::sts::{Credentials, SessionGrant, push_request_tag_keys};
use crate::tags::Taggable;

/// One federated AssumeRole* request, as its trust evaluation and its session see it.
pub(crate) struct FederatedRequest<'a> {
    pub action: AssumeRoleAction,
    /// `sts:AssumeRoleWithWebIdentity` or `sts:AssumeRoleWithSAML`.
    pub action_name: &'static str,
    /// The operation's AccessDenied: it says no more than that the call was refused.
    pub not_authorized: fn() -> IamError,
    pub provider_arn: &'a str,
    /// Whether the provider is a SAML provider (the policy principal's kind).
    pub saml: bool,
    pub role: &'a Role,
    /// The RoleArn as the caller sent it (AccessDenied messages quote it).
    pub role_arn_input: &'a str,
    pub session_name: &'a str,
    pub source_identity: Option<&'a str>,
    pub tags: &'a [(String, String)],
    pub transitive_keys: &'a [String],
    /// The session policies passed with the call.
    pub policy: Option<&'a str>,
    pub policy_arns: &'a [String],
    pub now: DateTime<Utc>,
}

impl Identity {
    /// Issues the session of a federated call its trust policy allowed, once the session
    /// policies passed with the call are found to exist and they and the session's tags
    /// (the claims' or assertion's, later keys replacing earlier ones) fit, as AssumeRole
    /// requires. `keys` are the provider's keys the session carries; `not_after` an end it
    /// may not outlive. Returns the credentials, the session's identity and its packed
    /// policy size.
    pub(crate) async fn issue_federated_session(
        &self,
        req: &FederatedRequest<'_>,
        keys: Vec<(String, Vec<String>)>,
        duration: i64,
        not_after: Option<DateTime<Utc>>,
    ) -> IamResult<(Credentials, AssumedRole, usize)> {
        let role = req.role;
        self.passed_session_policies(&role.account_id, req.policy, req.policy_arns)
            .await?;
        let mut session_tags = Vec::new();
        crate::authz::merge_tags(&mut session_tags, req.tags);
        let packed = crate::sts::packed_policy_percent(req.policy, req.policy_arns, &session_tags);
        crate::sts::packed_policy_fits(packed)?;
        // Metrics name the operation (`AssumeRoleWithSAML`), not the action.
        let operation = req
            .action_name
            .strip_prefix("sts:")
            .unwrap_or(req.action_name);
        let credentials = self.issue_session(
            SessionGrant {
                not_after,
                source_identity: req.source_identity.map(str::to_owned),
                tags: session_tags,
                transitive_tag_keys: req.transitive_keys.to_vec(),
                policy: req.policy.map(str::to_owned),
                policy_arns: req.policy_arns.to_vec(),
                federated: Some(FederatedSession {
                    provider: req.provider_arn.to_owned(),
                    keys,
                    saml: req.saml,
                }),
                // No long-term key stands behind a federated session.
                ..SessionGrant::role(role, req.session_name, duration)
            },
            operation,
        )?;
        let assumed = AssumedRole::new(role.clone(), req.session_name);
        Ok((credentials, assumed, packed))
    }

    /// Evaluates the role's trust policy with `provider_keys` (the provider-specific keys,
    /// first) and the keys every AssumeRole carries; a refusal is the operation's own
    /// AccessDenied.
    pub(crate) fn authorize_federated(
        &self,
        provider_keys: Vec<(String, Vec<String>)>,
        req: &FederatedRequest<'_>,
    ) -> IamResult<()> {
        self.evaluate_federated_trust(provider_keys, req)
            .map_err(|e| match e {
                IamError::AccessDenied { .. } => (req.not_authorized)(),
                other => other,
            })
    }

    /// [`Identity::authorize_federated`]'s evaluation: `Err(AccessDenied)` with the
    /// evaluator's message when the trust policy does not allow.
    fn evaluate_federated_trust(
        &self,
        provider_keys: Vec<(String, Vec<String>)>,
        req: &FederatedRequest<'_>,
    ) -> IamResult<()> {
        let role = req.role;
        let trust = self.trust_policy(role)?;
        let mut keys = provider_keys;
        keys.push((
            "sts:RoleSessionName".to_owned(),
            vec![req.session_name.to_owned()],
        ));
        if let Some(si) = req.source_identity {
            keys.push(("sts:SourceIdentity".to_owned(), vec![si.to_owned()]));
        }
        push_request_tag_keys(&mut keys, req.tags, req.transitive_keys);
        keys.extend(resource_tag_keys(
            Taggable::Role,
            role.tags.iter().map(|t| (t.key.as_str(), t.value.as_str())),
        ));
        keys.push((
            "aws:ResourceAccount".to_owned(),
            vec![role.account_id.clone()],
        ));
        keys.push((
            "aws:CurrentTime".to_owned(),
            vec![hourglass_sigv4::time::format_iso8601(req.now)],
        ));
        keys.push((
            "aws:EpochTime".to_owned(),
            vec![req.now.timestamp().to_string()],
        ));

        let gathered = CallerPolicies::outside_account(req.provider_arn);
        let principal = hourglass_policy::Principal::federated_provider(req.provider_arn, req.saml);
        let mut ctx =
            hourglass_policy::RequestContext::new(req.action_name, Some(&role.arn), principal);
        load_keys(&mut ctx, &keys);
        let request = AssumeRoleRequest {
            action: req.action,
            role_arn: &role.arn,
            role_account: &role.account_id,
            trust_policy: &trust,
            tags: !req.tags.is_empty(),
            source_identity: req.source_identity.is_some(),
        };
        self.authorize_assume_role(&gathered, &ctx, &request, req.role_arn_input, &keys)
    }
}
