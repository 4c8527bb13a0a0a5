//! The identity domain of Hourglass: IAM and STS operations, authentication of signed
//! requests, and authorization through the policy engine. Protocol-free: the server crate
//! decodes requests into the typed inputs here and encodes the typed outputs.

pub mod access_keys;
pub mod account;
pub mod account_settings;
pub mod attachments;
pub mod authn;
pub mod authz;
pub mod aws_managed;
pub mod bootstrap;
pub mod boundaries;
pub mod clock;
pub mod credential_report;
pub mod error;
pub mod federation;
pub mod groups;
pub mod ids;
pub mod inline_policies;
pub mod instance_profiles;
pub mod leaked_key;
pub mod login_profiles;
pub mod member_accounts;
pub mod mfa;
pub mod policies;
pub mod policy_versions;
pub mod principal;
pub mod roles;
pub mod scp;
pub mod server_certs;
pub mod service_linked_roles;
pub mod session;
pub mod simulator;
mod snapshot;
pub mod sts;
pub mod tags;
pub mod telemetry;
pub mod user_credentials;
pub mod users;
pub mod validate;

use std::sync::Arc;

use hourglass_store::Store;

pub use authn::RequestParts;
pub use error::{AuthError, IamError, IamResult};
pub use principal::{Caller, Principal};
pub use tags::Taggable;

/// The IAM/STS service as seen from one account. The server holds the one for its
/// configured account; [`Identity::for_account`] gives the view of another account of
/// the same server (member accounts of the organization), sharing every cache.
pub struct Identity {
    store: Arc<Store>,
    account_id: String,
    clock: Arc<clock::Clock>,
    signing_keys: Arc<hourglass_sigv4::SigningKeyCache>,
    key_use: Arc<authn::KeyUseThrottle>,
    policies: Arc<hourglass_policy::PolicyCache>,
    /// Keys, principals and compiled policies in memory (see [`snapshot`]).
    snapshot: Arc<snapshot::Snapshot>,
    /// Seals session tokens and authorization messages (see [`session`]).
    key_ring: Option<Arc<hourglass_store::KeyRing>>,
    telemetry: telemetry::Telemetry,
    /// OIDC issuers' key sets (AssumeRoleWithWebIdentity).
    oidc_keys: Arc<federation::jwks::OidcKeys>,
    /// AWS managed policies this process has put in the store (see [`aws_managed`]).
    aws_policies: Arc<aws_managed::Materialized>,
}

impl Identity {
    pub fn new(store: Arc<Store>, account_id: impl Into<String>) -> Self {
        Self {
            store,
            account_id: account_id.into(),
            clock: Arc::default(),
            signing_keys: Arc::default(),
            key_use: Arc::default(),
            policies: Arc::default(),
            snapshot: Arc::default(),
            // Until the server's ring is given, a random in-memory one: sessions then do not
            // survive a restart (tests only; the server bootstrap always sets its ring).
            key_ring: hourglass_store::KeyRing::generate("ephemeral")
                .ok()
                .map(Arc::new),
            telemetry: telemetry::Telemetry::default(),
            oidc_keys: Arc::default(),
            aws_policies: Arc::default(),
        }
    }

    /// Sends this identity's metrics (authorization decisions, credentials issued) to the
    /// server's recorder.
    pub fn with_telemetry(mut self, telemetry: telemetry::Telemetry) -> Self {
        self.telemetry = telemetry;
        self
    }

    pub fn telemetry(&self) -> &telemetry::Telemetry {
        &self.telemetry
    }

    /// The one SigV4 signing-key cache, shared by every front that verifies signatures.
    pub fn signing_keys(&self) -> &hourglass_sigv4::SigningKeyCache {
        &self.signing_keys
    }

    /// Uses the server key ring for session tokens and authorization messages.
    pub fn with_key_ring(mut self, key_ring: Arc<hourglass_store::KeyRing>) -> Self {
        self.key_ring = Some(key_ring);
        self
    }

    /// The server key ring, for other services that seal data with it (S3 object data).
    pub fn server_key_ring(&self) -> Option<Arc<hourglass_store::KeyRing>> {
        self.key_ring.clone()
    }

    pub(crate) fn key_ring(&self) -> IamResult<&hourglass_store::KeyRing> {
        self.key_ring
            .as_deref()
            .ok_or_else(|| IamError::Internal("no server key ring".into()))
    }

    /// The same service for the account `account_id`: IAM operations then read and write
    /// that account's entities. Cheap (shared caches, store and key ring).
    pub fn for_account(&self, account_id: &str) -> Identity {
        Identity {
            store: Arc::clone(&self.store),
            account_id: account_id.to_owned(),
            clock: Arc::clone(&self.clock),
            signing_keys: Arc::clone(&self.signing_keys),
            key_use: Arc::clone(&self.key_use),
            policies: Arc::clone(&self.policies),
            snapshot: Arc::clone(&self.snapshot),
            key_ring: self.key_ring.clone(),
            telemetry: self.telemetry.clone(),
            oidc_keys: Arc::clone(&self.oidc_keys),
            aws_policies: Arc::clone(&self.aws_policies),
        }
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    pub fn clock(&self) -> &clock::Clock {
        &self.clock
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Readiness: the store answers.
    pub async fn health(&self) -> IamResult<()> {
        self.store.get_account(&self.account_id).await?;
        Ok(())
    }
}
