//! Domain records exchanged with an [`Store`](crate::Store).
//!
//! The store never invents identifiers or timestamps: callers pass complete records
//! (`AIDA…`/`AKIA…`/`AROA…`/`ANPA…`/`AGPA…` ids, ARNs, `DateTime<Utc>` dates). The only value the
//! store assigns is a managed policy's version id (`v1`, `v2`, …), because it must be allocated
//! atomically and never reused.
//!
//! Timestamps are kept with microsecond precision by every backend.

use chrono::{DateTime, Utc};

use crate::keyring::Secret;

/// The account id AWS-managed policies belong to (`arn:aws:iam::aws:policy/…`).
pub const AWS_ACCOUNT: &str = "aws";

/// An AWS account (tenant). Every other record belongs to one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// 12 decimal digits.
    pub account_id: String,
    pub create_date: DateTime<Utc>,
}

/// A resource tag. User and role tag keys compare case-insensitively; policy tag keys
/// compare exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

impl Tag {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Tag {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub account_id: String,
    /// `AIDA…`; never changes, even on rename.
    pub user_id: String,
    /// Case as created; lookups are case-insensitive.
    pub name: String,
    pub path: String,
    pub arn: String,
    pub create_date: DateTime<Utc>,
    /// ARN of the managed policy used as permissions boundary.
    pub permissions_boundary: Option<String>,
    /// Sorted by lowercase key.
    pub tags: Vec<Tag>,
}

/// Input of [`Store::create_user`](crate::Store::create_user): a user is created exactly as
/// it is then stored; `permissions_boundary` must name an existing managed policy (customer
/// or AWS-managed).
pub type NewUser = User;

/// The complete new identity of a renamed/moved user or group. The caller computes the final
/// name, path and ARN (unchanged parts copied from the current record).
#[derive(Debug, Clone)]
pub struct Rename {
    pub name: String,
    pub path: String,
    pub arn: String,
}

/// Who owns a long-term access key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyOwner {
    /// The account root user.
    Root,
    /// An IAM user, by unique id (`AIDA…`), so keys survive renames.
    User(String),
}

/// Status of a long-term access key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessKeyStatus {
    Active,
    Inactive,
}

impl AccessKeyStatus {
    /// The AWS wire value (`Active`/`Inactive`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccessKeyStatus::Active => "Active",
            AccessKeyStatus::Inactive => "Inactive",
        }
    }

    /// Parses the AWS wire value; anything else (including `Expired`) is `None`.
    pub fn parse(s: &str) -> Option<AccessKeyStatus> {
        match s {
            "Active" => Some(AccessKeyStatus::Active),
            "Inactive" => Some(AccessKeyStatus::Inactive),
            _ => None,
        }
    }
}

/// Last use of an access key (GetAccessKeyLastUsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyLastUsed {
    pub date: DateTime<Utc>,
    pub service: String,
    pub region: String,
}

/// An access key without its secret (ListAccessKeys, GetAccessKeyLastUsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyMetadata {
    /// `AKIA…`
    pub access_key_id: String,
    pub account_id: String,
    pub owner: KeyOwner,
    pub status: AccessKeyStatus,
    pub create_date: DateTime<Utc>,
    pub last_used: Option<AccessKeyLastUsed>,
}

/// An access key with its decrypted secret, for authentication.
#[derive(Debug, Clone)]
pub struct AccessKey {
    pub metadata: AccessKeyMetadata,
    pub secret: Secret,
}

/// Input of [`Store::create_access_key`](crate::Store::create_access_key). The key is
/// created `Active`; the secret is sealed with the store's key ring before it is written.
#[derive(Debug, Clone)]
pub struct NewAccessKey {
    pub access_key_id: String,
    pub account_id: String,
    pub owner: KeyOwner,
    pub secret: Secret,
    pub create_date: DateTime<Utc>,
}

/// Last use of a role (RoleLastUsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleLastUsed {
    pub date: DateTime<Utc>,
    pub region: String,
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub account_id: String,
    /// `AROA…`
    pub role_id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub create_date: DateTime<Utc>,
    /// The trust policy, as stored (not URL-encoded).
    pub assume_role_policy_document: String,
    pub description: Option<String>,
    /// Seconds (3600–43200).
    pub max_session_duration: u32,
    pub permissions_boundary: Option<String>,
    /// Sorted by lowercase key.
    pub tags: Vec<Tag>,
    pub last_used: Option<RoleLastUsed>,
}

/// Input of [`Store::create_role`](crate::Store::create_role).
#[derive(Debug, Clone)]
pub struct NewRole {
    pub account_id: String,
    pub role_id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub create_date: DateTime<Utc>,
    pub assume_role_policy_document: String,
    pub description: Option<String>,
    pub max_session_duration: u32,
    pub permissions_boundary: Option<String>,
    pub tags: Vec<Tag>,
}

/// UpdateRole: fields left `None` are unchanged.
#[derive(Debug, Clone, Default)]
pub struct RoleUpdate {
    pub description: Option<String>,
    pub max_session_duration: Option<u32>,
}

/// An IAM group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub account_id: String,
    /// `AGPA…`
    pub group_id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub create_date: DateTime<Utc>,
}

/// Input of [`Store::create_group`](crate::Store::create_group).
pub type NewGroup = Group;

/// A managed policy (customer-managed, or AWS-managed when `account_id` is [`AWS_ACCOUNT`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicy {
    pub account_id: String,
    /// `ANPA…`
    pub policy_id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub description: Option<String>,
    pub default_version_id: String,
    /// Users, roles and groups of the *asking* account the policy is attached to.
    pub attachment_count: u32,
    /// Users and roles of the asking account using the policy as permissions boundary.
    pub permissions_boundary_usage_count: u32,
    pub is_attachable: bool,
    pub create_date: DateTime<Utc>,
    pub update_date: DateTime<Utc>,
    /// Sorted by key.
    pub tags: Vec<Tag>,
}

impl ManagedPolicy {
    pub fn is_aws_managed(&self) -> bool {
        self.account_id == AWS_ACCOUNT
    }
}

/// Input of [`Store::create_policy`](crate::Store::create_policy); the document becomes
/// the default version `v1`.
#[derive(Debug, Clone)]
pub struct NewPolicy {
    pub account_id: String,
    pub policy_id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub description: Option<String>,
    pub document: String,
    pub create_date: DateTime<Utc>,
    pub tags: Vec<Tag>,
}

/// Input of [`Store::upsert_aws_managed_policy`](crate::Store::upsert_aws_managed_policy).
/// The ARN must be `arn:aws:iam::aws:policy{path}{name}`.
#[derive(Debug, Clone)]
pub struct AwsManagedPolicy {
    pub policy_id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub description: Option<String>,
    /// The default version's text.
    pub document: String,
    /// The default version's number (`v3` → 3); it is the policy's only stored version.
    pub default_version: i64,
    pub create_date: DateTime<Utc>,
    /// The date of the default version (the policy's update date).
    pub update_date: DateTime<Utc>,
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// `v1`, `v2`, … (assigned by the store, never reused).
    pub version_id: String,
    pub document: String,
    pub is_default: bool,
    pub create_date: DateTime<Utc>,
}

/// ListPolicies `Scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PolicyScope {
    #[default]
    All,
    /// AWS-managed only.
    Aws,
    /// Customer-managed (this account) only.
    Local,
}

/// ListPolicies / ListEntitiesForPolicy `PolicyUsageFilter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyUsage {
    /// Attached to a user, role or group of the account.
    PermissionsPolicy,
    /// Used as a permissions boundary by a user or role of the account.
    PermissionsBoundary,
}

/// ListPolicies filters.
#[derive(Debug, Clone, Default)]
pub struct PolicyFilter {
    pub scope: PolicyScope,
    /// Only policies with `attachment_count > 0`.
    pub only_attached: bool,
    pub path_prefix: Option<String>,
    pub usage: Option<PolicyUsage>,
}

/// The three kinds of identity a managed or inline policy can be attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityKind {
    User,
    Role,
    Group,
}

impl EntityKind {
    /// Lowercase word used in AWS messages (`user`, `role`, `group`).
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Role => "role",
            EntityKind::Group => "group",
        }
    }
}

/// A user, role or group named by its (case-insensitive) name, as IAM API calls do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EntityRef {
    User(String),
    Role(String),
    Group(String),
}

impl EntityRef {
    pub fn kind(&self) -> EntityKind {
        match self {
            EntityRef::User(_) => EntityKind::User,
            EntityRef::Role(_) => EntityKind::Role,
            EntityRef::Group(_) => EntityKind::Group,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            EntityRef::User(n) | EntityRef::Role(n) | EntityRef::Group(n) => n,
        }
    }
}

/// A taggable resource: users, roles, instance profiles and server certificates by name;
/// managed policies and identity providers by ARN; virtual MFA devices by serial number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TagTarget {
    User(String),
    Role(String),
    Policy(String),
    /// An instance profile, by name.
    InstanceProfile(String),
    /// An OIDC provider, by ARN.
    OidcProvider(String),
    /// A SAML provider, by ARN.
    SamlProvider(String),
    /// A server certificate, by name (case-insensitive).
    ServerCertificate(String),
    /// A virtual MFA device, by serial number (its ARN).
    MfaDevice(String),
}

/// A managed policy attached to an entity (ListAttached…Policies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedPolicy {
    pub policy_name: String,
    pub policy_arn: String,
}

/// An entity a managed policy is attached to (ListEntitiesForPolicy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyEntity {
    pub kind: EntityKind,
    pub name: String,
    /// `AIDA…`, `AROA…` or `AGPA…`.
    pub id: String,
}

/// ListEntitiesForPolicy filters.
#[derive(Debug, Clone, Default)]
pub struct EntityFilter {
    /// Only this kind (`None` = users, roles and groups).
    pub kind: Option<EntityKind>,
    pub path_prefix: Option<String>,
    /// `PermissionsBoundary` lists users and roles using the policy as boundary instead of
    /// attachments; `None` or `PermissionsPolicy` lists attachments.
    pub usage: Option<PolicyUsage>,
}

/// An inline policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinePolicy {
    pub name: String,
    pub document: String,
}

/// Aggregate inline-policy size check done inside the put transaction: the sum of the sizes of
/// the entity's other inline policies plus `size` must not exceed `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeCheck {
    /// Size of the new document as AWS counts it (non-whitespace characters).
    pub size: u32,
    /// e.g. 2048 for users, 10240 for roles, 5120 for groups.
    pub limit: u32,
}

/// The principal whose policies the authorizer gathers, by unique id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PrincipalRef {
    /// `AIDA…`
    User(String),
    /// `AROA…`
    Role(String),
}

/// The default version of a managed policy, as used for evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    pub arn: String,
    pub version_id: String,
    pub document: String,
}

/// The policies a group gives its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPolicies {
    pub group_name: String,
    pub group_arn: String,
    pub managed: Vec<PolicyDocument>,
    pub inline: Vec<InlinePolicy>,
}

/// Everything the authorizer needs about a principal's identity policies, read in one
/// consistent snapshot. Managed policies are ordered by ARN, inline by name, groups by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrincipalPolicies {
    pub managed: Vec<PolicyDocument>,
    pub inline: Vec<InlinePolicy>,
    /// Empty for roles.
    pub groups: Vec<GroupPolicies>,
    pub boundary: Option<PolicyDocument>,
}

/// Counts for GetAccountSummary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountSummary {
    pub users: u32,
    pub groups: u32,
    pub roles: u32,
    /// Customer-managed policies.
    pub policies: u32,
    /// Versions of customer-managed policies.
    pub policy_versions_in_use: u32,
    /// Access keys of the root user.
    pub root_access_keys: u32,
}

/// Pagination request (`Marker`, `MaxItems`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Opaque marker from a previous [`Page::next_marker`].
    pub marker: Option<String>,
    /// Clamped to 1..=1000.
    pub max_items: u32,
}

impl PageRequest {
    pub const DEFAULT_MAX_ITEMS: u32 = 100;

    pub fn first(max_items: u32) -> PageRequest {
        PageRequest {
            marker: None,
            max_items,
        }
    }

    /// The window of a short, fully loaded list of `len` items that this page covers, when
    /// the marker is the offset of the next item. A marker that is not such an offset
    /// restarts from the beginning rather than failing: the lists paged this way are tiny
    /// and re-reading them is harmless. More follow when `end < len`, at offset `end`.
    pub fn offset_window(&self, len: usize) -> std::ops::Range<usize> {
        let start = self
            .marker
            .as_deref()
            .and_then(|m| m.parse::<usize>().ok())
            .unwrap_or(0)
            .min(len);
        let end = start.saturating_add(self.max_items as usize).min(len);
        start..end
    }
}

impl Default for PageRequest {
    fn default() -> PageRequest {
        PageRequest::first(PageRequest::DEFAULT_MAX_ITEMS)
    }
}

/// One page of a listing, in a stable order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Present only when truncated (`IsTruncated=true`).
    pub next_marker: Option<String>,
}

impl<T> Page<T> {
    pub fn is_truncated(&self) -> bool {
        self.next_marker.is_some()
    }
}

/// Quotas the store enforces atomically. Defaults are AWS's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quotas {
    pub access_keys_per_user: u32,
    pub versions_per_policy: u32,
    pub policies_per_user: u32,
    pub policies_per_role: u32,
    pub policies_per_group: u32,
    pub groups_per_user: u32,
    pub tags_per_resource: u32,
    pub users_per_account: u32,
    pub groups_per_account: u32,
    pub roles_per_account: u32,
    pub policies_per_account: u32,
}

impl Default for Quotas {
    fn default() -> Quotas {
        Quotas {
            access_keys_per_user: 2,
            versions_per_policy: 5,
            policies_per_user: 10,
            policies_per_role: 10,
            policies_per_group: 10,
            groups_per_user: 10,
            tags_per_resource: 50,
            users_per_account: 5000,
            groups_per_account: 300,
            roles_per_account: 1000,
            policies_per_account: 1500,
        }
    }
}
