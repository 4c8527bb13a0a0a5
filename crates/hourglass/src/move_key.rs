//! `hourglass move-key-to-role`: move an IAM user's long-lived key to a role. Through the
//! public API only (any client could do the same): copy the user's permissions onto a new
//! role, let the user assume it, print the `~/.aws/config` profile to switch to, and — when
//! asked — retire the old key once the audit log shows the role in use and the key idle.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use clap::Args;
use serde_json::{Value, json};

use crate::client::{Client, ClientError, StaticCredentials, members, policy_document, text};

/// Marks the roles this command made, so that a re-run reuses its own role and never takes
/// over an unrelated one.
const TAG_KEY: &str = "hourglass:moved-from-user";
/// LookupEvents pages walked at most (50 events each).
const MAX_PAGES: usize = 400;
const MAX_NAME: usize = 128;
const MAX_ROLE_NAME: usize = 64;

#[derive(Debug, Args)]
pub struct MoveKeyArgs {
    /// The IAM user whose access key moves to a role.
    #[arg(long)]
    user: String,
    /// Name of the role to create [default: USER-role].
    #[arg(long)]
    role_name: Option<String>,
    /// Who may assume the role: `account` (any principal of the account that is allowed
    /// sts:AssumeRole, the default) or principal ARNs; the user is always added to ARNs.
    #[arg(long, num_args = 1.., default_value = "account")]
    trust: Vec<String>,
    /// The server, e.g. http://127.0.0.1:9000.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    endpoint_url: String,
    /// Profile holding the operator's credentials [default: the environment, then `default`].
    #[arg(long)]
    profile: Option<String>,
    /// The profile holding the user's key, written as `source_profile` [default: default].
    #[arg(long, default_value = "default")]
    source_profile: String,
    /// The region written in the printed profile.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    /// The key to retire when the user has more than one.
    #[arg(long)]
    access_key_id: Option<String>,
    /// The key must be idle (only AssumeRole of the role) since this time (RFC 3339)
    /// [default: the key's first AssumeRole of the role].
    #[arg(long)]
    idle_since: Option<DateTime<Utc>>,
    /// Deactivate the old key, if the role is in use and the key idle.
    #[arg(long)]
    deactivate_old_key: bool,
    /// Delete the old key (deactivating it first), if the role is in use and the key idle.
    #[arg(long)]
    delete_old_key: bool,
}

/// What the user may do, gathered from the user and its groups.
#[derive(Debug, Default)]
struct Permissions {
    /// Inline policies to copy: (name on the role, document).
    inline: Vec<(String, String)>,
    /// Managed policies to attach.
    managed: Vec<String>,
    boundary: Option<String>,
}

pub fn run(args: MoveKeyArgs) -> Result<(), String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?
        .block_on(run_async(args))
}

async fn run_async(args: MoveKeyArgs) -> Result<(), String> {
    let (creds, _) = StaticCredentials::resolve(args.profile.as_deref()).map_err(err)?;
    let client = Client::new(&args.endpoint_url, creds).map_err(err)?;
    let user = client
        .iam("GetUser", &[("UserName", &args.user)])
        .await
        .map_err(err)?;
    let user = user.child("User").ok_or("GetUser: answer lacks User")?;
    let user_arn = text(user, "Arn").map_err(err)?.to_owned();
    let account = user_arn
        .split(':')
        .nth(4)
        .ok_or("GetUser: malformed user ARN")?
        .to_owned();
    let role_name = match &args.role_name {
        Some(r) => r.clone(),
        None if args.user.len() + 5 <= MAX_ROLE_NAME => format!("{}-role", args.user),
        None => return Err("the user name is too long for USER-role: give --role-name".into()),
    };
    let mut perms = gather(&client, &args.user).await?;
    perms.boundary = user
        .child("PermissionsBoundary")
        .and_then(|b| b.child_text("PermissionsBoundaryArn"))
        .map(str::to_owned);
    let trust = trust_policy(&args.trust, &account, &user_arn)?;
    let (role_arn, created) = ensure_role(&client, &role_name, &args.user, &trust, &perms).await?;
    copy_permissions(&client, &role_name, &perms).await?;
    let grant = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]})
    .to_string();
    let grant_name = format!("hourglass-assume-{role_name}");
    client
        .iam(
            "PutUserPolicy",
            &[
                ("UserName", &args.user),
                ("PolicyName", &grant_name),
                ("PolicyDocument", &grant),
            ],
        )
        .await
        .map_err(err)?;
    println!(
        "role {role_arn}: {} inline and {} managed policies{}; user {} may assume it (inline policy {grant_name})",
        perms.inline.len(),
        perms.managed.len(),
        perms
            .boundary
            .as_deref()
            .map(|b| format!(", boundary {b}"))
            .unwrap_or_default(),
        args.user,
    );
    println!("\n# ~/.aws/config: switch the application to this profile");
    println!("[profile {role_name}]");
    println!("role_arn = {role_arn}");
    println!("source_profile = {}", args.source_profile);
    println!("region = {}", args.region);
    println!(
        "endpoint_url = {}\n",
        args.endpoint_url.trim_end_matches('/')
    );
    if args.deactivate_old_key || args.delete_old_key {
        retire_key(&client, &args, &role_arn, created).await?;
    }
    Ok(())
}

fn err(e: ClientError) -> String {
    e.to_string()
}

/// Every call of a paginated IAM list (`Marker`/`IsTruncated`), concatenated: the members of
/// `list` in each page.
async fn list_all(
    client: &Client,
    action: &str,
    params: &[(&str, &str)],
    list: &str,
) -> Result<Vec<hourglass_wire::xml::Element>, String> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut p = params.to_vec();
        if let Some(m) = &marker {
            p.push(("Marker", m));
        }
        let page = client.iam(action, &p).await.map_err(err)?;
        out.extend(members(&page, list).into_iter().cloned());
        match (page.child_text("IsTruncated"), page.child_text("Marker")) {
            (Some("true"), Some(m)) => marker = Some(m.to_owned()),
            _ => return Ok(out),
        }
    }
}

async fn gather(client: &Client, user: &str) -> Result<Permissions, String> {
    let mut p = Permissions::default();
    for name in list_all(
        client,
        "ListUserPolicies",
        &[("UserName", user)],
        "PolicyNames",
    )
    .await?
    {
        let doc = client
            .iam(
                "GetUserPolicy",
                &[("UserName", user), ("PolicyName", &name.text)],
            )
            .await
            .map_err(err)?;
        let doc = policy_document(text(&doc, "PolicyDocument").map_err(err)?);
        p.inline.push((name.text, doc));
    }
    let attached = list_all(
        client,
        "ListAttachedUserPolicies",
        &[("UserName", user)],
        "AttachedPolicies",
    )
    .await?;
    p.managed.extend(
        attached
            .iter()
            .filter_map(|a| a.child_text("PolicyArn").map(str::to_owned)),
    );
    for group in list_all(client, "ListGroupsForUser", &[("UserName", user)], "Groups").await? {
        let group = text(&group, "GroupName").map_err(err)?.to_owned();
        let g = [("GroupName", group.as_str())];
        for name in list_all(client, "ListGroupPolicies", &g, "PolicyNames").await? {
            let doc = client
                .iam(
                    "GetGroupPolicy",
                    &[("GroupName", &group), ("PolicyName", &name.text)],
                )
                .await
                .map_err(err)?;
            let doc = policy_document(text(&doc, "PolicyDocument").map_err(err)?);
            // Named for where it came from; a role's policy names share one namespace.
            let copied = format!("group-{group}-{}", name.text);
            if copied.len() > MAX_NAME {
                return Err(format!(
                    "group {group}'s policy {} gives a name longer than {MAX_NAME} characters on the role",
                    name.text
                ));
            }
            p.inline.push((copied, doc));
        }
        for a in list_all(client, "ListAttachedGroupPolicies", &g, "AttachedPolicies").await? {
            if let Some(arn) = a.child_text("PolicyArn") {
                p.managed.push(arn.to_owned());
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    p.managed.retain(|a| seen.insert(a.clone()));
    let mut names = std::collections::BTreeSet::new();
    if let Some((dup, _)) = p.inline.iter().find(|(n, _)| !names.insert(n.clone())) {
        return Err(format!(
            "two policies would be copied to the role as {dup}: rename one of them"
        ));
    }
    Ok(p)
}

/// The role's trust policy: the account's root (every principal of the account whose own
/// policies allow sts:AssumeRole on the role), and/or the named principals plus the user.
fn trust_policy(trust: &[String], account: &str, user_arn: &str) -> Result<String, String> {
    let mut principals: Vec<String> = Vec::new();
    let mut named = false;
    for t in trust {
        let p = if t == "account" {
            format!("arn:aws:iam::{account}:root")
        } else if t.starts_with("arn:") || (t.len() == 12 && t.bytes().all(|b| b.is_ascii_digit()))
        {
            named = true;
            t.clone()
        } else {
            return Err(format!(
                "--trust {t}: give `account`, a principal ARN or an account id"
            ));
        };
        if !principals.contains(&p) {
            principals.push(p);
        }
    }
    if named && !principals.iter().any(|p| p == user_arn) {
        principals.push(user_arn.to_owned());
    }
    let principal = match principals.as_slice() {
        [one] => Value::String(one.clone()),
        many => json!(many),
    };
    Ok(json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]})
    .to_string())
}

/// Creates the role, or reuses the one an earlier run made for this user (its trust policy
/// and boundary brought up to date). Returns its ARN and creation time.
async fn ensure_role(
    client: &Client,
    role: &str,
    user: &str,
    trust: &str,
    perms: &Permissions,
) -> Result<(String, DateTime<Utc>), String> {
    let description = format!("Access of IAM user {user}, moved from its access key");
    let mut params = vec![
        ("RoleName", role),
        ("AssumeRolePolicyDocument", trust),
        ("Description", description.as_str()),
        ("Tags.member.1.Key", TAG_KEY),
        ("Tags.member.1.Value", user),
    ];
    if let Some(b) = &perms.boundary {
        params.push(("PermissionsBoundary", b));
    }
    let answer = match client.iam("CreateRole", &params).await {
        Ok(a) => a,
        Err(e) if e.code() == Some("EntityAlreadyExists") => {
            let got = client
                .iam("GetRole", &[("RoleName", role)])
                .await
                .map_err(err)?;
            let tags = client
                .iam("ListRoleTags", &[("RoleName", role)])
                .await
                .map_err(err)?;
            let ours = members(&tags, "Tags").iter().any(|t| {
                t.child_text("Key") == Some(TAG_KEY) && t.child_text("Value") == Some(user)
            });
            if !ours {
                return Err(format!(
                    "role {role} exists and was not made for user {user} by this command: choose another --role-name"
                ));
            }
            client
                .iam(
                    "UpdateAssumeRolePolicy",
                    &[("RoleName", role), ("PolicyDocument", trust)],
                )
                .await
                .map_err(err)?;
            if let Some(b) = &perms.boundary {
                client
                    .iam(
                        "PutRolePermissionsBoundary",
                        &[("RoleName", role), ("PermissionsBoundary", b)],
                    )
                    .await
                    .map_err(err)?;
            }
            got
        }
        Err(e) => return Err(format!("CreateRole {role}: {e}")),
    };
    let r = answer.child("Role").ok_or("answer lacks Role")?;
    let arn = text(r, "Arn").map_err(err)?.to_owned();
    let created = DateTime::parse_from_rfc3339(text(r, "CreateDate").map_err(err)?)
        .map_err(|e| format!("role CreateDate: {e}"))?
        .with_timezone(&Utc);
    Ok((arn, created))
}

/// Copies are idempotent: a re-run overwrites inline policies and re-attaches (it never
/// removes what the role already has).
async fn copy_permissions(client: &Client, role: &str, perms: &Permissions) -> Result<(), String> {
    for (name, doc) in &perms.inline {
        client
            .iam(
                "PutRolePolicy",
                &[
                    ("RoleName", role),
                    ("PolicyName", name),
                    ("PolicyDocument", doc),
                ],
            )
            .await
            .map_err(|e| format!("PutRolePolicy {name}: {e}"))?;
    }
    for arn in &perms.managed {
        client
            .iam(
                "AttachRolePolicy",
                &[("RoleName", role), ("PolicyArn", arn)],
            )
            .await
            .map_err(|e| format!("AttachRolePolicy {arn}: {e}"))?;
    }
    Ok(())
}

/// One event of the key, as far as the decision needs it.
#[derive(Debug)]
struct KeyEvent {
    time: i64,
    name: String,
    role_arn: Option<String>,
    error: Option<String>,
}

async fn key_events(client: &Client, key: &str, since: i64) -> Result<Vec<KeyEvent>, String> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut input = json!({
            "LookupAttributes": [{"AttributeKey": "AccessKeyId", "AttributeValue": key}],
            "StartTime": since,
            "MaxResults": 50,
        });
        if let Some(t) = &token {
            input["NextToken"] = Value::String(t.clone());
        }
        let page = client
            .json("cloudtrail", "CloudTrail_20131101.LookupEvents", &input)
            .await
            .map_err(|e| format!("LookupEvents: {e}"))?;
        for e in page["Events"].as_array().into_iter().flatten() {
            let record: Value = e["CloudTrailEvent"]
                .as_str()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or(Value::Null);
            out.push(KeyEvent {
                time: e["EventTime"].as_f64().unwrap_or_default() as i64,
                name: e["EventName"].as_str().unwrap_or_default().to_owned(),
                role_arn: record["requestParameters"]["roleArn"]
                    .as_str()
                    .map(str::to_owned),
                error: record["errorCode"].as_str().map(str::to_owned),
            });
        }
        match page["NextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => return Ok(out),
        }
    }
    Err(format!(
        "the key has more than {} events since {}: pass a later --idle-since",
        MAX_PAGES * 50,
        fmt_time(since)
    ))
}

fn fmt_time(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| secs.to_string())
}

/// Why the key may not be retired yet, or `None` when it may: the key assumed the role
/// successfully (role in use) and, after the cutoff, made no call but AssumeRole of the role.
/// The default cutoff is the first successful AssumeRole; calls in that same second count as
/// before it (event times are whole seconds).
fn verdict(events: &[KeyEvent], role_arn: &str, idle_since: Option<i64>) -> Result<i64, String> {
    let assumes_role =
        |e: &KeyEvent| e.name == "AssumeRole" && e.role_arn.as_deref() == Some(role_arn);
    let first = events
        .iter()
        .filter(|e| assumes_role(e) && e.error.is_none())
        .map(|e| e.time)
        .min()
        .ok_or_else(|| format!("the role is not in use yet: no successful AssumeRole of {role_arn} with this key in the audit log"))?;
    let (cutoff, used) = match idle_since {
        Some(t) => (
            t,
            events
                .iter()
                .filter(|e| e.time >= t && !assumes_role(e))
                .collect::<Vec<_>>(),
        ),
        None => (
            first,
            events
                .iter()
                .filter(|e| e.time > first && !assumes_role(e))
                .collect(),
        ),
    };
    if used.is_empty() {
        return Ok(cutoff);
    }
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    for e in &used {
        let label = match &e.error {
            Some(code) => format!("{} {code}", e.name),
            None => e.name.clone(),
        };
        *by_name.entry(label).or_default() += 1;
    }
    let list: Vec<String> = by_name.iter().map(|(n, c)| format!("{n} x{c}")).collect();
    let last = used.iter().map(|e| e.time).max().unwrap_or(cutoff);
    Err(format!(
        "the key is not idle: {} call(s) other than AssumeRole of the role since {} (last at {}): {}",
        used.len(),
        fmt_time(cutoff),
        fmt_time(last),
        list.join(", ")
    ))
}

async fn retire_key(
    client: &Client,
    args: &MoveKeyArgs,
    role_arn: &str,
    role_created: DateTime<Utc>,
) -> Result<(), String> {
    let keys = list_all(
        client,
        "ListAccessKeys",
        &[("UserName", &args.user)],
        "AccessKeyMetadata",
    )
    .await?;
    let ids: Vec<&str> = keys
        .iter()
        .filter_map(|k| k.child_text("AccessKeyId"))
        .collect();
    let key = match (&args.access_key_id, ids.as_slice()) {
        (Some(k), _) if ids.contains(&k.as_str()) => k.clone(),
        (Some(k), _) => return Err(format!("{k} is not an access key of user {}", args.user)),
        (None, [one]) => (*one).to_owned(),
        (None, []) => return Err(format!("user {} has no access key", args.user)),
        (None, _) => {
            return Err(format!(
                "user {} has {} access keys: name the one to retire with --access-key-id",
                args.user,
                ids.len()
            ));
        }
    };
    if key == client.access_key_id() {
        return Err(format!("{key} is the key this command signs with"));
    }
    let idle_since = args.idle_since.map(|t| t.timestamp());
    let since = idle_since.map_or(role_created.timestamp(), |t| {
        t.min(role_created.timestamp())
    });
    let events = key_events(client, &key, since).await?;
    let cutoff = verdict(&events, role_arn, idle_since)
        .map_err(|why| format!("{key} left as it is: {why}"))?;
    println!(
        "{key}: the role is in use and the key made no other call since {}",
        fmt_time(cutoff)
    );
    let user = args.user.as_str();
    client
        .iam(
            "UpdateAccessKey",
            &[
                ("UserName", user),
                ("AccessKeyId", &key),
                ("Status", "Inactive"),
            ],
        )
        .await
        .map_err(err)?;
    println!("{key}: deactivated");
    if args.delete_old_key {
        client
            .iam(
                "DeleteAccessKey",
                &[("UserName", user), ("AccessKeyId", &key)],
            )
            .await
            .map_err(err)?;
        println!("{key}: deleted");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const ROLE: &str = "arn:aws:iam::123456789012:role/app-role";

    fn ev(time: i64, name: &str, role: Option<&str>, error: Option<&str>) -> KeyEvent {
        KeyEvent {
            time,
            name: name.into(),
            role_arn: role.map(Into::into),
            error: error.map(Into::into),
        }
    }

    #[test]
    fn in_use_and_idle() {
        let events = [
            ev(30, "AssumeRole", Some(ROLE), None),
            ev(20, "AssumeRole", Some(ROLE), None),
            ev(20, "PutObject", None, None),
            ev(10, "GetObject", None, None),
        ];
        assert_eq!(verdict(&events, ROLE, None), Ok(20));
        // An explicit cutoff counts the calls of its own second.
        assert!(verdict(&events, ROLE, Some(20)).is_err());
        assert_eq!(verdict(&events, ROLE, Some(21)), Ok(21));
    }

    #[test]
    fn not_in_use_or_still_used() {
        let failed = [ev(20, "AssumeRole", Some(ROLE), Some("AccessDenied"))];
        assert!(
            verdict(&failed, ROLE, None)
                .unwrap_err()
                .contains("not in use")
        );
        let other_role = [ev(20, "AssumeRole", Some("arn:aws:iam::1:role/x"), None)];
        assert!(verdict(&other_role, ROLE, None).is_err());
        let used = [
            ev(40, "PutObject", None, Some("AccessDenied")),
            ev(30, "PutObject", None, None),
            ev(20, "AssumeRole", Some(ROLE), None),
        ];
        let why = verdict(&used, ROLE, None).unwrap_err();
        assert!(
            why.contains("PutObject x1") && why.contains("PutObject AccessDenied x1"),
            "{why}"
        );
    }

    #[test]
    fn trust_policies() {
        let user = "arn:aws:iam::123456789012:user/u";
        let t: Value =
            serde_json::from_str(&trust_policy(&["account".into()], "123456789012", user).unwrap())
                .unwrap();
        assert_eq!(
            t["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::123456789012:root"
        );
        let t: Value = serde_json::from_str(
            &trust_policy(
                &["arn:aws:iam::123456789012:role/ci".into()],
                "123456789012",
                user,
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            t["Statement"][0]["Principal"]["AWS"],
            json!(["arn:aws:iam::123456789012:role/ci", user])
        );
        assert!(trust_policy(&["bob".into()], "123456789012", user).is_err());
    }
}
