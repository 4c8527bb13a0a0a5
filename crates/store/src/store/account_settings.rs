//! The account-settings methods of [`Store`]: alias and password policy.

use super::Store;
#[allow(unused_imports)] // used by rustdoc links
use crate::error::{ResourceKind, StoreError};
use crate::sql::{Backend, account_settings, tx_fn};

store_api! {
    /// Sets the account's one alias (replacing any other). `NotFound(Account)`;
    /// `AlreadyExists(AccountAlias)` when another account holds it.
    write fn set_account_alias(account_id: &str, alias: &str) -> ()
        = |tx| account_settings::set_alias(tx, &account_id, &alias);

    /// `NotFound(AccountAlias)` unless the account's alias is `alias`.
    write fn delete_account_alias(account_id: &str, alias: &str) -> ()
        = |tx| account_settings::delete_alias(tx, &account_id, &alias);

    /// The account's aliases (zero or one).
    read fn account_aliases(account_id: &str) -> Vec<String>
        = |tx| account_settings::aliases(tx, &account_id);

    /// Stores the password policy (an opaque document to the store). `NotFound(Account)`.
    write fn put_password_policy(account_id: &str, policy: &str) -> ()
        = |tx| account_settings::put_password_policy(tx, &account_id, &policy);

    read fn password_policy(account_id: &str) -> Option<String>
        = |tx| account_settings::password_policy(tx, &account_id);

    /// `NotFound(PasswordPolicy)` when the account has none.
    write fn delete_password_policy(account_id: &str) -> ()
        = |tx| account_settings::delete_password_policy(tx, &account_id);
}
