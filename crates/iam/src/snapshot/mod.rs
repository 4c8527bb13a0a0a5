//! The authorization snapshot: what authentication and authorization read on every request
//! (access keys with their secrets, users and roles, their compiled identity policies and
//! boundaries, roles by name for AssumeRole), cached in memory and read without locks or
//! thread hops.
//!
//! Every entry is keyed by the store's change counter ([`hourglass_store::Generation`]):
//! any write that may change a decision increments it in the same transaction, so on this
//! node a deactivated key, a changed policy or a revoked session is refused by the very next
//! request; other nodes of a PostgreSQL cluster follow within the bound documented in
//! `hourglass_store::generation` (notification at once, poll as a backstop, caches bypassed
//! when the database cannot be reached). Misses go to the store and fill the snapshot.

use std::future::Future;
use std::sync::Arc;

use hourglass_store::{AccessKey, PrincipalRef, Role, SnapshotMap, StoreError, User};

use crate::Identity;
use crate::authz::{CompiledSet, compile_set};
use crate::error::IamResult;
use crate::scp::AccountOrg;

/// Entries kept per map and generation; beyond it misses are served from the store.
const CAPACITY: usize = 100_000;

/// The cached maps of one [`Identity`].
pub(crate) struct Snapshot {
    /// By access key id (long-term keys, whatever their status).
    keys: SnapshotMap<String, Arc<AccessKey>>,
    /// By user id.
    users: SnapshotMap<String, Arc<User>>,
    /// By role id.
    roles: SnapshotMap<String, Arc<Role>>,
    /// By lowercase role name (names are case-insensitive).
    role_names: SnapshotMap<String, Arc<Role>>,
    /// By `account id/lowercase user name`, for the operations that name a user (GetUser).
    user_names: SnapshotMap<String, Arc<User>>,
    /// Compiled identity policies and boundary, by user or role id.
    policies: SnapshotMap<String, Arc<CompiledSet>>,
    /// The organization's controls and keys, by account id (organization writes are
    /// counted like IAM writes).
    orgs: SnapshotMap<String, Arc<AccountOrg>>,
    /// When the leaked-key response revoked the sessions descending from a key (`None`:
    /// never), by that origin key id: every session request asks.
    revoked_origins: SnapshotMap<String, Arc<Option<i64>>>,
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot {
            keys: SnapshotMap::new(CAPACITY),
            users: SnapshotMap::new(CAPACITY),
            roles: SnapshotMap::new(CAPACITY),
            role_names: SnapshotMap::new(CAPACITY),
            user_names: SnapshotMap::new(CAPACITY),
            policies: SnapshotMap::new(CAPACITY),
            orgs: SnapshotMap::new(CAPACITY),
            revoked_origins: SnapshotMap::new(CAPACITY),
        }
    }
}

/// [`SnapshotMap::get_or_load`] at the store's generation, the loaded value shared.
async fn cached<V, E, F, Fut>(
    identity: &Identity,
    map: &SnapshotMap<String, Arc<V>>,
    key: &str,
    load: F,
) -> Result<Arc<V>, E>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<V, E>>,
{
    map.get_or_load(identity.store.generation(), key, || async {
        Ok(Arc::new(load().await?))
    })
    .await
}

impl Identity {
    /// An access key with its secret (`NotFound(AccessKey)` is not cached).
    pub(crate) async fn snapshot_access_key(
        &self,
        access_key_id: &str,
    ) -> Result<Arc<AccessKey>, StoreError> {
        cached(self, &self.snapshot.keys, access_key_id, || {
            self.store.get_access_key(access_key_id)
        })
        .await
    }

    /// A user by id, as [`hourglass_store::Store::get_user_by_id`].
    pub(crate) async fn snapshot_user_by_id(
        &self,
        account_id: &str,
        user_id: &str,
    ) -> Result<User, StoreError> {
        let user = cached(self, &self.snapshot.users, user_id, || {
            self.store.get_user_by_id(account_id, user_id)
        })
        .await?;
        if user.account_id != account_id {
            return self.store.get_user_by_id(account_id, user_id).await;
        }
        Ok(User::clone(&user))
    }

    /// A role by id, as [`hourglass_store::Store::get_role_by_id`].
    pub(crate) async fn snapshot_role_by_id(
        &self,
        account_id: &str,
        role_id: &str,
    ) -> Result<Role, StoreError> {
        let role = cached(self, &self.snapshot.roles, role_id, || {
            self.store.get_role_by_id(account_id, role_id)
        })
        .await?;
        if role.account_id != account_id {
            return self.store.get_role_by_id(account_id, role_id).await;
        }
        Ok(Role::clone(&role))
    }

    /// A user by (case-insensitive) name, as [`hourglass_store::Store::get_user`].
    pub(crate) async fn snapshot_user(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<User, StoreError> {
        let key = format!("{account_id}/{}", name.to_lowercase());
        let user = cached(self, &self.snapshot.user_names, &key, || {
            self.store.get_user(account_id, name)
        })
        .await?;
        Ok(User::clone(&user))
    }

    /// A role by (case-insensitive) name, as [`hourglass_store::Store::get_role`].
    pub(crate) async fn snapshot_role(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<Role, StoreError> {
        let key = name.to_lowercase();
        let role = cached(self, &self.snapshot.role_names, &key, || {
            self.store.get_role(account_id, name)
        })
        .await?;
        if role.account_id != account_id {
            return self.store.get_role(account_id, name).await;
        }
        Ok(Role::clone(&role))
    }

    /// A principal's identity policies and boundary, compiled (the `PolicyCache` shares the
    /// compiled documents between principals).
    pub(crate) async fn snapshot_policies(
        &self,
        account_id: &str,
        principal: PrincipalRef,
        entity_arn: &str,
    ) -> IamResult<Arc<CompiledSet>> {
        let (PrincipalRef::User(id) | PrincipalRef::Role(id)) = &principal;
        let id = id.clone();
        cached(self, &self.snapshot.policies, &id, || async {
            let policies = self
                .store
                .principal_policies(account_id, &principal)
                .await?;
            compile_set(&self.policies, entity_arn, &policies)
        })
        .await
    }

    /// When sessions descending from `origin_key_id` were revoked, as
    /// [`hourglass_store::Store::key_origin_revoked_at`] (a revocation is a counted write).
    pub(crate) async fn snapshot_origin_revoked_at(
        &self,
        origin_key_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        let at = cached(self, &self.snapshot.revoked_origins, origin_key_id, || {
            self.store.key_origin_revoked_at(origin_key_id)
        })
        .await?;
        Ok(*at)
    }

    /// The organization's view of an account (see [`crate::scp`]).
    pub(crate) async fn snapshot_account_org<F, Fut>(
        &self,
        account_id: &str,
        load: F,
    ) -> IamResult<Arc<AccountOrg>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = IamResult<AccountOrg>>,
    {
        cached(self, &self.snapshot.orgs, account_id, load).await
    }
}
