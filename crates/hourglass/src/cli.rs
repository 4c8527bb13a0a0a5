//! Command-line interface. Every `serve` flag also reads a `HOURGLASS_*` environment
//! variable; flags win over the environment, which wins over the TOML file.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use hourglass_iam::leaked_key::LeakedKeyResponse;
use hourglass_server::config::{Config, FileConfig, RootCredentials};

#[derive(Debug, Parser)]
#[command(name = "hourglass", version, about = "Self-hosted AWS IAM, STS and S3")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(Box<ServeArgs>),
    /// Add a new current server key to the key ring; old keys keep decrypting.
    RotateServerKey(KeyArgs),
    /// Revoke every live session of a role, the AWS way: write the role's inline policy
    /// `AWSRevokeOlderSessions`, denying everything to sessions issued before now.
    RevokeSessions(RevokeArgs),
    /// Print a workload's role credentials for an SDK profile's `credential_process`
    /// (from the server's container credential endpoint; see docs/federation.md).
    Credentials(crate::process_credentials::CredentialsArgs),
    /// Create root access keys for a member account of the organization (AWS would let
    /// the owner of the account's e-mail address recover its root) and write them, in the
    /// aws credentials-file format, to a new 0600 file.
    MemberRootCredentials(MemberRootArgs),
    /// Respond to a leaked access key: deactivate it, revoke every session created from it
    /// (directly or through role chains), and print what the key and those sessions did,
    /// from the audit log, grouped by service, resource and outcome.
    RespondToLeakedKey(LeakedKeyArgs),
    /// Move an IAM user's access key to a role, through the server's public API: create a
    /// role with the user's permissions, let the user assume it, print the ~/.aws/config
    /// profile, and (--deactivate-old-key / --delete-old-key) retire the key once the audit
    /// log shows the role in use and the key idle.
    MoveKeyToRole(Box<crate::move_key::MoveKeyArgs>),
}

#[derive(Debug, Args)]
struct MemberRootArgs {
    /// The member account's 12-digit id (from organizations list-accounts).
    #[arg(long)]
    member: String,
    /// File to write [default: DATA_DIR/root-credentials-<MEMBER>].
    #[arg(long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    store: StoreArgs,
}

/// Where the server keeps its state: shared by `serve` and the operator commands that open
/// the same store.
#[derive(Debug, Args)]
struct StoreArgs {
    /// TOML configuration file (see docs/configuration.md).
    #[arg(long, env = "HOURGLASS_CONFIG")]
    config: Option<PathBuf>,
    /// Directory for the embedded database, server keys and root credentials
    /// [default: ./hourglass-data].
    #[arg(long, env = "HOURGLASS_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// The 12-digit id of the account created on first start [default: 123456789012].
    #[arg(long, env = "HOURGLASS_ACCOUNT_ID")]
    account_id: Option<String>,
    /// PostgreSQL URL (postgres://user@host:port/db); the embedded SQLite database otherwise.
    #[arg(long, env = "HOURGLASS_DATABASE_URL")]
    database_url: Option<String>,
    /// PostgreSQL schema to use [default: public].
    #[arg(long, env = "HOURGLASS_DATABASE_SCHEMA")]
    database_schema: Option<String>,
    /// Server key ring file [default: DATA_DIR/server-keys].
    #[arg(long, env = "HOURGLASS_SERVER_KEY_FILE")]
    server_key_file: Option<PathBuf>,
}

impl StoreArgs {
    /// The settings these flags give, over the TOML file when one is named.
    fn merged(self, rest: FileConfig) -> Result<FileConfig, CliError> {
        let flags = FileConfig {
            data_dir: self.data_dir,
            account_id: self.account_id,
            database_url: self.database_url,
            database_schema: self.database_schema,
            server_key_file: self.server_key_file,
            ..rest
        };
        let file = match &self.config {
            Some(path) => FileConfig::load(path)?,
            None => FileConfig::default(),
        };
        Ok(flags.or(file))
    }
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on [default: 127.0.0.1:9000].
    #[arg(long, env = "HOURGLASS_LISTEN")]
    listen: Option<String>,
    /// Log filter (tracing EnvFilter syntax) [default: info].
    #[arg(long, env = "HOURGLASS_LOG")]
    log: Option<String>,
    /// PEM certificate chain; with --tls-key the port serves HTTPS.
    #[arg(long, env = "HOURGLASS_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "HOURGLASS_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// Base domain for S3 virtual-hosted style requests (`bucket.<domain>`).
    #[arg(long, env = "HOURGLASS_S3_DOMAIN")]
    s3_domain: Option<String>,
    #[command(flatten)]
    limits: LimitArgs,
    /// Flag (or deactivate) long-term access keys older than this many days; 0 is off
    /// [default: 0] (audit.max_key_age_days).
    #[arg(long, env = "HOURGLASS_MAX_KEY_AGE_DAYS")]
    max_key_age_days: Option<u32>,
    /// `flag` or `deactivate` keys past the maximum age [default: flag] (audit.key_age_action).
    #[arg(long, env = "HOURGLASS_KEY_AGE_ACTION")]
    key_age_action: Option<String>,
}

/// Connection and request limits (docs/configuration.md, "Limits").
#[derive(Debug, Args)]
struct LimitArgs {
    /// Connections served at once; more wait in the listen backlog [default: 1024].
    #[arg(long, env = "HOURGLASS_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Largest request line plus headers, at least 8192 [default: 65536].
    #[arg(long, env = "HOURGLASS_MAX_HEADER_BYTES")]
    max_header_bytes: Option<usize>,
    /// Largest IAM/STS request body [default: 1048576].
    #[arg(long, env = "HOURGLASS_MAX_QUERY_BODY_BYTES")]
    max_query_body_bytes: Option<usize>,
    /// Close a connection with no request in flight after this many seconds [default: 20].
    #[arg(long, env = "HOURGLASS_IDLE_TIMEOUT_SECS")]
    idle_timeout_secs: Option<u64>,
    /// Seconds allowed to receive a request's headers [default: 20].
    #[arg(long, env = "HOURGLASS_HEADER_READ_TIMEOUT_SECS")]
    header_read_timeout_secs: Option<u64>,
    /// Longest pause in a request body before RequestTimeout, in seconds [default: 20].
    #[arg(long, env = "HOURGLASS_BODY_READ_TIMEOUT_SECS")]
    body_read_timeout_secs: Option<u64>,
    /// Longest wait for a client to accept response bytes, in seconds [default: 20].
    #[arg(long, env = "HOURGLASS_WRITE_TIMEOUT_SECS")]
    write_timeout_secs: Option<u64>,
    /// Concurrent streams per HTTP/2 connection [default: 100].
    #[arg(long, env = "HOURGLASS_H2_MAX_CONCURRENT_STREAMS")]
    h2_max_concurrent_streams: Option<u32>,
}

#[derive(Debug, Args)]
struct RevokeArgs {
    /// Name of the role whose sessions to revoke.
    #[arg(long)]
    role: String,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Args)]
struct LeakedKeyArgs {
    /// The exposed long-term access key id (AKIA…).
    #[arg(long)]
    access_key_id: String,
    /// Print the result as JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Ask a running server through its API (HourglassAdmin_20261201.RespondToLeakedKey,
    /// signed with the operator's credentials) instead of opening the store.
    #[arg(long)]
    endpoint_url: Option<String>,
    /// With --endpoint-url: the profile holding the operator's credentials [default: the
    /// environment, then `default`].
    #[arg(long, requires = "endpoint_url")]
    profile: Option<String>,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Args)]
struct KeyArgs {
    /// Data directory holding the key ring [default: ./hourglass-data].
    #[arg(long, env = "HOURGLASS_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Key ring file [default: DATA_DIR/server-keys].
    #[arg(long, env = "HOURGLASS_SERVER_KEY_FILE")]
    server_key_file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] hourglass_server::config::ConfigError),
    #[error(transparent)]
    Server(#[from] hourglass_server::ServerError),
    #[error("{0}")]
    Other(String),
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn root_credentials_from_env() -> Result<Option<RootCredentials>, CliError> {
    match (
        env_nonempty("HOURGLASS_ROOT_ACCESS_KEY_ID"),
        env_nonempty("HOURGLASS_ROOT_SECRET_ACCESS_KEY"),
    ) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(Some(RootCredentials {
            access_key_id,
            secret_access_key,
        })),
        (None, None) => Ok(None),
        _ => Err(CliError::Other(
            "set both HOURGLASS_ROOT_ACCESS_KEY_ID and HOURGLASS_ROOT_SECRET_ACCESS_KEY, or neither"
                .into(),
        )),
    }
}

fn runtime(multi_thread: bool) -> Result<tokio::runtime::Runtime, CliError> {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(format!("cannot start the runtime: {e}")))
}

fn serve(args: ServeArgs) -> Result<(), CliError> {
    let merged = args.store.merged(FileConfig {
        listen: args.listen,
        log: args.log,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        s3_domain: args.s3_domain,
        max_connections: args.limits.max_connections,
        max_header_bytes: args.limits.max_header_bytes,
        max_query_body_bytes: args.limits.max_query_body_bytes,
        idle_timeout_secs: args.limits.idle_timeout_secs,
        header_read_timeout_secs: args.limits.header_read_timeout_secs,
        body_read_timeout_secs: args.limits.body_read_timeout_secs,
        write_timeout_secs: args.limits.write_timeout_secs,
        h2_max_concurrent_streams: args.limits.h2_max_concurrent_streams,
        audit: (args.max_key_age_days.is_some() || args.key_age_action.is_some()).then(|| {
            hourglass_server::audit::AuditFile {
                max_key_age_days: args.max_key_age_days,
                key_age_action: args.key_age_action,
                ..Default::default()
            }
        }),
        ..FileConfig::default()
    })?;
    let config = Config::resolve(
        merged,
        root_credentials_from_env()?,
        env_nonempty("HOURGLASS_SERVER_KEY"),
    )?;
    hourglass_server::init_logging(&config.log);
    runtime(true)?.block_on(hourglass_server::run(config))?;
    Ok(())
}

fn revoke_sessions(args: RevokeArgs) -> Result<(), CliError> {
    let merged = args.store.merged(FileConfig::default())?;
    let config = Config::resolve(merged, None, env_nonempty("HOURGLASS_SERVER_KEY"))?;
    let cutoff = runtime(false)?.block_on(async {
        let identity = hourglass_server::bootstrap::open_identity(&config)
            .await
            .map_err(|e| CliError::Other(e.to_string()))?;
        identity
            .revoke_role_sessions(&args.role)
            .await
            .map_err(|e| {
                CliError::Other(format!("cannot revoke sessions of role {}: {e}", args.role))
            })
    })?;
    println!(
        "sessions of role {} issued before {cutoff} are revoked (inline policy {})",
        args.role,
        hourglass_iam::sts::REVOKE_POLICY_NAME
    );
    Ok(())
}

fn member_root_credentials(args: MemberRootArgs) -> Result<(), CliError> {
    let merged = args.store.merged(FileConfig::default())?;
    let config = Config::resolve(merged, None, env_nonempty("HOURGLASS_SERVER_KEY"))?;
    let path = args.output.unwrap_or_else(|| {
        config
            .data_dir
            .join(format!("root-credentials-{}", args.member))
    });
    let key = runtime(false)?.block_on(async {
        let identity = hourglass_server::bootstrap::open_identity(&config)
            .await
            .map_err(|e| CliError::Other(e.to_string()))?;
        identity
            .mint_member_root_key(&args.member)
            .await
            .map_err(|e| CliError::Other(format!("cannot create root credentials: {e}")))
    })?;
    hourglass_server::bootstrap::write_root_credentials(
        &path,
        &key.access_key_id,
        key.secret.expose(),
    )
    .map_err(|e| CliError::Other(e.to_string()))?;
    // The secret goes to the 0600 file only, never to the terminal or a log.
    println!(
        "root access key {} of account {} written to {}",
        key.access_key_id,
        args.member,
        path.display()
    );
    Ok(())
}

fn respond_to_leaked_key(args: LeakedKeyArgs) -> Result<(), CliError> {
    let response = match &args.endpoint_url {
        Some(endpoint) => {
            leaked_key_via_api(endpoint, args.profile.as_deref(), &args.access_key_id)?
        }
        None => leaked_key_via_store(args.store, &args.access_key_id)?,
    };
    let out = if args.json {
        serde_json::to_string_pretty(&response)
            .map_err(|e| CliError::Other(format!("cannot encode the report: {e}")))?
    } else {
        crate::leaked_key::render(&response)
    };
    println!("{out}");
    Ok(())
}

fn leaked_key_via_api(
    endpoint: &str,
    profile: Option<&str>,
    access_key_id: &str,
) -> Result<LeakedKeyResponse, CliError> {
    use crate::client::{Client, StaticCredentials};
    let other = |e: crate::client::ClientError| CliError::Other(format!("{access_key_id}: {e}"));
    let (creds, _) = StaticCredentials::resolve(profile).map_err(other)?;
    let client = Client::new(endpoint, creds).map_err(other)?;
    let answer = runtime(false)?
        .block_on(client.json(
            "hourglass",
            "HourglassAdmin_20261201.RespondToLeakedKey",
            &serde_json::json!({"AccessKeyId": access_key_id}),
        ))
        .map_err(other)?;
    serde_json::from_value(answer)
        .map_err(|e| CliError::Other(format!("{access_key_id}: unreadable answer: {e}")))
}

fn leaked_key_via_store(
    store: StoreArgs,
    access_key_id: &str,
) -> Result<LeakedKeyResponse, CliError> {
    let merged = store.merged(FileConfig::default())?;
    let config = Config::resolve(merged, None, env_nonempty("HOURGLASS_SERVER_KEY"))?;
    runtime(false)?.block_on(async {
        let identity = hourglass_server::bootstrap::open_identity(&config)
            .await
            .map_err(|e| CliError::Other(e.to_string()))?;
        identity
            .respond_to_leaked_key(access_key_id)
            .await
            .map_err(|e| CliError::Other(format!("{access_key_id}: {e}")))
    })
}

fn rotate_server_key(args: KeyArgs) -> Result<(), CliError> {
    let data_dir = args
        .data_dir
        .unwrap_or_else(|| PathBuf::from(hourglass_server::config::DEFAULT_DATA_DIR));
    let file = args
        .server_key_file
        .unwrap_or_else(|| data_dir.join("server-keys"));
    let id = hourglass_store::KeyRing::rotate(&file)
        .map_err(|e| CliError::Other(format!("cannot rotate {}: {e}", file.display())))?;
    println!("new current server key {id} added to {}", file.display());
    Ok(())
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(args) => serve(*args),
        Command::RevokeSessions(args) => revoke_sessions(args),
        Command::Credentials(args) => {
            crate::process_credentials::run(args).map_err(CliError::Other)
        }
        Command::RespondToLeakedKey(args) => respond_to_leaked_key(args),
        Command::MoveKeyToRole(args) => crate::move_key::run(*args).map_err(CliError::Other),
        Command::RotateServerKey(args) => rotate_server_key(args),
        Command::MemberRootCredentials(args) => member_root_credentials(args),
    }
}
