//! The JSON protocol decoder: bounded body decoding, the target header, timestamps; an
//! accepted body must survive encode → decode unchanged.
#![no_main]

use hourglass_wire::json::{self, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = json::parse_target(&String::from_utf8_lossy(data));
    let limits = Limits::default();
    let Ok(members) = json::decode_body(data, &limits) else {
        return;
    };
    for v in members.values() {
        if let Some(t) = json::timestamp(v) {
            let _ = json::epoch_seconds(&t);
        }
    }
    let encoded = json::encode(&members).expect("decoded members must encode");
    let again = json::decode_body(
        &encoded,
        &Limits {
            max_bytes: usize::MAX,
            ..limits
        },
    )
    .expect("encoded members must decode");
    assert_eq!(again, members);
});
