//! The AWS Query protocol (`Action=…&Tags.member.1.Key=…`): decoding the form, and the
//! success envelope around an operation's result.
//!
//! botocore flattens lists as `Name.member.N` and maps as `Name.entry.N.key`/`.value`; an
//! empty list is sent as a bare `Name=`. Parameters arrive in the URL query, the form body, or
//! both (the body wins on conflict), so decoding merges the two before any operation looks at
//! them.

use std::collections::BTreeMap;

/// Upper bound on the number of parameters a request may carry; far above anything IAM or
/// STS accepts, low enough that a hostile body cannot make us build a huge map.
pub const MAX_PARAMS: usize = 2_000;

/// Parameters every request may carry besides the operation's own (signature and protocol).
pub const COMMON_PARAMS: &[&str] = &[
    "Action",
    "Version",
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
    "AWSAccessKeyId",
    "SignatureVersion",
    "SignatureMethod",
    "Signature",
    "Timestamp",
    "Expires",
    "SecurityToken",
];

/// Why a form was refused. The Query error table of each service maps these to AWS codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("The request body is not valid UTF-8 form data.")]
    MalformedBody,
    #[error("The request carries too many parameters.")]
    TooManyParameters,
    /// A list or map index that is not 1, 2, … without gaps.
    #[error("{0}")]
    MalformedList(String),
    #[error("The request must contain the parameter Action.")]
    MissingAction,
    #[error("The request must contain the parameter Version.")]
    MissingVersion,
    #[error("The parameter {0} is not recognized.")]
    UnknownParameter(String),
}

/// The flattened containers whose indexes must be dense and 1-based.
const CONTAINERS: [&str; 2] = ["member", "entry"];

/// Refuses malformed list and map indexes (`member.0`, `member.x`, gaps), which botocore
/// never sends and which would otherwise be silently dropped.
fn check_indexes(values: &BTreeMap<String, String>) -> Result<(), DecodeError> {
    let mut seen: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for key in values.keys() {
        // One pass over the dot-separated segments keeps this linear in the key's length;
        // nested lists have their own numbering under each parent index.
        let mut offset = 0;
        let mut segments = key.split('.');
        let mut first = true;
        while let Some(segment) = segments.next() {
            let at = offset;
            offset += segment.len() + 1;
            if std::mem::take(&mut first) || !CONTAINERS.contains(&segment) {
                continue;
            }
            let Some(index_text) = segments.next() else {
                continue;
            };
            offset += index_text.len() + 1;
            let index: u32 = match index_text.parse() {
                Ok(n) if n >= 1 && !index_text.starts_with('0') => n,
                _ => {
                    return Err(DecodeError::MalformedList(format!(
                        "Invalid list index '{index_text}' in parameter {key}."
                    )));
                }
            };
            // `at` is the segment's start, just after the dot that ends the list's name.
            let list = key.get(..at.saturating_sub(1)).unwrap_or(key);
            seen.entry(list).or_default().push(index);
        }
    }
    for (list, mut indexes) in seen {
        indexes.sort_unstable();
        indexes.dedup();
        if indexes
            .iter()
            .enumerate()
            .any(|(i, n)| usize::try_from(*n).ok() != Some(i + 1))
        {
            return Err(DecodeError::MalformedList(format!(
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
    pub fn decode(query: &str, body: &[u8]) -> Result<Self, DecodeError> {
        let mut values = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            values.insert(k.into_owned(), v.into_owned());
            if values.len() > MAX_PARAMS {
                return Err(DecodeError::TooManyParameters);
            }
        }
        if std::str::from_utf8(body).is_err() {
            return Err(DecodeError::MalformedBody);
        }
        for (k, v) in form_urlencoded::parse(body) {
            values.insert(k.into_owned(), v.into_owned());
            if values.len() > MAX_PARAMS {
                return Err(DecodeError::TooManyParameters);
            }
        }
        check_indexes(&values)?;
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

    /// `Action` and `Version`, which every request must carry.
    pub fn action_and_version(&self) -> Result<(&str, &str), DecodeError> {
        let action = self.get("Action").ok_or(DecodeError::MissingAction)?;
        let version = self.get("Version").ok_or(DecodeError::MissingVersion)?;
        Ok((action, version))
    }

    /// Every parameter name, used to refuse parameters an operation does not know.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Refuses parameters the operation does not declare (see [`Params::is_declared`]) and
    /// that are not [`COMMON_PARAMS`], so a typo is an error rather than a silently ignored
    /// setting.
    pub fn check_declared(&self, declared: &[&str]) -> Result<(), DecodeError> {
        match self
            .names()
            .find(|n| !Self::is_declared(n, declared) && !COMMON_PARAMS.contains(n))
        {
            Some(n) => Err(DecodeError::UnknownParameter(n.to_owned())),
            None => Ok(()),
        }
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
            if self.has_prefix(&prefix) {
                out.push(prefix.trim_end_matches('.').to_owned());
            } else {
                break;
            }
        }
        out
    }

    /// A map parameter: `Name.entry.N.key` / `Name.entry.N.value` pairs for N = 1.. while
    /// an entry exists. An entry without its key is an error naming the entry.
    pub fn map(&self, name: &str) -> Result<Vec<(&str, &str)>, String> {
        let mut out = Vec::new();
        for i in 1.. {
            let prefix = format!("{name}.entry.{i}.");
            if !self.has_prefix(&prefix) {
                break;
            }
            let key = self
                .get(&format!("{prefix}key"))
                .ok_or_else(|| format!("{prefix}key"))?;
            out.push((key, self.get(&format!("{prefix}value")).unwrap_or("")));
        }
        Ok(out)
    }

    fn has_prefix(&self, prefix: &str) -> bool {
        self.values
            .range(prefix.to_owned()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(prefix))
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

/// Wraps an operation's result members (already XML) in AWS's envelope:
/// `<{Action}Response xmlns=…><{Action}Result>…</…><ResponseMetadata>…`. `action` and
/// `request_id` are the server's own validated values, not client text.
pub fn response_envelope(
    namespace: &str,
    action: &str,
    result: Option<&str>,
    request_id: &str,
) -> String {
    let mut out = String::with_capacity(256 + result.map_or(0, str::len));
    out.push('<');
    out.push_str(action);
    out.push_str("Response xmlns=\"");
    out.push_str(namespace);
    out.push_str("\">");
    if let Some(r) = result {
        out.push('<');
        out.push_str(action);
        out.push_str("Result>");
        out.push_str(r);
        out.push_str("</");
        out.push_str(action);
        out.push_str("Result>");
    }
    out.push_str("<ResponseMetadata><RequestId>");
    crate::xml::escape_into(request_id, &mut out);
    out.push_str("</RequestId></ResponseMetadata></");
    out.push_str(action);
    out.push_str("Response>");
    out
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
    fn maps() {
        let p = Params::decode(
            "",
            b"M.entry.1.key=a&M.entry.1.value=1&M.entry.2.key=b&M.entry.2.value=2",
        )
        .unwrap();
        assert_eq!(p.map("M").unwrap(), vec![("a", "1"), ("b", "2")]);
        let p = Params::decode("", b"M.entry.1.value=1").unwrap();
        assert_eq!(p.map("M").unwrap_err(), "M.entry.1.key");
    }

    #[test]
    fn refuses_malformed_list_indexes() {
        for bad in [
            "L.member.0=a",
            "L.member.x=a",
            "L.member.=a",
            "L.member.1=a&L.member.3=c",
            "L.member.99999999999=a",
            "L.member.01=a",
            "M.entry.2.key=a",
            "L.member.1.M.member.2=a",
        ] {
            assert!(
                matches!(
                    Params::decode("", bad.as_bytes()),
                    Err(DecodeError::MalformedList(_))
                ),
                "{bad}"
            );
        }
        assert!(
            Params::decode("", b"T.member.1.Key=a&T.member.1.Value=b&T.member.2.Key=c").is_ok()
        );
        assert!(Params::decode("", b"L.member.1.M.member.1=a&L.member.2.M.member.1=b").is_ok());
    }

    #[test]
    fn refuses_non_utf8_body_and_too_many_parameters() {
        assert_eq!(
            Params::decode("", &[0xff, 0xfe]).unwrap_err(),
            DecodeError::MalformedBody
        );
        let many: String = (0..=MAX_PARAMS).map(|i| format!("p{i}=1&")).collect();
        assert_eq!(
            Params::decode("", many.as_bytes()).unwrap_err(),
            DecodeError::TooManyParameters
        );
    }

    #[test]
    fn action_version_and_declared_parameters() {
        let p = Params::decode("", b"Action=A&Version=V&UserName=u&Tags.member.1.Key=k").unwrap();
        assert_eq!(p.action_and_version().unwrap(), ("A", "V"));
        assert!(p.check_declared(&["UserName", "Tags"]).is_ok());
        assert_eq!(
            p.check_declared(&["UserName"]).unwrap_err(),
            DecodeError::UnknownParameter("Tags.member.1.Key".into())
        );
        let p = Params::decode("", b"Action=A").unwrap();
        assert_eq!(
            p.action_and_version().unwrap_err(),
            DecodeError::MissingVersion
        );
        let p = Params::decode("", b"Version=V").unwrap();
        assert_eq!(
            p.action_and_version().unwrap_err(),
            DecodeError::MissingAction
        );
    }

    #[test]
    fn envelope() {
        assert_eq!(
            response_envelope("ns", "GetX", Some("<A>1</A>"), "rid"),
            "<GetXResponse xmlns=\"ns\"><GetXResult><A>1</A></GetXResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetXResponse>"
        );
        assert_eq!(
            response_envelope("ns", "Del", None, "rid"),
            "<DelResponse xmlns=\"ns\"><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></DelResponse>"
        );
    }
}
