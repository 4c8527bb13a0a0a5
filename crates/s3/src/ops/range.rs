//! The `Range` header of GetObject/HeadObject: client-supplied positions of any magnitude,
//! parsed without overflow.

use crate::errors::{S3Error, S3Result};

/// A byte position of a Range header: digits only; one past `u64::MAX` is still a valid
/// position (RFC 9110 allows any length of digits), so it saturates instead of failing.
fn range_pos(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse::<u64>().unwrap_or(u64::MAX))
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` → `[start, end)`; `Ok(None)` for a header S3 ignores.
/// A last position past the end is clamped to the object, whatever its magnitude.
pub fn parse_range(v: &str, size: u64) -> S3Result<Option<(u64, u64)>> {
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let invalid = || {
        S3Error::new(
            416,
            "InvalidRange",
            "The requested range is not satisfiable",
        )
        .with("RangeRequested", v.to_string())
        .with("ActualObjectSize", size.to_string())
    };
    let range = if a.is_empty() {
        let Some(n) = range_pos(b) else {
            return Ok(None);
        };
        if n == 0 {
            return Err(invalid());
        }
        (size.saturating_sub(n), size)
    } else {
        let Some(start) = range_pos(a) else {
            return Ok(None);
        };
        let end = if b.is_empty() {
            size
        } else {
            let Some(e) = range_pos(b) else {
                return Ok(None);
            };
            if e < start {
                return Ok(None);
            }
            e.saturating_add(1).min(size)
        };
        if start >= size {
            return Err(invalid());
        }
        (start, end)
    };
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100).unwrap(), Some((0, 10)));
        assert_eq!(parse_range("bytes=90-", 100).unwrap(), Some((90, 100)));
        assert_eq!(parse_range("bytes=-10", 100).unwrap(), Some((90, 100)));
        assert_eq!(parse_range("bytes=-200", 100).unwrap(), Some((0, 100)));
        assert_eq!(parse_range("bytes=50-500", 100).unwrap(), Some((50, 100)));
        assert_eq!(parse_range("bytes=100-", 100).unwrap_err().status, 416);
        assert_eq!(parse_range("bytes=5-1", 100).unwrap(), None);
        assert_eq!(parse_range("items=1-2", 100).unwrap(), None);
    }

    #[test]
    fn ranges_at_u64_max_clamp() {
        let max = u64::MAX;
        assert_eq!(
            parse_range(&format!("bytes=0-{max}"), 100).unwrap(),
            Some((0, 100))
        );
        assert_eq!(
            parse_range(&format!("bytes=5-{max}"), 100).unwrap(),
            Some((5, 100))
        );
        // Past u64 entirely: still a position beyond the end.
        assert_eq!(
            parse_range("bytes=5-99999999999999999999999", 100).unwrap(),
            Some((5, 100))
        );
        assert_eq!(
            parse_range(&format!("bytes=-{max}"), 100).unwrap(),
            Some((0, 100))
        );
        assert_eq!(
            parse_range(&format!("bytes={max}-{max}"), 100)
                .unwrap_err()
                .status,
            416
        );
        assert_eq!(
            parse_range(&format!("bytes={max}-"), 100)
                .unwrap_err()
                .status,
            416
        );
        assert_eq!(
            parse_range(&format!("bytes=0-{max}"), max).unwrap(),
            Some((0, max))
        );
        assert_eq!(
            parse_range(&format!("bytes={}-{max}", max - 1), max).unwrap(),
            Some((max - 1, max))
        );
        assert_eq!(parse_range("bytes=+1-2", 100).unwrap(), None);
        assert_eq!(parse_range("bytes=1-+2", 100).unwrap(), None);
    }
}
