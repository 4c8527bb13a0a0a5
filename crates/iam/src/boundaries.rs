//! Permissions boundaries: Put/Delete{User,Role}PermissionsBoundary. Only managed policies
//! (customer or AWS) can be boundaries; the store refuses unknown ARNs with NoSuchEntity.
//! `iam:PermissionsBoundary` is the boundary being set on Put and the one being removed on
//! Delete, so administrators can require (or protect) a given boundary when delegating.

use hourglass_store::EntityRef;

use crate::attachments::entity_action;
use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::policies::check_policy_arn;
use crate::{Caller, Identity};

impl Identity {
    /// Sets (`Some`) or removes (`None`) the boundary of a user or role.
    pub async fn set_permissions_boundary(
        &self,
        caller: &Caller,
        entity: &EntityRef,
        policy_arn: Option<&str>,
    ) -> IamResult<()> {
        if let Some(b) = policy_arn {
            check_policy_arn(b, "PermissionsBoundary")?;
        }
        let verb = if policy_arn.is_some() {
            "Put"
        } else {
            "Delete"
        };
        let action = entity_action(verb, entity, "PermissionsBoundary");
        match policy_arn {
            // Put: the key is the boundary being set, so delegation can require it.
            Some(b) => {
                self.authorize_entity(caller, entity, |arn| {
                    Access::new(&action, arn).with("iam:PermissionsBoundary", b)
                })
                .await?;
                if let EntityRef::Role(name) = entity {
                    let (arn, _) = self.role_resource(name).await?;
                    crate::service_linked_roles::ensure_modifiable(&arn)?;
                }
            }
            // Delete: the key is the boundary being removed.
            None => {
                self.authorize_entity_change(caller, entity, |arn| Access::new(&action, arn))
                    .await?
            }
        }
        if let Some(b) = policy_arn {
            crate::aws_managed::check_attachable(b)?;
            self.ensure_aws_managed_policy(b).await?;
        }
        match entity {
            EntityRef::User(name) => Ok(self
                .store
                .set_user_permissions_boundary(&self.account_id, name, policy_arn)
                .await?),
            EntityRef::Role(name) => Ok(self
                .store
                .set_role_permissions_boundary(&self.account_id, name, policy_arn)
                .await?),
            EntityRef::Group(_) => Err(IamError::InvalidInput(
                "Groups cannot have permissions boundaries.".into(),
            )),
        }
    }
}
