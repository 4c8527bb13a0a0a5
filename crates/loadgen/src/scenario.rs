//! The scenarios: what to set up before a run, and which request each worker sends.

use bytes::Bytes;
use clap::ValueEnum;

use crate::client::{Conn, Response};
use crate::request::{Op, Target};
use crate::setup::{SetupError, call, call_ok, create_assumer, fill_bucket, member_session};

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
    /// S3 GetObject of one large object (`--large-size`).
    S3GetLarge,
    /// S3 GetObject of one small object in a member account of an organization, as an
    /// `OrganizationAccountAccessRole` session: every request also passes the account's
    /// service control policies (two levels, one custom SCP beside `FullAWSAccess`).
    S3GetMember,
    /// S3 ListObjectsV2 pages of 1,000 keys from anywhere in a bucket of `--list-keys` keys
    /// (filled on first use).
    S3List,
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
            Self::S3GetLarge => "s3-get-large",
            Self::S3GetMember => "s3-get-member",
            Self::S3List => "s3-list",
        }
    }

    /// Whether the figure that matters is bytes per second rather than requests per second.
    pub fn is_throughput(self) -> bool {
        matches!(self, Self::S3PutLarge | Self::S3GetLarge)
    }
}

/// Scenario options.
#[derive(Debug, Clone)]
pub struct ScenarioOpts {
    pub role_arn: Option<String>,
    pub object_size: usize,
    pub large_size: usize,
    pub bucket: String,
    /// Sign S3 bodies as `UNSIGNED-PAYLOAD`.
    pub unsigned_payload: bool,
    /// Keys in the `s3-list` bucket.
    pub list_keys: u64,
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
    /// A ListObjectsV2 page of `page` keys starting after a key spread over `keys` keys
    /// named by [`list_key`], so pages come from the whole bucket.
    PagePerRequest { template: Op, keys: u64, page: u64 },
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
            Self::PagePerRequest {
                template,
                keys,
                page,
            } => {
                // Stride by a prime so consecutive requests read far-apart pages.
                let starts = keys.saturating_sub(*page).max(1);
                let at = (worker as u64)
                    .wrapping_mul(1_000_003)
                    .wrapping_add(seq.wrapping_mul(7_919))
                    % starts;
                std::borrow::Cow::Owned(Op {
                    query: format!("list-type=2&max-keys={page}&start-after={}", list_key(at)),
                    ..template.clone()
                })
            }
        }
    }
}

/// The `n`th key of the `s3-list` bucket: fixed width, so names sort as numbers do.
pub fn list_key(n: u64) -> String {
    format!("key-{n:06}")
}

/// Setup either prepares the run or finds the target does not implement the scenario.
pub enum Setup {
    /// Ready to run, with the credentials to run under when they differ from the caller's.
    Ready(Box<Prepared>, Option<Target>),
    Skip(String),
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

/// Creates `bucket` unless the caller has it; `Some(why)` when the server has no S3.
async fn create_bucket(
    conn: &mut Conn,
    target: &Target,
    bucket: &str,
) -> Result<Option<String>, SetupError> {
    let create = Op::s3("PUT", format!("/{bucket}"), Bytes::new());
    let resp = call(conn, target, &create).await?;
    if let Some(why) = not_implemented(&resp) {
        return Ok(Some(format!("CreateBucket: {why}")));
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
    Ok(None)
}

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
                    let assumer = create_assumer(conn, target, None).await?;
                    run_as = Some(assumer.user);
                    assumer.role_arn
                }
            };
            Prepared::Fixed(Op::query(
                "sts",
                "AssumeRole",
                &[("RoleArn", &arn), ("RoleSessionName", "loadgen")],
            ))
        }
        Scenario::S3GetMember => {
            let (member, account) = match member_session(conn, target).await? {
                Ok(member) => member,
                Err(why) => return Ok(Setup::Skip(why)),
            };
            // Bucket names are global: one per member account.
            let bucket = format!("{}-{account}", opts.bucket);
            let create = Op::s3("PUT", format!("/{bucket}"), Bytes::new());
            call_ok(
                conn,
                &member,
                &create,
                "CreateBucket",
                &["BucketAlreadyOwnedByYou"],
            )
            .await?;
            let path = format!("/{bucket}/get-object");
            let put = Op::s3(
                "PUT",
                path.clone(),
                Bytes::from(vec![b'x'; opts.object_size]),
            );
            call_ok(conn, &member, &put, "PutObject", &[]).await?;
            run_as = Some(member);
            Prepared::Fixed(Op::s3("GET", path, Bytes::new()))
        }
        Scenario::S3List => {
            let bucket = format!("{}-list", opts.bucket);
            if let Some(why) = create_bucket(conn, target, &bucket).await? {
                return Ok(Setup::Skip(why));
            }
            fill_bucket(conn, target, &bucket, opts.list_keys).await?;
            Prepared::PagePerRequest {
                template: Op::s3("GET", format!("/{bucket}"), Bytes::new()),
                keys: opts.list_keys,
                page: 1000,
            }
        }
        Scenario::S3Put | Scenario::S3Get | Scenario::S3PutLarge | Scenario::S3GetLarge => {
            if let Some(why) = create_bucket(conn, target, &opts.bucket).await? {
                return Ok(Setup::Skip(why));
            }
            let put = |path: String, size: usize| {
                let op = Op::s3("PUT", path, Bytes::from(vec![b'x'; size]));
                if opts.unsigned_payload {
                    op.unsigned()
                } else {
                    op
                }
            };
            match scenario {
                Scenario::S3Put => Prepared::KeyPerRequest {
                    template: put(String::new(), opts.object_size),
                    prefix: format!("/{}/small-", opts.bucket),
                    keys: 256,
                },
                Scenario::S3PutLarge => Prepared::KeyPerRequest {
                    template: put(String::new(), opts.large_size),
                    prefix: format!("/{}/large-", opts.bucket),
                    keys: 1,
                },
                _ => {
                    let (name, size) = if scenario == Scenario::S3Get {
                        ("get-object", opts.object_size)
                    } else {
                        ("get-large-object", opts.large_size)
                    };
                    let path = format!("/{}/{name}", opts.bucket);
                    call_ok(conn, target, &put(path.clone(), size), "PutObject", &[]).await?;
                    Prepared::Fixed(Op::s3("GET", path, Bytes::new()))
                }
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
