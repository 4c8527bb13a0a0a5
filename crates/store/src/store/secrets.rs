//! The Secrets Manager methods of [`Store`]: each is one transaction over
//! [`crate::secrets::sql`]. Values are sealed before the transaction starts and opened after
//! it ends, so no plaintext crosses into the SQL layer.

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use super::Store;
use crate::error::{Result, StoreError};
use crate::keyring::Secret;
use crate::secrets::sql::{self, SealedVersion};
use crate::secrets::{SecretRow, SecretValue, VersionRow, VersionWrite, value_aad};
use crate::sql::{Backend, tx_fn};

store_api! {
    /// A secret and its versions' metadata, by full ARN.
    read fn secret_get(account: &str, arn: &str) -> Option<(SecretRow, Vec<VersionRow>)>
        = |tx| sql::get(tx, &account, &arn);

    /// A secret and its versions' metadata, by name.
    read fn secret_by_name(account: &str, name: &str) -> Option<(SecretRow, Vec<VersionRow>)>
        = |tx| sql::by_name(tx, &account, &name);

    /// Every secret of the account (live and scheduled for deletion) with its versions.
    read fn secret_list(account: &str) -> Vec<(SecretRow, Vec<VersionRow>)>
        = |tx| sql::list(tx, &account);

    /// Removes a secret and every version; false when it did not exist.
    write fn secret_delete(arn: &str) -> bool = |tx| sql::delete(tx, &arn);
}

impl Store {
    fn seal_versions(&self, arn: &str, versions: &[VersionWrite]) -> Result<Vec<SealedVersion>> {
        versions
            .iter()
            .map(|v| {
                let value = match &v.value {
                    Some(value) => Some((
                        value.kind(),
                        self.keyring
                            .seal(value.bytes(), &value_aad(arn, &v.row.version_id))?,
                    )),
                    None => None,
                };
                Ok(SealedVersion {
                    row: v.row.clone(),
                    value,
                })
            })
            .collect()
    }

    /// Inserts a new secret and its first versions; `AlreadyExists` when the account has a
    /// secret of that name (live or scheduled for deletion).
    pub async fn secret_create(&self, row: &SecretRow, versions: &[VersionWrite]) -> Result<()> {
        let sealed = std::sync::Arc::new(self.seal_versions(&row.arn, versions)?);
        Ok(run!(self.write, [row, sealed], |tx| sql::create(
            tx, &row, &sealed
        ))?)
    }

    /// Writes a changed secret: its row (`row.revision` must be `expected + 1`), new or
    /// relabelled versions, and removed versions. `Conflict` when the stored revision is no
    /// longer `expected` (the caller reloads and retries); `NotFound` when it was deleted.
    pub async fn secret_save(
        &self,
        row: &SecretRow,
        expected: i64,
        upserts: &[VersionWrite],
        deletes: &[String],
    ) -> Result<()> {
        let sealed = std::sync::Arc::new(self.seal_versions(&row.arn, upserts)?);
        let deletes = deletes.to_vec();
        Ok(run!(self.write, [row, sealed, deletes], |tx| sql::save(
            tx, &row, expected, &sealed, &deletes
        ))?)
    }

    /// A version's value, opened; `None` when the version does not exist or has no value.
    pub async fn secret_value(&self, arn: &str, version_id: &str) -> Result<Option<SecretValue>> {
        let found = run!(self.read_single, [arn, version_id], |tx| sql::sealed_value(
            tx,
            &arn,
            &version_id
        ))?;
        let Some((kind, sealed)) = found else {
            return Ok(None);
        };
        let plain = self.keyring.open(&sealed, &value_aad(arn, version_id))?;
        Ok(Some(match kind.as_str() {
            "string" => {
                let text = std::str::from_utf8(&plain)
                    .map_err(|_| StoreError::corrupt("secret string is not UTF-8"))?;
                SecretValue::String(Secret::new(text))
            }
            "binary" => SecretValue::Binary(Zeroizing::new(plain.to_vec())),
            other => return Err(StoreError::corrupt(format!("secret value kind {other:?}"))),
        }))
    }

    /// Records that a version was read on `day` (midnight UTC).
    pub async fn secret_touch(
        &self,
        arn: &str,
        version_id: &str,
        day: DateTime<Utc>,
    ) -> Result<()> {
        let day = day.timestamp_millis();
        run!(self.write, [arn, version_id], |tx| sql::touch(
            tx,
            &arn,
            &version_id,
            day
        ))
    }

    /// Claims the most overdue secret with background work due at `now` for `owner` until
    /// `lease_until`; `None` when nothing is due or everything due is claimed elsewhere.
    pub async fn secret_claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        owner: &str,
    ) -> Result<Option<String>> {
        run!(self.write, [owner], |tx| sql::claim_due(
            tx,
            now,
            lease_until,
            &owner
        ))
    }

    /// Releases `owner`'s lease; with `hold_until`, nobody may claim the secret before then.
    pub async fn secret_release(
        &self,
        arn: &str,
        owner: &str,
        hold_until: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let hold = hold_until.map(|t| t.timestamp_millis());
        run!(self.write, [arn, owner], |tx| sql::release(
            tx, &arn, &owner, hold
        ))
    }

    /// Whether `owner`'s lease on `arn` is still valid at `now`.
    pub async fn secret_holds_lease(
        &self,
        arn: &str,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let now = now.timestamp_millis();
        run!(self.read_single, [arn, owner], |tx| sql::holds(
            tx, &arn, &owner, now
        ))
    }
}
