//! ListSecrets and BatchGetSecretValue's filters, sort orders and page tokens (spec §4.3):
//! filters AND together, values within a filter OR, a leading `!` negates a value.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use crate::error::{SmError, SmResult};
use crate::model::Loaded;

#[derive(Debug, Clone, Deserialize)]
pub struct Filter {
    #[serde(rename = "Key")]
    pub key: Option<String>,
    #[serde(rename = "Values", default)]
    pub values: Vec<String>,
}

const KEYS: [&str; 7] = [
    "description",
    "name",
    "tag-key",
    "tag-value",
    "primary-region",
    "owning-service",
    "all",
];

pub fn validate_filters(filters: &[Filter]) -> SmResult<()> {
    if filters.len() > 10 {
        return Err(SmError::validation(
            "1 validation error detected: Value at 'filters' failed to satisfy constraint: \
             Member must have length less than or equal to 10",
        ));
    }
    for f in filters {
        let Some(k) = &f.key else {
            return Err(SmError::invalid_parameter("Invalid filter key"));
        };
        if !KEYS.contains(&k.as_str()) {
            return Err(SmError::validation(format!(
                "1 validation error detected: Value '{k}' at 'filters.1.member.key' failed to \
                 satisfy constraint: Member must satisfy enum value set: [{}]",
                KEYS.join(", ")
            )));
        }
        if f.values.is_empty() || f.values.len() > 10 {
            return Err(SmError::invalid_parameter(
                "Invalid filter values: each filter takes 1 to 10 values.",
            ));
        }
        for v in &f.values {
            let body = v.strip_prefix('!').unwrap_or(v);
            let ok = v.len() <= 512
                && body
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || " :_@/+=.-!".contains(c));
            if !ok {
                return Err(SmError::invalid_parameter(format!(
                    "Invalid filter values: {v}"
                )));
            }
        }
    }
    Ok(())
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len()
        && s.get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

fn value_matches(s: &Loaded, key: &str, value: &str) -> bool {
    match key {
        "description" => s
            .meta
            .description
            .as_deref()
            .is_some_and(|d| starts_with_ci(d, value)),
        "name" => s.name().starts_with(value),
        "tag-key" => s.meta.tags.iter().any(|t| t.key.starts_with(value)),
        "tag-value" => s.meta.tags.iter().any(|t| t.value.starts_with(value)),
        // Hourglass secrets have no primary region elsewhere and no owning service.
        "primary-region" | "owning-service" => false,
        _ => value.split_whitespace().all(|word| {
            starts_with_ci(s.name(), word)
                || s.name().split('/').any(|seg| starts_with_ci(seg, word))
                || s.meta
                    .description
                    .as_deref()
                    .is_some_and(|d| d.split_whitespace().any(|w| starts_with_ci(w, word)))
                || s.meta
                    .tags
                    .iter()
                    .any(|t| starts_with_ci(&t.key, word) || starts_with_ci(&t.value, word))
        }),
    }
}

/// Whether a secret passes every filter.
pub fn matches(s: &Loaded, filters: &[Filter]) -> bool {
    filters.iter().all(|f| {
        let key = f.key.as_deref().unwrap_or_default();
        let (neg, pos): (Vec<&String>, Vec<&String>) =
            f.values.iter().partition(|v| v.starts_with('!'));
        let pos_ok = pos.is_empty() || pos.iter().any(|v| value_matches(s, key, v));
        let neg_ok = neg
            .iter()
            .all(|v| !value_matches(s, key, v.get(1..).unwrap_or_default()));
        pos_ok && neg_ok
    })
}

/// Sorts by `sort_by` (default created-date), ascending unless `desc`.
pub fn sort(list: &mut [Loaded], sort_by: Option<&str>, desc: bool) -> SmResult<()> {
    match sort_by.unwrap_or("created-date") {
        "created-date" => {
            list.sort_by(|a, b| (a.row.created, a.arn()).cmp(&(b.row.created, b.arn())))
        }
        "last-accessed-date" => {
            list.sort_by(|a, b| (a.row.last_accessed, a.arn()).cmp(&(b.row.last_accessed, b.arn())))
        }
        "last-changed-date" => {
            list.sort_by(|a, b| (a.meta.last_changed, a.arn()).cmp(&(b.meta.last_changed, b.arn())))
        }
        "name" => list.sort_by(|a, b| (a.name(), a.arn()).cmp(&(b.name(), b.arn()))),
        other => {
            return Err(SmError::validation(format!(
                "1 validation error detected: Value '{other}' at 'sortBy' failed to satisfy \
                 constraint: Member must satisfy enum value set: [created-date, \
                 last-accessed-date, last-changed-date, name]"
            )));
        }
    }
    if desc {
        list.reverse();
    }
    Ok(())
}

/// A page token: the offset into the sorted list.
pub fn encode_token(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("hg1:{offset}"))
}

pub fn decode_token(token: &str) -> SmResult<usize> {
    let bad = || {
        SmError::new(
            "InvalidNextTokenException",
            "The NextToken value is invalid.",
        )
    };
    let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let text = std::str::from_utf8(&raw).map_err(|_| bad())?;
    text.strip_prefix("hg1:")
        .and_then(|n| n.parse().ok())
        .ok_or_else(bad)
}

/// Page size: 1–`max` (default `max`).
pub fn page_size(requested: Option<i64>, max: usize, field: &str) -> SmResult<usize> {
    match requested {
        None => Ok(max),
        Some(n) => usize::try_from(n)
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                SmError::validation(format!(
                    "1 validation error detected: Value '{n}' at '{field}' failed to satisfy \
                     constraint: Member must have value between 1 and {max}"
                ))
            }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tokens_roundtrip_and_reject_garbage() {
        assert_eq!(decode_token(&encode_token(42)).unwrap(), 42);
        assert_eq!(
            decode_token("nope!").unwrap_err().code,
            "InvalidNextTokenException"
        );
        assert!(page_size(Some(0), 100, "maxResults").is_err());
        assert!(page_size(Some(101), 100, "maxResults").is_err());
        assert_eq!(page_size(None, 100, "maxResults").unwrap(), 100);
    }

    #[test]
    fn filter_validation() {
        let f = |k: &str, v: &str| Filter {
            key: Some(k.into()),
            values: vec![v.into()],
        };
        assert!(validate_filters(&[f("name", "de")]).is_ok());
        assert!(validate_filters(&[f("tag-key", "!team")]).is_ok());
        assert!(validate_filters(&[f("bogus", "x")]).is_err());
        assert!(validate_filters(&[f("name", "a*b")]).is_err());
    }
}
