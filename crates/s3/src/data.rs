//! Object data files under `DATA_DIR/objects`. Files are named by random ids, never by
//! key, so no key (`../../x`, `a//b`) can reach outside the directory. A file is written to
//! `tmp/`, fsynced, renamed into place and its directory fsynced before the metadata that
//! names it commits; files no longer referenced are removed after the metadata change.
//!
//! Every file written is encrypted (SSE-S3, see [`sealed`]) with its own key, sealed by
//! the server key ring; files written before encryption (ids without [`sealed::MARKER`])
//! are read as they are.
//!
//! An object of at most [`INLINE_MAX`] bytes written with [`Placement::MayInline`] gets no
//! file: its sealed bytes become an inline [`Segment`] that the metadata commit stores in
//! the object's row, so one (group) commit makes data and metadata durable together and a
//! GET reads them with the record. Multipart parts always get files: a completed upload
//! adopts them as its segments.

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
/// The largest object kept inline: one sealed chunk, so an inline read is one decryption.
pub const INLINE_MAX: u64 = sealed::CHUNK as u64;

/// Where a writer may put its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// A whole object: inline in its record when small enough.
    MayInline,
    /// A multipart part (or anything else a record adopts by id): always a file.
    File,
}

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

    /// A writer for new data. Its file is created only once more than [`WRITE_BUFFER`]
    /// bytes are buffered or at commit, so an object that ends up inline costs no file
    /// operation at all.
    pub fn writer(&self, placement: Placement) -> std::io::Result<DataWriter> {
        let id = format!("{}{}", uuid::Uuid::new_v4().simple(), sealed::MARKER);
        let tmp = self.root.join("tmp").join(&id);
        let final_path = self.path(&id)?;
        let (key, header) = sealed::FileKey::generate(&self.ring)?;
        let mut buf = Vec::with_capacity(sealed::CHUNK + sealed::TAG + header.len());
        buf.extend_from_slice(&header);
        Ok(DataWriter {
            id,
            tmp,
            final_path,
            file: None,
            created: false,
            placement,
            buf,
            key,
            pending: Vec::with_capacity(sealed::CHUNK),
            chunk: 0,
            len: 0,
        })
    }

    /// Removes data files; failures are logged (a leaked file is harmless). Inline
    /// segments went away with their records.
    pub async fn remove(&self, segments: Vec<Segment>) {
        let paths: Vec<PathBuf> = segments
            .iter()
            .filter(|s| !s.is_inline())
            .filter_map(|s| self.path(&s.id).ok())
            .collect();
        if paths.is_empty() {
            return;
        }
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
            if s.is_inline() {
                let data = s
                    .data
                    .clone()
                    .ok_or_else(|| io_err("inline object data was not loaded"))?;
                plan.push(Source::Inline(data, s.len, from, to));
                continue;
            }
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
            plan.push(Source::File(self.path(&s.id)?, part));
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
                    let (path, part) = match st.plan.pop() {
                        None => return Ok(None),
                        // At most one sealed chunk: decrypted here, no thread hop.
                        Some(Source::Inline(data, len, from, to)) => {
                            let plain = sealed::open_inline(&data, &st.ring, len, from, to)?;
                            if plain.is_empty() {
                                continue;
                            }
                            return Ok(Some((Bytes::from(plain), st)));
                        }
                        Some(Source::File(path, part)) => (path, part),
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
        placement: Placement,
    ) -> std::io::Result<(Segment, [u8; 16])> {
        use futures_util::StreamExt;
        use md5::Digest;
        let mut w = self.writer(placement)?;
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

/// Where one piece of a read comes from.
enum Source {
    File(PathBuf, Part),
    /// Sealed bytes of an inline segment of `len` plaintext bytes: plaintext `[from, to)`.
    Inline(Bytes, u64, u64, u64),
}

/// What to read of one data file.
enum Part {
    /// A file written before encryption: `len` bytes at `offset`.
    Clear { offset: u64, len: u64 },
    /// An encrypted file of `len` plaintext bytes: plaintext `[from, to)`.
    Sealed { len: u64, from: u64, to: u64 },
}

struct ReadState {
    plan: Vec<Source>,
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
    /// Whether the temporary file was (or was being) created: a writer whose `file` is
    /// gone after that failed.
    created: bool,
    placement: Placement,
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
        let file = self.file.take();
        if file.is_none() && self.created {
            return Err(io_err("data writer already failed"));
        }
        self.created = true;
        let tmp = self.tmp.clone();
        let buf = std::mem::take(&mut self.buf);
        let (file, mut buf) = blocking(move || {
            let mut file = match file {
                Some(f) => f,
                None => std::fs::File::create(&tmp)?,
            };
            file.write_all(&buf)?;
            Ok((file, buf))
        })
        .await?;
        buf.clear();
        self.buf = buf;
        self.file = Some(file);
        Ok(())
    }

    /// Makes the data durable under its final name and returns its segment, or returns
    /// the sealed bytes as an inline segment (durable once its record commits).
    pub async fn commit(mut self) -> std::io::Result<Segment> {
        self.key
            .seal_chunk(self.chunk, true, &self.pending, &mut self.buf)?;
        self.pending.clear();
        if self.placement == Placement::MayInline && !self.created && self.len <= INLINE_MAX {
            let data = Bytes::from(std::mem::take(&mut self.buf));
            return Ok(Segment::inline(data, self.len));
        }
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
        Ok(Segment::file(std::mem::take(&mut self.id), self.len))
    }

    pub async fn abort(mut self) {
        self.file.take();
        if !self.created {
            return;
        }
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
        let mut w = store.writer(Placement::File).unwrap();
        w.write(b"hello ").await.unwrap();
        let a = w.commit().await.unwrap();
        let mut w = store.writer(Placement::File).unwrap();
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
        let (copy, _) = store
            .copy_range(&segs, 3, 9, Placement::File)
            .await
            .unwrap();
        assert_eq!(
            collect(store.read_range(std::slice::from_ref(&copy), 0, 6).unwrap()).await,
            b"lo wor"
        );
        store.remove(vec![copy.clone()]).await;
        assert!(store.path(&copy.id).map(|p| !p.exists()).unwrap());
        assert!(store.path("../../etc").is_err());
        let mut w = store.writer(Placement::File).unwrap();
        w.write(b"abandoned").await.unwrap();
        w.flush().await.unwrap();
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
        let mut keep = store.writer(Placement::File).unwrap();
        keep.write(b"named by a record").await.unwrap();
        let keep = keep.commit().await.unwrap();
        let mut orphan = store.writer(Placement::File).unwrap();
        orphan.write(b"its record never committed").await.unwrap();
        let orphan = orphan.commit().await.unwrap();
        let mut cut = store.writer(Placement::File).unwrap();
        cut.write(b"a write cut short").await.unwrap();
        cut.flush().await.unwrap();
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

    #[tokio::test]
    async fn small_objects_are_inline_sealed_and_leave_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = DataStore::open(dir.path(), ring()).unwrap();
        let max = usize::try_from(INLINE_MAX).unwrap();
        for len in [0, 1, 100, max - 1, max] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let mut w = store.writer(Placement::MayInline).unwrap();
            for piece in data.chunks(4096) {
                w.write(piece).await.unwrap();
            }
            let seg = w.commit().await.unwrap();
            assert!(seg.is_inline(), "{len} bytes");
            let sealed = seg.data.clone().unwrap();
            if len >= 64 {
                assert!(
                    !sealed.windows(64).any(|w| w == &data[..64]),
                    "plaintext kept"
                );
            }
            let segs = std::slice::from_ref(&seg);
            let len = len as u64;
            assert_eq!(collect(store.read_range(segs, 0, len).unwrap()).await, data);
            if len > 10 {
                assert_eq!(
                    collect(store.read_range(segs, 3, len - 2).unwrap()).await,
                    &data[3..data.len() - 2]
                );
            }
            // Freeing an inline segment touches no file; copying one may stay inline.
            store.remove(vec![seg.clone()]).await;
            let (copy, _) = store
                .copy_range(segs, 0, len, Placement::MayInline)
                .await
                .unwrap();
            assert!(copy.is_inline());
            let (file, _) = store
                .copy_range(segs, 0, len, Placement::File)
                .await
                .unwrap();
            assert!(!file.is_inline() && store.path(&file.id).unwrap().exists());
        }
        // One byte over the bound, or a part, is a file.
        let mut w = store.writer(Placement::MayInline).unwrap();
        w.write(&vec![7u8; max + 1]).await.unwrap();
        let big = w.commit().await.unwrap();
        assert!(!big.is_inline() && store.path(&big.id).unwrap().exists());
        let mut w = store.writer(Placement::File).unwrap();
        w.write(b"part").await.unwrap();
        assert!(!w.commit().await.unwrap().is_inline());
        // An inline segment whose bytes were not loaded is an error, not an empty body.
        let unloaded = Segment {
            data: None,
            ..Segment::inline(Bytes::new(), 3)
        };
        assert!(store.read_range(&[unloaded], 0, 3).is_err());
        // A writer that never reached its file leaves nothing to clean.
        let mut w = store.writer(Placement::MayInline).unwrap();
        w.write(b"dropped").await.unwrap();
        w.abort().await;
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
    }
}
