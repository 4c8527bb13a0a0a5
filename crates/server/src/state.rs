//! What every request handler shares.

use std::sync::Arc;

use hourglass_iam::Identity;

use crate::config::Config;
use crate::metrics::Metrics;

pub struct AppState {
    pub config: Config,
    pub identity: Arc<Identity>,
    pub s3: Arc<hourglass_s3::S3Service>,
    pub metrics: Metrics,
    /// Workloads bound to roles (credential endpoints).
    pub workloads: crate::credentials::Workloads,
    /// Secrets Manager (store, rotation worker, hooks).
    pub secrets: Arc<crate::api::secretsmanager::SecretsRuntime>,
    /// The audit queue every request's event goes to.
    pub audit: Arc<hourglass_audit::AuditSink>,
}
