//! IAM OIDC providers.

use hourglass_store::*;

use super::Harness;
use super::fixtures::*;
use crate::assert_err;

fn provider(account: &str, url: &str) -> OidcProvider {
    OidcProvider {
        account_id: account.into(),
        arn: format!("arn:aws:iam::{account}:oidc-provider/{url}"),
        url: url.into(),
        client_ids: vec!["sts.amazonaws.com".into()],
        thumbprints: vec![],
        create_date: at(5),
        tags: vec![Tag::new("z", "1"), Tag::new("a", "2")],
    }
}

pub async fn oidc_providers(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let p = provider(ACCT, "issuer.example.com/path/");
    let created = store.create_oidc_provider(p.clone()).await.unwrap();
    assert_eq!(created.url, "issuer.example.com/path/");
    assert_eq!(created.create_date, at(5));
    assert_eq!(created.tags, vec![Tag::new("a", "2"), Tag::new("z", "1")]);
    assert_eq!(
        store.get_oidc_provider(ACCT, &p.arn).await.unwrap(),
        created
    );
    let err = store.create_oidc_provider(p.clone()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Provider with url https://issuer.example.com/path/ already exists."
    );
    assert_err!(
        store.get_oidc_provider(OTHER, &p.arn).await,
        StoreError::NotFound { .. }
    );
    let other = provider(ACCT, "a.example.com");
    store.create_oidc_provider(other.clone()).await.unwrap();
    let listed: Vec<String> = store
        .list_oidc_providers(ACCT)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.arn)
        .collect();
    assert_eq!(listed, vec![other.arn.clone(), p.arn.clone()]);
    assert!(store.list_oidc_providers(OTHER).await.unwrap().is_empty());

    let add = OidcChange::AddClientId("web".into());
    store
        .update_oidc_provider(ACCT, &p.arn, add.clone())
        .await
        .unwrap();
    let after = store.update_oidc_provider(ACCT, &p.arn, add).await.unwrap();
    assert_eq!(after.client_ids, vec!["sts.amazonaws.com", "web"]);
    let after = store
        .update_oidc_provider(ACCT, &p.arn, OidcChange::RemoveClientId("nope".into()))
        .await
        .unwrap();
    assert_eq!(after.client_ids.len(), 2);
    let thumb = "a".repeat(40);
    let after = store
        .update_oidc_provider(
            ACCT,
            &p.arn,
            OidcChange::SetThumbprints(vec![thumb.clone()]),
        )
        .await
        .unwrap();
    assert_eq!(after.thumbprints, vec![thumb]);
    let after = store
        .update_oidc_provider(
            ACCT,
            &p.arn,
            OidcChange::Tag(vec![Tag::new("a", "3"), Tag::new("A", "4")]),
        )
        .await
        .unwrap();
    assert_eq!(
        after.tags,
        vec![Tag::new("A", "4"), Tag::new("a", "3"), Tag::new("z", "1")]
    );
    let after = store
        .update_oidc_provider(
            ACCT,
            &p.arn,
            OidcChange::Untag(vec!["a".into(), "z".into()]),
        )
        .await
        .unwrap();
    assert_eq!(after.tags, vec![Tag::new("A", "4")]);
    assert_eq!(store.get_oidc_provider(ACCT, &p.arn).await.unwrap(), after);
    let many: Vec<Tag> = (0..50).map(|i| Tag::new(format!("k{i}"), "v")).collect();
    assert_err!(
        store
            .update_oidc_provider(ACCT, &p.arn, OidcChange::Tag(many))
            .await,
        StoreError::LimitExceeded { limit: 50, .. }
    );
    assert_err!(
        store
            .update_oidc_provider(OTHER, &p.arn, OidcChange::Untag(vec![]))
            .await,
        StoreError::NotFound { .. }
    );

    store.delete_oidc_provider(ACCT, &p.arn).await.unwrap();
    let err = store.delete_oidc_provider(ACCT, &p.arn).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("OpenIDConnect Provider not found for arn {}", p.arn)
    );
    for i in 0..99 {
        store
            .create_oidc_provider(provider(ACCT, &format!("h{i}.example.com")))
            .await
            .unwrap();
    }
    assert_err!(
        store
            .create_oidc_provider(provider(ACCT, "full.example.com"))
            .await,
        StoreError::LimitExceeded { limit: 100, .. }
    );
}

fn saml(account: &str, name: &str) -> SamlProvider {
    SamlProvider {
        account_id: account.into(),
        arn: format!("arn:aws:iam::{account}:saml-provider/{name}"),
        name: name.into(),
        uuid: format!("uuid-{name}"),
        metadata: format!("<EntityDescriptor entityID=\"{name}\"/>"),
        create_date: at(5),
        valid_until: at(500),
        tags: vec![Tag::new("z", "1"), Tag::new("a", "2")],
    }
}

pub async fn saml_providers(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let p = saml(ACCT, "Corp");
    let created = store.create_saml_provider(p.clone()).await.unwrap();
    assert_eq!(created.tags, vec![Tag::new("a", "2"), Tag::new("z", "1")]);
    assert_eq!((created.create_date, created.valid_until), (at(5), at(500)));
    assert_eq!(
        store.get_saml_provider(ACCT, &p.arn).await.unwrap(),
        created
    );
    let err = store.create_saml_provider(p.clone()).await.unwrap_err();
    assert_eq!(err.to_string(), "Provider with name Corp already exists.");
    assert_err!(
        store.get_saml_provider(OTHER, &p.arn).await,
        StoreError::NotFound { .. }
    );
    let other = saml(ACCT, "Alpha");
    store.create_saml_provider(other.clone()).await.unwrap();
    let listed: Vec<String> = store
        .list_saml_providers(ACCT)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.arn)
        .collect();
    assert_eq!(listed, vec![other.arn.clone(), p.arn.clone()]);

    let after = store
        .update_saml_provider(
            ACCT,
            &p.arn,
            SamlChange::Metadata {
                document: "<new/>".into(),
                valid_until: at(900),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (after.metadata.as_str(), after.valid_until),
        ("<new/>", at(900))
    );
    assert_eq!(after.uuid, "uuid-Corp");
    let after = store
        .update_saml_provider(ACCT, &p.arn, SamlChange::Tag(vec![Tag::new("a", "3")]))
        .await
        .unwrap();
    assert_eq!(after.tags, vec![Tag::new("a", "3"), Tag::new("z", "1")]);
    let after = store
        .update_saml_provider(ACCT, &p.arn, SamlChange::Untag(vec!["z".into()]))
        .await
        .unwrap();
    assert_eq!(after.tags, vec![Tag::new("a", "3")]);
    assert_eq!(store.get_saml_provider(ACCT, &p.arn).await.unwrap(), after);
    let many: Vec<Tag> = (0..50).map(|i| Tag::new(format!("k{i}"), "v")).collect();
    assert_err!(
        store
            .update_saml_provider(ACCT, &p.arn, SamlChange::Tag(many))
            .await,
        StoreError::LimitExceeded { limit: 50, .. }
    );

    store.delete_saml_provider(ACCT, &p.arn).await.unwrap();
    let err = store.delete_saml_provider(ACCT, &p.arn).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("Manifest not found for arn {}", p.arn)
    );
    for i in 0..99 {
        store
            .create_saml_provider(saml(ACCT, &format!("p{i}")))
            .await
            .unwrap();
    }
    assert_err!(
        store.create_saml_provider(saml(ACCT, "full")).await,
        StoreError::LimitExceeded { limit: 100, .. }
    );
}
