//! Reading Organizations requests: members, identifier patterns, pagination, and the gate
//! every operation passes (authorization, organization, caller's account).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hourglass_store::org::Organization;
use serde_json::{Map, Value};

use super::errors::{access_denied, from_iam, from_store, invalid, invalid_pattern, not_in_use};
use crate::json::{JsonApiError, JsonCtx, JsonResult};

/// A string member; absent or `null` is `None`, another JSON type is a serialization error.
pub fn string(ctx: &JsonCtx<'_>, name: &str) -> Result<Option<String>, JsonApiError> {
    match ctx.input.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(JsonApiError::new(
            400,
            "SerializationException",
            format!("Expected a string for {name}."),
        )),
    }
}

pub fn required(ctx: &JsonCtx<'_>, name: &str) -> Result<String, JsonApiError> {
    string(ctx, name)?.ok_or_else(|| {
        invalid(
            "INPUT_REQUIRED",
            format!("You must specify a value for {name}."),
        )
    })
}

fn matches(value: &str, prefix: &str, min: usize, max: usize, ok: fn(u8) -> bool) -> bool {
    value
        .strip_prefix(prefix)
        .is_some_and(|rest| (min..=max).contains(&rest.len()) && rest.bytes().all(ok))
}

fn lower_alnum(b: u8) -> bool {
    b.is_ascii_digit() || b.is_ascii_lowercase()
}

pub fn is_account_id(v: &str) -> bool {
    v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit())
}

pub fn is_root_id(v: &str) -> bool {
    matches(v, "r-", 4, 32, lower_alnum)
}

pub fn is_ou_id(v: &str) -> bool {
    v.strip_prefix("ou-")
        .is_some_and(|rest| match rest.split_once('-') {
            Some((root, suffix)) => {
                (4..=32).contains(&root.len())
                    && root.bytes().all(lower_alnum)
                    && (8..=32).contains(&suffix.len())
                    && suffix.bytes().all(lower_alnum)
            }
            None => false,
        })
}

pub fn is_policy_id(v: &str) -> bool {
    matches(v, "p-", 8, 128, |b| b.is_ascii_alphanumeric() || b == b'_')
}

pub fn is_request_id(v: &str) -> bool {
    matches(v, "car-", 8, 32, lower_alnum)
}

/// A required identifier checked against its pattern (`INVALID_PATTERN` otherwise).
pub fn id(
    ctx: &JsonCtx<'_>,
    name: &str,
    valid: impl Fn(&str) -> bool,
) -> Result<String, JsonApiError> {
    let v = required(ctx, name)?;
    if valid(&v) {
        Ok(v)
    } else {
        Err(invalid_pattern())
    }
}

/// Authorizes the operation on `resource` (or `*` before an organization exists), then
/// requires an organization and, unless `members_too`, a caller of the management account.
pub async fn gate(
    ctx: &JsonCtx<'_>,
    resource: impl FnOnce(&Organization) -> String,
    members_too: bool,
) -> Result<Organization, JsonApiError> {
    let org = ctx
        .identity
        .store()
        .organization()
        .await
        .map_err(from_store)?;
    let arn = org.as_ref().map_or_else(|| "*".to_owned(), resource);
    ctx.identity
        .authorize(ctx.caller, &ctx.access(&arn))
        .await
        .map_err(from_iam)?;
    let org = org.ok_or_else(not_in_use)?;
    let caller_account = ctx.caller.account_id();
    if caller_account == org.management_account_id {
        return Ok(org);
    }
    // An account outside the organization is told there is none; a member is refused.
    let member = ctx
        .identity
        .store()
        .org_account(caller_account)
        .await
        .map_err(from_store)?
        .is_some();
    if !member {
        return Err(not_in_use());
    }
    if members_too {
        return Ok(org);
    }
    Err(access_denied())
}

/// `MaxResults` within `1..=max` (absent: `max`).
fn max_results(ctx: &JsonCtx<'_>, max: u64) -> Result<usize, JsonApiError> {
    let n = match ctx.input.get("MaxResults") {
        None | Some(Value::Null) => max,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(0) => {
                return Err(invalid(
                    "MIN_VALUE_EXCEEDED",
                    "You provided a value that is smaller than the minimum allowed.",
                ));
            }
            Some(n) if n <= max => n,
            _ => {
                return Err(invalid(
                    "MAX_VALUE_EXCEEDED",
                    "You provided a value that is larger than the maximum allowed.",
                ));
            }
        },
        Some(_) => {
            return Err(JsonApiError::new(
                400,
                "SerializationException",
                "Expected a number for MaxResults.",
            ));
        }
    };
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

fn bad_token() -> JsonApiError {
    invalid("INVALID_NEXT_TOKEN", "The specified token is invalid.")
}

/// One page of `items` under `member`, with a `NextToken` (the operation and the offset of
/// the next item: it changes on every page) while more remain.
pub fn page(ctx: &JsonCtx<'_>, member: &str, items: Vec<Value>, max: u64) -> JsonResult {
    let size = max_results(ctx, max)?;
    let start = match string(ctx, "NextToken")? {
        None => 0,
        Some(t) => {
            let raw = URL_SAFE_NO_PAD
                .decode(t.as_bytes())
                .map_err(|_| bad_token())?;
            let text = String::from_utf8(raw).map_err(|_| bad_token())?;
            let (op, offset) = text.split_once(':').ok_or_else(bad_token)?;
            if op != ctx.operation {
                return Err(bad_token());
            }
            offset.parse::<usize>().map_err(|_| bad_token())?
        }
    };
    if start > items.len() {
        return Err(bad_token());
    }
    let end = start.saturating_add(size).min(items.len());
    let mut out = Map::new();
    let slice: Vec<Value> = items.get(start..end).unwrap_or_default().to_vec();
    out.insert(member.to_owned(), Value::Array(slice));
    if end < items.len() {
        let token = URL_SAFE_NO_PAD.encode(format!("{}:{end}", ctx.operation));
        out.insert("NextToken".to_owned(), Value::from(token));
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_patterns_follow_the_model() {
        assert!(is_account_id("123456789012"));
        assert!(!is_account_id("12345678901"));
        assert!(is_root_id("r-ab12"));
        assert!(!is_root_id("r-AB12"));
        assert!(is_ou_id("ou-ab12-abcdefgh"));
        assert!(!is_ou_id("ou-ab12-abc"));
        assert!(!is_ou_id("ou-ab12"));
        assert!(is_policy_id("p-FullAWSAccess"));
        assert!(is_policy_id("p-abcd1234"));
        assert!(!is_policy_id("p-abc"));
        assert!(is_request_id("car-0123456789abcdef"));
        assert!(!is_request_id("car-XYZ12345"));
    }
}
