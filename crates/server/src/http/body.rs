//! Reading request bodies with a size bound, and building responses.

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};

use crate::http::timed_body::BodyReadError;

/// Response bodies are boxed so a protocol can stream (S3 GetObject) or answer from memory
/// (everything else) through one type.
pub type ResponseBody = UnsyncBoxBody<Bytes, std::io::Error>;
pub type Response = hyper::Response<ResponseBody>;

/// A body held in memory.
pub fn full(bytes: impl Into<Bytes>) -> ResponseBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("request body exceeds {0} bytes")]
    TooLarge(usize),
    #[error("request body could not be read: {0}")]
    Read(String),
    #[error("request body stalled past the body read timeout")]
    TimedOut,
}

/// Collects the whole body, refusing more than `limit` bytes without reading them all.
pub async fn read_limited<B>(body: B, limit: usize) -> Result<Bytes, BodyError>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Err(BodyError::TooLarge(limit))
            } else if e
                .downcast_ref::<BodyReadError>()
                .is_some_and(|e| matches!(e, BodyReadError::TimedOut))
            {
                Err(BodyError::TimedOut)
            } else {
                Err(BodyError::Read(e.to_string()))
            }
        }
    }
}

/// A response with a body and content type.
pub fn response(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response {
    let mut r = hyper::Response::new(full(body));
    *r.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

/// Asks hyper to close an HTTP/1 connection after this response: its stream still holds
/// request bytes that will never be read.
pub fn close_after(r: &mut Response) {
    r.headers_mut().insert(
        hyper::header::CONNECTION,
        hyper::header::HeaderValue::from_static("close"),
    );
}
