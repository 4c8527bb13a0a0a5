//! Timestamp formats and the time windows AWS applies.

use chrono::{DateTime, NaiveDateTime, Utc};

/// Maximum clock skew accepted for header authentication, and how far in the future a
/// presigned request may be dated: 15 minutes.
pub const MAX_SKEW_SECONDS: i64 = 900;

/// Largest `X-Amz-Expires` AWS accepts: one week.
pub const MAX_PRESIGN_EXPIRES_SECONDS: u64 = 604_800;

/// Parses `YYYYMMDD'T'HHMMSS'Z'` (the `X-Amz-Date` format), strictly.
pub fn parse_amz_date(value: &str) -> Option<DateTime<Utc>> {
    let bytes = value.as_bytes();
    let shape_ok = bytes.len() == 16
        && bytes.get(8) == Some(&b'T')
        && bytes.get(15) == Some(&b'Z')
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 8 || i == 15 || b.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|naive| naive.and_utc())
}

/// Formats a time as `YYYYMMDD'T'HHMMSS'Z'`.
pub fn format_amz_date(time: DateTime<Utc>) -> String {
    time.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Formats a time as ISO-8601 with a `Z` suffix, as S3 renders `ServerTime`/`Expires`.
pub fn format_iso8601(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Parses an HTTP `Date` header (RFC 1123 / RFC 2822 with `GMT`).
pub(crate) fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(value.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_date_round_trip_and_strictness() {
        let t = parse_amz_date("20150830T123600Z");
        assert_eq!(t.map(format_amz_date).as_deref(), Some("20150830T123600Z"));
        for bad in [
            "20150830T123600",
            "2015083OT123600Z",
            "20151330T123600Z",
            "+0150830T123600Z",
            "20150830T1236000Z",
            "",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_date() {
        let t = parse_http_date("Tue, 27 Mar 2007 19:36:42 +0000");
        assert_eq!(t.map(format_amz_date).as_deref(), Some("20070327T193642Z"));
        let t = parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT");
        assert_eq!(t.map(format_amz_date).as_deref(), Some("20150830T123600Z"));
    }
}
