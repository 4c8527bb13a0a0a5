//! Organization controls on a caller (spec 2 §2.10): the service control policies binding
//! the principals of a member account, level by level along the account's path (root, each
//! OU, the account), and the organization condition keys (`aws:PrincipalOrgID`,
//! `aws:PrincipalOrgPaths`, `aws:ResourceOrgID`, `aws:ResourceOrgPaths`).
//!
//! Principals of the management account are never bound by SCPs, nor are principals of an
//! account outside any organization.

use hourglass_policy::{AttachedPolicy, PolicyKind};
use hourglass_store::org::{AccountControls, OrgPolicy};

use crate::Identity;
use crate::error::{IamError, IamResult};

pub const SERVICE_CONTROL_POLICY: &str = "SERVICE_CONTROL_POLICY";

/// What the organization adds to one caller's decisions.
#[derive(Default)]
pub(crate) struct OrgControls {
    /// One entry per level; empty when SCPs do not apply.
    pub scp: Vec<Vec<AttachedPolicy>>,
    /// `aws:PrincipalOrgID` and `aws:PrincipalOrgPaths`.
    pub keys: Vec<(String, Vec<String>)>,
}

/// The ARN of an organization policy, as AccessDenied messages name it.
pub fn org_policy_arn(management: &str, org_id: &str, policy: &OrgPolicy) -> String {
    let kind = policy.policy_type.to_ascii_lowercase();
    if policy.aws_managed {
        format!(
            "arn:aws:organizations::aws:policy/{kind}/{}",
            policy.policy_id
        )
    } else {
        format!(
            "arn:aws:organizations::{management}:policy/{org_id}/{kind}/{}",
            policy.policy_id
        )
    }
}

/// `o-…/r-…/ou-…/`: the organization path of an account, without the account itself.
pub fn org_path(controls: &AccountControls) -> String {
    let mut path = format!("{}/", controls.org_id);
    let parents = controls.path.len().saturating_sub(1);
    for id in controls.path.iter().take(parents) {
        path.push_str(id);
        path.push('/');
    }
    path
}

/// Everything the organization says about one account, compiled once per change of the
/// store's counter (organization writes are counted): SCP levels, the principal keys and the
/// resource keys. An account in no organization has all three empty.
#[derive(Default)]
pub(crate) struct AccountOrg {
    controls: OrgControls,
    resource_keys: Vec<(String, Vec<String>)>,
}

impl Identity {
    /// The SCPs and organization keys of principals of `account_id`.
    pub(crate) async fn org_controls(&self, account_id: &str) -> IamResult<OrgControls> {
        let org = self.account_org(account_id).await?;
        Ok(OrgControls {
            scp: org.controls.scp.clone(),
            keys: org.controls.keys.clone(),
        })
    }

    /// `aws:ResourceOrgID` / `aws:ResourceOrgPaths` for a resource owned by `account_id`
    /// (nothing when that account is in no organization).
    pub(crate) async fn resource_org_keys(
        &self,
        account_id: &str,
    ) -> IamResult<Vec<(String, Vec<String>)>> {
        Ok(self.account_org(account_id).await?.resource_keys.clone())
    }

    /// Read from the snapshot; compiled from the store on a miss.
    async fn account_org(&self, account_id: &str) -> IamResult<std::sync::Arc<AccountOrg>> {
        self.snapshot_account_org(account_id, || self.load_account_org(account_id))
            .await
    }

    async fn load_account_org(&self, account_id: &str) -> IamResult<AccountOrg> {
        let Some(controls) = self
            .store
            .account_controls(account_id, SERVICE_CONTROL_POLICY)
            .await?
        else {
            return Ok(AccountOrg::default());
        };
        let path = org_path(&controls);
        let keys = vec![
            (
                "aws:PrincipalOrgID".to_owned(),
                vec![controls.org_id.clone()],
            ),
            ("aws:PrincipalOrgPaths".to_owned(), vec![path.clone()]),
        ];
        let resource_keys = vec![
            (
                "aws:ResourceOrgID".to_owned(),
                vec![controls.org_id.clone()],
            ),
            ("aws:ResourceOrgPaths".to_owned(), vec![path]),
        ];
        let mut scp = Vec::new();
        if controls.enabled && controls.management_account_id != account_id {
            scp.reserve(controls.levels.len());
            for level in &controls.levels {
                let mut compiled = Vec::with_capacity(level.len());
                for p in level {
                    let policy = self
                        .policies
                        .get_or_compile(&p.content, PolicyKind::Scp)
                        .map_err(|e| {
                            IamError::Internal(format!(
                                "stored SCP {} does not compile: {e}",
                                p.policy_id
                            ))
                        })?;
                    let arn = org_policy_arn(&controls.management_account_id, &controls.org_id, p);
                    compiled.push(AttachedPolicy::new(arn, policy));
                }
                scp.push(compiled);
            }
        }
        Ok(AccountOrg {
            controls: OrgControls { scp, keys },
            resource_keys,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn controls(path: &[&str]) -> AccountControls {
        AccountControls {
            org_id: "o-abcdefghij".into(),
            management_account_id: "111111111111".into(),
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            enabled: true,
            levels: Vec::new(),
        }
    }

    #[test]
    fn org_paths_end_at_the_accounts_parent() {
        assert_eq!(
            org_path(&controls(&["r-ab12", "222222222222"])),
            "o-abcdefghij/r-ab12/"
        );
        assert_eq!(
            org_path(&controls(&["r-ab12", "ou-ab12-aaaaaaaa", "222222222222"])),
            "o-abcdefghij/r-ab12/ou-ab12-aaaaaaaa/"
        );
    }

    #[test]
    fn policy_arns_follow_aws() {
        let mut p = OrgPolicy {
            policy_id: "p-FullAWSAccess".into(),
            policy_type: SERVICE_CONTROL_POLICY.into(),
            name: "FullAWSAccess".into(),
            description: String::new(),
            content: String::new(),
            aws_managed: true,
        };
        assert_eq!(
            org_policy_arn("111111111111", "o-abcdefghij", &p),
            "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
        );
        p.aws_managed = false;
        p.policy_id = "p-abcd1234".into();
        assert_eq!(
            org_policy_arn("111111111111", "o-abcdefghij", &p),
            "arn:aws:organizations::111111111111:policy/o-abcdefghij/service_control_policy/p-abcd1234"
        );
    }
}
