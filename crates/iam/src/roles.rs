//! IAM roles: CreateRole, GetRole, ListRoles, UpdateRole, UpdateRoleDescription,
//! UpdateAssumeRolePolicy, DeleteRole and role tags.

use hourglass_policy::{PolicyKind, PrincipalElement, limits, policy_size};
use hourglass_store::{NewRole, Page, PageRequest, Role, RoleUpdate, StoreError};

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::ids::{IdKind, new_id};
use crate::policies::{check_policy_arn, parse_document};
use crate::principal::entity_arn;
use crate::tags::{Taggable, tags_of, to_tags};
use crate::{Caller, Identity, validate};

/// Session duration bounds of a role (seconds).
pub const MIN_MAX_SESSION_DURATION: i64 = 3600;
pub const MAX_MAX_SESSION_DURATION: i64 = 43200;

/// CreateRole input, parameters as received.
#[derive(Debug, Clone, Default)]
pub struct CreateRole {
    pub name: String,
    pub path: Option<String>,
    pub assume_role_policy_document: String,
    pub description: Option<String>,
    pub max_session_duration: Option<String>,
    pub permissions_boundary: Option<String>,
    pub tags: Vec<(String, String)>,
}

fn max_session_duration(value: &str) -> IamResult<u32> {
    let n = validate::int_range(
        value,
        "MaxSessionDuration",
        MIN_MAX_SESSION_DURATION,
        MAX_MAX_SESSION_DURATION,
    )?;
    Ok(u32::try_from(n).unwrap_or(3600))
}

pub(crate) fn no_such_role(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The role with name {name} cannot be found."))
}

impl Identity {
    pub(crate) fn role_arn(&self, path: &str, name: &str) -> String {
        entity_arn(&self.account_id, "role", path, name)
    }

    /// The ARN a request about role `name` is authorized against: the real ARN when the role
    /// exists, else the path-less one (the missing role is reported after authorization).
    pub(crate) async fn role_resource(&self, name: &str) -> IamResult<(String, Option<Role>)> {
        match self.store.get_role(&self.account_id, name).await {
            Ok(r) => Ok((r.arn.clone(), Some(r))),
            Err(StoreError::NotFound { .. }) => Ok((self.role_arn("/", name), None)),
            Err(e) => Err(e.into()),
        }
    }

    /// Authorizes `access` built for the role's ARN, with the role's tags, then returns the
    /// role or NoSuchEntity.
    pub(crate) async fn authorized_role(
        &self,
        caller: &Caller,
        name: &str,
        access: impl FnOnce(&str) -> Access,
    ) -> IamResult<Role> {
        validate::name(name, "RoleName", 128)?;
        let (arn, role) = self.role_resource(name).await?;
        let tags = tags_of(role.as_ref());
        self.authorize(
            caller,
            &access(&arn).with_resource_tags(Taggable::Role, tags),
        )
        .await?;
        role.ok_or_else(|| no_such_role(name))
    }

    /// A trust policy: valid as a trust policy, within the ACLSizePerRole quota, and every
    /// user or role of this account it names must exist (AWS resolves them to unique ids on
    /// save, so a missing one is refused).
    pub(crate) async fn check_trust_policy(&self, document: &str) -> IamResult<()> {
        let policy = parse_document(document, PolicyKind::Trust)?;
        if policy_size(document) > limits::TRUST_POLICY {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for ACLSizePerRole: {}",
                limits::TRUST_POLICY
            )));
        }
        let own = format!("arn:aws:iam::{}:", self.account_id);
        for statement in &policy.statements {
            let Some(PrincipalElement::Principal(set)) = &statement.principal else {
                continue;
            };
            for arn in &set.aws {
                let Some(resource) = arn.strip_prefix(&own) else {
                    continue;
                };
                if arn.contains('*') {
                    continue;
                }
                let exists = if let Some(rest) = resource.strip_prefix("user/") {
                    let name = rest.rsplit('/').next().unwrap_or(rest);
                    match self.store.get_user(&self.account_id, name).await {
                        Ok(u) => u.arn == *arn,
                        Err(StoreError::NotFound { .. }) => false,
                        Err(e) => return Err(e.into()),
                    }
                } else if let Some(rest) = resource.strip_prefix("role/") {
                    let name = rest.rsplit('/').next().unwrap_or(rest);
                    match self.store.get_role(&self.account_id, name).await {
                        Ok(r) => r.arn == *arn,
                        Err(StoreError::NotFound { .. }) => false,
                        Err(e) => return Err(e.into()),
                    }
                } else {
                    true
                };
                if !exists {
                    return Err(IamError::MalformedPolicyDocument(format!(
                        "Invalid principal in policy: \"AWS\":\"{arn}\""
                    )));
                }
            }
        }
        Ok(())
    }

    pub async fn create_role(&self, caller: &Caller, input: CreateRole) -> IamResult<Role> {
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        let max_session = || {
            input
                .max_session_duration
                .as_deref()
                .map_or(Ok(3600), max_session_duration)
        };
        validate::all([
            validate::path(&path, "Path"),
            validate::name(&input.name, "RoleName", 64),
            validate::policy_document(
                &input.assume_role_policy_document,
                "AssumeRolePolicyDocument",
            ),
            input
                .description
                .as_deref()
                .map_or(Ok(()), |d| validate::role_description(d, "Description")),
            max_session().map(|_| ()),
        ])?;
        let max_session = max_session()?;
        crate::service_linked_roles::ensure_customer_path(&path)?;
        if let Some(b) = &input.permissions_boundary {
            check_policy_arn(b, "PermissionsBoundary")?;
        }
        validate::tags_with_quota(&input.tags, "TagsPerRole")?;
        let arn = self.role_arn(&path, &input.name);
        let mut access = Access::new("iam:CreateRole", &arn).with_request_tags(&input.tags);
        if let Some(b) = &input.permissions_boundary {
            access = access.with("iam:PermissionsBoundary", b);
        }
        self.authorize(caller, &access).await?;
        self.authorize_create_tags(caller, Taggable::Role, &arn, &input.tags)
            .await?;
        self.check_trust_policy(&input.assume_role_policy_document)
            .await?;
        if let Some(b) = &input.permissions_boundary {
            crate::aws_managed::check_attachable(b)?;
            self.ensure_aws_managed_policy(b).await?;
        }
        let role = NewRole {
            account_id: self.account_id.clone(),
            role_id: new_id(IdKind::Role),
            name: input.name,
            path,
            arn,
            create_date: self.clock.now(),
            assume_role_policy_document: input.assume_role_policy_document,
            description: input.description,
            max_session_duration: max_session,
            permissions_boundary: input.permissions_boundary,
            tags: to_tags(&input.tags),
        };
        Ok(self.store.create_role(role).await?)
    }

    pub async fn get_role(&self, caller: &Caller, name: &str) -> IamResult<Role> {
        self.authorized_role(caller, name, |arn| Access::new("iam:GetRole", arn))
            .await
    }

    pub async fn list_roles(
        &self,
        caller: &Caller,
        path_prefix: Option<&str>,
        page: PageRequest,
    ) -> IamResult<Page<Role>> {
        self.authorize_path_listing(caller, "iam:ListRoles", "role/*", path_prefix)
            .await?;
        Ok(self
            .store
            .list_roles(&self.account_id, path_prefix, &page)
            .await?)
    }

    /// UpdateRole (and, with `action` `iam:UpdateRoleDescription`, the legacy variant that
    /// returns the role).
    pub async fn update_role(
        &self,
        caller: &Caller,
        action: &str,
        name: &str,
        description: Option<&str>,
        max_session: Option<&str>,
    ) -> IamResult<Role> {
        if let Some(d) = description {
            validate::role_description(d, "Description")?;
        }
        let max_session = max_session.map(max_session_duration).transpose()?;
        self.authorized_role(caller, name, |arn| Access::new(action, arn))
            .await?;
        let update = RoleUpdate {
            description: description.map(str::to_owned),
            max_session_duration: max_session,
        };
        Ok(self
            .store
            .update_role(&self.account_id, name, update)
            .await?)
    }

    pub async fn update_assume_role_policy(
        &self,
        caller: &Caller,
        name: &str,
        document: &str,
    ) -> IamResult<()> {
        validate::policy_document(document, "PolicyDocument")?;
        let role = self
            .authorized_role(caller, name, |arn| {
                Access::new("iam:UpdateAssumeRolePolicy", arn)
            })
            .await?;
        crate::service_linked_roles::ensure_modifiable(&role.arn)?;
        self.check_trust_policy(document).await?;
        Ok(self
            .store
            .update_assume_role_policy(&self.account_id, name, document)
            .await?)
    }

    pub async fn delete_role(&self, caller: &Caller, name: &str) -> IamResult<()> {
        let role = self
            .authorized_role(caller, name, |arn| Access::new("iam:DeleteRole", arn))
            .await?;
        crate::service_linked_roles::ensure_modifiable(&role.arn)?;
        Ok(self.store.delete_role(&self.account_id, name).await?)
    }
}
