//! Rotation schedules (spec §4.5): `AutomaticallyAfterDays`, `rate(N hours|days)` (at least
//! 4 hours) and AWS's six-field `cron(min hour day-of-month month day-of-week year)` in UTC,
//! plus the `Duration` window. Hourglass rotates at the start of the window (AWS picks a
//! random time inside it).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};

use crate::error::{SmError, SmResult};
use crate::model::RotationRules;

/// A validated schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    Every(Duration),
    Cron(Box<Cron>),
}

fn bad(message: impl Into<String>) -> SmError {
    SmError::invalid_parameter(message)
}

/// Validates rules and returns their schedule.
pub fn parse_rules(rules: &RotationRules) -> SmResult<Schedule> {
    if let Some(d) = &rules.duration {
        let hours = d
            .strip_suffix('h')
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| (1..=24).contains(n));
        if hours.is_none() {
            return Err(bad(format!(
                "The Duration {d} is invalid: use a whole number of hours between 1h and 24h."
            )));
        }
    }
    match (&rules.automatically_after_days, &rules.schedule_expression) {
        (Some(_), Some(_)) => Err(bad(
            "You can't specify both AutomaticallyAfterDays and ScheduleExpression.",
        )),
        (Some(days), None) => {
            if !(1..=1000).contains(days) {
                return Err(bad(
                    "The AutomaticallyAfterDays value must be between 1 and 1000.",
                ));
            }
            Ok(Schedule::Every(Duration::days(*days)))
        }
        (None, Some(expr)) => parse_expression(expr),
        (None, None) => Err(bad(
            "RotationRules must contain AutomaticallyAfterDays or ScheduleExpression.",
        )),
    }
}

fn parse_expression(expr: &str) -> SmResult<Schedule> {
    let invalid = || bad(format!("The schedule expression {expr} is invalid."));
    if let Some(body) = expr.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        let mut parts = body.split_whitespace();
        let n: i64 = parts
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or_else(invalid)?;
        let unit = parts.next().ok_or_else(invalid)?;
        if parts.next().is_some() {
            return Err(invalid());
        }
        let d = match unit {
            "hour" | "hours" if (4..=23).contains(&n) => Duration::hours(n),
            "day" | "days" if (1..=1000).contains(&n) => Duration::days(n),
            "hour" | "hours" => {
                return Err(bad(
                    "The rotation interval in a rate expression must be between 4 and 23 hours, \
                     or use days.",
                ));
            }
            _ => return Err(invalid()),
        };
        return Ok(Schedule::Every(d));
    }
    if let Some(body) = expr.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        return Cron::parse(body)
            .map(|c| Schedule::Cron(Box::new(c)))
            .map_err(|why| bad(format!("The schedule expression {expr} is invalid: {why}.")));
    }
    Err(invalid())
}

impl Schedule {
    /// The next rotation strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Every(d) => after.checked_add_signed(*d),
            Schedule::Cron(c) => c.next_after(after),
        }
    }
}

/// A set of allowed values of one cron field.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    allowed: Vec<bool>,
    /// `?`: this day field defers to the other one.
    question: bool,
}

impl Field {
    fn has(&self, v: u32) -> bool {
        self.allowed.get(v as usize).copied().unwrap_or(false)
    }
}

/// AWS's cron: minutes, hours, day-of-month, month, day-of-week (1 = SUN), year; one of
/// day-of-month and day-of-week must be `?`. `L`, `W` and `#` are not supported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Field,
    hours: Field,
    dom: Field,
    months: Field,
    dow: Field,
    years: Field,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn value(s: &str, min: u32, max: u32, names: &[&str]) -> Result<u32, String> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return u32::try_from(i + 1).map_err(|_| "bad name".to_owned());
    }
    let v: u32 = s.parse().map_err(|_| format!("'{s}' is not a value"))?;
    if v < min || v > max {
        return Err(format!("{v} is outside {min}-{max}"));
    }
    Ok(v)
}

fn field(text: &str, min: u32, max: u32, names: &[&str], question: bool) -> Result<Field, String> {
    let mut allowed = vec![false; max as usize + 1];
    if text == "?" {
        if !question {
            return Err("'?' is only allowed in day-of-month or day-of-week".into());
        }
        return Ok(Field {
            allowed,
            question: true,
        });
    }
    if text.contains(['L', 'W', '#']) && names != MONTHS {
        return Err("L, W and # are not supported".into());
    }
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("bad step in '{part}'"))?,
            ),
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, min, max, names)?, value(b, min, max, names)?)
        } else {
            let a = value(range, min, max, names)?;
            (a, if part.contains('/') { max } else { a })
        };
        if lo > hi {
            return Err(format!("range '{range}' is backwards"));
        }
        let mut v = lo;
        while v <= hi {
            if let Some(slot) = allowed.get_mut(v as usize) {
                *slot = true;
            }
            v = v.saturating_add(step);
        }
    }
    Ok(Field {
        allowed,
        question: false,
    })
}

impl Cron {
    pub fn parse(body: &str) -> Result<Cron, String> {
        let f: Vec<&str> = body.split_whitespace().collect();
        let [mi, h, dom, mo, dow, y] = f.as_slice() else {
            return Err("a cron expression has six fields".into());
        };
        let c = Cron {
            minutes: field(mi, 0, 59, &[], false)?,
            hours: field(h, 0, 23, &[], false)?,
            dom: field(dom, 1, 31, &[], true)?,
            months: field(mo, 1, 12, &MONTHS, false)?,
            dow: field(dow, 1, 7, &DAYS, true)?,
            years: field(y, 1970, 2199, &[], false)?,
        };
        if (*dom == "?") == (*dow == "?") {
            return Err("exactly one of day-of-month and day-of-week must be '?'".into());
        }
        Ok(c)
    }

    fn day_matches(&self, d: NaiveDate) -> bool {
        let dow = d.weekday().num_days_from_sunday() + 1;
        self.years.has(u32::try_from(d.year()).unwrap_or(0))
            && self.months.has(d.month())
            && if self.dom.question {
                self.dow.has(dow)
            } else {
                self.dom.has(d.day())
            }
    }

    /// The first matching minute strictly after `after` (within ten years).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = after.with_second(0)?.with_nanosecond(0)? + Duration::minutes(1);
        let mut day = start.date_naive();
        for _ in 0..3700 {
            if self.day_matches(day) {
                for h in 0..24u32 {
                    if !self.hours.has(h) {
                        continue;
                    }
                    for m in 0..60u32 {
                        if !self.minutes.has(m) {
                            continue;
                        }
                        let t = Utc.from_utc_datetime(&day.and_hms_opt(h, m, 0)?);
                        if t >= start {
                            return Some(t);
                        }
                    }
                }
            }
            day = day.succ_opt()?;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn rules(days: Option<i64>, expr: Option<&str>) -> RotationRules {
        RotationRules {
            automatically_after_days: days,
            duration: None,
            schedule_expression: expr.map(str::to_owned),
        }
    }

    #[test]
    fn validation() {
        assert!(parse_rules(&rules(Some(30), None)).is_ok());
        assert!(parse_rules(&rules(Some(0), None)).is_err());
        assert!(parse_rules(&rules(Some(1001), None)).is_err());
        assert!(parse_rules(&rules(Some(1), Some("rate(4 hours)"))).is_err());
        assert!(parse_rules(&rules(None, None)).is_err());
        assert!(parse_rules(&rules(None, Some("rate(4 hours)"))).is_ok());
        assert!(parse_rules(&rules(None, Some("rate(3 hours)"))).is_err());
        assert!(parse_rules(&rules(None, Some("rate(10 days)"))).is_ok());
        assert!(parse_rules(&rules(None, Some("rate(x days)"))).is_err());
        assert!(parse_rules(&rules(None, Some("cron(0 16 1,15 * ? *)"))).is_ok());
        assert!(parse_rules(&rules(None, Some("cron(0 16 * * * *)"))).is_err());
        assert!(parse_rules(&rules(None, Some("cron(0 16 ? * MON-FRI *)"))).is_ok());
        assert!(parse_rules(&rules(None, Some("cron(0 16 L * ? *)"))).is_err());
        assert!(parse_rules(&rules(None, Some("cron(0 99 * * ? *)"))).is_err());
        let mut r = rules(Some(1), None);
        r.duration = Some("25h".into());
        assert!(parse_rules(&r).is_err());
        r.duration = Some("3h".into());
        assert!(parse_rules(&r).is_ok());
    }

    #[test]
    fn next_dates() {
        let t = Utc.with_ymd_and_hms(2026, 1, 2, 17, 30, 0).unwrap();
        let c = parse_rules(&rules(None, Some("cron(0 16 1,15 * ? *)"))).unwrap();
        assert_eq!(
            c.next_after(t),
            Some(Utc.with_ymd_and_hms(2026, 1, 15, 16, 0, 0).unwrap())
        );
        // 2026-01-02 is a Friday; the next Monday is the 5th.
        let c = parse_rules(&rules(None, Some("cron(30 8 ? * MON *)"))).unwrap();
        assert_eq!(
            c.next_after(t),
            Some(Utc.with_ymd_and_hms(2026, 1, 5, 8, 30, 0).unwrap())
        );
        let r = parse_rules(&rules(None, Some("rate(4 hours)"))).unwrap();
        assert_eq!(r.next_after(t), Some(t + Duration::hours(4)));
        let d = parse_rules(&rules(Some(2), None)).unwrap();
        assert_eq!(d.next_after(t), Some(t + Duration::days(2)));
        let past = parse_rules(&rules(None, Some("cron(0 0 1 1 ? 2020)"))).unwrap();
        assert_eq!(past.next_after(t), None);
    }
}
