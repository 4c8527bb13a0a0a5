//! Where the identity domain and the protocol fronts report what happened, for the server's
//! request pipeline to turn into metrics and the request record.
//!
//! Recording goes through a recorder owned by the server instance rather than the
//! process-global one, so several servers in one process (tests) never share counters.

use std::sync::Arc;

use hourglass_policy::DecisionEffect;

/// The recorder every metric of one server goes to. The default records nothing.
#[derive(Clone)]
pub struct Telemetry {
    recorder: Arc<dyn metrics::Recorder + Send + Sync>,
}

impl Default for Telemetry {
    fn default() -> Self {
        Self {
            recorder: Arc::new(metrics::NoopRecorder),
        }
    }
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Telemetry")
    }
}

impl Telemetry {
    pub fn new(recorder: Arc<dyn metrics::Recorder + Send + Sync>) -> Self {
        Self { recorder }
    }

    /// Runs `f` (which uses the `metrics` macros) against this server's recorder. Recording
    /// is synchronous, so the scope never spans an await.
    pub fn record<T>(&self, f: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(&*self.recorder, f)
    }

    /// One authorization decision of the one authorizer.
    pub fn authz_decision(&self, effect: DecisionEffect) {
        let decision = match effect {
            DecisionEffect::Allow => "allow",
            DecisionEffect::ExplicitDeny => "explicit_deny",
            DecisionEffect::ImplicitDeny => "implicit_deny",
        };
        self.record(|| {
            metrics::counter!("hourglass_authz_decisions_total", "decision" => decision)
                .increment(1);
        });
    }

    /// A credential handed out: `kind` is the operation that issued it.
    pub fn credentials_issued(&self, kind: &'static str) {
        self.record(|| {
            metrics::counter!("hourglass_credentials_issued_total", "kind" => kind).increment(1);
        });
    }
}

/// What a protocol front learned about one request, attached to its response as an
/// extension for the pipeline's request record. Every label value here comes from a fixed
/// set (operation names the front recognised, AWS error codes), never from raw client input,
/// so metric cardinality stays bounded whatever clients send.
#[derive(Debug, Clone, Default)]
pub struct RequestReport {
    /// `iam`, `sts`, `s3`, once the front knows which service answered.
    pub service: Option<&'static str>,
    /// The operation, once recognised.
    pub operation: Option<String>,
    /// The AWS error code of the answer; `None` for success.
    pub error_code: Option<String>,
    /// The request was refused while authenticating its credentials.
    pub auth_failed: bool,
    pub principal_arn: Option<String>,
    pub access_key_id: Option<String>,
    /// The front's part of the request's audit event.
    pub audit: hourglass_audit::EventDetail,
}

impl RequestReport {
    /// Takes the caller's identity into the report.
    pub fn caller(&mut self, caller: &crate::Caller) {
        self.principal_arn = Some(caller.arn());
        self.access_key_id = Some(caller.access_key_id.clone());
        self.audit.user_identity = Some(user_identity(caller));
        self.audit.origin_key_id = caller.origin_key_id();
        self.audit.region = Some(caller.region.clone());
    }
}

/// The caller as CloudTrail's `userIdentity` (spec §3.2).
pub fn user_identity(caller: &crate::Caller) -> hourglass_audit::UserIdentity {
    use crate::Principal;
    use hourglass_audit::identity::{SessionAttributes, creation_date};
    use hourglass_audit::{SessionContext, SessionIssuer, UserIdentity};

    let attributes = caller.session.as_ref().map(|s| SessionAttributes {
        creation_date: creation_date(s.issued_ms),
        mfa_authenticated: s.mfa.to_string(),
    });
    let source_identity = caller
        .session
        .as_ref()
        .and_then(|s| s.source_identity.clone());
    let account_id = caller.account_id().to_owned();
    let mut id = UserIdentity {
        principal_id: Some(caller.user_id().to_owned()),
        arn: Some(caller.arn()),
        account_id: Some(account_id.clone()),
        access_key_id: Some(caller.access_key_id.clone()),
        ..UserIdentity::default()
    };
    match &caller.principal {
        Principal::Root { .. } => {
            id.kind = "Root".into();
            id.lookup_username = Some("root".into());
            id.session_context = attributes.map(|attributes| SessionContext {
                attributes,
                ..SessionContext::default()
            });
        }
        Principal::User(u) => {
            id.kind = "IAMUser".into();
            id.user_name = Some(u.name.clone());
            id.lookup_username = Some(u.name.clone());
            id.session_context = attributes.map(|attributes| SessionContext {
                attributes,
                ..SessionContext::default()
            });
        }
        Principal::FederatedUser(f) => {
            id.kind = "FederatedUser".into();
            id.lookup_username = Some(f.name.clone());
            let issuer = match &f.parent {
                Some(u) => SessionIssuer {
                    kind: "IAMUser".into(),
                    principal_id: u.user_id.clone(),
                    arn: u.arn.clone(),
                    account_id,
                    user_name: u.name.clone(),
                },
                None => SessionIssuer {
                    kind: "Root".into(),
                    principal_id: account_id.clone(),
                    arn: f.parent_arn.clone(),
                    account_id,
                    user_name: String::new(),
                },
            };
            id.session_context = Some(SessionContext {
                session_issuer: Some(issuer),
                web_id_federation_data: Some(serde_json::Value::Object(Default::default())),
                attributes: attributes.unwrap_or_default(),
                source_identity,
            });
        }
        Principal::AssumedRole(r) => {
            id.kind = "AssumedRole".into();
            id.lookup_username = Some(r.session_name.clone());
            id.session_context = Some(SessionContext {
                session_issuer: Some(SessionIssuer {
                    kind: "Role".into(),
                    principal_id: r.role.role_id.clone(),
                    arn: r.role.arn.clone(),
                    account_id,
                    user_name: r.role.name.clone(),
                }),
                // AWS records the provider for sessions of AssumeRoleWithWebIdentity and an
                // empty object for every other role session.
                web_id_federation_data: Some(
                    caller
                        .session
                        .as_ref()
                        .and_then(|s| s.federated.as_ref())
                        .filter(|f| !f.saml)
                        .map_or_else(
                            || serde_json::Value::Object(Default::default()),
                            |f| {
                                serde_json::json!({
                                    "federatedProvider": f.provider,
                                    "attributes": {},
                                })
                            },
                        ),
                ),
                attributes: attributes.unwrap_or_default(),
                source_identity,
            });
        }
    }
    id
}
