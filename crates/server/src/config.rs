//! One typed configuration, filled from (highest first) command-line flags, `HOURGLASS_*`
//! environment variables, an optional TOML file, and the defaults below.
//! `docs/configuration.md` documents every field; keep the two in step.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:9000";
pub const DEFAULT_DATA_DIR: &str = "./hourglass-data";
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";
/// Query-protocol requests are small form bodies; the largest legitimate one (a 131072-char
/// policy, percent-encoded) stays well under this.
pub const DEFAULT_MAX_QUERY_BODY: usize = 1024 * 1024;

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
    pub log: Option<String>,
    /// PEM certificate chain; with `tls_key`, the port serves HTTPS only.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub tls_key: Option<PathBuf>,
    /// Base domain for S3 virtual-hosted style (`bucket.<domain>`).
    pub s3_domain: Option<String>,
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
            log: self.log.or(lower.log),
            tls_cert: self.tls_cert.or(lower.tls_cert),
            tls_key: self.tls_key.or(lower.tls_key),
            s3_domain: self.s3_domain.or(lower.s3_domain),
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
    pub log: String,
    /// Certificate chain and key files when serving HTTPS.
    pub tls: Option<TlsFiles>,
    pub s3_domain: Option<String>,
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
        Ok(Config {
            listen,
            data_dir,
            account_id,
            database_url: merged.database_url,
            database_schema: merged.database_schema,
            server_key_file,
            server_key,
            root_credentials,
            max_query_body_bytes: merged
                .max_query_body_bytes
                .unwrap_or(DEFAULT_MAX_QUERY_BODY),
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
}
