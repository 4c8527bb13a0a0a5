//! The storage seam of the IAM domain.
//!
//! One object-safe trait, used as `Arc<dyn IamStore>`. Every write is one transaction with its
//! limits and conflicts checked inside it, so concurrent callers can never break a quota.
//! Names of users, roles and groups are matched case-insensitively and returned as created.
//!
//! Unless a method says otherwise, it can also return [`StoreError::Backend`],
//! [`StoreError::Corrupt`] or [`StoreError::Conflict`] (a concurrent transaction kept winning).
//! Methods taking an `account_id` return `NotFound(Account)` when the account was never
//! ensured only where noted; otherwise a missing account just means the record is not found.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::Result;
#[allow(unused_imports)] // used by rustdoc links
use crate::error::{DeleteConflict, Quota, ResourceKind, StoreError};
use crate::model::*;

/// Domain-level asynchronous storage of IAM accounts, users, access keys, roles, groups,
/// managed and inline policies.
#[async_trait]
pub trait IamStore: Send + Sync + 'static {
    // ----- accounts -----

    /// Creates the account if absent (idempotent) and returns it as stored (the first
    /// `create_date` wins). `InvalidInput` unless the id is 12 decimal digits.
    async fn ensure_account(&self, account_id: &str, create_date: DateTime<Utc>)
    -> Result<Account>;

    /// `NotFound(Account)`.
    async fn get_account(&self, account_id: &str) -> Result<Account>;

    /// Counts for GetAccountSummary.
    async fn account_summary(&self, account_id: &str) -> Result<AccountSummary>;

    // ----- users -----

    /// `NotFound(Account)` if the account does not exist; `AlreadyExists(User)` when a user
    /// with the same name in any case exists; `NotFound(Policy)` for an unknown boundary ARN;
    /// `LimitExceeded(UsersPerAccount | TagsPerUser)`.
    async fn create_user(&self, user: NewUser) -> Result<User>;

    /// Case-insensitive lookup. `NotFound(User)`.
    async fn get_user(&self, account_id: &str, name: &str) -> Result<User>;

    /// Lookup by `AIDA…` id. `NotFound(User)` (named by the id).
    async fn get_user_by_id(&self, account_id: &str, user_id: &str) -> Result<User>;

    /// Users whose path starts with `path_prefix`, ordered by lowercase name.
    /// `InvalidInput` for a marker this store did not issue.
    async fn list_users(
        &self,
        account_id: &str,
        path_prefix: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<User>>;

    /// Renames and/or moves a user; the user id, keys, policies and memberships stay.
    /// `NotFound(User)`; `AlreadyExists(User)` if the new name is taken by another user.
    async fn update_user(&self, account_id: &str, name: &str, update: Rename) -> Result<User>;

    /// `NotFound(User)`; `DeleteConflict(AccessKeys | InlinePolicies | AttachedPolicies |
    /// UserInGroups)`, checked in that order.
    async fn delete_user(&self, account_id: &str, name: &str) -> Result<()>;

    /// Sets (`Some(arn)`) or removes (`None`, idempotent) the user's permissions boundary.
    /// `NotFound(User)`; `NotFound(Policy)` for an unknown policy.
    async fn set_user_permissions_boundary(
        &self,
        account_id: &str,
        name: &str,
        policy_arn: Option<&str>,
    ) -> Result<()>;

    // ----- tags (users, roles, managed policies) -----

    /// Adds or replaces tags (user and role keys case-insensitively: the new key's case wins).
    /// `NotFound(User | Role | Policy)`; `LimitExceeded(TagsPerUser | TagsPerRole |
    /// TagsPerPolicy)` when the result would exceed the quota; `Unmodifiable` for AWS-managed
    /// policies.
    async fn tag_resource(&self, account_id: &str, target: &TagTarget, tags: &[Tag]) -> Result<()>;

    /// Removes tags by key (absent keys are ignored). Errors as [`IamStore::tag_resource`].
    async fn untag_resource(
        &self,
        account_id: &str,
        target: &TagTarget,
        keys: &[String],
    ) -> Result<()>;

    /// Tags sorted by (lowercase) key. `NotFound(User | Role | Policy)`.
    async fn list_tags(&self, account_id: &str, target: &TagTarget) -> Result<Vec<Tag>>;

    // ----- access keys -----

    /// Stores a new `Active` key with its secret sealed (AAD = key id).
    /// `NotFound(User)` if the owner user does not exist (named by its id); `NotFound(Account)`;
    /// `LimitExceeded(AccessKeysPerUser)` if the owner already has the maximum (also for root);
    /// `AlreadyExists(AccessKey)` on an id collision.
    async fn create_access_key(&self, key: NewAccessKey) -> Result<AccessKeyMetadata>;

    /// For authentication: owner, status and the decrypted secret. `NotFound(AccessKey)`;
    /// `KeyRing` if the secret cannot be opened.
    async fn get_access_key(&self, access_key_id: &str) -> Result<AccessKey>;

    /// The owner's keys ordered by creation date then id.
    async fn list_access_keys(
        &self,
        account_id: &str,
        owner: &KeyOwner,
    ) -> Result<Vec<AccessKeyMetadata>>;

    /// `NotFound(AccessKey)` unless the key exists and belongs to `owner` in the account.
    async fn update_access_key_status(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        access_key_id: &str,
        status: AccessKeyStatus,
    ) -> Result<()>;

    /// `NotFound(AccessKey)` unless the key exists and belongs to `owner` in the account.
    async fn delete_access_key(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        access_key_id: &str,
    ) -> Result<()>;

    /// Records a use of the key: one UPDATE, cheap enough for the request path (the caller may
    /// still throttle). An unknown key is silently ignored.
    async fn record_access_key_use(
        &self,
        access_key_id: &str,
        used: &AccessKeyLastUsed,
    ) -> Result<()>;

    // ----- roles -----

    /// `NotFound(Account)`; `AlreadyExists(Role)`; `NotFound(Policy)` for an unknown boundary;
    /// `LimitExceeded(RolesPerAccount | TagsPerRole)`.
    async fn create_role(&self, role: NewRole) -> Result<Role>;

    /// Case-insensitive lookup. `NotFound(Role)`.
    async fn get_role(&self, account_id: &str, name: &str) -> Result<Role>;

    /// Lookup by `AROA…` id. `NotFound(Role)` (named by the id).
    async fn get_role_by_id(&self, account_id: &str, role_id: &str) -> Result<Role>;

    /// Roles whose path starts with `path_prefix`, ordered by lowercase name.
    async fn list_roles(
        &self,
        account_id: &str,
        path_prefix: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Role>>;

    /// UpdateRole. `NotFound(Role)`.
    async fn update_role(&self, account_id: &str, name: &str, update: RoleUpdate) -> Result<Role>;

    /// UpdateAssumeRolePolicy. `NotFound(Role)`.
    async fn update_assume_role_policy(
        &self,
        account_id: &str,
        name: &str,
        document: &str,
    ) -> Result<()>;

    /// `NotFound(Role)`; `DeleteConflict(InlinePolicies | AttachedPolicies)`.
    async fn delete_role(&self, account_id: &str, name: &str) -> Result<()>;

    /// As [`IamStore::set_user_permissions_boundary`], for roles (`NotFound(Role)`).
    async fn set_role_permissions_boundary(
        &self,
        account_id: &str,
        name: &str,
        policy_arn: Option<&str>,
    ) -> Result<()>;

    /// Records that a session of the role was used (one UPDATE). An unknown role id is ignored.
    async fn record_role_use(&self, role_id: &str, used: &RoleLastUsed) -> Result<()>;

    // ----- managed policies -----

    /// Creates a customer-managed policy with `document` as default version `v1`.
    /// `NotFound(Account)`; `AlreadyExists(Policy)` (named by the policy name) when the
    /// account has a policy of that name on any path; `LimitExceeded(PoliciesPerAccount |
    /// TagsPerPolicy)`; `InvalidInput` if `account_id` is [`AWS_ACCOUNT`].
    async fn create_policy(&self, policy: NewPolicy) -> Result<ManagedPolicy>;

    /// Idempotent start-up registration of an AWS-managed policy: creates it, or updates its
    /// description and default document in place when they changed. Existing ids are kept.
    async fn upsert_aws_managed_policy(&self, policy: AwsManagedPolicy) -> Result<ManagedPolicy>;

    /// A customer policy of the account or an AWS-managed policy, by ARN, with counts for this
    /// account. `NotFound(Policy)`.
    async fn get_policy(&self, account_id: &str, policy_arn: &str) -> Result<ManagedPolicy>;

    /// ListPolicies, ordered by lowercase name then ARN.
    async fn list_policies(
        &self,
        account_id: &str,
        filter: &PolicyFilter,
        page: &PageRequest,
    ) -> Result<Page<ManagedPolicy>>;

    /// Deletes a customer policy and its default version. `NotFound(Policy)`;
    /// `Unmodifiable` for AWS-managed policies; `DeleteConflict(PolicyAttached)` while attached
    /// or used as a boundary; `DeleteConflict(PolicyHasVersions)` while non-default versions
    /// exist.
    async fn delete_policy(&self, account_id: &str, policy_arn: &str) -> Result<()>;

    /// Adds the next version (`vN`, never reused), optionally as default (which also sets the
    /// policy's update date to `create_date`). `NotFound(Policy)`; `Unmodifiable`;
    /// `LimitExceeded(VersionsPerPolicy)`.
    async fn create_policy_version(
        &self,
        account_id: &str,
        policy_arn: &str,
        document: &str,
        set_as_default: bool,
        create_date: DateTime<Utc>,
    ) -> Result<PolicyVersion>;

    /// `NotFound(Policy)`; `NotFound(PolicyVersion)`.
    async fn get_policy_version(
        &self,
        account_id: &str,
        policy_arn: &str,
        version_id: &str,
    ) -> Result<PolicyVersion>;

    /// All versions, newest first. `NotFound(Policy)`.
    async fn list_policy_versions(
        &self,
        account_id: &str,
        policy_arn: &str,
    ) -> Result<Vec<PolicyVersion>>;

    /// `NotFound(Policy)`; `NotFound(PolicyVersion)`; `Unmodifiable`.
    async fn set_default_policy_version(
        &self,
        account_id: &str,
        policy_arn: &str,
        version_id: &str,
        update_date: DateTime<Utc>,
    ) -> Result<()>;

    /// `NotFound(Policy)`; `NotFound(PolicyVersion)`; `Unmodifiable`;
    /// `DeleteConflict(DefaultVersion)`.
    async fn delete_policy_version(
        &self,
        account_id: &str,
        policy_arn: &str,
        version_id: &str,
    ) -> Result<()>;

    // ----- attachments -----

    /// Attaches a managed policy (customer of this account, or AWS-managed); attaching twice
    /// is a no-op. `NotFound(User | Role | Group)`; `NotFound(Policy)`;
    /// `LimitExceeded(PoliciesPerUser | PoliciesPerRole | PoliciesPerGroup)`.
    async fn attach_policy(
        &self,
        account_id: &str,
        entity: &EntityRef,
        policy_arn: &str,
    ) -> Result<()>;

    /// `NotFound(User | Role | Group)`; `NotFound(AttachedPolicy)` when not attached.
    async fn detach_policy(
        &self,
        account_id: &str,
        entity: &EntityRef,
        policy_arn: &str,
    ) -> Result<()>;

    /// ListAttached{User,Role,Group}Policies, ordered by lowercase policy name then ARN;
    /// `path_prefix` filters on the policy path. `NotFound(User | Role | Group)`.
    async fn list_attached_policies(
        &self,
        account_id: &str,
        entity: &EntityRef,
        path_prefix: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<AttachedPolicy>>;

    /// ListEntitiesForPolicy, ordered by kind (groups, roles, users — AWS's response order)
    /// then lowercase name; `path_prefix` filters on the entity path. `NotFound(Policy)`.
    async fn list_entities_for_policy(
        &self,
        account_id: &str,
        policy_arn: &str,
        filter: &EntityFilter,
        page: &PageRequest,
    ) -> Result<Page<PolicyEntity>>;

    // ----- inline policies -----

    /// Creates or replaces an inline policy (names are case-sensitive).
    /// `NotFound(User | Role | Group)`; `PolicySizeExceeded` when the sum of the entity's other
    /// inline policies and `check.size` exceeds `check.limit`.
    async fn put_inline_policy(
        &self,
        account_id: &str,
        entity: &EntityRef,
        policy_name: &str,
        document: &str,
        check: SizeCheck,
    ) -> Result<()>;

    /// `NotFound(User | Role | Group)`; `NotFound(InlinePolicy(kind))`.
    async fn get_inline_policy(
        &self,
        account_id: &str,
        entity: &EntityRef,
        policy_name: &str,
    ) -> Result<InlinePolicy>;

    /// `NotFound(User | Role | Group)`; `NotFound(InlinePolicy(kind))`.
    async fn delete_inline_policy(
        &self,
        account_id: &str,
        entity: &EntityRef,
        policy_name: &str,
    ) -> Result<()>;

    /// Inline policy names ordered by name. `NotFound(User | Role | Group)`.
    async fn list_inline_policies(
        &self,
        account_id: &str,
        entity: &EntityRef,
        page: &PageRequest,
    ) -> Result<Page<String>>;

    // ----- groups -----

    /// `NotFound(Account)`; `AlreadyExists(Group)`; `LimitExceeded(GroupsPerAccount)`.
    async fn create_group(&self, group: NewGroup) -> Result<Group>;

    /// Case-insensitive lookup. `NotFound(Group)`.
    async fn get_group(&self, account_id: &str, name: &str) -> Result<Group>;

    /// Groups whose path starts with `path_prefix`, ordered by lowercase name.
    async fn list_groups(
        &self,
        account_id: &str,
        path_prefix: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Group>>;

    /// UpdateGroup (rename/move). `NotFound(Group)`; `AlreadyExists(Group)`.
    async fn update_group(&self, account_id: &str, name: &str, update: Rename) -> Result<Group>;

    /// `NotFound(Group)`; `DeleteConflict(GroupHasMembers | InlinePolicies |
    /// AttachedPolicies)`.
    async fn delete_group(&self, account_id: &str, name: &str) -> Result<()>;

    /// Adding a member twice is a no-op. `NotFound(Group)`; `NotFound(User)`;
    /// `LimitExceeded(GroupsPerUser)`.
    async fn add_user_to_group(&self, account_id: &str, group: &str, user: &str) -> Result<()>;

    /// `NotFound(Group)`; `NotFound(User)`; `NotFound(GroupMember)` if not a member.
    async fn remove_user_from_group(&self, account_id: &str, group: &str, user: &str)
    -> Result<()>;

    /// Members of a group (GetGroup), ordered by lowercase user name. `NotFound(Group)`.
    async fn list_group_members(
        &self,
        account_id: &str,
        group: &str,
        page: &PageRequest,
    ) -> Result<Page<User>>;

    /// ListGroupsForUser, ordered by lowercase group name. `NotFound(User)`.
    async fn list_groups_for_user(
        &self,
        account_id: &str,
        user: &str,
        page: &PageRequest,
    ) -> Result<Page<Group>>;

    // ----- authorization hot path -----

    /// The identity policies of a principal in one consistent read: default versions of
    /// attached managed policies, inline policies, (users) the same for each group, and the
    /// permissions boundary. `NotFound(User | Role)` (named by the id) if the principal is gone.
    async fn principal_policies(
        &self,
        account_id: &str,
        principal: &PrincipalRef,
    ) -> Result<PrincipalPolicies>;

    // ----- server metadata -----

    /// A server setting, if set.
    async fn get_setting(&self, key: &str) -> Result<Option<String>>;

    /// Sets a server setting (insert or replace).
    async fn put_setting(&self, key: &str, value: &str) -> Result<()>;
}
