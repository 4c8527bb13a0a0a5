//! The account-settings methods of [`Store`]: alias and password policy.

use super::Store;
use crate::error::Result;
#[allow(unused_imports)] // used by rustdoc links
use crate::error::{ResourceKind, StoreError};
use crate::sql::{Backend, account_settings, tx_fn};

impl Store {
    /// Sets the account's one alias (replacing any other). `NotFound(Account)`;
    /// `AlreadyExists(AccountAlias)` when another account holds it.
    pub async fn set_account_alias(&self, account_id: &str, alias: &str) -> Result<()> {
        run!(self.write, [account_id, alias], |tx| {
            account_settings::set_alias(tx, &account_id, &alias)
        })
    }

    /// `NotFound(AccountAlias)` unless the account's alias is `alias`.
    pub async fn delete_account_alias(&self, account_id: &str, alias: &str) -> Result<()> {
        run!(self.write, [account_id, alias], |tx| {
            account_settings::delete_alias(tx, &account_id, &alias)
        })
    }

    /// The account's aliases (zero or one).
    pub async fn account_aliases(&self, account_id: &str) -> Result<Vec<String>> {
        run!(self.read, [account_id], |tx| account_settings::aliases(
            tx,
            &account_id
        ))
    }

    /// Stores the password policy (an opaque document to the store). `NotFound(Account)`.
    pub async fn put_password_policy(&self, account_id: &str, policy: &str) -> Result<()> {
        run!(self.write, [account_id, policy], |tx| {
            account_settings::put_password_policy(tx, &account_id, &policy)
        })
    }

    pub async fn password_policy(&self, account_id: &str) -> Result<Option<String>> {
        run!(self.read, [account_id], |tx| {
            account_settings::password_policy(tx, &account_id)
        })
    }

    /// `NotFound(PasswordPolicy)` when the account has none.
    pub async fn delete_password_policy(&self, account_id: &str) -> Result<()> {
        run!(self.write, [account_id], |tx| {
            account_settings::delete_password_policy(tx, &account_id)
        })
    }
}
