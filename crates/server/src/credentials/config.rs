//! `[[workload]]` entries of the configuration file.

use serde::Deserialize;

use crate::config::ConfigError;

/// One `[[workload]]` as written.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadFile {
    /// A name for logs; also the default session name.
    pub name: String,
    /// The role the workload gets credentials for.
    pub role_arn: String,
    /// SHA-256 (hex) of the workload's bearer token for the container endpoint and
    /// `hourglass credentials`. The token itself is never stored by the server.
    pub token_sha256: Option<String>,
    /// An address for this workload's own IMDSv2 listener (e.g. `127.0.0.1:9911`).
    pub imds_listen: Option<String>,
    /// Credential lifetime, 900–43200 s (capped by the role's maximum) [default: 21600].
    pub duration_seconds: Option<i64>,
    /// RoleSessionName of the issued sessions [default: the workload name].
    pub session_name: Option<String>,
}

/// A validated workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadSpec {
    pub name: String,
    pub role_arn: String,
    pub token_sha256: Option<String>,
    pub imds_listen: Option<std::net::SocketAddr>,
    pub duration_seconds: i64,
    pub session_name: String,
}

fn invalid(message: String) -> ConfigError {
    ConfigError::Invalid {
        field: "workload",
        message,
    }
}

impl WorkloadFile {
    pub fn resolve(&self) -> Result<WorkloadSpec, ConfigError> {
        let name = &self.name;
        if name.is_empty() {
            return Err(invalid("a workload needs a name".into()));
        }
        if !self.role_arn.starts_with("arn:aws:iam::") || !self.role_arn.contains(":role/") {
            return Err(invalid(format!(
                "{name}: role_arn '{}' is not a role ARN",
                self.role_arn
            )));
        }
        let token_sha256 = match &self.token_sha256 {
            Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(h.to_ascii_lowercase())
            }
            Some(_) => {
                return Err(invalid(format!(
                    "{name}: token_sha256 must be 64 hex digits (sha256sum of the token)"
                )));
            }
            None => None,
        };
        let imds_listen = match &self.imds_listen {
            Some(a) => Some(
                a.parse()
                    .map_err(|e| invalid(format!("{name}: imds_listen '{a}': {e}")))?,
            ),
            None => None,
        };
        if token_sha256.is_none() && imds_listen.is_none() {
            return Err(invalid(format!(
                "{name}: set token_sha256, imds_listen or both: otherwise nothing can fetch its credentials"
            )));
        }
        let duration_seconds = self.duration_seconds.unwrap_or(21600);
        if !(900..=43200).contains(&duration_seconds) {
            return Err(invalid(format!(
                "{name}: duration_seconds must be 900 to 43200"
            )));
        }
        let session_name = self.session_name.clone().unwrap_or_else(|| name.clone());
        Ok(WorkloadSpec {
            name: name.clone(),
            role_arn: self.role_arn.clone(),
            token_sha256,
            imds_listen,
            duration_seconds,
            session_name,
        })
    }
}
