//! Account alias and password policy.

use hourglass_store::*;

use super::Harness;
use super::fixtures::*;
use crate::assert_err;

pub async fn alias_and_password_policy(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    assert!(store.account_aliases(ACCT).await.unwrap().is_empty());
    store.set_account_alias(ACCT, "one").await.unwrap();
    store.set_account_alias(ACCT, "two").await.unwrap();
    assert_eq!(store.account_aliases(ACCT).await.unwrap(), ["two"]);
    let err = store.set_account_alias(OTHER, "two").await.unwrap_err();
    assert_eq!(err.to_string(), "The account alias two already exists.");
    assert!(store.account_aliases(OTHER).await.unwrap().is_empty());
    assert_err!(
        store.delete_account_alias(ACCT, "one").await,
        StoreError::NotFound {
            kind: ResourceKind::AccountAlias,
            ..
        }
    );
    store.delete_account_alias(ACCT, "two").await.unwrap();
    store.set_account_alias(OTHER, "two").await.unwrap();

    assert_eq!(store.password_policy(ACCT).await.unwrap(), None);
    store.put_password_policy(ACCT, "{\"a\":1}").await.unwrap();
    store.put_password_policy(ACCT, "{\"a\":2}").await.unwrap();
    assert_eq!(
        store.password_policy(ACCT).await.unwrap().as_deref(),
        Some("{\"a\":2}")
    );
    assert_eq!(store.password_policy(OTHER).await.unwrap(), None);
    store.delete_password_policy(ACCT).await.unwrap();
    let err = store.delete_password_policy(ACCT).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("The Password Policy with domain name {ACCT} cannot be found.")
    );
}
