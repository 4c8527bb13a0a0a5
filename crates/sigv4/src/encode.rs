//! Percent-encoding the way SigV4 and SigV2 want it.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};

/// Everything but RFC 3986 unreserved characters (`A-Za-z0-9-._~`) is escaped.
/// `percent-encoding` always emits upper-case hex, which is what AWS signs.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Like [`STRICT`] but keeps `/`, for paths.
const PATH: &AsciiSet = &STRICT.remove(b'/');

/// Appends `input` to `out`, escaping everything but unreserved characters.
pub(crate) fn encode_strict_into(out: &mut String, input: &[u8]) {
    out.extend(percent_encode(input, STRICT));
}

/// Escapes everything but unreserved characters.
pub(crate) fn encode_strict(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len());
    encode_strict_into(&mut out, input);
    out
}

/// Escapes everything but unreserved characters and `/`.
pub(crate) fn encode_path(input: &[u8]) -> String {
    percent_encode(input, PATH).to_string()
}

/// Decodes `%XX` escapes. A `%` not followed by two hex digits is kept as is, and `+` is
/// not a space: SigV4 canonicalisation works on the raw query, not on form encoding.
pub(crate) fn decode(input: &str) -> Vec<u8> {
    percent_decode_str(input).collect()
}

/// Decodes `%XX` escapes into a string, replacing invalid UTF-8 (parameter values that are
/// only compared or displayed, never re-signed).
pub(crate) fn decode_lossy(input: &str) -> String {
    percent_decode_str(input).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_encoding_matches_aws() {
        assert_eq!(encode_strict(b"a b/c~d+*!"), "a%20b%2Fc~d%2B%2A%21");
        assert_eq!(encode_path("/a b/ሴ".as_bytes()), "/a%20b/%E1%88%B4");
    }

    #[test]
    fn decode_is_lenient_and_keeps_plus() {
        assert_eq!(decode("a%2Fb+c%zz%4"), b"a/b+c%zz%4");
    }
}
