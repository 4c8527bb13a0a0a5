//! Customer-managed and AWS-managed policies: CreatePolicy, GetPolicy, ListPolicies,
//! DeletePolicy, policy tags and ListEntitiesForPolicy. Versions live in
//! `policy_versions.rs`.

use hourglass_policy::{Policy, PolicyKind, limits, policy_size};
use hourglass_store::{
    EntityFilter, EntityKind, ManagedPolicy, NewPolicy, Page, PageRequest, PolicyEntity,
    PolicyFilter, PolicyScope, PolicyUsage,
};

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::ids::{IdKind, new_id};
use crate::tags::{Taggable, to_tags};
use crate::{Identity, validate};

/// CreatePolicy input.
#[derive(Debug, Clone, Default)]
pub struct CreatePolicy {
    pub name: String,
    pub path: Option<String>,
    pub document: String,
    pub description: Option<String>,
    pub tags: Vec<(String, String)>,
}

/// ListPolicies filters as received (`Scope`, `OnlyAttached`, `PathPrefix`,
/// `PolicyUsageFilter`).
#[derive(Debug, Clone, Default)]
pub struct ListPolicies {
    pub scope: Option<String>,
    pub only_attached: bool,
    pub path_prefix: Option<String>,
    pub usage: Option<String>,
}

/// Parses and validates a document for `kind`; refusals carry the policy crate's
/// `MalformedPolicyDocument` message word for word.
pub(crate) fn parse_document(text: &str, kind: PolicyKind) -> IamResult<Policy> {
    hourglass_policy::parse(text, kind).map_err(|e| IamError::MalformedPolicyDocument(e.message))
}

/// A managed policy document: valid `2012-10-17` identity policy within the 6,144-character
/// quota (whitespace not counted).
pub(crate) fn check_managed_document(text: &str) -> IamResult<()> {
    parse_document(text, PolicyKind::Managed)?;
    if policy_size(text) > limits::MANAGED_POLICY {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for PolicySize: {}",
            limits::MANAGED_POLICY
        )));
    }
    Ok(())
}

/// A policy ARN parameter: `arnType` length, then the shape
/// `arn:aws:iam::{account|aws}:policy{path}{name}` (InvalidInput `ARN x is not valid.`
/// otherwise, as IAM words it).
pub(crate) fn check_policy_arn(arn: &str, member: &str) -> IamResult<()> {
    validate::arn(arn, member)?;
    // AWS separates text that is no ARN at all (a ValidationError, with AWS's double
    // space) from a well-formed ARN that names no policy (InvalidInput).
    if !arn.starts_with("arn:") || arn.splitn(6, ':').count() < 6 {
        return Err(IamError::Validation(
            "Invalid ARN:  Could not be parsed!".into(),
        ));
    }
    let invalid = || IamError::InvalidInput(format!("ARN {arn} is not valid."));
    let rest = arn.strip_prefix("arn:aws:iam::").ok_or_else(invalid)?;
    let (account, resource) = rest.split_once(':').ok_or_else(invalid)?;
    let account_ok =
        account == "aws" || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    let name = resource
        .strip_prefix("policy/")
        .and_then(|r| r.rsplit('/').next())
        .unwrap_or("");
    if !account_ok || name.is_empty() {
        return Err(invalid());
    }
    Ok(())
}

fn parse_usage(value: Option<&str>) -> IamResult<Option<PolicyUsage>> {
    Ok(
        match value
            .map(|v| {
                validate::one_of(
                    v,
                    "PolicyUsageFilter",
                    &["PermissionsPolicy", "PermissionsBoundary"],
                )
            })
            .transpose()?
        {
            Some("PermissionsPolicy") => Some(PolicyUsage::PermissionsPolicy),
            Some(_) => Some(PolicyUsage::PermissionsBoundary),
            None => None,
        },
    )
}

impl Identity {
    pub(crate) fn policy_arn(&self, path: &str, name: &str) -> String {
        format!("arn:aws:iam::{}:policy{path}{name}", self.account_id)
    }

    pub async fn create_policy(
        &self,
        caller: &crate::Caller,
        input: CreatePolicy,
    ) -> IamResult<ManagedPolicy> {
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        validate::all([
            validate::name(&input.name, "PolicyName", 128),
            validate::policy_path(&path, "Path"),
            validate::policy_document(&input.document, "PolicyDocument"),
            input
                .description
                .as_deref()
                .map_or(Ok(()), |d| validate::length(d, "Description", 0, 1000)),
        ])?;
        validate::tags_with_quota(&input.tags, "TagsPerPolicy")?;
        let arn = self.policy_arn(&path, &input.name);
        self.authorize(
            caller,
            &Access::new("iam:CreatePolicy", &arn).with_request_tags(&input.tags),
        )
        .await?;
        self.authorize_create_tags(caller, Taggable::Policy, &arn, &input.tags)
            .await?;
        check_managed_document(&input.document)?;
        let policy = NewPolicy {
            account_id: self.account_id.clone(),
            policy_id: new_id(IdKind::Policy),
            name: input.name,
            path,
            arn,
            description: input.description,
            document: input.document,
            create_date: self.clock.now(),
            tags: to_tags(&input.tags),
        };
        Ok(self.store.create_policy(policy).await?)
    }

    /// Authorizes `action` on the policy ARN, with the policy's tags, after checking its
    /// shape.
    pub(crate) async fn authorize_policy(
        &self,
        caller: &crate::Caller,
        action: &str,
        arn: &str,
    ) -> IamResult<()> {
        check_policy_arn(arn, "PolicyArn")?;
        self.authorize_tagged(caller, Taggable::Policy, action, arn)
            .await?;
        self.ensure_aws_managed_policy(arn).await
    }

    pub async fn get_policy(&self, caller: &crate::Caller, arn: &str) -> IamResult<ManagedPolicy> {
        self.authorize_policy(caller, "iam:GetPolicy", arn).await?;
        Ok(self.store.get_policy(&self.account_id, arn).await?)
    }

    pub async fn list_policies(
        &self,
        caller: &crate::Caller,
        input: ListPolicies,
        page: PageRequest,
    ) -> IamResult<Page<ManagedPolicy>> {
        let scope = match input
            .scope
            .as_deref()
            .map(|s| validate::one_of(s, "Scope", &["All", "AWS", "Local"]))
            .transpose()?
        {
            Some("AWS") => PolicyScope::Aws,
            Some("Local") => PolicyScope::Local,
            _ => PolicyScope::All,
        };
        if let Some(p) = &input.path_prefix {
            validate::path_prefix(p)?;
        }
        let usage = parse_usage(input.usage.as_deref())?;
        let resource = format!("arn:aws:iam::{}:policy/*", self.account_id);
        self.authorize(caller, &Access::new("iam:ListPolicies", &resource))
            .await?;
        let filter = PolicyFilter {
            scope,
            only_attached: input.only_attached,
            path_prefix: input.path_prefix,
            usage,
        };
        let stored = self
            .store
            .list_policies(&self.account_id, &filter, &page)
            .await?;
        if scope == PolicyScope::Local || filter.only_attached || filter.usage.is_some() {
            return Ok(stored);
        }
        self.merge_aws_catalogue(stored, filter.path_prefix.as_deref(), &page)
    }

    pub async fn delete_policy(&self, caller: &crate::Caller, arn: &str) -> IamResult<()> {
        self.authorize_policy(caller, "iam:DeletePolicy", arn)
            .await?;
        match self.store.delete_policy(&self.account_id, arn).await {
            Err(hourglass_store::StoreError::NotFound {
                kind: hourglass_store::ResourceKind::Policy,
                ..
            }) => Err(IamError::NoSuchEntity(format!(
                "Policy {arn} was not found."
            ))),
            other => Ok(other?),
        }
    }

    /// ListEntitiesForPolicy. `EntityFilter` `User`/`Role`/`Group` narrows the kind;
    /// `LocalManagedPolicy`/`AWSManagedPolicy` (values of the shared enum that make little
    /// sense here) list every kind when the policy is of that scope and nothing otherwise.
    pub async fn list_entities_for_policy(
        &self,
        caller: &crate::Caller,
        arn: &str,
        entity_filter: Option<&str>,
        path_prefix: Option<&str>,
        usage: Option<&str>,
        page: PageRequest,
    ) -> IamResult<Page<PolicyEntity>> {
        check_policy_arn(arn, "PolicyArn")?;
        let entity_filter = entity_filter
            .map(|f| {
                validate::one_of(
                    f,
                    "EntityFilter",
                    &[
                        "User",
                        "Role",
                        "Group",
                        "LocalManagedPolicy",
                        "AWSManagedPolicy",
                    ],
                )
            })
            .transpose()?;
        if let Some(p) = path_prefix {
            validate::path_prefix(p)?;
        }
        let usage = parse_usage(usage)?;
        self.authorize_tagged(caller, Taggable::Policy, "iam:ListEntitiesForPolicy", arn)
            .await?;
        self.ensure_aws_managed_policy(arn).await?;
        let kind = match entity_filter {
            Some("User") => Some(EntityKind::User),
            Some("Role") => Some(EntityKind::Role),
            Some("Group") => Some(EntityKind::Group),
            Some(scope) => {
                let policy = self.store.get_policy(&self.account_id, arn).await?;
                if policy.is_aws_managed() != (scope == "AWSManagedPolicy") {
                    return Ok(Page {
                        items: Vec::new(),
                        next_marker: None,
                    });
                }
                None
            }
            None => None,
        };
        let filter = EntityFilter {
            kind,
            path_prefix: path_prefix.map(str::to_owned),
            usage,
        };
        Ok(self
            .store
            .list_entities_for_policy(&self.account_id, arn, &filter, &page)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_arns() {
        assert!(check_policy_arn("arn:aws:iam::123456789012:policy/p", "PolicyArn").is_ok());
        assert!(check_policy_arn("arn:aws:iam::123456789012:policy/a/b/p", "PolicyArn").is_ok());
        assert!(
            check_policy_arn("arn:aws:iam::aws:policy/AdministratorAccess", "PolicyArn").is_ok()
        );
        let bad = check_policy_arn("arn:aws:s3:::bucket-name-here", "PolicyArn")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            bad.as_deref(),
            Some("ARN arn:aws:s3:::bucket-name-here is not valid.")
        );
        assert!(check_policy_arn("arn:aws:iam::123456789012:user/alice", "PolicyArn").is_err());
        assert!(check_policy_arn("arn:aws:iam::123456789012:policy/", "PolicyArn").is_err());
        // Too short for the model: ValidationError, not InvalidInput.
        assert!(matches!(
            check_policy_arn("arn:x", "PolicyArn"),
            Err(IamError::Validation(_))
        ));
    }

    #[test]
    fn managed_documents() {
        let ok = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        assert!(check_managed_document(ok).is_ok());
        let old = r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        assert_eq!(
            check_managed_document(old)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("Policy document must be version 2012-10-17 or greater.")
        );
        // 6,144 characters not counting whitespace is the limit; padding with spaces is free.
        let head = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::"#;
        let tail = r#""}]}"#;
        let fill = limits::MANAGED_POLICY - policy_size(head) - policy_size(tail);
        let exact = format!("{head}{}{tail}", "a".repeat(fill));
        assert_eq!(policy_size(&exact), limits::MANAGED_POLICY);
        assert!(check_managed_document(&exact).is_ok());
        let spaced = format!("{}{head}{}{tail}", " ".repeat(500), "a".repeat(fill));
        assert!(check_managed_document(&spaced).is_ok());
        let over = format!("{head}{}{tail}", "a".repeat(fill + 1));
        assert_eq!(
            check_managed_document(&over)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("Cannot exceed quota for PolicySize: 6144")
        );
    }
}
