//! Login profiles.

use hourglass_store::*;

use super::Harness;
use super::fixtures::*;
use crate::assert_err;

pub async fn lifecycle_and_history(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    store.create_user(user(ACCT, "Bob")).await.unwrap();
    let created = store
        .create_login_profile(ACCT, "bob", "$h1", true, at(5))
        .await
        .unwrap();
    assert_eq!(created.user_name, "Bob");
    assert!(created.password_reset_required);
    assert_eq!(created.history, Vec::<String>::new());
    let err = store
        .create_login_profile(ACCT, "BOB", "$h2", false, at(6))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Login Profile for user Bob already exists."
    );
    for (i, h) in ["$h2", "$h3", "$h4"].iter().enumerate() {
        store
            .update_login_profile(
                ACCT,
                "bob",
                LoginProfileUpdate {
                    password_hash: Some((*h).into()),
                    keep_history: 2,
                    password_reset_required: None,
                },
                at(10 + i as i64),
            )
            .await
            .unwrap();
    }
    let got = store.get_login_profile(ACCT, "bob").await.unwrap();
    assert_eq!(got.password_hash, "$h4");
    assert_eq!(got.history, ["$h3", "$h2"]);
    assert_eq!(got.changed_date, at(12));
    assert!(got.password_reset_required);
    assert_err!(
        store.delete_user(ACCT, "bob").await,
        StoreError::DeleteConflict(DeleteConflict::LoginProfile)
    );
    store.delete_login_profile(ACCT, "bob").await.unwrap();
    let err = store.get_login_profile(ACCT, "bob").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Login Profile for User Bob cannot be found."
    );
    store.delete_user(ACCT, "bob").await.unwrap();
}
