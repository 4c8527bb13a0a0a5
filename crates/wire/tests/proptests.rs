//! Property tests: what the writers produce the readers take back unchanged, and no input
//! makes a decoder panic.
#![allow(clippy::unwrap_used)]

use hourglass_wire::error::{ErrorDetail, json_error};
use hourglass_wire::json::{self, Limits};
use hourglass_wire::query::Params;
use hourglass_wire::xml::{self, Writer};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Text with the characters that need care: markup, quotes, whitespace, controls,
/// non-characters and multi-byte letters.
fn awkward_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just('&'),
            Just('<'),
            Just('>'),
            Just('"'),
            Just('\''),
            Just('\r'),
            Just('\n'),
            Just('\t'),
            Just('\u{1}'),
            Just('\u{FFFF}'),
            Just(';'),
            Just('#'),
            any::<char>(),
        ],
        0..40,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Exact binary fractions: serde_json's default float parser may miss by one ulp.
        (-1_000_000_000i32..1_000_000_000).prop_map(|i| Value::from(f64::from(i) / 8.0)),
        awkward_text().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(awkward_text(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn escape_unescape_round_trip(s in awkward_text()) {
        let escaped = xml::escape(&s);
        prop_assert!(!escaped.contains(['<', '>', '"', '\'', '\r', '\n', '\t']));
        prop_assert_eq!(xml::unescape(&escaped).unwrap(), s);
    }

    #[test]
    fn written_documents_read_back(
        ns in awkward_text(),
        values in prop::collection::vec(awkward_text(), 0..8),
    ) {
        let mut w = Writer::document("Root", &ns);
        for v in &values {
            w.open("Item").text("Value", v).close("Item");
        }
        w.close("Root");
        let doc = xml::parse(w.finish().as_bytes()).unwrap();
        prop_assert_eq!(doc.name.as_str(), "Root");
        let read: Vec<&str> = doc
            .children_named("Item")
            .map(|i| i.child_text("Value").unwrap())
            .collect();
        prop_assert_eq!(read, values.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn xml_reader_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = xml::parse(&bytes);
    }

    #[test]
    fn xml_reader_never_panics_on_near_documents(
        parts in prop::collection::vec(
            prop_oneof![
                Just("<a>"), Just("</a>"), Just("<b x='1'>"), Just("</b>"), Just("<c/>"),
                Just("<!--"), Just("-->"), Just("<![CDATA["), Just("]]>"), Just("&amp;"),
                Just("&#x"), Just(";"), Just("<?x?>"), Just("<!DOCTYPE"), Just("s3:"), Just(" "),
                Just("text"), Just("\u{FEFF}"), Just("é"),
            ],
            0..40,
        ),
    ) {
        let _ = xml::parse(parts.concat().as_bytes());
    }

    #[test]
    fn query_decode_never_panics(
        query in ".{0,64}",
        body in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        if let Ok(p) = Params::decode(&query, &body) {
            let _ = p.action_and_version();
            let _ = p.check_declared(&["L", "Tags"]);
            let _ = p.list("L");
            let _ = p.tags("Tags");
            let _ = p.map("M");
        }
    }

    #[test]
    fn query_decode_never_panics_on_list_shapes(
        keys in prop::collection::vec(
            prop::collection::vec(
                prop_oneof![
                    Just("L"), Just("member"), Just("entry"), Just("Tags"), Just("Key"),
                    Just("1"), Just("2"), Just("0"), Just("01"), Just(""), Just("99999999999"),
                    Just("key"), Just("value"),
                ],
                1..8,
            ),
            0..12,
        ),
    ) {
        let body: Vec<String> = keys.iter().map(|k| format!("{}=v", k.join("."))).collect();
        if let Ok(p) = Params::decode("", body.join("&").as_bytes()) {
            // Accepted lists are dense: everything listed is there, in order.
            let listed = p.list("L");
            for (i, v) in listed.iter().enumerate() {
                let key = format!("L.member.{}", i + 1);
                prop_assert_eq!(p.get(&key), Some(*v));
            }
            let _ = p.tags("Tags");
            let _ = p.map("L");
        }
    }

    #[test]
    fn query_values_round_trip(
        pairs in prop::collection::btree_map("[A-Za-z][A-Za-z0-9]{0,8}", awkward_text(), 0..10),
    ) {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter())
            .finish();
        let p = Params::decode("", body.as_bytes()).unwrap();
        for (k, v) in &pairs {
            prop_assert_eq!(p.get(k), Some(v.as_str()));
        }
    }

    #[test]
    fn json_codec_round_trips(members in prop::collection::btree_map(awkward_text(), json_value(), 0..8)) {
        let object: Map<String, Value> = members.into_iter().collect();
        let encoded = json::encode(&object).unwrap();
        let limits = Limits { max_bytes: usize::MAX, max_depth: 64 };
        prop_assert_eq!(json::decode_body(&encoded, &limits).unwrap(), object);
    }

    #[test]
    fn json_decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = json::decode_body(&bytes, &Limits::default());
        let _ = json::parse_target(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn json_error_envelopes_read_back(code in "[A-Za-z]{1,30}", message in awkward_text()) {
        let detail = ErrorDetail { status: 400, code: &code, message: &message };
        let r = json_error(&detail, Map::new());
        let body: Value = serde_json::from_str(&r.body).unwrap();
        prop_assert_eq!(body["__type"].as_str(), Some(code.as_str()));
        prop_assert_eq!(r.error_type, code);
        if !message.is_empty() {
            prop_assert_eq!(body["Message"].as_str(), Some(message.as_str()));
        }
    }
}
