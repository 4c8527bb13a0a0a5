//! The audit log: batch append, every lookup attribute, time range and paging order,
//! retention, revoked key origins and credential reports.

use hourglass_store::*;

use super::Harness;

const ACCT: &str = "123456789012";

fn ev(i: i64, name: &str, key: &str, user: &str, resources: &[(&str, &str)]) -> AuditEventRow {
    AuditEventRow {
        event_id: format!("ev-{i:04}"),
        account_id: ACCT.into(),
        event_time_ms: 1_000_000 + i * 500,
        event_name: name.into(),
        event_source: if name.ends_with("Object") {
            "s3.amazonaws.com"
        } else {
            "iam.amazonaws.com"
        }
        .into(),
        read_only: name.starts_with("Get") || name.starts_with("List"),
        management: !name.ends_with("Object"),
        access_key_id: Some(key.into()),
        username: Some(user.into()),
        origin_key_id: Some("AKIAORIGIN".into()),
        resources: resources
            .iter()
            .map(|(t, n)| ((*t).to_owned(), (*n).to_owned()))
            .collect(),
        record: format!("{{\"eventID\":\"ev-{i:04}\"}}"),
    }
}

fn q(attribute: Option<(AuditAttribute, &str)>) -> AuditQuery {
    AuditQuery {
        account_id: ACCT.into(),
        attribute: attribute.map(|(a, v)| (a, v.to_owned())),
        start_ms: 0,
        end_ms: i64::MAX,
        after: None,
        limit: 100,
        include_data_events: true,
    }
}

fn ids(rows: &[AuditEventRow]) -> Vec<String> {
    rows.iter().map(|r| r.event_id.clone()).collect()
}

pub async fn lookups(h: &dyn Harness) {
    let store = h.open().await;
    let batch = vec![
        ev(
            1,
            "CreateUser",
            "AKIA1",
            "root",
            &[("AWS::IAM::User", "alice")],
        ),
        ev(2, "ListUsers", "AKIA2", "alice", &[]),
        ev(
            3,
            "PutObject",
            "ASIA3",
            "sess",
            &[
                ("AWS::S3::Bucket", "b"),
                ("AWS::S3::Object", "arn:aws:s3:::b/k"),
            ],
        ),
        ev(
            4,
            "GetUser",
            "AKIA2",
            "alice",
            &[("AWS::IAM::User", "alice")],
        ),
    ];
    store
        .append_audit_events(std::sync::Arc::new(batch.clone()))
        .await
        .unwrap();
    // A retried batch does not duplicate.
    store
        .append_audit_events(std::sync::Arc::new(batch.clone()))
        .await
        .unwrap();
    let all = store.lookup_audit_events(&q(None)).await.unwrap();
    assert_eq!(ids(&all), ["ev-0004", "ev-0003", "ev-0002", "ev-0001"]);
    assert_eq!(all[1], batch[2]);

    let by = |a, v| {
        let store = store.clone();
        async move { ids(&store.lookup_audit_events(&q(Some((a, v)))).await.unwrap()) }
    };
    assert_eq!(by(AuditAttribute::EventId, "ev-0002").await, ["ev-0002"]);
    assert_eq!(
        by(AuditAttribute::EventName, "CreateUser").await,
        ["ev-0001"]
    );
    assert_eq!(
        by(AuditAttribute::EventName, "createuser").await,
        Vec::<String>::new()
    );
    assert_eq!(
        by(AuditAttribute::ReadOnly, "true").await,
        ["ev-0004", "ev-0002"]
    );
    assert_eq!(
        by(AuditAttribute::ReadOnly, "false").await,
        ["ev-0003", "ev-0001"]
    );
    assert_eq!(
        by(AuditAttribute::ReadOnly, "TRUE").await,
        Vec::<String>::new()
    );
    assert_eq!(
        by(AuditAttribute::Username, "alice").await,
        ["ev-0004", "ev-0002"]
    );
    assert_eq!(
        by(AuditAttribute::ResourceType, "AWS::IAM::User").await,
        ["ev-0004", "ev-0001"]
    );
    assert_eq!(
        by(AuditAttribute::ResourceName, "arn:aws:s3:::b/k").await,
        ["ev-0003"]
    );
    assert_eq!(
        by(AuditAttribute::EventSource, "s3.amazonaws.com").await,
        ["ev-0003"]
    );
    assert_eq!(
        by(AuditAttribute::AccessKeyId, "AKIA2").await,
        ["ev-0004", "ev-0002"]
    );

    let mut page = q(None);
    page.limit = 2;
    let first = store.lookup_audit_events(&page).await.unwrap();
    assert_eq!(ids(&first), ["ev-0004", "ev-0003"]);
    page.after = Some((first[1].event_time_ms, first[1].event_id.clone()));
    assert_eq!(
        ids(&store.lookup_audit_events(&page).await.unwrap()),
        ["ev-0002", "ev-0001"]
    );

    let mut range = q(None);
    range.start_ms = 1_001_000;
    range.end_ms = 1_001_500;
    assert_eq!(
        ids(&store.lookup_audit_events(&range).await.unwrap()),
        ["ev-0003", "ev-0002"]
    );
    let mut management = q(None);
    management.include_data_events = false;
    assert_eq!(
        ids(&store.lookup_audit_events(&management).await.unwrap()),
        ["ev-0004", "ev-0002", "ev-0001"]
    );
    let mut other = q(None);
    other.account_id = "999999999999".into();
    assert!(store.lookup_audit_events(&other).await.unwrap().is_empty());

    assert_eq!(
        ids(&store
            .audit_events_by_origin("AKIAORIGIN", 10)
            .await
            .unwrap()),
        ["ev-0001", "ev-0002", "ev-0003", "ev-0004"]
    );
    assert_eq!(store.purge_audit_events(1_001_001).await.unwrap(), 2);
    assert_eq!(
        ids(&store.lookup_audit_events(&q(None)).await.unwrap()),
        ["ev-0004", "ev-0003"]
    );
    assert!(
        store
            .lookup_audit_events(&q(Some((AuditAttribute::ResourceType, "AWS::IAM::User"))))
            .await
            .unwrap()
            .iter()
            .all(|r| r.event_id == "ev-0004")
    );
}

pub async fn revocations_and_reports(h: &dyn Harness) {
    let store = h.open().await;
    assert_eq!(store.key_origin_revoked_at("AKIAX").await.unwrap(), None);
    store.revoke_key_origin("AKIAX", 10).await.unwrap();
    store.revoke_key_origin("AKIAX", 20).await.unwrap();
    assert_eq!(
        store.key_origin_revoked_at("AKIAX").await.unwrap(),
        Some(20)
    );

    assert_eq!(store.get_credential_report(ACCT).await.unwrap(), None);
    let r = CredentialReport {
        generated_at_ms: 5,
        content: "user,arn\n".into(),
    };
    store.put_credential_report(ACCT, &r).await.unwrap();
    let r2 = CredentialReport {
        generated_at_ms: 6,
        content: "user,arn\nx,y\n".into(),
    };
    store.put_credential_report(ACCT, &r2).await.unwrap();
    assert_eq!(store.get_credential_report(ACCT).await.unwrap(), Some(r2));
}

pub async fn resource_lookups_page_without_duplicates(h: &dyn Harness) {
    let store = h.open().await;
    let three = [
        ("AWS::STS::AssumedRole", "s"),
        ("AWS::STS::AssumedRole", "AROA1:s"),
        (
            "AWS::STS::AssumedRole",
            "arn:aws:sts::123456789012:assumed-role/r/s",
        ),
    ];
    let batch: Vec<AuditEventRow> = (1..=5)
        .map(|i| ev(i, "AssumeRole", "AKIA1", "alice", &three))
        .collect();
    store
        .append_audit_events(std::sync::Arc::new(batch))
        .await
        .unwrap();
    let mut page = q(Some((
        AuditAttribute::ResourceType,
        "AWS::STS::AssumedRole",
    )));
    page.limit = 2;
    let first = store.lookup_audit_events(&page).await.unwrap();
    assert_eq!(ids(&first), ["ev-0005", "ev-0004"]);
    page.after = Some((first[1].event_time_ms, first[1].event_id.clone()));
    let second = store.lookup_audit_events(&page).await.unwrap();
    assert_eq!(ids(&second), ["ev-0003", "ev-0002"]);
    page.after = Some((second[1].event_time_ms, second[1].event_id.clone()));
    assert_eq!(
        ids(&store.lookup_audit_events(&page).await.unwrap()),
        ["ev-0001"]
    );
    let by_name = q(Some((AuditAttribute::ResourceName, "AROA1:s")));
    assert_eq!(store.lookup_audit_events(&by_name).await.unwrap().len(), 5);
}
