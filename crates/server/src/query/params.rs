//! Decoded Query-protocol parameters (`Action=…&Tags.member.1.Key=…`).
//!
//! botocore flattens lists as `Name.member.N` and maps as `Name.entry.N.key`; an empty list is
//! sent as a bare `Name=`. Parameters arrive in the URL query, the form body, or both (the body
//! wins on conflict), so decoding merges the two before any operation looks at them.

use std::collections::BTreeMap;

use super::QueryError;

/// Upper bound on the number of parameters a request may carry; far above anything IAM or
/// STS accepts, low enough that a hostile body cannot make us build a huge map.
const MAX_PARAMS: usize = 2_000;

/// Refuses malformed list indexes (`member.0`, `member.x`, gaps), which botocore never
/// sends and which would otherwise be silently dropped.
fn check_lists(values: &BTreeMap<String, String>) -> Result<(), QueryError> {
    let mut seen: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for key in values.keys() {
        let mut rest = key.as_str();
        let mut consumed = 0;
        while let Some(pos) = rest.find(".member.") {
            let list = &key[..consumed + pos];
            let after = &rest[pos + ".member.".len()..];
            let index_text = after.split('.').next().unwrap_or_default();
            let index: u32 = match index_text.parse() {
                Ok(n) if n >= 1 && !index_text.starts_with('0') => n,
                _ => {
                    return Err(QueryError::MalformedList(format!(
                        "Invalid list index '{index_text}' in parameter {key}."
                    )));
                }
            };
            seen.entry(list).or_default().push(index);
            consumed += pos + ".member.".len() + index_text.len();
            rest = &key[consumed..];
        }
    }
    for (list, mut indexes) in seen {
        indexes.sort_unstable();
        indexes.dedup();
        if indexes
            .iter()
            .enumerate()
            .any(|(i, n)| *n as usize != i + 1)
        {
            return Err(QueryError::MalformedList(format!(
                "List parameter {list} must be numbered from 1 without gaps."
            )));
        }
    }
    Ok(())
}

/// The flat key/value pairs of one Query request, with typed accessors.
#[derive(Debug, Default, Clone)]
pub struct Params {
    values: BTreeMap<String, String>,
}

impl Params {
    /// Decodes the URL query and the form body (body wins).
    pub fn decode(query: &str, body: &[u8]) -> Result<Self, QueryError> {
        let mut values = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            values.insert(k.into_owned(), v.into_owned());
            if values.len() > MAX_PARAMS {
                return Err(QueryError::TooManyParameters);
            }
        }
        if std::str::from_utf8(body).is_err() {
            return Err(QueryError::MalformedBody);
        }
        for (k, v) in form_urlencoded::parse(body) {
            values.insert(k.into_owned(), v.into_owned());
            if values.len() > MAX_PARAMS {
                return Err(QueryError::TooManyParameters);
            }
        }
        check_lists(&values)?;
        Ok(Self { values })
    }

    /// Builds parameters directly (tests, internal callers).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            values: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Every parameter name, used to refuse parameters an operation does not know.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// A list parameter: `Name.member.1`, `Name.member.2`, … (dense, 1-based) or `Name=` for
    /// the empty list. A gap in the numbering ends the list, as botocore never sends one.
    pub fn list(&self, name: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for i in 1.. {
            match self.values.get(&format!("{name}.member.{i}")) {
                Some(v) => out.push(v.as_str()),
                None => break,
            }
        }
        out
    }

    /// A list of structures: returns the prefixes `Name.member.N` for N = 1.. while any
    /// parameter starts with that prefix.
    pub fn struct_list(&self, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        for i in 1.. {
            let prefix = format!("{name}.member.{i}.");
            if self
                .values
                .range(prefix.clone()..)
                .next()
                .is_some_and(|(k, _)| k.starts_with(&prefix))
            {
                out.push(prefix.trim_end_matches('.').to_owned());
            } else {
                break;
            }
        }
        out
    }

    /// `Tags.member.N.Key` / `.Value` pairs. Both members are required by the model; the
    /// error names the first missing one as AWS does (`tags.1.member.value`).
    pub fn tags(&self, name: &str) -> Result<Vec<(String, String)>, String> {
        let field = {
            let mut c = name.chars();
            c.next()
                .map(|f| f.to_lowercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        };
        self.struct_list(name)
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let key = self.get(&format!("{p}.Key"));
                let value = self.get(&format!("{p}.Value"));
                match (key, value) {
                    (Some(k), Some(v)) => Ok((k.to_owned(), v.to_owned())),
                    (None, _) => Err(format!("{field}.{}.member.key", i + 1)),
                    (_, None) => Err(format!("{field}.{}.member.value", i + 1)),
                }
            })
            .collect()
    }

    /// True when the parameter name is one the operation declared, including the flattened
    /// forms of its list members (`Tags.member.3.Key` for `Tags`).
    pub fn is_declared(name: &str, declared: &[&str]) -> bool {
        let base = name.split('.').next().unwrap_or(name);
        declared.contains(&base)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn body_wins_and_plus_is_space() {
        let p = Params::decode("Action=A&X=1", b"Action=B&Y=a+b%2Fc").unwrap();
        assert_eq!(p.get("Action"), Some("B"));
        assert_eq!(p.get("X"), Some("1"));
        assert_eq!(p.get("Y"), Some("a b/c"));
    }

    #[test]
    fn lists_and_structs() {
        let p = Params::decode(
            "",
            b"L.member.1=a&L.member.2=b&Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.2.Key=k2&Tags.member.2.Value=",
        )
        .unwrap();
        assert_eq!(p.list("L"), vec!["a", "b"]);
        assert_eq!(p.list("Empty"), Vec::<&str>::new());
        assert_eq!(
            p.tags("Tags").unwrap(),
            vec![("k".into(), "v".into()), ("k2".into(), String::new())]
        );
        let missing = Params::decode("", b"Tags.member.1.Key=k").unwrap();
        assert_eq!(missing.tags("Tags").unwrap_err(), "tags.1.member.value");
    }

    #[test]
    fn refuses_malformed_list_indexes() {
        for bad in [
            "L.member.0=a",
            "L.member.x=a",
            "L.member.1=a&L.member.3=c",
            "L.member.99999999999=a",
            "L.member.01=a",
        ] {
            assert!(Params::decode("", bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(
            Params::decode("", b"T.member.1.Key=a&T.member.1.Value=b&T.member.2.Key=c").is_ok()
        );
    }

    #[test]
    fn refuses_non_utf8_body() {
        assert!(Params::decode("", &[0xff, 0xfe]).is_err());
    }
}
