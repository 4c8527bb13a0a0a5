//! CloudTrail trails: one per account and name, documents replaced whole, and kept across a
//! reopen.

use hourglass_store::*;

use super::Harness;
use super::fixtures::*;

fn trail(account: &str, name: &str, doc: &str) -> TrailRow {
    TrailRow {
        account_id: account.into(),
        name: name.into(),
        arn: format!("arn:aws:cloudtrail:us-east-1:{account}:trail/{name}"),
        document: doc.into(),
    }
}

pub async fn lifecycle(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    assert!(store.create_trail(trail(ACCT, "b", "{}")).await.unwrap());
    assert!(store.create_trail(trail(ACCT, "a", "{}")).await.unwrap());
    assert!(store.create_trail(trail(OTHER, "a", "{}")).await.unwrap());
    // A name in use in the account is refused and nothing changes.
    assert!(
        !store
            .create_trail(trail(ACCT, "a", "{\"x\":1}"))
            .await
            .unwrap()
    );
    assert_eq!(
        store.get_trail(ACCT, "a").await.unwrap(),
        Some(trail(ACCT, "a", "{}"))
    );
    assert!(store.update_trail(ACCT, "a", "{\"y\":2}").await.unwrap());
    assert!(!store.update_trail(ACCT, "zz", "{}").await.unwrap());
    let names: Vec<String> = store
        .list_trails(ACCT)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(store.all_trails().await.unwrap().len(), 3);
    assert!(store.delete_trail(ACCT, "b").await.unwrap());
    assert!(!store.delete_trail(ACCT, "b").await.unwrap());
    drop(store);
    let store = h.open().await;
    assert_eq!(
        store
            .get_trail(ACCT, "a")
            .await
            .unwrap()
            .map(|t| t.document),
        Some("{\"y\":2}".to_owned())
    );
    assert_eq!(store.get_trail(ACCT, "b").await.unwrap(), None);
    assert_eq!(store.list_trails(OTHER).await.unwrap().len(), 1);
}
