//! SQL of the server certificate records.

use crate::error::{Quota, ResourceKind, Result, StoreError};
use crate::server_certs::{
    SERVER_CERTIFICATES_PER_ACCOUNT, ServerCertificate, ServerCertificateChange,
    TAGS_PER_SERVER_CERTIFICATE,
};
use crate::sql::{Row, Tx, accounts, tags};

const COLUMNS: &str =
    "account_id, certificate_id, name, path, arn, body, chain, upload_date, expiration, tags";

fn certificate_from(row: &Row) -> Result<ServerCertificate> {
    Ok(ServerCertificate {
        account_id: row.text(0)?,
        certificate_id: row.text(1)?,
        name: row.text(2)?,
        path: row.text(3)?,
        arn: row.text(4)?,
        body: row.text(5)?,
        chain: row.opt_text(6)?,
        upload_date: row.time(7)?,
        expiration: row.time(8)?,
        tags: tags::from_json_column(row, 9, "server_certificates.tags")?,
    })
}

/// `NotFound(Account)`; `AlreadyExists(ServerCertificate)` for a name in use (names are
/// unique case-insensitively); `LimitExceeded(ServerCertificatesPerAccount)`.
pub(crate) async fn create(
    tx: &mut dyn Tx,
    c: &ServerCertificate,
    sealed_key: &str,
) -> Result<ServerCertificate> {
    accounts::require(tx, &c.account_id).await?;
    if tx
        .exists(
            "SELECT 1 FROM server_certificates WHERE account_id = $1 AND name_lower = $2",
            &params![&c.account_id, c.name.to_lowercase()],
        )
        .await?
    {
        return Err(StoreError::already_exists(
            ResourceKind::ServerCertificate,
            c.name.clone(),
        ));
    }
    tx.ensure_room(
        "SELECT COUNT(*) FROM server_certificates WHERE account_id = $1",
        &params![&c.account_id],
        Quota::ServerCertificatesPerAccount,
        SERVER_CERTIFICATES_PER_ACCOUNT,
    )
    .await?;
    let mut tags = c.tags.clone();
    tags.sort_by(|a, b| a.key.cmp(&b.key));
    tx.execute(
        "INSERT INTO server_certificates (certificate_id, account_id, name, name_lower, path, \
         arn, body, chain, upload_date, expiration, private_key_sealed, tags) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &params![
            &c.certificate_id,
            &c.account_id,
            &c.name,
            c.name.to_lowercase(),
            &c.path,
            &c.arn,
            &c.body,
            c.chain.clone(),
            c.upload_date,
            c.expiration,
            sealed_key,
            tags::to_json_column(&tags)?
        ],
    )
    .await?;
    get(tx, &c.account_id, &c.name).await
}

/// By name, case-insensitively. `NotFound(ServerCertificate)`.
pub(crate) async fn get(
    tx: &mut dyn Tx,
    account_id: &str,
    name: &str,
) -> Result<ServerCertificate> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM server_certificates WHERE account_id = $1 AND name_lower = $2"
            ),
            &params![account_id, name.to_lowercase()],
        )
        .await?
        .ok_or_else(|| StoreError::not_found(ResourceKind::ServerCertificate, name))?;
    certificate_from(&row)
}

/// Every certificate of the account whose path starts with `path_prefix`, by name.
pub(crate) async fn list(
    tx: &mut dyn Tx,
    account_id: &str,
    path_prefix: &str,
) -> Result<Vec<ServerCertificate>> {
    let all: Vec<ServerCertificate> = tx
        .query(
            &format!(
                "SELECT {COLUMNS} FROM server_certificates WHERE account_id = $1 ORDER BY name_lower"
            ),
            &params![account_id],
        )
        .await?
        .iter()
        .map(certificate_from)
        .collect::<Result<_>>()?;
    Ok(all
        .into_iter()
        .filter(|c| c.path.starts_with(path_prefix))
        .collect())
}

/// `(certificates in the account)`, for GetAccountSummary.
pub(crate) async fn count(tx: &mut dyn Tx, account_id: &str) -> Result<u32> {
    let row = tx
        .query_opt(
            "SELECT COUNT(*) FROM server_certificates WHERE account_id = $1",
            &params![account_id],
        )
        .await?;
    let n = match row {
        Some(r) => r.int(0)?,
        None => 0,
    };
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// `NotFound(ServerCertificate)`.
pub(crate) async fn delete(tx: &mut dyn Tx, account_id: &str, name: &str) -> Result<()> {
    let n = tx
        .execute(
            "DELETE FROM server_certificates WHERE account_id = $1 AND name_lower = $2",
            &params![account_id, name.to_lowercase()],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found(ResourceKind::ServerCertificate, name));
    }
    Ok(())
}

/// Applies `change` to the stored certificate and returns the result.
/// `NotFound(ServerCertificate)`; `AlreadyExists(ServerCertificate)` for a new name in use;
/// `LimitExceeded(TagsPerServerCertificate)`.
pub(crate) async fn update(
    tx: &mut dyn Tx,
    account_id: &str,
    name: &str,
    change: &ServerCertificateChange,
) -> Result<ServerCertificate> {
    let mut c = get(tx, account_id, name).await?;
    let old_name = c.name.clone();
    match change {
        ServerCertificateChange::Rename { new_name, new_path } => {
            if let Some(n) = new_name
                && !n.eq_ignore_ascii_case(&c.name)
                && tx
                    .exists(
                        "SELECT 1 FROM server_certificates WHERE account_id = $1 AND name_lower = $2",
                        &params![account_id, n.to_lowercase()],
                    )
                    .await?
            {
                return Err(StoreError::already_exists(
                    ResourceKind::ServerCertificate,
                    n.clone(),
                ));
            }
            if let Some(n) = new_name {
                c.name = n.clone();
            }
            if let Some(p) = new_path {
                c.path = p.clone();
            }
            let prefix = c
                .arn
                .split_once(":server-certificate/")
                .map(|(a, _)| a.to_owned())
                .unwrap_or_default();
            c.arn = format!("{prefix}:server-certificate{}{}", c.path, c.name);
        }
        ServerCertificateChange::Tag(new) => {
            tags::merge_into_record(
                &mut c.tags,
                new,
                TAGS_PER_SERVER_CERTIFICATE,
                Quota::TagsPerServerCertificate,
            )?;
        }
        ServerCertificateChange::Untag(keys) => c.tags.retain(|t| !keys.contains(&t.key)),
    }
    c.tags.sort_by(|a, b| a.key.cmp(&b.key));
    tx.execute(
        "UPDATE server_certificates SET name = $3, name_lower = $4, path = $5, arn = $6, tags = $7 \
         WHERE account_id = $1 AND name_lower = $2",
        &params![
            account_id,
            old_name.to_lowercase(),
            &c.name,
            c.name.to_lowercase(),
            &c.path,
            &c.arn,
            tags::to_json_column(&c.tags)?
        ],
    )
    .await?;
    Ok(c)
}
