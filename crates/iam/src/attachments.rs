//! Managed policy attachments: Attach/Detach{User,Role,Group}Policy and
//! ListAttached{User,Role,Group}Policies. The store checks the ten-per-entity quota in the
//! attach transaction.

use hourglass_store::{AttachedPolicy, EntityRef, Page, PageRequest};

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::policies::check_policy_arn;
use crate::{Caller, Identity, validate};

/// `iam:AttachUserPolicy`, `iam:ListAttachedRolePolicies`, … for an entity kind.
pub(crate) fn entity_action(verb: &str, entity: &EntityRef, suffix: &str) -> String {
    let kind = match entity {
        EntityRef::User(_) => "User",
        EntityRef::Role(_) => "Role",
        EntityRef::Group(_) => "Group",
    };
    format!("iam:{verb}{kind}{suffix}")
}

impl Identity {
    /// The ARN an operation on `entity` is authorized against, and an error to report after
    /// authorization when the entity does not exist.
    pub(crate) async fn entity_resource(
        &self,
        entity: &EntityRef,
    ) -> IamResult<(String, Option<IamError>)> {
        let name = entity.name();
        match entity {
            EntityRef::User(_) => {
                validate::name(name, "UserName", 128)?;
                let (arn, user) = self.user_resource(name).await?;
                let missing = user.is_none().then(|| {
                    IamError::NoSuchEntity(format!("The user with name {name} cannot be found."))
                });
                Ok((arn, missing))
            }
            EntityRef::Role(_) => {
                validate::name(name, "RoleName", 128)?;
                let (arn, role) = self.role_resource(name).await?;
                let missing = role.is_none().then(|| {
                    IamError::NoSuchEntity(format!("The role with name {name} cannot be found."))
                });
                Ok((arn, missing))
            }
            EntityRef::Group(_) => {
                validate::name(name, "GroupName", 128)?;
                let (arn, group) = self.group_resource(name).await?;
                let missing = group.is_none().then(|| {
                    IamError::NoSuchEntity(format!("The group with name {name} cannot be found."))
                });
                Ok((arn, missing))
            }
        }
    }

    /// Authorizes `access` built for the entity's ARN, then reports a missing entity.
    pub(crate) async fn authorize_entity(
        &self,
        caller: &Caller,
        entity: &EntityRef,
        access: impl FnOnce(&str) -> Access,
    ) -> IamResult<()> {
        let (arn, missing) = self.entity_resource(entity).await?;
        self.authorize(caller, &access(&arn)).await?;
        match missing {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    pub async fn attach_policy(
        &self,
        caller: &Caller,
        entity: &EntityRef,
        policy_arn: &str,
    ) -> IamResult<()> {
        check_policy_arn(policy_arn, "PolicyArn")?;
        let action = entity_action("Attach", entity, "Policy");
        self.authorize_entity(caller, entity, |arn| {
            Access::new(&action, arn).with("iam:PolicyARN", policy_arn)
        })
        .await?;
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
        check_policy_arn(policy_arn, "PolicyArn")?;
        let action = entity_action("Detach", entity, "Policy");
        self.authorize_entity(caller, entity, |arn| {
            Access::new(&action, arn).with("iam:PolicyARN", policy_arn)
        })
        .await?;
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
