//! What bounds one connection's life: the requests it has in flight (so an idle one can be
//! closed), and a deadline on writes a client never reads.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};

use crate::http::body::ResponseBody;

#[derive(Debug)]
struct State {
    in_flight: usize,
    /// When `in_flight` last dropped to zero (or the connection opened).
    idle_since: Instant,
    /// Bumped on every change, so a waiter can tell "still the same idle stretch".
    epoch: u64,
}

/// Requests in flight on one connection (HTTP/2 may carry many).
#[derive(Debug)]
pub struct Activity {
    state: Mutex<State>,
    changed: Notify,
}

impl Activity {
    pub fn new() -> Arc<Self> {
        Arc::new(Activity {
            state: Mutex::new(State {
                in_flight: 0,
                idle_since: Instant::now(),
                epoch: 0,
            }),
            changed: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent under any panic elsewhere; poisoning is not a reason
        // to stop counting.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Marks a request as started; it ends when the guard is dropped (with the response
    /// body, once written, or with the handler if the client went away).
    pub fn begin(self: &Arc<Self>) -> InFlight {
        {
            let mut s = self.lock();
            s.in_flight = s.in_flight.saturating_add(1);
            s.epoch = s.epoch.wrapping_add(1);
        }
        self.changed.notify_waiters();
        InFlight {
            activity: self.clone(),
        }
    }

    fn snapshot(&self) -> (usize, Instant, u64) {
        let s = self.lock();
        (s.in_flight, s.idle_since, s.epoch)
    }

    /// Resolves once no request has been in flight for `limit` without interruption.
    pub async fn idle_for(&self, limit: Duration) {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            // Registered before the state is read, so a change in between still wakes us.
            notified.as_mut().enable();
            let (in_flight, since, epoch) = self.snapshot();
            if in_flight > 0 {
                notified.await;
                continue;
            }
            let Some(deadline) = since.checked_add(limit) else {
                return std::future::pending().await;
            };
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => {
                    if self.snapshot().2 == epoch {
                        return;
                    }
                }
                () = &mut notified => {}
            }
        }
    }
}

/// One request in flight; dropping it ends the request.
#[derive(Debug)]
pub struct InFlight {
    activity: Arc<Activity>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        {
            let mut s = self.activity.lock();
            s.in_flight = s.in_flight.saturating_sub(1);
            if s.in_flight == 0 {
                s.idle_since = Instant::now();
            }
            s.epoch = s.epoch.wrapping_add(1);
        }
        self.activity.changed.notify_waiters();
    }
}

/// A response body that keeps its request in flight until hyper has written and dropped it.
pub struct TrackedBody {
    inner: ResponseBody,
    _in_flight: InFlight,
}

impl TrackedBody {
    pub fn new(inner: ResponseBody, in_flight: InFlight) -> Self {
        TrackedBody {
            inner,
            _in_flight: in_flight,
        }
    }
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A socket whose writes fail with `TimedOut` once one has waited `limit` for the client to
/// make room: a client that stops reading cannot pin a connection (and its task) forever.
pub struct WriteDeadline<T> {
    inner: T,
    limit: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<T> WriteDeadline<T> {
    pub fn new(inner: T, limit: Duration) -> Self {
        WriteDeadline {
            inner,
            limit,
            stalled: None,
        }
    }

    fn watch<R>(&mut self, cx: &mut Context<'_>, r: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        match r {
            Poll::Pending => {
                let limit = self.limit;
                let sleep = self
                    .stalled
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                if sleep.as_mut().poll(cx).is_ready() {
                    self.stalled = None;
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "client did not read the response within the write timeout",
                    )));
                }
                Poll::Pending
            }
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteDeadline<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, r)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, r)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watch(cx, r)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test(start_paused = true)]
    async fn idle_waits_for_requests_to_end() {
        let a = Activity::new();
        let guard = a.begin();
        let idle = a.idle_for(Duration::from_secs(5));
        tokio::pin!(idle);
        // Busy: a minute passes and the connection is not idle.
        assert!(
            tokio::time::timeout(Duration::from_secs(60), idle.as_mut())
                .await
                .is_err()
        );
        drop(guard);
        let t0 = Instant::now();
        idle.await;
        assert_eq!(t0.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_restarts_the_idle_clock() {
        let a = Activity::new();
        let t0 = Instant::now();
        let a2 = a.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            drop(a2.begin());
        });
        a.idle_for(Duration::from_secs(5)).await;
        assert_eq!(t0.elapsed(), Duration::from_secs(8));
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_nobody_reads_times_out() {
        let (client, server) = tokio::io::duplex(64);
        let mut w = WriteDeadline::new(server, Duration::from_secs(2));
        let err = w.write_all(&[0u8; 4096]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        drop(client);
    }
}
