//! AssumeRole (spec §3.2, §5.7): validate, authorize against the trust policy and the
//! caller's own policies, then issue a sealed session. Nothing is written to the store.

use hourglass_policy::{
    AssumeRoleAction, AssumeRoleRequest, AttachedPolicy, PolicyKind, RequestContext, limits,
    policy_size,
};
use hourglass_store::{Role, StoreError};

use super::violations::{Violations, name_char};
use super::{Credentials, SessionGrant};
use crate::authz::{load_keys, merge_tags, policy_principal, resource_tag_keys};
use crate::error::{IamError, IamResult};
use crate::principal::{AssumedRole, Caller};
use crate::session::SessionClaims;
use crate::tags::{Taggable, tag_pairs};
use crate::{Identity, validate};

/// Longest session a chained AssumeRole may ask for (seconds).
const CHAINED_MAX: i64 = 3600;
/// A role session's length when the call names none (seconds).
pub(crate) const DEFAULT_DURATION: i64 = 3600;

/// A role session's `DurationSeconds` (900–43200 s, [`DEFAULT_DURATION`] when absent),
/// refused past the role's MaxSessionDuration.
pub(crate) fn role_session_duration(requested: Option<&str>, role: &Role) -> IamResult<i64> {
    let duration = match requested {
        Some(d) => validate::int_range(d, "DurationSeconds", 900, 43200)?,
        None => DEFAULT_DURATION,
    };
    if duration > i64::from(role.max_session_duration) {
        return Err(IamError::Validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                .into(),
        ));
    }
    Ok(duration)
}
/// PackedPolicyTooLarge when the packed session policies and tags exceed their budget.
pub(crate) fn packed_policy_fits(percent: usize) -> IamResult<()> {
    if percent > 100 {
        return Err(IamError::PackedPolicyTooLarge(format!(
            "Packed policy consumes {percent}% of allotted space, please use smaller policy."
        )));
    }
    Ok(())
}

/// The budget PackedPolicySize is a percentage of (see [`packed_policy_percent`]).
const PACKED_BUDGET: usize = limits::SESSION_POLICY_PACKED;

/// AssumeRole parameters, as received.
#[derive(Debug, Clone, Default)]
pub struct AssumeRoleInput {
    pub role_arn: String,
    pub role_session_name: String,
    pub duration_seconds: Option<String>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub external_id: Option<String>,
    pub source_identity: Option<String>,
    pub tags: Vec<(String, String)>,
    pub transitive_tag_keys: Vec<String>,
    pub serial_number: Option<String>,
    pub token_code: Option<String>,
}

/// AssumeRole's answer.
#[derive(Debug, Clone)]
pub struct AssumedRoleOutput {
    pub credentials: Credentials,
    pub assumed_role_id: String,
    pub arn: String,
    /// Present when session policies or tags were passed.
    pub packed_policy_size: Option<u32>,
    pub source_identity: Option<String>,
}

/// The percentage of the packed budget the session policies and tags use. AWS compresses
/// them into an undocumented binary form; Hourglass counts plaintext instead: the inline
/// policy without whitespace, each policy ARN, and each session tag's key and value,
/// against a budget of 2,048 characters. Over 100 % is `PackedPolicyTooLarge`.
pub fn packed_policy_percent(
    policy: Option<&str>,
    policy_arns: &[String],
    tags: &[(String, String)],
) -> usize {
    let size = policy.map_or(0, policy_size)
        + policy_arns.iter().map(String::len).sum::<usize>()
        + tags
            .iter()
            .map(|(k, v)| k.chars().count() + v.chars().count())
            .sum::<usize>();
    (size * 100).div_ceil(PACKED_BUDGET)
}

/// Parses `arn:aws:iam::ACCT:role/{path}{name}` into (account, path, name).
fn parse_role_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_name = resource.strip_prefix("role")?;
    if !path_name.starts_with('/') {
        return None;
    }
    let slash = path_name.rfind('/')?;
    let (path, name) = (&path_name[..=slash], &path_name[slash + 1..]);
    if name.is_empty() || account.is_empty() {
        return None;
    }
    Some((account, path, name))
}

/// Model constraints of the session policies (AssumeRole*, GetFederationToken): the
/// inline policy 1–2,048 characters (not echoed), at most 10 managed policy ARNs.
pub(super) fn session_policy_members(v: &mut Violations, policy: Option<&str>, arns: &[String]) {
    if let Some(p) = policy {
        if p.is_empty() {
            v.unechoed(
                "Policy",
                "Member must have length greater than or equal to 1",
            );
        } else if p.chars().count() > 2048 {
            v.unechoed(
                "Policy",
                "Member must have length less than or equal to 2048",
            );
        }
    }
    v.max_members(arns.len(), "PolicyArns", 10);
    for (i, arn) in arns.iter().enumerate() {
        v.arn(arn, &format!("policyArns.{}.member.arn", i + 1));
    }
}

/// What the session policies must be beyond their model constraints.
pub(super) fn validate_session_policies(policy: Option<&str>) -> IamResult<()> {
    if let Some(p) = policy {
        validate::policy_document(p, "Policy")?;
    }
    Ok(())
}

/// Session tags beyond their count: IAM's tag rules, keys unique regardless of case.
pub(super) fn validate_session_tags(tags: &[(String, String)]) -> IamResult<()> {
    // STS has no InvalidInput: duplicates are its ValidationError, checked before IAM's rules
    // (which answer InvalidInput for them).
    for (i, (k, _)) in tags.iter().enumerate() {
        if tags[..i]
            .iter()
            .any(|(other, _)| other.eq_ignore_ascii_case(k))
        {
            return Err(IamError::Validation(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.".into(),
            ));
        }
    }
    validate::tags(tags)
}

/// A RoleArn that passes the model but is not an ARN at all: `bad-arn-… is invalid`.
pub(crate) fn arn_shaped(arn: &str) -> IamResult<()> {
    if !arn.starts_with("arn:") {
        return Err(IamError::Validation(format!("{arn} is invalid")));
    }
    Ok(())
}

/// AssumeRole's model constraints (every member, reported together) and then the rules
/// between members; all before any authorization, for root too.
pub(crate) fn validate_input(input: &AssumeRoleInput) -> IamResult<()> {
    let mut v = Violations::new();
    v.arn(&input.role_arn, "RoleArn");
    v.name_like(&input.role_session_name, "RoleSessionName", 2, 64);
    session_policy_members(&mut v, input.policy.as_deref(), &input.policy_arns);
    if let Some(d) = &input.duration_seconds {
        v.int_range(d, "DurationSeconds", 900, 43200);
    }
    v.max_members(input.tags.len(), "Tags", 50);
    v.max_members(input.transitive_tag_keys.len(), "TransitiveTagKeys", 50);
    if let Some(e) = &input.external_id {
        if !e.chars().all(|c| name_char(c) || ":/".contains(c)) {
            v.value(
                e,
                "ExternalId",
                "Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*",
            );
        }
        v.length(e, "ExternalId", 2, 1224);
    }
    if let Some(sn) = &input.serial_number {
        if !sn.chars().all(|c| name_char(c) || ":/".contains(c)) {
            v.value(
                sn,
                "SerialNumber",
                "Member must satisfy regular expression pattern: [\\w+=/:,.@-]*",
            );
        }
        v.length(sn, "SerialNumber", 9, 256);
    }
    if let Some(tc) = &input.token_code {
        token_code_members(&mut v, tc);
    }
    if let Some(si) = &input.source_identity {
        v.name_like(si, "SourceIdentity", 2, 64);
    }
    v.finish()?;

    arn_shaped(&input.role_arn)?;
    validate_session_policies(input.policy.as_deref())?;
    validate_session_tags(&input.tags)?;
    for k in &input.transitive_tag_keys {
        validate::length(k, "TransitiveTagKeys", 1, 128)?;
        if !input.tags.iter().any(|(t, _)| t.eq_ignore_ascii_case(k)) {
            return Err(IamError::Validation(format!(
                "The specified transitive tag key must be included in the requested tags. Transitive tag key: {k}"
            )));
        }
    }
    if let Some(si) = &input.source_identity
        && si.to_ascii_lowercase().starts_with("aws:")
    {
        return Err(IamError::Validation(
            "SourceIdentity must not start with 'aws:'.".into(),
        ));
    }
    Ok(())
}

/// TokenCode: six digits (`[\d]*`, length 6).
pub(super) fn token_code_members(v: &mut Violations, tc: &str) {
    if !tc.bytes().all(|b| b.is_ascii_digit()) {
        v.value(
            tc,
            "TokenCode",
            "Member must satisfy regular expression pattern: [\\d]*",
        );
    }
    v.length(tc, "TokenCode", 6, 6);
}

impl Identity {
    /// The role named by an AssumeRole ARN, if it exists with exactly that path.
    pub(crate) async fn role_for_arn(&self, arn: &str) -> IamResult<Option<Role>> {
        let Some((account, path, name)) = parse_role_arn(arn) else {
            return Err(IamError::Validation("Request ARN is invalid".into()));
        };
        match self.snapshot_role(account, name).await {
            Ok(r) if r.path == path => Ok(Some(r)),
            Ok(_) | Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The role's trust policy, compiled (cached by the policy cache) and named for
    /// decision reasons. Every AssumeRole* path evaluates it through here.
    pub(crate) fn trust_policy(&self, role: &Role) -> IamResult<AttachedPolicy> {
        let trust = self
            .policies
            .get_or_compile(&role.assume_role_policy_document, PolicyKind::Trust)
            .map_err(|e| {
                IamError::Internal(format!(
                    "trust policy of {} does not compile: {e}",
                    role.arn
                ))
            })?;
        Ok(AttachedPolicy::new(
            format!("{}/trust-policy", role.arn),
            trust,
        ))
    }

    /// Compiles the session policies passed to AssumeRole (or GetFederationToken).
    pub(crate) async fn passed_session_policies(
        &self,
        account_id: &str,
        policy: Option<&str>,
        arns: &[String],
    ) -> IamResult<()> {
        if let Some(text) = policy {
            hourglass_policy::parse(text, PolicyKind::Identity)
                .map_err(|e| IamError::MalformedPolicyDocument(e.message))?;
        }
        for arn in arns {
            // An AWS managed policy enters the store when first named.
            self.ensure_aws_managed_policy(arn).await?;
            let known = arn.starts_with("arn:aws:iam::")
                && match self.store.get_policy(account_id, arn).await {
                    Ok(_) => true,
                    Err(StoreError::NotFound { .. }) => false,
                    Err(e) => return Err(e.into()),
                };
            if !known {
                return Err(IamError::MalformedPolicyDocument(format!(
                    "Policy {arn} does not exist or is not attachable."
                )));
            }
        }
        Ok(())
    }

    /// AssumeRole.
    pub async fn assume_role(
        &self,
        caller: &Caller,
        input: AssumeRoleInput,
    ) -> IamResult<AssumedRoleOutput> {
        validate_input(&input)?;
        if caller.is_root() {
            return Err(IamError::access_denied(
                "Roles may not be assumed by root accounts.",
            ));
        }
        // MFA presented now, or carried by the session this call is made with.
        let mfa_now = self
            .verify_mfa(
                caller,
                input.serial_number.as_deref(),
                input.token_code.as_deref(),
            )
            .await?;
        let parent = caller.session.as_deref();
        // Source identity: set once, then fixed for every chained session.
        let inherited_si = parent.and_then(|s| s.source_identity.clone());
        if let (Some(old), Some(new)) = (&inherited_si, &input.source_identity)
            && old != new
        {
            return Err(IamError::access_denied(format!(
                "{} is not authorized to perform: sts:SetSourceIdentity on resource: {}",
                caller.describe(),
                input.role_arn
            )));
        }
        let source_identity = input.source_identity.clone().or(inherited_si);
        // Session tags: inherited transitive tags, then the passed tags; a passed tag may
        // not override an inherited transitive one.
        let inherited = parent
            .map(SessionClaims::transitive_tags)
            .unwrap_or_default();
        for (k, _) in &input.tags {
            if inherited.iter().any(|(i, _)| i.eq_ignore_ascii_case(k)) {
                return Err(IamError::Validation(format!(
                    "One or more session tags conflict with transitive session tags: {k}"
                )));
            }
        }
        let mut session_tags = inherited.clone();
        merge_tags(&mut session_tags, &input.tags);
        let mut transitive_keys: Vec<String> = inherited.iter().map(|(k, _)| k.clone()).collect();
        for k in &input.transitive_tag_keys {
            if !transitive_keys.iter().any(|t| t.eq_ignore_ascii_case(k)) {
                transitive_keys.push(k.clone());
            }
        }

        let role = self.role_for_arn(&input.role_arn).await?;
        let gathered = self.caller_policies(caller).await?;
        let not_authorized = || {
            IamError::access_denied(format!(
                "{} is not authorized to perform: sts:AssumeRole on resource: {}",
                caller.describe(),
                input.role_arn
            ))
        };
        let Some(role) = role else {
            // AWS does not reveal whether the role exists.
            return Err(not_authorized());
        };
        let trust = self.trust_policy(&role)?;

        // The trust-evaluation context (§5.7 step 2).
        let mut keys = Vec::with_capacity(8 + 2 * input.tags.len());
        keys.push((
            "sts:RoleSessionName".to_owned(),
            vec![input.role_session_name.clone()],
        ));
        if let Some(e) = &input.external_id {
            keys.push(("sts:ExternalId".to_owned(), vec![e.clone()]));
        }
        if let Some(si) = &source_identity {
            keys.push(("sts:SourceIdentity".to_owned(), vec![si.clone()]));
        }
        push_request_tag_keys(&mut keys, &input.tags, &input.transitive_tag_keys);
        let mut resource_tags = tag_pairs(&role.tags);
        merge_tags(&mut resource_tags, &inherited);
        keys.extend(resource_tag_keys(
            Taggable::Role,
            resource_tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        ));
        keys.push((
            "aws:ResourceAccount".to_owned(),
            vec![role.account_id.clone()],
        ));
        keys.extend(self.resource_org_keys(&role.account_id).await?);
        if mfa_now {
            keys.push(("aws:MultiFactorAuthPresent".to_owned(), vec!["true".into()]));
            keys.push(("aws:MultiFactorAuthAge".to_owned(), vec!["0".into()]));
        }

        let principal = policy_principal(caller, &gathered.arn);
        let mut ctx = RequestContext::new("sts:AssumeRole", Some(&role.arn), principal);
        load_keys(&mut ctx, &gathered.keys);
        load_keys(&mut ctx, &keys);
        let request = AssumeRoleRequest {
            action: AssumeRoleAction::AssumeRole,
            role_arn: &role.arn,
            role_account: &role.account_id,
            trust_policy: &trust,
            tags: !session_tags.is_empty(),
            source_identity: source_identity.is_some(),
        };
        self.authorize_assume_role(&gathered, &ctx, &request, &input.role_arn, &keys)?;

        // Duration (§3.2), after authorization as AWS does.
        let duration = role_session_duration(input.duration_seconds.as_deref(), &role)?;
        if parent.is_some() && duration > CHAINED_MAX {
            return Err(IamError::Validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.".into(),
            ));
        }

        // Managed session policies are looked up in the role's account, as AWS does.
        self.passed_session_policies(
            &role.account_id,
            input.policy.as_deref(),
            &input.policy_arns,
        )
        .await?;
        let packed = (input.policy.is_some()
            || !input.policy_arns.is_empty()
            || !session_tags.is_empty())
        .then(|| packed_policy_percent(input.policy.as_deref(), &input.policy_arns, &session_tags));
        if let Some(p) = packed {
            packed_policy_fits(p)?;
        }

        let credentials = self.issue_session(
            SessionGrant {
                source_identity: source_identity.clone(),
                tags: session_tags,
                transitive_tag_keys: transitive_keys,
                policy: input.policy.clone(),
                policy_arns: input.policy_arns.clone(),
                chain_depth: parent.map_or(0, |p| p.chain_depth.saturating_add(1)),
                mfa: mfa_now || parent.is_some_and(|p| p.mfa),
                origin_key_id: caller.origin_key_id(),
                ..SessionGrant::role(&role, &input.role_session_name, duration)
            },
            "AssumeRole",
        )?;
        let assumed = AssumedRole::new(role.clone(), &input.role_session_name);
        tracing::info!(
            caller = %caller.arn(),
            session = %assumed.arn,
            access_key_id = %credentials.access_key_id,
            duration,
            "assumed role"
        );
        Ok(AssumedRoleOutput {
            credentials,
            assumed_role_id: assumed.assumed_role_id,
            arn: assumed.arn,
            packed_policy_size: packed.map(|p| u32::try_from(p).unwrap_or(u32::MAX)),
            source_identity,
        })
    }
}

/// The trust-evaluation keys of the session tags an AssumeRole* call passes:
/// `aws:RequestTag/*`, `aws:TagKeys` and `sts:TransitiveTagKeys`.
pub(crate) fn push_request_tag_keys(
    keys: &mut Vec<(String, Vec<String>)>,
    tags: &[(String, String)],
    transitive_keys: &[String],
) {
    for (k, v) in tags {
        keys.push((format!("aws:RequestTag/{k}"), vec![v.clone()]));
    }
    if !tags.is_empty() {
        keys.push((
            "aws:TagKeys".to_owned(),
            tags.iter().map(|(k, _)| k.clone()).collect(),
        ));
    }
    if !transitive_keys.is_empty() {
        keys.push(("sts:TransitiveTagKeys".to_owned(), transitive_keys.to_vec()));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn role_arns() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/r"),
            Some(("123456789012", "/", "r"))
        );
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/a/b/r"),
            Some(("123456789012", "/a/b/", "r"))
        );
        assert_eq!(parse_role_arn("arn:aws:iam::123456789012:user/r"), None);
        assert_eq!(parse_role_arn("arn:aws:iam::123456789012:role/"), None);
        assert_eq!(parse_role_arn("not an arn at all, really"), None);
    }

    #[test]
    fn validation_messages() {
        let base = AssumeRoleInput {
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            role_session_name: "ok".into(),
            ..Default::default()
        };
        assert!(validate_input(&base).is_ok());
        let spaced = AssumeRoleInput {
            role_session_name: "has space".into(),
            ..base.clone()
        };
        assert_eq!(
            validate_input(&spaced)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some(
                "1 validation error detected: Value 'has space' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
            )
        );
        let short = AssumeRoleInput {
            role_session_name: "a".into(),
            ..base.clone()
        };
        assert!(validate_input(&short).is_err());
        let long = AssumeRoleInput {
            duration_seconds: Some("43201".into()),
            ..base.clone()
        };
        assert!(validate_input(&long).is_err());
        let many = AssumeRoleInput {
            policy_arns: (0..11)
                .map(|i| format!("arn:aws:iam::123456789012:policy/p{i}"))
                .collect(),
            ..base.clone()
        };
        assert!(matches!(
            validate_input(&many),
            Err(IamError::Validation(_))
        ));
        let stray = AssumeRoleInput {
            tags: vec![("a".into(), "1".into())],
            transitive_tag_keys: vec!["b".into()],
            ..base.clone()
        };
        assert!(validate_input(&stray).is_err());
        let dup = AssumeRoleInput {
            tags: vec![("a".into(), "1".into()), ("A".into(), "2".into())],
            ..base
        };
        assert!(validate_input(&dup).is_err());
    }

    #[test]
    fn packed_size() {
        assert_eq!(packed_policy_percent(None, &[], &[]), 0);
        let p = "x".repeat(1024);
        assert_eq!(packed_policy_percent(Some(&p), &[], &[]), 50);
        assert_eq!(
            packed_policy_percent(Some(&"x".repeat(2049)), &[], &[]),
            101
        );
    }
}
