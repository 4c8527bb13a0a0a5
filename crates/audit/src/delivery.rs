//! Continuous delivery of log files in CloudTrail's layout, for log shippers and SIEMs:
//! `DIR/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<id>.json.gz`,
//! each a gzip JSON `{"Records": [...]}` holding the records exactly as LookupEvents returns
//! them.
//!
//! Every interval the task reads the events committed since its cursor (a store setting, so
//! a restart resumes where it stopped), writes one file per account, region and day (to a
//! temporary name, fsync, rename), then advances the cursor. Delivery is at least once: a
//! crash between the rename and the cursor update delivers those events again in a new
//! file. Events younger than [`SETTLE`] wait for the next round, so a batch still in the
//! queue is not skipped.

use std::collections::BTreeMap;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use hourglass_store::{AuditEventRow, Store};
use serde_json::Value;

/// How old an event must be before it is delivered.
pub const SETTLE: Duration = Duration::from_secs(10);
const CURSOR_SETTING: &str = "audit.delivery.cursor";
const CHUNK: u32 = 10_000;

pub type PutFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Where log files go: a directory, or a bucket on the server (the server crate's, through
/// the S3 storage layer: the operator's `delivery_bucket` and every logging trail). Each
/// destination keeps its own cursor, so any number may be configured.
pub trait Destination: Send + Sync {
    /// The store setting holding this destination's position.
    fn cursor_setting(&self) -> String;
    /// Whether the event goes into this destination's files (a trail takes its account's
    /// events that its event selectors select); events not taken are skipped for good.
    fn accepts(&self, _row: &AuditEventRow) -> bool {
        true
    }
    /// Writes one file, whole or not at all, at `key` (`AWSLogs/…/….json.gz`).
    fn put<'a>(&'a self, key: &'a str, gz: Vec<u8>) -> PutFuture<'a>;
}

/// Files under a directory: written to a temporary name, synced and renamed, so a reader
/// never sees a partial file.
pub struct Directory(pub PathBuf);

impl Destination for Directory {
    fn cursor_setting(&self) -> String {
        CURSOR_SETTING.to_owned()
    }

    fn put<'a>(&'a self, key: &'a str, gz: Vec<u8>) -> PutFuture<'a> {
        Box::pin(async move { write_file(&self.0, key, &gz) })
    }
}

fn write_file(dir: &Path, key: &str, gz: &[u8]) -> Result<(), String> {
    let path = dir.join(key);
    let folder = path.parent().unwrap_or(dir);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::fs::create_dir_all(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let tmp = folder.join(format!(".{name}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(gz)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| format!("{}: {e}", tmp.display()))
}

/// The setting value of a position: a destination created at `ms` starts there (events
/// before it are not its own).
pub fn cursor_text(c: &(i64, String)) -> String {
    format!("{}/{}", c.0, c.1)
}

fn parse_cursor(s: &str) -> Option<(i64, String)> {
    let (t, id) = s.split_once('/')?;
    Some((t.parse().ok()?, id.to_owned()))
}

/// Delivers every settled event after the cursor; returns how many files were written.
pub async fn deliver_once(
    store: &Store,
    dest: &dyn Destination,
    now_ms: i64,
) -> Result<usize, String> {
    let until = now_ms.saturating_sub(i64::try_from(SETTLE.as_millis()).unwrap_or(i64::MAX));
    let mut cursor = store
        .get_setting(&dest.cursor_setting())
        .await
        .map_err(|e| e.to_string())?
        .and_then(|s| parse_cursor(&s));
    let mut files = 0;
    loop {
        let rows = store
            .audit_events_after(cursor.clone(), until, CHUNK)
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = rows.last() else { break };
        let next = (last.event_time_ms, last.event_id.clone());
        let taken: Vec<AuditEventRow> = rows.iter().filter(|r| dest.accepts(r)).cloned().collect();
        files += write_files(dest, &taken, now_ms).await?;
        store
            .put_setting(&dest.cursor_setting(), &cursor_text(&next))
            .await
            .map_err(|e| e.to_string())?;
        cursor = Some(next);
        if rows.len() < CHUNK as usize {
            break;
        }
    }
    Ok(files)
}

async fn write_files(
    dest: &dyn Destination,
    rows: &[AuditEventRow],
    now_ms: i64,
) -> Result<usize, String> {
    // (account, region, day) → records.
    let mut groups: BTreeMap<(String, String, String), Vec<Value>> = BTreeMap::new();
    for r in rows {
        let record: Value = serde_json::from_str(&r.record).map_err(|e| e.to_string())?;
        let region = record["awsRegion"]
            .as_str()
            .unwrap_or("us-east-1")
            .to_owned();
        let day = chrono::DateTime::from_timestamp_millis(r.event_time_ms)
            .unwrap_or_default()
            .format("%Y/%m/%d")
            .to_string();
        groups
            .entry((r.account_id.clone(), region, day))
            .or_default()
            .push(record);
    }
    let stamp = chrono::DateTime::from_timestamp_millis(now_ms)
        .unwrap_or_default()
        .format("%Y%m%dT%H%MZ")
        .to_string();
    let n = groups.len();
    for ((account, region, day), records) in groups {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let key = format!(
            "AWSLogs/{account}/CloudTrail/{region}/{day}/{account}_CloudTrail_{region}_{stamp}_{}.json.gz",
            &id[..16]
        );
        let body = serde_json::json!({ "Records": records }).to_string();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(body.as_bytes())
            .and_then(|()| gz.try_finish())
            .map_err(|e| format!("{key}: {e}"))?;
        let gz = gz.finish().map_err(|e| format!("{key}: {e}"))?;
        dest.put(&key, gz).await?;
    }
    Ok(n)
}

/// Delivers every `interval` until aborted.
pub async fn run(store: Arc<Store>, dest: Arc<dyn Destination>, interval: Duration) {
    loop {
        tokio::time::sleep(interval).await;
        let now = chrono::Utc::now().timestamp_millis();
        match deliver_once(&store, dest.as_ref(), now).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(files = n, "audit log files delivered"),
            Err(e) => tracing::error!(error = %e, "audit log delivery failed; will retry"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::Read;

    use super::*;

    fn row(i: i64, account: &str) -> AuditEventRow {
        AuditEventRow {
            event_id: format!("e{i:03}"),
            account_id: account.into(),
            event_time_ms: 1_764_000_000_000 + i,
            event_name: "ListUsers".into(),
            event_source: "iam.amazonaws.com".into(),
            read_only: true,
            management: true,
            access_key_id: None,
            username: None,
            origin_key_id: None,
            resources: vec![],
            record: format!("{{\"eventID\":\"e{i:03}\",\"awsRegion\":\"us-east-1\"}}"),
        }
    }

    #[tokio::test]
    async fn files_follow_cloudtrails_layout_and_each_event_goes_once() {
        let dir = tempfile::tempdir().unwrap();
        let ring = Arc::new(hourglass_store::KeyRing::generate("k1").unwrap());
        let store = Store::open(dir.path().join("db"), ring).await.unwrap();
        let out = dir.path().join("logs");
        let dest = Directory(out.clone());
        store
            .append_audit_events(Arc::new(vec![
                row(1, "111111111111"),
                row(2, "222222222222"),
                row(3, "111111111111"),
            ]))
            .await
            .unwrap();
        let now = 1_764_000_000_000 + 60_000;
        assert_eq!(deliver_once(&store, &dest, now).await.unwrap(), 2);
        // Nothing new: nothing delivered again.
        assert_eq!(deliver_once(&store, &dest, now).await.unwrap(), 0);
        let folder = out.join("AWSLogs/111111111111/CloudTrail/us-east-1/2025/11/24");
        let files: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("111111111111_CloudTrail_us-east-1_20251124T"),
            "{name}"
        );
        assert!(name.ends_with(".json.gz"));
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&files[0]).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        let ids: Vec<&str> = v["Records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["eventID"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["e001", "e003"]);
        // A later event goes into a new file; unsettled ones wait.
        store
            .append_audit_events(Arc::new(vec![row(70_000, "111111111111")]))
            .await
            .unwrap();
        assert_eq!(deliver_once(&store, &dest, now).await.unwrap(), 0);
        assert_eq!(deliver_once(&store, &dest, now + 60_000).await.unwrap(), 1);
    }
}
