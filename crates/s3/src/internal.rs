//! Writes the server makes on its own behalf (audit log files delivered into a bucket):
//! the same metadata and data stores as PutObject, without a request to authorize.

use chrono::Utc;
use md5::{Digest, Md5};

use crate::S3Service;
use crate::meta::{Object, ObjectHeaders};

impl S3Service {
    /// The owner account and bucket policy of `bucket`, or `None` when it does not exist
    /// (CloudTrail's CreateTrail checks a trail's bucket with it).
    pub async fn bucket_owner_and_policy(
        &self,
        bucket: &str,
    ) -> Result<Option<(String, Option<String>)>, String> {
        Ok(self
            .bucket(bucket)
            .await
            .map_err(|e| format!("bucket {bucket}: {e}"))?
            .map(|b| (b.owner, b.policy)))
    }

    /// Puts `body` at `bucket`/`key` as the bucket's owner would, when `bucket` exists and
    /// is owned by `owner_account`. The error says why not, for the operator's log.
    pub async fn put_internal(
        &self,
        owner_account: &str,
        bucket: &str,
        key: &str,
        body: &[u8],
        headers: ObjectHeaders,
    ) -> Result<(), String> {
        let b = self
            .bucket(bucket)
            .await
            .map_err(|e| format!("bucket {bucket}: {e}"))?
            .ok_or_else(|| format!("bucket {bucket} does not exist"))?;
        if b.owner != owner_account {
            return Err(format!(
                "bucket {bucket} is not owned by account {owner_account}"
            ));
        }
        let mut writer = self
            .data
            .writer(crate::data::Placement::MayInline)
            .map_err(|e| format!("writing {bucket}/{key}: {e}"))?;
        if let Err(e) = writer.write(body).await {
            writer.abort().await;
            return Err(format!("writing {bucket}/{key}: {e}"));
        }
        let segment = writer
            .commit()
            .await
            .map_err(|e| format!("writing {bucket}/{key}: {e}"))?;
        let md5: [u8; 16] = Md5::digest(body).into();
        let obj = Object {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            size: segment.len,
            etag: crate::checksum::etag(&md5),
            modified: Utc::now(),
            headers,
            checksum: None,
            tags: Vec::new(),
            segments: vec![segment.clone()],
            parts: Vec::new(),
            version_id: crate::ops::new_object_version_id(),
            acl: None,
        };
        match self.meta.put_object(&obj).await {
            Ok(written) => {
                self.data.remove(written.freed).await;
                Ok(())
            }
            Err(e) => {
                self.data.remove(vec![segment]).await;
                Err(format!("writing {bucket}/{key}: {e}"))
            }
        }
    }
}
