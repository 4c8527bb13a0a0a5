//! Credentials delivered to processes (issue 13 §4): the operator binds a workload to a role
//! in the configuration (`[[workload]]`), and the workload fetches refreshing role
//! credentials with an unmodified SDK, holding no AWS key:
//!
//! - the container credential protocol at `/_hourglass/credentials` on the main listener
//!   (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`): the
//!   workload proves who it is with its bearer token, stored by the server only as a SHA-256
//!   digest;
//! - the IMDSv2 protocol on a listener of the workload's own (`imds_listen`,
//!   `AWS_EC2_METADATA_SERVICE_ENDPOINT`): whoever can reach that socket is the workload, as
//!   on EC2, so it belongs on a loopback or namespace-private address (see
//!   `docs/federation.md` for the threat model);
//! - `hourglass credentials` (a `credential_process`) reads the container endpoint.
//!
//! Credentials are minted by [`hourglass_iam::Identity::workload_credentials`] (the role's
//! trust policy must allow the matching service principal), kept per workload, and replaced
//! once less than a quarter of their lifetime (at most an hour) remains, so SDKs that
//! refresh early always get credentials with time left.

pub mod config;
pub mod imds;

use std::sync::Arc;

use chrono::Utc;
use hourglass_iam::federation::workloads::WorkloadCredentials;
use hourglass_iam::{IamError, Identity};
use sha2::{Digest, Sha256};

use crate::http::body::{Response, response};
pub use config::WorkloadSpec;

/// Service principals the role's trust policy must allow, per protocol.
pub const IMDS_SERVICE: &str = "ec2.amazonaws.com";
pub const CONTAINER_SERVICE: &str = "ecs-tasks.amazonaws.com";

/// Path of the container credential endpoint on the main listener.
pub const CONTAINER_PATH: &str = "/_hourglass/credentials";

/// One configured workload and its current credentials.
pub struct Workload {
    pub spec: WorkloadSpec,
    /// The credentials and when they were minted.
    current: tokio::sync::Mutex<Option<(WorkloadCredentials, chrono::DateTime<Utc>)>>,
}

/// Every configured workload.
#[derive(Default)]
pub struct Workloads {
    list: Vec<Arc<Workload>>,
}

/// Why a workload got no credentials.
pub enum Refusal {
    /// The role's trust policy does not allow the service, or the role is gone.
    Unauthorized(String),
    /// A server-side failure (logged).
    Internal,
}

impl Workloads {
    pub fn new(specs: &[WorkloadSpec]) -> Workloads {
        Workloads {
            list: specs
                .iter()
                .map(|s| {
                    Arc::new(Workload {
                        spec: s.clone(),
                        current: tokio::sync::Mutex::new(None),
                    })
                })
                .collect(),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Workload>> {
        self.list.iter()
    }

    /// The workload whose token this is. Digests are compared, so the comparison leaks
    /// nothing useful about the token itself.
    pub fn by_token(&self, token: &str) -> Option<&Arc<Workload>> {
        let token = token.trim();
        if token.is_empty() {
            return None;
        }
        let digest = hex::encode(Sha256::digest(token.as_bytes()));
        self.list
            .iter()
            .find(|w| w.spec.token_sha256.as_deref() == Some(digest.as_str()))
    }
}

impl Workload {
    /// Current credentials, minted anew when absent or close to expiry.
    pub async fn credentials(
        &self,
        identity: &Identity,
        service: &str,
    ) -> Result<WorkloadCredentials, Refusal> {
        let mut current = self.current.lock().await;
        let now = Utc::now();
        if let Some((c, minted)) = current.as_ref() {
            let lifetime = (c.credentials.expiration - *minted).num_seconds();
            let left = (c.credentials.expiration - now).num_seconds();
            if left > (lifetime / 4).min(3600) {
                return Ok(c.clone());
            }
        }
        match identity
            .workload_credentials(
                &self.spec.role_arn,
                &self.spec.session_name,
                self.spec.duration_seconds,
                service,
            )
            .await
        {
            Ok(c) => {
                *current = Some((c.clone(), now));
                Ok(c)
            }
            Err(IamError::AccessDenied { message, .. }) => {
                tracing::warn!(workload = %self.spec.name, %message, "workload credentials refused");
                Err(Refusal::Unauthorized(message))
            }
            Err(e) => {
                tracing::error!(workload = %self.spec.name, error = %e, "workload credentials failed");
                Err(Refusal::Internal)
            }
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the one format every SDK parses (botocore's stale-credential
/// logic expects exactly this).
pub fn timestamp(t: &chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn json_error(status: u16, code: &str, message: &str) -> Response {
    let body = serde_json::json!({"Code": code, "Message": message}).to_string();
    response(status, "application/json", body)
}

/// `GET /_hourglass/credentials`: the container credential protocol. The `Authorization`
/// value is the workload's token, raw (botocore) or as `Bearer …`.
pub async fn container(
    authorization: Option<&str>,
    identity: &Identity,
    workloads: &Workloads,
) -> Response {
    let token = authorization
        .map(|a| a.strip_prefix("Bearer ").unwrap_or(a))
        .unwrap_or_default();
    let Some(workload) = workloads.by_token(token) else {
        return json_error(
            401,
            "AccessDenied",
            "The authorization token is missing or does not belong to a workload.",
        );
    };
    match workload.credentials(identity, CONTAINER_SERVICE).await {
        Ok(c) => {
            let body = serde_json::json!({
                "AccessKeyId": c.credentials.access_key_id,
                "SecretAccessKey": c.credentials.secret_access_key.expose(),
                "Token": c.credentials.session_token,
                "Expiration": timestamp(&c.credentials.expiration),
                "RoleArn": c.role_arn,
                "AccountId": c.account_id,
            });
            response(200, "application/json", body.to_string())
        }
        Err(Refusal::Unauthorized(m)) => json_error(403, "AssumeRoleUnauthorizedAccess", &m),
        Err(Refusal::Internal) => json_error(500, "InternalError", "An internal error occurred."),
    }
}
