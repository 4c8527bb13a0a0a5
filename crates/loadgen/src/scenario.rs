//! The scenarios: what to set up before a run, and which request each worker sends.

use bytes::Bytes;
use clap::ValueEnum;

use crate::client::{ClientError, Conn, Response, xml_element};
use crate::request::{Op, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// STS GetCallerIdentity (Query POST).
    GetCallerIdentity,
    /// IAM ListUsers over ten users.
    ListUsers,
    /// IAM GetUser of one user.
    GetUser,
    /// STS AssumeRole of a role trusting the account.
    AssumeRole,
    /// S3 PutObject of small objects (`--object-size`).
    S3Put,
    /// S3 GetObject of one small object.
    S3Get,
    /// S3 PutObject of large objects (`--large-size`), one key per connection, overwritten.
    S3PutLarge,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Self::GetCallerIdentity => "get-caller-identity",
            Self::ListUsers => "list-users",
            Self::GetUser => "get-user",
            Self::AssumeRole => "assume-role",
            Self::S3Put => "s3-put",
            Self::S3Get => "s3-get",
            Self::S3PutLarge => "s3-put-large",
        }
    }
}

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

/// Scenario options.
#[derive(Debug, Clone)]
pub struct ScenarioOpts {
    pub role_arn: Option<String>,
    pub object_size: usize,
    pub large_size: usize,
    pub bucket: String,
}

/// How each request is derived from the template.
#[derive(Debug)]
pub enum Prepared {
    /// The same request every time.
    Fixed(Op),
    /// A new key per request, cycling over `keys` keys per worker.
    KeyPerRequest {
        template: Op,
        prefix: String,
        keys: u64,
    },
}

impl Prepared {
    pub fn op(&self, worker: usize, seq: u64) -> std::borrow::Cow<'_, Op> {
        match self {
            Self::Fixed(op) => std::borrow::Cow::Borrowed(op),
            Self::KeyPerRequest {
                template,
                prefix,
                keys,
            } => std::borrow::Cow::Owned(
                template.with_path(format!("{prefix}{worker}-{}", seq % (*keys).max(1))),
            ),
        }
    }
}

/// Setup either prepares the run or finds the target does not implement the scenario.
pub enum Setup {
    /// Ready to run, with the credentials to run under when they differ from the caller's.
    Ready(Box<Prepared>, Option<Target>),
    Skip(String),
}

async fn call(conn: &mut Conn, target: &Target, op: &Op) -> Result<Response, ClientError> {
    let head = op.head(target);
    conn.send(&head, &op.body).await
}

/// Calls and accepts 2xx or one of the given error codes.
async fn call_ok(
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

/// Whether an answer says the operation is not implemented (yet).
fn not_implemented(resp: &Response) -> Option<String> {
    let code = resp.error_code();
    if resp.status == 501
        || matches!(
            code.as_deref(),
            Some("InvalidAction" | "NotImplemented" | "UnknownOperation")
        )
    {
        Some(format!(
            "the server answered HTTP {} {}",
            resp.status,
            code.unwrap_or_default()
        ))
    } else {
        None
    }
}

const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"PRINCIPAL"},"Action":"sts:AssumeRole"}]}"#;

/// Creates what the scenario needs and checks one request of it succeeds.
pub async fn prepare(
    scenario: Scenario,
    target: &Target,
    conn: &mut Conn,
    opts: &ScenarioOpts,
) -> Result<Setup, SetupError> {
    let mut run_as: Option<Target> = None;
    let prepared = match scenario {
        Scenario::GetCallerIdentity => Prepared::Fixed(Op::query("sts", "GetCallerIdentity", &[])),
        Scenario::ListUsers | Scenario::GetUser => {
            let count = if scenario == Scenario::ListUsers {
                10
            } else {
                1
            };
            for i in 0..count {
                let name = format!("lg-user-{i:02}");
                let op = Op::query("iam", "CreateUser", &[("UserName", &name)]);
                call_ok(conn, target, &op, "CreateUser", &["EntityAlreadyExists"]).await?;
            }
            if scenario == Scenario::ListUsers {
                Prepared::Fixed(Op::query("iam", "ListUsers", &[]))
            } else {
                Prepared::Fixed(Op::query("iam", "GetUser", &[("UserName", "lg-user-00")]))
            }
        }
        Scenario::AssumeRole => {
            let arn = match &opts.role_arn {
                Some(arn) => arn.clone(),
                None => {
                    // Root may not assume roles: create a user with a key, and a role
                    // trusting that user. Unique names so reruns on one server work.
                    let gci = Op::query("sts", "GetCallerIdentity", &[]);
                    let resp = call_ok(conn, target, &gci, "GetCallerIdentity", &[]).await?;
                    let account = xml_element(&String::from_utf8_lossy(&resp.body), "Account")
                        .unwrap_or_else(|| "123456789012".into());
                    let token = unique_suffix();
                    let user = format!("lg-assumer-{token}");
                    let op = Op::query("iam", "CreateUser", &[("UserName", &user)]);
                    call_ok(conn, target, &op, "CreateUser", &[]).await?;
                    let op = Op::query("iam", "CreateAccessKey", &[("UserName", &user)]);
                    let resp = call_ok(conn, target, &op, "CreateAccessKey", &[]).await?;
                    let doc = String::from_utf8_lossy(&resp.body);
                    let (Some(akid), Some(secret)) = (
                        xml_element(&doc, "AccessKeyId"),
                        xml_element(&doc, "SecretAccessKey"),
                    ) else {
                        return Err(SetupError::Refused {
                            step: "CreateAccessKey".into(),
                            status: resp.status,
                            body: "no AccessKeyId/SecretAccessKey in the answer".into(),
                        });
                    };
                    let role = format!("lg-role-{token}");
                    let policy = TRUST_POLICY
                        .replace("PRINCIPAL", &format!("arn:aws:iam::{account}:user/{user}"));
                    let op = Op::query(
                        "iam",
                        "CreateRole",
                        &[("RoleName", &role), ("AssumeRolePolicyDocument", &policy)],
                    );
                    call_ok(conn, target, &op, "CreateRole", &[]).await?;
                    run_as = Some(Target {
                        access_key_id: akid,
                        secret_access_key: secret,
                        session_token: None,
                        ..target.clone()
                    });
                    format!("arn:aws:iam::{account}:role/{role}")
                }
            };
            Prepared::Fixed(Op::query(
                "sts",
                "AssumeRole",
                &[("RoleArn", &arn), ("RoleSessionName", "loadgen")],
            ))
        }
        Scenario::S3Put | Scenario::S3Get | Scenario::S3PutLarge => {
            let create = Op::s3("PUT", format!("/{}", opts.bucket), Bytes::new());
            let resp = call(conn, target, &create).await?;
            if let Some(why) = not_implemented(&resp) {
                return Ok(Setup::Skip(format!("CreateBucket: {why}")));
            }
            let ok = (200..300).contains(&resp.status)
                || resp.error_code().as_deref() == Some("BucketAlreadyOwnedByYou");
            if !ok {
                return Err(SetupError::Refused {
                    step: "CreateBucket".into(),
                    status: resp.status,
                    body: resp.snippet(),
                });
            }
            match scenario {
                Scenario::S3Put => Prepared::KeyPerRequest {
                    template: Op::s3(
                        "PUT",
                        String::new(),
                        Bytes::from(vec![b'x'; opts.object_size]),
                    ),
                    prefix: format!("/{}/small-", opts.bucket),
                    keys: 256,
                },
                Scenario::S3Get => {
                    let path = format!("/{}/get-object", opts.bucket);
                    let put = Op::s3(
                        "PUT",
                        path.clone(),
                        Bytes::from(vec![b'x'; opts.object_size]),
                    );
                    call_ok(conn, target, &put, "PutObject", &[]).await?;
                    Prepared::Fixed(Op::s3("GET", path, Bytes::new()))
                }
                _ => Prepared::KeyPerRequest {
                    template: Op::s3(
                        "PUT",
                        String::new(),
                        Bytes::from(vec![b'x'; opts.large_size]),
                    ),
                    prefix: format!("/{}/large-", opts.bucket),
                    keys: 1,
                },
            }
        }
    };
    // One probe of the measured request.
    let probe = prepared.op(0, 0);
    let resp = call(conn, run_as.as_ref().unwrap_or(target), &probe).await?;
    if let Some(why) = not_implemented(&resp) {
        return Ok(Setup::Skip(format!("{}: {why}", scenario.name())));
    }
    if !(200..300).contains(&resp.status) {
        return Err(SetupError::Refused {
            step: scenario.name().into(),
            status: resp.status,
            body: resp.snippet(),
        });
    }
    Ok(Setup::Ready(Box::new(prepared), run_as))
}

/// A short token unique to this process and moment, for resource names.
fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}{:x}", std::process::id(), nanos % 0xffff_ffff)
}
