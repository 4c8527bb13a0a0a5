//! Routes one port to IAM, STS, S3 or the reserved `/_hourglass/` endpoints (spec §1.2):
//! the service named in the SigV4 credential scope decides; unsigned requests are Query
//! calls when they carry `Action`, S3 otherwise.

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;

use crate::http::body::Response;
use crate::http::timed_body::{REQUEST_TIMEOUT_MESSAGE, TimedBody};
use crate::state::AppState;
use crate::{internal, query};

/// Paths under this prefix can never be S3 buckets (bucket names cannot start with `_`).
pub const RESERVED_PREFIX: &str = "/_hourglass/";

/// Which protocol front handles a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Internal,
    /// IAM or STS over the Query protocol; the service is the one from the signature scope,
    /// when the request is signed.
    Query(Option<String>),
    S3,
}

/// Pulls `<service>` out of `Credential=AKID/date/region/service/aws4_request`.
fn scope_service(credential: &str) -> Option<&str> {
    let mut parts = credential.split('/');
    let _akid = parts.next()?;
    let _date = parts.next()?;
    let _region = parts.next()?;
    parts.next()
}

fn header_credential(authorization: &str) -> Option<&str> {
    let rest = authorization.strip_prefix("AWS4-HMAC-SHA256")?;
    rest.split(',')
        .find_map(|p| p.trim().strip_prefix("Credential="))
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Decides the route from the request line and headers alone (before the body is read).
pub fn classify(method: &str, path: &str, query: &str, headers: &hyper::HeaderMap) -> Route {
    if path.starts_with(RESERVED_PREFIX) {
        return Route::Internal;
    }
    let service_route = |service: &str| match service {
        "s3" => Route::S3,
        other => Route::Query(Some(other.to_owned())),
    };
    if let Some(auth) = headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if auth.starts_with("AWS4-HMAC-SHA256") {
            return match header_credential(auth).and_then(scope_service) {
                Some(service) => service_route(service),
                // A malformed v4 header on a Query-looking request is reported by the Query
                // front (IncompleteSignature); otherwise by S3.
                None if path == "/" && method == "POST" => Route::Query(None),
                None => Route::S3,
            };
        }
        if auth.starts_with("AWS ") {
            return Route::S3;
        }
    }
    if let Some(cred) = query_param(query, "X-Amz-Credential")
        && let Some(service) = scope_service(&cred)
    {
        return service_route(service);
    }
    if query_param(query, "AWSAccessKeyId").is_some() {
        return Route::S3;
    }
    let is_form = headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if path == "/" && (query_param(query, "Action").is_some() || (method == "POST" && is_form)) {
        return Route::Query(None);
    }
    Route::S3
}

/// Entry point for every request.
pub async fn handle(
    req: hyper::Request<Incoming>,
    remote: SocketAddr,
    secure: bool,
    state: Arc<AppState>,
) -> Response {
    let route = classify(
        req.method().as_str(),
        req.uri().path(),
        req.uri().query().unwrap_or(""),
        req.headers(),
    );
    state.metrics.record_request(&route);
    let body_timeout = state.config.limits.body_read_timeout;
    match route {
        Route::Internal => internal::handle(req, &state).await,
        Route::Query(service) => {
            let req = req.map(|b| TimedBody::new(b, body_timeout));
            query::handle(req, remote, secure, service, &state).await
        }
        Route::S3 => {
            let peer = hourglass_s3::Peer {
                ip: remote.ip(),
                secure,
            };
            let is_head = req.method() == hyper::Method::HEAD;
            let http1 = req.version() <= hyper::Version::HTTP_11;
            let req = req.map(|b| TimedBody::new(b, body_timeout));
            let timed_out = req.body().flag();
            let answered = state.s3.handle(req, peer).await;
            if timed_out.fired() {
                s3_request_timeout(&answered, is_head, http1)
            } else {
                answered
            }
        }
    }
}

/// S3 reports a body that stopped arriving as `IncompleteBody`; AWS calls it
/// `RequestTimeout` and hangs up, and so do we.
fn s3_request_timeout(answered: &Response, is_head: bool, http1: bool) -> Response {
    let request_id = answered
        .headers()
        .get("x-amz-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let err = hourglass_s3::errors::S3Error::new(400, "RequestTimeout", REQUEST_TIMEOUT_MESSAGE);
    let mut r = hourglass_s3::error_response(&err, &request_id, is_head);
    for name in ["x-amz-request-id", "x-amz-id-2", "server"] {
        if let Some(v) = answered.headers().get(name) {
            r.headers_mut().insert(name, v.clone());
        }
    }
    if http1 {
        close_after(&mut r);
    }
    r
}

/// Asks hyper to close an HTTP/1 connection after this response: its stream still holds
/// request bytes that will never be read.
pub fn close_after(r: &mut Response) {
    r.headers_mut().insert(
        hyper::header::CONNECTION,
        hyper::header::HeaderValue::from_static("close"),
    );
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> hyper::HeaderMap {
        let mut h = hyper::HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn routes_by_scope_then_shape() {
        let iam = headers(&[(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00",
        )]);
        assert_eq!(
            classify("POST", "/", "", &iam),
            Route::Query(Some("iam".into()))
        );
        let s3 = headers(&[(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=00",
        )]);
        assert_eq!(classify("POST", "/", "", &s3), Route::S3);
        assert_eq!(
            classify(
                "GET",
                "/b/k",
                "X-Amz-Credential=AK%2F20261122%2Fus-east-1%2Fs3%2Faws4_request",
                &headers(&[])
            ),
            Route::S3
        );
        assert_eq!(
            classify(
                "GET",
                "/",
                "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Credential=AK%2F20261122%2Fus-east-1%2Fsts%2Faws4_request",
                &headers(&[])
            ),
            Route::Query(Some("sts".into()))
        );
        assert_eq!(
            classify(
                "GET",
                "/b/k",
                "AWSAccessKeyId=AK&Signature=x&Expires=1",
                &headers(&[])
            ),
            Route::S3
        );
        let form = headers(&[(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )]);
        assert_eq!(classify("POST", "/", "", &form), Route::Query(None));
        assert_eq!(classify("GET", "/", "", &headers(&[])), Route::S3);
        assert_eq!(
            classify("GET", "/_hourglass/health", "", &headers(&[])),
            Route::Internal
        );
    }
}
