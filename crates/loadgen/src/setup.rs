//! Setup calls made before a run: signed calls that must succeed, and the IAM user, role and
//! AssumeRole session the scenarios and `--session` run under.

use bytes::Bytes;

use crate::client::{ClientError, Conn, Response, xml_element};
use crate::request::{Op, Target};

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{0}")]
    Client(#[from] ClientError),
    #[error("{step} answered HTTP {status}: {body}")]
    Refused {
        step: String,
        status: u16,
        body: String,
    },
}

pub async fn call(conn: &mut Conn, target: &Target, op: &Op) -> Result<Response, ClientError> {
    let head = op.head(target);
    conn.send(&head, &op.body).await
}

/// Calls and accepts 2xx or one of the given error codes.
pub async fn call_ok(
    conn: &mut Conn,
    target: &Target,
    op: &Op,
    step: &str,
    tolerated: &[&str],
) -> Result<Response, SetupError> {
    let resp = call(conn, target, op).await?;
    if (200..300).contains(&resp.status)
        || resp
            .error_code()
            .is_some_and(|c| tolerated.contains(&c.as_str()))
    {
        Ok(resp)
    } else {
        Err(SetupError::Refused {
            step: step.to_string(),
            status: resp.status,
            body: resp.snippet(),
        })
    }
}

/// The text of each named element of an answer, or `Refused` naming what is missing.
fn elements<const N: usize>(
    resp: &Response,
    step: &str,
    names: [&str; N],
) -> Result<[String; N], SetupError> {
    let doc = String::from_utf8_lossy(&resp.body);
    let mut out: [String; N] = std::array::from_fn(|_| String::new());
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = xml_element(&doc, name).ok_or_else(|| SetupError::Refused {
            step: step.into(),
            status: resp.status,
            body: format!("no {name} in the answer"),
        })?;
    }
    Ok(out)
}

const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"PRINCIPAL"},"Action":"sts:AssumeRole"}]}"#;

/// What the `--session` role may do: everything the scenarios call.
const SESSION_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","iam:*","sts:*"],"Resource":"*"}]}"#;

/// A user with its own access key and a role that trusts it.
pub struct Assumer {
    /// Signs as the new user.
    pub user: Target,
    pub user_name: String,
    pub role_arn: String,
}

/// Creates a user, its access key and a role trusting it. Root may not assume roles, hence
/// the user; unique names so reruns against one server work.
pub async fn create_assumer(
    conn: &mut Conn,
    target: &Target,
    role_policy: Option<&str>,
) -> Result<Assumer, SetupError> {
    let gci = Op::query("sts", "GetCallerIdentity", &[]);
    let resp = call_ok(conn, target, &gci, "GetCallerIdentity", &[]).await?;
    let [account] = elements(&resp, "GetCallerIdentity", ["Account"])?;
    let token = unique_suffix();
    let user = format!("lg-assumer-{token}");
    let op = Op::query("iam", "CreateUser", &[("UserName", &user)]);
    call_ok(conn, target, &op, "CreateUser", &[]).await?;
    let op = Op::query("iam", "CreateAccessKey", &[("UserName", &user)]);
    let resp = call_ok(conn, target, &op, "CreateAccessKey", &[]).await?;
    let [akid, secret] = elements(&resp, "CreateAccessKey", ["AccessKeyId", "SecretAccessKey"])?;
    let role = format!("lg-role-{token}");
    let trust = TRUST_POLICY.replace("PRINCIPAL", &format!("arn:aws:iam::{account}:user/{user}"));
    let op = Op::query(
        "iam",
        "CreateRole",
        &[("RoleName", &role), ("AssumeRolePolicyDocument", &trust)],
    );
    call_ok(conn, target, &op, "CreateRole", &[]).await?;
    if let Some(policy) = role_policy {
        let op = Op::query(
            "iam",
            "PutRolePolicy",
            &[
                ("RoleName", &role),
                ("PolicyName", "loadgen"),
                ("PolicyDocument", policy),
            ],
        );
        call_ok(conn, target, &op, "PutRolePolicy", &[]).await?;
    }
    Ok(Assumer {
        user: Target {
            access_key_id: akid,
            secret_access_key: secret,
            session_token: None,
            ..target.clone()
        },
        user_name: user,
        role_arn: format!("arn:aws:iam::{account}:role/{role}"),
    })
}

/// Session credentials (`ASIA…` key and token) of a new role allowed `s3:*`, `iam:*` and
/// `sts:*`, so runs measure what session callers cost: token opening on every request.
pub async fn session(conn: &mut Conn, target: &Target) -> Result<Target, SetupError> {
    let assumer = create_assumer(conn, target, Some(SESSION_POLICY)).await?;
    let op = Op::query(
        "sts",
        "AssumeRole",
        &[
            ("RoleArn", &assumer.role_arn),
            ("RoleSessionName", "loadgen"),
            ("DurationSeconds", "3600"),
        ],
    );
    let resp = call_ok(conn, &assumer.user, &op, "AssumeRole", &[]).await?;
    let [akid, secret, token] = elements(
        &resp,
        "AssumeRole",
        ["AccessKeyId", "SecretAccessKey", "SessionToken"],
    )?;
    Ok(Target {
        access_key_id: akid,
        secret_access_key: secret,
        session_token: Some(token),
        ..target.clone()
    })
}

const ORGS: &str = "AWSOrganizationsV20161128";

/// A JSON answer's body, or `Refused`.
fn json_ok(resp: &Response, step: &str) -> Result<serde_json::Value, SetupError> {
    if (200..300).contains(&resp.status) {
        serde_json::from_slice(&resp.body).map_err(|e| SetupError::Refused {
            step: step.into(),
            status: resp.status,
            body: format!("not JSON: {e}"),
        })
    } else {
        Err(SetupError::Refused {
            step: step.into(),
            status: resp.status,
            body: resp.snippet(),
        })
    }
}

/// Credentials of an `OrganizationAccountAccessRole` session in a new member account, whose
/// requests pass two SCP levels (the root's `FullAWSAccess`, and the account's
/// `FullAWSAccess` plus a custom SCP denying `s3:DeleteBucket`). Creates the organization
/// when there is none; returns the session and the account id. `Ok(Err(why))` when the
/// target has no Organizations API.
pub async fn member_session(
    conn: &mut Conn,
    target: &Target,
) -> Result<Result<(Target, String), String>, SetupError> {
    let call_json = |action: &str, body: serde_json::Value| {
        Op::json("organizations", format!("{ORGS}.{action}"), &body)
    };
    let op = call_json(
        "CreateOrganization",
        serde_json::json!({"FeatureSet": "ALL"}),
    );
    let resp = call(conn, target, &op).await?;
    let code = resp
        .body
        .windows(b"AlreadyInOrganizationException".len())
        .any(|w| w == b"AlreadyInOrganizationException");
    if resp.status == 501 || resp.status == 404 || (resp.status == 400 && !code) {
        return Ok(Err(format!(
            "CreateOrganization answered HTTP {}: {}",
            resp.status,
            resp.snippet()
        )));
    }
    let token = unique_suffix();
    let op = call_json(
        "CreateAccount",
        serde_json::json!({"Email": format!("lg-{token}@example.com"), "AccountName": format!("lg-{token}")}),
    );
    let created = json_ok(&call(conn, target, &op).await?, "CreateAccount")?;
    let request_id = created["CreateAccountStatus"]["Id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let op = call_json(
        "DescribeCreateAccountStatus",
        serde_json::json!({"CreateAccountRequestId": request_id}),
    );
    let status = json_ok(
        &call(conn, target, &op).await?,
        "DescribeCreateAccountStatus",
    )?;
    let Some(account) = status["CreateAccountStatus"]["AccountId"].as_str() else {
        return Err(SetupError::Refused {
            step: "DescribeCreateAccountStatus".into(),
            status: 200,
            body: format!("no AccountId in {status}"),
        });
    };
    let account = account.to_owned();
    let scp = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}"#;
    let op = call_json(
        "CreatePolicy",
        serde_json::json!({"Name": format!("lg-{token}"), "Description": "loadgen",
            "Type": "SERVICE_CONTROL_POLICY", "Content": scp}),
    );
    let policy = json_ok(&call(conn, target, &op).await?, "CreatePolicy")?;
    let policy_id = policy["Policy"]["PolicySummary"]["Id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let op = call_json(
        "AttachPolicy",
        serde_json::json!({"PolicyId": policy_id, "TargetId": account}),
    );
    json_ok(&call(conn, target, &op).await?, "AttachPolicy")?;
    // Root may not assume roles: a management-account user allowed sts:AssumeRole does.
    let assumer = create_assumer(conn, target, None).await?;
    let op = Op::query(
        "iam",
        "PutUserPolicy",
        &[
            ("UserName", &assumer.user_name),
            ("PolicyName", "assume-member"),
            (
                "PolicyDocument",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
            ),
        ],
    );
    call_ok(conn, target, &op, "PutUserPolicy", &[]).await?;
    let op = Op::query(
        "sts",
        "AssumeRole",
        &[
            (
                "RoleArn",
                &format!("arn:aws:iam::{account}:role/OrganizationAccountAccessRole"),
            ),
            ("RoleSessionName", "loadgen-member"),
            ("DurationSeconds", "3600"),
        ],
    );
    let resp = call_ok(conn, &assumer.user, &op, "AssumeRole (member)", &[]).await?;
    let [akid, secret, token] = elements(
        &resp,
        "AssumeRole",
        ["AccessKeyId", "SecretAccessKey", "SessionToken"],
    )?;
    let session = Target {
        access_key_id: akid,
        secret_access_key: secret,
        session_token: Some(token),
        ..target.clone()
    };
    Ok(Ok((session, account)))
}

/// A short token unique to this process and moment, for resource names.
fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}{:x}", std::process::id(), nanos % 0xffff_ffff)
}

/// Connections [`fill_bucket`] writes over.
const FILL_CONNECTIONS: u64 = 32;

/// Puts keys `list_key(0)` to `list_key(keys - 1)` (16 bytes each) into `bucket` over
/// [`FILL_CONNECTIONS`] connections, unless the first and last are there already (a rerun
/// against the same server).
pub async fn fill_bucket(
    conn: &mut Conn,
    target: &Target,
    bucket: &str,
    keys: u64,
) -> Result<(), SetupError> {
    use crate::scenario::list_key;
    let Some(last) = keys.checked_sub(1) else {
        return Ok(());
    };
    let mut present = true;
    for n in [0, last] {
        // GET, not HEAD: the client reads a body as long as Content-Length says.
        let get = Op::s3("GET", format!("/{bucket}/{}", list_key(n)), Bytes::new());
        present &= call(conn, target, &get).await?.status == 200;
    }
    if present {
        return Ok(());
    }
    let addr = conn.addr();
    let body = Bytes::from_static(b"0123456789abcdef");
    let mut tasks = tokio::task::JoinSet::new();
    for lane in 0..FILL_CONNECTIONS.min(keys) {
        let target = target.clone();
        let template = Op::s3("PUT", String::new(), body.clone());
        let bucket = bucket.to_owned();
        tasks.spawn(async move {
            let mut conn = Conn::new(addr);
            let mut n = lane;
            while n < keys {
                let op = template.with_path(format!("/{bucket}/{}", list_key(n)));
                call_ok(&mut conn, &target, &op, "PutObject", &[]).await?;
                n += FILL_CONNECTIONS;
            }
            Ok::<(), SetupError>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| SetupError::Refused {
            step: "PutObject".into(),
            status: 0,
            body: format!("fill task failed: {e}"),
        })??;
    }
    Ok(())
}
