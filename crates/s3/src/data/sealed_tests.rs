//! The encrypted file format through [`DataStore`]: round trips, ranges on every chunk
//! boundary, tampering, truncation, key rotation and files written before encryption.
#![allow(clippy::unwrap_used)]

use futures_util::StreamExt;

use super::*;

const C: usize = sealed::CHUNK;

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8 ^ (i / 251) as u8).collect()
}

async fn read(
    store: &DataStore,
    segs: &[Segment],
    start: u64,
    end: u64,
) -> std::io::Result<Vec<u8>> {
    let s = store.read_range(segs, start, end)?;
    futures_util::pin_mut!(s);
    let mut out = Vec::new();
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c?);
    }
    Ok(out)
}

async fn put(store: &DataStore, data: &[u8], piece: usize) -> Segment {
    let mut w = store.writer(Placement::File).unwrap();
    for p in data.chunks(piece.max(1)) {
        w.write(p).await.unwrap();
    }
    w.commit().await.unwrap()
}

fn store(dir: &tempfile::TempDir, ring: &Arc<KeyRing>) -> DataStore {
    DataStore::open(dir.path(), Arc::clone(ring)).unwrap()
}

#[tokio::test]
async fn round_trips_every_size_around_chunk_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let ring = Arc::new(KeyRing::generate("k1").unwrap());
    let store = store(&dir, &ring);
    for len in [0, 1, C - 1, C, C + 1, 2 * C, 3 * C + 5] {
        for piece in [7, C, 3 * C + 11] {
            let data = pattern(len);
            let seg = put(&store, &data, piece).await;
            assert!(seg.id.ends_with(sealed::MARKER));
            assert_eq!(seg.len, len as u64);
            let on_disk = std::fs::read(store.path(&seg.id).unwrap()).unwrap();
            let chunks = sealed::chunk_count(len as u64) as usize;
            assert!(on_disk.len() > len + chunks * sealed::TAG);
            if len >= 64 {
                assert!(
                    !on_disk.windows(64).any(|w| w == &data[..64]),
                    "plaintext on disk"
                );
            }
            assert_eq!(
                read(&store, std::slice::from_ref(&seg), 0, len as u64)
                    .await
                    .unwrap(),
                data
            );
        }
    }
}

#[tokio::test]
async fn ranges_on_every_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let ring = Arc::new(KeyRing::generate("k1").unwrap());
    let store = store(&dir, &ring);
    let len = 3 * C + 100;
    let data = pattern(len);
    let seg = put(&store, &data, 1000).await;
    let segs = [seg];
    let mut points = vec![0, 1, len - 1, len];
    for k in 1..=3 {
        points.extend([k * C - 1, k * C, k * C + 1]);
    }
    for &a in &points {
        for &b in &points {
            if a < b {
                let got = read(&store, &segs, a as u64, b as u64).await.unwrap();
                assert_eq!(got, &data[a..b], "range {a}..{b}");
            }
        }
    }
    // Several encrypted segments (a multipart object), a range spanning them.
    let second = pattern(C + 3);
    let seg2 = put(&store, &second, C).await;
    let segs = [segs[0].clone(), seg2];
    let mut all = data.clone();
    all.extend_from_slice(&second);
    let got = read(&store, &segs, (len - 5) as u64, (len + C + 1) as u64)
        .await
        .unwrap();
    assert_eq!(got, &all[len - 5..len + C + 1]);
    // A copy re-encrypts under a new file key and reads back the same bytes.
    let (copy, md5) = store
        .copy_range(&segs, 10, (len + 20) as u64, Placement::File)
        .await
        .unwrap();
    assert_ne!(copy.id, segs[0].id);
    assert_eq!(copy.len, (len + 10) as u64);
    let got = read(&store, std::slice::from_ref(&copy), 0, copy.len)
        .await
        .unwrap();
    assert_eq!(got, &all[10..len + 20]);
    use md5::Digest;
    assert_eq!(md5, <[u8; 16]>::from(md5::Md5::digest(&all[10..len + 20])));
}

#[tokio::test]
async fn tampering_and_truncation_fail_the_read() {
    let dir = tempfile::tempdir().unwrap();
    let ring = Arc::new(KeyRing::generate("k1").unwrap());
    let store = store(&dir, &ring);
    let len = 2 * C + 10;
    let data = pattern(len);
    for damage in 0..5 {
        let seg = put(&store, &data, C).await;
        let path = store.path(&seg.id).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let header = bytes.len() - len - 3 * sealed::TAG;
        match damage {
            0 => bytes[header + C + 20] ^= 1,                    // a body byte
            1 => bytes[header - 3] ^= 1,                         // the sealed key
            2 => bytes.truncate(header + 2 * (C + sealed::TAG)), // cut at a chunk boundary
            3 => bytes.truncate(bytes.len() - 1),                // cut inside the last tag
            _ => bytes.push(0),                                  // grown
        }
        std::fs::write(&path, &bytes).unwrap();
        let segs = [seg];
        assert!(
            read(&store, &segs, 0, len as u64).await.is_err(),
            "damage {damage}"
        );
        if damage != 1 {
            // The intact first chunk still reads alone; the damaged part never does.
            assert_eq!(read(&store, &segs, 0, 10).await.unwrap(), &data[..10]);
            assert!(
                read(&store, &segs, (2 * C) as u64, len as u64)
                    .await
                    .is_err()
                    || damage == 0
            );
        }
    }
    // Chunks moved around inside a file fail too.
    let seg = put(&store, &data, C).await;
    let path = store.path(&seg.id).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let header = bytes.len() - len - 3 * sealed::TAG;
    let first: Vec<u8> = bytes[header..header + C + sealed::TAG].to_vec();
    let second: Vec<u8> = bytes[header + C + sealed::TAG..header + 2 * (C + sealed::TAG)].to_vec();
    bytes[header..header + C + sealed::TAG].copy_from_slice(&second);
    bytes[header + C + sealed::TAG..header + 2 * (C + sealed::TAG)].copy_from_slice(&first);
    std::fs::write(&path, &bytes).unwrap();
    assert!(read(&store, &[seg], 0, 10).await.is_err());
}

#[tokio::test]
async fn rotated_ring_reads_old_files_and_a_foreign_ring_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let k1 = [7u8; 32];
    let old = Arc::new(KeyRing::from_keys(vec![("k1".into(), k1)], "k1").unwrap());
    let data = pattern(C + 9);
    let seg = put(&store(&dir, &old), &data, C).await;
    let rotated = Arc::new(
        KeyRing::from_keys(vec![("k1".into(), k1), ("k2".into(), [9u8; 32])], "k2").unwrap(),
    );
    let store2 = store(&dir, &rotated);
    assert_eq!(
        read(&store2, std::slice::from_ref(&seg), 0, data.len() as u64)
            .await
            .unwrap(),
        data
    );
    let seg2 = put(&store2, &data, C).await;
    assert_eq!(read(&store2, &[seg2], 0, 5).await.unwrap(), &data[..5]);
    let foreign = Arc::new(KeyRing::generate("k1").unwrap());
    assert!(read(&store(&dir, &foreign), &[seg], 0, 5).await.is_err());
}

#[tokio::test]
async fn files_written_before_encryption_read_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let ring = Arc::new(KeyRing::generate("k1").unwrap());
    let store = store(&dir, &ring);
    let id = uuid::Uuid::new_v4().simple().to_string();
    let data = pattern(3 * C + 7);
    let path = store.path(&id).unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &data).unwrap();
    let legacy = Segment::file(id, data.len() as u64);
    let enc = put(&store, &data, C).await;
    let segs = [legacy.clone(), enc];
    let got = read(&store, &segs, (C - 1) as u64, (data.len() + C + 1) as u64)
        .await
        .unwrap();
    let mut all = data.clone();
    all.extend_from_slice(&data);
    assert_eq!(got, &all[C - 1..data.len() + C + 1]);
    // The sweep keeps referenced files of both kinds.
    let referenced = segs.iter().map(|s| s.id.clone()).collect();
    let future = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    assert_eq!(store.sweep(referenced, future).await.unwrap(), 0);
    assert!(store.path(&"a".repeat(8)).is_ok());
    assert!(
        store
            .path(&format!("{}{}", "../../x", sealed::MARKER))
            .is_err()
    );
    assert!(store.path(sealed::MARKER).is_err());
}
