//! Backend-neutral SQL values and rows.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::error::{Result, StoreError};

/// A bound parameter or a fetched column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Null,
    Int(i64),
    Text(String),
    Time(DateTime<Utc>),
    Bytes(bytes::Bytes),
}

impl From<&str> for Val {
    fn from(v: &str) -> Val {
        Val::Text(v.to_owned())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Val {
        Val::Text(v)
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Val {
        Val::Text(v.clone())
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::Int(v)
    }
}
impl From<u32> for Val {
    fn from(v: u32) -> Val {
        Val::Int(i64::from(v))
    }
}
impl From<DateTime<Utc>> for Val {
    fn from(v: DateTime<Utc>) -> Val {
        Val::Time(v)
    }
}
impl From<bytes::Bytes> for Val {
    fn from(v: bytes::Bytes) -> Val {
        Val::Bytes(v)
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Val {
        v.map_or(Val::Null, Into::into)
    }
}
impl From<&Val> for Val {
    fn from(v: &Val) -> Val {
        v.clone()
    }
}

/// How SQLite stores timestamps: fixed-width UTC text, so text order is time order.
pub(crate) const TEXT_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

pub(crate) fn format_text_time(t: &DateTime<Utc>) -> String {
    t.format(TEXT_TIME_FORMAT).to_string()
}

/// Parses [`TEXT_TIME_FORMAT`] (and, leniently, any RFC 3339 text).
pub(crate) fn parse_text_time(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, TEXT_TIME_FORMAT)
        .map(|n| n.and_utc())
        .ok()
        .or_else(|| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        })
}

/// One fetched row. Getters return [`StoreError::Corrupt`] instead of panicking on bad data.
#[derive(Debug, Clone)]
pub(crate) struct Row(pub(crate) Vec<Val>);

impl Row {
    fn get(&self, i: usize) -> Result<&Val> {
        self.0
            .get(i)
            .ok_or_else(|| StoreError::corrupt(format!("missing column {i}")))
    }

    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.get(i)? {
            Val::Null => Ok(None),
            Val::Text(s) => Ok(Some(s.clone())),
            other => Err(StoreError::corrupt(format!(
                "column {i}: expected text, found {}",
                kind(other)
            ))),
        }
    }

    pub(crate) fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?
            .ok_or_else(|| StoreError::corrupt(format!("column {i}: unexpected NULL")))
    }

    pub(crate) fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.get(i)? {
            Val::Null => Ok(None),
            Val::Int(v) => Ok(Some(*v)),
            other => Err(StoreError::corrupt(format!(
                "column {i}: expected integer, found {}",
                kind(other)
            ))),
        }
    }

    pub(crate) fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?
            .ok_or_else(|| StoreError::corrupt(format!("column {i}: unexpected NULL")))
    }

    pub(crate) fn u32(&self, i: usize) -> Result<u32> {
        let v = self.int(i)?;
        u32::try_from(v).map_err(|_| StoreError::corrupt(format!("column {i}: {v} out of range")))
    }

    pub(crate) fn opt_time(&self, i: usize) -> Result<Option<DateTime<Utc>>> {
        match self.get(i)? {
            Val::Null => Ok(None),
            Val::Time(t) => Ok(Some(*t)),
            Val::Text(s) => parse_text_time(s)
                .map(Some)
                .ok_or_else(|| StoreError::corrupt(format!("column {i}: bad timestamp {s:?}"))),
            other => Err(StoreError::corrupt(format!(
                "column {i}: expected timestamp, found {}",
                kind(other)
            ))),
        }
    }

    pub(crate) fn opt_bytes(&self, i: usize) -> Result<Option<bytes::Bytes>> {
        match self.get(i)? {
            Val::Null => Ok(None),
            Val::Bytes(b) => Ok(Some(b.clone())),
            other => Err(StoreError::corrupt(format!(
                "column {i}: expected bytes, found {}",
                kind(other)
            ))),
        }
    }

    pub(crate) fn time(&self, i: usize) -> Result<DateTime<Utc>> {
        self.opt_time(i)?
            .ok_or_else(|| StoreError::corrupt(format!("column {i}: unexpected NULL")))
    }
}

fn kind(v: &Val) -> &'static str {
    match v {
        Val::Null => "NULL",
        Val::Int(_) => "integer",
        Val::Text(_) => "text",
        Val::Time(_) => "timestamp",
        Val::Bytes(_) => "bytes",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn text_time_roundtrip_keeps_microseconds() {
        let t = Utc.timestamp_opt(1_700_000_000, 123_456_000).unwrap();
        let s = format_text_time(&t);
        assert_eq!(s, "2023-11-14T22:13:20.123456Z");
        assert_eq!(parse_text_time(&s), Some(t));
    }

    #[test]
    fn bad_values_are_corrupt_not_panics() {
        let row = Row(vec![Val::Int(-1), Val::Text("nope".into()), Val::Null]);
        assert!(matches!(row.u32(0), Err(StoreError::Corrupt(_))));
        assert!(matches!(row.time(1), Err(StoreError::Corrupt(_))));
        assert!(matches!(row.text(2), Err(StoreError::Corrupt(_))));
        assert!(matches!(row.text(9), Err(StoreError::Corrupt(_))));
        assert_eq!(row.opt_text(2).unwrap(), None);
    }
}
