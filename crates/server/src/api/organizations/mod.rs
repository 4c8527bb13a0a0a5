//! AWS Organizations (2016-11-28, JSON 1.1): one organization per server, called by its
//! management account (spec 2 §2). Member accounts may only describe the organization.
//!
//! Every handler authorizes its IAM action through the one authorizer first (which also
//! applies the caller's SCPs), then checks that the caller's account may use the operation,
//! then validates its input, as AWS orders these checks.

mod accounts;
mod errors;
mod input;
mod policies;
mod shapes;
mod units;

use hourglass_wire::json::JsonVersion;

use crate::json::{ServiceSpec, json_operations};

json_operations! {
    /// AWS Organizations.
    pub enum OrganizationsOperation, pub static ORGANIZATIONS: OrganizationsApi = ServiceSpec {
        target_prefixes: &["AWSOrganizationsV20161128"],
        signing_name: "organizations",
        version: JsonVersion::V1_1,
    }, "organizations" {
        CreateOrganization => accounts::create_organization;
        DescribeOrganization => accounts::describe_organization;
        CreateAccount => accounts::create_account;
        DescribeCreateAccountStatus => accounts::describe_create_account_status;
        ListCreateAccountStatus => accounts::list_create_account_status;
        ListAccounts => accounts::list_accounts;
        DescribeAccount => accounts::describe_account;
        ListRoots => units::list_roots;
        CreateOrganizationalUnit => units::create_organizational_unit;
        DescribeOrganizationalUnit => units::describe_organizational_unit;
        UpdateOrganizationalUnit => units::update_organizational_unit;
        DeleteOrganizationalUnit => units::delete_organizational_unit;
        ListOrganizationalUnitsForParent => units::list_organizational_units_for_parent;
        ListAccountsForParent => units::list_accounts_for_parent;
        ListChildren => units::list_children;
        ListParents => units::list_parents;
        MoveAccount => units::move_account;
        CreatePolicy => policies::create_policy;
        DescribePolicy => policies::describe_policy;
        UpdatePolicy => policies::update_policy;
        DeletePolicy => policies::delete_policy;
        ListPolicies => policies::list_policies;
        AttachPolicy => policies::attach_policy;
        DetachPolicy => policies::detach_policy;
        ListPoliciesForTarget => policies::list_policies_for_target;
        ListTargetsForPolicy => policies::list_targets_for_policy;
        EnablePolicyType => policies::enable_policy_type;
        DisablePolicyType => policies::disable_policy_type;
    }
}
