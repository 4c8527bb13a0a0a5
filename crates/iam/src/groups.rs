//! IAM groups: CreateGroup, GetGroup (with its members), ListGroups, ListGroupsForUser,
//! AddUserToGroup, RemoveUserFromGroup, UpdateGroup, DeleteGroup. Groups are not
//! principals: their policies apply to member users only.

use hourglass_store::{Group, NewGroup, Page, PageRequest, StoreError, User};

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::ids::{IdKind, new_id};
use crate::principal::entity_arn;
use crate::{Caller, Identity, validate};

fn group_not_found(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The group with name {name} cannot be found."))
}

impl Identity {
    pub(crate) fn group_arn(&self, path: &str, name: &str) -> String {
        entity_arn(&self.account_id, "group", path, name)
    }

    /// The ARN a request about group `name` is authorized against (path-less when missing).
    pub(crate) async fn group_resource(&self, name: &str) -> IamResult<(String, Option<Group>)> {
        match self.store.get_group(&self.account_id, name).await {
            Ok(g) => Ok((g.arn.clone(), Some(g))),
            Err(StoreError::NotFound { .. }) => Ok((self.group_arn("/", name), None)),
            Err(e) => Err(e.into()),
        }
    }

    async fn authorized_group(
        &self,
        caller: &Caller,
        action: &str,
        name: &str,
    ) -> IamResult<Group> {
        validate::name(name, "GroupName", 128)?;
        let (arn, group) = self.group_resource(name).await?;
        self.authorize(caller, &Access::new(action, &arn)).await?;
        group.ok_or_else(|| group_not_found(name))
    }

    pub async fn create_group(
        &self,
        caller: &Caller,
        name: &str,
        path: Option<&str>,
    ) -> IamResult<Group> {
        let path = path.unwrap_or("/");
        validate::all([
            validate::path(path, "Path"),
            validate::name(name, "GroupName", 128),
        ])?;
        let arn = self.group_arn(path, name);
        self.authorize(caller, &Access::new("iam:CreateGroup", &arn))
            .await?;
        let group = NewGroup {
            account_id: self.account_id.clone(),
            group_id: new_id(IdKind::Group),
            name: name.to_owned(),
            path: path.to_owned(),
            arn,
            create_date: self.clock.now(),
        };
        Ok(self.store.create_group(group).await?)
    }

    /// GetGroup: the group and one page of its members.
    pub async fn get_group(
        &self,
        caller: &Caller,
        name: &str,
        page: PageRequest,
    ) -> IamResult<(Group, Page<User>)> {
        let group = self.authorized_group(caller, "iam:GetGroup", name).await?;
        let members = self
            .store
            .list_group_members(&self.account_id, name, &page)
            .await?;
        Ok((group, members))
    }

    pub async fn list_groups(
        &self,
        caller: &Caller,
        path_prefix: Option<&str>,
        page: PageRequest,
    ) -> IamResult<Page<Group>> {
        self.authorize_path_listing(caller, "iam:ListGroups", "group/*", path_prefix)
            .await?;
        Ok(self
            .store
            .list_groups(&self.account_id, path_prefix, &page)
            .await?)
    }

    pub async fn list_groups_for_user(
        &self,
        caller: &Caller,
        user: &str,
        page: PageRequest,
    ) -> IamResult<Page<Group>> {
        validate::name(user, "UserName", 128)?;
        self.authorized_user(caller, "iam:ListGroupsForUser", user)
            .await?;
        Ok(self
            .store
            .list_groups_for_user(&self.account_id, user, &page)
            .await?)
    }

    /// AddUserToGroup / RemoveUserFromGroup: authorized against the group (spec §4.7).
    pub async fn set_group_membership(
        &self,
        caller: &Caller,
        group: &str,
        user: &str,
        member: bool,
    ) -> IamResult<()> {
        validate::name(user, "UserName", 128)?;
        let action = if member {
            "iam:AddUserToGroup"
        } else {
            "iam:RemoveUserFromGroup"
        };
        self.authorized_group(caller, action, group).await?;
        if member {
            self.store
                .add_user_to_group(&self.account_id, group, user)
                .await?;
        } else {
            self.store
                .remove_user_from_group(&self.account_id, group, user)
                .await?;
        }
        Ok(())
    }

    /// UpdateGroup: rename and/or move. Either gives the group a new ARN, which needs
    /// permission too (a policy scoped to `group/admins/*` must not be joinable by moving).
    pub async fn update_group(
        &self,
        caller: &Caller,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> IamResult<Group> {
        if let Some(n) = new_name {
            validate::name(n, "NewGroupName", 128)?;
        }
        if let Some(p) = new_path {
            validate::path(p, "NewPath")?;
        }
        let current = self
            .authorized_group(caller, "iam:UpdateGroup", name)
            .await?;
        let update = self
            .authorize_rename(
                caller,
                "group",
                (&current.name, &current.path, &current.arn),
                new_name,
                new_path,
                |arn| Access::new("iam:UpdateGroup", arn),
            )
            .await?;
        Ok(self
            .store
            .update_group(&self.account_id, name, update)
            .await?)
    }

    pub async fn delete_group(&self, caller: &Caller, name: &str) -> IamResult<()> {
        self.authorized_group(caller, "iam:DeleteGroup", name)
            .await?;
        Ok(self.store.delete_group(&self.account_id, name).await?)
    }
}
