//! CreateOrganization, DescribeOrganization, CreateAccount and its status, ListAccounts,
//! DescribeAccount (spec 2 §2.3–2.7).

use hourglass_iam::ids::{IdKind, new_id};
use hourglass_store::NewRole;
use hourglass_store::org::{NewMemberAccount, NewOrganization, OrgPolicy};
use rand::Rng;
use serde_json::{Value, json};

use super::errors::{access_denied, from_fault, from_iam, from_store, invalid};
use super::input::{gate, id, is_account_id, is_request_id, page, required, string};
use super::shapes;
use crate::json::{JsonApiError, JsonCtx, JsonResult};

/// The role CreateAccount creates when the request names none.
pub const DEFAULT_ROLE_NAME: &str = "OrganizationAccountAccessRole";
/// The policy that role gets (spec 2 §2.5: the AWS-managed one).
const ADMIN_POLICY_ARN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
/// Accounts one organization may hold, the management account included.
pub const MAX_ACCOUNTS: u32 = 50;

pub const FULL_ACCESS_CONTENT: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// `prefix` followed by `n` characters of `[a-z0-9]`.
pub fn random_id(prefix: &str, n: usize) -> String {
    let mut rng = rand::rng();
    let mut s = String::with_capacity(prefix.len() + n);
    s.push_str(prefix);
    for _ in 0..n {
        s.push(char::from(
            LOWER_ALNUM[rng.random_range(0..LOWER_ALNUM.len())],
        ));
    }
    s
}

/// A 12-digit account id without a leading zero.
fn new_account_id() -> String {
    let mut rng = rand::rng();
    let mut s = String::with_capacity(12);
    s.push(char::from(b'1' + rng.random_range(0..9u8)));
    for _ in 0..11 {
        s.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    s
}

/// The e-mail rules of the model (spec 2 §2.5).
pub fn valid_email(email: &str) -> bool {
    if !(6..=64).contains(&email.len()) || !email.is_ascii() {
        return false;
    }
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && !local.starts_with('.')
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"\"'()<>[]:;,\\|%&@".contains(c));
    let domain_ok = domain.contains('.')
        && !domain.starts_with(['-', '.'])
        && !domain.ends_with(['-', '.'])
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    local_ok && domain_ok
}

pub async fn create_organization(ctx: &JsonCtx<'_>) -> JsonResult {
    ctx.identity
        .authorize(ctx.caller, &ctx.access("*"))
        .await
        .map_err(from_iam)?;
    let feature_set = string(ctx, "FeatureSet")?.unwrap_or_else(|| "ALL".to_owned());
    if feature_set != "ALL" && feature_set != "CONSOLIDATED_BILLING" {
        return Err(invalid("INVALID_ENUM", "You specified an invalid value."));
    }
    let store = ctx.identity.store();
    let account = ctx.caller.account_id();
    if store.organization().await.map_err(from_store)?.is_some() {
        // One organization per server: an account outside it cannot start another.
        return Err(
            if store
                .org_account(account)
                .await
                .map_err(from_store)?
                .is_some()
            {
                from_fault(hourglass_store::org::OrgFault::OrganizationExists)
            } else {
                access_denied()
            },
        );
    }
    let root_suffix = random_id("", 4);
    let new = NewOrganization {
        org_id: random_id("o-", 10),
        feature_set,
        management_account_id: account.to_owned(),
        management_email: format!("root+{account}@hourglass.invalid"),
        management_name: "management".to_owned(),
        root_id: format!("r-{root_suffix}"),
        created: ctx.identity.clock().now(),
        full_access: OrgPolicy {
            policy_id: "p-FullAWSAccess".into(),
            policy_type: "SERVICE_CONTROL_POLICY".into(),
            name: "FullAWSAccess".into(),
            description: "Allows access to every operation".into(),
            content: FULL_ACCESS_CONTENT.into(),
            aws_managed: true,
        },
    };
    let org = store
        .create_organization(new)
        .await
        .map_err(from_store)?
        .map_err(from_fault)?;
    Ok(json!({"Organization": shapes::organization(&org)}))
}

pub async fn describe_organization(ctx: &JsonCtx<'_>) -> JsonResult {
    let org = gate(ctx, |_| "*".to_owned(), true).await?;
    Ok(json!({"Organization": shapes::organization(&org)}))
}

fn validate_account_name(name: &str) -> Result<(), JsonApiError> {
    if name.is_empty() || name.len() > 50 || !name.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(invalid(
            if name.len() > 50 {
                "MAX_LENGTH_EXCEEDED"
            } else {
                "INVALID_PATTERN"
            },
            "You provided a value that does not match the required pattern.",
        ));
    }
    Ok(())
}

fn validate_role_name(name: &str) -> Result<(), JsonApiError> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    {
        return Err(invalid(
            "INVALID_ROLE_NAME",
            "You provided a role name that isn't valid.",
        ));
    }
    Ok(())
}

fn validate_tags(ctx: &JsonCtx<'_>) -> Result<(), JsonApiError> {
    let Some(tags) = ctx.input.get("Tags") else {
        return Ok(());
    };
    let Value::Array(tags) = tags else {
        return Err(JsonApiError::new(
            400,
            "SerializationException",
            "Expected a list for Tags.",
        ));
    };
    let mut keys = Vec::with_capacity(tags.len());
    for t in tags {
        let key = t.get("Key").and_then(Value::as_str);
        let value = t.get("Value").and_then(Value::as_str);
        match (key, value) {
            (Some(k), Some(v)) if (1..=128).contains(&k.len()) && v.len() <= 256 => {
                if keys.contains(&k) {
                    return Err(invalid(
                        "DUPLICATE_TAG_KEY",
                        "You provided duplicate tag keys.",
                    ));
                }
                keys.push(k);
            }
            _ => {
                return Err(invalid(
                    "INVALID_INPUT",
                    "You provided a tag that is not valid.",
                ));
            }
        }
    }
    if keys.len() > 50 {
        return Err(invalid(
            "TAG_KEY_VALUE_LIMIT_EXCEEDED",
            "You can't attach more than 50 tags to a resource.",
        ));
    }
    Ok(())
}

pub async fn create_account(ctx: &JsonCtx<'_>) -> JsonResult {
    gate(ctx, |_| "*".to_owned(), false).await?;
    let email = required(ctx, "Email")?;
    let name = required(ctx, "AccountName")?;
    if !valid_email(&email) {
        return Err(invalid(
            "INVALID_EMAIL_ADDRESS_TARGET",
            "You provided an email address that isn't valid.",
        ));
    }
    validate_account_name(&name)?;
    let role_name = string(ctx, "RoleName")?.unwrap_or_else(|| DEFAULT_ROLE_NAME.to_owned());
    validate_role_name(&role_name)?;
    if let Some(b) = string(ctx, "IamUserAccessToBilling")?
        && b != "ALLOW"
        && b != "DENY"
    {
        return Err(invalid("INVALID_ENUM", "You specified an invalid value."));
    }
    validate_tags(ctx)?;
    let management = ctx.caller.account_id();
    let account_id = new_account_id();
    let now = ctx.identity.clock().now();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{management}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let new = NewMemberAccount {
        request_id: format!("car-{}", random_id("", 32)),
        account_id: account_id.clone(),
        name,
        email,
        requested: now,
        role: NewRole {
            account_id: account_id.clone(),
            role_id: new_id(IdKind::Role),
            name: role_name.clone(),
            path: "/".into(),
            arn: format!("arn:aws:iam::{account_id}:role/{role_name}"),
            create_date: now,
            assume_role_policy_document: trust,
            description: None,
            max_session_duration: 3600,
            permissions_boundary: None,
            tags: Vec::new(),
        },
        role_policy_arn: ADMIN_POLICY_ARN.into(),
        max_accounts: MAX_ACCOUNTS,
    };
    // The role's policy is AWS managed: in the store only once something has used it.
    ctx.identity
        .ensure_aws_managed_policy(ADMIN_POLICY_ARN)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "AWS managed policy for the member account role");
            JsonApiError::internal()
        })?;
    let status = ctx
        .identity
        .store()
        .create_member_account(new)
        .await
        .map_err(from_store)?
        .map_err(from_fault)?;
    if let Some(a) = &status.account_id {
        tracing::info!(account = %a, request = %status.request_id, "created member account");
    }
    // AWS answers before the account exists; the first status query reports the outcome.
    Ok(json!({"CreateAccountStatus": shapes::status(&status, true)}))
}

pub async fn describe_create_account_status(ctx: &JsonCtx<'_>) -> JsonResult {
    gate(ctx, |_| "*".to_owned(), false).await?;
    let request_id = id(ctx, "CreateAccountRequestId", is_request_id)?;
    let status = ctx
        .identity
        .store()
        .create_account_status(&request_id)
        .await
        .map_err(from_store)?
        .ok_or_else(|| {
            JsonApiError::new(
                400,
                "CreateAccountStatusNotFoundException",
                "We can't find an create account request with the CreateAccountRequestId that you specified.",
            )
        })?;
    Ok(json!({"CreateAccountStatus": shapes::status(&status, false)}))
}

pub async fn list_create_account_status(ctx: &JsonCtx<'_>) -> JsonResult {
    gate(ctx, |_| "*".to_owned(), false).await?;
    let states: Option<Vec<String>> = match ctx.input.get("States") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for s in items {
                match s.as_str() {
                    Some(v @ ("IN_PROGRESS" | "SUCCEEDED" | "FAILED")) => out.push(v.to_owned()),
                    _ => return Err(invalid("INVALID_ENUM", "You specified an invalid value.")),
                }
            }
            Some(out)
        }
        Some(_) => {
            return Err(JsonApiError::new(
                400,
                "SerializationException",
                "Expected a list for States.",
            ));
        }
    };
    let all = ctx
        .identity
        .store()
        .create_account_statuses()
        .await
        .map_err(from_store)?;
    let items = all
        .iter()
        .filter(|s| states.as_ref().is_none_or(|w| w.contains(&s.state)))
        .map(|s| shapes::status(s, false))
        .collect();
    page(ctx, "CreateAccountStatuses", items, 20)
}

pub async fn list_accounts(ctx: &JsonCtx<'_>) -> JsonResult {
    let org = gate(ctx, |_| "*".to_owned(), false).await?;
    let accounts = ctx
        .identity
        .store()
        .org_accounts()
        .await
        .map_err(from_store)?;
    let items = accounts.iter().map(|a| shapes::account(&org, a)).collect();
    page(ctx, "Accounts", items, 20)
}

pub async fn describe_account(ctx: &JsonCtx<'_>) -> JsonResult {
    let raw = string(ctx, "AccountId")?.unwrap_or_default();
    let org = gate(ctx, |o| shapes::account_arn(o, &raw), false).await?;
    let account_id = id(ctx, "AccountId", is_account_id)?;
    let account = ctx
        .identity
        .store()
        .org_account(&account_id)
        .await
        .map_err(from_store)?
        .ok_or_else(|| from_fault(hourglass_store::org::OrgFault::AccountNotFound))?;
    Ok(json!({"Account": shapes::account(&org, &account)}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_follow_the_model() {
        assert!(valid_email("dev@example.com"));
        assert!(valid_email("a.b+c@sub.example.org"));
        assert!(!valid_email("no-at-sign.example.com"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email(".a@example.com"));
        assert!(!valid_email("a b@example.com"));
        assert!(!valid_email("a@-example.com"));
        assert!(!valid_email("a@@example.com"));
    }

    #[test]
    fn generated_ids_match_their_patterns() {
        let a = new_account_id();
        assert!(super::super::input::is_account_id(&a) && !a.starts_with('0'));
        assert!(super::super::input::is_request_id(&format!(
            "car-{}",
            random_id("", 32)
        )));
    }
}
