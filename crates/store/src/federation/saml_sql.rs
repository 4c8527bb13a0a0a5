//! SQL of the SAML provider records.

use crate::error::{Quota, ResourceKind, Result};
use crate::federation::table::{ProviderTable, tags_column};
use crate::federation::{SAML_PROVIDERS_PER_ACCOUNT, SamlChange, SamlProvider};
use crate::sql::{Row, Tx, tags};

pub(crate) const TABLE: ProviderTable<SamlProvider> = ProviderTable {
    name: "saml_providers",
    columns: "account_id, arn, name, uuid, metadata, create_date, valid_until, tags",
    kind: ResourceKind::SamlProvider,
    quota: Quota::SamlProvidersPerAccount,
    per_account: SAML_PROVIDERS_PER_ACCOUNT,
    tag_quota: Quota::TagsPerSamlProvider,
    from_row: provider_from,
};

fn provider_from(row: &Row) -> Result<SamlProvider> {
    Ok(SamlProvider {
        account_id: row.text(0)?,
        arn: row.text(1)?,
        name: row.text(2)?,
        uuid: row.text(3)?,
        metadata: row.text(4)?,
        create_date: row.time(5)?,
        valid_until: row.time(6)?,
        tags: tags::from_json_column(row, 7, "saml_providers.tags")?,
    })
}

pub(crate) async fn create(tx: &mut dyn Tx, p: &SamlProvider) -> Result<SamlProvider> {
    TABLE
        .check_new(tx, &p.account_id, &p.arn, p.name.clone())
        .await?;
    tx.execute(
        "INSERT INTO saml_providers (account_id, arn, name, uuid, metadata, create_date, \
         valid_until, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &params![
            &p.account_id,
            &p.arn,
            &p.name,
            &p.uuid,
            &p.metadata,
            p.create_date,
            p.valid_until,
            tags_column(&mut p.tags.clone())?
        ],
    )
    .await?;
    TABLE.get(tx, &p.account_id, &p.arn).await
}

/// Applies `change` to the stored provider and returns the result.
pub(crate) async fn update(
    tx: &mut dyn Tx,
    account_id: &str,
    arn: &str,
    change: &SamlChange,
) -> Result<SamlProvider> {
    let mut p = TABLE.get(tx, account_id, arn).await?;
    match change {
        SamlChange::Metadata {
            document,
            valid_until,
        } => {
            p.metadata = document.clone();
            p.valid_until = *valid_until;
        }
        SamlChange::Tag(new) => TABLE.tag(&mut p.tags, new)?,
        SamlChange::Untag(keys) => p.tags.retain(|t| !keys.contains(&t.key)),
    }
    tx.execute(
        "UPDATE saml_providers SET metadata = $3, valid_until = $4, tags = $5 \
         WHERE account_id = $1 AND arn = $2",
        &params![
            account_id,
            arn,
            &p.metadata,
            p.valid_until,
            tags_column(&mut p.tags)?
        ],
    )
    .await?;
    Ok(p)
}
