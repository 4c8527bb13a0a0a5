//! Typed readings of condition values: numbers, dates, booleans, IPs, binary.
//!
//! Context values arrive as strings and are read per operator family at comparison
//! time, without allocating; a value that does not read as the family's type matches
//! nothing.

use std::cmp::Ordering;
use std::net::IpAddr;

use chrono::NaiveDate;

/// A decimal number as digit strings, so comparisons are exact at any size.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decimal<'a> {
    negative: bool,
    /// Integer digits without leading zeros.
    int: &'a str,
    /// Fraction digits without trailing zeros.
    frac: &'a str,
}

impl<'a> Decimal<'a> {
    /// Reads `[+-]digits[.digits]`; exponents are not numbers to IAM.
    pub(crate) fn parse(text: &'a str) -> Option<Decimal<'a>> {
        let (negative, body) = match text.as_bytes().first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        let is_zero = int.is_empty() && frac.is_empty();
        Some(Decimal {
            negative: negative && !is_zero,
            int,
            frac,
        })
    }

    fn cmp_magnitude(&self, other: &Decimal<'_>) -> Ordering {
        self.int
            .len()
            .cmp(&other.int.len())
            .then_with(|| self.int.cmp(other.int))
            .then_with(|| self.frac.cmp(other.frac))
    }

    pub(crate) fn compare(&self, other: &Decimal<'_>) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

/// An instant as nanoseconds since the Unix epoch.
pub(crate) type Instant = i128;

const NANOS: i128 = 1_000_000_000;

/// Reads a date the way IAM does: epoch seconds (`1700000000`, optionally with a
/// fraction) or W3C ISO-8601 (`2020-01-01`, `2020-01-01T10:00Z`,
/// `2020-01-01T10:00:00.5+02:00`). A date-time without offset is UTC.
pub(crate) fn parse_date(text: &str) -> Option<Instant> {
    let lower_t = text.contains('t') || text.contains('T');
    if !lower_t && !text.contains('-') {
        return parse_epoch(text);
    }
    let (date, time) = match text.find(['T', 't']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let mut fields = date.split('-');
    let year: i32 = parse_digits(fields.next()?, 4, 4)?;
    let month: u32 = fields.next().map_or(Some(1), |m| parse_digits(m, 2, 2))?;
    let day: u32 = fields.next().map_or(Some(1), |d| parse_digits(d, 2, 2))?;
    if fields.next().is_some() {
        return None;
    }
    let days = NaiveDate::from_ymd_opt(year, month, day)?
        .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1)?)
        .num_days();
    let mut nanos = i128::from(days) * 86_400 * NANOS;
    if let Some(time) = time {
        nanos += parse_time(time)?;
    }
    Some(nanos)
}

fn parse_epoch(text: &str) -> Option<Instant> {
    let (secs, frac) = match text.split_once('.') {
        Some((s, f)) => (s, f),
        None => (text, ""),
    };
    if secs.is_empty() || secs.len() > 19 || frac.len() > 9 {
        return None;
    }
    if !secs.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i128 = secs.parse().ok()?;
    let mut frac_nanos: i128 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..9 {
        frac_nanos *= 10;
    }
    Some(secs * NANOS + frac_nanos)
}

/// `hh:mm[:ss[.fraction]][Z|±hh[:mm]|±hhmm]` → nanoseconds after midnight UTC.
fn parse_time(time: &str) -> Option<i128> {
    let (clock, offset_secs) = split_offset(time)?;
    let mut fields = clock.split(':');
    let hours: i128 = parse_digits(fields.next()?, 2, 2)?;
    let minutes: i128 = fields.next().map_or(Some(0), |m| parse_digits(m, 2, 2))?;
    let (seconds, frac) = match fields.next() {
        None => (0, 0),
        Some(s) => {
            let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
            let whole: i128 = parse_digits(whole, 2, 2)?;
            if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let mut nanos: i128 = if frac.is_empty() {
                0
            } else {
                frac.parse().ok()?
            };
            for _ in frac.len()..9 {
                nanos *= 10;
            }
            (whole, nanos)
        }
    };
    if fields.next().is_some() || hours > 23 || minutes > 59 || seconds > 60 {
        return None;
    }
    Some(((hours * 3600 + minutes * 60 + seconds) - offset_secs) * NANOS + frac)
}

fn split_offset(time: &str) -> Option<(&str, i128)> {
    if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    let Some(i) = time.rfind(['+', '-']) else {
        return Some((time, 0));
    };
    let (clock, offset) = (&time[..i], &time[i + 1..]);
    let sign: i128 = if time.as_bytes()[i] == b'-' { -1 } else { 1 };
    let (h, m) = match offset.split_once(':') {
        Some((h, m)) => (h, m),
        None if offset.len() == 4 => (&offset[..2], &offset[2..]),
        None => (offset, "00"),
    };
    let h: i128 = parse_digits(h, 2, 2)?;
    let m: i128 = parse_digits(m, 2, 2)?;
    if h > 23 || m > 59 {
        return None;
    }
    Some((clock, sign * (h * 3600 + m * 60)))
}

fn parse_digits<T: std::str::FromStr>(s: &str, min: usize, max: usize) -> Option<T> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `true` / `false`, in any case.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A CIDR block, or a bare address meaning /32 (IPv4) or /128 (IPv6).
pub(crate) fn parse_cidr(text: &str) -> Option<ipnet::IpNet> {
    let text = text.trim();
    if let Ok(net) = text.parse::<ipnet::IpNet>() {
        return Some(net);
    }
    text.parse::<IpAddr>().ok().map(ipnet::IpNet::from)
}

pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    text.trim().parse().ok()
}

/// Base64 as AWS accepts it: standard alphabet, padding optional.
pub(crate) fn parse_base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
    STANDARD
        .decode(text)
        .or_else(|_| STANDARD_NO_PAD.decode(text))
        .ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn num_cmp(a: &str, b: &str) -> Ordering {
        Decimal::parse(a)
            .unwrap()
            .compare(&Decimal::parse(b).unwrap())
    }

    #[test]
    fn decimals_compare_exactly() {
        assert_eq!(num_cmp("10", "9"), Ordering::Greater);
        assert_eq!(num_cmp("1.10", "1.1"), Ordering::Equal);
        assert_eq!(num_cmp("-0", "0"), Ordering::Equal);
        assert_eq!(num_cmp("-2", "-10"), Ordering::Greater);
        assert_eq!(num_cmp("0.55", "0.6"), Ordering::Less);
        assert_eq!(
            num_cmp("9007199254740993", "9007199254740992"),
            Ordering::Greater
        );
        assert!(Decimal::parse("1e3").is_none());
        assert!(Decimal::parse("").is_none());
        assert!(Decimal::parse(".").is_none());
        assert!(Decimal::parse("-").is_none());
    }

    #[test]
    fn dates_in_every_accepted_form() {
        let day = parse_date("2020-01-01").unwrap();
        assert_eq!(day, 1_577_836_800 * NANOS);
        assert_eq!(parse_date("2020-01-01T00:00:00Z"), Some(day));
        assert_eq!(parse_date("2020-01-01T02:00:00+02:00"), Some(day));
        assert_eq!(parse_date("2019-12-31T23:00:00-0100"), Some(day));
        assert_eq!(parse_date("1577836800"), Some(day));
        assert_eq!(parse_date("2020-01-01T00:00Z"), Some(day));
        assert_eq!(parse_date("2020-01-01T00:00:00.5Z"), Some(day + NANOS / 2));
        assert!(parse_date("2020-13-01").is_none());
        assert!(parse_date("2020-02-30").is_none());
        assert!(parse_date("yesterday").is_none());
        assert!(parse_date("2020-01-01T25:00:00Z").is_none());
        assert!(parse_date("").is_none());
    }

    #[test]
    fn ips_and_binary() {
        let net = parse_cidr("10.0.0.0/8").unwrap();
        assert!(net.contains(&parse_ip("10.1.2.3").unwrap()));
        let host = parse_cidr("2001:db8::1").unwrap();
        assert_eq!(host.prefix_len(), 128);
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert_eq!(parse_base64("QUJD").unwrap(), b"ABC");
        assert_eq!(parse_base64("QUI").unwrap(), b"AB");
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("yes"), None);
    }
}
