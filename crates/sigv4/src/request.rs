//! The request as the verifier sees it: raw pieces, no HTTP crate types.

/// A borrowed view of an HTTP request's signed parts.
///
/// Every field must be taken from the raw request as received: the path and query exactly as
/// on the request line (still percent-encoded, no normalisation), and header values as sent.
/// For HTTP/2 pass the `:authority` as a `host` header.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// HTTP method, e.g. `GET`.
    pub method: &'a str,
    /// Raw path of the request target, e.g. `/bkt/a%20b`. Empty is treated as `/`.
    pub path: &'a str,
    /// Raw query string without the leading `?` (empty when there is none).
    pub query: &'a str,
    /// Header `(name, value)` pairs in the order received; names in any case. A header sent
    /// several times appears several times.
    pub headers: &'a [(&'a str, &'a str)],
}

impl<'a> Request<'a> {
    /// First value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.header_values(name).next()
    }

    /// All values of a header, by case-insensitive name, in order.
    pub fn header_values<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// Raw query items as `(key, value)` before decoding; `?uploads` gives `("uploads", None)`.
    pub(crate) fn raw_query_items(&self) -> impl Iterator<Item = (&'a str, Option<&'a str>)> {
        self.query
            .split('&')
            .filter(|item| !item.is_empty())
            .map(|item| match item.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (item, None),
            })
    }

    /// First query parameter whose decoded key equals `name` (case-sensitive), decoded.
    pub(crate) fn query_param(&self, name: &str) -> Option<String> {
        self.raw_query_items()
            .find(|(k, _)| crate::encode::decode(k) == name.as_bytes())
            .map(|(_, v)| crate::encode::decode_lossy(v.unwrap_or("")))
    }

    /// Whether a query parameter with this decoded key is present.
    pub(crate) fn has_query_param(&self, name: &str) -> bool {
        self.raw_query_items()
            .any(|(k, _)| crate::encode::decode(k) == name.as_bytes())
    }
}
