//! The session-token opener: arbitrary tokens (and key ids) must never panic and never
//! open, except the untouched token sealed for exactly that key id.
#![no_main]

use std::sync::OnceLock;

use base64::Engine as _;
use hourglass_iam::session;
use hourglass_store::KeyRing;
use libfuzzer_sys::fuzz_target;

fn ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    RING.get_or_init(|| {
        let k1 = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
        let k2 = base64::engine::general_purpose::STANDARD.encode([2u8; 32]);
        KeyRing::from_env_value(&format!("k1:{k1},k2:{k2}")).expect("ring")
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (akid, token) = text.split_once('\n').unwrap_or(("ASIAAAAAAAAAAAAAAAAA", &text));
    // Arbitrary input: must not panic; a forged token cannot open.
    assert!(session::open(ring(), akid, token).is_err());
    // The key-id codec is total too.
    let _ = session::account_of_temporary_key(akid);
});
