//! First-start work: the account and its root credentials.

use hourglass_store::{KeyOwner, NewAccessKey, Secret, StoreError};

use crate::Identity;
use crate::error::{IamError, IamResult};
use crate::ids::{IdKind, new_id, new_secret};

/// Root credentials the bootstrap created (to be written to the data dir and printed once).
#[derive(Debug, Clone)]
pub struct GeneratedRootKey {
    pub access_key_id: String,
    pub secret: Secret,
}

impl Identity {
    /// Creates the account if it does not exist yet.
    pub async fn ensure_account(&self) -> IamResult<()> {
        self.store
            .ensure_account(&self.account_id, self.clock.now())
            .await?;
        Ok(())
    }

    /// Makes sure root can sign with the operator-given key: creates it on first start, and
    /// refuses to start if that key id exists with another secret or owner (silently
    /// accepting a changed secret would hide a misconfiguration).
    pub async fn ensure_root_key(&self, access_key_id: &str, secret: &str) -> IamResult<()> {
        match self.store.get_access_key(access_key_id).await {
            Ok(k) => {
                if k.metadata.owner != KeyOwner::Root || k.metadata.account_id != self.account_id {
                    return Err(IamError::InvalidInput(format!(
                        "access key {access_key_id} exists but is not the root key of account {}",
                        self.account_id
                    )));
                }
                if k.secret.expose() != secret {
                    return Err(IamError::InvalidInput(format!(
                        "root access key {access_key_id} exists with a different secret"
                    )));
                }
                Ok(())
            }
            Err(StoreError::NotFound { .. }) => {
                self.store
                    .create_access_key(NewAccessKey {
                        access_key_id: access_key_id.to_owned(),
                        account_id: self.account_id.clone(),
                        owner: KeyOwner::Root,
                        secret: Secret::new(secret.to_owned()),
                        create_date: self.clock.now(),
                    })
                    .await?;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// On first start without operator-given credentials: generates a root key when root has
    /// none. Returns it so the caller can write and print it once.
    pub async fn generate_root_key_if_none(&self) -> IamResult<Option<GeneratedRootKey>> {
        let keys = self
            .store
            .list_access_keys(&self.account_id, &KeyOwner::Root)
            .await?;
        if !keys.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.create_root_key(&self.account_id).await?))
    }

    /// A new access key, id and secret generated here, for the root user of `account_id`.
    pub(crate) async fn create_root_key(&self, account_id: &str) -> IamResult<GeneratedRootKey> {
        let key = GeneratedRootKey {
            access_key_id: new_id(IdKind::AccessKey),
            secret: Secret::new(new_secret()),
        };
        self.store
            .create_access_key(NewAccessKey {
                access_key_id: key.access_key_id.clone(),
                account_id: account_id.to_owned(),
                owner: KeyOwner::Root,
                secret: key.secret.clone(),
                create_date: self.clock.now(),
            })
            .await?;
        Ok(key)
    }
}
