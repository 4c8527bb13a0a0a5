//! Stage 1, classification (spec §1.2): the service named in the SigV4 credential scope
//! decides (S3, or else a JSON-protocol call when `X-Amz-Target` is present, or else
//! Query); unsigned requests are JSON calls when they carry `X-Amz-Target`, Query calls
//! when they carry `Action`, S3 otherwise.

/// Paths under this prefix can never be S3 buckets (bucket names cannot start with `_`).
pub const RESERVED_PREFIX: &str = "/_hourglass/";

/// Which protocol front handles a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Internal,
    /// IAM or STS over the Query protocol; the service is the one from the signature scope,
    /// when the request is signed.
    Query(Option<String>),
    /// A JSON-protocol service (`POST /` with `X-Amz-Target`); the target names it.
    Json,
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
    let json = path == "/" && headers.contains_key("x-amz-target");
    let service_route = |service: &str| match service {
        "s3" => Route::S3,
        _ if json => Route::Json,
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
    if json {
        return Route::Json;
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
        let ct = headers(&[
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AK/20261122/us-east-1/cloudtrail/aws4_request, SignedHeaders=host, Signature=00",
            ),
            ("x-amz-target", "CloudTrail_20131101.LookupEvents"),
        ]);
        assert_eq!(classify("POST", "/", "", &ct), Route::Json);
        let unsigned = headers(&[("x-amz-target", "secretsmanager.GetSecretValue")]);
        assert_eq!(classify("POST", "/", "", &unsigned), Route::Json);
        // A target header does not turn an S3 request into a JSON call.
        let s3_target = headers(&[
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AK/20261122/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
            ),
            ("x-amz-target", "X.Y"),
        ]);
        assert_eq!(classify("POST", "/", "", &s3_target), Route::S3);
        assert_eq!(
            classify("POST", "/bucket", "", &unsigned),
            Route::S3,
            "only the root path is a JSON endpoint"
        );
        assert_eq!(
            classify("GET", "/_hourglass/health", "", &headers(&[])),
            Route::Internal
        );
    }
}
