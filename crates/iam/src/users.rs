//! IAM users: CreateUser, GetUser, ListUsers, UpdateUser and DeleteUser (tags: [`crate::tags`]).

use hourglass_store::{NewUser, Page, PageRequest, User};

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::ids::{IdKind, new_id};
use crate::principal::{Caller, Principal, entity_arn};
use crate::tags::{Taggable, tags_of, to_tags};
use crate::{Identity, validate};

/// CreateUser input.
#[derive(Debug, Clone, Default)]
pub struct CreateUser {
    pub name: String,
    pub path: Option<String>,
    pub permissions_boundary: Option<String>,
    pub tags: Vec<(String, String)>,
}

/// What GetUser returns: a user, or the root identity when root asks about itself.
#[derive(Debug, Clone)]
pub enum UserView {
    User(User),
    Root {
        account_id: String,
        arn: String,
        create_date: chrono::DateTime<chrono::Utc>,
    },
}

impl Identity {
    pub(crate) fn user_arn(&self, path: &str, name: &str) -> String {
        entity_arn(&self.account_id, "user", path, name)
    }

    /// The ARN a request about user `name` is authorized against: the user's real ARN (with
    /// its path) when it exists, else the path-less ARN AWS reports for missing users.
    pub(crate) async fn user_resource(&self, name: &str) -> IamResult<(String, Option<User>)> {
        match self.snapshot_user(&self.account_id, name).await {
            Ok(u) => Ok((u.arn.clone(), Some(u))),
            Err(hourglass_store::StoreError::NotFound { .. }) => {
                Ok((self.user_arn("/", name), None))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The user an operation about `name` acts on. Authorization comes first, against the
    /// path-less ARN when the user is missing, so a caller without the permission cannot
    /// learn whether the user exists.
    pub(crate) async fn authorized_user(
        &self,
        caller: &Caller,
        action: &str,
        name: &str,
    ) -> IamResult<User> {
        let (arn, user) = self.user_resource(name).await?;
        let tags = tags_of(user.as_ref());
        self.authorize(
            caller,
            &Access::new(action, &arn).with_resource_tags(Taggable::User, tags),
        )
        .await?;
        user.ok_or_else(|| no_such_user(name))
    }

    pub async fn create_user(&self, caller: &Caller, input: CreateUser) -> IamResult<User> {
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        validate::all([
            validate::path(&path, "Path"),
            validate::name(&input.name, "UserName", 64),
            input.permissions_boundary.as_deref().map_or(Ok(()), |b| {
                validate::length(b, "PermissionsBoundary", 20, 2048)
            }),
        ])?;
        validate::tags(&input.tags)?;
        let arn = self.user_arn(&path, &input.name);
        let mut access = Access::new("iam:CreateUser", &arn).with_request_tags(&input.tags);
        if let Some(b) = &input.permissions_boundary {
            access = access.with("iam:PermissionsBoundary", b);
        }
        self.authorize(caller, &access).await?;
        self.authorize_create_tags(caller, Taggable::User, &arn, &input.tags)
            .await?;
        if let Some(b) = &input.permissions_boundary {
            crate::aws_managed::check_attachable(b)?;
            self.ensure_aws_managed_policy(b).await?;
        }
        let user = NewUser {
            account_id: self.account_id.clone(),
            user_id: new_id(IdKind::User),
            name: input.name,
            path,
            arn,
            create_date: self.clock.now(),
            permissions_boundary: input.permissions_boundary,
            tags: to_tags(&input.tags),
        };
        Ok(self.store.create_user(user).await?)
    }

    pub async fn get_user(&self, caller: &Caller, name: Option<&str>) -> IamResult<UserView> {
        match name {
            Some(name) => {
                validate::name(name, "UserName", 128)?;
                let user = self.authorized_user(caller, "iam:GetUser", name).await?;
                Ok(UserView::User(user))
            }
            None => match &caller.principal {
                Principal::Root { account_id } => {
                    let account = self.store.get_account(account_id).await?;
                    Ok(UserView::Root {
                        account_id: account_id.clone(),
                        arn: caller.arn(),
                        create_date: account.create_date,
                    })
                }
                Principal::AssumedRole(_) | Principal::FederatedUser(_) => {
                    Err(IamError::Validation(
                        "Must specify userName when calling with non-User credentials".into(),
                    ))
                }
                Principal::User(u) => {
                    self.authorize(
                        caller,
                        &Access::new("iam:GetUser", &u.arn)
                            .with_resource_tags(Taggable::User, &u.tags),
                    )
                    .await?;
                    Ok(UserView::User(
                        self.snapshot_user_by_id(&self.account_id, &u.user_id)
                            .await?,
                    ))
                }
            },
        }
    }

    pub async fn list_users(
        &self,
        caller: &Caller,
        path_prefix: Option<&str>,
        page: PageRequest,
    ) -> IamResult<Page<User>> {
        self.authorize_path_listing(caller, "iam:ListUsers", "user/", path_prefix)
            .await?;
        Ok(self
            .store
            .list_users(&self.account_id, path_prefix, &page)
            .await?)
    }

    pub async fn update_user(
        &self,
        caller: &Caller,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> IamResult<User> {
        validate::name(name, "UserName", 128)?;
        if let Some(n) = new_name {
            validate::name(n, "NewUserName", 64)?;
        }
        if let Some(p) = new_path {
            validate::path(p, "NewPath")?;
        }
        let current = self.authorized_user(caller, "iam:UpdateUser", name).await?;
        let update = self
            .authorize_rename(
                caller,
                "user",
                (&current.name, &current.path, &current.arn),
                new_name,
                new_path,
                |arn| {
                    Access::new("iam:UpdateUser", arn)
                        .with_resource_tags(Taggable::User, &current.tags)
                },
            )
            .await?;
        Ok(self
            .store
            .update_user(&self.account_id, name, update)
            .await?)
    }

    pub async fn delete_user(&self, caller: &Caller, name: &str) -> IamResult<()> {
        validate::name(name, "UserName", 128)?;
        self.authorized_user(caller, "iam:DeleteUser", name).await?;
        Ok(self.store.delete_user(&self.account_id, name).await?)
    }
}

pub(crate) fn no_such_user(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The user with name {name} cannot be found."))
}
