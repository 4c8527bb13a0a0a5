//! The `[secrets]` section of the configuration file (docs/configuration.md, "Secrets
//! Manager"): the region in secret ARNs, how often the background worker looks for due
//! work, the grace period of a rotated-out access key, and the external rotation hooks.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

pub const DEFAULT_REGION: &str = "us-east-1";
pub const DEFAULT_POLL_SECS: u64 = 30;
/// A rotated-out key stays active a day, so programs that read the secret less often
/// than that still pick up the new key before the old one stops working.
pub const DEFAULT_GRACE_SECS: u64 = 86_400;
pub const DEFAULT_HOOK_TIMEOUT_SECS: u64 = 60;

/// An external rotator, run once per rotation step like a Lambda function.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationHook {
    /// Program and arguments (no shell). The step's event is written to its stdin.
    pub command: Vec<String>,
    /// Extra environment (e.g. `AWS_SHARED_CREDENTIALS_FILE` for the rotator's identity).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    #[serde(default)]
    pub working_dir: Option<PathBuf>,
}

impl RotationHook {
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.timeout_secs.unwrap_or(DEFAULT_HOOK_TIMEOUT_SECS))
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SecretsConfig {
    pub region: Option<String>,
    pub poll_interval_secs: Option<u64>,
    pub previous_key_grace_secs: Option<u64>,
    /// Hooks by name: `RotationLambdaARN = arn:aws:lambda:REGION:ACCT:function:NAME`.
    #[serde(default)]
    pub rotation_hooks: BTreeMap<String, RotationHook>,
}

impl SecretsConfig {
    pub fn region(&self) -> &str {
        self.region.as_deref().unwrap_or(DEFAULT_REGION)
    }

    pub fn poll_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.poll_interval_secs.unwrap_or(DEFAULT_POLL_SECS))
    }

    pub fn grace(&self) -> chrono::Duration {
        let secs = self.previous_key_grace_secs.unwrap_or(DEFAULT_GRACE_SECS);
        chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX))
    }

    pub fn validate(&self) -> Result<(), String> {
        let r = self.region();
        if r.is_empty()
            || !r
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(format!("secrets.region '{r}' is not a region name"));
        }
        if let Some(p) = self.poll_interval_secs
            && !(1..=86_400).contains(&p)
        {
            return Err(format!(
                "secrets.poll_interval_secs {p} is outside 1..=86400"
            ));
        }
        if let Some(g) = self.previous_key_grace_secs
            && g > 366 * 86_400
        {
            return Err(format!(
                "secrets.previous_key_grace_secs {g} is over a year"
            ));
        }
        for (name, hook) in &self.rotation_hooks {
            if name.is_empty()
                || name.len() > 64
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(format!(
                    "secrets.rotation_hooks: '{name}' is not a function name"
                ));
            }
            if name == super::rotator::BUILTIN_IAM_KEYS {
                return Err(format!("secrets.rotation_hooks: '{name}' is reserved"));
            }
            if hook.command.is_empty() {
                return Err(format!("secrets.rotation_hooks.{name}.command is empty"));
            }
            if let Some(t) = hook.timeout_secs
                && !(1..=900).contains(&t)
            {
                return Err(format!(
                    "secrets.rotation_hooks.{name}.timeout_secs {t} is outside 1..=900"
                ));
            }
        }
        Ok(())
    }
}
