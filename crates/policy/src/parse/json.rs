//! A JSON tree that keeps member order and refuses duplicate member names.
//!
//! `serde_json::Value` silently keeps the last of two equal keys; AWS refuses such
//! documents, so the parser needs a tree that sees every member. Nesting depth is bounded
//! by serde_json's recursion limit (128), which this visitor inherits.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Members and elements above this count are refused: no valid policy comes near it
/// within the document size limit, and it bounds the work per document.
const MAX_CHILDREN: usize = 20_000;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// The number as JSON text (AWS compares condition numbers by their text form).
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

pub(crate) fn from_str(text: &str) -> Result<Json, serde_json::Error> {
    serde_json::from_str(text)
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Json>()? {
            if items.len() >= MAX_CHILDREN {
                return Err(de::Error::custom("too many elements"));
            }
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members: Vec<(String, Json)> = Vec::new();
        // Linear search is cheapest for the small objects policies are made of; a set
        // keeps adversarial documents with thousands of members linear.
        let mut seen: Option<std::collections::HashSet<String>> = None;
        while let Some(key) = map.next_key::<String>()? {
            let duplicate = match &mut seen {
                Some(set) => !set.insert(key.clone()),
                None if members.len() >= 16 => {
                    let mut set: std::collections::HashSet<String> =
                        members.iter().map(|(k, _)| k.clone()).collect();
                    let dup = !set.insert(key.clone());
                    seen = Some(set);
                    dup
                }
                None => members.iter().any(|(k, _)| *k == key),
            };
            if duplicate {
                return Err(de::Error::custom("duplicate member"));
            }
            if members.len() >= MAX_CHILDREN {
                return Err(de::Error::custom("too many members"));
            }
            let value = map.next_value::<Json>()?;
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn keeps_order_and_refuses_duplicates() {
        let j = from_str(r#"{"b":1,"a":[true,null,"x"]}"#).unwrap();
        let Json::Object(m) = &j else {
            panic!("not an object")
        };
        assert_eq!(m[0], ("b".to_owned(), Json::Number("1".into())));
        assert!(from_str(r#"{"a":1,"a":2}"#).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(from_str(&deep).is_err());
    }
}
