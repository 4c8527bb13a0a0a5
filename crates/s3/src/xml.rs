//! S3's XML dialect over the shared codec in `hourglass-wire`: documents carry the
//! declaration and S3's namespace, and any unreadable request document is `MalformedXML`.

pub use hourglass_wire::xml::{DECL, Element, escape};

use crate::errors::{S3Error, S3Result};

pub const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// A response document whose root element carries the S3 namespace.
#[derive(Debug)]
pub struct Writer(hourglass_wire::xml::Writer);

impl Writer {
    pub fn new(root: &str) -> Self {
        Self(hourglass_wire::xml::Writer::document(root, NS))
    }

    /// A document in another namespace (s3control answers in its own).
    pub fn with_namespace(root: &str, ns: &str) -> Self {
        Self(hourglass_wire::xml::Writer::document(root, ns))
    }

    pub fn open(&mut self, name: &str) -> &mut Self {
        self.0.open(name);
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        self.0.close(name);
        self
    }

    pub fn elem(&mut self, name: &str, text: &str) -> &mut Self {
        self.0.text(name, text);
        self
    }

    pub fn opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        self.0.opt_text(name, text);
        self
    }

    pub fn finish(mut self, root: &str) -> String {
        self.0.close(root);
        self.0.finish()
    }
}

/// Parses a request document (Delete, CompleteMultipartUpload, Tagging,
/// CreateBucketConfiguration) within the reader's size, depth and element bounds.
pub fn parse(input: &[u8]) -> S3Result<Element> {
    hourglass_wire::xml::parse(input).map_err(|_| S3Error::malformed_xml())
}

/// Parses a request document whose root element must be `root`; another root is
/// `MalformedXML`, as an unreadable document is.
pub fn parse_document(input: &[u8], root: &str) -> S3Result<Element> {
    let doc = parse(input)?;
    if doc.name != root {
        return Err(S3Error::malformed_xml());
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn documents_round_trip_through_the_reader() {
        let mut w = Writer::new("Tagging");
        w.open("TagSet")
            .open("Tag")
            .elem("Key", "a<&>\"'\r\n\tb")
            .opt("Value", None)
            .close("Tag")
            .close("TagSet");
        let doc = parse(w.finish("Tagging").as_bytes()).unwrap();
        let tag = doc.child("TagSet").and_then(|s| s.child("Tag")).unwrap();
        assert_eq!(tag.child_text("Key"), Some("a<&>\"'\r\n\tb"));
        assert_eq!(tag.child("Value"), None);
    }

    #[test]
    fn a_document_with_another_root_is_malformed_xml() {
        assert_eq!(
            parse_document(b"<Tagging/>", "Tagging").unwrap().name,
            "Tagging"
        );
        assert_eq!(
            parse_document(b"<Other/>", "Tagging").unwrap_err().code,
            "MalformedXML"
        );
    }

    #[test]
    fn unreadable_documents_are_malformed_xml() {
        for bad in [&b"<a><b></a>"[..], b"<!DOCTYPE x><a/>", b"<a>&bogus;</a>"] {
            assert_eq!(parse(bad).unwrap_err().code, "MalformedXML");
        }
    }
}
