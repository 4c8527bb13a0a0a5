//! SQL of the federation records.

use crate::error::{Quota, ResourceKind, Result, StoreError};
use crate::federation::table::{ProviderTable, tags_column};
use crate::federation::{
    CLIENT_IDS_PER_PROVIDER, OIDC_PROVIDERS_PER_ACCOUNT, OidcChange, OidcProvider,
};
use crate::sql::{Row, Tx, tags};

pub(crate) const TABLE: ProviderTable<OidcProvider> = ProviderTable {
    name: "oidc_providers",
    columns: "account_id, arn, url, client_ids, thumbprints, create_date, tags",
    kind: ResourceKind::OidcProvider,
    quota: Quota::OpenIdConnectProvidersPerAccount,
    per_account: OIDC_PROVIDERS_PER_ACCOUNT,
    tag_quota: Quota::TagsPerOpenIdConnectProvider,
    from_row: provider_from,
};

fn json_list<T: serde::de::DeserializeOwned>(row: &Row, i: usize) -> Result<Vec<T>> {
    serde_json::from_str(&row.text(i)?)
        .map_err(|e| StoreError::corrupt(format!("column {i}: bad JSON list: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(format!("cannot encode list: {e}")))
}

fn provider_from(row: &Row) -> Result<OidcProvider> {
    Ok(OidcProvider {
        account_id: row.text(0)?,
        arn: row.text(1)?,
        url: row.text(2)?,
        client_ids: json_list(row, 3)?,
        thumbprints: json_list(row, 4)?,
        create_date: row.time(5)?,
        tags: tags::from_json_column(row, 6, "oidc_providers.tags")?,
    })
}

pub(crate) async fn create(tx: &mut dyn Tx, p: &OidcProvider) -> Result<OidcProvider> {
    let shown = format!("https://{}", p.url);
    TABLE.check_new(tx, &p.account_id, &p.arn, shown).await?;
    tx.execute(
        "INSERT INTO oidc_providers (account_id, arn, url, client_ids, thumbprints, \
         create_date, tags) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &params![
            &p.account_id,
            &p.arn,
            &p.url,
            to_json(&p.client_ids)?,
            to_json(&p.thumbprints)?,
            p.create_date,
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
    change: &OidcChange,
) -> Result<OidcProvider> {
    let mut p = TABLE.get(tx, account_id, arn).await?;
    match change {
        OidcChange::AddClientId(id) => {
            if !p.client_ids.contains(id) {
                if p.client_ids.len() >= CLIENT_IDS_PER_PROVIDER {
                    return Err(StoreError::LimitExceeded {
                        quota: Quota::ClientIdsPerOpenIdConnectProvider,
                        limit: u32::try_from(CLIENT_IDS_PER_PROVIDER).unwrap_or(u32::MAX),
                    });
                }
                p.client_ids.push(id.clone());
            }
        }
        OidcChange::RemoveClientId(id) => p.client_ids.retain(|c| c != id),
        OidcChange::SetThumbprints(t) => p.thumbprints = t.clone(),
        OidcChange::Tag(new) => TABLE.tag(&mut p.tags, new)?,
        OidcChange::Untag(keys) => p.tags.retain(|t| !keys.contains(&t.key)),
    }
    tx.execute(
        "UPDATE oidc_providers SET client_ids = $3, thumbprints = $4, tags = $5 \
         WHERE account_id = $1 AND arn = $2",
        &params![
            account_id,
            arn,
            to_json(&p.client_ids)?,
            to_json(&p.thumbprints)?,
            tags_column(&mut p.tags)?
        ],
    )
    .await?;
    Ok(p)
}
