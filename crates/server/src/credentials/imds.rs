//! An IMDSv2-compatible listener for one workload: `PUT /latest/api/token` (TTL header
//! required, 1–21600 s, echoed back as the SDKs require), then token-authenticated GETs of
//! the role list and the credential document. Token-less reads are 401 (IMDSv1 is off, as
//! with `HttpTokens=required`); a token request carrying `X-Forwarded-For` is refused, as
//! AWS does, so a proxy on the host cannot relay tokens. The `-extended` paths answer 404,
//! which makes the SDKs that try them fall back to the classic ones.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rand::RngCore;

use super::{IMDS_SERVICE, Refusal, Workload, timestamp};
use crate::http::body::{Response, response};
use hourglass_iam::Identity;

const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
/// Live session tokens kept per listener; beyond this, expired ones are dropped and then
/// new token requests are refused until some expire.
const MAX_TOKENS: usize = 4096;
const REGION: &str = "us-east-1";
/// Connections served at once per listener; more wait in the backlog.
const MAX_CONNECTIONS: usize = 64;

struct Imds {
    workload: Arc<Workload>,
    identity: Arc<Identity>,
    tokens: Mutex<HashMap<String, Instant>>,
}

/// Binds `addr` and serves the workload's IMDS there until the process ends.
pub async fn spawn(
    addr: SocketAddr,
    workload: Arc<Workload>,
    identity: Arc<Identity>,
) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let imds = Arc::new(Imds {
        workload,
        identity,
        tokens: Mutex::new(HashMap::new()),
    });
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    tokio::spawn(async move {
        loop {
            let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
                return;
            };
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let imds = Arc::clone(&imds);
            tokio::spawn(async move {
                let _permit = permit;
                let service = service_fn(move |req| {
                    let imds = Arc::clone(&imds);
                    async move { Ok::<_, Infallible>(imds.answer(req).await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .header_read_timeout(Duration::from_secs(10))
                    .timer(hyper_util::rt::TokioTimer::new())
                    .serve_connection(TokioIo::new(stream), service);
                let _ = tokio::time::timeout(Duration::from_secs(60), conn).await;
            });
        }
    });
    Ok(local)
}

fn text(status: u16, body: impl Into<String>) -> Response {
    response(status, "text/plain", body.into())
}

impl Imds {
    async fn answer(&self, req: hyper::Request<Incoming>) -> Response {
        let path = req.uri().path().trim_end_matches('/').to_owned();
        let method = req.method().clone();
        if path == "/latest/api/token" {
            if method != hyper::Method::PUT {
                return text(405, "");
            }
            return self.new_token(&req);
        }
        if method != hyper::Method::GET && method != hyper::Method::HEAD {
            return text(405, "");
        }
        let token_ok = req
            .headers()
            .get(TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| self.token_valid(t));
        if !token_ok {
            return text(401, "");
        }
        let role = self.workload.role_name();
        let creds_prefix = "/latest/meta-data/iam/security-credentials";
        match path.as_str() {
            p if p == creds_prefix => text(200, role),
            p if p
                .strip_prefix(creds_prefix)
                .and_then(|r| r.strip_prefix('/'))
                == Some(&role) =>
            {
                self.credentials().await
            }
            "/latest/meta-data/placement/region" => text(200, REGION),
            "/latest/meta-data/placement/availability-zone" => text(200, format!("{REGION}a")),
            "/latest/dynamic/instance-identity/document" => {
                let doc = serde_json::json!({
                    "accountId": self.identity.account_id(),
                    "region": REGION,
                    "availabilityZone": format!("{REGION}a"),
                    "instanceId": format!("i-hourglass-{}", self.workload.spec.name),
                });
                response(200, "application/json", doc.to_string())
            }
            "/latest/meta-data/iam/info" => {
                let doc = serde_json::json!({
                    "Code": "Success",
                    "LastUpdated": timestamp(&Utc::now()),
                    "InstanceProfileArn": format!(
                        "arn:aws:iam::{}:instance-profile/{}",
                        self.identity.account_id(),
                        role
                    ),
                    "InstanceProfileId": "AIPAHOURGLASSWORKLOAD",
                });
                response(200, "application/json", doc.to_string())
            }
            _ => text(404, ""),
        }
    }

    fn new_token(&self, req: &hyper::Request<Incoming>) -> Response {
        if req.headers().contains_key("x-forwarded-for") {
            return text(403, "");
        }
        let ttl = req
            .headers()
            .get(TTL_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|t| (1..=21600).contains(t));
        let Some(ttl) = ttl else {
            return text(400, "");
        };
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token =
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes);
        let Ok(mut tokens) = self.tokens.lock() else {
            return text(500, "");
        };
        if tokens.len() >= MAX_TOKENS {
            let now = Instant::now();
            tokens.retain(|_, exp| *exp > now);
            if tokens.len() >= MAX_TOKENS {
                return text(503, "");
            }
        }
        tokens.insert(token.clone(), Instant::now() + Duration::from_secs(ttl));
        drop(tokens);
        let mut r = text(200, token);
        if let Ok(v) = ttl.to_string().parse() {
            r.headers_mut().insert(TTL_HEADER, v);
        }
        r
    }

    fn token_valid(&self, token: &str) -> bool {
        self.tokens
            .lock()
            .ok()
            .and_then(|t| t.get(token).copied())
            .is_some_and(|exp| exp > Instant::now())
    }

    async fn credentials(&self) -> Response {
        let doc = match self
            .workload
            .credentials(&self.identity, IMDS_SERVICE)
            .await
        {
            Ok(c) => serde_json::json!({
                "Code": "Success",
                "LastUpdated": timestamp(&Utc::now()),
                "Type": "AWS-HMAC",
                "AccessKeyId": c.credentials.access_key_id,
                "SecretAccessKey": c.credentials.secret_access_key.expose(),
                "Token": c.credentials.session_token,
                "Expiration": timestamp(&c.credentials.expiration),
            }),
            Err(Refusal::Unauthorized(m)) => serde_json::json!({
                "Code": "AssumeRoleUnauthorizedAccess",
                "Message": m,
                "LastUpdated": timestamp(&Utc::now()),
            }),
            Err(Refusal::Internal) => return text(500, ""),
        };
        response(200, "text/plain", doc.to_string())
    }
}

impl Workload {
    /// The role name the metadata service lists (last segment of the role ARN).
    pub fn role_name(&self) -> String {
        self.spec
            .role_arn
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}
