//! Object data files under `DATA_DIR/objects`. Files are named by random ids, never by
//! key, so no key (`../../x`, `a//b`) can reach outside the directory. A file is written to
//! `tmp/`, fsynced, renamed into place and its directory fsynced before the metadata that
//! names it commits; files no longer referenced are removed after the metadata change.
//!
//! Every file written is encrypted (SSE-S3, see [`sealed`]) with its own key, sealed by
//! the server key ring; files written before encryption (ids without [`sealed::MARKER`])
//! are read as they are.

mod sealed;
#[cfg(test)]
mod sealed_tests;

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hourglass_store::KeyRing;

use bytes::Bytes;
use futures_util::Stream;

use crate::meta::Segment;

/// Bytes buffered before a write to the file (fewer, larger blocking writes).
const WRITE_BUFFER: usize = 1 << 20;
/// Size of each piece read back for a response body.
const READ_CHUNK: usize = 256 * 1024;

#[derive(Debug, Clone)]
pub struct DataStore {
    root: PathBuf,
    ring: Arc<KeyRing>,
}

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(io_err)?
}

impl DataStore {
    /// Opens (creating) the data directory. Files left by interrupted writes are removed
    /// by [`DataStore::sweep`], which the server runs before it accepts requests.
    pub fn open(root: &Path, ring: Arc<KeyRing>) -> std::io::Result<Self> {
        std::fs::create_dir_all(root.join("tmp"))?;
        Ok(Self {
            root: root.to_owned(),
            ring,
        })
    }

    /// Readiness: the data directory takes a write where uploads are staged, so a vanished
    /// mount or a read-only remount fails the health check rather than the next PutObject.
    pub async fn check(&self) -> std::io::Result<()> {
        let probe = self
            .root
            .join("tmp")
            .join(format!("health-{}", uuid::Uuid::new_v4().simple()));
        blocking(move || {
            std::fs::write(&probe, b"")?;
            std::fs::remove_file(&probe)
        })
        .await
    }

    /// Crash recovery: removes temporary files (a write cut short) and data files no
    /// record names (written by a PUT, UploadPart or copy whose metadata never committed, or
    /// left by a replace or delete whose clean-up was cut short), if last modified before
    /// `older_than`. Run before accepting requests, when no write of this process is in
    /// flight; `older_than` protects the writes of other nodes sharing the directory (a
    /// committed file waits a moment for the metadata that names it). Returns the number of
    /// files removed.
    pub async fn sweep(
        &self,
        referenced: std::collections::HashSet<String>,
        older_than: std::time::SystemTime,
    ) -> std::io::Result<usize> {
        let root = self.root.clone();
        blocking(move || {
            let old = |e: &std::fs::DirEntry| {
                e.metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t < older_than)
            };
            let mut removed = 0usize;
            let mut remove = |path: PathBuf| match std::fs::remove_file(&path) {
                Ok(()) => removed = removed.saturating_add(1),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(error = %e, path = %path.display(), "cannot remove object data")
                }
            };
            for e in std::fs::read_dir(root.join("tmp"))?.flatten() {
                if old(&e) {
                    remove(e.path());
                }
            }
            for dir in std::fs::read_dir(&root)?.flatten() {
                // only the `ab/` fan-out directories
                if dir.file_name().len() != 2 || !dir.file_type().is_ok_and(|t| t.is_dir()) {
                    continue;
                }
                for e in std::fs::read_dir(dir.path())?.flatten() {
                    let id = e.file_name().to_string_lossy().into_owned();
                    if !referenced.contains(&id)
                        && e.file_type().is_ok_and(|t| t.is_file())
                        && old(&e)
                    {
                        remove(e.path());
                    }
                }
            }
            Ok(removed)
        })
        .await
    }

    /// `objects/ab/<id>`; ids are lower-case hex (plus [`sealed::MARKER`] for an encrypted
    /// file), checked so a corrupt record cannot name a path outside the directory.
    fn path(&self, id: &str) -> std::io::Result<PathBuf> {
        let hex = id.strip_suffix(sealed::MARKER).unwrap_or(id);
        if hex.len() < 8
            || !hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(io_err(format!("invalid data id {id:?}")));
        }
        Ok(self.root.join(&id[..2]).join(id))
    }

    pub async fn writer(&self) -> std::io::Result<DataWriter> {
        let id = format!("{}{}", uuid::Uuid::new_v4().simple(), sealed::MARKER);
        let tmp = self.root.join("tmp").join(&id);
        let final_path = self.path(&id)?;
        let (key, header) = sealed::FileKey::generate(&self.ring)?;
        let tmp2 = tmp.clone();
        let file = blocking(move || std::fs::File::create(&tmp2)).await?;
        let mut buf = Vec::with_capacity(WRITE_BUFFER + sealed::CHUNK);
        buf.extend_from_slice(&header);
        Ok(DataWriter {
            id,
            tmp,
            final_path,
            file: Some(file),
            buf,
            key,
            pending: Vec::with_capacity(sealed::CHUNK),
            chunk: 0,
            len: 0,
        })
    }

    /// Removes data files; failures are logged (a leaked file is harmless).
    pub async fn remove(&self, segments: Vec<Segment>) {
        if segments.is_empty() {
            return;
        }
        let paths: Vec<PathBuf> = segments
            .iter()
            .filter_map(|s| self.path(&s.id).ok())
            .collect();
        let _ = blocking(move || {
            for p in paths {
                if let Err(e) = std::fs::remove_file(&p)
                    && e.kind() != std::io::ErrorKind::NotFound
                {
                    tracing::warn!(error = %e, path = %p.display(), "cannot remove object data");
                }
            }
            Ok(())
        })
        .await;
    }

    /// Streams bytes `[start, end)` of the concatenation of `segments`.
    pub fn read_range(
        &self,
        segments: &[Segment],
        start: u64,
        end: u64,
    ) -> std::io::Result<impl Stream<Item = std::io::Result<Bytes>> + Send + 'static + use<>> {
        // Plan (path, offset, length) per touched segment.
        let mut plan = Vec::new();
        let mut base = 0u64;
        for s in segments {
            let (s_start, s_end) = (base, base.saturating_add(s.len));
            base = s_end;
            if s_end <= start || s_start >= end {
                continue;
            }
            let from = start.max(s_start) - s_start;
            let to = end.min(s_end) - s_start;
            let part = if s.id.ends_with(sealed::MARKER) {
                Part::Sealed {
                    len: s.len,
                    from,
                    to,
                }
            } else {
                Part::Clear {
                    offset: from,
                    len: to - from,
                }
            };
            plan.push((self.path(&s.id)?, part));
        }
        plan.reverse();
        let state = ReadState {
            plan,
            current: None,
            sealed: None,
            ring: Arc::clone(&self.ring),
        };
        Ok(futures_util::stream::try_unfold(
            state,
            |mut st| async move {
                loop {
                    if let Some(mut reader) = st.sealed.take() {
                        if reader.remaining == 0 {
                            continue;
                        }
                        let (reader, chunk) = blocking(move || {
                            let chunk = reader.read(READ_CHUNK / sealed::CHUNK)?;
                            Ok((reader, chunk))
                        })
                        .await?;
                        st.sealed = Some(reader);
                        return Ok(Some((Bytes::from(chunk), st)));
                    }
                    if let Some((file, remaining)) = st.current.take() {
                        if remaining == 0 {
                            continue;
                        }
                        let want = usize::try_from(remaining)
                            .unwrap_or(READ_CHUNK)
                            .min(READ_CHUNK);
                        let (file, chunk) = blocking(move || {
                            let mut file = file;
                            let mut buf = vec![0u8; want];
                            let mut filled = 0;
                            while filled < want {
                                let n = file.read(&mut buf[filled..])?;
                                if n == 0 {
                                    return Err(io_err(
                                        "object data file is shorter than its record",
                                    ));
                                }
                                filled += n;
                            }
                            Ok((file, buf))
                        })
                        .await?;
                        st.current = Some((file, remaining - chunk.len() as u64));
                        return Ok(Some((Bytes::from(chunk), st)));
                    }
                    let Some((path, part)) = st.plan.pop() else {
                        return Ok(None);
                    };
                    match part {
                        Part::Clear { offset, len } => {
                            let file = blocking(move || {
                                let mut f = std::fs::File::open(&path)?;
                                f.seek(SeekFrom::Start(offset))?;
                                Ok(f)
                            })
                            .await?;
                            st.current = Some((file, len));
                        }
                        Part::Sealed { len, from, to } => {
                            let ring = Arc::clone(&st.ring);
                            let reader = blocking(move || {
                                let f = std::fs::File::open(&path)?;
                                sealed::ChunkReader::open(f, &ring, len, from, to)
                            })
                            .await?;
                            st.sealed = Some(reader);
                        }
                    }
                }
            },
        ))
    }

    /// Copies byte range `[start, end)` of `segments` into a new data file.
    pub async fn copy_range(
        &self,
        segments: &[Segment],
        start: u64,
        end: u64,
    ) -> std::io::Result<(Segment, [u8; 16])> {
        use futures_util::StreamExt;
        use md5::Digest;
        let mut w = self.writer().await?;
        let mut md5 = md5::Md5::new();
        let stream = self.read_range(segments, start, end)?;
        futures_util::pin_mut!(stream);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            md5.update(&chunk);
            w.write(&chunk).await?;
        }
        let seg = w.commit().await?;
        Ok((seg, md5.finalize().into()))
    }
}

/// What to read of one data file.
enum Part {
    /// A file written before encryption: `len` bytes at `offset`.
    Clear { offset: u64, len: u64 },
    /// An encrypted file of `len` plaintext bytes: plaintext `[from, to)`.
    Sealed { len: u64, from: u64, to: u64 },
}

struct ReadState {
    plan: Vec<(PathBuf, Part)>,
    current: Option<(std::fs::File, u64)>,
    sealed: Option<sealed::ChunkReader>,
    ring: Arc<KeyRing>,
}

/// A data file being written. Dropping it without [`DataWriter::commit`] leaves a temp
/// file that [`DataWriter::abort`] (or the next start) removes.
pub struct DataWriter {
    id: String,
    tmp: PathBuf,
    final_path: PathBuf,
    file: Option<std::fs::File>,
    /// Encrypted bytes waiting for a write to the file.
    buf: Vec<u8>,
    key: sealed::FileKey,
    /// Plaintext of the chunk being filled; it is sealed once more data follows it (only
    /// at commit is it known which chunk is last).
    pending: Vec<u8>,
    /// Index of the chunk `pending` becomes.
    chunk: u64,
    len: u64,
}

impl DataWriter {
    pub async fn write(&mut self, mut data: &[u8]) -> std::io::Result<()> {
        self.len = self
            .len
            .checked_add(data.len() as u64)
            .ok_or_else(|| io_err("object data too long"))?;
        while !data.is_empty() {
            if self.pending.len() == sealed::CHUNK {
                self.key
                    .seal_chunk(self.chunk, false, &self.pending, &mut self.buf)?;
                self.pending.clear();
                self.chunk += 1;
            }
            let take = (sealed::CHUNK - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        if self.buf.len() >= WRITE_BUFFER {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        let Some(mut file) = self.file.take() else {
            return Err(io_err("data writer already failed"));
        };
        let buf = std::mem::take(&mut self.buf);
        let (file, mut buf) = blocking(move || {
            file.write_all(&buf)?;
            Ok((file, buf))
        })
        .await?;
        buf.clear();
        self.buf = buf;
        self.file = Some(file);
        Ok(())
    }

    /// Makes the data durable under its final name and returns its segment.
    pub async fn commit(mut self) -> std::io::Result<Segment> {
        self.key
            .seal_chunk(self.chunk, true, &self.pending, &mut self.buf)?;
        self.pending.clear();
        self.flush().await?;
        let file = self.file.take();
        let (tmp, final_path) = (self.tmp.clone(), self.final_path.clone());
        blocking(move || {
            if let Some(f) = file {
                f.sync_all()?;
            }
            let dir = final_path
                .parent()
                .ok_or_else(|| io_err("data path has no parent"))?;
            std::fs::create_dir_all(dir)?;
            std::fs::rename(&tmp, &final_path)?;
            // The rename itself must survive a crash before the metadata names the file.
            std::fs::File::open(dir)?.sync_all()?;
            Ok(())
        })
        .await?;
        Ok(Segment {
            id: std::mem::take(&mut self.id),
            len: self.len,
        })
    }

    pub async fn abort(mut self) {
        self.file.take();
        let tmp = self.tmp.clone();
        let _ = blocking(move || std::fs::remove_file(tmp)).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use futures_util::StreamExt;

    use super::*;

    fn ring() -> Arc<KeyRing> {
        Arc::new(KeyRing::generate("k1").unwrap())
    }

    async fn collect(s: impl Stream<Item = std::io::Result<Bytes>>) -> Vec<u8> {
        futures_util::pin_mut!(s);
        let mut out = Vec::new();
        while let Some(c) = s.next().await {
            out.extend_from_slice(&c.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn write_read_ranges_across_segments() {
        let dir = tempfile::tempdir().unwrap();
        let store = DataStore::open(dir.path(), ring()).unwrap();
        let mut w = store.writer().await.unwrap();
        w.write(b"hello ").await.unwrap();
        let a = w.commit().await.unwrap();
        let mut w = store.writer().await.unwrap();
        w.write(b"world").await.unwrap();
        let b = w.commit().await.unwrap();
        let segs = vec![a, b];
        assert_eq!(
            collect(store.read_range(&segs, 0, 11).unwrap()).await,
            b"hello world"
        );
        assert_eq!(
            collect(store.read_range(&segs, 4, 8).unwrap()).await,
            b"o wo"
        );
        assert_eq!(
            collect(store.read_range(&segs, 6, 11).unwrap()).await,
            b"world"
        );
        let (copy, _) = store.copy_range(&segs, 3, 9).await.unwrap();
        assert_eq!(
            collect(store.read_range(std::slice::from_ref(&copy), 0, 6).unwrap()).await,
            b"lo wor"
        );
        store.remove(vec![copy.clone()]).await;
        assert!(store.path(&copy.id).map(|p| !p.exists()).unwrap());
        assert!(store.path("../../etc").is_err());
        let w = store.writer().await.unwrap();
        w.abort().await;
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
    }

    #[tokio::test]
    async fn startup_removes_temporary_and_unreferenced_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = DataStore::open(dir.path(), ring()).unwrap();
        let mut keep = store.writer().await.unwrap();
        keep.write(b"named by a record").await.unwrap();
        let keep = keep.commit().await.unwrap();
        let mut orphan = store.writer().await.unwrap();
        orphan.write(b"its record never committed").await.unwrap();
        let orphan = orphan.commit().await.unwrap();
        let mut cut = store.writer().await.unwrap();
        cut.write(b"a write cut short").await.unwrap();
        std::mem::forget(cut); // as if the process died here
        let store = DataStore::open(dir.path(), ring()).unwrap();
        let referenced: std::collections::HashSet<_> = [keep.id.clone()].into_iter().collect();
        // Files newer than the cut-off may belong to another node's write in flight.
        let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        assert_eq!(store.sweep(referenced.clone(), past).await.unwrap(), 0);
        assert!(store.path(&orphan.id).unwrap().exists());
        let future = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
        assert_eq!(store.sweep(referenced, future).await.unwrap(), 2);
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
        assert!(store.path(&keep.id).unwrap().exists());
        assert!(!store.path(&orphan.id).unwrap().exists());
        assert!(dir.path().join("tmp").is_dir());
    }
}
