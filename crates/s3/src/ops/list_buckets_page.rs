//! ListBuckets pagination (`max-buckets`, `continuation-token`) and `prefix`, as AWS added
//! them in 2024. The token is the last name returned, base64url-encoded (opaque to clients).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

use super::Ctx;
use crate::errors::{S3Error, S3Result};
use crate::meta::Bucket;

const MAX_BUCKETS: usize = 10_000;

pub struct Page<'a> {
    pub buckets: Vec<&'a Bucket>,
    pub next_token: Option<String>,
    pub prefix: Option<String>,
}

pub fn paginate<'a>(ctx: &Ctx<'_>, all: &'a [Bucket]) -> S3Result<Page<'a>> {
    let max = match ctx.query("max-buckets") {
        None => MAX_BUCKETS,
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_BUCKETS).contains(n))
            .ok_or_else(|| {
                S3Error::invalid_argument("max-buckets must be an integer between 1 and 10000")
                    .with("ArgumentName", "max-buckets")
                    .with("ArgumentValue", v)
            })?,
    };
    let after = match ctx.query("continuation-token") {
        None => None,
        Some(t) => Some(
            B64.decode(t.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    S3Error::invalid_argument("The continuation token provided is incorrect")
                        .with("ArgumentName", "continuation-token")
                })?,
        ),
    };
    let prefix = ctx.query("prefix").map(str::to_owned);
    // The store lists by name, so "after the token" is a suffix of the list.
    let mut matching = all.iter().filter(|b| {
        prefix.as_deref().is_none_or(|p| b.name.starts_with(p))
            && after.as_deref().is_none_or(|a| b.name.as_str() > a)
    });
    let buckets: Vec<&Bucket> = matching.by_ref().take(max).collect();
    let next_token = match (matching.next(), buckets.last()) {
        (Some(_), Some(last)) => Some(B64.encode(last.name.as_bytes())),
        _ => None,
    };
    Ok(Page {
        buckets,
        next_token,
        prefix,
    })
}
