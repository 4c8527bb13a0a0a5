//! IAM server certificates: uniqueness regardless of case, rename, tags, the account quota,
//! and the private key sealed at rest.

use hourglass_store::*;

use super::Harness;
use super::fixtures::*;
use crate::assert_err;

fn cert(name: &str, id: &str) -> ServerCertificate {
    ServerCertificate {
        account_id: ACCT.into(),
        certificate_id: id.into(),
        name: name.into(),
        path: "/".into(),
        arn: format!("arn:aws:iam::{ACCT}:server-certificate/{name}"),
        body: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".into(),
        chain: None,
        upload_date: at(5),
        expiration: at(900),
        tags: vec![Tag::new("z", "1"), Tag::new("a", "2")],
    }
}

pub async fn lifecycle_and_quota(h: &dyn Harness) {
    let store = store_with_accounts(h).await;
    let key = Secret::new("-----BEGIN PRIVATE KEY-----\nSECRETKEYBYTES\n-----END PRIVATE KEY-----");
    let created = store
        .upload_server_certificate(cert("Web", "ASCA000000000000000001"), &key)
        .await
        .unwrap();
    assert_eq!(created.tags, vec![Tag::new("a", "2"), Tag::new("z", "1")]);
    assert_eq!(created.expiration, at(900));
    assert_eq!(
        store.get_server_certificate(ACCT, "web").await.unwrap(),
        created
    );
    let dup = store
        .upload_server_certificate(cert("WEB", "ASCA000000000000000002"), &key)
        .await
        .unwrap_err();
    assert_eq!(
        dup.to_string(),
        "The Server Certificate with name WEB already exists."
    );
    assert_err!(
        store.get_server_certificate(OTHER, "Web").await,
        StoreError::NotFound { .. }
    );

    let moved = store
        .update_server_certificate(
            ACCT,
            "Web",
            ServerCertificateChange::Rename {
                new_name: Some("Web2".into()),
                new_path: Some("/cf/".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        moved.arn,
        format!("arn:aws:iam::{ACCT}:server-certificate/cf/Web2")
    );
    assert_eq!(moved.certificate_id, created.certificate_id);
    assert_err!(
        store.get_server_certificate(ACCT, "Web").await,
        StoreError::NotFound { .. }
    );
    let tagged = store
        .update_server_certificate(
            ACCT,
            "Web2",
            ServerCertificateChange::Untag(vec!["z".into()]),
        )
        .await
        .unwrap();
    assert_eq!(tagged.tags, vec![Tag::new("a", "2")]);
    assert_eq!(
        store
            .list_server_certificates(ACCT, "/cf/")
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .list_server_certificates(ACCT, "/elb/")
            .await
            .unwrap()
            .is_empty()
    );

    for i in 1..20 {
        store
            .upload_server_certificate(cert(&format!("c{i}"), &format!("ASCA{i:017}X")), &key)
            .await
            .unwrap();
    }
    assert_eq!(store.server_certificate_count(ACCT).await.unwrap(), 20);
    assert_err!(
        store
            .upload_server_certificate(cert("c20", "ASCA0000000000000000X"), &key)
            .await,
        StoreError::LimitExceeded { limit: 20, .. }
    );
    store.delete_server_certificate(ACCT, "web2").await.unwrap();
    assert_err!(
        store.delete_server_certificate(ACCT, "web2").await,
        StoreError::NotFound { .. }
    );
    assert_eq!(store.server_certificate_count(ACCT).await.unwrap(), 19);
}
