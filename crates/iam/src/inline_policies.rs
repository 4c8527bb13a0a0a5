//! Inline policies: Put/Get/Delete/List{User,Role,Group}Policy. Documents are identity
//! policies of any version; the aggregate size of an entity's inline policies is checked by
//! the store inside the put transaction (`SizeCheck`), so concurrent puts cannot exceed it.

use hourglass_policy::{PolicyKind, limits, policy_size};
use hourglass_store::{EntityRef, InlinePolicy, Page, PageRequest, SizeCheck, StoreError};

use crate::attachments::entity_action;
use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::policies::parse_document;
use crate::{Caller, Identity, validate};

/// The aggregate inline-policy quota of an entity kind (whitespace not counted).
pub fn aggregate_limit(entity: &EntityRef) -> usize {
    match entity {
        EntityRef::User(_) => limits::INLINE_USER_AGGREGATE,
        EntityRef::Role(_) => limits::INLINE_ROLE_AGGREGATE,
        EntityRef::Group(_) => limits::INLINE_GROUP_AGGREGATE,
    }
}

impl Identity {
    pub async fn put_inline_policy(
        &self,
        caller: &Caller,
        entity: &EntityRef,
        policy_name: &str,
        document: &str,
    ) -> IamResult<()> {
        validate::name(policy_name, "PolicyName", 128)?;
        validate::policy_document(document, "PolicyDocument")?;
        let action = entity_action("Put", entity, "Policy");
        self.authorize_entity_change(caller, entity, |arn| Access::new(&action, arn))
            .await?;
        parse_document(document, PolicyKind::Identity)?;
        let check = SizeCheck {
            size: u32::try_from(policy_size(document)).unwrap_or(u32::MAX),
            limit: u32::try_from(aggregate_limit(entity)).unwrap_or(u32::MAX),
        };
        match self
            .store
            .put_inline_policy(&self.account_id, entity, policy_name, document, check)
            .await
        {
            // AWS's wording has no final period (`… exceeded for user alice`).
            Err(StoreError::PolicySizeExceeded { kind, name, limit }) => {
                Err(IamError::LimitExceeded(format!(
                    "Maximum policy size of {limit} bytes exceeded for {} {name}",
                    kind.as_str()
                )))
            }
            other => Ok(other?),
        }
    }

    pub async fn get_inline_policy(
        &self,
        caller: &Caller,
        entity: &EntityRef,
        policy_name: &str,
    ) -> IamResult<InlinePolicy> {
        validate::name(policy_name, "PolicyName", 128)?;
        let action = entity_action("Get", entity, "Policy");
        self.authorize_entity(caller, entity, |arn| Access::new(&action, arn))
            .await?;
        Ok(self
            .store
            .get_inline_policy(&self.account_id, entity, policy_name)
            .await?)
    }

    pub async fn delete_inline_policy(
        &self,
        caller: &Caller,
        entity: &EntityRef,
        policy_name: &str,
    ) -> IamResult<()> {
        validate::name(policy_name, "PolicyName", 128)?;
        let action = entity_action("Delete", entity, "Policy");
        self.authorize_entity_change(caller, entity, |arn| Access::new(&action, arn))
            .await?;
        Ok(self
            .store
            .delete_inline_policy(&self.account_id, entity, policy_name)
            .await?)
    }

    pub async fn list_inline_policies(
        &self,
        caller: &Caller,
        entity: &EntityRef,
        page: PageRequest,
    ) -> IamResult<Page<String>> {
        let action = entity_action("List", entity, "Policies");
        self.authorize_entity(caller, entity, |arn| Access::new(&action, arn))
            .await?;
        Ok(self
            .store
            .list_inline_policies(&self.account_id, entity, &page)
            .await?)
    }
}
