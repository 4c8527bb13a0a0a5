//! The login-profile methods of [`Store`]. Only password hashes reach the store.

use chrono::{DateTime, Utc};

use super::Store;
#[allow(unused_imports)] // used by rustdoc links
use crate::error::{ResourceKind, StoreError};
use crate::records::{LoginProfile, LoginProfileUpdate};
use crate::sql::{Backend, login_profiles, tx_fn};

store_api! {
    /// `NotFound(User)`; `AlreadyExists(LoginProfile)`.
    write fn create_login_profile(
        account_id: &str,
        user: &str,
        password_hash: &str,
        reset_required: bool,
        at: DateTime<Utc>,
    ) -> LoginProfile
        = |tx| login_profiles::create(tx, &account_id, &user, &password_hash, reset_required, at);

    /// `NotFound(User | LoginProfile)`.
    read fn get_login_profile(account_id: &str, user: &str) -> LoginProfile
        = |tx| login_profiles::get(tx, &account_id, &user);

    /// `NotFound(User | LoginProfile)`.
    write fn update_login_profile(
        account_id: &str,
        user: &str,
        update: LoginProfileUpdate,
        at: DateTime<Utc>,
    ) -> LoginProfile
        = |tx| login_profiles::update(tx, &account_id, &user, &update, at);

    /// `NotFound(User | LoginProfile)`.
    write fn delete_login_profile(account_id: &str, user: &str) -> ()
        = |tx| login_profiles::delete(tx, &account_id, &user);
}
