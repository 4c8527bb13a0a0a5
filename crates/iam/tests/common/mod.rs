//! What the integration tests of this crate share: an [`Identity`] over a real SQLite store
//! in a temporary directory, and callers to drive it with.

// Each test binary compiles this module on its own and uses a different part of it.
#![allow(dead_code)]

use std::sync::Arc;

use hourglass_iam::{Caller, Identity, Principal};
use hourglass_store::{EntityRef, KeyRing, NewUser, SizeCheck, Store};

pub const ACCOUNT: &str = "123456789012";

/// An [`Identity`] for [`ACCOUNT`] on a new store in `dir`.
pub async fn identity(dir: &tempfile::TempDir) -> Identity {
    let ring = Arc::new(KeyRing::generate("test").unwrap());
    let store = Store::open(dir.path().join("iam.db"), ring).await.unwrap();
    let identity = Identity::new(Arc::new(store), ACCOUNT);
    identity.ensure_account().await.unwrap();
    identity
}

pub fn caller(principal: Principal) -> Caller {
    Caller {
        principal,
        access_key_id: "AKIAEXAMPLEEXAMPLE00".into(),
        region: "us-east-1".into(),
        source_ip: "127.0.0.1".parse().unwrap(),
        secure_transport: false,
        user_agent: None,
        session: None,
    }
}

pub fn root() -> Caller {
    caller(Principal::Root {
        account_id: ACCOUNT.into(),
    })
}

/// A user whose only permissions are the inline policy `document`, written to the store
/// as it is (unvalidated, so a test can store what the API would refuse).
pub async fn user(identity: &Identity, name: &str, document: &str) -> Caller {
    let store = identity.store();
    let user = store
        .create_user(NewUser {
            account_id: ACCOUNT.into(),
            user_id: format!("AIDA{:X<17}", name.to_ascii_uppercase()),
            name: name.into(),
            path: "/".into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
            create_date: chrono::Utc::now(),
            permissions_boundary: None,
            tags: vec![],
        })
        .await
        .unwrap();
    store
        .put_inline_policy(
            ACCOUNT,
            &EntityRef::User(name.into()),
            "p",
            document,
            SizeCheck {
                size: 0,
                limit: u32::MAX,
            },
        )
        .await
        .unwrap();
    caller(Principal::User(user))
}

/// Tags as the API takes them.
pub fn pairs(tags: &[(&str, &str)]) -> Vec<(String, String)> {
    tags.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}
