//! Error envelopes, one per protocol. The codes, statuses and messages come from each
//! service's own error table (S3 and Query keep separate ones, as AWS does); this module only
//! writes them the way each protocol's clients read them.

use serde_json::{Map, Value};

use crate::xml::{DECL, Writer};

/// What the client is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorDetail<'a> {
    pub status: u16,
    pub code: &'a str,
    pub message: &'a str,
}

/// The Query protocol's `<ErrorResponse>` (IAM, STS): `Type` is `Receiver` for server faults
/// and `Sender` otherwise; `extra` elements (`EncodedMessage`) follow the message.
pub fn query_error<'a>(
    namespace: &str,
    err: &ErrorDetail<'_>,
    extra: impl IntoIterator<Item = (&'a str, &'a str)>,
    request_id: &str,
) -> String {
    let mut x = Writer::new();
    x.open_ns("ErrorResponse", namespace)
        .open("Error")
        .text(
            "Type",
            if err.status >= 500 {
                "Receiver"
            } else {
                "Sender"
            },
        )
        .text("Code", err.code)
        .text("Message", err.message);
    for (name, value) in extra {
        x.text(name, value);
    }
    x.close("Error")
        .text("RequestId", request_id)
        .close("ErrorResponse");
    x.finish()
}

/// S3's `<Error>` document: declaration, no namespace, `extra` elements (`Key`,
/// `BucketName`, `StringToSign`, …) after the message, the request id also as `HostId`.
pub fn s3_error<'a>(
    err: &ErrorDetail<'_>,
    extra: impl IntoIterator<Item = (&'a str, &'a str)>,
    request_id: &str,
) -> String {
    let mut x = Writer::new();
    let mut out = String::with_capacity(256);
    out.push_str(DECL);
    x.open("Error")
        .text("Code", err.code)
        .text("Message", err.message);
    for (name, value) in extra {
        x.text(name, value);
    }
    x.text("RequestId", request_id)
        .text("HostId", request_id)
        .close("Error");
    out.push_str(&x.finish());
    out
}

/// A JSON-protocol error answer: the body and the `X-Amzn-Errortype` header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonErrorResponse {
    pub status: u16,
    /// `X-Amzn-Errortype`: the same bare code as `__type` (SDKs other than botocore read the
    /// header first).
    pub error_type: String,
    pub body: String,
}

/// `{"__type":"Code","Message":"…", …extra}`. botocore takes the code only from `__type`
/// and the Swift SDK the message only from `Message`, so both are always written that way;
/// an empty message is left out (`UnknownOperationException` has none). Modeled extra
/// members (`Reason`, `Type`) follow under their model names and cannot replace either.
pub fn json_error(err: &ErrorDetail<'_>, extra: Map<String, Value>) -> JsonErrorResponse {
    let code = sanitize_code(err.code);
    let mut body = Map::new();
    body.insert("__type".into(), Value::from(code));
    if !err.message.is_empty() {
        body.insert("Message".into(), Value::from(err.message));
    }
    for (k, v) in extra {
        if k != "__type" && !k.eq_ignore_ascii_case("message") {
            body.insert(k, v);
        }
    }
    JsonErrorResponse {
        status: err.status,
        error_type: code.to_owned(),
        body: Value::Object(body).to_string(),
    }
}

/// The bare code in an error type, the way SDKs read it: cut at the first `:`, then keep
/// what follows the last `#` (`com.amazon.coral.service#UnrecognizedClientException:http…`
/// → `UnrecognizedClientException`).
pub fn sanitize_code(raw: &str) -> &str {
    let head = raw.split(':').next().unwrap_or(raw);
    head.rsplit('#').next().unwrap_or(head)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const NOT_FOUND: ErrorDetail<'static> = ErrorDetail {
        status: 404,
        code: "NoSuchEntity",
        message: "The user with name a<b cannot be found.",
    };

    #[test]
    fn query_envelope() {
        assert_eq!(
            query_error("ns", &NOT_FOUND, [("EncodedMessage", "e&")], "rid"),
            "<ErrorResponse xmlns=\"ns\"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name a&lt;b cannot be found.</Message><EncodedMessage>e&amp;</EncodedMessage></Error><RequestId>rid</RequestId></ErrorResponse>"
        );
        let fault = ErrorDetail {
            status: 500,
            code: "ServiceFailure",
            message: "m",
        };
        assert!(query_error("ns", &fault, [], "r").contains("<Type>Receiver</Type>"));
    }

    #[test]
    fn s3_envelope() {
        let err = ErrorDetail {
            status: 404,
            code: "NoSuchKey",
            message: "The specified key does not exist.",
        };
        assert_eq!(
            s3_error(&err, [("Key", "a<b>&c")], "RID"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a&lt;b&gt;&amp;c</Key><RequestId>RID</RequestId><HostId>RID</HostId></Error>"
        );
    }

    #[test]
    fn json_envelope() {
        let err = ErrorDetail {
            status: 400,
            code: "com.amazonaws.organizations.v20161128#ConstraintViolationException",
            message: "limit \"x\"",
        };
        let mut extra = Map::new();
        extra.insert(
            "Reason".into(),
            Value::from("ACCOUNT_NUMBER_LIMIT_EXCEEDED"),
        );
        extra.insert("message".into(), Value::from("shadow"));
        let r = json_error(&err, extra);
        assert_eq!(r.error_type, "ConstraintViolationException");
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "__type": "ConstraintViolationException",
                "Message": "limit \"x\"",
                "Reason": "ACCOUNT_NUMBER_LIMIT_EXCEEDED",
            })
        );
        let bare = json_error(
            &ErrorDetail {
                status: 400,
                code: "UnknownOperationException",
                message: "",
            },
            Map::new(),
        );
        assert_eq!(bare.body, r#"{"__type":"UnknownOperationException"}"#);
    }

    #[test]
    fn sanitizes_like_the_sdks() {
        assert_eq!(
            sanitize_code("com.amazon.coral.service#UnrecognizedClientException:http://internal"),
            "UnrecognizedClientException"
        );
        assert_eq!(sanitize_code("Plain"), "Plain");
        assert_eq!(sanitize_code(""), "");
    }
}
