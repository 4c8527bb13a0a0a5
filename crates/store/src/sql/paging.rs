//! Marker/MaxItems pagination: keyset pagination over a stable sort key, with the key of the
//! last returned item as the (opaque) marker. Unlike offsets, a marker stays correct when
//! items before it are inserted or deleted between pages.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{Result, StoreError};
use crate::model::{Page, PageRequest};

const SEP: char = '\u{0}';

/// Upper bound AWS accepts for `MaxItems`.
pub(crate) const MAX_ITEMS_LIMIT: u32 = 1000;

/// Items to return for a request: `MaxItems` clamped to 1..=1000.
pub(crate) fn limit(page: &PageRequest) -> u32 {
    page.max_items.clamp(1, MAX_ITEMS_LIMIT)
}

/// The `LIMIT` to query with: one more than returned, to learn whether the page is truncated.
pub(crate) fn fetch_limit(page: &PageRequest) -> i64 {
    i64::from(limit(page)) + 1
}

pub fn encode_marker(parts: &[&str]) -> String {
    URL_SAFE_NO_PAD.encode(parts.join(&SEP.to_string()))
}

/// Decodes the request's marker into exactly `arity` key parts (`None` when no marker).
pub fn decode_marker(page: &PageRequest, arity: usize) -> Result<Option<Vec<String>>> {
    let Some(marker) = page.marker.as_deref() else {
        return Ok(None);
    };
    let invalid = || StoreError::InvalidInput(format!("Invalid Marker: {marker}"));
    let bytes = URL_SAFE_NO_PAD.decode(marker).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let parts: Vec<String> = text.split(SEP).map(str::to_owned).collect();
    if parts.len() != arity {
        return Err(invalid());
    }
    Ok(Some(parts))
}

/// Cuts fetched items (fetched with [`fetch_limit`]) to the page size and derives the marker
/// from the last returned item's sort key.
pub(crate) fn finish<T>(
    mut items: Vec<T>,
    page: &PageRequest,
    key: impl Fn(&T) -> Vec<String>,
) -> Page<T> {
    let max = limit(page) as usize;
    if items.len() <= max {
        return Page {
            items,
            next_marker: None,
        };
    }
    items.truncate(max);
    let next_marker = items.last().map(|last| {
        let parts = key(last);
        encode_marker(&parts.iter().map(String::as_str).collect::<Vec<_>>())
    });
    Page { items, next_marker }
}

/// Appends `AND <column> starts with $n` for an optional path prefix.
pub(crate) fn push_prefix(
    sql: &mut String,
    params: &mut Vec<crate::sql::Val>,
    column: &str,
    prefix: Option<&str>,
) {
    if let Some(prefix) = prefix {
        params.push(prefix.into());
        let n = params.len();
        sql.push_str(&format!(
            " AND substr({column}, 1, length(CAST(${n} AS TEXT))) = CAST(${n} AS TEXT)"
        ));
    }
}

/// Appends the keyset condition for the request's marker (`AND (cols) > (marker parts)`), the
/// `ORDER BY cols` and the `LIMIT`. `columns` must be the sort key [`finish`] encodes, as text.
pub(crate) fn push_keyset(
    sql: &mut String,
    params: &mut Vec<crate::sql::Val>,
    page: &PageRequest,
    columns: &[&str],
) -> Result<()> {
    if let Some(marker) = decode_marker(page, columns.len())? {
        let first = params.len() + 1;
        params.extend(marker.into_iter().map(crate::sql::Val::from));
        let placeholders: Vec<String> = (first..first + columns.len())
            .map(|n| format!("${n}"))
            .collect();
        sql.push_str(&format!(
            " AND ({}) > ({})",
            columns.join(", "),
            placeholders.join(", ")
        ));
    }
    params.push(fetch_limit(page).into());
    sql.push_str(&format!(
        " ORDER BY {} LIMIT ${}",
        columns.join(", "),
        params.len()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn marker_roundtrip_and_rejects_garbage() {
        let m = encode_marker(&["alice", "arn:aws:iam::1:user/alice"]);
        let req = PageRequest {
            marker: Some(m),
            max_items: 5,
        };
        assert_eq!(
            decode_marker(&req, 2).unwrap().unwrap(),
            ["alice", "arn:aws:iam::1:user/alice"]
        );
        assert!(decode_marker(&req, 1).is_err());
        let bad = PageRequest {
            marker: Some("!!".into()),
            max_items: 5,
        };
        assert!(matches!(
            decode_marker(&bad, 1),
            Err(StoreError::InvalidInput(_))
        ));
    }

    #[test]
    fn limits_are_clamped() {
        assert_eq!(limit(&PageRequest::first(0)), 1);
        assert_eq!(limit(&PageRequest::first(5000)), 1000);
        let page = finish(vec![1, 2, 3], &PageRequest::first(2), |i| {
            vec![i.to_string()]
        });
        assert_eq!(page.items, [1, 2]);
        assert!(page.is_truncated());
    }
}
