//! Account-wide views: GetAccountSummary and GetAccountAuthorizationDetails.

use std::future::Future;

use hourglass_store::{
    AttachedPolicy, EntityRef, Group, InlinePolicy, ManagedPolicy, Page, PageRequest, PolicyFilter,
    PolicyScope, PolicyVersion, Quotas, Role, StoreError, User,
};

use crate::authz::Access;
use crate::error::IamResult;
use crate::policy_versions::slice_page;
use crate::{Caller, Identity, validate};

/// A user with everything GetAccountAuthorizationDetails reports about it.
#[derive(Debug, Clone)]
pub struct UserDetail {
    pub user: User,
    pub inline: Vec<InlinePolicy>,
    pub groups: Vec<String>,
    pub attached: Vec<AttachedPolicy>,
}

#[derive(Debug, Clone)]
pub struct GroupDetail {
    pub group: Group,
    pub inline: Vec<InlinePolicy>,
    pub attached: Vec<AttachedPolicy>,
}

#[derive(Debug, Clone)]
pub struct RoleDetail {
    pub role: Role,
    pub instance_profiles: Vec<hourglass_store::InstanceProfile>,
    pub inline: Vec<InlinePolicy>,
    pub attached: Vec<AttachedPolicy>,
}

#[derive(Debug, Clone)]
pub struct PolicyDetail {
    pub policy: ManagedPolicy,
    /// All versions, newest first.
    pub versions: Vec<PolicyVersion>,
}

/// One page of GetAccountAuthorizationDetails.
#[derive(Debug, Clone, Default)]
pub struct AuthorizationDetails {
    pub users: Vec<UserDetail>,
    pub groups: Vec<GroupDetail>,
    pub roles: Vec<RoleDetail>,
    pub policies: Vec<PolicyDetail>,
    pub next_marker: Option<String>,
}

/// The entities of the account in response order, before their details are loaded.
enum Item {
    User(User),
    Group(Group),
    Role(Role),
    Policy(ManagedPolicy),
}

/// Reads every page of a listing.
pub(crate) async fn drain<T, F, Fut>(mut next: F) -> Result<Vec<T>, StoreError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, StoreError>>,
{
    let mut out = Vec::new();
    let mut request = PageRequest::first(1000);
    loop {
        let page = next(request.clone()).await?;
        out.extend(page.items);
        match page.next_marker {
            Some(m) => request.marker = Some(m),
            None => return Ok(out),
        }
    }
}

const FILTERS: &[&str] = &[
    "User",
    "Role",
    "Group",
    "LocalManagedPolicy",
    "AWSManagedPolicy",
];

impl Identity {
    /// GetAccountSummary's `SummaryMap`: live counts from the store and AWS's default quotas.
    pub async fn account_summary(&self, caller: &Caller) -> IamResult<Vec<(&'static str, u64)>> {
        self.authorize(caller, &Access::new("iam:GetAccountSummary", "*"))
            .await?;
        let s = self.store.account_summary(&self.account_id).await?;
        let instance_profiles = self.store.count_instance_profiles(&self.account_id).await?;
        let (mfa_devices, mfa_in_use) = self.store.mfa_device_counts(&self.account_id).await?;
        let server_certificates = self
            .store
            .server_certificate_count(&self.account_id)
            .await?;
        let q = Quotas::default();
        let limits = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        use hourglass_policy::limits as pl;
        Ok(vec![
            ("Users", u64::from(s.users)),
            ("UsersQuota", u64::from(q.users_per_account)),
            ("Groups", u64::from(s.groups)),
            ("GroupsQuota", u64::from(q.groups_per_account)),
            ("Roles", u64::from(s.roles)),
            ("RolesQuota", u64::from(q.roles_per_account)),
            ("Policies", u64::from(s.policies)),
            ("PoliciesQuota", u64::from(q.policies_per_account)),
            ("PolicySizeQuota", limits(pl::MANAGED_POLICY)),
            ("PolicyVersionsInUse", u64::from(s.policy_versions_in_use)),
            ("PolicyVersionsInUseQuota", 10000),
            ("VersionsPerPolicyQuota", u64::from(q.versions_per_policy)),
            ("AccessKeysPerUserQuota", u64::from(q.access_keys_per_user)),
            (
                "AttachedPoliciesPerUserQuota",
                u64::from(q.policies_per_user),
            ),
            (
                "AttachedPoliciesPerRoleQuota",
                u64::from(q.policies_per_role),
            ),
            (
                "AttachedPoliciesPerGroupQuota",
                u64::from(q.policies_per_group),
            ),
            ("UserPolicySizeQuota", limits(pl::INLINE_USER_AGGREGATE)),
            ("GroupPolicySizeQuota", limits(pl::INLINE_GROUP_AGGREGATE)),
            ("RolePolicySizeQuota", limits(pl::INLINE_ROLE_AGGREGATE)),
            ("AssumeRolePolicySizeQuota", limits(pl::TRUST_POLICY)),
            ("GroupsPerUserQuota", u64::from(q.groups_per_user)),
            ("MFADevices", u64::from(mfa_devices)),
            ("MFADevicesInUse", u64::from(mfa_in_use)),
            ("AccountMFAEnabled", 0),
            (
                "AccountAccessKeysPresent",
                u64::from(s.root_access_keys > 0),
            ),
            ("AccountPasswordPresent", 0),
            ("AccountSigningCertificatesPresent", 0),
            ("SigningCertificatesPerUserQuota", 2),
            ("InstanceProfiles", u64::from(instance_profiles)),
            ("InstanceProfilesQuota", 1000),
            ("Providers", 0),
            ("ServerCertificates", u64::from(server_certificates)),
            ("ServerCertificatesQuota", 20),
            ("GlobalEndpointTokenVersion", 1),
        ])
    }

    /// GetAccountAuthorizationDetails. Items come in AWS's order (users, groups, roles,
    /// policies); the marker is an offset into that sequence. Customer policies are all
    /// listed; AWS-managed ones only when attached in this account, as AWS does (listing
    /// every AWS policy would drown the answer).
    pub async fn account_authorization_details(
        &self,
        caller: &Caller,
        filter: &[&str],
        page: PageRequest,
    ) -> IamResult<AuthorizationDetails> {
        for f in filter {
            validate::one_of(f, "Filter", FILTERS)?;
        }
        self.authorize(
            caller,
            &Access::new("iam:GetAccountAuthorizationDetails", "*"),
        )
        .await?;
        let wants = |f: &str| filter.is_empty() || filter.contains(&f);
        let acct = self.account_id.clone();
        let mut items: Vec<Item> = Vec::new();
        if wants("User") {
            let users = drain(|p| {
                let (store, acct) = (self.store.clone(), acct.clone());
                async move { store.list_users(&acct, None, &p).await }
            })
            .await?;
            items.extend(users.into_iter().map(Item::User));
        }
        if wants("Group") {
            let groups = drain(|p| {
                let (store, acct) = (self.store.clone(), acct.clone());
                async move { store.list_groups(&acct, None, &p).await }
            })
            .await?;
            items.extend(groups.into_iter().map(Item::Group));
        }
        if wants("Role") {
            let roles = drain(|p| {
                let (store, acct) = (self.store.clone(), acct.clone());
                async move { store.list_roles(&acct, None, &p).await }
            })
            .await?;
            items.extend(roles.into_iter().map(Item::Role));
        }
        let scopes = [
            ("LocalManagedPolicy", PolicyScope::Local, false),
            ("AWSManagedPolicy", PolicyScope::Aws, true),
        ];
        for (name, scope, only_attached) in scopes {
            if !wants(name) {
                continue;
            }
            let policy_filter = PolicyFilter {
                scope,
                only_attached,
                ..Default::default()
            };
            let policies = drain(|p| {
                let (store, acct, f) = (self.store.clone(), acct.clone(), policy_filter.clone());
                async move { store.list_policies(&acct, &f, &p).await }
            })
            .await?;
            items.extend(policies.into_iter().map(Item::Policy));
        }
        let slice = slice_page(items, &page);
        let mut out = AuthorizationDetails {
            next_marker: slice.next_marker,
            ..Default::default()
        };
        for item in slice.items {
            match item {
                Item::User(user) => {
                    let entity = EntityRef::User(user.name.clone());
                    let groups = drain(|p| {
                        let (store, acct, name) =
                            (self.store.clone(), acct.clone(), user.name.clone());
                        async move { store.list_groups_for_user(&acct, &name, &p).await }
                    })
                    .await?;
                    out.users.push(UserDetail {
                        inline: self.inline_documents(&entity).await?,
                        attached: self.attached_all(&entity).await?,
                        groups: groups.into_iter().map(|g| g.name).collect(),
                        user,
                    });
                }
                Item::Group(group) => {
                    let entity = EntityRef::Group(group.name.clone());
                    out.groups.push(GroupDetail {
                        inline: self.inline_documents(&entity).await?,
                        attached: self.attached_all(&entity).await?,
                        group,
                    });
                }
                Item::Role(role) => {
                    let entity = EntityRef::Role(role.name.clone());
                    let instance_profiles = drain(|p| {
                        let (store, acct, name) =
                            (self.store.clone(), acct.clone(), role.name.clone());
                        async move {
                            store
                                .list_instance_profiles(&acct, None, Some(&name), &p)
                                .await
                        }
                    })
                    .await?;
                    out.roles.push(RoleDetail {
                        instance_profiles,
                        inline: self.inline_documents(&entity).await?,
                        attached: self.attached_all(&entity).await?,
                        role,
                    });
                }
                Item::Policy(policy) => {
                    let versions = self
                        .store
                        .list_policy_versions(&self.account_id, &policy.arn)
                        .await?;
                    out.policies.push(PolicyDetail { policy, versions });
                }
            }
        }
        Ok(out)
    }

    async fn inline_documents(&self, entity: &EntityRef) -> IamResult<Vec<InlinePolicy>> {
        let acct = self.account_id.clone();
        let names = drain(|p| {
            let (store, acct, entity) = (self.store.clone(), acct.clone(), entity.clone());
            async move { store.list_inline_policies(&acct, &entity, &p).await }
        })
        .await?;
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            out.push(
                self.store
                    .get_inline_policy(&self.account_id, entity, &name)
                    .await?,
            );
        }
        Ok(out)
    }

    async fn attached_all(&self, entity: &EntityRef) -> IamResult<Vec<AttachedPolicy>> {
        let acct = self.account_id.clone();
        Ok(drain(|p| {
            let (store, acct, entity) = (self.store.clone(), acct.clone(), entity.clone());
            async move { store.list_attached_policies(&acct, &entity, None, &p).await }
        })
        .await?)
    }
}
