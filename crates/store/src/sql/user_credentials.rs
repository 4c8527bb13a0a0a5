//! Signing certificates, SSH public keys and service-specific credentials of users: one
//! table, a `kind` column, AWS's per-user quotas.

use crate::error::{Quota, ResourceKind, Result, StoreError};
use crate::model::EntityKind;
use crate::records::{CredentialKind, NewUserCredential, UserCredential};
use crate::sql::{Row, Tx, Val, entities};

const COLUMNS: &str = "credential_id, status, body, fingerprint, service_name, \
     service_user_name, upload_date";

fn from_row(row: &Row, kind: CredentialKind, user_name: &str) -> Result<UserCredential> {
    Ok(UserCredential {
        kind,
        credential_id: row.text(0)?,
        user_name: user_name.to_owned(),
        status: row.text(1)?,
        body: row.text(2)?,
        fingerprint: row.opt_text(3)?,
        service_name: row.opt_text(4)?,
        service_user_name: row.opt_text(5)?,
        upload_date: row.time(6)?,
    })
}

fn quota(kind: CredentialKind) -> (Quota, u32) {
    match kind {
        CredentialKind::SigningCertificate => (Quota::SigningCertificatesPerUser, 2),
        CredentialKind::SshPublicKey => (Quota::SSHPublicKeysPerUser, 5),
        CredentialKind::ServiceSpecific => (Quota::ServiceSpecificCredentialsPerUserPerService, 2),
    }
}

pub(crate) async fn create(
    tx: &mut dyn Tx,
    c: &NewUserCredential,
    sealed: Option<&str>,
) -> Result<UserCredential> {
    let (user_id, user_name) =
        entities::id_by_name(tx, &c.account_id, EntityKind::User, &c.user_name).await?;
    if let Some(fp) = &c.fingerprint
        && tx
            .exists(
                "SELECT 1 FROM user_credentials WHERE user_id = $1 AND kind = $2 AND fingerprint = $3",
                &params![&user_id, c.kind.as_str(), fp],
            )
            .await?
    {
        return Err(StoreError::already_exists(
            ResourceKind::UserCredential(c.kind),
            &c.credential_id,
        ));
    }
    let (quota, limit) = quota(c.kind);
    tx.ensure_room(
        "SELECT COUNT(*) FROM user_credentials WHERE user_id = $1 AND kind = $2 \
         AND COALESCE(service_name, '') = $3",
        &params![
            &user_id,
            c.kind.as_str(),
            c.service_name.as_deref().unwrap_or("")
        ],
        quota,
        limit,
    )
    .await?;
    tx.execute(
        "INSERT INTO user_credentials (credential_id, account_id, user_id, kind, status, body, \
         fingerprint, service_name, service_user_name, secret_sealed, upload_date) \
         VALUES ($1, $2, $3, $4, 'Active', $5, $6, $7, $8, $9, $10)",
        &params![
            &c.credential_id,
            &c.account_id,
            &user_id,
            c.kind.as_str(),
            &c.body,
            c.fingerprint.as_deref(),
            c.service_name.as_deref(),
            c.service_user_name.as_deref(),
            sealed,
            c.upload_date
        ],
    )
    .await?;
    get(tx, &c.account_id, &user_name, c.kind, &c.credential_id).await
}

pub(crate) async fn get(
    tx: &mut dyn Tx,
    account_id: &str,
    user: &str,
    kind: CredentialKind,
    id: &str,
) -> Result<UserCredential> {
    let (user_id, user_name) = entities::id_by_name(tx, account_id, EntityKind::User, user).await?;
    let row = tx
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM user_credentials \
                 WHERE user_id = $1 AND kind = $2 AND credential_id = $3"
            ),
            &params![&user_id, kind.as_str(), id],
        )
        .await?
        .ok_or_else(|| StoreError::not_found(ResourceKind::UserCredential(kind), id))?;
    from_row(&row, kind, &user_name)
}

/// The sealed secret of a service-specific credential.
pub(crate) async fn sealed_secret(
    tx: &mut dyn Tx,
    account_id: &str,
    user: &str,
    id: &str,
) -> Result<Option<String>> {
    let (user_id, _) = entities::id_by_name(tx, account_id, EntityKind::User, user).await?;
    let row = tx
        .query_opt(
            "SELECT secret_sealed FROM user_credentials WHERE user_id = $1 AND credential_id = $2",
            &params![&user_id, id],
        )
        .await?;
    match row {
        Some(r) => r.opt_text(0),
        None => Ok(None),
    }
}

pub(crate) async fn list(
    tx: &mut dyn Tx,
    account_id: &str,
    user: &str,
    kind: CredentialKind,
    service: Option<&str>,
) -> Result<Vec<UserCredential>> {
    let (user_id, user_name) = entities::id_by_name(tx, account_id, EntityKind::User, user).await?;
    let mut sql =
        format!("SELECT {COLUMNS} FROM user_credentials WHERE user_id = $1 AND kind = $2");
    let mut params: Vec<Val> = Vec::from(params![&user_id, kind.as_str()]);
    if let Some(s) = service {
        params.push(s.into());
        sql.push_str(" AND service_name = $3");
    }
    sql.push_str(" ORDER BY upload_date, credential_id");
    tx.query(&sql, &params)
        .await?
        .iter()
        .map(|r| from_row(r, kind, &user_name))
        .collect()
}

pub(crate) async fn set_status(
    tx: &mut dyn Tx,
    account_id: &str,
    user: &str,
    kind: CredentialKind,
    id: &str,
    status: &str,
) -> Result<()> {
    let found = get(tx, account_id, user, kind, id).await?;
    tx.execute(
        "UPDATE user_credentials SET status = $1 WHERE credential_id = $2",
        &params![status, &found.credential_id],
    )
    .await?;
    Ok(())
}

pub(crate) async fn set_secret(
    tx: &mut dyn Tx,
    account_id: &str,
    user: &str,
    id: &str,
    sealed: &str,
) -> Result<UserCredential> {
    let found = get(tx, account_id, user, CredentialKind::ServiceSpecific, id).await?;
    tx.execute(
        "UPDATE user_credentials SET secret_sealed = $1 WHERE credential_id = $2",
        &params![sealed, &found.credential_id],
    )
    .await?;
    Ok(found)
}

pub(crate) async fn delete(
    tx: &mut dyn Tx,
    account_id: &str,
    user: &str,
    kind: CredentialKind,
    id: &str,
) -> Result<()> {
    let found = get(tx, account_id, user, kind, id).await?;
    tx.execute(
        "DELETE FROM user_credentials WHERE credential_id = $1",
        &params![&found.credential_id],
    )
    .await?;
    Ok(())
}
