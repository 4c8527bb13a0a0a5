//! Record builders shared by the cases.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use hourglass_store::*;

pub const ACCT: &str = "123456789012";
pub const OTHER: &str = "210987654321";

/// A whole-second timestamp (backends keep microseconds; whole seconds compare exactly).
pub fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0)
        .single()
        .unwrap_or_default()
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A unique IAM-style id with the given prefix (`AIDA`, `AKIA`, …).
pub fn id(prefix: &str) -> String {
    let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{n:016}{}", std::process::id() % 10)
}

pub fn user(account: &str, name: &str) -> NewUser {
    user_at(account, name, "/")
}

pub fn user_at(account: &str, name: &str, path: &str) -> NewUser {
    NewUser {
        account_id: account.into(),
        user_id: id("AIDA"),
        name: name.into(),
        path: path.into(),
        arn: format!("arn:aws:iam::{account}:user{path}{name}"),
        create_date: at(1),
        permissions_boundary: None,
        tags: Vec::new(),
    }
}

pub fn role(account: &str, name: &str) -> NewRole {
    NewRole {
        account_id: account.into(),
        role_id: id("AROA"),
        name: name.into(),
        path: "/".into(),
        arn: format!("arn:aws:iam::{account}:role/{name}"),
        create_date: at(2),
        assume_role_policy_document: TRUST.into(),
        description: None,
        max_session_duration: 3600,
        permissions_boundary: None,
        tags: Vec::new(),
    }
}

pub fn group(account: &str, name: &str) -> NewGroup {
    Group {
        account_id: account.into(),
        group_id: id("AGPA"),
        name: name.into(),
        path: "/".into(),
        arn: format!("arn:aws:iam::{account}:group/{name}"),
        create_date: at(3),
    }
}

pub fn policy_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:policy/{name}")
}

pub fn policy(account: &str, name: &str) -> NewPolicy {
    policy_at(account, name, "/")
}

pub fn policy_at(account: &str, name: &str, path: &str) -> NewPolicy {
    NewPolicy {
        account_id: account.into(),
        policy_id: id("ANPA"),
        name: name.into(),
        path: path.into(),
        arn: format!("arn:aws:iam::{account}:policy{path}{name}"),
        description: Some(format!("{name} description")),
        document: doc(name),
        create_date: at(4),
        tags: Vec::new(),
    }
}

pub fn aws_policy(name: &str) -> AwsManagedPolicy {
    AwsManagedPolicy {
        policy_id: id("ANPA"),
        name: name.into(),
        path: "/".into(),
        arn: format!("arn:aws:iam::aws:policy/{name}"),
        description: Some(format!("AWS {name}")),
        document: doc(name),
        default_version: 1,
        create_date: at(0),
        update_date: at(0),
    }
}

/// A distinct, valid-looking policy document.
pub fn doc(sid: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}]}}"#,
        sid.replace(|c: char| !c.is_ascii_alphanumeric(), "")
    )
}

pub const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;

pub fn key(account: &str, owner: KeyOwner) -> NewAccessKey {
    NewAccessKey {
        access_key_id: id("AKIA"),
        account_id: account.into(),
        owner,
        secret: Secret::new(format!("wJalrXUtnFEMI/K7MDENG/{}", id("SECRET"))),
        create_date: at(5),
    }
}

pub fn page(max_items: u32) -> PageRequest {
    PageRequest::first(max_items)
}

pub fn next(page: &PageRequest, marker: &Option<String>) -> PageRequest {
    PageRequest {
        marker: marker.clone(),
        max_items: page.max_items,
    }
}

pub const BIG: SizeCheck = SizeCheck {
    size: 10,
    limit: 10_240,
};

/// A store with both test accounts ensured.
pub async fn store_with_accounts(h: &dyn super::Harness) -> std::sync::Arc<Store> {
    let store = h.open().await;
    store.ensure_account(ACCT, at(0)).await.unwrap();
    store.ensure_account(OTHER, at(0)).await.unwrap();
    store
}
