//! The Organizations output shapes and ARNs (spec 2 §2.1).

use chrono::{DateTime, Utc};
use hourglass_store::org::{CreateAccountStatus, OrgAccount, OrgPolicy, OrgUnit, Organization};
use serde_json::{Map, Value, json};

/// Epoch seconds as a JSON number, as the JSON protocol carries timestamps.
pub fn epoch(t: &DateTime<Utc>) -> Value {
    Value::from(t.timestamp_millis() as f64 / 1000.0)
}

pub fn org_arn(org: &Organization) -> String {
    format!(
        "arn:aws:organizations::{}:organization/{}",
        org.management_account_id, org.org_id
    )
}

pub fn account_arn(org: &Organization, account_id: &str) -> String {
    format!(
        "arn:aws:organizations::{}:account/{}/{account_id}",
        org.management_account_id, org.org_id
    )
}

pub fn root_arn(org: &Organization) -> String {
    format!(
        "arn:aws:organizations::{}:root/{}/{}",
        org.management_account_id, org.org_id, org.root_id
    )
}

pub fn ou_arn(org: &Organization, ou_id: &str) -> String {
    format!(
        "arn:aws:organizations::{}:ou/{}/{ou_id}",
        org.management_account_id, org.org_id
    )
}

pub fn policy_arn(org: &Organization, p: &OrgPolicy) -> String {
    hourglass_iam::scp::org_policy_arn(&org.management_account_id, &org.org_id, p)
}

/// The ARN of a root, OU or account id.
pub fn target_arn(org: &Organization, id: &str) -> String {
    if id.starts_with("r-") {
        root_arn(org)
    } else if id.starts_with("ou-") {
        ou_arn(org, id)
    } else {
        account_arn(org, id)
    }
}

pub fn target_type(id: &str) -> &'static str {
    if id.starts_with("r-") {
        "ROOT"
    } else if id.starts_with("ou-") {
        "ORGANIZATIONAL_UNIT"
    } else {
        "ACCOUNT"
    }
}

fn policy_types(org: &Organization) -> Value {
    Value::Array(
        org.enabled_policy_types
            .iter()
            .map(|t| json!({"Type": t, "Status": "ENABLED"}))
            .collect(),
    )
}

pub fn organization(org: &Organization) -> Value {
    json!({
        "Id": org.org_id,
        "Arn": org_arn(org),
        "FeatureSet": org.feature_set,
        "MasterAccountArn": account_arn(org, &org.management_account_id),
        "MasterAccountId": org.management_account_id,
        "MasterAccountEmail": org.management_email,
        "AvailablePolicyTypes": policy_types(org),
    })
}

pub fn account(org: &Organization, a: &OrgAccount) -> Value {
    json!({
        "Id": a.account_id,
        "Arn": account_arn(org, &a.account_id),
        "Email": a.email,
        "Name": a.name,
        "Status": "ACTIVE",
        "State": "ACTIVE",
        "JoinedMethod": a.joined_method,
        "JoinedTimestamp": epoch(&a.joined),
    })
}

pub fn root(org: &Organization) -> Value {
    json!({
        "Id": org.root_id,
        "Arn": root_arn(org),
        "Name": "Root",
        "PolicyTypes": policy_types(org),
    })
}

pub fn ou(org: &Organization, u: &OrgUnit) -> Value {
    json!({"Id": u.ou_id, "Arn": ou_arn(org, &u.ou_id), "Name": u.name})
}

pub fn policy_summary(org: &Organization, p: &OrgPolicy) -> Value {
    json!({
        "Id": p.policy_id,
        "Arn": policy_arn(org, p),
        "Name": p.name,
        "Description": p.description,
        "Type": p.policy_type,
        "AwsManaged": p.aws_managed,
    })
}

pub fn policy(org: &Organization, p: &OrgPolicy) -> Value {
    json!({"Policy": {"PolicySummary": policy_summary(org, p), "Content": p.content}})
}

/// A CreateAccountStatus; `in_progress` shows the request as CreateAccount answers it.
pub fn status(s: &CreateAccountStatus, in_progress: bool) -> Value {
    let mut m = Map::new();
    m.insert("Id".into(), Value::from(s.request_id.clone()));
    m.insert("AccountName".into(), Value::from(s.account_name.clone()));
    m.insert("RequestedTimestamp".into(), epoch(&s.requested));
    if in_progress {
        m.insert("State".into(), Value::from("IN_PROGRESS"));
        return Value::Object(m);
    }
    m.insert("State".into(), Value::from(s.state.clone()));
    if let Some(c) = &s.completed {
        m.insert("CompletedTimestamp".into(), epoch(c));
    }
    if let Some(a) = &s.account_id {
        m.insert("AccountId".into(), Value::from(a.clone()));
    }
    if let Some(r) = &s.failure_reason {
        m.insert("FailureReason".into(), Value::from(r.clone()));
    }
    Value::Object(m)
}
