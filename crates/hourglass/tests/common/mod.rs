//! Starts the real `hourglass` binary on 127.0.0.1:0 for end-to-end tests and builds AWS SDK
//! clients pointed at it. The process is killed when the [`Server`] is dropped; if the test
//! is failing at that point, the server's stderr is printed.
//!
//! No test may leave a server behind: the child is owned by a [`ChildGuard`] from the moment
//! it is spawned (so a panic anywhere in `start` or the test still kills and reaps it), it
//! runs in its own process group, and where util-linux `setpriv` exists it is started with a
//! parent-death signal, so the kernel kills it even when the test binary itself is killed
//! (`unsafe_code` is forbidden, which rules out `pre_exec` + `prctl` here).

// Each test binary compiles this module on its own and uses a different part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const ACCOUNT_ID: &str = "123456789012";
pub const ROOT_ARN: &str = "arn:aws:iam::123456789012:root";
pub const ROOT_AKID: &str = "AKIAROOT0000EXAMPLE0";
pub const ROOT_SECRET: &str = "hgRootSecret/0000000000000000+EXAMPLEKEY";

const READY_PREFIX: &str = "hourglass listening on ";

/// Kills and reaps the child when dropped, whatever the reason (end of test, panic).
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `setpriv` from util-linux, if installed: it sets the parent-death signal and then execs,
/// so the process the test holds is the server itself.
fn setpriv() -> Option<&'static Path> {
    ["/usr/bin/setpriv", "/bin/setpriv"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.is_file())
}

pub struct Server {
    child: ChildGuard,
    pub endpoint: String,
    stderr_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts `hourglass serve` on a fresh data dir with the known root keys.
    pub fn start() -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().join("data");
        let stderr_path = dir.path().join("hourglass.stderr.log");
        let stderr = std::fs::File::create(&stderr_path).expect("stderr log file");
        let bin = env!("CARGO_BIN_EXE_hourglass");
        let mut cmd = match setpriv() {
            Some(sp) => {
                let mut c = Command::new(sp);
                c.args(["--pdeathsig", "KILL", "--", bin]);
                c
            }
            None => Command::new(bin),
        };
        // Its own process group: a terminal's Ctrl-C goes to the test binary only, whose
        // unwinding (or death, through the parent-death signal) stops the server.
        cmd.process_group(0);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if k.starts_with("HOURGLASS_") || k.starts_with("AWS_") {
                cmd.env_remove(k);
            }
        }
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["--listen", "127.0.0.1:0"])
            .env("HOURGLASS_ROOT_ACCESS_KEY_ID", ROOT_AKID)
            .env("HOURGLASS_ROOT_SECRET_ACCESS_KEY", ROOT_SECRET)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr));
        let mut child = ChildGuard(cmd.spawn().expect("spawn hourglass"));
        let stdout = child.0.stdout.take().expect("stdout pipe");
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            // Keep draining stdout for the life of the process.
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let endpoint = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.trim_end().strip_prefix(READY_PREFIX) {
                        assert!(
                            url.starts_with("http://127.0.0.1:"),
                            "unexpected listen line {line:?}"
                        );
                        break url.to_string();
                    }
                }
                Err(e) => {
                    drop(child);
                    let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                    panic!("hourglass did not become ready ({e}); stderr:\n{log}");
                }
            }
        };
        Server {
            child,
            endpoint,
            stderr_path,
            _dir: dir,
        }
    }

    pub fn iam(&self, akid: &str, secret: &str) -> aws_sdk_iam::Client {
        self.iam_in(akid, secret, "us-east-1")
    }

    pub fn iam_in(&self, akid: &str, secret: &str, region: &str) -> aws_sdk_iam::Client {
        let conf = aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new(region.to_string()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(creds(akid, secret, None))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled())
            .build();
        aws_sdk_iam::Client::from_conf(conf)
    }

    pub fn root_iam(&self) -> aws_sdk_iam::Client {
        self.iam(ROOT_AKID, ROOT_SECRET)
    }

    pub fn sts(&self, akid: &str, secret: &str) -> aws_sdk_sts::Client {
        self.sts_in(akid, secret, "us-east-1")
    }

    pub fn sts_in(&self, akid: &str, secret: &str, region: &str) -> aws_sdk_sts::Client {
        let conf = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new(region.to_string()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(creds(akid, secret, None))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }

    pub fn root_sts(&self) -> aws_sdk_sts::Client {
        self.sts(ROOT_AKID, ROOT_SECRET)
    }
}

/// Static credentials, with a session token for temporary ones.
pub fn creds(akid: &str, secret: &str, token: Option<&str>) -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::from_keys(akid, secret, token.map(str::to_owned))
}

/// An IAM client with any credentials (long-term or session).
pub fn iam_with(srv: &Server, c: aws_credential_types::Credentials) -> aws_sdk_iam::Client {
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .endpoint_url(&srv.endpoint)
        .credentials_provider(c)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

/// An STS client with any credentials (long-term or session).
pub fn sts_with(srv: &Server, c: aws_credential_types::Credentials) -> aws_sdk_sts::Client {
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .endpoint_url(&srv.endpoint)
        .credentials_provider(c)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

/// A 2012-10-17 policy document around the given statements.
pub fn doc(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

/// One statement allowing `action` on everything.
pub fn allow(action: &str) -> String {
    format!(r#"{{"Effect":"Allow","Action":"{action}","Resource":"*"}}"#)
}

/// A trust policy naming the account (so the caller also needs an identity-policy allow).
pub fn account_trust() -> String {
    doc(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT_ID}:root"}},"Action":"sts:AssumeRole"}}"#
    ))
}

/// A role trusting the account with one inline policy, and a user allowed to assume roles:
/// returns the role name, the role ARN and the user's long-term credentials.
pub async fn role_and_user(
    srv: &Server,
    role_policy: &str,
) -> (String, String, aws_credential_types::Credentials) {
    let iam = srv.root_iam();
    let role = unique("sdkrole");
    let arn = iam
        .create_role()
        .role_name(&role)
        .assume_role_policy_document(account_trust())
        .max_session_duration(43200)
        .send()
        .await
        .unwrap()
        .role
        .unwrap()
        .arn;
    iam.put_role_policy()
        .role_name(&role)
        .policy_name("perms")
        .policy_document(role_policy)
        .send()
        .await
        .unwrap();
    let user = unique("sdkuser");
    iam.create_user().user_name(&user).send().await.unwrap();
    iam.put_user_policy()
        .user_name(&user)
        .policy_name("assume")
        .policy_document(doc(&allow("sts:AssumeRole")))
        .send()
        .await
        .unwrap();
    let ak = iam
        .create_access_key()
        .user_name(&user)
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    (
        role,
        arn,
        creds(&ak.access_key_id, &ak.secret_access_key, None),
    )
}

/// The temporary credentials of an AssumeRole answer.
pub fn session(
    out: &aws_sdk_sts::operation::assume_role::AssumeRoleOutput,
) -> aws_credential_types::Credentials {
    let c = out.credentials.as_ref().unwrap();
    creds(
        &c.access_key_id,
        &c.secret_access_key,
        Some(&c.session_token),
    )
}

impl Drop for Server {
    fn drop(&mut self) {
        let exited = matches!(self.child.0.try_wait(), Ok(Some(_)));
        let _ = self.child.0.kill();
        let _ = self.child.0.wait();
        let log = std::fs::read_to_string(&self.stderr_path).unwrap_or_default();
        if std::thread::panicking() || exited || log.contains("panicked") {
            eprintln!(
                "---- hourglass {} stderr (exited early: {exited}) ----\n{log}",
                self.endpoint
            );
        }
        if !std::thread::panicking() {
            assert!(!exited, "hourglass exited while the test was running");
            assert!(!log.contains("panicked"), "hourglass panicked");
        }
    }
}

/// A unique-enough name for users in one test.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{nanos:x}", N.fetch_add(1, Ordering::Relaxed))
}
