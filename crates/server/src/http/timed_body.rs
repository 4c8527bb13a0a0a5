//! Request bodies with a stall deadline: a client that stops sending mid-body gets
//! `RequestTimeout` instead of holding the request (and its buffer) open forever.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::time::Sleep;

/// AWS's text for the error, the same for S3 and the Query services.
pub const REQUEST_TIMEOUT_MESSAGE: &str = "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.";

#[derive(Debug, thiserror::Error)]
pub enum BodyReadError {
    #[error("no request body bytes arrived within the body read timeout")]
    TimedOut,
    #[error("{0}")]
    Transport(Box<dyn std::error::Error + Send + Sync>),
}

/// Set once the deadline fired, readable after the body has moved into a handler.
#[derive(Debug, Clone, Default)]
pub struct TimedOutFlag(Arc<AtomicBool>);

impl TimedOutFlag {
    pub fn fired(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The incoming body; the clock runs only while a handler waits for bytes, and restarts
/// with each frame.
pub struct TimedBody<B = Incoming> {
    inner: B,
    limit: Duration,
    waiting: Option<Pin<Box<Sleep>>>,
    flag: TimedOutFlag,
    failed: bool,
}

impl<B> TimedBody<B> {
    pub fn new(inner: B, limit: Duration) -> Self {
        TimedBody {
            inner,
            limit,
            waiting: None,
            flag: TimedOutFlag::default(),
            failed: false,
        }
    }

    pub fn flag(&self) -> TimedOutFlag {
        self.flag.clone()
    }
}

impl<B> Body for TimedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = BodyReadError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyReadError>>> {
        if self.failed {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                self.waiting = None;
                Poll::Ready(frame.map(|f| f.map_err(|e| BodyReadError::Transport(e.into()))))
            }
            Poll::Pending => {
                let limit = self.limit;
                let sleep = self
                    .waiting
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                if sleep.as_mut().poll(cx).is_ready() {
                    self.waiting = None;
                    self.failed = true;
                    self.flag.0.store(true, Ordering::Relaxed);
                    return Poll::Ready(Some(Err(BodyReadError::TimedOut)));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.failed || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use futures_util::{StreamExt, stream};
    use http_body_util::{BodyExt, StreamBody};

    fn data(b: &'static [u8]) -> Result<Frame<Bytes>, std::io::Error> {
        Ok(Frame::data(Bytes::from_static(b)))
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_body_times_out_and_says_so() {
        let s = stream::iter(vec![data(b"0123456789")]).chain(stream::pending());
        let mut body = TimedBody::new(StreamBody::new(s), Duration::from_secs(2));
        let flag = body.flag();
        let first = body.frame().await.unwrap().unwrap();
        assert_eq!(
            first.into_data().unwrap(),
            Bytes::from_static(b"0123456789")
        );
        let t0 = tokio::time::Instant::now();
        let err = body.frame().await.unwrap().unwrap_err();
        assert!(matches!(err, BodyReadError::TimedOut));
        assert_eq!(t0.elapsed(), Duration::from_secs(2));
        assert!(flag.fired());
        assert!(body.frame().await.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_but_steady_body_is_read_whole() {
        let s = stream::unfold(0u8, |n| async move {
            if n == 5 {
                return None;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            Some((data(b"x"), n + 1))
        });
        let body = TimedBody::new(StreamBody::new(Box::pin(s)), Duration::from_secs(2));
        let flag = body.flag();
        let all = body.collect().await.unwrap().to_bytes();
        assert_eq!(&all[..], b"xxxxx");
        assert!(!flag.fired());
    }
}
