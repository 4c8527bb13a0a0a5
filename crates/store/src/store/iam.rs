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

store_api! {
    /// Creates the account if absent (idempotent) and returns it as stored (the first
    /// `create_date` wins). `InvalidInput` unless the id is 12 decimal digits.
    write fn ensure_account(account_id: &str, create_date: DateTime<Utc>) -> Account
        = |tx| accounts::ensure(tx, &account_id, create_date);

    /// `NotFound(Account)`.
    read fn get_account(account_id: &str) -> Account = |tx| accounts::get(tx, &account_id);

    /// Counts for GetAccountSummary.
    read fn account_summary(account_id: &str) -> AccountSummary
        = |tx| accounts::summary(tx, &account_id);

    /// `NotFound(Account)` if the account does not exist; `AlreadyExists(User)` when a user
    /// with the same name in any case exists; `NotFound(Policy)` for an unknown boundary ARN;
    /// `LimitExceeded(UsersPerAccount | TagsPerUser)`.
    write fn create_user(user: NewUser) -> User = |tx, q| users::create(tx, &q, &user);

    /// Case-insensitive lookup. `NotFound(User)`.
    read fn get_user(account_id: &str, name: &str) -> User
        = |tx| users::get(tx, &account_id, &name);

    /// Lookup by `AIDA…` id. `NotFound(User)` (named by the id).
    read fn get_user_by_id(account_id: &str, user_id: &str) -> User
        = |tx| users::get_by_id(tx, &account_id, &user_id);

    /// Renames and/or moves a user; the user id, keys, policies and memberships stay.
    /// `NotFound(User)`; `AlreadyExists(User)` if the new name is taken by another user.
    write fn update_user(account_id: &str, name: &str, update: Rename) -> User
        = |tx| users::update(tx, &account_id, &name, &update);

    /// `NotFound(User)`; `DeleteConflict(AccessKeys | InlinePolicies | AttachedPolicies |
    /// UserInGroups)`, checked in that order.
    write fn delete_user(account_id: &str, name: &str) -> ()
        = |tx| users::delete(tx, &account_id, &name);

    /// The owner's keys ordered by creation date then id.
    read fn list_access_keys(account_id: &str, owner: &KeyOwner) -> Vec<AccessKeyMetadata>
        = |tx| keys::list(tx, &account_id, &owner);

    /// Every account's active long-term keys created before `cutoff`, oldest first, at most
    /// `limit` (the key-age pass).
    read fn active_access_keys_created_before(cutoff: DateTime<Utc>, limit: u32) -> Vec<AccessKeyMetadata>
        = |tx| keys::active_created_before(tx, cutoff, limit);

    /// `NotFound(AccessKey)` unless the key exists and belongs to `owner` in the account.
    write fn update_access_key_status(
        account_id: &str,
        owner: &KeyOwner,
        access_key_id: &str,
        status: AccessKeyStatus,
    ) -> ()
        = |tx| keys::update_status(tx, &account_id, &owner, &access_key_id, status);

    /// `NotFound(AccessKey)` unless the key exists and belongs to `owner` in the account.
    write fn delete_access_key(account_id: &str, owner: &KeyOwner, access_key_id: &str) -> ()
        = |tx| keys::delete(tx, &account_id, &owner, &access_key_id);

    /// `NotFound(Account)`; `AlreadyExists(Role)`; `NotFound(Policy)` for an unknown boundary;
    /// `LimitExceeded(RolesPerAccount | TagsPerRole)`.
    write fn create_role(role: NewRole) -> Role = |tx, q| roles::create(tx, &q, &role);

    /// Case-insensitive lookup. `NotFound(Role)`.
    read fn get_role(account_id: &str, name: &str) -> Role
        = |tx| roles::get(tx, &account_id, &name);

    /// Lookup by `AROA…` id. `NotFound(Role)` (named by the id).
    read fn get_role_by_id(account_id: &str, role_id: &str) -> Role
        = |tx| roles::get_by_id(tx, &account_id, &role_id);

    /// UpdateRole. `NotFound(Role)`.
    write fn update_role(account_id: &str, name: &str, update: RoleUpdate) -> Role
        = |tx| roles::update(tx, &account_id, &name, &update);

    /// UpdateAssumeRolePolicy. `NotFound(Role)`.
    write fn update_assume_role_policy(account_id: &str, name: &str, document: &str) -> ()
        = |tx| roles::update_trust(tx, &account_id, &name, &document);

    /// `NotFound(Role)`; `DeleteConflict(InlinePolicies | AttachedPolicies)`.
    write fn delete_role(account_id: &str, name: &str) -> ()
        = |tx| roles::delete(tx, &account_id, &name);

    /// Creates a customer-managed policy with `document` as default version `v1`.
    /// `NotFound(Account)`; `AlreadyExists(Policy)` (named by the policy name) when the
    /// account has a policy of that name on any path; `LimitExceeded(PoliciesPerAccount |
    /// TagsPerPolicy)`; `InvalidInput` if `account_id` is [`AWS_ACCOUNT`].
    write fn create_policy(policy: NewPolicy) -> ManagedPolicy
        = |tx, q| policies::create(tx, &q, &policy);

    /// Idempotent start-up registration of an AWS-managed policy: creates it, or updates its
    /// description and default document in place when they changed. Existing ids are kept.
    write fn upsert_aws_managed_policy(policy: AwsManagedPolicy) -> ManagedPolicy
        = |tx| policies::upsert_aws(tx, &policy);

    /// A customer policy of the account or an AWS-managed policy, by ARN, with counts for this
    /// account. `NotFound(Policy)`.
    read fn get_policy(account_id: &str, policy_arn: &str) -> ManagedPolicy
        = |tx| policies::get(tx, &account_id, &policy_arn);

    /// ListPolicies, ordered by lowercase name then ARN.
    read fn list_policies(
        account_id: &str,
        filter: &PolicyFilter,
        page: &PageRequest,
    ) -> Page<ManagedPolicy>
        = |tx| policies::list(tx, &account_id, &filter, &page);

    /// Deletes a customer policy and its default version. `NotFound(Policy)`;
    /// `Unmodifiable` for AWS-managed policies; `DeleteConflict(PolicyAttached)` while attached
    /// or used as a boundary; `DeleteConflict(PolicyHasVersions)` while non-default versions
    /// exist.
    write fn delete_policy(account_id: &str, policy_arn: &str) -> ()
        = |tx| policies::delete(tx, &account_id, &policy_arn);

    /// Adds the next version (`vN`, never reused), optionally as default (which also sets the
    /// policy's update date to `create_date`). `NotFound(Policy)`; `Unmodifiable`;
    /// `LimitExceeded(VersionsPerPolicy)`.
    write fn create_policy_version(
        account_id: &str,
        policy_arn: &str,
        document: &str,
        set_as_default: bool,
        create_date: DateTime<Utc>,
    ) -> PolicyVersion
        = |tx, q| policies::create_version(
            tx, &q, &account_id, &policy_arn, &document, set_as_default, create_date
        );

    /// `NotFound(Policy)`; `NotFound(PolicyVersion)`.
    read fn get_policy_version(
        account_id: &str,
        policy_arn: &str,
        version_id: &str,
    ) -> PolicyVersion
        = |tx| policies::get_version(tx, &account_id, &policy_arn, &version_id);

    /// All versions, newest first. `NotFound(Policy)`.
    read fn list_policy_versions(account_id: &str, policy_arn: &str) -> Vec<PolicyVersion>
        = |tx| policies::list_versions(tx, &account_id, &policy_arn);

    /// `NotFound(Policy)`; `NotFound(PolicyVersion)`; `Unmodifiable`.
    write fn set_default_policy_version(
        account_id: &str,
        policy_arn: &str,
        version_id: &str,
        update_date: DateTime<Utc>,
    ) -> ()
        = |tx| policies::set_default(tx, &account_id, &policy_arn, &version_id, update_date);

    /// `NotFound(Policy)`; `NotFound(PolicyVersion)`; `Unmodifiable`;
    /// `DeleteConflict(DefaultVersion)`.
    write fn delete_policy_version(account_id: &str, policy_arn: &str, version_id: &str) -> ()
        = |tx| policies::delete_version(tx, &account_id, &policy_arn, &version_id);

    /// Attaches a managed policy (customer of this account, or AWS-managed); attaching twice
    /// is a no-op. `NotFound(User | Role | Group)`; `NotFound(Policy)`;
    /// `LimitExceeded(PoliciesPerUser | PoliciesPerRole | PoliciesPerGroup)`.
    write fn attach_policy(account_id: &str, entity: &EntityRef, policy_arn: &str) -> ()
        = |tx, q| attachments::attach(tx, &q, &account_id, &entity, &policy_arn);

    /// `NotFound(User | Role | Group)`; `NotFound(AttachedPolicy)` when not attached.
    write fn detach_policy(account_id: &str, entity: &EntityRef, policy_arn: &str) -> ()
        = |tx| attachments::detach(tx, &account_id, &entity, &policy_arn);

    /// ListEntitiesForPolicy, ordered by kind (groups, roles, users — AWS's response order)
    /// then lowercase name; `path_prefix` filters on the entity path. `NotFound(Policy)`.
    read fn list_entities_for_policy(
        account_id: &str,
        policy_arn: &str,
        filter: &EntityFilter,
        page: &PageRequest,
    ) -> Page<PolicyEntity>
        = |tx| attachments::list_entities(tx, &account_id, &policy_arn, &filter, &page);

    /// Creates or replaces an inline policy (names are case-sensitive).
    /// `NotFound(User | Role | Group)`; `PolicySizeExceeded` when the sum of the entity's other
    /// inline policies and `check.size` exceeds `check.limit`.
    write fn put_inline_policy(
        account_id: &str,
        entity: &EntityRef,
        policy_name: &str,
        document: &str,
        check: SizeCheck,
    ) -> ()
        = |tx| inline::put(tx, &account_id, &entity, &policy_name, &document, check);

    /// `NotFound(User | Role | Group)`; `NotFound(InlinePolicy(kind))`.
    read fn get_inline_policy(
        account_id: &str,
        entity: &EntityRef,
        policy_name: &str,
    ) -> InlinePolicy
        = |tx| inline::get(tx, &account_id, &entity, &policy_name);

    /// `NotFound(User | Role | Group)`; `NotFound(InlinePolicy(kind))`.
    write fn delete_inline_policy(account_id: &str, entity: &EntityRef, policy_name: &str) -> ()
        = |tx| inline::delete(tx, &account_id, &entity, &policy_name);

    /// Inline policy names ordered by name. `NotFound(User | Role | Group)`.
    read fn list_inline_policies(
        account_id: &str,
        entity: &EntityRef,
        page: &PageRequest,
    ) -> Page<String>
        = |tx| inline::list_names(tx, &account_id, &entity, &page);

    /// `NotFound(Account)`; `AlreadyExists(Group)`; `LimitExceeded(GroupsPerAccount)`.
    write fn create_group(group: NewGroup) -> Group = |tx, q| groups::create(tx, &q, &group);

    /// Case-insensitive lookup. `NotFound(Group)`.
    read fn get_group(account_id: &str, name: &str) -> Group
        = |tx| groups::get(tx, &account_id, &name);

    /// UpdateGroup (rename/move). `NotFound(Group)`; `AlreadyExists(Group)`.
    write fn update_group(account_id: &str, name: &str, update: Rename) -> Group
        = |tx| groups::update(tx, &account_id, &name, &update);

    /// `NotFound(Group)`; `DeleteConflict(GroupHasMembers | InlinePolicies |
    /// AttachedPolicies)`.
    write fn delete_group(account_id: &str, name: &str) -> ()
        = |tx| groups::delete(tx, &account_id, &name);

    /// Adding a member twice is a no-op. `NotFound(Group)`; `NotFound(User)`;
    /// `LimitExceeded(GroupsPerUser)`.
    write fn add_user_to_group(account_id: &str, group: &str, user: &str) -> ()
        = |tx, q| groups::add_member(tx, &q, &account_id, &group, &user);

    /// `NotFound(Group)`; `NotFound(User)`; `NotFound(GroupMember)` if not a member.
    write fn remove_user_from_group(account_id: &str, group: &str, user: &str) -> ()
        = |tx| groups::remove_member(tx, &account_id, &group, &user);

    /// Members of a group (GetGroup), ordered by lowercase user name. `NotFound(Group)`.
    read fn list_group_members(account_id: &str, group: &str, page: &PageRequest) -> Page<User>
        = |tx| groups::members(tx, &account_id, &group, &page);

    /// ListGroupsForUser, ordered by lowercase group name. `NotFound(User)`.
    read fn list_groups_for_user(account_id: &str, user: &str, page: &PageRequest) -> Page<Group>
        = |tx| groups::list_for_user(tx, &account_id, &user, &page);

    /// The identity policies of a principal in one consistent read: default versions of
    /// attached managed policies, inline policies, (users) the same for each group, and the
    /// permissions boundary. `NotFound(User | Role)` (named by the id) if the principal is gone.
    read fn principal_policies(account_id: &str, principal: &PrincipalRef) -> PrincipalPolicies
        = |tx| authz::principal_policies(tx, &account_id, &principal);

    /// Adds or replaces tags (user, role, instance profile and MFA device keys
    /// case-insensitively: the new key's case wins). `NotFound` of the target's kind;
    /// `LimitExceeded(TagsPer<kind>)` when the result would exceed the quota; `Unmodifiable`
    /// for AWS-managed policies.
    write fn tag_resource(account_id: &str, target: &TagTarget, new_tags: &[Tag]) -> ()
        = |tx, q| tags::edit(tx, &q, &account_id, &target, tags::TagEdit::Put(new_tags.to_vec()));

    /// Removes tags by key (absent keys are ignored). Errors as [`Store::tag_resource`].
    write fn untag_resource(account_id: &str, target: &TagTarget, keys: &[String]) -> ()
        = |tx, q| tags::edit(tx, &q, &account_id, &target, tags::TagEdit::Remove(keys.to_vec()));

    /// Tags sorted by key (lowercase key for users, roles, instance profiles and MFA devices).
    /// `NotFound` of the target's kind.
    read fn list_tags(account_id: &str, target: &TagTarget) -> Vec<Tag>
        = |tx| tags::list(tx, &account_id, &target);

    /// A server setting, if set.
    read fn get_setting(key: &str) -> Option<String> = |tx| accounts::get_setting(tx, &key);

    /// Sets a server setting (insert or replace).
    write fn put_setting(key: &str, value: &str) -> ()
        = |tx| accounts::put_setting(tx, &key, &value);

    /// Users whose path starts with `path_prefix`, ordered by lowercase name.
    /// `InvalidInput` for a marker this store did not issue.
    read fn list_users(
        account_id: &str,
        path_prefix: Option<&str> => path_prefix.map(str::to_owned),
        page: &PageRequest,
    ) -> Page<User>
        = |tx| users::list(tx, &account_id, path_prefix.as_deref(), &page);

    /// Sets (`Some(arn)`) or removes (`None`, idempotent) the user's permissions boundary.
    /// `NotFound(User)`; `NotFound(Policy)` for an unknown policy.
    write fn set_user_permissions_boundary(
        account_id: &str,
        name: &str,
        policy_arn: Option<&str> => policy_arn.map(str::to_owned),
    ) -> ()
        = |tx| entities::set_boundary(
            tx, &account_id, EntityKind::User, &name, policy_arn.as_deref(),
        );

    /// Roles whose path starts with `path_prefix`, ordered by lowercase name.
    read fn list_roles(
        account_id: &str,
        path_prefix: Option<&str> => path_prefix.map(str::to_owned),
        page: &PageRequest,
    ) -> Page<Role>
        = |tx| roles::list(tx, &account_id, path_prefix.as_deref(), &page);

    /// As [`Store::set_user_permissions_boundary`], for roles (`NotFound(Role)`).
    write fn set_role_permissions_boundary(
        account_id: &str,
        name: &str,
        policy_arn: Option<&str> => policy_arn.map(str::to_owned),
    ) -> ()
        = |tx| entities::set_boundary(
            tx, &account_id, EntityKind::Role, &name, policy_arn.as_deref(),
        );
}

impl Store {
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

    /// Records that a session of the role was used (one UPDATE). An unknown role id is ignored.
    pub async fn record_role_use(&self, role_id: &str, used: &RoleLastUsed) -> Result<()> {
        run!(self.write_untracked, [role_id, used], |tx| {
            roles::record_use(tx, &role_id, &used)
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
}
