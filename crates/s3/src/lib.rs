//! S3 object storage where every request is signed and authorized.
//!
//! A request goes: addressing and operation ([`routing`]) → authentication ([`auth`]) →
//! authorization per operation ([`authz`], inside each operation so that it can add the
//! condition keys it knows: prefix, tags, copy source) → the operation ([`ops`]) over the
//! metadata store ([`meta`]) and the data files ([`data`]) → XML ([`xml`]) or an error
//! from the one S3 error table ([`errors`]).

pub mod auth;
pub mod authz;
pub mod body;
pub mod checksum;
pub mod data;
pub mod errors;
mod internal;
pub mod meta;
mod ops;
pub mod routing;
mod snapshot;
pub mod sse;
pub mod xml;

use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::FutureExt;
use hourglass_iam::Identity;
use hourglass_iam::telemetry::RequestReport;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};

use crate::errors::S3Error;

/// Response bodies: boxed so GetObject streams from disk and everything else answers from
/// memory through one type (the same type as the server crate's).
pub type ResponseBody = UnsyncBoxBody<Bytes, std::io::Error>;
pub type Response = http::Response<ResponseBody>;

/// Settings of the S3 front.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// Base domain for virtual-hosted style (`bucket.<domain>`); path style only if unset.
    pub domain: Option<String>,
    /// Region reported by GetBucketLocation and used for SigV2 requests.
    pub region: String,
}

impl Default for S3Config {
    fn default() -> Self {
        Self {
            domain: None,
            region: "us-east-1".to_string(),
        }
    }
}

/// The S3 service shared by every request.
pub struct S3Service {
    identity: Arc<Identity>,
    meta: Arc<hourglass_store::Store>,
    /// Buckets for the request path (see [`snapshot`]).
    buckets: snapshot::BucketSnapshot,
    data: data::DataStore,
    domain: Option<String>,
    region: String,
}

/// Where a request came from.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub ip: IpAddr,
    /// Arrived over TLS (`aws:SecureTransport`).
    pub secure: bool,
}

impl S3Service {
    pub fn new(
        identity: Arc<Identity>,
        meta: Arc<hourglass_store::Store>,
        data: data::DataStore,
        config: S3Config,
    ) -> Self {
        Self {
            identity,
            meta,
            buckets: snapshot::BucketSnapshot::default(),
            data,
            domain: config.domain,
            region: config.region,
        }
    }

    /// A bucket, from the in-memory snapshot when it is current.
    pub(crate) async fn bucket(&self, name: &str) -> meta::MetaResult<Option<meta::Bucket>> {
        self.buckets.get(&self.meta, name).await
    }

    /// Crash recovery, before serving: removes temporary and unreferenced data files last
    /// modified more than `grace` ago (see [`data::DataStore::sweep`]). Zero when this
    /// process owns the data directory; with several nodes sharing it, long enough that no
    /// other node's write can still be between its data and its metadata.
    pub async fn recover(&self, grace: std::time::Duration) -> Result<usize, String> {
        let ids = self
            .meta
            .segment_ids()
            .await
            .map_err(|e| format!("listing object data: {e}"))?;
        let older_than = std::time::SystemTime::now()
            .checked_sub(grace)
            .unwrap_or(std::time::UNIX_EPOCH);
        let removed = self
            .data
            .sweep(ids.into_iter().collect(), older_than)
            .await
            .map_err(|e| format!("sweeping object data: {e}"))?;
        if removed > 0 {
            tracing::info!(
                removed,
                "removed object data files left by interrupted writes"
            );
        }
        Ok(removed)
    }

    /// Readiness: the metadata store answers and the data directory takes a write.
    pub async fn health(&self) -> Result<(), String> {
        self.meta
            .get_bucket("-health-check-")
            .await
            .map_err(|e| format!("S3 metadata store: {e}"))?;
        self.data
            .check()
            .await
            .map_err(|e| format!("S3 data directory: {e}"))
    }

    /// Handles one S3 request end to end.
    pub async fn handle<B>(&self, req: http::Request<B>, peer: Peer) -> Response
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: std::fmt::Display,
    {
        self.handle_with_id(req, peer, hourglass_iam::ids::request_id())
            .await
    }

    /// Handles one S3 request under the request id the server's pipeline assigned. The
    /// response carries a [`RequestReport`] extension: the operation, the error code and
    /// the caller, for the pipeline's request record.
    pub async fn handle_with_id<B>(
        &self,
        req: http::Request<B>,
        peer: Peer,
        request_id: String,
    ) -> Response
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: std::fmt::Display,
    {
        let mut report = RequestReport {
            service: Some("s3"),
            ..RequestReport::default()
        };
        let is_head = req.method() == http::Method::HEAD;
        let cors = ops::cors::CorsRequest::of(&req, self.domain.as_deref());
        // An error may be answered before the body is read; HTTP/1 clients must then not
        // reuse the connection, whose stream still holds the unread body.
        let has_body = req.version() <= http::Version::HTTP_11
            && (req.headers().contains_key(http::header::TRANSFER_ENCODING)
                || req
                    .headers()
                    .get(http::header::CONTENT_LENGTH)
                    .is_some_and(|v| v.as_bytes() != b"0"));
        // botocore sends `Expect: 100-continue` with every PutObject, even an empty one, and
        // hyper answers a request without a body with no interim 100 (RFC 9110 allows
        // that). botocore then keeps that answer's status line for the next response on the
        // connection (it resets it only for requests without Expect), so its next PUT there
        // fails to parse. Closing the connection makes it start afresh.
        let expect_without_body = !has_body
            && req
                .headers()
                .get(http::header::EXPECT)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        let req = req.map(|b| {
            b.map_err(|e| std::io::Error::other(e.to_string()))
                .boxed_unsync()
        });
        // No panic should be reachable from a request; if one is, the client gets a 500
        // instead of a connection closed without an answer, and the server keeps serving.
        let outcome = AssertUnwindSafe(ops::dispatch(self, req, peer, &request_id, &mut report))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| Err(S3Error::internal("S3 request handler panicked")));
        let mut resp = match outcome {
            Ok(r) => r,
            Err(e) => {
                report.error_code = Some(e.code.to_owned());
                report.audit.error_message = Some(e.message.to_string());
                let mut r = error_response(&e, &request_id, is_head);
                if has_body {
                    r.headers_mut().insert(
                        http::header::CONNECTION,
                        http::HeaderValue::from_static("close"),
                    );
                }
                r
            }
        };
        if let Some(c) = &cors {
            ops::cors::decorate(self, c, &mut resp).await;
        }
        if expect_without_body {
            resp.headers_mut().insert(
                http::header::CONNECTION,
                http::HeaderValue::from_static("close"),
            );
        }
        let h = resp.headers_mut();
        if let Ok(v) = http::HeaderValue::from_str(&request_id) {
            h.insert("x-amz-request-id", v.clone());
            h.insert("x-amz-id-2", v);
        }
        h.insert(
            http::header::SERVER,
            http::HeaderValue::from_static("Hourglass"),
        );
        resp.extensions_mut().insert(report);
        resp
    }
}

pub(crate) fn full(bytes: impl Into<Bytes>) -> ResponseBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

pub(crate) fn empty() -> ResponseBody {
    full(Bytes::new())
}

pub(crate) fn status(code: u16) -> http::StatusCode {
    http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
}

/// Renders an error; HEAD answers carry the status and headers only.
pub fn error_response(e: &S3Error, request_id: &str, is_head: bool) -> Response {
    if e.status >= 500 {
        tracing::warn!(code = e.code, %request_id, "S3 request failed");
    } else {
        tracing::debug!(code = e.code, message = %e.message, %request_id, "S3 request refused");
    }
    let body = if is_head {
        empty()
    } else {
        full(e.render(request_id))
    };
    let mut r = http::Response::new(body);
    *r.status_mut() = status(e.status);
    if !is_head {
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/xml"),
        );
    }
    for (k, v) in &e.headers {
        if let Ok(v) = http::HeaderValue::from_str(v) {
            r.headers_mut().insert(*k, v);
        }
    }
    r
}
