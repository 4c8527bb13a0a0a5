//! XML in and out. Output is built as text with escaping; input bodies (Delete,
//! CompleteMultipartUpload, Tagging, CreateBucketConfiguration) are small and flat, so a
//! strict little element parser is enough: no DTDs, no entities beyond the five predefined
//! ones and numeric references, bounded depth.

use crate::errors::{S3Error, S3Result};

pub const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
pub const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Escapes text for element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry literally: numeric reference (S3 does the same).
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => {
                out.push_str(&format!("&#x{:X};", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// A small builder for response documents.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    /// A document whose root element carries the S3 namespace.
    pub fn new(root: &str) -> Self {
        let mut out = String::with_capacity(512);
        out.push_str(DECL);
        out.push('<');
        out.push_str(root);
        out.push_str(" xmlns=\"");
        out.push_str(NS);
        out.push_str("\">");
        Self { out }
    }

    pub fn open(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    pub fn elem(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        self.out.push_str(&escape(text));
        self.close(name)
    }

    pub fn opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.elem(name, t);
        }
        self
    }

    pub fn finish(mut self, root: &str) -> String {
        self.close(root);
        self.out
    }
}

/// A parsed element: name (namespace prefix dropped), text and children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

const MAX_DEPTH: usize = 16;

/// Parses a document into its root element; any syntax problem is `MalformedXML`.
pub fn parse(input: &[u8]) -> S3Result<Element> {
    let text = std::str::from_utf8(input).map_err(|_| S3Error::malformed_xml())?;
    let mut p = Parser { s: text, pos: 0 };
    p.skip_prolog()?;
    let root = p.element(0)?;
    p.skip_misc();
    if p.pos != p.s.len() {
        return Err(S3Error::malformed_xml());
    }
    Ok(root)
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        self.s.get(self.pos..).unwrap_or("")
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        let trimmed = rest.trim_start();
        self.pos += rest.len() - trimmed.len();
    }

    fn skip_until(&mut self, end: &str) -> S3Result<()> {
        match self.rest().find(end) {
            Some(i) => {
                self.pos += i + end.len();
                Ok(())
            }
            None => Err(S3Error::malformed_xml()),
        }
    }

    fn skip_misc(&mut self) {
        loop {
            self.skip_ws();
            if self.rest().starts_with("<!--") {
                if self.skip_until("-->").is_err() {
                    return;
                }
            } else if self.rest().starts_with("<?") {
                if self.skip_until("?>").is_err() {
                    return;
                }
            } else {
                return;
            }
        }
    }

    fn skip_prolog(&mut self) -> S3Result<()> {
        self.skip_misc();
        if self.rest().starts_with("<!") {
            // DOCTYPE and friends are never legitimate in S3 request bodies.
            return Err(S3Error::malformed_xml());
        }
        Ok(())
    }

    fn name(&mut self) -> S3Result<String> {
        let rest = self.rest();
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .ok_or_else(S3Error::malformed_xml)?;
        if end == 0 {
            return Err(S3Error::malformed_xml());
        }
        let full = &rest[..end];
        let name = full.rsplit(':').next().unwrap_or(full).to_string();
        self.pos += end;
        Ok(name)
    }

    fn element(&mut self, depth: usize) -> S3Result<Element> {
        if depth > MAX_DEPTH || !self.rest().starts_with('<') {
            return Err(S3Error::malformed_xml());
        }
        self.pos += 1;
        let name = self.name()?;
        // Attributes (xmlns and the like) are skipped; quoted values may contain '>'.
        loop {
            self.skip_ws();
            let rest = self.rest();
            if rest.starts_with("/>") {
                self.pos += 2;
                return Ok(Element {
                    name,
                    ..Default::default()
                });
            }
            if rest.starts_with('>') {
                self.pos += 1;
                break;
            }
            let eq = rest.find('=').ok_or_else(S3Error::malformed_xml)?;
            self.pos += eq + 1;
            self.skip_ws();
            let quote = self
                .rest()
                .chars()
                .next()
                .ok_or_else(S3Error::malformed_xml)?;
            if quote != '"' && quote != '\'' {
                return Err(S3Error::malformed_xml());
            }
            self.pos += 1;
            self.skip_until(if quote == '"' { "\"" } else { "'" })?;
        }
        let mut el = Element {
            name,
            ..Default::default()
        };
        loop {
            let rest = self.rest();
            let lt = rest.find('<').ok_or_else(S3Error::malformed_xml)?;
            el.text.push_str(&unescape(&rest[..lt])?);
            self.pos += lt;
            let rest = self.rest();
            if rest.starts_with("</") {
                self.pos += 2;
                let close = self.name()?;
                self.skip_ws();
                if close != el.name || !self.rest().starts_with('>') {
                    return Err(S3Error::malformed_xml());
                }
                self.pos += 1;
                return Ok(el);
            } else if rest.starts_with("<!--") {
                self.skip_until("-->")?;
            } else if rest.starts_with("<![CDATA[") {
                self.pos += 9;
                let end = self.rest().find("]]>").ok_or_else(S3Error::malformed_xml)?;
                el.text.push_str(&self.rest()[..end]);
                self.pos += end + 3;
            } else if rest.starts_with("<?") || rest.starts_with("<!") {
                return Err(S3Error::malformed_xml());
            } else {
                let c = self.element(depth + 1)?;
                el.children.push(c);
            }
        }
    }
}

fn unescape(s: &str) -> S3Result<String> {
    if !s.contains('&') {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find(';').ok_or_else(S3Error::malformed_xml)?;
        let ent = &after[..end];
        let c = match ent {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code =
                    if let Some(h) = ent.strip_prefix("#x").or_else(|| ent.strip_prefix("#X")) {
                        u32::from_str_radix(h, 16).ok()
                    } else if let Some(d) = ent.strip_prefix('#') {
                        d.parse::<u32>().ok()
                    } else {
                        None
                    };
                code.and_then(char::from_u32)
                    .ok_or_else(S3Error::malformed_xml)?
            }
        };
        out.push(c);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_complete_multipart() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"abc"</ETag><PartNumber>1</PartNumber></Part><Part><ETag>&quot;d&quot;</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "CompleteMultipartUpload");
        let parts: Vec<_> = root.children_named("Part").collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].child_text("ETag"), Some("\"abc\""));
        assert_eq!(parts[1].child_text("ETag"), Some("\"d\""));
    }

    #[test]
    fn rejects_garbage_and_doctype() {
        assert!(parse(b"<a><b></a>").is_err());
        assert!(parse(b"<!DOCTYPE x><a/>").is_err());
        assert!(parse(b"<a>&bogus;</a>").is_err());
        assert!(parse(b"<a/>trailing").is_err());
        assert_eq!(
            parse(b"<a><k>x&#x1;y</k></a>").unwrap().child_text("k"),
            Some("x\u{1}y")
        );
    }

    #[test]
    fn escapes_control_characters() {
        assert_eq!(escape("a\u{1}<"), "a&#x1;&lt;");
    }
}
