//! The trust evaluation shared by the federated STS calls (AssumeRoleWithWebIdentity and
//! AssumeRoleWithSAML): the request's condition keys, and the role's trust policy evaluated
//! for a caller that is an identity provider, not a principal of any account.

use chrono::{DateTime, Utc};
use hourglass_policy::{AssumeRoleAction, AssumeRoleRequest};
use hourglass_store::Role;

use crate::Identity;
use crate::authz::{CallerPolicies, load_keys, resource_tag_keys};
use crate::error::IamResult;
use crate::sts::push_request_tag_keys;
use crate::tags::Taggable;

/// One federated AssumeRole* request, as its trust evaluation sees it.
pub(crate) struct FederatedRequest<'a> {
    pub action: AssumeRoleAction,
    /// `sts:AssumeRoleWithWebIdentity` or `sts:AssumeRoleWithSAML`.
    pub action_name: &'a str,
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
    pub now: DateTime<Utc>,
}

impl Identity {
    /// A federated session's tags (the claims' or assertion's, later keys replacing
    /// earlier ones) and its packed policy size, once the session policies passed with the
    /// call are found to exist and the whole fits, as AssumeRole requires.
    pub(crate) async fn federated_session_tags(
        &self,
        account_id: &str,
        policy: Option<&str>,
        policy_arns: &[String],
        tags: &[(String, String)],
    ) -> IamResult<(Vec<(String, String)>, usize)> {
        self.passed_session_policies(account_id, policy, policy_arns)
            .await?;
        let mut session_tags = Vec::new();
        crate::authz::merge_tags(&mut session_tags, tags);
        let packed = crate::sts::packed_policy_percent(policy, policy_arns, &session_tags);
        crate::sts::packed_policy_fits(packed)?;
        Ok((session_tags, packed))
    }

    /// Evaluates the role's trust policy with `provider_keys` (the provider-specific keys,
    /// first) and the keys every AssumeRole carries. `Err(AccessDenied)` when the trust
    /// policy does not allow; the caller turns it into its operation's message.
    pub(crate) fn authorize_federated(
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

        let gathered = CallerPolicies {
            identity: Vec::new(),
            boundary: None,
            session: None,
            arn: req.provider_arn.to_owned(),
            keys: Vec::new(),
            // The caller is no principal of an account: no SCP binds it.
            scp: Vec::new(),
        };
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
