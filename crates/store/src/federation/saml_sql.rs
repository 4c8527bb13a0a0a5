//! SQL of the SAML provider records.

use crate::error::{Quota, ResourceKind, Result, StoreError};
use crate::federation::{SAML_PROVIDERS_PER_ACCOUNT, SamlChange, SamlProvider, TAGS_PER_PROVIDER};
use crate::sql::{Row, Tx, accounts, tags};

const COLUMNS: &str = "account_id, arn, name, uuid, metadata, create_date, valid_until, tags";

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
    accounts::require(tx, &p.account_id).await?;
    if tx
        .exists(
            "SELECT 1 FROM saml_providers WHERE arn = $1",
            &params![&p.arn],
        )
        .await?
    {
        return Err(StoreError::already_exists(
            ResourceKind::SamlProvider,
            p.name.clone(),
        ));
    }
    tx.ensure_room(
        "SELECT COUNT(*) FROM saml_providers WHERE account_id = $1",
        &params![&p.account_id],
        Quota::SamlProvidersPerAccount,
        SAML_PROVIDERS_PER_ACCOUNT,
    )
    .await?;
    let mut tags = p.tags.clone();
    tags.sort_by(|a, b| a.key.cmp(&b.key));
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
            tags::to_json_column(&tags)?
        ],
    )
    .await?;
    get(tx, &p.account_id, &p.arn).await
}

pub(crate) async fn get(tx: &mut dyn Tx, account_id: &str, arn: &str) -> Result<SamlProvider> {
    let row = tx
        .query_opt(
            &format!("SELECT {COLUMNS} FROM saml_providers WHERE account_id = $1 AND arn = $2"),
            &params![account_id, arn],
        )
        .await?
        .ok_or_else(|| StoreError::not_found(ResourceKind::SamlProvider, arn))?;
    provider_from(&row)
}

pub(crate) async fn list(tx: &mut dyn Tx, account_id: &str) -> Result<Vec<SamlProvider>> {
    tx.query(
        &format!("SELECT {COLUMNS} FROM saml_providers WHERE account_id = $1 ORDER BY arn"),
        &params![account_id],
    )
    .await?
    .iter()
    .map(provider_from)
    .collect()
}

pub(crate) async fn delete(tx: &mut dyn Tx, account_id: &str, arn: &str) -> Result<()> {
    let n = tx
        .execute(
            "DELETE FROM saml_providers WHERE account_id = $1 AND arn = $2",
            &params![account_id, arn],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found(ResourceKind::SamlProvider, arn));
    }
    Ok(())
}

/// Applies `change` to the stored provider and returns the result.
pub(crate) async fn update(
    tx: &mut dyn Tx,
    account_id: &str,
    arn: &str,
    change: &SamlChange,
) -> Result<SamlProvider> {
    let mut p = get(tx, account_id, arn).await?;
    match change {
        SamlChange::Metadata {
            document,
            valid_until,
        } => {
            p.metadata = document.clone();
            p.valid_until = *valid_until;
        }
        SamlChange::Tag(new) => {
            tags::merge_into_record(
                &mut p.tags,
                new,
                TAGS_PER_PROVIDER,
                Quota::TagsPerSamlProvider,
            )?;
        }
        SamlChange::Untag(keys) => p.tags.retain(|t| !keys.contains(&t.key)),
    }
    p.tags.sort_by(|a, b| a.key.cmp(&b.key));
    tx.execute(
        "UPDATE saml_providers SET metadata = $3, valid_until = $4, tags = $5 \
         WHERE account_id = $1 AND arn = $2",
        &params![
            account_id,
            arn,
            &p.metadata,
            p.valid_until,
            tags::to_json_column(&p.tags)?
        ],
    )
    .await?;
    Ok(p)
}
