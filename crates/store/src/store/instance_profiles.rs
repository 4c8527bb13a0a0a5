//! The instance-profile methods of [`Store`].

use super::Store;
use crate::error::Result;
#[allow(unused_imports)] // used by rustdoc links
use crate::error::{DeleteConflict, Quota, ResourceKind, StoreError};
use crate::model::{Page, PageRequest};
use crate::records::{InstanceProfile, NewInstanceProfile};
use crate::sql::{Backend, instance_profiles, tx_fn};

store_api! {
    /// `NotFound(Account)`; `AlreadyExists(InstanceProfile)` for a name taken in any case;
    /// `LimitExceeded(InstanceProfilesPerAccount | TagsPerInstanceProfile)`.
    write fn create_instance_profile(profile: NewInstanceProfile) -> InstanceProfile
        = |tx, q| instance_profiles::create(tx, &q, &profile);

    /// Case-insensitive lookup, with its role and tags. `NotFound(InstanceProfile)`.
    read fn get_instance_profile(account_id: &str, name: &str) -> InstanceProfile
        = |tx| instance_profiles::get(tx, &account_id, &name);

    /// `NotFound(InstanceProfile)`; `DeleteConflict(InstanceProfileRoles)` while it holds a
    /// role.
    write fn delete_instance_profile(account_id: &str, name: &str) -> ()
        = |tx| instance_profiles::delete(tx, &account_id, &name);

    /// `NotFound(InstanceProfile | Role)`; `LimitExceeded(InstanceSessionsPerInstanceProfile)`
    /// when the profile already holds a role.
    write fn add_role_to_instance_profile(account_id: &str, profile: &str, role: &str) -> ()
        = |tx| instance_profiles::add_role(tx, &account_id, &profile, &role);

    /// `NotFound(InstanceProfile | Role | ProfileRole)`.
    write fn remove_role_from_instance_profile(account_id: &str, profile: &str, role: &str) -> ()
        = |tx| instance_profiles::remove_role(tx, &account_id, &profile, &role);

    /// Instance profiles of the account (GetAccountSummary).
    read fn count_instance_profiles(account_id: &str) -> u32
        = |tx| instance_profiles::count(tx, &account_id);
}

impl Store {
    /// Profiles whose path starts with `path_prefix`, or (`role`) that hold the role, by
    /// lowercase name. `NotFound(Role)` for an unknown role; `InvalidInput` for a bad marker.
    pub async fn list_instance_profiles(
        &self,
        account_id: &str,
        path_prefix: Option<&str>,
        role: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<InstanceProfile>> {
        let path_prefix = path_prefix.map(str::to_owned);
        let role = role.map(str::to_owned);
        run!(self.read, [account_id, path_prefix, role, page], |tx| {
            instance_profiles::list(
                tx,
                &account_id,
                path_prefix.as_deref(),
                role.as_deref(),
                &page,
            )
        })
    }
}
