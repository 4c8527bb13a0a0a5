//! XML out ([`Writer`], [`escape`]) and in ([`parse`]).
//!
//! One escape rule serves element text and attribute values alike, so a value can never be
//! written one way in a listing and another way in an error:
//!
//! - `&` `<` `>` `"` `'` become `&amp;` `&lt;` `&gt;` `&quot;` `&apos;`;
//! - tab, line feed and carriage return become `&#9;` `&#10;` `&#13;`. Written literally, a
//!   parser turns `\r` into `\n` (line-end normalisation) and all three into spaces inside
//!   attributes; as references they survive both, and AWS's S3 documentation spells `\r`
//!   and `\n` in keys exactly this way;
//! - every other character XML 1.0 cannot carry literally (the remaining C0 controls,
//!   U+FFFE, U+FFFF) becomes a hexadecimal reference (`&#x1;`), as S3 does for such keys.
//!   Strict XML 1.0 parsers refuse those references, which is why SDKs list with
//!   `encoding-type=url`; dropping the character instead would silently change the data.

mod reader;

use std::fmt::Write as _;

pub use reader::{Element, Limits, XmlError, parse, parse_with};

/// The declaration S3 puts before its documents.
pub const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Appends `text` to `out`, escaped for element content or a quoted attribute value.
pub fn escape_into(text: &str, out: &mut String) {
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let named = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&apos;",
            '\t' => "&#9;",
            '\n' => "&#10;",
            '\r' => "&#13;",
            c if is_xml_char(c) => continue,
            _ => "",
        };
        out.push_str(&text[start..i]);
        if named.is_empty() {
            let _ = write!(out, "&#x{:X};", u32::from(c));
        } else {
            out.push_str(named);
        }
        start = i + c.len_utf8();
    }
    out.push_str(&text[start..]);
}

/// `text` escaped for element content or a quoted attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(text, &mut out);
    out
}

/// True for the characters XML 1.0 allows literally (tab, LF and CR aside, which
/// [`escape_into`] still writes as references).
fn is_xml_char(c: char) -> bool {
    !matches!(c, '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// Resolves the five predefined entities and numeric character references; anything else
/// after `&` is an error. The inverse of [`escape`].
pub fn unescape(text: &str) -> Result<std::borrow::Cow<'_, str>, XmlError> {
    if !text.contains('&') {
        return Ok(std::borrow::Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        // Entity names are short; looking further would make `&&&…;` quadratic.
        let end = after
            .char_indices()
            .take(32)
            .find(|&(_, c)| c == ';')
            .map(|(j, _)| j)
            .ok_or(XmlError::BadReference)?;
        out.push(reference(&after[..end]).ok_or(XmlError::BadReference)?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(std::borrow::Cow::Owned(out))
}

fn reference(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let digits = name.strip_prefix('#')?;
            let code = match digits.strip_prefix(['x', 'X']) {
                Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    u32::from_str_radix(hex, 16).ok()?
                }
                None if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                    digits.parse().ok()?
                }
                _ => return None,
            };
            char::from_u32(code)
        }
    }
}

/// Builds a document element by element into one growing string. Names are the caller's
/// constants and are written as given; every text and attribute value goes through
/// [`escape_into`].
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    /// An empty writer (Query responses: the envelope is added around the result).
    pub fn new() -> Self {
        Self {
            out: String::with_capacity(512),
        }
    }

    /// A document with the XML declaration and a root element in namespace `ns` (S3).
    pub fn document(root: &str, ns: &str) -> Self {
        let mut w = Self::new();
        w.out.push_str(DECL);
        w.open_ns(root, ns);
        w
    }

    pub fn open(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// `<name xmlns="ns">`.
    pub fn open_ns(&mut self, name: &str, ns: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(" xmlns=\"");
        escape_into(ns, &mut self.out);
        self.out.push_str("\">");
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// `<name>text</name>`.
    pub fn text(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        escape_into(text, &mut self.out);
        self.close(name)
    }

    /// `<name>text</name>` when there is a value, nothing otherwise.
    pub fn opt_text(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.text(name, t);
        }
        self
    }

    pub fn bool(&mut self, name: &str, value: bool) -> &mut Self {
        self.text(name, if value { "true" } else { "false" })
    }

    /// A number (or anything whose `Display` needs no escaping decisions of its own: the
    /// output is escaped all the same).
    pub fn num(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        self.text(name, &value.to_string())
    }

    /// A timestamp, ISO-8601 UTC with second precision, as IAM and STS write them.
    pub fn date(&mut self, name: &str, at: &chrono::DateTime<chrono::Utc>) -> &mut Self {
        self.text(name, &iso8601(at))
    }

    /// `<name><member>…</member>…</name>`; an empty list still writes `<name></name>`, as
    /// AWS does.
    pub fn list<T>(
        &mut self,
        name: &str,
        items: &[T],
        mut write: impl FnMut(&mut Self, &T),
    ) -> &mut Self {
        self.open(name);
        for item in items {
            self.open("member");
            write(self, item);
            self.close("member");
        }
        self.close(name)
    }

    /// Policy documents travel URL-encoded (RFC 3986) inside IAM responses; botocore unquotes
    /// them before parsing the JSON.
    pub fn policy_document(&mut self, name: &str, document: &str) -> &mut Self {
        let encoded = percent_encoding::utf8_percent_encode(document, POLICY_ENCODE).to_string();
        self.text(name, &encoded)
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// Everything but RFC 3986 unreserved characters is percent-encoded, as AWS does for policy
/// documents.
const POLICY_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `2024-01-01T00:00:00Z`.
pub fn iso8601(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn one_rule_for_text_and_attributes() {
        assert_eq!(
            escape("a<b>&\"c\"'d'"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;"
        );
        assert_eq!(escape("l1\nl2\r\tx"), "l1&#10;l2&#13;&#9;x");
        assert_eq!(escape("a\u{1}<"), "a&#x1;&lt;");
        assert_eq!(escape("\u{FFFF}é中"), "&#xFFFF;é中");
        assert_eq!(escape("plain"), "plain");
    }

    #[test]
    fn unescape_refuses_unknown_entities() {
        assert_eq!(unescape("a&amp;b&#x41;&#66;").unwrap(), "a&bAB");
        for bad in [
            "&bogus;", "&", "&amp", "&#;", "&#x;", "&#xD800;", "&#+1;", "&#x-1;",
        ] {
            assert!(unescape(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn escapes_and_lists() {
        let mut x = Writer::new();
        x.open("R")
            .text("A", "a<b&\"c\"")
            .list("L", &["1", "2"], |x, v| {
                x.text("V", v);
            })
            .list::<&str>("E", &[], |_, _| {})
            .num("N", 42)
            .bool("B", false)
            .close("R");
        assert_eq!(
            x.finish(),
            "<R><A>a&lt;b&amp;&quot;c&quot;</A><L><member><V>1</V></member><member><V>2</V></member></L><E></E><N>42</N><B>false</B></R>"
        );
    }

    #[test]
    fn documents_carry_declaration_and_namespace() {
        let mut w = Writer::document("R", "http://s3.amazonaws.com/doc/2006-03-01/");
        w.text("K", "x").close("R");
        assert_eq!(
            w.finish(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<R xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><K>x</K></R>"
        );
    }

    #[test]
    fn policy_documents_are_percent_encoded() {
        let mut x = Writer::new();
        x.policy_document("D", r#"{"Version":"2012-10-17","Statement":[]}"#);
        assert_eq!(
            x.finish(),
            "<D>%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D</D>"
        );
    }
}
