//! What the OIDC and SAML provider tables share: rows keyed by account and ARN, a quota of
//! providers per account, the same get, list and delete, and the same tag limit.

use crate::error::{Quota, ResourceKind, Result, StoreError};
use crate::federation::TAGS_PER_PROVIDER;
use crate::model::Tag;
use crate::sql::{Row, Tx, accounts, tags};

/// One provider table and how its rows read.
pub(crate) struct ProviderTable<T> {
    pub name: &'static str,
    pub columns: &'static str,
    pub kind: ResourceKind,
    pub quota: Quota,
    pub per_account: u32,
    /// The quota named when a TagX call would pass [`TAGS_PER_PROVIDER`].
    pub tag_quota: Quota,
    pub from_row: fn(&Row) -> Result<T>,
}

impl<T> ProviderTable<T> {
    /// Before an insert: the account exists, the ARN is free (`AlreadyExists` names the
    /// provider as AWS does, `shown`) and the account has room for one more.
    pub(crate) async fn check_new(
        &self,
        tx: &mut dyn Tx,
        account_id: &str,
        arn: &str,
        shown: String,
    ) -> Result<()> {
        accounts::require(tx, account_id).await?;
        if tx
            .exists(
                &format!("SELECT 1 FROM {} WHERE arn = $1", self.name),
                &params![arn],
            )
            .await?
        {
            return Err(StoreError::already_exists(self.kind, shown));
        }
        tx.ensure_room(
            &format!("SELECT COUNT(*) FROM {} WHERE account_id = $1", self.name),
            &params![account_id],
            self.quota,
            self.per_account,
        )
        .await
    }

    /// Adds or replaces `new` in a provider's tags (keys compare exactly, as AWS does for
    /// providers).
    pub(crate) fn tag(&self, tags: &mut Vec<Tag>, new: &[Tag]) -> Result<()> {
        tags::merge_into_record(tags, new, TAGS_PER_PROVIDER, self.tag_quota)
    }

    pub(crate) async fn get(&self, tx: &mut dyn Tx, account_id: &str, arn: &str) -> Result<T> {
        let row = tx
            .query_opt(
                &format!(
                    "SELECT {} FROM {} WHERE account_id = $1 AND arn = $2",
                    self.columns, self.name
                ),
                &params![account_id, arn],
            )
            .await?
            .ok_or_else(|| StoreError::not_found(self.kind, arn))?;
        (self.from_row)(&row)
    }

    /// Every provider of the account, ordered by ARN.
    pub(crate) async fn list(&self, tx: &mut dyn Tx, account_id: &str) -> Result<Vec<T>> {
        tx.query(
            &format!(
                "SELECT {} FROM {} WHERE account_id = $1 ORDER BY arn",
                self.columns, self.name
            ),
            &params![account_id],
        )
        .await?
        .iter()
        .map(self.from_row)
        .collect()
    }

    pub(crate) async fn delete(&self, tx: &mut dyn Tx, account_id: &str, arn: &str) -> Result<()> {
        let n = tx
            .execute(
                &format!(
                    "DELETE FROM {} WHERE account_id = $1 AND arn = $2",
                    self.name
                ),
                &params![account_id, arn],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::not_found(self.kind, arn));
        }
        Ok(())
    }
}

/// A provider's tags as its JSON column holds them: sorted by key, in place, so the record
/// returned after a write matches the one read back later.
pub(crate) fn tags_column(tags: &mut [Tag]) -> Result<String> {
    tags.sort_by(|a, b| a.key.cmp(&b.key));
    tags::to_json_column(tags)
}
