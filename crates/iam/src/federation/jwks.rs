//! The issuers' signing keys: `GET {iss}/.well-known/openid-configuration`, then its
//! `jwks_uri`, over HTTPS only, verified against the system roots plus the bundle named by
//! `SSL_CERT_FILE`. Key sets are cached per issuer for [`FRESH_FOR`]; a token naming a `kid`
//! the cached set lacks triggers a refetch (key rotation); after such a refetch the next
//! one waits [`REFETCH_AFTER`], so a stream of bogus `kid`s cannot turn Hourglass into a
//! load generator against the issuer. Every request is bounded ([`CONNECT_TIMEOUT`], [`REQUEST_TIMEOUT`],
//! [`MAX_BODY`]). A failure never yields keys, so it can only deny.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use jsonwebtoken::jwk::JwkSet;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, pki_types::ServerName};

use super::FederationError;

pub const FRESH_FOR: Duration = Duration::from_secs(600);
pub const REFETCH_AFTER: Duration = Duration::from_secs(10);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest discovery document or key set read.
pub const MAX_BODY: usize = 256 * 1024;
/// AWS uses at most this many keys of a JWKS.
pub const MAX_KEYS: usize = 100;

/// AWS's text when the IdP answered but gave no usable key (two spaces after the comma, as
/// AWS writes it).
pub const NO_KEY: &str = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";

struct Entry {
    keys: Arc<JwkSet>,
    fetched: Instant,
    /// When a refetch was last made for an unknown `kid` (throttles the next one).
    kid_refetch: Option<Instant>,
}

/// The per-server cache of issuers' key sets.
#[derive(Default)]
pub struct OidcKeys {
    tls: OnceLock<Result<Arc<ClientConfig>, String>>,
    cache: Mutex<HashMap<String, Entry>>,
    /// One lock per issuer: concurrent requests for an issuer share one fetch, and a slow
    /// issuer never delays another's.
    fetching: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Recent failures per issuer: repeated within [`FAILURE_FOR`] without a new fetch.
    failures: Mutex<HashMap<String, (Instant, FederationError)>>,
}

/// How long a failed fetch is answered from memory.
pub const FAILURE_FOR: Duration = Duration::from_secs(5);
/// Issuers remembered at most (locks and failures); beyond it stale entries are dropped.
const MAX_ISSUERS: usize = 1024;

/// Why a fetch failed: the IdP was unreachable (transient) or answered unusably.
#[derive(Debug)]
enum FetchError {
    Unreachable(String),
    Unusable(String),
}

impl OidcKeys {
    /// The issuer's keys, refetched when stale or when `kid` is not among them.
    pub async fn keys(
        &self,
        issuer: &str,
        kid: Option<&str>,
    ) -> Result<Arc<JwkSet>, FederationError> {
        let started = Instant::now();
        if let Some(k) = self.cached(issuer, kid, None) {
            return Ok(k);
        }
        if let Some(e) = self.recent_failure(issuer) {
            return Err(e);
        }
        let lock = self.issuer_lock(issuer);
        let _guard = lock.lock().await;
        // Another request may have fetched while this one waited.
        if let Some(k) = self.cached(issuer, kid, Some(started)) {
            return Ok(k);
        }
        if let Some(e) = self.recent_failure(issuer) {
            return Err(e);
        }
        let for_unknown_kid = self.has_entry(issuer);
        let result = self.fetch_keys(issuer, for_unknown_kid).await;
        if let Err(e) = &result
            && let Ok(mut failures) = self.failures.lock()
        {
            if failures.len() >= MAX_ISSUERS {
                failures.retain(|_, (at, _)| at.elapsed() < FAILURE_FOR);
            }
            failures.insert(issuer.to_owned(), (Instant::now(), e.clone()));
        }
        result
    }

    fn recent_failure(&self, issuer: &str) -> Option<FederationError> {
        let failures = self.failures.lock().ok()?;
        let (at, e) = failures.get(issuer)?;
        (at.elapsed() < FAILURE_FOR).then(|| e.clone())
    }

    fn issuer_lock(&self, issuer: &str) -> Arc<tokio::sync::Mutex<()>> {
        let Ok(mut locks) = self.fetching.lock() else {
            return Arc::new(tokio::sync::Mutex::new(()));
        };
        if locks.len() >= MAX_ISSUERS {
            locks.retain(|_, l| Arc::strong_count(l) > 1);
        }
        Arc::clone(locks.entry(issuer.to_owned()).or_default())
    }

    async fn fetch_keys(
        &self,
        issuer: &str,
        for_unknown_kid: bool,
    ) -> Result<Arc<JwkSet>, FederationError> {
        match self.fetch(issuer).await {
            Ok(set) => {
                let set = Arc::new(set);
                let now = Instant::now();
                if let Ok(mut cache) = self.cache.lock() {
                    cache.insert(
                        issuer.to_owned(),
                        Entry {
                            keys: Arc::clone(&set),
                            fetched: now,
                            kid_refetch: for_unknown_kid.then_some(now),
                        },
                    );
                }
                Ok(set)
            }
            Err(FetchError::Unreachable(detail)) => {
                tracing::warn!(%issuer, %detail, "OIDC issuer unreachable");
                Err(FederationError::IdpCommunication(
                    "Couldn't retrieve verification key from your identity provider, please try again later".into(),
                ))
            }
            Err(FetchError::Unusable(detail)) => {
                tracing::warn!(%issuer, %detail, "OIDC issuer gave no usable keys");
                Err(FederationError::InvalidIdentityToken(NO_KEY.into()))
            }
        }
    }

    /// The cached set if it is fresh and either knows `kid` or may not be refetched yet:
    /// a refetch for an unknown `kid` was made within [`REFETCH_AFTER`], or the set was
    /// fetched after `since` (the caller waited for a fetch that is as new as its own
    /// would be).
    fn cached(
        &self,
        issuer: &str,
        kid: Option<&str>,
        since: Option<Instant>,
    ) -> Option<Arc<JwkSet>> {
        let cache = self.cache.lock().ok()?;
        let e = cache.get(issuer)?;
        if e.fetched.elapsed() > FRESH_FOR {
            return None;
        }
        let known = kid.is_none_or(|k| e.keys.find(k).is_some());
        let throttled = e.kid_refetch.is_some_and(|t| t.elapsed() < REFETCH_AFTER);
        let fresh_enough = since.is_some_and(|s| e.fetched >= s);
        (known || throttled || fresh_enough).then(|| Arc::clone(&e.keys))
    }

    fn has_entry(&self, issuer: &str) -> bool {
        self.cache
            .lock()
            .ok()
            .and_then(|c| c.get(issuer).map(|e| e.fetched.elapsed() <= FRESH_FOR))
            .unwrap_or(false)
    }

    /// Drops a provider's cached keys (its provider was deleted or re-created).
    pub fn forget_provider(&self, provider_arn: &str) {
        let Some((_, url)) = provider_arn.split_once(":oidc-provider/") else {
            return;
        };
        let issuer = format!("https://{url}");
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(&issuer);
        }
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&issuer);
        }
    }

    fn tls(&self) -> Result<Arc<ClientConfig>, FetchError> {
        self.tls
            .get_or_init(|| client_config().map(Arc::new))
            .clone()
            .map_err(FetchError::Unusable)
    }

    async fn fetch(&self, issuer: &str) -> Result<JwkSet, FetchError> {
        let base = issuer.trim_end_matches('/');
        let discovery = self
            .get(&format!("{base}/.well-known/openid-configuration"))
            .await?;
        let doc: serde_json::Value = serde_json::from_slice(&discovery)
            .map_err(|e| FetchError::Unusable(format!("discovery document: {e}")))?;
        let jwks_uri = doc
            .get("jwks_uri")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| FetchError::Unusable("discovery document lacks jwks_uri".into()))?;
        let body = self.get(jwks_uri).await?;
        let raw: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| FetchError::Unusable(format!("JWKS: {e}")))?;
        let keys = raw
            .get("keys")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| FetchError::Unusable("JWKS lacks keys".into()))?;
        // Keys of types this server does not know are skipped, not fatal: issuers publish
        // several kinds.
        let keys = keys
            .iter()
            .take(MAX_KEYS)
            .filter_map(|k| serde_json::from_value(k.clone()).ok())
            .collect();
        Ok(JwkSet { keys })
    }

    /// One bounded HTTPS GET answering 200.
    async fn get(&self, url: &str) -> Result<Bytes, FetchError> {
        let tls = self.tls()?;
        tokio::time::timeout(REQUEST_TIMEOUT, get(tls, url))
            .await
            .map_err(|_| FetchError::Unreachable(format!("{url}: timed out")))?
    }
}

async fn get(tls: Arc<ClientConfig>, url: &str) -> Result<Bytes, FetchError> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| FetchError::Unusable(format!("{url}: {e}")))?;
    if uri.scheme_str() != Some("https") {
        return Err(FetchError::Unusable(format!("{url}: not https")));
    }
    let host = uri
        .host()
        .ok_or_else(|| FetchError::Unusable(format!("{url}: no host")))?;
    let port = uri.port_u16().unwrap_or(443);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(bare.to_owned())
        .map_err(|e| FetchError::Unusable(format!("{url}: {e}")))?;
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((bare, port)))
        .await
        .map_err(|_| FetchError::Unreachable(format!("{url}: connect timed out")))?
        .map_err(|e| FetchError::Unreachable(format!("{url}: {e}")))?;
    let stream = TlsConnector::from(tls)
        .connect(name, tcp)
        .await
        .map_err(|e| match e.kind() {
            // Certificate and protocol failures are the IdP's configuration, not a blip.
            std::io::ErrorKind::InvalidData => FetchError::Unusable(format!("{url}: TLS: {e}")),
            _ => FetchError::Unreachable(format!("{url}: TLS: {e}")),
        })?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| FetchError::Unreachable(format!("{url}: {e}")))?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_default();
    let path = uri
        .path_and_query()
        .map_or("/", hyper::http::uri::PathAndQuery::as_str);
    let req = hyper::Request::get(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::ACCEPT, "application/json")
        .header(hyper::header::USER_AGENT, "hourglass-sts")
        .body(Empty::<Bytes>::new())
        .map_err(|e| FetchError::Unusable(format!("{url}: {e}")))?;
    let result = async {
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| FetchError::Unreachable(format!("{url}: {e}")))?;
        let status = resp.status();
        if status.is_server_error() {
            return Err(FetchError::Unreachable(format!("{url}: HTTP {status}")));
        }
        if status != hyper::StatusCode::OK {
            return Err(FetchError::Unusable(format!("{url}: HTTP {status}")));
        }
        Limited::new(resp.into_body(), MAX_BODY)
            .collect()
            .await
            .map(http_body_util::Collected::to_bytes)
            .map_err(|e| FetchError::Unusable(format!("{url}: body: {e}")))
    }
    .await;
    driver.abort();
    result
}

/// TLS for issuers: the system roots, plus every certificate of `SSL_CERT_FILE` (the usual
/// convention for private CAs). The file is added to, not substituted for, the system roots.
fn client_config() -> Result<ClientConfig, String> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(native.certs);
    let mut extra = 0;
    for path in [
        std::env::var_os("SSL_CERT_FILE").map(std::path::PathBuf::from),
        // With SSL_CERT_FILE set the loader above reads only that file; add the usual
        // system bundles back.
        Some("/etc/ssl/certs/ca-certificates.crt".into()),
        Some("/etc/pki/tls/certs/ca-bundle.crt".into()),
    ]
    .into_iter()
    .flatten()
    {
        let Ok(pem) = std::fs::read(&path) else {
            continue;
        };
        let mut reader = pem.as_slice();
        let certs: Vec<_> = rustls_pemfile::certs(&mut reader)
            .filter_map(Result::ok)
            .collect();
        extra += roots.add_parsable_certificates(certs).0;
    }
    tracing::debug!(added, extra, "loaded trust roots for OIDC issuers");
    if roots.is_empty() {
        return Err("no trusted root certificates for OIDC issuers".into());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
