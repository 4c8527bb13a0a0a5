//! AWS Organizations records: the server's one organization, its accounts, organizational
//! units, create-account requests and organization policies (SCPs, RCPs).
//!
//! Methods on [`Store`](crate::Store) that can fail for a reason the caller reports to the
//! client return [`OrgResult`]: the outer error is a storage failure, the inner one an
//! [`OrgFault`] (nothing was written when a fault is returned).

use chrono::{DateTime, Utc};

use crate::model::NewRole;

/// A storage result whose success may still be a refusal the client is told about.
pub type OrgResult<T> = crate::error::Result<Result<T, OrgFault>>;

/// Why an organization operation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgFault {
    /// An organization already exists (one per server).
    OrganizationExists,
    /// No organization exists.
    NoOrganization,
    AccountNotFound,
    /// A parent (root or OU) named as a parent or destination does not exist.
    ParentNotFound,
    /// The source parent of MoveAccount is not where the account is.
    SourceParentNotFound,
    OrganizationalUnitNotFound,
    PolicyNotFound,
    TargetNotFound,
    RootNotFound,
    /// An OU with this name already exists under the parent.
    DuplicateOrganizationalUnit,
    /// MoveAccount into the parent the account is already in.
    DuplicateAccount,
    DuplicatePolicy,
    DuplicatePolicyAttachment,
    PolicyNotAttached,
    PolicyInUse,
    PolicyTypeNotEnabled,
    PolicyTypeAlreadyEnabled,
    /// The OU still has accounts or child OUs.
    OrganizationalUnitNotEmpty,
    /// AWS-managed policies cannot be changed or deleted.
    PolicyChangesNotAllowed,
    /// A `ConstraintViolationException` reason (`OU_DEPTH_LIMIT_EXCEEDED`, …).
    Constraint(&'static str),
}

/// The organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub org_id: String,
    pub feature_set: String,
    pub management_account_id: String,
    pub management_email: String,
    pub root_id: String,
    pub created: DateTime<Utc>,
    /// Policy types enabled in the root (`SERVICE_CONTROL_POLICY`, …).
    pub enabled_policy_types: Vec<String>,
}

/// CreateOrganization input.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub org_id: String,
    pub feature_set: String,
    pub management_account_id: String,
    pub management_email: String,
    pub management_name: String,
    pub root_id: String,
    pub created: DateTime<Utc>,
    /// The AWS-managed `FullAWSAccess` SCP (created when absent); attached to the root and
    /// the management account when the feature set is `ALL`.
    pub full_access: NewOrgPolicy,
}

/// An account of the organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAccount {
    pub account_id: String,
    pub name: String,
    pub email: String,
    /// `CREATED` or `INVITED`.
    pub joined_method: String,
    pub joined: DateTime<Utc>,
    /// The root or OU the account is in.
    pub parent_id: String,
}

/// An organizational unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgUnit {
    pub ou_id: String,
    pub name: String,
    pub parent_id: String,
}

/// A CreateAccount request and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateAccountStatus {
    pub request_id: String,
    pub account_name: String,
    /// `IN_PROGRESS`, `SUCCEEDED` or `FAILED`.
    pub state: String,
    pub requested: DateTime<Utc>,
    pub completed: Option<DateTime<Utc>>,
    pub account_id: Option<String>,
    pub failure_reason: Option<String>,
}

/// CreateAccount input: the new account, its access role and its entry in the organization.
#[derive(Debug, Clone)]
pub struct NewMemberAccount {
    pub request_id: String,
    pub account_id: String,
    pub name: String,
    pub email: String,
    pub requested: DateTime<Utc>,
    /// The role the management account administers the account through.
    pub role: NewRole,
    /// Managed policy attached to that role (`AdministratorAccess`).
    pub role_policy_arn: String,
    /// Most accounts the organization may hold (management included).
    pub max_accounts: u32,
}

/// An organization policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgPolicy {
    pub policy_id: String,
    /// `SERVICE_CONTROL_POLICY`, `RESOURCE_CONTROL_POLICY`, …
    pub policy_type: String,
    pub name: String,
    pub description: String,
    pub content: String,
    pub aws_managed: bool,
}

/// CreatePolicy input.
pub type NewOrgPolicy = OrgPolicy;

/// UpdatePolicy: fields left `None` are unchanged.
#[derive(Debug, Clone, Default)]
pub struct OrgPolicyUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub content: Option<String>,
}

/// What an account's principals are bound by: its place in the organization and the
/// policies of one type attached at each level of its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountControls {
    pub org_id: String,
    pub management_account_id: String,
    /// Root id, then each OU from the top, then the account id.
    pub path: Vec<String>,
    /// Whether the policy type is enabled in the root; when it is not, `levels` is empty.
    pub enabled: bool,
    /// One entry per element of `path`: the policies attached there.
    pub levels: Vec<Vec<OrgPolicy>>,
}

/// Limits of policy attachment (AWS's quotas).
pub mod limits {
    /// Policies of one type attached to one target.
    pub const POLICIES_PER_TARGET: u32 = 5;
    /// OU nesting below the root.
    pub const OU_DEPTH: usize = 5;
    /// Policies of one type in the organization.
    pub const POLICIES_PER_TYPE: u32 = 1000;
    /// OUs in the organization.
    pub const OUS: u32 = 1000;
}
