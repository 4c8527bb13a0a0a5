//! Server-side encryption a write asks for (`x-amz-server-side-encryption*`, SSE-C
//! headers or POST fields): what Hourglass cannot do — KMS keys, customer-provided keys — is
//! refused, never silently ignored, so no client believes data is protected in a way it is
//! not. `AES256` (SSE-S3, AWS's default for every object) is accepted.

use crate::errors::{S3Error, S3Result};

const CUSTOMER_KEY_HEADERS: [&str; 6] = [
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-server-side-encryption-customer-key-md5",
    "x-amz-copy-source-server-side-encryption-customer-algorithm",
    "x-amz-copy-source-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key-md5",
];

const KMS_HEADERS: [&str; 3] = [
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-context",
    "x-amz-server-side-encryption-bucket-key-enabled",
];

/// Checks the encryption a write requests; `header` looks a header (or POST field) up by
/// lower-case name, `secure` is whether the request came over TLS.
pub fn check_request<'a>(header: impl Fn(&str) -> Option<&'a str>, secure: bool) -> S3Result<()> {
    if CUSTOMER_KEY_HEADERS.iter().any(|h| header(h).is_some()) {
        if !secure {
            return Err(S3Error::invalid_request(
                "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.",
            ));
        }
        return Err(S3Error::not_implemented(
            "x-amz-server-side-encryption-customer-algorithm (SSE-C: customer-provided keys)",
        ));
    }
    match header("x-amz-server-side-encryption").map(str::trim) {
        None | Some("AES256") => {}
        Some("aws:kms" | "aws:kms:dsse") => {
            return Err(S3Error::not_implemented(
                "x-amz-server-side-encryption: aws:kms (there is no KMS here)",
            ));
        }
        Some(_) => {
            return Err(S3Error::invalid_argument(
                "The encryption method specified is not supported",
            )
            .with("ArgumentName", "x-amz-server-side-encryption"));
        }
    }
    // The bucket-key switch set to false asks for nothing; any other KMS parameter needs aws:kms.
    let kms_param = KMS_HEADERS.iter().any(|h| {
        header(h).is_some_and(|v| {
            !(*h == "x-amz-server-side-encryption-bucket-key-enabled"
                && v.trim().eq_ignore_ascii_case("false"))
        })
    });
    if kms_param {
        return Err(S3Error::invalid_argument(
            "Server Side Encryption with KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
        ));
    }
    Ok(())
}

/// Every object is stored encrypted with a server-managed key (SSE-S3, AWS's default for
/// every new object): responses that write or read object data say so, as AWS does.
pub fn response_header(r: &mut crate::Response) {
    r.headers_mut().insert(
        "x-amz-server-side-encryption",
        http::HeaderValue::from_static("AES256"),
    );
}

/// Reads (GetObject, HeadObject) naming a customer-provided key: no object here was
/// written with one, so AWS's answer for an object without SSE-C applies (over plain HTTP,
/// the secure-connection refusal comes first, as on AWS).
pub fn check_read<'a>(header: impl Fn(&str) -> Option<&'a str>, secure: bool) -> S3Result<()> {
    if CUSTOMER_KEY_HEADERS[..3]
        .iter()
        .any(|h| header(h).is_some())
    {
        return Err(S3Error::invalid_request(if secure {
            "The encryption parameters are not applicable to this object."
        } else {
            "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection."
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn check(pairs: &[(&str, &str)], secure: bool) -> S3Result<()> {
        check_request(
            |n| pairs.iter().find(|(k, _)| *k == n).map(|(_, v)| *v),
            secure,
        )
    }

    #[test]
    fn only_what_can_be_honoured_is_accepted() {
        assert!(check(&[], false).is_ok());
        assert!(check(&[("x-amz-server-side-encryption", "AES256")], false).is_ok());
        assert!(
            check(
                &[("x-amz-server-side-encryption-bucket-key-enabled", "false")],
                false
            )
            .is_ok()
        );
        let code = |p: &[(&str, &str)], s| check(p, s).unwrap_err().code;
        assert_eq!(
            code(&[("x-amz-server-side-encryption", "aws:kms")], false),
            "NotImplemented"
        );
        assert_eq!(
            code(&[("x-amz-server-side-encryption", "DES")], false),
            "InvalidArgument"
        );
        let ssec = [("x-amz-server-side-encryption-customer-algorithm", "AES256")];
        assert_eq!(code(&ssec, false), "InvalidRequest");
        assert_eq!(code(&ssec, true), "NotImplemented");
        assert_eq!(
            code(
                &[("x-amz-server-side-encryption-aws-kms-key-id", "k")],
                false
            ),
            "InvalidArgument"
        );
    }
}
