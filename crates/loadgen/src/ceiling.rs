//! The ceiling: a trivial hyper server on the same stack as hourglass (hyper-util `auto`
//! builder, HTTP/1.1 and HTTP/2, Nagle off) that reads the request body and answers a fixed
//! GetCallerIdentity document without verifying anything. What the HTTP stack alone can do
//! on this machine.

use std::convert::Infallible;
use std::io::Write;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

const BODY: &str = r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:root</Arn>
    <UserId>123456789012</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
"#;

async fn answer(req: hyper::Request<Incoming>) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    // Read the body like a real handler would; its content does not matter.
    let _ = req.into_body().collect().await;
    let mut resp = hyper::Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/xml"),
    );
    resp.headers_mut().insert(
        "x-amzn-requestid",
        hyper::header::HeaderValue::from_static("01234567-89ab-cdef-0123-456789abcdef"),
    );
    Ok(resp)
}

/// Serves until SIGINT/SIGTERM. Prints `ceiling listening on http://ADDR` when ready.
pub async fn serve(listen: &str) -> std::io::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "ceiling listening on http://{addr}")?;
        out.flush()?;
    }
    let builder = auto::Builder::new(TokioExecutor::new());
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(pair) => pair,
                    Err(_) => {
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let conn = builder
                    .serve_connection(TokioIo::new(stream), service_fn(answer))
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = term.recv() => return Ok(()),
        }
    }
}
