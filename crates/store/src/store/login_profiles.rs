//! The login-profile methods of [`Store`]. Only password hashes reach the store.

use chrono::{DateTime, Utc};

use super::Store;
use crate::error::Result;
#[allow(unused_imports)] // used by rustdoc links
use crate::error::{ResourceKind, StoreError};
use crate::records::{LoginProfile, LoginProfileUpdate};
use crate::sql::{Backend, login_profiles, tx_fn};

impl Store {
    /// `NotFound(User)`; `AlreadyExists(LoginProfile)`.
    pub async fn create_login_profile(
        &self,
        account_id: &str,
        user: &str,
        password_hash: &str,
        reset_required: bool,
        at: DateTime<Utc>,
    ) -> Result<LoginProfile> {
        run!(
            self.write,
            [account_id, user, password_hash, reset_required, at],
            |tx| login_profiles::create(tx, &account_id, &user, &password_hash, reset_required, at)
        )
    }

    /// `NotFound(User | LoginProfile)`.
    pub async fn get_login_profile(&self, account_id: &str, user: &str) -> Result<LoginProfile> {
        run!(self.read, [account_id, user], |tx| login_profiles::get(
            tx,
            &account_id,
            &user
        ))
    }

    /// `NotFound(User | LoginProfile)`.
    pub async fn update_login_profile(
        &self,
        account_id: &str,
        user: &str,
        update: LoginProfileUpdate,
        at: DateTime<Utc>,
    ) -> Result<LoginProfile> {
        run!(self.write, [account_id, user, update, at], |tx| {
            login_profiles::update(tx, &account_id, &user, &update, at)
        })
    }

    /// `NotFound(User | LoginProfile)`.
    pub async fn delete_login_profile(&self, account_id: &str, user: &str) -> Result<()> {
        run!(self.write, [account_id, user], |tx| login_profiles::delete(
            tx,
            &account_id,
            &user
        ))
    }
}
