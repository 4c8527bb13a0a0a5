//! The reader for the small documents S3 accepts (Delete, CompleteMultipartUpload, Tagging,
//! CreateBucketConfiguration): a strict element tree parser. No DTDs and so no entity
//! expansion, only the five predefined entities and numeric references, and bounded input
//! size, nesting depth and element count, so a hostile body costs at most linear time and a
//! bounded amount of memory.

/// Bounds on one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting below the root element.
    pub max_depth: usize,
    /// Most elements in the whole document.
    pub max_elements: usize,
}

impl Default for Limits {
    /// Room for S3's largest documents: 1 000 Delete objects with 1 024-byte keys, or
    /// 10 000 CompleteMultipartUpload parts with every checksum element.
    fn default() -> Self {
        Self {
            max_bytes: 2 * 1024 * 1024,
            max_depth: 16,
            max_elements: 200_000,
        }
    }
}

/// Why a document was refused. Callers map every variant to their protocol's one error
/// (S3: `MalformedXML`); the detail is for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("document larger than {0} bytes")]
    TooLarge(usize),
    #[error("elements nested deeper than {0}")]
    TooDeep(usize),
    #[error("more than {0} elements")]
    TooManyElements(usize),
    #[error("document is not UTF-8")]
    NotUtf8,
    #[error("document type declarations are not accepted")]
    Doctype,
    #[error("unknown entity or invalid character reference")]
    BadReference,
    #[error("syntax error at byte {0}")]
    Syntax(usize),
}

/// A parsed element: local name (namespace prefix dropped), text and children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    /// The element's own character data, all segments between its children concatenated.
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

/// Parses a document into its root element with the default [`Limits`].
pub fn parse(input: &[u8]) -> Result<Element, XmlError> {
    parse_with(input, &Limits::default())
}

/// Parses a document into its root element.
pub fn parse_with(input: &[u8], limits: &Limits) -> Result<Element, XmlError> {
    if input.len() > limits.max_bytes {
        return Err(XmlError::TooLarge(limits.max_bytes));
    }
    let text = std::str::from_utf8(input).map_err(|_| XmlError::NotUtf8)?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut p = Parser {
        s: text,
        pos: 0,
        limits,
        elements: 0,
    };
    p.skip_misc();
    if p.rest().starts_with("<!") {
        // DOCTYPE and friends are never legitimate in a request body.
        return Err(XmlError::Doctype);
    }
    let root = p.element(0)?;
    p.skip_misc();
    if p.pos != p.s.len() {
        return Err(p.syntax());
    }
    Ok(root)
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    limits: &'a Limits,
    elements: usize,
}

/// Characters that end a name; the ones after whitespace can never be part of one.
fn ends_name(c: char) -> bool {
    c.is_whitespace() || matches!(c, '>' | '/' | '=')
}

fn bad_in_name(c: char) -> bool {
    matches!(c, '<' | '&' | '"' | '\'' | '?' | '!' | ';')
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }

    fn syntax(&self) -> XmlError {
        XmlError::Syntax(self.pos)
    }

    fn skip_ws(&mut self) -> bool {
        let rest = self.rest();
        let skipped = rest.len() - rest.trim_start().len();
        self.pos += skipped;
        skipped > 0
    }

    fn skip_past(&mut self, end: &str) -> Result<(), XmlError> {
        match self.rest().find(end) {
            Some(i) => {
                self.pos += i + end.len();
                Ok(())
            }
            None => Err(self.syntax()),
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), XmlError> {
        if self.rest().starts_with(token) {
            self.pos += token.len();
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    /// Comments, processing instructions (the declaration) and whitespace around the root.
    fn skip_misc(&mut self) {
        loop {
            self.skip_ws();
            let end = if self.rest().starts_with("<!--") {
                "-->"
            } else if self.rest().starts_with("<?") {
                "?>"
            } else {
                return;
            };
            if self.skip_past(end).is_err() {
                return;
            }
        }
    }

    /// A qualified name as written (`s3:Key`).
    fn name(&mut self) -> Result<&'a str, XmlError> {
        let rest = self.rest();
        let end = rest.find(ends_name).ok_or_else(|| self.syntax())?;
        let full = &rest[..end];
        if full.is_empty() || full.contains(bad_in_name) {
            return Err(self.syntax());
        }
        self.pos += end;
        Ok(full)
    }

    fn element(&mut self, depth: usize) -> Result<Element, XmlError> {
        if depth > self.limits.max_depth {
            return Err(XmlError::TooDeep(self.limits.max_depth));
        }
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(XmlError::TooManyElements(self.limits.max_elements));
        }
        self.expect("<")?;
        let start = self.pos;
        let qualified = self.name()?;
        let local = local_name(qualified).ok_or(XmlError::Syntax(start))?;
        let mut el = Element {
            name: local.to_owned(),
            ..Element::default()
        };
        if self.attributes()? {
            return Ok(el);
        }
        loop {
            let rest = self.rest();
            let lt = rest.find('<').ok_or_else(|| self.syntax())?;
            el.text.push_str(&super::unescape(&rest[..lt])?);
            self.pos += lt;
            let rest = self.rest();
            if rest.starts_with("</") {
                self.pos += 2;
                let close_at = self.pos;
                let close = self.name()?;
                if close != qualified {
                    return Err(XmlError::Syntax(close_at));
                }
                self.skip_ws();
                self.expect(">")?;
                return Ok(el);
            } else if rest.starts_with("<!--") {
                self.skip_past("-->")?;
            } else if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
                let end = cdata.find("]]>").ok_or_else(|| self.syntax())?;
                el.text.push_str(&cdata[..end]);
                self.pos += "<![CDATA[".len() + end + "]]>".len();
            } else if rest.starts_with("<?") || rest.starts_with("<!") {
                return Err(self.syntax());
            } else {
                let child = self.element(depth + 1)?;
                el.children.push(child);
            }
        }
    }

    /// Skips the attributes after an element name (they carry only `xmlns` in S3 bodies) but
    /// still checks their syntax. True when the tag closed itself (`/>`).
    fn attributes(&mut self) -> Result<bool, XmlError> {
        loop {
            let spaced = self.skip_ws();
            let rest = self.rest();
            if rest.starts_with("/>") {
                self.pos += 2;
                return Ok(true);
            }
            if rest.starts_with('>') {
                self.pos += 1;
                return Ok(false);
            }
            if !spaced {
                return Err(self.syntax());
            }
            self.name()?;
            self.skip_ws();
            self.expect("=")?;
            self.skip_ws();
            let quote = match self.rest().chars().next() {
                Some(q @ ('"' | '\'')) => q,
                _ => return Err(self.syntax()),
            };
            self.pos += 1;
            let rest = self.rest();
            let end = rest.find(quote).ok_or_else(|| self.syntax())?;
            let value = &rest[..end];
            if value.contains('<') {
                return Err(self.syntax());
            }
            super::unescape(value)?;
            self.pos += end + 1;
        }
    }
}

/// `s3:Key` → `Key`; `None` for an empty prefix or local part.
fn local_name(qualified: &str) -> Option<&str> {
    match qualified.split_once(':') {
        None => Some(qualified),
        Some((prefix, local))
            if !prefix.is_empty() && !local.is_empty() && !local.contains(':') =>
        {
            Some(local)
        }
        Some(_) => None,
    }
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
        assert_eq!(parse(b"<!DOCTYPE x><a/>"), Err(XmlError::Doctype));
        assert_eq!(parse(b"<a>&bogus;</a>"), Err(XmlError::BadReference));
        assert!(parse(b"<a/>trailing").is_err());
        assert!(parse(b"<a b><c d=\"x\"/></a>").is_err());
        assert!(parse(b"<a b=\"<\"/>").is_err());
        assert!(parse(b"<a\"x\"/>").is_err());
        assert!(parse(b"<:a/>").is_err());
        assert!(parse(b"<s3:a></a>").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(&[0xff]).is_err());
        assert_eq!(
            parse(b"<a><k>x&#x1;y</k></a>").unwrap().child_text("k"),
            Some("x\u{1}y")
        );
    }

    #[test]
    fn prefixes_comments_cdata_and_bom() {
        let doc = "\u{FEFF}<!-- c --><s3:Tagging xmlns:s3='x'><s3:K a = \"1\" >v<!-- in --><![CDATA[<&>]]></s3:K ></s3:Tagging>\n";
        let root = parse(doc.as_bytes()).unwrap();
        assert_eq!(root.name, "Tagging");
        assert_eq!(root.child_text("K"), Some("v<&>"));
    }

    #[test]
    fn enforces_limits() {
        let deep = "<a>".repeat(18) + &"</a>".repeat(18);
        assert_eq!(parse(deep.as_bytes()), Err(XmlError::TooDeep(16)));
        let ok = "<a>".repeat(17) + &"</a>".repeat(17);
        assert!(parse(ok.as_bytes()).is_ok());
        let limits = Limits {
            max_bytes: 64,
            max_depth: 4,
            max_elements: 3,
        };
        assert_eq!(
            parse_with(b"<a><b/><c/><d/></a>", &limits),
            Err(XmlError::TooManyElements(3))
        );
        assert_eq!(
            parse_with(&[b' '; 65], &limits),
            Err(XmlError::TooLarge(64))
        );
    }
}
