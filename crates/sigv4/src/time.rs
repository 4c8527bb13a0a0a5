//! Timestamp formats and the time windows AWS applies.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

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
    // The shape is checked, so the fields are digits at fixed places: read them directly
    // (chrono's pattern parser was 1.5 % of a loaded server's samples, once per request).
    let field = |from: usize, to: usize| -> Option<u32> {
        bytes.get(from..to)?.iter().try_fold(0u32, |n, b| {
            n.checked_mul(10)?.checked_add(u32::from(b - b'0'))
        })
    };
    let year = i32::try_from(field(0, 4)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, field(4, 6)?, field(6, 8)?)?;
    let (hour, minute, second) = (field(9, 11)?, field(11, 13)?, field(13, 15)?);
    // `%S` accepts a leap second (60) as chrono represents it: 59 s and 10⁹ ns.
    let time = if second == 60 {
        NaiveTime::from_hms_nano_opt(hour, minute, 59, 1_000_000_000)?
    } else {
        NaiveTime::from_hms_opt(hour, minute, second)?
    };
    Some(NaiveDateTime::new(date, time).and_utc())
}

/// Formats a time as `YYYYMMDD'T'HHMMSS'Z'`.
pub fn format_amz_date(time: DateTime<Utc>) -> String {
    time.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Formats a time as ISO-8601 with a `Z` suffix at second precision, as S3 renders
/// `ServerTime`/`Expires` and IAM `aws:CurrentTime`. Written field by field: chrono's
/// pattern formatter parses its pattern on every call, and this runs on every authorized
/// request.
pub fn format_iso8601(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
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
    fn iso8601_renders_as_the_pattern_did() {
        for ms in [
            0_i64,
            1_441_000_000_123,
            1_764_806_400_999,
            253_402_300_799_000,
        ] {
            let t = DateTime::from_timestamp_millis(ms).unwrap_or_default();
            assert_eq!(
                format_iso8601(t),
                t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
            );
        }
    }

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

    /// The direct reader agrees with chrono's `%Y%m%dT%H%M%SZ` on valid, invalid and
    /// edge-case dates.
    #[test]
    fn amz_date_agrees_with_the_pattern_parser() {
        for v in [
            "20150830T123600Z",
            "20000229T000000Z",
            "19000229T000000Z",
            "20241231T235959Z",
            "20241231T235960Z",
            "20150230T000000Z",
            "20151301T000000Z",
            "20150001T000000Z",
            "20150100T000000Z",
            "20150101T240000Z",
            "20150101T006000Z",
            "20150101T000061Z",
            "00000101T000000Z",
            "99991231T235959Z",
        ] {
            let pattern = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%SZ")
                .ok()
                .map(|n| n.and_utc());
            assert_eq!(parse_amz_date(v), pattern, "{v}");
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
