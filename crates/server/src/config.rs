//! One typed configuration, filled from (highest first) command-line flags, `HOURGLASS_*`
//! environment variables, an optional TOML file, and the defaults below.
//! `docs/configuration.md` documents every field; keep the two in step.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:9000";
pub const DEFAULT_DATA_DIR: &str = "./hourglass-data";
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";
/// Query-protocol requests are small form bodies; the largest legitimate one (a 131072-char
/// policy, percent-encoded) stays well under this.
pub const DEFAULT_MAX_QUERY_BODY: usize = 1024 * 1024;
/// S3 drops connections idle for about 20 seconds; clients expect and handle that.
pub const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 20;
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 20;
/// S3 answers `RequestTimeout` after about 20 seconds without body bytes.
pub const DEFAULT_BODY_READ_TIMEOUT_SECS: u64 = 20;
pub const DEFAULT_WRITE_TIMEOUT_SECS: u64 = 20;
/// Below the usual 1024 open-file limit's worth of sockets would be too tight for a busy
/// node, above it needs `ulimit -n` raised; accept errors from a low limit are survived.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// The request line and headers together; SigV4 headers with a session token and S3's 2 KB
/// of user metadata fit easily, and presigned URLs with a token stay under 8 KB.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 64 * 1024;
pub const DEFAULT_H2_MAX_CONCURRENT_STREAMS: u32 = 100;
/// hyper refuses a read buffer smaller than this.
const MIN_HEADER_BYTES: usize = 8 * 1024;
/// A day: anything longer is a typo, and it keeps deadline arithmetic far from overflow.
const MAX_TIMEOUT_SECS: u64 = 86_400;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

/// The settings the file may carry. Every field is optional so flags and env can override
/// one at a time.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub account_id: Option<String>,
    pub database_url: Option<String>,
    pub database_schema: Option<String>,
    pub server_key_file: Option<PathBuf>,
    pub max_query_body_bytes: Option<usize>,
    pub max_header_bytes: Option<usize>,
    pub max_connections: Option<usize>,
    pub idle_timeout_secs: Option<u64>,
    pub header_read_timeout_secs: Option<u64>,
    pub body_read_timeout_secs: Option<u64>,
    pub write_timeout_secs: Option<u64>,
    pub h2_max_concurrent_streams: Option<u32>,
    pub log: Option<String>,
    /// PEM certificate chain; with `tls_key`, the port serves HTTPS only.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub tls_key: Option<PathBuf>,
    /// Base domain for S3 virtual-hosted style (`bucket.<domain>`).
    pub s3_domain: Option<String>,
    /// Workloads bound to roles (`[[workload]]`, see docs/federation.md).
    pub workload: Option<Vec<crate::credentials::config::WorkloadFile>>,
    /// `[secrets]`: Secrets Manager (region, background worker, rotation hooks).
    pub secrets: Option<crate::api::secretsmanager::config::SecretsConfig>,
    /// The `[audit]` table.
    pub audit: Option<crate::audit::AuditFile>,
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }

    /// Fills every field not already set from `lower`.
    pub fn or(self, lower: FileConfig) -> FileConfig {
        FileConfig {
            listen: self.listen.or(lower.listen),
            data_dir: self.data_dir.or(lower.data_dir),
            account_id: self.account_id.or(lower.account_id),
            database_url: self.database_url.or(lower.database_url),
            database_schema: self.database_schema.or(lower.database_schema),
            server_key_file: self.server_key_file.or(lower.server_key_file),
            max_query_body_bytes: self.max_query_body_bytes.or(lower.max_query_body_bytes),
            max_header_bytes: self.max_header_bytes.or(lower.max_header_bytes),
            max_connections: self.max_connections.or(lower.max_connections),
            idle_timeout_secs: self.idle_timeout_secs.or(lower.idle_timeout_secs),
            header_read_timeout_secs: self
                .header_read_timeout_secs
                .or(lower.header_read_timeout_secs),
            body_read_timeout_secs: self.body_read_timeout_secs.or(lower.body_read_timeout_secs),
            write_timeout_secs: self.write_timeout_secs.or(lower.write_timeout_secs),
            h2_max_concurrent_streams: self
                .h2_max_concurrent_streams
                .or(lower.h2_max_concurrent_streams),
            log: self.log.or(lower.log),
            tls_cert: self.tls_cert.or(lower.tls_cert),
            tls_key: self.tls_key.or(lower.tls_key),
            s3_domain: self.s3_domain.or(lower.s3_domain),
            workload: self.workload.or(lower.workload),
            secrets: self.secrets.or(lower.secrets),
            audit: match (self.audit, lower.audit) {
                (Some(a), Some(b)) => Some(a.or(b)),
                (a, b) => a.or(b),
            },
        }
    }
}

/// Root credentials given by the operator instead of generated ones. Only from the
/// environment (or a secrets manager that sets it): never from flags, which leak into `ps`.
#[derive(Clone)]
pub struct RootCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for RootCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .finish()
    }
}

/// The resolved configuration the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub account_id: String,
    pub database_url: Option<String>,
    pub database_schema: Option<String>,
    /// Where the server key ring lives; default `DATA_DIR/server-keys`.
    pub server_key_file: PathBuf,
    /// A base64 server key given by environment (`HOURGLASS_SERVER_KEY`) instead of a file.
    pub server_key: Option<String>,
    pub root_credentials: Option<RootCredentials>,
    pub max_query_body_bytes: usize,
    pub limits: Limits,
    pub log: String,
    /// Certificate chain and key files when serving HTTPS.
    pub tls: Option<TlsFiles>,
    pub secrets: crate::api::secretsmanager::config::SecretsConfig,
    pub s3_domain: Option<String>,
    /// Workloads bound to roles (credential endpoints).
    pub workloads: Vec<crate::credentials::WorkloadSpec>,
    pub audit: hourglass_audit::AuditConfig,
}

/// What bounds each connection's resources and lifetime (docs/configuration.md, "Limits").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// Request line plus headers (HTTP/1.1 read buffer, HTTP/2 header list).
    pub max_header_bytes: usize,
    /// A connection with no request in flight for this long is closed.
    pub idle_timeout: Duration,
    /// From the moment the server waits for a request to its last header byte; also bounds
    /// the TLS handshake.
    pub header_read_timeout: Duration,
    /// Longest pause between request body bytes before `RequestTimeout`.
    pub body_read_timeout: Duration,
    /// Longest time a response write may wait for a client that does not read.
    pub write_timeout: Duration,
    pub h2_max_concurrent_streams: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            idle_timeout: Duration::from_secs(DEFAULT_IDLE_TIMEOUT_SECS),
            header_read_timeout: Duration::from_secs(DEFAULT_HEADER_READ_TIMEOUT_SECS),
            body_read_timeout: Duration::from_secs(DEFAULT_BODY_READ_TIMEOUT_SECS),
            write_timeout: Duration::from_secs(DEFAULT_WRITE_TIMEOUT_SECS),
            h2_max_concurrent_streams: DEFAULT_H2_MAX_CONCURRENT_STREAMS,
        }
    }
}

fn timeout(field: &'static str, value: Option<u64>, default: u64) -> Result<Duration, ConfigError> {
    let secs = value.unwrap_or(default);
    if !(1..=MAX_TIMEOUT_SECS).contains(&secs) {
        return Err(ConfigError::Invalid {
            field,
            message: format!("{secs} is outside 1..={MAX_TIMEOUT_SECS} seconds"),
        });
    }
    Ok(Duration::from_secs(secs))
}

fn at_least<T: PartialOrd + std::fmt::Display + Copy>(
    field: &'static str,
    value: Option<T>,
    default: T,
    min: T,
) -> Result<T, ConfigError> {
    let v = value.unwrap_or(default);
    if v < min {
        return Err(ConfigError::Invalid {
            field,
            message: format!("{v} is below the minimum of {min}"),
        });
    }
    Ok(v)
}

impl Limits {
    fn resolve(m: &FileConfig) -> Result<Self, ConfigError> {
        Ok(Limits {
            max_connections: at_least(
                "max-connections",
                m.max_connections,
                DEFAULT_MAX_CONNECTIONS,
                1,
            )?,
            max_header_bytes: at_least(
                "max-header-bytes",
                m.max_header_bytes,
                DEFAULT_MAX_HEADER_BYTES,
                MIN_HEADER_BYTES,
            )?,
            idle_timeout: timeout(
                "idle-timeout-secs",
                m.idle_timeout_secs,
                DEFAULT_IDLE_TIMEOUT_SECS,
            )?,
            header_read_timeout: timeout(
                "header-read-timeout-secs",
                m.header_read_timeout_secs,
                DEFAULT_HEADER_READ_TIMEOUT_SECS,
            )?,
            body_read_timeout: timeout(
                "body-read-timeout-secs",
                m.body_read_timeout_secs,
                DEFAULT_BODY_READ_TIMEOUT_SECS,
            )?,
            write_timeout: timeout(
                "write-timeout-secs",
                m.write_timeout_secs,
                DEFAULT_WRITE_TIMEOUT_SECS,
            )?,
            h2_max_concurrent_streams: at_least(
                "h2-max-concurrent-streams",
                m.h2_max_concurrent_streams,
                DEFAULT_H2_MAX_CONCURRENT_STREAMS,
                1,
            )?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Config {
    /// Applies defaults and validates a merged [`FileConfig`].
    pub fn resolve(
        merged: FileConfig,
        root_credentials: Option<RootCredentials>,
        server_key: Option<String>,
    ) -> Result<Self, ConfigError> {
        let limits = Limits::resolve(&merged)?;
        let max_query_body_bytes = at_least(
            "max-query-body-bytes",
            merged.max_query_body_bytes,
            DEFAULT_MAX_QUERY_BODY,
            1,
        )?;
        let listen_text = merged.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen = listen_text
            .parse::<SocketAddr>()
            .map_err(|e| ConfigError::Invalid {
                field: "listen",
                message: format!("'{listen_text}': {e}"),
            })?;
        let account_id = merged
            .account_id
            .unwrap_or_else(|| DEFAULT_ACCOUNT_ID.to_owned());
        if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::Invalid {
                field: "account-id",
                message: format!("'{account_id}' is not a 12-digit AWS account id"),
            });
        }
        if let Some(schema) = &merged.database_schema
            && (schema.is_empty()
                || !schema
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        {
            return Err(ConfigError::Invalid {
                field: "database-schema",
                message: format!("'{schema}' must be letters, digits and underscores"),
            });
        }
        let data_dir = merged
            .data_dir
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let server_key_file = merged
            .server_key_file
            .unwrap_or_else(|| data_dir.join("server-keys"));
        let tls = match (merged.tls_cert, merged.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid {
                    field: "tls-cert",
                    message: "set both tls-cert and tls-key, or neither".to_owned(),
                });
            }
        };
        let s3_domain = merged
            .s3_domain
            .map(|d| d.trim().trim_end_matches('.').to_ascii_lowercase())
            .filter(|d| !d.is_empty());
        let workloads = merged
            .workload
            .unwrap_or_default()
            .iter()
            .map(crate::credentials::config::WorkloadFile::resolve)
            .collect::<Result<Vec<_>, _>>()?;
        let secrets = merged.secrets.unwrap_or_default();
        secrets.validate().map_err(|message| ConfigError::Invalid {
            field: "secrets",
            message,
        })?;
        let audit = merged.audit.unwrap_or_default().resolve()?;
        Ok(Config {
            workloads,
            secrets,
            audit,
            listen,
            data_dir,
            account_id,
            database_url: merged.database_url,
            database_schema: merged.database_schema,
            server_key_file,
            server_key,
            root_credentials,
            max_query_body_bytes,
            limits,
            log: merged.log.unwrap_or_else(|| "info".to_owned()),
            tls,
            s3_domain,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_and_validation() {
        let c = Config::resolve(FileConfig::default(), None, None).unwrap();
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(c.account_id, DEFAULT_ACCOUNT_ID);
        assert!(c.server_key_file.ends_with("server-keys"));
        let bad = FileConfig {
            account_id: Some("12345".into()),
            ..Default::default()
        };
        assert!(Config::resolve(bad, None, None).is_err());
    }

    #[test]
    fn flags_override_file() {
        let flags = FileConfig {
            listen: Some("127.0.0.1:1".into()),
            ..Default::default()
        };
        let file: FileConfig =
            toml::from_str("listen = \"0.0.0.0:2\"\naccount_id = \"111122223333\"").unwrap();
        let c = Config::resolve(flags.or(file), None, None).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:1");
        assert_eq!(c.account_id, "111122223333");
        assert!(toml::from_str::<FileConfig>("nope = 1").is_err());
    }

    #[test]
    fn limits_resolve_and_validate() {
        let c = Config::resolve(FileConfig::default(), None, None).unwrap();
        assert_eq!(c.limits, Limits::default());
        let file: FileConfig = toml::from_str(
            "idle_timeout_secs = 2\nheader_read_timeout_secs = 3\nbody_read_timeout_secs = 4\n\
             write_timeout_secs = 5\nmax_connections = 8\nmax_header_bytes = 16384\n\
             h2_max_concurrent_streams = 10\n",
        )
        .unwrap();
        let l = Config::resolve(file, None, None).unwrap().limits;
        assert_eq!(
            (
                l.idle_timeout,
                l.header_read_timeout,
                l.body_read_timeout,
                l.write_timeout
            ),
            (
                Duration::from_secs(2),
                Duration::from_secs(3),
                Duration::from_secs(4),
                Duration::from_secs(5)
            )
        );
        assert_eq!(
            (
                l.max_connections,
                l.max_header_bytes,
                l.h2_max_concurrent_streams
            ),
            (8, 16384, 10)
        );
        for bad in [
            "idle_timeout_secs = 0",
            "body_read_timeout_secs = 86401",
            "max_connections = 0",
            "max_header_bytes = 1024",
            "max_query_body_bytes = 0",
            "h2_max_concurrent_streams = 0",
        ] {
            let f: FileConfig = toml::from_str(bad).unwrap();
            assert!(Config::resolve(f, None, None).is_err(), "{bad} accepted");
        }
    }
}
