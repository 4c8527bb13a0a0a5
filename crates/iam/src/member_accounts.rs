//! Operator tasks on the member accounts of the organization. AWS hands a new member
//! account's root to whoever owns its e-mail address (password recovery); a local server
//! has no mailbox, so the operator mints root access keys instead.

use hourglass_store::KeyOwner;

use crate::Identity;
use crate::bootstrap::GeneratedRootKey;
use crate::error::{IamError, IamResult};

/// Access keys the root user of an account may hold (AWS's limit).
const ROOT_KEYS: usize = 2;

impl Identity {
    /// Creates a root access key for member account `account_id` of the organization.
    /// Refused for the management account (its root keys are the server's own), for an
    /// account outside the organization, and when root already holds two keys.
    pub async fn mint_member_root_key(&self, account_id: &str) -> IamResult<GeneratedRootKey> {
        let org = self.store.organization().await?.ok_or_else(|| {
            IamError::InvalidInput("no organization exists on this server".into())
        })?;
        if org.management_account_id == account_id {
            return Err(IamError::InvalidInput(format!(
                "account {account_id} is the management account; its root credentials are the server's own"
            )));
        }
        if self.store.org_account(account_id).await?.is_none() {
            return Err(IamError::InvalidInput(format!(
                "account {account_id} is not a member of the organization"
            )));
        }
        let keys = self
            .store
            .list_access_keys(account_id, &KeyOwner::Root)
            .await?;
        if keys.len() >= ROOT_KEYS {
            return Err(IamError::InvalidInput(format!(
                "the root user of account {account_id} already has {ROOT_KEYS} access keys; delete one first (iam delete-access-key as that root)"
            )));
        }
        let key = self.create_root_key(account_id).await?;
        tracing::info!(account = %account_id, access_key_id = %key.access_key_id, "root access key created by the operator");
        Ok(key)
    }
}
