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

    /// `Tags.member.N.Key` / `.Value` pairs.
    pub fn tags(&self, name: &str) -> Vec<(String, String)> {
        self.struct_list(name)
            .into_iter()
            .map(|p| {
                let key = self.get(&format!("{p}.Key")).unwrap_or_default().to_owned();
                let value = self
                    .get(&format!("{p}.Value"))
                    .unwrap_or_default()
                    .to_owned();
                (key, value)
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
            b"L.member.1=a&L.member.2=b&L.member.4=d&Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.2.Key=k2&Tags.member.2.Value=",
        )
        .unwrap();
        assert_eq!(p.list("L"), vec!["a", "b"]);
        assert_eq!(p.list("Empty"), Vec::<&str>::new());
        assert_eq!(
            p.tags("Tags"),
            vec![("k".into(), "v".into()), ("k2".into(), String::new())]
        );
    }

    #[test]
    fn refuses_non_utf8_body() {
        assert!(Params::decode("", &[0xff, 0xfe]).is_err());
    }
}
