//! The XML reader as S3 uses it for DeleteObjects, CompleteMultipartUpload, Tagging and
//! CreateBucketConfiguration bodies: parse, then walk the tree the way those operations
//! extract their typed values. Any text the writer emits must read back unchanged.
#![no_main]

use hourglass_wire::xml::{self, Element, Writer};
use libfuzzer_sys::fuzz_target;

/// DeleteObjects: `Quiet` and every `Object/Key`.
fn delete(doc: &Element) -> Option<(bool, Vec<String>)> {
    let quiet = doc
        .child_text("Quiet")
        .is_some_and(|q| q.trim().eq_ignore_ascii_case("true"));
    let keys = doc
        .children_named("Object")
        .map(|o| o.child_text("Key").map(str::to_owned))
        .collect::<Option<Vec<_>>>()?;
    Some((quiet, keys))
}

/// CompleteMultipartUpload: `(PartNumber, ETag)` pairs.
fn complete(doc: &Element) -> Option<Vec<(u32, String)>> {
    doc.children_named("Part")
        .map(|p| {
            let n = p.child_text("PartNumber")?.trim().parse::<u32>().ok()?;
            Some((n, p.child_text("ETag")?.trim().to_owned()))
        })
        .collect()
}

/// Tagging: `TagSet/Tag` with a required `Key` and optional `Value`.
fn tagging(doc: &Element) -> Option<Vec<(String, String)>> {
    doc.child("TagSet")?
        .children_named("Tag")
        .map(|t| {
            Some((
                t.child_text("Key")?.to_owned(),
                t.child_text("Value").unwrap_or("").to_owned(),
            ))
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = xml::parse(data) {
        match doc.name.as_str() {
            "Delete" => {
                let _ = delete(&doc);
            }
            "CompleteMultipartUpload" => {
                let _ = complete(&doc);
            }
            "Tagging" => {
                let _ = tagging(&doc);
            }
            _ => {
                let _ = doc.child_text("LocationConstraint");
            }
        }
    }

    // Writer → reader: whatever text goes in comes back.
    let text = String::from_utf8_lossy(data);
    let mut w = Writer::document("Tagging", &text);
    w.open("TagSet")
        .open("Tag")
        .text("Key", &text)
        .text("Value", "v")
        .close("Tag")
        .close("TagSet");
    w.close("Tagging");
    let doc = xml::parse(w.finish().as_bytes()).expect("writer output must parse");
    let tags = tagging(&doc).expect("writer output must have its tag");
    assert_eq!(tags, vec![(text.into_owned(), "v".to_owned())]);
});
