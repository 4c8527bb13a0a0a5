//! Instance profiles: Create/Get/List/Delete, Add/RemoveRoleToInstanceProfile,
//! and ListInstanceProfilesForRole (tags: [`crate::tags`]).

use hourglass_store::{InstanceProfile, NewInstanceProfile, Page, PageRequest, StoreError};

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::ids::{IdKind, new_id};
use crate::principal::entity_arn;
use crate::tags::{Taggable, tags_of, to_tags};
use crate::{Caller, Identity, validate};

pub(crate) fn no_such_profile(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("Instance Profile {name} cannot be found."))
}

impl Identity {
    fn instance_profile_arn(&self, path: &str, name: &str) -> String {
        entity_arn(&self.account_id, "instance-profile", path, name)
    }

    /// The ARN a request about profile `name` is authorized against (the path-less one when
    /// it does not exist), and the profile.
    pub(crate) async fn instance_profile_resource(
        &self,
        name: &str,
    ) -> IamResult<(String, Option<InstanceProfile>)> {
        match self
            .store
            .get_instance_profile(&self.account_id, name)
            .await
        {
            Ok(p) => Ok((p.arn.clone(), Some(p))),
            Err(StoreError::NotFound { .. }) => Ok((self.instance_profile_arn("/", name), None)),
            Err(e) => Err(e.into()),
        }
    }

    /// Authorizes `action` on the profile's ARN, with the profile's tags, then returns the
    /// profile or NoSuchEntity.
    async fn authorized_profile(
        &self,
        caller: &Caller,
        name: &str,
        access: impl FnOnce(&str) -> Access,
    ) -> IamResult<InstanceProfile> {
        validate::name(name, "InstanceProfileName", 128)?;
        let (arn, found) = self.instance_profile_resource(name).await?;
        let tags = tags_of(found.as_ref());
        self.authorize(
            caller,
            &access(&arn).with_resource_tags(Taggable::InstanceProfile, tags),
        )
        .await?;
        found.ok_or_else(|| no_such_profile(name))
    }

    pub async fn create_instance_profile(
        &self,
        caller: &Caller,
        name: &str,
        path: Option<&str>,
        tags: &[(String, String)],
    ) -> IamResult<InstanceProfile> {
        validate::name(name, "InstanceProfileName", 128)?;
        let path = path.unwrap_or("/");
        validate::path(path, "Path")?;
        validate::tags_with_quota(tags, "TagsPerInstanceProfile")?;
        let arn = self.instance_profile_arn(path, name);
        self.authorize(
            caller,
            &Access::new("iam:CreateInstanceProfile", &arn).with_request_tags(tags),
        )
        .await?;
        self.authorize_create_tags(caller, Taggable::InstanceProfile, &arn, tags)
            .await?;
        let profile = NewInstanceProfile {
            account_id: self.account_id.clone(),
            profile_id: new_id(IdKind::InstanceProfile),
            name: name.to_owned(),
            path: path.to_owned(),
            arn,
            create_date: self.clock.now(),
            tags: to_tags(tags),
        };
        Ok(self.store.create_instance_profile(profile).await?)
    }

    pub async fn get_instance_profile(
        &self,
        caller: &Caller,
        name: &str,
    ) -> IamResult<InstanceProfile> {
        self.authorized_profile(caller, name, |arn| {
            Access::new("iam:GetInstanceProfile", arn)
        })
        .await
    }

    pub async fn list_instance_profiles(
        &self,
        caller: &Caller,
        path_prefix: Option<&str>,
        page: PageRequest,
    ) -> IamResult<Page<InstanceProfile>> {
        self.authorize_path_listing(
            caller,
            "iam:ListInstanceProfiles",
            "instance-profile/*",
            path_prefix,
        )
        .await?;
        Ok(self
            .store
            .list_instance_profiles(&self.account_id, path_prefix, None, &page)
            .await?)
    }

    pub async fn list_instance_profiles_for_role(
        &self,
        caller: &Caller,
        role: &str,
        page: PageRequest,
    ) -> IamResult<Page<InstanceProfile>> {
        validate::name(role, "RoleName", 64)?;
        self.authorized_role(caller, role, |arn| {
            Access::new("iam:ListInstanceProfilesForRole", arn)
        })
        .await?;
        Ok(self
            .store
            .list_instance_profiles(&self.account_id, None, Some(role), &page)
            .await?)
    }

    pub async fn delete_instance_profile(&self, caller: &Caller, name: &str) -> IamResult<()> {
        self.authorized_profile(caller, name, |arn| {
            Access::new("iam:DeleteInstanceProfile", arn)
        })
        .await?;
        Ok(self
            .store
            .delete_instance_profile(&self.account_id, name)
            .await?)
    }

    /// AddRoleToInstanceProfile (`add`) or RemoveRoleFromInstanceProfile. Adding also needs
    /// `iam:PassRole` on the role, as on AWS: whoever can launch with the profile acts as the
    /// role. PassRole's resource is the role, so it carries the role's tags, and a policy can
    /// limit which roles may be passed by their tags.
    pub async fn instance_profile_role(
        &self,
        caller: &Caller,
        profile: &str,
        role: &str,
        add: bool,
    ) -> IamResult<()> {
        validate::name(role, "RoleName", 64)?;
        let action = if add {
            "iam:AddRoleToInstanceProfile"
        } else {
            "iam:RemoveRoleFromInstanceProfile"
        };
        self.authorized_profile(caller, profile, |arn| Access::new(action, arn))
            .await?;
        if add {
            self.authorized_role(caller, role, |arn| Access::new("iam:PassRole", arn))
                .await?;
        } else if self.role_resource(role).await?.1.is_none() {
            return Err(crate::roles::no_such_role(role));
        }
        if add {
            self.store
                .add_role_to_instance_profile(&self.account_id, profile, role)
                .await?;
        } else {
            self.store
                .remove_role_from_instance_profile(&self.account_id, profile, role)
                .await?;
        }
        Ok(())
    }
}
