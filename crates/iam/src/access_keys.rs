//! Long-term access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey,
//! GetAccessKeyLastUsed. Calls without `UserName` act on the caller's own keys (root's keys
//! when root calls).

use hourglass_store::{
    AccessKeyMetadata, AccessKeyStatus, KeyOwner, NewAccessKey, Secret, StoreError, Tag, User,
};

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::ids::{IdKind, new_id, new_secret};
use crate::principal::{Caller, Principal, root_arn};
use crate::tags::Taggable;
use crate::{Identity, validate};

/// The name IAM reports as the owner of root's keys.
pub const ROOT_KEY_USER_NAME: &str = "root";

/// A new key with its secret: the only time the secret leaves the server.
#[derive(Debug, Clone)]
pub struct CreatedAccessKey {
    pub user_name: String,
    pub metadata: AccessKeyMetadata,
    pub secret: Secret,
}

/// A key's metadata with the owner's name, as the list calls report it.
#[derive(Debug, Clone)]
pub struct KeyView {
    pub user_name: String,
    pub metadata: AccessKeyMetadata,
}

/// Whose keys a call acts on.
struct Target {
    owner: KeyOwner,
    user_name: String,
    arn: String,
    /// The user's tags (none for root or a missing user).
    tags: Vec<Tag>,
}

impl Identity {
    /// Resolves `UserName` (or its absence) to a key owner and the ARN to authorize against.
    async fn key_target(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
    ) -> IamResult<(Target, Option<IamError>)> {
        match user_name {
            Some(name) => {
                validate::name(name, "UserName", 128)?;
                match self.store.get_user(&self.account_id, name).await {
                    Ok(u) => Ok((user_target(&u), None)),
                    Err(e @ StoreError::NotFound { .. }) => Ok((
                        Target {
                            owner: KeyOwner::User(String::new()),
                            user_name: name.to_owned(),
                            arn: self.user_arn("/", name),
                            tags: Vec::new(),
                        },
                        Some(e.into()),
                    )),
                    Err(e) => Err(e.into()),
                }
            }
            None => match &caller.principal {
                Principal::Root { account_id } => Ok((
                    Target {
                        owner: KeyOwner::Root,
                        user_name: ROOT_KEY_USER_NAME.to_owned(),
                        arn: root_arn(account_id),
                        tags: Vec::new(),
                    },
                    None,
                )),
                Principal::User(u) => Ok((user_target(u), None)),
                Principal::AssumedRole(_) | Principal::FederatedUser(_) => {
                    Err(IamError::Validation(
                        "Must specify userName when calling with non-User credentials".into(),
                    ))
                }
            },
        }
    }

    /// Authorizes, then surfaces a missing user (AWS checks permission first, so a caller
    /// without permission learns nothing about which users exist).
    async fn authorized_target(
        &self,
        caller: &Caller,
        action: &str,
        user_name: Option<&str>,
    ) -> IamResult<Target> {
        let (target, missing) = self.key_target(caller, user_name).await?;
        self.authorize(
            caller,
            &Access::new(action, &target.arn).with_resource_tags(Taggable::User, &target.tags),
        )
        .await?;
        match missing {
            Some(e) => Err(e),
            None => Ok(target),
        }
    }

    pub async fn create_access_key(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
    ) -> IamResult<CreatedAccessKey> {
        let target = self
            .authorized_target(caller, "iam:CreateAccessKey", user_name)
            .await?;
        let secret = Secret::new(new_secret());
        let key = NewAccessKey {
            access_key_id: new_id(IdKind::AccessKey),
            account_id: self.account_id.clone(),
            owner: target.owner,
            secret: secret.clone(),
            create_date: self.clock.now(),
        };
        let metadata = self.store.create_access_key(key).await?;
        self.telemetry.credentials_issued("CreateAccessKey");
        Ok(CreatedAccessKey {
            user_name: target.user_name,
            metadata,
            secret,
        })
    }

    pub async fn list_access_keys(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
    ) -> IamResult<Vec<KeyView>> {
        let target = self
            .authorized_target(caller, "iam:ListAccessKeys", user_name)
            .await?;
        let keys = self
            .store
            .list_access_keys(&self.account_id, &target.owner)
            .await?;
        Ok(keys
            .into_iter()
            .map(|metadata| KeyView {
                user_name: target.user_name.clone(),
                metadata,
            })
            .collect())
    }

    pub async fn update_access_key(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
        access_key_id: &str,
        status: &str,
    ) -> IamResult<()> {
        validate::access_key_id(access_key_id, "AccessKeyId")?;
        let status = AccessKeyStatus::parse(status).ok_or_else(|| {
            IamError::Validation(format!(
                "1 validation error detected: Value '{status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
            ))
        })?;
        let target = self
            .authorized_target(caller, "iam:UpdateAccessKey", user_name)
            .await?;
        self.store
            .update_access_key_status(&self.account_id, &target.owner, access_key_id, status)
            .await?;
        Ok(())
    }

    pub async fn delete_access_key(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
        access_key_id: &str,
    ) -> IamResult<()> {
        validate::access_key_id(access_key_id, "AccessKeyId")?;
        let target = self
            .authorized_target(caller, "iam:DeleteAccessKey", user_name)
            .await?;
        self.store
            .delete_access_key(&self.account_id, &target.owner, access_key_id)
            .await?;
        Ok(())
    }

    /// GetAccessKeyLastUsed: authorized against the owning user; an unknown key or one of
    /// another account is AccessDenied (spec §4.3 choice), so key ids cannot be probed.
    pub async fn get_access_key_last_used(
        &self,
        caller: &Caller,
        access_key_id: &str,
    ) -> IamResult<KeyView> {
        validate::access_key_id(access_key_id, "AccessKeyId")?;
        let denied = || {
            IamError::access_denied(format!(
                "{} is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key {access_key_id}",
                caller.describe()
            ))
        };
        let key = match self.store.get_access_key(access_key_id).await {
            Ok(k) if k.metadata.account_id == self.account_id => k.metadata,
            Ok(_) | Err(StoreError::NotFound { .. }) => return Err(denied()),
            Err(e) => return Err(e.into()),
        };
        let (user_name, arn, tags) = match &key.owner {
            KeyOwner::Root => (
                ROOT_KEY_USER_NAME.to_owned(),
                root_arn(&self.account_id),
                Vec::new(),
            ),
            KeyOwner::User(id) => {
                let u = self.store.get_user_by_id(&self.account_id, id).await?;
                (u.name, u.arn, u.tags)
            }
        };
        self.authorize(
            caller,
            &Access::new("iam:GetAccessKeyLastUsed", &arn)
                .with_resource_tags(Taggable::User, &tags),
        )
        .await?;
        Ok(KeyView {
            user_name,
            metadata: key,
        })
    }
}

fn user_target(u: &User) -> Target {
    Target {
        owner: KeyOwner::User(u.user_id.clone()),
        user_name: u.name.clone(),
        arn: u.arn.clone(),
        tags: u.tags.clone(),
    }
}
