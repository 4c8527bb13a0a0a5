//! The secrets domain over a real (SQLite) store: label movements through the public
//! operations, rotation jobs and their failure path, concurrent writers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use hourglass_secrets::{AWSCURRENT, AWSPENDING, AWSPREVIOUS, CreateInput, PutInput, Secrets};
use hourglass_store::secrets::SecretValue;
use hourglass_store::{KeyRing, Secret, Store};

async fn secrets() -> (tempfile::TempDir, Arc<Secrets>) {
    let dir = tempfile::tempdir().unwrap();
    let ring = Arc::new(KeyRing::generate("k").unwrap());
    let store = Arc::new(Store::open(dir.path().join("h.db"), ring).await.unwrap());
    (
        dir,
        Arc::new(Secrets::new(store, "123456789012", "us-east-1")),
    )
}

fn text(s: &str) -> SecretValue {
    SecretValue::String(Secret::new(s))
}

async fn create(sm: &Secrets, name: &str, value: &str) -> String {
    let arn = sm.new_arn(name);
    sm.create(CreateInput {
        arn: arn.clone(),
        name: name.into(),
        token: None,
        description: None,
        kms_key_id: None,
        value: Some(text(value)),
        tags: vec![],
    })
    .await
    .unwrap();
    arn
}

#[tokio::test]
async fn rotation_job_success_and_failure_paths() {
    let (_d, sm) = secrets().await;
    let arn = create(&sm, "job", "v1").await;
    let f = "arn:aws:lambda:us-east-1:123456789012:function:hourglass-rotate-iam-access-key";
    let token = sm.rotate(&arn, None, Some(f), None, true).await.unwrap();
    let s = sm.load(&arn).await.unwrap();
    let pending = s.version(&token).unwrap();
    assert_eq!(pending.stages, vec![AWSPENDING.to_owned()]);
    assert!(!pending.has_value);
    assert!(s.row.due_at.is_some(), "queued work is due");
    // A second rotation while one is pending is refused.
    assert_eq!(
        sm.rotate(&arn, None, None, None, true)
            .await
            .unwrap_err()
            .code,
        "InvalidRequestException"
    );
    // The placeholder reads as not found, as rotators expect.
    assert_eq!(
        sm.get_value(&s, Some(&token), Some(AWSPENDING))
            .await
            .unwrap_err()
            .code,
        "ResourceNotFoundException"
    );
    // A failure: AWSCURRENT untouched, placeholder back for the retry, backoff set.
    sm.finish_job(&arn, &token, false).await.unwrap();
    let s = sm.load(&arn).await.unwrap();
    assert_eq!(s.with_stage(AWSCURRENT).unwrap().seq, 1);
    let job = s.meta.rotation.clone().unwrap();
    assert_eq!(job.attempts, 1);
    assert!(job.not_before > job.requested);
    // The rotator fills the placeholder and moves AWSCURRENT; success clears the job.
    sm.put_value(
        &arn,
        PutInput {
            token: Some(token.clone()),
            value: text("v2"),
            stages: Some(vec![AWSPENDING.to_owned()]),
        },
    )
    .await
    .unwrap();
    let old = sm
        .load(&arn)
        .await
        .unwrap()
        .with_stage(AWSCURRENT)
        .unwrap()
        .id
        .clone();
    sm.update_stage(&arn, AWSCURRENT, Some(&old), Some(&token))
        .await
        .unwrap();
    sm.finish_job(&arn, &token, true).await.unwrap();
    let s = sm.load(&arn).await.unwrap();
    assert!(s.meta.rotation.is_none());
    assert!(s.meta.last_rotated.is_some());
    assert_eq!(
        s.version(&token).unwrap().stages,
        vec![AWSCURRENT.to_owned()]
    );
    assert_eq!(
        s.version(&old).unwrap().stages,
        vec![AWSPREVIOUS.to_owned()]
    );
    // Three failures in a row abandon the run until the next schedule.
    let t2 = sm.rotate(&arn, None, None, None, true).await.unwrap();
    for _ in 0..3 {
        sm.finish_job(&arn, &t2, false).await.unwrap();
    }
    let s = sm.load(&arn).await.unwrap();
    assert!(s.meta.rotation.is_none());
    assert!(s.version(&t2).is_none(), "the empty placeholder is gone");
    assert!(s.with_stage(AWSPENDING).is_none());
}

#[tokio::test]
async fn concurrent_writers_keep_one_awscurrent() {
    let (_d, sm) = secrets().await;
    let arn = create(&sm, "race", "v0").await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let sm = Arc::clone(&sm);
        let arn = arn.clone();
        tasks.push(tokio::spawn(async move {
            for j in 0..5 {
                sm.put_value(
                    &arn,
                    PutInput {
                        token: None,
                        value: text(&format!("{i}-{j}")),
                        stages: None,
                    },
                )
                .await
                .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let s = sm.load(&arn).await.unwrap();
    assert_eq!(s.versions.len(), 41);
    hourglass_secrets::labels::check_invariants(&s.versions).unwrap();
    assert_eq!(s.versions.iter().filter(|v| v.has(AWSCURRENT)).count(), 1);
    assert_eq!(s.versions.iter().filter(|v| v.has(AWSPREVIOUS)).count(), 1);
}
