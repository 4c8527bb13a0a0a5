//! AssumeRoleWithWebIdentity: verify the token against the issuer's keys and the IAM OIDC
//! provider registered for its `iss`, evaluate the role's trust policy with the
//! provider-prefixed keys, and issue a role session like AssumeRole's (nothing is written).

use hourglass_policy::AssumeRoleAction;
use hourglass_store::StoreError;
use serde_json::Value;

use super::trust::FederatedRequest;
use super::{FederationError, issuer_key_prefix, token};
use crate::error::{IamError, IamResult};
use crate::sts::{AssumeRoleInput, Credentials, role_session_duration};
use crate::{Identity, validate};

/// Claims AWS maps to `{provider}:{claim}` keys; other top-level string claims are exposed
/// too (a Hourglass extension: GitHub's `repository`, `ref`, `environment`, …).
const SESSION_CLAIM_KEYS: [&str; 3] = ["aud", "sub", "amr"];

/// AssumeRoleWithWebIdentity parameters, as received.
#[derive(Debug, Clone, Default)]
pub struct WebIdentityInput {
    pub role_arn: String,
    pub role_session_name: String,
    pub web_identity_token: String,
    pub provider_id: Option<String>,
    pub duration_seconds: Option<String>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
}

/// AssumeRoleWithWebIdentity's answer.
#[derive(Debug, Clone)]
pub struct WebIdentityOutput {
    pub credentials: Credentials,
    pub assumed_role_id: String,
    pub arn: String,
    pub subject: String,
    pub audience: String,
    /// The provider ARN.
    pub provider: String,
    pub packed_policy_size: u32,
    pub source_identity: Option<String>,
}

fn not_authorized() -> IamError {
    IamError::access_denied("Not authorized to perform sts:AssumeRoleWithWebIdentity")
}

/// The trust-evaluation keys drawn from the token: `{p}:aud|sub|amr|azp` as AWS documents
/// them, plus `{p}:<claim>` for other top-level string claims.
fn provider_keys(
    prefix: &str,
    claims: &serde_json::Map<String, Value>,
    audience: &str,
    subject: &str,
) -> Vec<(String, Vec<String>)> {
    let mut keys = vec![
        (format!("{prefix}:aud"), vec![audience.to_owned()]),
        (format!("{prefix}:sub"), vec![subject.to_owned()]),
    ];
    let amr: Vec<String> = match claims.get("amr") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    if !amr.is_empty() {
        keys.push((format!("{prefix}:amr"), amr));
    }
    for (name, v) in claims {
        if SESSION_CLAIM_KEYS.contains(&name.as_str()) || name.contains(':') {
            continue;
        }
        if let Value::String(s) = v {
            keys.push((format!("{prefix}:{name}"), vec![s.clone()]));
        }
    }
    keys
}

impl Identity {
    /// AssumeRoleWithWebIdentity (spec §1). Needs no caller: the token is the credential.
    pub async fn assume_role_with_web_identity(
        &self,
        input: WebIdentityInput,
    ) -> IamResult<WebIdentityOutput> {
        let as_assume_role = AssumeRoleInput {
            role_arn: input.role_arn.clone(),
            role_session_name: input.role_session_name.clone(),
            duration_seconds: input.duration_seconds.clone(),
            policy: input.policy.clone(),
            policy_arns: input.policy_arns.clone(),
            ..Default::default()
        };
        crate::sts::validate_assume_role_input(&as_assume_role)?;
        validate::length(&input.web_identity_token, "WebIdentityToken", 4, 20000)?;
        if let Some(p) = &input.provider_id {
            validate::length(p, "ProviderId", 4, 2048)?;
        }

        // The token: shape, issuer → provider, keys, signature, audience, times.
        let unverified = token::read(&input.web_identity_token)?;
        let Some(url) = issuer_key_prefix(&unverified.issuer) else {
            return Err(no_provider(&unverified.issuer));
        };
        let provider_arn = self.oidc_provider_arn(url);
        let provider = match self
            .store
            .get_oidc_provider(&self.account_id, &provider_arn)
            .await
        {
            Ok(p) => p,
            Err(StoreError::NotFound { .. }) => return Err(no_provider(&unverified.issuer)),
            Err(e) => return Err(e.into()),
        };
        if let Some(p) = &input.provider_id
            && p != &provider.url
            && p != &unverified.issuer
            && p != &provider.arn
        {
            return Err(IamError::Validation(
                "ProviderId applies only to OAuth 2.0 access tokens; it must be omitted (or name this token's provider) for an OpenID Connect ID token".into(),
            ));
        }
        let set = self
            .oidc_keys
            .keys(&unverified.issuer, unverified.kid.as_deref())
            .await?;
        let candidates = token::candidates(&unverified, &set);
        if candidates.is_empty() {
            return Err(FederationError::InvalidIdentityToken(super::jwks::NO_KEY.into()).into());
        }
        let claims = token::verify(&unverified, &candidates)?;
        let audience = token::audience(&claims, &provider.client_ids)?;
        let now = self.clock.now();
        token::times(&claims, now.timestamp())?;
        let subject = token::subject(&claims)?;
        let (tags, transitive_keys) = token::session_tags(&claims)?;
        let source_identity = token::source_identity(&claims)?;
        if !tags.is_empty() || !transitive_keys.is_empty() {
            let with_tags = AssumeRoleInput {
                tags: tags.clone(),
                transitive_tag_keys: transitive_keys.clone(),
                source_identity: source_identity.clone(),
                ..as_assume_role.clone()
            };
            crate::sts::validate_assume_role_input(&with_tags).map_err(|e| {
                FederationError::InvalidIdentityToken(format!(
                    "Invalid session tags in the token: {e}"
                ))
            })?;
        }

        // The role and its trust policy.
        let role = self
            .role_for_arn(&input.role_arn)
            .await?
            .ok_or_else(not_authorized)?;
        let federated_keys = provider_keys(url, &claims, &audience, &subject);
        let mut trust_keys = federated_keys.clone();
        trust_keys.push((
            "aws:FederatedProvider".to_owned(),
            vec![provider.arn.clone()],
        ));
        let request = FederatedRequest {
            action: AssumeRoleAction::AssumeRoleWithWebIdentity,
            action_name: "sts:AssumeRoleWithWebIdentity",
            not_authorized,
            provider_arn: &provider.arn,
            saml: false,
            role: &role,
            role_arn_input: &input.role_arn,
            session_name: &input.role_session_name,
            source_identity: source_identity.as_deref(),
            tags: &tags,
            transitive_keys: &transitive_keys,
            policy: input.policy.as_deref(),
            policy_arns: &input.policy_arns,
            now,
        };
        self.authorize_federated(trust_keys, &request)
            .inspect_err(|_| {
                tracing::info!(provider = %provider.arn, %subject, role = %role.arn, "web identity denied by trust policy");
            })?;

        let duration = role_session_duration(input.duration_seconds.as_deref(), &role)?;
        let (credentials, assumed, packed) = self
            .issue_federated_session(&request, federated_keys, duration, None)
            .await?;
        tracing::info!(
            provider = %provider.arn,
            %subject,
            session = %assumed.arn,
            access_key_id = %credentials.access_key_id,
            duration,
            "assumed role with web identity"
        );
        Ok(WebIdentityOutput {
            credentials,
            assumed_role_id: assumed.assumed_role_id,
            arn: assumed.arn,
            subject,
            audience,
            provider: provider.arn.clone(),
            packed_policy_size: u32::try_from(packed).unwrap_or(u32::MAX),
            source_identity,
        })
    }
}

fn no_provider(iss: &str) -> IamError {
    FederationError::InvalidIdentityToken(format!(
        "No OpenIDConnect provider found in your account for {iss}"
    ))
    .into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn github_style_keys() {
        let claims = serde_json::json!({
            "iss": "https://token.actions.githubusercontent.com",
            "sub": "repo:octo/app:ref:refs/heads/main",
            "aud": "sts.amazonaws.com",
            "repository": "octo/app",
            "job_workflow_ref": "octo/app/.github/workflows/ci.yml@refs/heads/main",
            "amr": ["pwd", "mfa"],
            "run_number": 7,
            "https://aws.amazon.com/tags": {"principal_tags": {}},
        });
        let claims = claims.as_object().unwrap();
        let p = "token.actions.githubusercontent.com";
        let keys = provider_keys(
            p,
            claims,
            "sts.amazonaws.com",
            "repo:octo/app:ref:refs/heads/main",
        );
        let get = |k: &str| {
            keys.iter()
                .find(|(name, _)| name == &format!("{p}:{k}"))
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("aud").unwrap(), vec!["sts.amazonaws.com"]);
        assert_eq!(
            get("sub").unwrap(),
            vec!["repo:octo/app:ref:refs/heads/main"]
        );
        assert_eq!(get("amr").unwrap(), vec!["pwd", "mfa"]);
        assert_eq!(get("repository").unwrap(), vec!["octo/app"]);
        assert!(get("job_workflow_ref").is_some());
        // Non-string claims and URL-named claims are not keys.
        assert!(get("run_number").is_none());
        assert!(!keys.iter().any(|(k, _)| k.contains("aws.amazon.com")));
        assert_eq!(keys.iter().filter(|(k, _)| k.ends_with(":aud")).count(), 1);
    }
}
