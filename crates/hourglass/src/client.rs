//! A small SigV4-signing client for the operator commands that talk to a running server
//! through its public API, like any AWS client: IAM Query calls (form-encoded POST, XML
//! answers) and JSON 1.1 calls (`X-Amz-Target`). Credentials come from the environment or a
//! profile of the aws credentials/config files, as the CLI reads them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use hourglass_sigv4::{Credentials, PathMode, Request, SigningParams, sha256_hex, sign_v4};
use hourglass_wire::xml::Element;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Largest answer read (a page of IAM policies or LookupEvents is far below this).
const MAX_BODY: usize = 16 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(60);
const IAM_VERSION: &str = "2010-05-08";
/// The region IAM is signed for; JSON services use the caller's region.
const IAM_REGION: &str = "us-east-1";

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an AWS error.
    #[error("{code}: {message}")]
    Aws { code: String, message: String },
    #[error("{0}")]
    Other(String),
}

impl ClientError {
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Aws { code, .. } => Some(code),
            Self::Other(_) => None,
        }
    }
}

/// Static credentials; the secret never leaves this struct except into a signature.
#[derive(Clone)]
pub struct StaticCredentials {
    pub access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl StaticCredentials {
    /// The CLI's order for static keys: with no profile named (flag or `AWS_PROFILE`), the
    /// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` variables; then the profile in the
    /// credentials file, then in the config file.
    pub fn resolve(profile: Option<&str>) -> Result<(Self, String), ClientError> {
        let env_profile = env("AWS_PROFILE").or_else(|| env("AWS_DEFAULT_PROFILE"));
        if profile.is_none()
            && env_profile.is_none()
            && let (Some(id), Some(secret)) =
                (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))
        {
            let creds = Self {
                access_key_id: id,
                secret_access_key: secret,
                session_token: env("AWS_SESSION_TOKEN"),
            };
            return Ok((creds, "default".into()));
        }
        let name = profile
            .map(str::to_owned)
            .or(env_profile)
            .unwrap_or_else(|| "default".into());
        let home = env("HOME").map(PathBuf::from).unwrap_or_default();
        let creds_file = env("AWS_SHARED_CREDENTIALS_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".aws/credentials"));
        let config_file = env("AWS_CONFIG_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".aws/config"));
        let from_creds = read_ini(&creds_file).remove(&name);
        let from_config = read_ini(&config_file).remove(&if name == "default" {
            name.clone()
        } else {
            format!("profile {name}")
        });
        for section in [from_creds, from_config].into_iter().flatten() {
            if let (Some(id), Some(secret)) = (
                section.get("aws_access_key_id"),
                section.get("aws_secret_access_key"),
            ) {
                let creds = Self {
                    access_key_id: id.clone(),
                    secret_access_key: secret.clone(),
                    session_token: section.get("aws_session_token").cloned(),
                };
                return Ok((creds, name));
            }
        }
        Err(ClientError::Other(format!(
            "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give a profile with static keys in {} or {} (profile {name})",
            creds_file.display(),
            config_file.display()
        )))
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `[section]` → `key = value`, the subset of INI the aws files use. A missing file is empty.
fn read_ini(path: &std::path::Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let Ok(text) = std::fs::read_to_string(path) else {
        return out;
    };
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            out.entry(name.clone()).or_default();
            current = Some(name);
        } else if let (Some(section), Some((k, v))) = (&current, line.split_once('=')) {
            out.entry(section.clone())
                .or_default()
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    out
}

/// One server, one set of credentials.
#[derive(Debug)]
pub struct Client {
    host: String,
    port: u16,
    creds: StaticCredentials,
    region: String,
}

impl Client {
    /// `endpoint` is `http://host[:port]`. HTTPS is not spoken by this client: SigV4 never
    /// sends the secret, but run it on the server's host or a trusted network.
    pub fn new(endpoint: &str, creds: StaticCredentials) -> Result<Self, ClientError> {
        let rest = endpoint.trim_end_matches('/');
        let authority = rest.strip_prefix("http://").ok_or_else(|| {
            ClientError::Other(format!(
                "--endpoint-url {endpoint}: only http:// endpoints are supported by this command"
            ))
        })?;
        if authority.contains('/') || authority.is_empty() {
            return Err(ClientError::Other(format!(
                "--endpoint-url {endpoint}: give the scheme, host and port only"
            )));
        }
        let bad_port = || ClientError::Other(format!("--endpoint-url {endpoint}: bad port"));
        let (host, port) = match authority.strip_prefix('[').and_then(|a| a.split_once(']')) {
            Some((h, "")) => (format!("[{h}]"), 80),
            Some((h, p)) => {
                let p = p.strip_prefix(':').ok_or_else(bad_port)?;
                (format!("[{h}]"), p.parse().map_err(|_| bad_port())?)
            }
            None => match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), p.parse().map_err(|_| bad_port())?),
                None => (authority.to_owned(), 80),
            },
        };
        let region = env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| IAM_REGION.into());
        Ok(Self {
            host,
            port,
            creds,
            region,
        })
    }

    pub fn access_key_id(&self) -> &str {
        &self.creds.access_key_id
    }

    /// An IAM Query call; the answer's `<Action>Result` element.
    pub async fn iam(&self, action: &str, params: &[(&str, &str)]) -> Result<Element, ClientError> {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("Action", action);
        form.append_pair("Version", IAM_VERSION);
        for (k, v) in params {
            form.append_pair(k, v);
        }
        let body = form.finish();
        let (status, answer) = self
            .send(
                "iam",
                IAM_REGION,
                &[(
                    "Content-Type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                )],
                body.into_bytes(),
            )
            .await?;
        let root = hourglass_wire::xml::parse(&answer).map_err(|e| {
            ClientError::Other(format!("{action}: unreadable answer (HTTP {status}): {e}"))
        })?;
        if status != 200 {
            let error = root.child("Error").unwrap_or(&root);
            return Err(ClientError::Aws {
                code: error.child_text("Code").unwrap_or("Unknown").to_owned(),
                message: error.child_text("Message").unwrap_or_default().to_owned(),
            });
        }
        let result = format!("{action}Result");
        Ok(root.child(&result).cloned().unwrap_or_default())
    }

    /// A JSON 1.1 call (`X-Amz-Target: <target>`), signed for `service`.
    pub async fn json(
        &self,
        service: &str,
        target: &str,
        input: &serde_json::Value,
    ) -> Result<serde_json::Value, ClientError> {
        let body = input.to_string().into_bytes();
        let (status, answer) = self
            .send(
                service,
                &self.region,
                &[
                    ("Content-Type", "application/x-amz-json-1.1"),
                    ("X-Amz-Target", target),
                ],
                body,
            )
            .await?;
        let value: serde_json::Value = serde_json::from_slice(&answer).map_err(|e| {
            ClientError::Other(format!("{target}: unreadable answer (HTTP {status}): {e}"))
        })?;
        if status != 200 {
            let kind = value["__type"].as_str().unwrap_or("Unknown");
            let code = kind.rsplit('#').next().unwrap_or(kind).to_owned();
            let message = value["message"]
                .as_str()
                .or(value["Message"].as_str())
                .unwrap_or_default()
                .to_owned();
            return Err(ClientError::Aws { code, message });
        }
        Ok(value)
    }

    async fn send(
        &self,
        service: &str,
        region: &str,
        extra: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<(u16, Bytes), ClientError> {
        tokio::time::timeout(TIMEOUT, self.send_once(service, region, extra, body))
            .await
            .map_err(|_| ClientError::Other("the server did not answer in time".into()))?
    }

    async fn send_once(
        &self,
        service: &str,
        region: &str,
        extra: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<(u16, Bytes), ClientError> {
        let host_header = if self.port == 80 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        };
        let mut headers: Vec<(&str, &str)> = vec![("host", &host_header)];
        headers.extend_from_slice(extra);
        let payload_hash = sha256_hex(&body);
        let request = Request {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
        };
        let signed = sign_v4(
            &request,
            &SigningParams {
                credentials: Credentials {
                    access_key_id: &self.creds.access_key_id,
                    secret_access_key: &self.creds.secret_access_key,
                    session_token: self.creds.session_token.as_deref(),
                },
                region,
                service,
                time: chrono::Utc::now(),
                path_mode: PathMode::Normalized,
                payload_hash: &payload_hash,
                content_sha256_header: false,
            },
        );
        let mut builder = hyper::Request::post("/").header(
            hyper::header::USER_AGENT,
            concat!("hourglass-cli/", env!("CARGO_PKG_VERSION")),
        );
        for (k, v) in headers.iter().copied() {
            builder = builder.header(k, v);
        }
        for (k, v) in &signed.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let req = builder
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| ClientError::Other(format!("cannot build the request: {e}")))?;
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let tcp = TcpStream::connect((host, self.port)).await.map_err(|e| {
            ClientError::Other(format!(
                "cannot connect to {}:{}: {e}",
                self.host, self.port
            ))
        })?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(|e| ClientError::Other(format!("HTTP: {e}")))?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        let result = async {
            let resp = sender
                .send_request(req)
                .await
                .map_err(|e| ClientError::Other(format!("HTTP: {e}")))?;
            let status = resp.status().as_u16();
            let body = Limited::new(resp.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|e| ClientError::Other(format!("reading the answer: {e}")))?
                .to_bytes();
            Ok((status, body))
        }
        .await;
        driver.abort();
        result
    }
}

/// Text of a child element, or an error naming what is missing.
pub fn text<'a>(el: &'a Element, name: &str) -> Result<&'a str, ClientError> {
    el.child_text(name)
        .ok_or_else(|| ClientError::Other(format!("answer lacks {name}")))
}

/// The `<member>` children of a list element (empty when the list is absent).
pub fn members<'a>(el: &'a Element, list: &str) -> Vec<&'a Element> {
    el.child(list)
        .map(|l| l.children_named("member").collect())
        .unwrap_or_default()
}

/// A policy document as IAM answers it (percent-encoded), decoded.
pub fn policy_document(encoded: &str) -> String {
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ini_sections_and_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c");
        std::fs::write(
            &path,
            "# c\n[default]\naws_access_key_id = A\n[profile  x ]\nAWS_Secret_Access_Key=S\n",
        )
        .unwrap();
        let ini = read_ini(&path);
        assert_eq!(ini["default"]["aws_access_key_id"], "A");
        assert_eq!(ini["profile x"]["aws_secret_access_key"], "S");
    }

    #[test]
    fn endpoints() {
        let creds = StaticCredentials {
            access_key_id: "A".into(),
            secret_access_key: "S".into(),
            session_token: None,
        };
        let c = Client::new("http://127.0.0.1:9000/", creds.clone()).unwrap();
        assert_eq!((c.host.as_str(), c.port), ("127.0.0.1", 9000));
        let c = Client::new("http://[::1]:9", creds.clone()).unwrap();
        assert_eq!((c.host.as_str(), c.port), ("[::1]", 9));
        assert!(Client::new("https://x", creds.clone()).is_err());
        assert!(Client::new("http://x/path", creds).is_err());
    }
}
