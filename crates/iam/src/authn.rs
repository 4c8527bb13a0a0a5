//! Authentication: from a signed request to a [`Caller`] (spec §2.9): parse the signature,
//! resolve the access key, verify, then load the principal. Every failure says only what
//! AWS says, so a caller cannot tell an unknown key from an inactive one.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use hourglass_sigv4 as sigv4;
use hourglass_store::{AccessKeyLastUsed, AccessKeyStatus, KeyOwner, StoreError};

use crate::Identity;
use crate::error::{AuthError, SIGNATURE_MISMATCH};
use crate::principal::{AssumedRole, Caller, FederatedUser, Principal};
use crate::session::{SessionClaims, SessionKind};

/// The parts of an HTTP request authentication reads, exactly as received.
#[derive(Debug)]
pub struct RequestParts<'a> {
    pub method: &'a str,
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    /// Lowercase header names with their values, in the order received.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    pub source_ip: IpAddr,
    pub secure_transport: bool,
}

impl RequestParts<'_> {
    /// Whether the request carries any form of signature.
    pub fn is_signed(&self) -> bool {
        self.headers.iter().any(|(k, _)| k == "authorization")
            || self.raw_query.contains("X-Amz-Signature=")
            || self.raw_query.contains("X-Amz-Credential=")
            || self.raw_query.contains("AWSAccessKeyId=")
    }
}

/// Where a request came from, for the condition keys of its caller.
#[derive(Debug, Clone, Copy)]
pub struct CallerOrigin<'a> {
    /// Region of the signature scope.
    pub region: &'a str,
    pub source_ip: IpAddr,
    pub secure_transport: bool,
}

/// A resolved credential: the secret to verify the signature with, and who the request
/// acts as once it is verified.
#[derive(Debug)]
pub struct ResolvedKey {
    pub secret: hourglass_store::Secret,
    pub caller: Caller,
}

/// Limits last-used writes to one per key, service and region per interval: the value is
/// reported at second precision by AWS too, and a write per request would make every read
/// a write.
#[derive(Debug, Default)]
pub struct KeyUseThrottle {
    last: Mutex<HashMap<String, LastUse>>,
}

/// Service, region and time of a key's last recorded use.
type LastUse = (String, String, DateTime<Utc>);

const KEY_USE_INTERVAL_MS: i64 = 1_000;
const KEY_USE_TRACKED: usize = 100_000;

impl KeyUseThrottle {
    fn should_record(&self, key: &str, service: &str, region: &str, now: DateTime<Utc>) -> bool {
        let Ok(mut last) = self.last.lock() else {
            return true;
        };
        if let Some((s, r, at)) = last.get(key)
            && s == service
            && r == region
            && (now - *at).num_milliseconds() < KEY_USE_INTERVAL_MS
        {
            return false;
        }
        if last.len() >= KEY_USE_TRACKED {
            last.clear();
        }
        last.insert(key.to_owned(), (service.to_owned(), region.to_owned(), now));
        true
    }
}

fn from_sig(e: sigv4::Error) -> AuthError {
    match e {
        sigv4::Error::SignatureExpired { .. } | sigv4::Error::SignatureNotYetCurrent { .. } => {
            let (request_time, server_time, _) = e.skew_details().unwrap_or_default();
            AuthError::Skewed {
                message: e.to_string(),
                request_time,
                server_time,
            }
        }
        sigv4::Error::SignatureDoesNotMatch(m) => AuthError::SignatureDoesNotMatch {
            message: SIGNATURE_MISMATCH.to_owned(),
            string_to_sign: Some(m.string_to_sign),
            canonical_request: m.canonical_request,
        },
        sigv4::Error::PresignExpired { .. } | sigv4::Error::PresignNotYetValid { .. } => {
            AuthError::PresignWindow(e.to_string())
        }
        sigv4::Error::QueryParameters { message } => AuthError::QueryParameters(message),
        sigv4::Error::HeadersNotSigned { headers } => AuthError::HeadersNotSigned(headers),
        sigv4::Error::IncompleteSignature { message } => AuthError::Incomplete(message),
        sigv4::Error::MalformedCredential { .. }
        | sigv4::Error::MissingDate
        | sigv4::Error::ScopeDateMismatch { .. }
        | sigv4::Error::ConflictingAuth
        | sigv4::Error::UnsupportedAlgorithm { .. } => AuthError::Incomplete(e.to_string()),
        other => AuthError::Signature(other),
    }
}

fn caller(
    principal: Principal,
    access_key_id: &str,
    origin: &CallerOrigin<'_>,
    session: Option<Arc<SessionClaims>>,
) -> Caller {
    Caller {
        principal,
        access_key_id: access_key_id.to_owned(),
        region: origin.region.to_owned(),
        source_ip: origin.source_ip,
        secure_transport: origin.secure_transport,
        user_agent: None,
        session,
    }
}

impl Identity {
    /// Authenticates a Query-protocol (IAM/STS) request signed for `service`.
    pub async fn authenticate(
        &self,
        req: &RequestParts<'_>,
        service: &str,
    ) -> Result<Caller, AuthError> {
        let headers: Vec<(&str, &str)> = req
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let sreq = sigv4::Request {
            method: req.method,
            path: req.raw_path,
            query: req.raw_query,
            headers: &headers,
        };
        let auth = match sigv4::parse_auth(&sreq).map_err(from_sig)? {
            sigv4::Auth::V4(a) => a,
            sigv4::Auth::Anonymous => return Err(AuthError::MissingAuthentication),
            sigv4::Auth::V2(_) => {
                return Err(AuthError::Incomplete(
                    "Signature Version 2 is not supported for this service.".into(),
                ));
            }
        };
        if auth.scope.service != service {
            return Err(AuthError::Incomplete(format!(
                "Credential should be scoped to correct service: '{service}'. "
            )));
        }
        let now = self.clock.now();
        let resolved = self
            .resolve_access_key(
                &auth.access_key_id,
                auth.security_token.as_deref(),
                &CallerOrigin {
                    region: &auth.scope.region,
                    source_ip: req.source_ip,
                    secure_transport: req.secure_transport,
                },
            )
            .await?;
        let body_hash = sigv4::sha256_hex(req.body);
        sigv4::verify_v4(
            &sreq,
            &auth,
            resolved.secret.expose(),
            &sigv4::VerifyOptions::query(&body_hash, now),
            &self.signing_keys,
        )
        .map_err(from_sig)?;
        let mut caller = resolved.caller;
        if service == "iam"
            && caller
                .session
                .as_ref()
                .is_some_and(|s| s.kind != SessionKind::Role && !s.mfa)
        {
            // GetSessionToken credentials without MFA cannot call IAM (spec §3.3).
            return Err(AuthError::InvalidClientTokenId);
        }
        caller.user_agent = req
            .headers
            .iter()
            .find(|(k, _)| k == "user-agent")
            .map(|(_, v)| v.clone());
        self.record_key_use(&auth.access_key_id, service, &auth.scope.region)
            .await;
        Ok(caller)
    }

    /// Resolves an access key id (and session token, for temporary keys) to the secret a
    /// signature must be verified with and the caller it will act as. Every S3 and Query
    /// authentication goes through here; the caller is only valid once the signature has
    /// been verified with `secret`.
    pub async fn resolve_access_key(
        &self,
        access_key_id: &str,
        security_token: Option<&str>,
        origin: &CallerOrigin<'_>,
    ) -> Result<ResolvedKey, AuthError> {
        if access_key_id.starts_with("ASIA") {
            return self
                .resolve_temporary_key(access_key_id, security_token, origin)
                .await;
        }
        let key = match self.snapshot_access_key(access_key_id).await {
            Ok(k) => k,
            Err(StoreError::NotFound { .. }) => return Err(AuthError::InvalidClientTokenId),
            Err(e) => {
                tracing::error!(error = %e, "access key lookup failed");
                return Err(AuthError::InvalidClientTokenId);
            }
        };
        if key.metadata.status != AccessKeyStatus::Active {
            return Err(AuthError::InvalidClientTokenId);
        }
        if security_token.is_some() {
            // A session token only belongs with a temporary (ASIA) key.
            return Err(AuthError::InvalidToken);
        }
        let principal = match &key.metadata.owner {
            KeyOwner::Root => Principal::Root {
                account_id: key.metadata.account_id.clone(),
            },
            KeyOwner::User(user_id) => match self
                .snapshot_user_by_id(&key.metadata.account_id, user_id)
                .await
            {
                Ok(u) => Principal::User(u),
                // The key outlived its user only if a delete raced; treat it as gone.
                Err(_) => return Err(AuthError::InvalidClientTokenId),
            },
        };
        Ok(ResolvedKey {
            secret: key.secret.clone(),
            caller: caller(principal, access_key_id, origin, None),
        })
    }

    /// Temporary credentials: the session token is opened with the server key ring (no store
    /// write; spec §2.9 step 3), then the principal is loaded as it is now.
    async fn resolve_temporary_key(
        &self,
        access_key_id: &str,
        security_token: Option<&str>,
        origin: &CallerOrigin<'_>,
    ) -> Result<ResolvedKey, AuthError> {
        let token = security_token.ok_or(AuthError::InvalidToken)?;
        let ring = self.key_ring().map_err(|e| {
            tracing::error!(error = %e, "cannot open session tokens");
            AuthError::InvalidToken
        })?;
        let claims = crate::session::open(ring, access_key_id, token)?;
        if self.clock.now().timestamp_millis() >= claims.expires_ms {
            return Err(AuthError::ExpiredToken);
        }
        self.check_origin_not_revoked(&claims).await?;
        let account = claims.account_id.as_str();
        let principal = match claims.kind {
            SessionKind::Root => Principal::Root {
                account_id: account.to_owned(),
            },
            SessionKind::User => {
                let user_id = claims.user_id.as_deref().ok_or(AuthError::InvalidToken)?;
                match self.snapshot_user_by_id(account, user_id).await {
                    Ok(u) => Principal::User(u),
                    Err(StoreError::NotFound { .. }) => return Err(AuthError::InvalidToken),
                    Err(e) => {
                        tracing::error!(error = %e, "session user lookup failed");
                        return Err(AuthError::InvalidToken);
                    }
                }
            }
            SessionKind::FederatedUser => {
                let name = claims
                    .session_name
                    .as_deref()
                    .ok_or(AuthError::InvalidToken)?;
                // The parent as it is now; a deleted parent takes its sessions with it.
                let parent = match claims.user_id.as_deref() {
                    None => None,
                    Some(user_id) => match self.snapshot_user_by_id(account, user_id).await {
                        Ok(u) => Some(u),
                        Err(StoreError::NotFound { .. }) => return Err(AuthError::InvalidToken),
                        Err(e) => {
                            tracing::error!(error = %e, "federated session user lookup failed");
                            return Err(AuthError::InvalidToken);
                        }
                    },
                };
                Principal::FederatedUser(Box::new(FederatedUser::new(account, name, parent)))
            }
            SessionKind::Role => {
                let role_id = claims.role_id.as_deref().ok_or(AuthError::InvalidToken)?;
                let name = claims
                    .session_name
                    .as_deref()
                    .ok_or(AuthError::InvalidToken)?;
                match self.snapshot_role_by_id(account, role_id).await {
                    Ok(role) => Principal::AssumedRole(Box::new(AssumedRole::new(role, name))),
                    // The role was deleted: its sessions die with it.
                    Err(StoreError::NotFound { .. }) => return Err(AuthError::InvalidToken),
                    Err(e) => {
                        tracing::error!(error = %e, "session role lookup failed");
                        return Err(AuthError::InvalidToken);
                    }
                }
            }
        };
        let secret = claims.secret();
        Ok(ResolvedKey {
            secret,
            caller: caller(principal, access_key_id, origin, Some(Arc::new(claims))),
        })
    }

    /// Refuses a session descending from a key whose sessions the leaked-key response
    /// revoked (sessions issued before the revocation). Fails closed on a store error.
    async fn check_origin_not_revoked(&self, claims: &SessionClaims) -> Result<(), AuthError> {
        let Some(origin) = claims.origin_key_id.as_deref() else {
            return Ok(());
        };
        match self.snapshot_origin_revoked_at(origin).await {
            Ok(Some(at)) if claims.issued_ms <= at => Err(AuthError::InvalidToken),
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, "session revocation lookup failed");
                Err(AuthError::InvalidToken)
            }
        }
    }

    /// Records a use of a long-term key for GetAccessKeyLastUsed (throttled per key).
    pub async fn record_key_use(&self, access_key_id: &str, service: &str, region: &str) {
        let now = self.clock.now();
        if !access_key_id.starts_with("AKIA")
            || !self
                .key_use
                .should_record(access_key_id, service, region, now)
        {
            return;
        }
        let used = AccessKeyLastUsed {
            date: now,
            service: service.to_owned(),
            region: region.to_owned(),
        };
        // Awaited, not spawned: GetAccessKeyLastUsed right after a call must see it, and the
        // throttle already keeps this to one write per key, service and region per second.
        if let Err(e) = self.store.record_access_key_use(access_key_id, &used).await {
            tracing::warn!(error = %e, "cannot record access key use");
        }
    }
}
