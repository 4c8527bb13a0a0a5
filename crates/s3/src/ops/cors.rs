//! CORS: Put/Get/DeleteBucketCors, preflight `OPTIONS` answered from the bucket's rules
//! (403 when none matches), and the `Access-Control-*` headers on actual requests that
//! carry an `Origin` (errors included, so a browser page can read why an upload failed).

use serde::{Deserialize, Serialize};

use super::{Ctx, bucket_config, meta_err, no_content, set_header, xml_ok};
use crate::errors::{S3Error, S3Result};
use crate::xml::{self, Writer};
use crate::{Response, S3Service};

/// Name of the bucket configuration document.
const DOC: &str = "cors";
const MAX_RULES: usize = 100;
const METHODS: [&str; 5] = ["GET", "PUT", "POST", "DELETE", "HEAD"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: Option<String>,
    pub methods: Vec<String>,
    pub origins: Vec<String>,
    pub headers: Vec<String>,
    pub expose: Vec<String>,
    pub max_age: Option<u64>,
}

/// `*` matches any run of characters; at most one per pattern (validated on Put).
fn wildcard(pattern: &str, value: &str, case_insensitive: bool) -> bool {
    let (p, v) = if case_insensitive {
        (pattern.to_ascii_lowercase(), value.to_ascii_lowercase())
    } else {
        (pattern.to_owned(), value.to_owned())
    };
    match p.split_once('*') {
        None => p == v,
        Some((pre, post)) => {
            v.len() >= pre.len() + post.len() && v.starts_with(pre) && v.ends_with(post)
        }
    }
}

impl Rule {
    fn allows(&self, origin: &str, method: &str, headers: &[&str]) -> bool {
        self.origins.iter().any(|o| wildcard(o, origin, false))
            && self.methods.iter().any(|m| m == method)
            && headers
                .iter()
                .all(|h| self.headers.iter().any(|a| wildcard(a, h, true)))
    }

    fn any_origin(&self) -> bool {
        self.origins.iter().any(|o| o == "*")
    }
}

pub fn parse(body: &[u8]) -> S3Result<Vec<Rule>> {
    let doc = xml::parse_document(body, "CORSConfiguration")?;
    let mut rules = Vec::new();
    for r in doc.children_named("CORSRule") {
        let list = |name: &str| -> Vec<String> {
            r.children_named(name)
                .map(|e| e.text.trim().to_owned())
                .collect()
        };
        let rule = Rule {
            id: r.child_text("ID").map(str::to_owned),
            methods: list("AllowedMethod"),
            origins: list("AllowedOrigin"),
            headers: list("AllowedHeader"),
            expose: list("ExposeHeader"),
            max_age: match r.child_text("MaxAgeSeconds") {
                Some(v) => Some(v.trim().parse().map_err(|_| S3Error::malformed_xml())?),
                None => None,
            },
        };
        if rule.methods.is_empty() || rule.origins.is_empty() {
            return Err(S3Error::malformed_xml());
        }
        if let Some(m) = rule.methods.iter().find(|m| !METHODS.contains(&m.as_str())) {
            return Err(S3Error::invalid_request(format!(
                "Found unsupported HTTP method in CORS config. Unsupported method is {m}"
            )));
        }
        if let Some(o) = rule.origins.iter().find(|o| o.matches('*').count() > 1) {
            return Err(S3Error::invalid_request(format!(
                "AllowedOrigin \"{o}\" can not have more than one wildcard."
            )));
        }
        if let Some(h) = rule.headers.iter().find(|h| h.matches('*').count() > 1) {
            return Err(S3Error::invalid_request(format!(
                "AllowedHeader \"{h}\" can not have more than one wildcard."
            )));
        }
        if rule.id.as_ref().is_some_and(|i| i.len() > 255) {
            return Err(S3Error::invalid_argument(
                "The ID of a CORS rule must be at most 255 characters long.",
            ));
        }
        rules.push(rule);
    }
    if rules.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    if rules.len() > MAX_RULES {
        return Err(S3Error::invalid_request(
            "The number of CORS rules should not exceed allowed limit of 100 rules.",
        ));
    }
    Ok(rules)
}

fn render(rules: &[Rule]) -> String {
    let mut w = Writer::new("CORSConfiguration");
    for r in rules {
        w.open("CORSRule");
        w.opt("ID", r.id.as_deref());
        for h in &r.headers {
            w.elem("AllowedHeader", h);
        }
        for m in &r.methods {
            w.elem("AllowedMethod", m);
        }
        for o in &r.origins {
            w.elem("AllowedOrigin", o);
        }
        for e in &r.expose {
            w.elem("ExposeHeader", e);
        }
        if let Some(a) = r.max_age {
            w.elem("MaxAgeSeconds", &a.to_string());
        }
        w.close("CORSRule");
    }
    w.finish("CORSConfiguration")
}

async fn rules(svc: &S3Service, bucket: &str) -> S3Result<Option<Vec<Rule>>> {
    bucket_config::load(svc, bucket, DOC, "CORS configuration").await
}

pub async fn put(ctx: &mut Ctx<'_>) -> S3Result<Response> {
    let limit = super::body_limits::CORS;
    bucket_config::put(ctx, "s3:PutBucketCORS", DOC, limit, parse).await
}

pub async fn get(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name();
    bucket_config::authorize(ctx, name, "s3:GetBucketCORS").await?;
    match rules(ctx.svc, name).await? {
        Some(r) => Ok(xml_ok(render(&r))),
        None => Err(S3Error::new(
            404,
            "NoSuchCORSConfiguration",
            "The CORS configuration does not exist",
        )
        .with("BucketName", name)),
    }
}

pub async fn delete(ctx: &Ctx<'_>) -> S3Result<Response> {
    bucket_config::delete(ctx, "s3:PutBucketCORS", DOC).await
}

fn forbidden(message: &str) -> S3Error {
    S3Error::new(403, "AccessForbidden", format!("CORSResponse: {message}"))
}

fn vary(r: &mut Response) {
    set_header(
        r,
        "vary",
        "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
    );
}

fn allow_headers(r: &mut Response, rule: &Rule, origin: &str) {
    if rule.any_origin() {
        set_header(r, "access-control-allow-origin", "*");
    } else {
        set_header(r, "access-control-allow-origin", origin);
        set_header(r, "access-control-allow-credentials", "true");
    }
    set_header(r, "access-control-allow-methods", &rule.methods.join(", "));
    if !rule.expose.is_empty() {
        set_header(r, "access-control-expose-headers", &rule.expose.join(", "));
    }
    if let Some(a) = rule.max_age {
        set_header(r, "access-control-max-age", &a.to_string());
    }
    vary(r);
}

/// A preflight request: no authentication, answered from the rules alone.
pub async fn preflight(ctx: &Ctx<'_>) -> S3Result<Response> {
    let name = ctx.bucket_name();
    let origin = ctx.header("origin").ok_or_else(|| {
        S3Error::new(
            400,
            "BadRequest",
            "Insufficient information. Origin request header needed.",
        )
    })?;
    let method = ctx.header("access-control-request-method").ok_or_else(|| {
        S3Error::new(
            400,
            "BadRequest",
            "Invalid Access-Control-Request-Method: null",
        )
    })?;
    if !METHODS.contains(&method) {
        return Err(S3Error::new(
            400,
            "BadRequest",
            format!("Invalid Access-Control-Request-Method: {method}"),
        ));
    }
    let requested: Vec<&str> = ctx
        .header("access-control-request-headers")
        .map(|h| {
            h.split(',')
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if ctx
        .svc
        .meta
        .get_bucket(name)
        .await
        .map_err(meta_err)?
        .is_none()
    {
        return Err(S3Error::no_such_bucket(name));
    }
    let Some(rules) = rules(ctx.svc, name).await? else {
        return Err(forbidden("CORS is not enabled for this bucket."));
    };
    let Some(rule) = rules.iter().find(|r| r.allows(origin, method, &requested)) else {
        return Err(forbidden(
            "This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Requesty-Headers are not whitelisted by the resource's CORS spec.",
        ));
    };
    let mut r = no_content(200);
    allow_headers(&mut r, rule, origin);
    if !requested.is_empty() {
        set_header(
            &mut r,
            "access-control-allow-headers",
            &requested.join(", "),
        );
    }
    Ok(r)
}

/// What an actual (non-preflight) cross-origin request needs to be decorated afterwards.
pub struct CorsRequest {
    bucket: String,
    origin: String,
    method: String,
}

impl CorsRequest {
    pub fn of<B>(req: &http::Request<B>, domain: Option<&str>) -> Option<Self> {
        if req.method() == http::Method::OPTIONS {
            return None;
        }
        let origin = req.headers().get("origin")?.to_str().ok()?.to_owned();
        let host = req
            .headers()
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok());
        let target = crate::routing::target(req.uri().path(), host, domain).ok()?;
        Some(Self {
            bucket: target.bucket?,
            origin,
            method: req.method().as_str().to_owned(),
        })
    }
}

/// Adds the `Access-Control-*` headers of the first matching rule to an answer.
pub async fn decorate(svc: &S3Service, c: &CorsRequest, r: &mut Response) {
    let Ok(Some(rules)) = rules(svc, &c.bucket).await else {
        return;
    };
    if let Some(rule) = rules.iter().find(|x| x.allows(&c.origin, &c.method, &[])) {
        allow_headers(r, rule, &c.origin);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rules_parse_validate_and_match() {
        let rules = parse(
            br#"<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>POST</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>60</MaxAgeSeconds></CORSRule></CORSConfiguration>"#,
        )
        .unwrap();
        let r = &rules[0];
        assert!(r.allows("https://app.example.com", "POST", &["X-Amz-Date"]));
        assert!(!r.allows("https://example.org", "POST", &[]));
        assert!(!r.allows("https://app.example.com", "PUT", &[]));
        assert!(!r.allows("https://app.example.com", "GET", &["authorization"]));
        assert_eq!(parse(render(&rules).as_bytes()).unwrap(), rules);
        for (bad, code) in [
            (&b"<CORSConfiguration/>"[..], "MalformedXML"),
            (b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>", "MalformedXML"),
            (b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>", "InvalidRequest"),
            (b"<CORSConfiguration><CORSRule><AllowedOrigin>*.*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>", "InvalidRequest"),
            (b"<Other/>", "MalformedXML"),
        ] {
            assert_eq!(parse(bad).unwrap_err().code, code);
        }
    }
}
