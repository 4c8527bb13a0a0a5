//! A small XML writer for Query-protocol responses.
//!
//! Responses are flat, well-known shapes, so a writer that escapes text and tracks nothing
//! else is enough; it keeps allocation to one growing string per response.

use std::fmt::Write;

/// Builds an XML document element by element.
#[derive(Debug, Default)]
pub struct Xml {
    out: String,
}

/// Escapes text content and attribute values.
pub fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters even escaped; AWS names never
            // contain them, but a tag value might, so encode them as character references
            // which botocore's parser accepts for \t \n \r and drop the rest.
            '\t' | '\n' | '\r' => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
}

impl Xml {
    pub fn new() -> Self {
        Self {
            out: String::with_capacity(512),
        }
    }

    pub fn open(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    pub fn open_ns(&mut self, name: &str, ns: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(" xmlns=\"");
        escape(ns, &mut self.out);
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
        escape(text, &mut self.out);
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

    pub fn num(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        self.open(name);
        let _ = write!(self.out, "{value}");
        self.close(name)
    }

    /// An IAM timestamp, ISO-8601 UTC with second precision.
    pub fn date(&mut self, name: &str, at: &chrono::DateTime<chrono::Utc>) -> &mut Self {
        self.text(name, &iso8601(at))
    }

    /// `<name><member>…</member>…</name>`; an empty list still writes `<name></name>`, as AWS does.
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
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn escapes_and_lists() {
        let mut x = Xml::new();
        x.open("R")
            .text("A", "a<b&\"c\"")
            .list("L", &["1", "2"], |x, v| {
                x.text("V", v);
            })
            .list::<&str>("E", &[], |_, _| {})
            .close("R");
        assert_eq!(
            x.finish(),
            "<R><A>a&lt;b&amp;&quot;c&quot;</A><L><member><V>1</V></member><member><V>2</V></member></L><E></E></R>"
        );
    }

    #[test]
    fn policy_documents_are_percent_encoded() {
        let mut x = Xml::new();
        x.policy_document("D", r#"{"Version":"2012-10-17","Statement":[]}"#);
        assert_eq!(
            x.finish(),
            "<D>%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D</D>"
        );
    }
}
