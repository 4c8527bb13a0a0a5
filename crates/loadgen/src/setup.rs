//! Setup calls made before a run: signed calls that must succeed, and the IAM user, role and
//! AssumeRole session the scenarios and `--session` run under.

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

/// A short token unique to this process and moment, for resource names.
fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}{:x}", std::process::id(), nanos % 0xffff_ffff)
}
