//! Managed policy attachments: Attach/Detach{User,Role,Group}Policy and
//! ListAttached{User,Role,Group}Policies. The store checks the ten-per-entity quota in the
//! attach transaction.

use hourglass_store::{AttachedPolicy, EntityRef, Page, PageRequest, Tag};

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::policies::check_policy_arn;
use crate::tags::Taggable;
use crate::{Caller, Identity, validate};

/// The entity kind as action names, member names and messages spell it.
fn entity_kind(entity: &EntityRef) -> &'static str {
    match entity {
        EntityRef::User(_) => "User",
        EntityRef::Role(_) => "Role",
        EntityRef::Group(_) => "Group",
    }
}

/// `iam:AttachUserPolicy`, `iam:ListAttachedRolePolicies`, … for an entity kind.
pub(crate) fn entity_action(verb: &str, entity: &EntityRef, suffix: &str) -> String {
    format!("iam:{verb}{}{suffix}", entity_kind(entity))
}

/// What an operation on a user, role or group is authorized against.
pub(crate) struct EntityTarget {
    pub(crate) arn: String,
    /// NoSuchEntity, reported only after authorization (AWS checks permission first).
    missing: Option<IamError>,
    /// The entity's permissions boundary (users and roles).
    pub(crate) boundary: Option<String>,
    /// The entity's tags (users and roles; groups carry none).
    tags: Option<(Taggable, Vec<Tag>)>,
}

impl EntityTarget {
    fn found(arn: String, boundary: Option<String>, tags: Option<(Taggable, Vec<Tag>)>) -> Self {
        Self {
            arn,
            missing: None,
            boundary,
            tags,
        }
    }

    fn missing(arn: String, message: String) -> Self {
        Self {
            arn,
            missing: Some(IamError::NoSuchEntity(message)),
            boundary: None,
            tags: None,
        }
    }

    /// `access` for the entity's ARN, with the entity's tags.
    fn access(&self, access: impl FnOnce(&str) -> Access) -> Access {
        match &self.tags {
            Some((kind, tags)) => access(&self.arn).with_resource_tags(*kind, tags),
            None => access(&self.arn),
        }
    }

    fn into_result(self) -> IamResult<()> {
        match self.missing {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Identity {
    /// The ARN an operation on `entity` is authorized against, an error to report after
    /// authorization when the entity does not exist, and the entity's current permissions
    /// boundary.
    pub(crate) async fn entity_resource(&self, entity: &EntityRef) -> IamResult<EntityTarget> {
        let name = entity.name();
        let kind = entity_kind(entity);
        validate::name(name, &format!("{kind}Name"), 128)?;
        // The entity's boundary and tags, when it exists.
        let (arn, found) = match entity {
            EntityRef::User(_) => {
                let (arn, user) = self.user_resource(name).await?;
                let found = user.map(|u| (u.permissions_boundary, Some((Taggable::User, u.tags))));
                (arn, found)
            }
            EntityRef::Role(_) => {
                let (arn, role) = self.role_resource(name).await?;
                let found = role.map(|r| (r.permissions_boundary, Some((Taggable::Role, r.tags))));
                (arn, found)
            }
            EntityRef::Group(_) => {
                let (arn, group) = self.group_resource(name).await?;
                (arn, group.map(|_| (None, None)))
            }
        };
        Ok(match found {
            Some((boundary, tags)) => EntityTarget::found(arn, boundary, tags),
            None => {
                let noun = kind.to_ascii_lowercase();
                EntityTarget::missing(arn, format!("The {noun} with name {name} cannot be found."))
            }
        })
    }

    /// Authorizes `access` built for the entity's ARN, then reports a missing entity.
    pub(crate) async fn authorize_entity(
        &self,
        caller: &Caller,
        entity: &EntityRef,
        access: impl FnOnce(&str) -> Access,
    ) -> IamResult<()> {
        let target = self.entity_resource(entity).await?;
        self.authorize(caller, &target.access(access)).await?;
        target.into_result()
    }

    /// Like [`Identity::authorize_entity`] for a change to the entity's permissions: AWS
    /// sets `iam:PermissionsBoundary` to the entity's current boundary, so a delegated
    /// administrator can be limited to entities that carry a given boundary.
    pub(crate) async fn authorize_entity_change(
        &self,
        caller: &Caller,
        entity: &EntityRef,
        access: impl FnOnce(&str) -> Access,
    ) -> IamResult<()> {
        let target = self.entity_resource(entity).await?;
        let mut access = target.access(access);
        if let Some(b) = &target.boundary {
            access = access.with("iam:PermissionsBoundary", b);
        }
        self.authorize(caller, &access).await?;
        let arn = target.arn.clone();
        target.into_result()?;
        crate::service_linked_roles::ensure_modifiable(&arn)
    }

    /// Checks the policy ARN, then authorizes `iam:{verb}{Kind}Policy` of it as a change to
    /// the entity's permissions.
    async fn authorize_attachment(
        &self,
        caller: &Caller,
        verb: &str,
        entity: &EntityRef,
        policy_arn: &str,
    ) -> IamResult<()> {
        check_policy_arn(policy_arn, "PolicyArn")?;
        let action = entity_action(verb, entity, "Policy");
        self.authorize_entity_change(caller, entity, |arn| {
            Access::new(&action, arn).with("iam:PolicyARN", policy_arn)
        })
        .await
    }

    pub async fn attach_policy(
        &self,
        caller: &Caller,
        entity: &EntityRef,
        policy_arn: &str,
    ) -> IamResult<()> {
        self.authorize_attachment(caller, "Attach", entity, policy_arn)
            .await?;
        crate::aws_managed::check_attachable(policy_arn)?;
        self.ensure_aws_managed_policy(policy_arn).await?;
        Ok(self
            .store
            .attach_policy(&self.account_id, entity, policy_arn)
            .await?)
    }

    pub async fn detach_policy(
        &self,
        caller: &Caller,
        entity: &EntityRef,
        policy_arn: &str,
    ) -> IamResult<()> {
        self.authorize_attachment(caller, "Detach", entity, policy_arn)
            .await?;
        self.ensure_aws_managed_policy(policy_arn).await?;
        Ok(self
            .store
            .detach_policy(&self.account_id, entity, policy_arn)
            .await?)
    }

    pub async fn list_attached_policies(
        &self,
        caller: &Caller,
        entity: &EntityRef,
        path_prefix: Option<&str>,
        page: PageRequest,
    ) -> IamResult<Page<AttachedPolicy>> {
        if let Some(p) = path_prefix {
            validate::path_prefix(p)?;
        }
        let action = entity_action("ListAttached", entity, "Policies");
        self.authorize_entity(caller, entity, |arn| Access::new(&action, arn))
            .await?;
        Ok(self
            .store
            .list_attached_policies(&self.account_id, entity, path_prefix, &page)
            .await?)
    }
}
