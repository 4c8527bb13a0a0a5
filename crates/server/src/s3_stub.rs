//! Placeholder front for S3 requests until the S3 service lands: answers every request with
//! S3's `NotImplemented` error so clients see a well-formed refusal, not a hang.

use hyper::body::Incoming;

use crate::http::body::{Response, response};
use crate::state::AppState;

pub async fn handle(_req: hyper::Request<Incoming>, _state: &AppState) -> Response {
    let request_id = hourglass_iam::ids::request_id();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NotImplemented</Code><Message>S3 is not available on this server yet.</Message><RequestId>{request_id}</RequestId></Error>"
    );
    response(501, "application/xml", body)
}
