//! A minimal HTTP/1.1 keep-alive client over a tokio `TcpStream`: one request at a time per
//! connection, `Content-Length` or chunked response bodies, reconnecting when the server
//! closes the connection (moto's werkzeug server may).

use std::net::SocketAddr;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Bodies up to this size are written in the same `write` call as the head.
const COALESCE_LIMIT: usize = 64 * 1024;
/// Refuse header lines and chunk-size lines longer than this.
const MAX_LINE: usize = 64 * 1024;
/// Body bytes kept for inspection (error codes, setup answers); the rest is counted and
/// discarded so large GETs measure the server, not the client's allocator.
const KEEP_BODY: usize = 1024 * 1024;
/// Scratch buffer for discarded body bytes.
const DISCARD_CHUNK: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("connect to {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed response: {0}")]
    Malformed(String),
    #[error("connection closed before a response")]
    Closed,
}

/// One response: the body is read in full but only its first `KEEP_BODY` bytes are kept.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    /// Length of the whole body as received.
    pub body_len: u64,
}

impl Response {
    /// The body as text, for error messages (lossy, truncated).
    pub fn snippet(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        match text.char_indices().nth(300) {
            Some((i, _)) => format!("{}…", &text[..i]),
            None => text.to_string(),
        }
    }

    /// The text of the first `<Code>` element, if any (AWS XML errors).
    pub fn error_code(&self) -> Option<String> {
        xml_element(&String::from_utf8_lossy(&self.body), "Code")
    }
}

/// Text of the first `<name>…</name>` element of a document, without parsing XML.
pub fn xml_element(doc: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = doc.find(&open)? + open.len();
    let len = doc[start..].find(&close)?;
    Some(doc[start..start + len].to_string())
}

/// One keep-alive connection, reopened on demand.
pub struct Conn {
    addr: SocketAddr,
    stream: Option<BufReader<TcpStream>>,
    /// How many times a connection was (re)opened.
    pub connects: u64,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            stream: None,
            connects: 0,
        }
    }

    /// The server this connection talks to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    async fn open(&mut self) -> Result<&mut BufReader<TcpStream>, ClientError> {
        if self.stream.is_none() {
            let stream =
                TcpStream::connect(self.addr)
                    .await
                    .map_err(|source| ClientError::Connect {
                        addr: self.addr,
                        source,
                    })?;
            stream.set_nodelay(true)?;
            self.connects += 1;
            self.stream = Some(BufReader::with_capacity(64 * 1024, stream));
        }
        self.stream.as_mut().ok_or(ClientError::Closed)
    }

    /// Sends one request (`head` ends with the blank line) and reads the response. A request
    /// on a reused connection that fails before any response byte is retried once on a new
    /// connection (the server may have closed an idle connection).
    pub async fn send(&mut self, head: &[u8], body: &[u8]) -> Result<Response, ClientError> {
        let reused = self.stream.is_some();
        match self.exchange(head, body).await {
            Ok(resp) => Ok(resp),
            Err(e) => {
                self.stream = None;
                if reused && matches!(e, ClientError::Closed | ClientError::Io(_)) {
                    let resp = self.exchange(head, body).await;
                    if resp.is_err() {
                        self.stream = None;
                    }
                    resp
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn exchange(&mut self, head: &[u8], body: &[u8]) -> Result<Response, ClientError> {
        let stream = self.open().await?;
        if body.len() <= COALESCE_LIMIT {
            let mut buf = Vec::with_capacity(head.len() + body.len());
            buf.extend_from_slice(head);
            buf.extend_from_slice(body);
            stream.get_mut().write_all(&buf).await?;
        } else {
            stream.get_mut().write_all(head).await?;
            stream.get_mut().write_all(body).await?;
        }
        let (resp, keep_alive) = read_response(stream).await?;
        if !keep_alive {
            self.stream = None;
        }
        Ok(resp)
    }
}

async fn read_line(
    stream: &mut BufReader<TcpStream>,
    line: &mut String,
) -> Result<usize, ClientError> {
    line.clear();
    let n = (&mut *stream).take(MAX_LINE as u64).read_line(line).await?;
    if n > 0 && !line.ends_with('\n') {
        return Err(ClientError::Malformed("line too long or truncated".into()));
    }
    Ok(n)
}

/// Reads a response; the flag says whether the connection may be reused.
async fn read_response(stream: &mut BufReader<TcpStream>) -> Result<(Response, bool), ClientError> {
    let mut line = String::new();
    if read_line(stream, &mut line).await? == 0 {
        return Err(ClientError::Closed);
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let version = parts.next().unwrap_or_default().to_string();
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ClientError::Malformed(format!("status line {:?}", line.trim_end())))?;
    let mut keep_alive = version == "HTTP/1.1";
    let mut content_length: Option<u64> = None;
    let mut chunked = false;
    loop {
        if read_line(stream, &mut line).await? == 0 {
            return Err(ClientError::Malformed("eof in headers".into()));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let Some((name, value)) = l.split_once(':') else {
            return Err(ClientError::Malformed(format!("header line {l:?}")));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(
                value
                    .parse()
                    .map_err(|_| ClientError::Malformed(format!("content-length {value:?}")))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            let v = value.to_ascii_lowercase();
            if v.contains("close") {
                keep_alive = false;
            } else if v.contains("keep-alive") {
                keep_alive = true;
            }
        }
    }
    let no_body = status == 204 || status == 304 || (100..200).contains(&status);
    let mut body = Body::default();
    if no_body {
    } else if chunked {
        loop {
            if read_line(stream, &mut line).await? == 0 {
                return Err(ClientError::Malformed("eof in chunk size".into()));
            }
            let size_text = line.trim_end().split(';').next().unwrap_or_default().trim();
            let size = u64::from_str_radix(size_text, 16)
                .map_err(|_| ClientError::Malformed(format!("chunk size {size_text:?}")))?;
            if size == 0 {
                // Trailers, then the blank line.
                loop {
                    if read_line(stream, &mut line).await? == 0 || line.trim_end().is_empty() {
                        break;
                    }
                }
                break;
            }
            body.read_exact(stream, size).await?;
            read_line(stream, &mut line).await?;
        }
    } else if let Some(len) = content_length {
        body.read_exact(stream, len).await?;
    } else {
        body.read_to_end(stream).await?;
        keep_alive = false;
    }
    Ok((
        Response {
            status,
            body: body.kept,
            body_len: body.len,
        },
        keep_alive,
    ))
}

/// A response body being read: the first `KEEP_BODY` bytes and the total length.
#[derive(Default)]
struct Body {
    kept: Vec<u8>,
    len: u64,
    scratch: Vec<u8>,
}

impl Body {
    fn take(&mut self, bytes: &[u8]) {
        let room = KEEP_BODY.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&bytes[..bytes.len().min(room)]);
        self.len = self.len.saturating_add(bytes.len() as u64);
    }

    /// Reads exactly `n` bytes; the connection ending first is an error.
    async fn read_exact(
        &mut self,
        stream: &mut BufReader<TcpStream>,
        n: u64,
    ) -> Result<(), ClientError> {
        let mut remaining = n;
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.resize(DISCARD_CHUNK, 0);
        while remaining > 0 {
            let want = usize::try_from(remaining).map_or(DISCARD_CHUNK, |r| r.min(DISCARD_CHUNK));
            let got = stream.read(&mut scratch[..want]).await?;
            if got == 0 {
                return Err(ClientError::Malformed("eof in body".into()));
            }
            self.take(&scratch[..got]);
            remaining -= got as u64;
        }
        self.scratch = scratch;
        Ok(())
    }

    async fn read_to_end(&mut self, stream: &mut BufReader<TcpStream>) -> Result<(), ClientError> {
        let mut scratch = vec![0; DISCARD_CHUNK];
        loop {
            let got = stream.read(&mut scratch).await?;
            if got == 0 {
                return Ok(());
            }
            self.take(&scratch[..got]);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use tokio::net::TcpListener;

    /// Serves `answer` once on a loopback port and returns the response read by the client.
    async fn roundtrip(answer: Vec<u8>) -> Result<Response, ClientError> {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(&answer).await.unwrap();
        });
        let mut conn = Conn::new(addr);
        let resp = conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"").await;
        server.await.unwrap();
        resp
    }

    #[tokio::test]
    async fn large_body_is_counted_but_not_kept() {
        let size = KEEP_BODY + 3 * DISCARD_CHUNK + 17;
        let mut answer = format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n").into_bytes();
        answer.extend(std::iter::repeat_n(b'z', size));
        let resp = roundtrip(answer).await.unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body_len, size as u64);
        assert_eq!(resp.body.len(), KEEP_BODY);
    }

    #[tokio::test]
    async fn chunked_body_is_reassembled() {
        let answer = b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n\
            6\r\n<Code>\r\n10\r\nNoSuchKey</Code>\r\n0\r\n\r\n"
            .to_vec();
        let resp = roundtrip(answer).await.unwrap();
        assert_eq!(resp.status, 404);
        assert_eq!(resp.body_len, 22);
        assert_eq!(resp.error_code().as_deref(), Some("NoSuchKey"));
    }

    #[tokio::test]
    async fn short_body_is_an_error() {
        let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".to_vec();
        assert!(roundtrip(answer).await.is_err());
    }
}
