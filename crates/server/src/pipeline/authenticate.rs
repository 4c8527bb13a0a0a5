//! The authentication gate of the Query and JSON fronts: one way to read a request's
//! credentials, check a large body's key before buffering it, and verify the signature
//! through [`hourglass_iam::Identity`] (which owns the one signing-key cache). S3 reaches
//! the same `Identity` through its own reader of SigV2, presigned and aws-chunked forms.

use std::net::SocketAddr;

use bytes::Bytes;
use hourglass_iam::telemetry::RequestReport;
use hourglass_iam::{AuthError, Caller, Identity, RequestParts};

use crate::http::body::{BodyError, read_limited};
use crate::http::timed_body::TimedBody;
use crate::state::AppState;

/// Bodies up to this size are buffered before the key is looked up, which spares small
/// requests a second lookup; larger (or unsized) ones are refused early for a bad key.
pub const PRECHECK_BODY_BYTES: u64 = 16 * 1024;

/// Headers as lowercase names and string values, the form the signature check reads.
pub fn header_pairs(headers: &hyper::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Whether a body of this size hint must have its key checked before it is read.
pub fn needs_precheck(hint: &hyper::body::SizeHint) -> bool {
    hint.upper().is_none_or(|n| n > PRECHECK_BODY_BYTES)
}

/// Why a buffered request body could not be read; each front answers it in its protocol.
#[derive(Debug)]
pub enum BodyReadError {
    /// Declared or actual size over the limit (the limit).
    TooLarge(usize),
    /// A large body signed with a key that does not exist or is not active.
    Auth(AuthError),
    /// The connection failed mid-body.
    Read(String),
    /// The body paused longer than the body read timeout.
    TimedOut,
}

/// Reads a signed request's body, up to `limit` bytes and within the body read timeout, for
/// the Query and JSON fronts. A declared length over the limit is refused before any byte is
/// read, and so is a large body whose key (for a request signed for `signing_name`) does not
/// exist or is not active: no unbounded buffering before authentication.
#[allow(clippy::too_many_arguments)]
pub async fn read_body(
    parts: &http::request::Parts,
    body: TimedBody,
    remote: SocketAddr,
    secure: bool,
    signing_name: Option<&str>,
    limit: usize,
    state: &AppState,
    report: &mut RequestReport,
) -> Result<Bytes, BodyReadError> {
    let hint = hyper::body::Body::size_hint(&body);
    if hint.lower() > u64::try_from(limit).unwrap_or(u64::MAX) {
        return Err(BodyReadError::TooLarge(limit));
    }
    if let Some(signing_name) = signing_name
        && needs_precheck(&hint)
        && let Err(e) = precheck_key(parts, remote, secure, signing_name, state).await
    {
        report.auth_failed = true;
        return Err(BodyReadError::Auth(e));
    }
    read_limited(body, limit).await.map_err(|e| match e {
        BodyError::TooLarge(n) => BodyReadError::TooLarge(n),
        BodyError::Read(m) => BodyReadError::Read(m),
        BodyError::TimedOut => BodyReadError::TimedOut,
    })
}

/// Resolves the access key (and session token) a header- or URL-signed request names,
/// for a request signed for `signing_name`. Anything that does not parse is left to full
/// authentication after the body, so the error a client sees for it does not change.
pub async fn precheck_key(
    parts: &http::request::Parts,
    remote: SocketAddr,
    secure: bool,
    signing_name: &str,
    state: &AppState,
) -> Result<(), AuthError> {
    let pairs = header_pairs(&parts.headers);
    let headers: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let req = hourglass_sigv4::Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
    };
    let Ok(hourglass_sigv4::Auth::V4(auth)) = hourglass_sigv4::parse_auth(&req) else {
        return Ok(());
    };
    if auth.scope.service != signing_name {
        return Ok(());
    }
    let origin = hourglass_iam::authn::CallerOrigin {
        region: &auth.scope.region,
        source_ip: remote.ip(),
        secure_transport: secure,
    };
    state
        .identity
        .resolve_access_key(&auth.access_key_id, auth.security_token.as_deref(), &origin)
        .await
        .map(|_| ())
}

/// Verifies a buffered request signed for `signing_name` and notes the outcome in the
/// request's report: the caller on success, an authentication failure otherwise.
pub async fn authenticate(
    state: &AppState,
    request: &RequestParts<'_>,
    signing_name: &str,
    report: &mut RequestReport,
) -> Result<Caller, AuthError> {
    if !request.is_signed() {
        return Err(AuthError::MissingAuthentication);
    }
    match state.identity.authenticate(request, signing_name).await {
        Ok(c) => {
            report.caller(&c);
            Ok(c)
        }
        Err(e) => {
            report.auth_failed = true;
            Err(e)
        }
    }
}

/// The identity service as the caller's account sees it: `None` (use the server's own, no
/// copy) when the caller is in the server's account, a member account's view otherwise.
pub fn account_view(state: &AppState, caller: &Caller) -> Option<Identity> {
    let account = caller.account_id();
    (account != state.identity.account_id()).then(|| state.identity.for_account(account))
}
