//! Virtual MFA devices: creation with a sealed seed, enabling for a user, the newest
//! accepted TOTP time step (replay protection), listing, and their tags (in the `tags`
//! table under the serial number).

use chrono::{DateTime, Utc};

use crate::error::{DeleteConflict, Quota, ResourceKind, Result, StoreError};
use crate::model::{EntityKind, Page, PageRequest, Quotas};
use crate::records::{MfaAssignment, MfaDevice, NewMfaDevice};
use crate::sql::{Row, Tx, Val, accounts, entities, paging, tags, users};

/// AWS's quota of MFA devices per user.
pub(crate) const DEVICES_PER_USER: u32 = 8;

const COLUMNS: &str =
    "d.serial, d.account_id, d.name, d.path, d.create_date, d.user_id, d.enable_date";

async fn complete(tx: &mut dyn Tx, rows: &[Row]) -> Result<Vec<MfaDevice>> {
    let serials = rows.iter().map(|r| r.text(0)).collect::<Result<Vec<_>>>()?;
    let mut all_tags = tags::load_many(tx, &serials).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let account_id = row.text(1)?;
        let user = match row.opt_text(5)? {
            Some(id) => Some(users::get_by_id(tx, &account_id, &id).await?),
            None => None,
        };
        let serial = row.text(0)?;
        out.push(MfaDevice {
            tags: all_tags.remove(&serial).unwrap_or_default(),
            serial,
            account_id,
            name: row.text(2)?,
            path: row.text(3)?,
            create_date: row.time(4)?,
            user,
            enable_date: row.opt_time(6)?,
        });
    }
    Ok(out)
}

/// `sealed_seed` is `device.seed` sealed by the key ring; the clear seed is not written.
pub(crate) async fn create(
    tx: &mut dyn Tx,
    quotas: &Quotas,
    device: &NewMfaDevice,
    sealed_seed: &str,
) -> Result<MfaDevice> {
    let NewMfaDevice {
        account_id,
        serial,
        name,
        path,
        create_date,
        tags: new_tags,
        ..
    } = device;
    accounts::require(tx, account_id).await?;
    if tx
        .exists(
            "SELECT 1 FROM mfa_devices WHERE serial = $1",
            &params![serial],
        )
        .await?
    {
        return Err(StoreError::already_exists(ResourceKind::MfaDevice, serial));
    }
    tx.execute(
        "INSERT INTO mfa_devices (serial, account_id, name, path, seed_sealed, create_date, \
         last_step) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &params![
            serial,
            account_id,
            name,
            path,
            sealed_seed,
            *create_date,
            0i64
        ],
    )
    .await?;
    tags::put(tx, quotas, serial, new_tags, tags::MFA_DEVICE).await?;
    get(tx, account_id, serial).await
}

pub(crate) async fn get(tx: &mut dyn Tx, account_id: &str, serial: &str) -> Result<MfaDevice> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM mfa_devices d WHERE d.account_id = $1 AND d.serial = $2"
            ),
            &params![account_id, serial],
        )
        .await?
        .ok_or_else(|| StoreError::not_found(ResourceKind::MfaDevice, serial))?;
    complete(tx, &[row])
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found(ResourceKind::MfaDevice, serial))
}

/// The device must be in the account. `NotFound(MfaDevice)`.
pub(crate) async fn require(tx: &mut dyn Tx, account_id: &str, serial: &str) -> Result<()> {
    if !tx
        .exists(
            "SELECT 1 FROM mfa_devices WHERE account_id = $1 AND serial = $2",
            &params![account_id, serial],
        )
        .await?
    {
        return Err(StoreError::not_found(ResourceKind::MfaDevice, serial));
    }
    Ok(())
}

/// The sealed seed and the newest accepted time step. `NotFound(MfaDevice)`.
pub(crate) async fn seed(tx: &mut dyn Tx, account_id: &str, serial: &str) -> Result<(String, i64)> {
    let row = tx
        .query_opt(
            "SELECT seed_sealed, last_step FROM mfa_devices WHERE account_id = $1 AND serial = $2",
            &params![account_id, serial],
        )
        .await?
        .ok_or_else(|| StoreError::not_found(ResourceKind::MfaDevice, serial))?;
    Ok((row.text(0)?, row.int(1)?))
}

/// Enables an unassigned device for a user, with `step` as its newest accepted step.
/// `NotFound(User | MfaDevice)`; `AlreadyExists(MfaDevice)` when it is already enabled;
/// `LimitExceeded(MFADevicesPerUser)`.
pub(crate) async fn enable(
    tx: &mut dyn Tx,
    account_id: &str,
    user: &str,
    serial: &str,
    at: DateTime<Utc>,
    step: i64,
) -> Result<()> {
    let (user_id, _) = entities::id_by_name(tx, account_id, EntityKind::User, user).await?;
    let device = get(tx, account_id, serial).await?;
    if device.user.is_some() {
        return Err(StoreError::already_exists(ResourceKind::MfaDevice, serial));
    }
    tx.ensure_room(
        "SELECT COUNT(*) FROM mfa_devices WHERE user_id = $1",
        &params![&user_id],
        Quota::MFADevicesPerUser,
        DEVICES_PER_USER,
    )
    .await?;
    tx.execute(
        "UPDATE mfa_devices SET user_id = $1, enable_date = $2, last_step = $3 \
         WHERE serial = $4 AND user_id IS NULL",
        &params![&user_id, at, step, serial],
    )
    .await?;
    Ok(())
}

/// The id of the user the device is enabled for must be `user`'s. `NotFound(User |
/// MfaDevice)`.
async fn owned(tx: &mut dyn Tx, account_id: &str, user: &str, serial: &str) -> Result<()> {
    let (user_id, _) = entities::id_by_name(tx, account_id, EntityKind::User, user).await?;
    if !tx
        .exists(
            "SELECT 1 FROM mfa_devices WHERE account_id = $1 AND serial = $2 AND user_id = $3",
            &params![account_id, serial, &user_id],
        )
        .await?
    {
        return Err(StoreError::not_found(ResourceKind::MfaDevice, serial));
    }
    Ok(())
}

pub(crate) async fn deactivate(
    tx: &mut dyn Tx,
    account_id: &str,
    user: &str,
    serial: &str,
) -> Result<()> {
    owned(tx, account_id, user, serial).await?;
    tx.execute(
        "UPDATE mfa_devices SET user_id = NULL, enable_date = NULL WHERE serial = $1",
        &params![serial],
    )
    .await?;
    Ok(())
}

/// ResyncMFADevice: the device's newest accepted step becomes `step`.
pub(crate) async fn resync(
    tx: &mut dyn Tx,
    account_id: &str,
    user: &str,
    serial: &str,
    step: i64,
) -> Result<()> {
    owned(tx, account_id, user, serial).await?;
    tx.execute(
        "UPDATE mfa_devices SET last_step = $1 WHERE serial = $2",
        &params![step, serial],
    )
    .await?;
    Ok(())
}

/// Records `step` as used, only if it is newer than every step used before: false means
/// the code was already spent (a replay), whoever raced to it first.
pub(crate) async fn advance(
    tx: &mut dyn Tx,
    account_id: &str,
    serial: &str,
    step: i64,
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE mfa_devices SET last_step = $1 \
             WHERE account_id = $2 AND serial = $3 AND last_step < $1 AND user_id IS NOT NULL",
            &params![step, account_id, serial],
        )
        .await?;
    Ok(n > 0)
}

/// `NotFound(MfaDevice)`; `DeleteConflict(MfaDeviceInUse)` while enabled.
pub(crate) async fn delete(tx: &mut dyn Tx, account_id: &str, serial: &str) -> Result<()> {
    let device = get(tx, account_id, serial).await?;
    if device.user.is_some() {
        return Err(StoreError::DeleteConflict(DeleteConflict::MfaDeviceInUse));
    }
    tags::remove_all(tx, serial).await?;
    tx.execute(
        "DELETE FROM mfa_devices WHERE serial = $1",
        &params![serial],
    )
    .await?;
    Ok(())
}

/// Devices of a user (`Some(name)`) or virtual devices by assignment, ordered by serial.
pub(crate) async fn list(
    tx: &mut dyn Tx,
    account_id: &str,
    user: Option<&str>,
    assignment: MfaAssignment,
    page: &PageRequest,
) -> Result<Page<MfaDevice>> {
    let mut sql = format!("SELECT {COLUMNS} FROM mfa_devices d WHERE d.account_id = $1");
    let mut params: Vec<Val> = Vec::from(params![account_id]);
    if let Some(user) = user {
        let (user_id, _) = entities::id_by_name(tx, account_id, EntityKind::User, user).await?;
        params.push(user_id.into());
        sql.push_str(&format!(" AND d.user_id = ${}", params.len()));
    }
    match assignment {
        MfaAssignment::Assigned => sql.push_str(" AND d.user_id IS NOT NULL"),
        MfaAssignment::Unassigned => sql.push_str(" AND d.user_id IS NULL"),
        MfaAssignment::Any => {}
    }
    paging::push_keyset(&mut sql, &mut params, page, &["d.serial"])?;
    let rows = tx.query(&sql, &params).await?;
    let devices = complete(tx, &rows).await?;
    Ok(paging::finish(devices, page, |d| vec![d.serial.clone()]))
}

/// `(devices, devices in use)` of the account (GetAccountSummary).
pub(crate) async fn counts(tx: &mut dyn Tx, account_id: &str) -> Result<(u32, u32)> {
    let row = tx
        .query_one(
            "SELECT (SELECT COUNT(*) FROM mfa_devices WHERE account_id = $1), \
             (SELECT COUNT(*) FROM mfa_devices WHERE account_id = $1 AND user_id IS NOT NULL)",
            &params![account_id],
        )
        .await?;
    Ok((row.u32(0)?, row.u32(1)?))
}
