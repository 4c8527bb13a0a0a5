//! The IAM methods of [`Store`]: each is one transaction running the shared logic in
//! [`crate::sql`].
//!
//! Every write is one transaction with its limits and conflicts checked inside it, so
//! concurrent callers can never break a quota. Names of users, roles and groups are matched
//! case-insensitively and returned as created. Unless a method says otherwise, it can also
//! return [`StoreError::Backend`], [`StoreError::Corrupt`] or [`StoreError::Conflict`] (a
//! concurrent transaction kept winning). Methods taking an `account_id` return
//! `NotFound(Account)` when the account was never ensured only where noted; otherwise a
//! missing account just means the record is not found.

use chrono::{DateTime, Utc};

use super::Store;
use crate::error::Result;
#[allow(unused_imports)] // used by rustdoc links
use crate::error::{DeleteConflict, Quota, ResourceKind, StoreError};
use crate::model::*;
use crate::sql::{
    Backend, accounts, attachments, authz, entities, groups, inline, keys, policies, roles, tags,
    tx_fn, users,
};

impl Store {
    /// Creates the account if absent (idempotent) and returns it as stored (the first
    /// `create_date` wins). `InvalidInput` unless the id is 12 decimal digits.
    pub async fn ensure_account(
        &self,
        account_id: &str,
        create_date: DateTime<Utc>,
    ) -> Result<Account> {
        run!(
            self.write,
            [account_id, create_date],
            |tx| accounts::ensure(tx, &account_id, create_date)
        )
    }

    /// `NotFound(Account)`.
    pub async fn get_account(&self, account_id: &str) -> Result<Account> {
        run!(self.read, [account_id], |tx| accounts::get(tx, &account_id))
    }

    /// Counts for GetAccountSummary.
    pub async fn account_summary(&self, account_id: &str) -> Result<AccountSummary> {
        run!(self.read, [account_id], |tx| accounts::summary(
            tx,
            &account_id
        ))
    }

    /// `NotFound(Account)` if the account does not exist; `AlreadyExists(User)` when a user
    /// with the same name in any case exists; `NotFound(Policy)` for an unknown boundary ARN;
    /// `LimitExceeded(UsersPerAccount | TagsPerUser)`.
    pub async fn create_user(&self, user: NewUser) -> Result<User> {
        run!(self.write, [user], |tx, q| users::create(tx, &q, &user))
    }

    /// Case-insensitive lookup. `NotFound(User)`.
    pub async fn get_user(&self, account_id: &str, name: &str) -> Result<User> {
        run!(self.read, [account_id, name], |tx| users::get(
            tx,
            &account_id,
            &name
        ))
    }

    /// Lookup by `AIDA…` id. `NotFound(User)` (named by the id).
    pub async fn get_user_by_id(&self, account_id: &str, user_id: &str) -> Result<User> {
        run!(self.read, [account_id, user_id], |tx| users::get_by_id(
            tx,
            &account_id,
            &user_id
        ))
    }

    /// Users whose path starts with `path_prefix`, ordered by lowercase name.
    /// `InvalidInput` for a marker this store did not issue.
    pub async fn list_users(
        &self,
        account_id: &str,
        path_prefix: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<User>> {
        let path_prefix = path_prefix.map(str::to_owned);
        run!(
            self.read,
            [account_id, path_prefix, page],
            |tx| users::list(tx, &account_id, path_prefix.as_deref(), &page)
        )
    }

    /// Renames and/or moves a user; the user id, keys, policies and memberships stay.
    /// `NotFound(User)`; `AlreadyExists(User)` if the new name is taken by another user.
    pub async fn update_user(&self, account_id: &str, name: &str, update: Rename) -> Result<User> {
        run!(self.write, [account_id, name, update], |tx| users::update(
            tx,
            &account_id,
            &name,
            &update
        ))
    }

    /// `NotFound(User)`; `DeleteConflict(AccessKeys | InlinePolicies | AttachedPolicies |
    /// UserInGroups)`, checked in that order.
    pub async fn delete_user(&self, account_id: &str, name: &str) -> Result<()> {
        run!(self.write, [account_id, name], |tx| users::delete(
            tx,
            &account_id,
            &name
        ))
    }

    /// Sets (`Some(arn)`) or removes (`None`, idempotent) the user's permissions boundary.
    /// `NotFound(User)`; `NotFound(Policy)` for an unknown policy.
    pub async fn set_user_permissions_boundary(
        &self,
        account_id: &str,
        name: &str,
        policy_arn: Option<&str>,
    ) -> Result<()> {
        let policy_arn = policy_arn.map(str::to_owned);
        run!(self.write, [account_id, name, policy_arn], |tx| {
            entities::set_boundary(
                tx,
                &account_id,
                EntityKind::User,
                &name,
                policy_arn.as_deref(),
            )
        })
    }

    /// Adds or replaces tags (user and role keys case-insensitively: the new key's case wins).
    /// `NotFound(User | Role | Policy)`; `LimitExceeded(TagsPerUser | TagsPerRole |
    /// TagsPerPolicy)` when the result would exceed the quota; `Unmodifiable` for AWS-managed
    /// policies.
    pub async fn tag_resource(
        &self,
        account_id: &str,
        target: &TagTarget,
        new_tags: &[Tag],
    ) -> Result<()> {
        run!(self.write, [account_id, target, new_tags], |tx, q| async {
            let (id, rules) = tags::resolve(tx, &account_id, &target, true).await?;
            tags::put(tx, &q, &id, &new_tags, rules).await
        })
    }

    /// Removes tags by key (absent keys are ignored). Errors as [`Store::tag_resource`].
    pub async fn untag_resource(
        &self,
        account_id: &str,
        target: &TagTarget,
        keys: &[String],
    ) -> Result<()> {
        run!(self.write, [account_id, target, keys], |tx| async {
            let (id, rules) = tags::resolve(tx, &account_id, &target, true).await?;
            tags::remove(tx, &id, &keys, rules).await
        })
    }

    /// Tags sorted by (lowercase) key. `NotFound(User | Role | Policy)`.
    pub async fn list_tags(&self, account_id: &str, target: &TagTarget) -> Result<Vec<Tag>> {
        run!(self.read, [account_id, target], |tx| async {
            let (id, _) = tags::resolve(tx, &account_id, &target, false).await?;
            tags::load(tx, &id).await
        })
    }

    /// Stores a new `Active` key with its secret sealed (AAD = key id).
    /// `NotFound(User)` if the owner user does not exist (named by its id); `NotFound(Account)`;
    /// `LimitExceeded(AccessKeysPerUser)` if the owner already has the maximum (also for root);
    /// `AlreadyExists(AccessKey)` on an id collision.
    pub async fn create_access_key(&self, key: NewAccessKey) -> Result<AccessKeyMetadata> {
        let sealed = self
            .keyring
            .seal_secret(&key.secret, key.access_key_id.as_bytes())?;
        run!(self.write, [key, sealed], |tx, q| keys::create(
            tx, &q, &key, &sealed
        ))
    }

    /// For authentication: owner, status and the decrypted secret. `NotFound(AccessKey)`;
    /// `KeyRing` if the secret cannot be opened.
    pub async fn get_access_key(&self, access_key_id: &str) -> Result<AccessKey> {
        // One SELECT: no explicit transaction needed (the authenticator's hot path).
        let (metadata, sealed) = run!(self.read_single, [access_key_id], |tx| keys::get(
            tx,
            &access_key_id
        ))?;
        let secret = self
            .keyring
            .open_secret(&sealed, metadata.access_key_id.as_bytes())?;
        Ok(AccessKey { metadata, secret })
    }

    /// The owner's keys ordered by creation date then id.
    pub async fn list_access_keys(
        &self,
        account_id: &str,
        owner: &KeyOwner,
    ) -> Result<Vec<AccessKeyMetadata>> {
        run!(self.read, [account_id, owner], |tx| keys::list(
            tx,
            &account_id,
            &owner
        ))
    }

    /// `NotFound(AccessKey)` unless the key exists and belongs to `owner` in the account.
    pub async fn update_access_key_status(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        access_key_id: &str,
        status: AccessKeyStatus,
    ) -> Result<()> {
        run!(
            self.write,
            [account_id, owner, access_key_id, status],
            |tx| keys::update_status(tx, &account_id, &owner, &access_key_id, status)
        )
    }

    /// `NotFound(AccessKey)` unless the key exists and belongs to `owner` in the account.
    pub async fn delete_access_key(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        access_key_id: &str,
    ) -> Result<()> {
        run!(self.write, [account_id, owner, access_key_id], |tx| {
            keys::delete(tx, &account_id, &owner, &access_key_id)
        })
    }

    /// Records a use of the key: one UPDATE, cheap enough for the request path (the caller may
    /// still throttle). An unknown key is silently ignored.
    pub async fn record_access_key_use(
        &self,
        access_key_id: &str,
        used: &AccessKeyLastUsed,
    ) -> Result<()> {
        run!(self.write_untracked, [access_key_id, used], |tx| {
            keys::record_use(tx, &access_key_id, &used)
        })
    }

    /// `NotFound(Account)`; `AlreadyExists(Role)`; `NotFound(Policy)` for an unknown boundary;
    /// `LimitExceeded(RolesPerAccount | TagsPerRole)`.
    pub async fn create_role(&self, role: NewRole) -> Result<Role> {
        run!(self.write, [role], |tx, q| roles::create(tx, &q, &role))
    }

    /// Case-insensitive lookup. `NotFound(Role)`.
    pub async fn get_role(&self, account_id: &str, name: &str) -> Result<Role> {
        run!(self.read, [account_id, name], |tx| roles::get(
            tx,
            &account_id,
            &name
        ))
    }

    /// Lookup by `AROA…` id. `NotFound(Role)` (named by the id).
    pub async fn get_role_by_id(&self, account_id: &str, role_id: &str) -> Result<Role> {
        run!(self.read, [account_id, role_id], |tx| roles::get_by_id(
            tx,
            &account_id,
            &role_id
        ))
    }

    /// Roles whose path starts with `path_prefix`, ordered by lowercase name.
    pub async fn list_roles(
        &self,
        account_id: &str,
        path_prefix: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Role>> {
        let path_prefix = path_prefix.map(str::to_owned);
        run!(
            self.read,
            [account_id, path_prefix, page],
            |tx| roles::list(tx, &account_id, path_prefix.as_deref(), &page)
        )
    }

    /// UpdateRole. `NotFound(Role)`.
    pub async fn update_role(
        &self,
        account_id: &str,
        name: &str,
        update: RoleUpdate,
    ) -> Result<Role> {
        run!(self.write, [account_id, name, update], |tx| roles::update(
            tx,
            &account_id,
            &name,
            &update
        ))
    }

    /// UpdateAssumeRolePolicy. `NotFound(Role)`.
    pub async fn update_assume_role_policy(
        &self,
        account_id: &str,
        name: &str,
        document: &str,
    ) -> Result<()> {
        run!(self.write, [account_id, name, document], |tx| {
            roles::update_trust(tx, &account_id, &name, &document)
        })
    }

    /// `NotFound(Role)`; `DeleteConflict(InlinePolicies | AttachedPolicies)`.
    pub async fn delete_role(&self, account_id: &str, name: &str) -> Result<()> {
        run!(self.write, [account_id, name], |tx| roles::delete(
            tx,
            &account_id,
            &name
        ))
    }

    /// As [`Store::set_user_permissions_boundary`], for roles (`NotFound(Role)`).
    pub async fn set_role_permissions_boundary(
        &self,
        account_id: &str,
        name: &str,
        policy_arn: Option<&str>,
    ) -> Result<()> {
        let policy_arn = policy_arn.map(str::to_owned);
        run!(self.write, [account_id, name, policy_arn], |tx| {
            entities::set_boundary(
                tx,
                &account_id,
                EntityKind::Role,
                &name,
                policy_arn.as_deref(),
            )
        })
    }

    /// Records that a session of the role was used (one UPDATE). An unknown role id is ignored.
    pub async fn record_role_use(&self, role_id: &str, used: &RoleLastUsed) -> Result<()> {
        run!(self.write_untracked, [role_id, used], |tx| {
            roles::record_use(tx, &role_id, &used)
        })
    }

    /// Creates a customer-managed policy with `document` as default version `v1`.
    /// `NotFound(Account)`; `AlreadyExists(Policy)` (named by the policy name) when the
    /// account has a policy of that name on any path; `LimitExceeded(PoliciesPerAccount |
    /// TagsPerPolicy)`; `InvalidInput` if `account_id` is [`AWS_ACCOUNT`].
    pub async fn create_policy(&self, policy: NewPolicy) -> Result<ManagedPolicy> {
        run!(self.write, [policy], |tx, q| policies::create(
            tx, &q, &policy
        ))
    }

    /// Idempotent start-up registration of an AWS-managed policy: creates it, or updates its
    /// description and default document in place when they changed. Existing ids are kept.
    pub async fn upsert_aws_managed_policy(
        &self,
        policy: AwsManagedPolicy,
    ) -> Result<ManagedPolicy> {
        run!(self.write, [policy], |tx| policies::upsert_aws(tx, &policy))
    }

    /// A customer policy of the account or an AWS-managed policy, by ARN, with counts for this
    /// account. `NotFound(Policy)`.
    pub async fn get_policy(&self, account_id: &str, policy_arn: &str) -> Result<ManagedPolicy> {
        run!(self.read, [account_id, policy_arn], |tx| policies::get(
            tx,
            &account_id,
            &policy_arn
        ))
    }

    /// ListPolicies, ordered by lowercase name then ARN.
    pub async fn list_policies(
        &self,
        account_id: &str,
        filter: &PolicyFilter,
        page: &PageRequest,
    ) -> Result<Page<ManagedPolicy>> {
        run!(self.read, [account_id, filter, page], |tx| policies::list(
            tx,
            &account_id,
            &filter,
            &page
        ))
    }

    /// Deletes a customer policy and its default version. `NotFound(Policy)`;
    /// `Unmodifiable` for AWS-managed policies; `DeleteConflict(PolicyAttached)` while attached
    /// or used as a boundary; `DeleteConflict(PolicyHasVersions)` while non-default versions
    /// exist.
    pub async fn delete_policy(&self, account_id: &str, policy_arn: &str) -> Result<()> {
        run!(self.write, [account_id, policy_arn], |tx| policies::delete(
            tx,
            &account_id,
            &policy_arn
        ))
    }

    /// Adds the next version (`vN`, never reused), optionally as default (which also sets the
    /// policy's update date to `create_date`). `NotFound(Policy)`; `Unmodifiable`;
    /// `LimitExceeded(VersionsPerPolicy)`.
    pub async fn create_policy_version(
        &self,
        account_id: &str,
        policy_arn: &str,
        document: &str,
        set_as_default: bool,
        create_date: DateTime<Utc>,
    ) -> Result<PolicyVersion> {
        run!(
            self.write,
            [
                account_id,
                policy_arn,
                document,
                set_as_default,
                create_date
            ],
            |tx, q| policies::create_version(
                tx,
                &q,
                &account_id,
                &policy_arn,
                &document,
                set_as_default,
                create_date
            )
        )
    }

    /// `NotFound(Policy)`; `NotFound(PolicyVersion)`.
    pub async fn get_policy_version(
        &self,
        account_id: &str,
        policy_arn: &str,
        version_id: &str,
    ) -> Result<PolicyVersion> {
        run!(self.read, [account_id, policy_arn, version_id], |tx| {
            policies::get_version(tx, &account_id, &policy_arn, &version_id)
        })
    }

    /// All versions, newest first. `NotFound(Policy)`.
    pub async fn list_policy_versions(
        &self,
        account_id: &str,
        policy_arn: &str,
    ) -> Result<Vec<PolicyVersion>> {
        run!(self.read, [account_id, policy_arn], |tx| {
            policies::list_versions(tx, &account_id, &policy_arn)
        })
    }

    /// `NotFound(Policy)`; `NotFound(PolicyVersion)`; `Unmodifiable`.
    pub async fn set_default_policy_version(
        &self,
        account_id: &str,
        policy_arn: &str,
        version_id: &str,
        update_date: DateTime<Utc>,
    ) -> Result<()> {
        run!(
            self.write,
            [account_id, policy_arn, version_id, update_date],
            |tx| { policies::set_default(tx, &account_id, &policy_arn, &version_id, update_date) }
        )
    }

    /// `NotFound(Policy)`; `NotFound(PolicyVersion)`; `Unmodifiable`;
    /// `DeleteConflict(DefaultVersion)`.
    pub async fn delete_policy_version(
        &self,
        account_id: &str,
        policy_arn: &str,
        version_id: &str,
    ) -> Result<()> {
        run!(self.write, [account_id, policy_arn, version_id], |tx| {
            policies::delete_version(tx, &account_id, &policy_arn, &version_id)
        })
    }

    /// Attaches a managed policy (customer of this account, or AWS-managed); attaching twice
    /// is a no-op. `NotFound(User | Role | Group)`; `NotFound(Policy)`;
    /// `LimitExceeded(PoliciesPerUser | PoliciesPerRole | PoliciesPerGroup)`.
    pub async fn attach_policy(
        &self,
        account_id: &str,
        entity: &EntityRef,
        policy_arn: &str,
    ) -> Result<()> {
        run!(self.write, [account_id, entity, policy_arn], |tx, q| {
            attachments::attach(tx, &q, &account_id, &entity, &policy_arn)
        })
    }

    /// `NotFound(User | Role | Group)`; `NotFound(AttachedPolicy)` when not attached.
    pub async fn detach_policy(
        &self,
        account_id: &str,
        entity: &EntityRef,
        policy_arn: &str,
    ) -> Result<()> {
        run!(self.write, [account_id, entity, policy_arn], |tx| {
            attachments::detach(tx, &account_id, &entity, &policy_arn)
        })
    }

    /// ListAttached{User,Role,Group}Policies, ordered by lowercase policy name then ARN;
    /// `path_prefix` filters on the policy path. `NotFound(User | Role | Group)`.
    pub async fn list_attached_policies(
        &self,
        account_id: &str,
        entity: &EntityRef,
        path_prefix: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<AttachedPolicy>> {
        let path_prefix = path_prefix.map(str::to_owned);
        run!(self.read, [account_id, entity, path_prefix, page], |tx| {
            attachments::list_attached(tx, &account_id, &entity, path_prefix.as_deref(), &page)
        })
    }

    /// ListEntitiesForPolicy, ordered by kind (groups, roles, users — AWS's response order)
    /// then lowercase name; `path_prefix` filters on the entity path. `NotFound(Policy)`.
    pub async fn list_entities_for_policy(
        &self,
        account_id: &str,
        policy_arn: &str,
        filter: &EntityFilter,
        page: &PageRequest,
    ) -> Result<Page<PolicyEntity>> {
        run!(self.read, [account_id, policy_arn, filter, page], |tx| {
            attachments::list_entities(tx, &account_id, &policy_arn, &filter, &page)
        })
    }

    /// Creates or replaces an inline policy (names are case-sensitive).
    /// `NotFound(User | Role | Group)`; `PolicySizeExceeded` when the sum of the entity's other
    /// inline policies and `check.size` exceeds `check.limit`.
    pub async fn put_inline_policy(
        &self,
        account_id: &str,
        entity: &EntityRef,
        policy_name: &str,
        document: &str,
        check: SizeCheck,
    ) -> Result<()> {
        run!(
            self.write,
            [account_id, entity, policy_name, document, check],
            |tx| { inline::put(tx, &account_id, &entity, &policy_name, &document, check) }
        )
    }

    /// `NotFound(User | Role | Group)`; `NotFound(InlinePolicy(kind))`.
    pub async fn get_inline_policy(
        &self,
        account_id: &str,
        entity: &EntityRef,
        policy_name: &str,
    ) -> Result<InlinePolicy> {
        run!(self.read, [account_id, entity, policy_name], |tx| {
            inline::get(tx, &account_id, &entity, &policy_name)
        })
    }

    /// `NotFound(User | Role | Group)`; `NotFound(InlinePolicy(kind))`.
    pub async fn delete_inline_policy(
        &self,
        account_id: &str,
        entity: &EntityRef,
        policy_name: &str,
    ) -> Result<()> {
        run!(self.write, [account_id, entity, policy_name], |tx| {
            inline::delete(tx, &account_id, &entity, &policy_name)
        })
    }

    /// Inline policy names ordered by name. `NotFound(User | Role | Group)`.
    pub async fn list_inline_policies(
        &self,
        account_id: &str,
        entity: &EntityRef,
        page: &PageRequest,
    ) -> Result<Page<String>> {
        run!(self.read, [account_id, entity, page], |tx| {
            inline::list_names(tx, &account_id, &entity, &page)
        })
    }

    /// `NotFound(Account)`; `AlreadyExists(Group)`; `LimitExceeded(GroupsPerAccount)`.
    pub async fn create_group(&self, group: NewGroup) -> Result<Group> {
        run!(self.write, [group], |tx, q| groups::create(tx, &q, &group))
    }

    /// Case-insensitive lookup. `NotFound(Group)`.
    pub async fn get_group(&self, account_id: &str, name: &str) -> Result<Group> {
        run!(self.read, [account_id, name], |tx| groups::get(
            tx,
            &account_id,
            &name
        ))
    }

    /// Groups whose path starts with `path_prefix`, ordered by lowercase name.
    pub async fn list_groups(
        &self,
        account_id: &str,
        path_prefix: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Group>> {
        let path_prefix = path_prefix.map(str::to_owned);
        run!(self.read, [account_id, path_prefix, page], |tx| {
            groups::list(tx, &account_id, path_prefix.as_deref(), &page)
        })
    }

    /// UpdateGroup (rename/move). `NotFound(Group)`; `AlreadyExists(Group)`.
    pub async fn update_group(
        &self,
        account_id: &str,
        name: &str,
        update: Rename,
    ) -> Result<Group> {
        run!(self.write, [account_id, name, update], |tx| groups::update(
            tx,
            &account_id,
            &name,
            &update
        ))
    }

    /// `NotFound(Group)`; `DeleteConflict(GroupHasMembers | InlinePolicies |
    /// AttachedPolicies)`.
    pub async fn delete_group(&self, account_id: &str, name: &str) -> Result<()> {
        run!(self.write, [account_id, name], |tx| groups::delete(
            tx,
            &account_id,
            &name
        ))
    }

    /// Adding a member twice is a no-op. `NotFound(Group)`; `NotFound(User)`;
    /// `LimitExceeded(GroupsPerUser)`.
    pub async fn add_user_to_group(&self, account_id: &str, group: &str, user: &str) -> Result<()> {
        run!(self.write, [account_id, group, user], |tx, q| {
            groups::add_member(tx, &q, &account_id, &group, &user)
        })
    }

    /// `NotFound(Group)`; `NotFound(User)`; `NotFound(GroupMember)` if not a member.
    pub async fn remove_user_from_group(
        &self,
        account_id: &str,
        group: &str,
        user: &str,
    ) -> Result<()> {
        run!(self.write, [account_id, group, user], |tx| {
            groups::remove_member(tx, &account_id, &group, &user)
        })
    }

    /// Members of a group (GetGroup), ordered by lowercase user name. `NotFound(Group)`.
    pub async fn list_group_members(
        &self,
        account_id: &str,
        group: &str,
        page: &PageRequest,
    ) -> Result<Page<User>> {
        run!(self.read, [account_id, group, page], |tx| groups::members(
            tx,
            &account_id,
            &group,
            &page
        ))
    }

    /// ListGroupsForUser, ordered by lowercase group name. `NotFound(User)`.
    pub async fn list_groups_for_user(
        &self,
        account_id: &str,
        user: &str,
        page: &PageRequest,
    ) -> Result<Page<Group>> {
        run!(self.read, [account_id, user, page], |tx| {
            groups::list_for_user(tx, &account_id, &user, &page)
        })
    }

    /// The identity policies of a principal in one consistent read: default versions of
    /// attached managed policies, inline policies, (users) the same for each group, and the
    /// permissions boundary. `NotFound(User | Role)` (named by the id) if the principal is gone.
    pub async fn principal_policies(
        &self,
        account_id: &str,
        principal: &PrincipalRef,
    ) -> Result<PrincipalPolicies> {
        run!(self.read, [account_id, principal], |tx| {
            authz::principal_policies(tx, &account_id, &principal)
        })
    }

    /// A server setting, if set.
    pub async fn get_setting(&self, key: &str) -> Result<Option<String>> {
        run!(self.read, [key], |tx| accounts::get_setting(tx, &key))
    }

    /// Sets a server setting (insert or replace).
    pub async fn put_setting(&self, key: &str, value: &str) -> Result<()> {
        run!(self.write, [key, value], |tx| accounts::put_setting(
            tx, &key, &value
        ))
    }
}
