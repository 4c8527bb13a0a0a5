//! The MFA-device methods of [`Store`]. Seeds are sealed with the key ring (AAD = the
//! serial number) like access-key secrets, and opened only for verification.

use chrono::{DateTime, Utc};

use super::Store;
use crate::error::Result;
#[allow(unused_imports)] // used by rustdoc links
use crate::error::{DeleteConflict, Quota, ResourceKind, StoreError};
use crate::keyring::Secret;
use crate::model::{Page, PageRequest};
use crate::records::{MfaAssignment, MfaDevice, NewMfaDevice};
use crate::sql::{Backend, mfa, tx_fn};

store_api! {
    /// With its user and tags. `NotFound(MfaDevice)`.
    read fn get_mfa_device(account_id: &str, serial: &str) -> MfaDevice
        = |tx| mfa::get(tx, &account_id, &serial);

    /// `NotFound(User | MfaDevice)`; `AlreadyExists(MfaDevice)` when already enabled;
    /// `LimitExceeded(MFADevicesPerUser)`.
    write fn enable_mfa_device(
        account_id: &str,
        user: &str,
        serial: &str,
        at: DateTime<Utc>,
        step: i64,
    ) -> ()
        = |tx| mfa::enable(tx, &account_id, &user, &serial, at, step);

    /// `NotFound(User | MfaDevice)` (also when the device is not the user's).
    write fn deactivate_mfa_device(account_id: &str, user: &str, serial: &str) -> ()
        = |tx| mfa::deactivate(tx, &account_id, &user, &serial);

    /// `NotFound(User | MfaDevice)` (also when the device is not the user's).
    write fn resync_mfa_device(account_id: &str, user: &str, serial: &str, step: i64) -> ()
        = |tx| mfa::resync(tx, &account_id, &user, &serial, step);

    /// Spends time step `step` of an enabled device: false when it (or a later one) was
    /// already used.
    write fn advance_mfa_step(account_id: &str, serial: &str, step: i64) -> bool
        = |tx| mfa::advance(tx, &account_id, &serial, step);

    /// `NotFound(MfaDevice)`; `DeleteConflict(MfaDeviceInUse)` while enabled.
    write fn delete_virtual_mfa_device(account_id: &str, serial: &str) -> ()
        = |tx| mfa::delete(tx, &account_id, &serial);

    /// `(devices, devices in use)` of the account.
    read fn mfa_device_counts(account_id: &str) -> (u32, u32) = |tx| mfa::counts(tx, &account_id);
}

impl Store {
    /// `NotFound(Account)`; `AlreadyExists(MfaDevice)` for a serial number in use;
    /// `LimitExceeded(TagsPerMfaDevice)`.
    pub async fn create_virtual_mfa_device(&self, device: NewMfaDevice) -> Result<MfaDevice> {
        let sealed = self
            .keyring
            .seal_secret(&device.seed, device.serial.as_bytes())?;
        run!(self.write, [device, sealed], |tx, q| mfa::create(
            tx, &q, &device, &sealed
        ))
    }

    /// The opened seed and the newest accepted time step. `NotFound(MfaDevice)`.
    pub async fn mfa_seed(&self, account_id: &str, serial: &str) -> Result<(Secret, i64)> {
        let (sealed, step) = run!(self.read, [account_id, serial], |tx| mfa::seed(
            tx,
            &account_id,
            &serial
        ))?;
        Ok((self.keyring.open_secret(&sealed, serial.as_bytes())?, step))
    }

    /// Devices enabled for `user`, or (no user) virtual devices by assignment, by serial.
    pub async fn list_mfa_devices(
        &self,
        account_id: &str,
        user: Option<&str>,
        assignment: MfaAssignment,
        page: &PageRequest,
    ) -> Result<Page<MfaDevice>> {
        let user = user.map(str::to_owned);
        run!(self.read, [account_id, user, assignment, page], |tx| {
            mfa::list(tx, &account_id, user.as_deref(), assignment, &page)
        })
    }
}
