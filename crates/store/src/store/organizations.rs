//! The Organizations methods of [`Store`]: each one transaction over [`crate::sql::organizations`].
//! Refusals the client is told about come back as [`OrgFault`]s inside `Ok`, with nothing
//! written.

use super::Store;
use crate::error::Result;
#[allow(unused_imports)] // used by rustdoc links
use crate::org::OrgFault;
use crate::org::{
    AccountControls, CreateAccountStatus, NewMemberAccount, NewOrganization, OrgAccount, OrgPolicy,
    OrgPolicyUpdate, OrgResult, OrgUnit, Organization,
};
use crate::sql::{Backend, org_policies, organizations as org, tx_fn};

store_api! {
    /// The organization, if one was created.
    read fn organization() -> Option<Organization> = |tx| org::get(tx);

    read fn org_account(account_id: &str) -> Option<OrgAccount>
        = |tx| org::get_account(tx, &account_id);

    /// Every account of the organization, by join time.
    read fn org_accounts() -> Vec<OrgAccount> = |tx| org::list_accounts(tx);

    read fn create_account_status(request_id: &str) -> Option<CreateAccountStatus>
        = |tx| org::get_status(tx, &request_id);

    read fn create_account_statuses() -> Vec<CreateAccountStatus> = |tx| org::list_statuses(tx);

    read fn org_unit(ou_id: &str) -> Option<OrgUnit> = |tx| org::get_ou(tx, &ou_id);

    /// The parent of an OU or account (`None` for the root or an unknown id).
    read fn org_parent(child_id: &str) -> Option<String> = |tx| org::parent_of(tx, &child_id);

    read fn org_policy(policy_id: &str) -> Option<OrgPolicy>
        = |tx| org_policies::get_policy(tx, &policy_id);

    read fn org_policies(policy_type: &str) -> Vec<OrgPolicy>
        = |tx| org_policies::list_policies(tx, &policy_type);
}

impl Store {
    /// `OrganizationExists` when there is one already.
    pub async fn create_organization(&self, new: NewOrganization) -> OrgResult<Organization> {
        run!(self.write, [new], |tx| org::create(tx, &new))
    }

    /// Creates a member account (see [`NewMemberAccount`]); a request that cannot be
    /// satisfied is recorded and returned as `FAILED` with AWS's reason.
    pub async fn create_member_account(
        &self,
        new: NewMemberAccount,
    ) -> OrgResult<CreateAccountStatus> {
        run!(self.write, [new], |tx, q| org::create_account(tx, &q, &new))
    }

    /// `ParentNotFound`, `DuplicateOrganizationalUnit`, `Constraint(OU_DEPTH_LIMIT_EXCEEDED
    /// | OU_NUMBER_LIMIT_EXCEEDED)`.
    pub async fn create_org_unit(&self, parent_id: &str, ou: OrgUnit) -> OrgResult<OrgUnit> {
        run!(self.write, [parent_id, ou], |tx| org::create_ou(
            tx, &parent_id, &ou
        ))
    }

    pub async fn rename_org_unit(&self, ou_id: &str, name: &str) -> OrgResult<OrgUnit> {
        run!(self.write, [ou_id, name], |tx| org::rename_ou(
            tx, &ou_id, &name
        ))
    }

    pub async fn delete_org_unit(&self, ou_id: &str) -> OrgResult<()> {
        run!(self.write, [ou_id], |tx| org::delete_ou(tx, &ou_id))
    }

    /// The OUs and accounts directly under a root or OU.
    pub async fn org_children(
        &self,
        parent_id: &str,
    ) -> OrgResult<(Vec<OrgUnit>, Vec<OrgAccount>)> {
        run!(self.read, [parent_id], |tx| org::children(tx, &parent_id))
    }

    pub async fn move_org_account(
        &self,
        account_id: &str,
        source: &str,
        destination: &str,
    ) -> OrgResult<()> {
        run!(self.write, [account_id, source, destination], |tx| {
            org::move_account(tx, &account_id, &source, &destination)
        })
    }

    pub async fn create_org_policy(&self, policy: OrgPolicy) -> OrgResult<OrgPolicy> {
        run!(self.write, [policy], |tx| org_policies::create_policy(
            tx, &policy
        ))
    }

    pub async fn update_org_policy(
        &self,
        policy_id: &str,
        update: OrgPolicyUpdate,
    ) -> OrgResult<OrgPolicy> {
        run!(self.write, [policy_id, update], |tx| {
            org_policies::update_policy(tx, &policy_id, &update)
        })
    }

    pub async fn delete_org_policy(&self, policy_id: &str) -> OrgResult<()> {
        run!(self.write, [policy_id], |tx| org_policies::delete_policy(
            tx, &policy_id
        ))
    }

    pub async fn attach_org_policy(&self, policy_id: &str, target_id: &str) -> OrgResult<()> {
        run!(self.write, [policy_id, target_id], |tx| {
            org_policies::attach(tx, &policy_id, &target_id)
        })
    }

    pub async fn detach_org_policy(&self, policy_id: &str, target_id: &str) -> OrgResult<()> {
        run!(self.write, [policy_id, target_id], |tx| {
            org_policies::detach(tx, &policy_id, &target_id)
        })
    }

    pub async fn org_policies_for_target(
        &self,
        target_id: &str,
        policy_type: &str,
    ) -> OrgResult<Vec<OrgPolicy>> {
        run!(self.read, [target_id, policy_type], |tx| {
            org_policies::policies_for_target(tx, &target_id, &policy_type)
        })
    }

    /// The targets of a policy as (id, name).
    pub async fn org_policy_targets(&self, policy_id: &str) -> OrgResult<Vec<(String, String)>> {
        run!(self.read, [policy_id], |tx| {
            org_policies::targets_for_policy(tx, &policy_id)
        })
    }

    pub async fn enable_org_policy_type(
        &self,
        root_id: &str,
        policy_type: &str,
    ) -> OrgResult<Organization> {
        run!(self.write, [root_id, policy_type], |tx| {
            org_policies::enable_policy_type(tx, &root_id, &policy_type)
        })
    }

    pub async fn disable_org_policy_type(
        &self,
        root_id: &str,
        policy_type: &str,
    ) -> OrgResult<Organization> {
        run!(self.write, [root_id, policy_type], |tx| {
            org_policies::disable_policy_type(tx, &root_id, &policy_type)
        })
    }

    /// An account's place in the organization and the policies of `policy_type` at each
    /// level of its path; `None` when the account is in no organization.
    pub async fn account_controls(
        &self,
        account_id: &str,
        policy_type: &str,
    ) -> Result<Option<AccountControls>> {
        // Asked on every authorization: an account in no organization (every account of a
        // server without one) costs one statement, without a transaction around it.
        let member = run!(self.read_single, [account_id], |tx| org::is_member(
            tx,
            &account_id
        ))?;
        if !member {
            return Ok(None);
        }
        run!(self.read, [account_id, policy_type], |tx| {
            org::account_controls(tx, &account_id, &policy_type)
        })
    }
}
