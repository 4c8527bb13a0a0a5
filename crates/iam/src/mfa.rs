//! MFA for real: virtual MFA devices verified with RFC 6238 TOTP (SHA-1, 6 digits, 30 s
//! steps, as every authenticator app and AWS use), and the one-time-code check STS uses for
//! GetSessionToken and AssumeRole.
//!
//! Replay protection: each device remembers the newest time step it accepted, and a code is
//! accepted only for a newer step (the store's conditional update decides races), so a code
//! works once, and an older code never works after a newer one.

use hourglass_store::{
    MfaAssignment, MfaDevice, NewMfaDevice, Page, PageRequest, Secret, StoreError,
};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::principal::{Principal, entity_arn};
use crate::tags::{Taggable, to_tags};
use crate::{Caller, Identity, validate};

/// Seconds per TOTP time step.
pub const STEP_SECONDS: i64 = 30;
/// Steps either side of now a code may come from (clock drift of the device).
const DRIFT_STEPS: i64 = 1;

const INVALID_CODE: &str = "MultiFactorAuthentication failed with invalid MFA one time pass code.";
const UNKNOWN_DEVICE: &str = "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.";

/// NoSuchEntity for a virtual device that is not in the account.
pub(crate) fn no_such_device(serial: &str) -> IamError {
    IamError::NoSuchEntity(format!(
        "VirtualMFADevice with serial number {serial} doesn't exist."
    ))
}

/// A new virtual device as CreateVirtualMFADevice returns it: the only time the seed
/// leaves the server.
#[derive(Debug, Clone)]
pub struct CreatedMfaDevice {
    pub device: MfaDevice,
    /// The Base32 seed.
    pub seed: Secret,
    /// A PNG of the `otpauth://` URI as a QR code.
    pub qr_png: Vec<u8>,
}

/// The 6-digit code of `seed` (raw bytes) at time step `step`.
fn code_at(seed: &[u8], step: i64) -> IamResult<String> {
    let totp = TOTP::new(Algorithm::SHA1, 6, 0, 30, seed.to_vec())
        .map_err(|e| IamError::Internal(format!("totp: {e}")))?;
    let t = u64::try_from(step.saturating_mul(STEP_SECONDS)).unwrap_or(0);
    Ok(totp.generate(t))
}

fn seed_bytes(seed: &Secret) -> IamResult<Vec<u8>> {
    totp_rs::Secret::Encoded(seed.expose().to_owned())
        .to_bytes()
        .map_err(|_| IamError::Internal("stored MFA seed is not Base32".into()))
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// `AuthenticationCode1`/`2` and STS `TokenCode`: exactly six digits.
fn check_code(code: &str, member: &str) -> IamResult<()> {
    validate::length(code, member, 6, 6)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value '{code}' at '{}' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [\\d]+",
            validate::field(member)
        )));
    }
    Ok(())
}

/// `SerialNumber`: 9–256 characters of `[\w+=/:,.@-]`.
pub fn check_serial(serial: &str, member: &str) -> IamResult<()> {
    validate::length(serial, member, 9, 256)?;
    if !serial
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=/:,.@-".contains(c))
    {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value '{serial}' at '{}' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [\\w+=/:,.@-]+",
            validate::field(member)
        )));
    }
    Ok(())
}

/// The user whose devices a call without `UserName` means: the calling IAM user, signing
/// with its own keys. Root and sessions have none here.
fn device_owner(caller: &Caller, user: Option<&str>) -> Option<String> {
    match (user, &caller.principal) {
        (Some(u), _) => Some(u.to_owned()),
        (None, Principal::User(u)) if caller.session.is_none() => Some(u.name.clone()),
        _ => None,
    }
}

/// The otpauth URI authenticator apps read from the QR code.
fn otpauth_uri(label: &str, seed: &str) -> String {
    let enc = |s: &str| percent_encode(s);
    format!(
        "otpauth://totp/Hourglass:{}?secret={seed}&issuer=Hourglass",
        enc(label)
    )
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A black-on-white PNG of `text` as a QR code, 4 pixels a module with AWS's 4-module quiet
/// zone.
pub fn qr_png(text: &str) -> IamResult<Vec<u8>> {
    use qrcodegen::{QrCode, QrCodeEcc};
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|e| IamError::Internal(format!("qr: {e:?}")))?;
    const SCALE: i32 = 4;
    const BORDER: i32 = 4;
    let modules = qr.size() + 2 * BORDER;
    let side = modules * SCALE;
    let side_u = u32::try_from(side).map_err(|_| IamError::Internal("qr size".into()))?;
    let mut pixels = Vec::with_capacity(usize::try_from(side * side).unwrap_or(0));
    for y in 0..side {
        for x in 0..side {
            let dark = qr.get_module(x / SCALE - BORDER, y / SCALE - BORDER);
            pixels.push(if dark { 0u8 } else { 255u8 });
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side_u, side_u);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| IamError::Internal(format!("png: {e}")))?;
        w.write_image_data(&pixels)
            .map_err(|e| IamError::Internal(format!("png: {e}")))?;
    }
    Ok(out)
}

impl Identity {
    fn mfa_arn(&self, path: &str, name: &str) -> String {
        entity_arn(&self.account_id, "mfa", path, name)
    }

    fn current_step(&self) -> i64 {
        self.clock.now().timestamp().div_euclid(STEP_SECONDS)
    }

    pub async fn create_virtual_mfa_device(
        &self,
        caller: &Caller,
        name: &str,
        path: Option<&str>,
        tags: &[(String, String)],
    ) -> IamResult<CreatedMfaDevice> {
        validate::name(name, "VirtualMFADeviceName", 226)?;
        let path = path.unwrap_or("/");
        validate::path(path, "Path")?;
        validate::tags_with_quota(tags, "TagsPerMFADevice")?;
        let serial = self.mfa_arn(path, name);
        self.authorize(
            caller,
            &Access::new("iam:CreateVirtualMFADevice", &serial).with_request_tags(tags),
        )
        .await?;
        self.authorize_create_tags(caller, Taggable::MfaDevice, &serial, tags)
            .await?;
        let raw: [u8; 20] = rand::random();
        let seed = Secret::new(totp_rs::Secret::Raw(raw.to_vec()).to_encoded().to_string());
        let label = format!("{name}@{}", self.account_id);
        let qr_png = qr_png(&otpauth_uri(&label, seed.expose()))?;
        let device = self
            .store
            .create_virtual_mfa_device(NewMfaDevice {
                account_id: self.account_id.clone(),
                serial,
                name: name.to_owned(),
                path: path.to_owned(),
                create_date: self.clock.now(),
                seed: seed.clone(),
                tags: to_tags(tags),
            })
            .await?;
        Ok(CreatedMfaDevice {
            device,
            seed,
            qr_png,
        })
    }

    /// The step two consecutive codes were generated at (the second code's step), within
    /// the drift window around now and newer than `after`.
    fn consecutive_step(
        &self,
        seed: &[u8],
        code1: &str,
        code2: &str,
        after: i64,
    ) -> IamResult<Option<i64>> {
        let now = self.current_step();
        for second in (now - DRIFT_STEPS)..=(now + DRIFT_STEPS) {
            if second <= after {
                continue;
            }
            if same(&code_at(seed, second - 1)?, code1) && same(&code_at(seed, second)?, code2) {
                return Ok(Some(second));
            }
        }
        Ok(None)
    }

    /// EnableMFADevice (`resync` false) or ResyncMFADevice: both need two consecutive codes.
    pub async fn enable_mfa_device(
        &self,
        caller: &Caller,
        user: &str,
        serial: &str,
        code1: &str,
        code2: &str,
        resync: bool,
    ) -> IamResult<()> {
        validate::name(user, "UserName", 128)?;
        check_serial(serial, "SerialNumber")?;
        check_code(code1, "AuthenticationCode1")?;
        check_code(code2, "AuthenticationCode2")?;
        let action = if resync {
            "iam:ResyncMFADevice"
        } else {
            "iam:EnableMFADevice"
        };
        self.authorized_user(caller, action, user).await?;
        let (seed, last) = match self.store.mfa_seed(&self.account_id, serial).await {
            Ok(s) => s,
            Err(StoreError::NotFound { .. }) => return Err(no_such_device(serial)),
            Err(e) => return Err(e.into()),
        };
        let bytes = seed_bytes(&seed)?;
        // Enabling starts a fresh device: any step in the window counts. A resync must move
        // forward, so an old pair of codes cannot rewind the replay guard.
        let after = if resync { last } else { i64::MIN };
        let Some(step) = self.consecutive_step(&bytes, code1, code2, after)? else {
            return Err(IamError::InvalidAuthenticationCode(
                "Authentication code for device is not valid.".into(),
            ));
        };
        if resync {
            self.store
                .resync_mfa_device(&self.account_id, user, serial, step)
                .await?;
        } else {
            match self
                .store
                .enable_mfa_device(&self.account_id, user, serial, self.clock.now(), step)
                .await
            {
                Err(StoreError::AlreadyExists { .. }) => {
                    return Err(IamError::EntityAlreadyExists(
                        "MFA Device is already in use.".into(),
                    ));
                }
                other => other?,
            }
        }
        Ok(())
    }

    pub async fn deactivate_mfa_device(
        &self,
        caller: &Caller,
        user: &str,
        serial: &str,
    ) -> IamResult<()> {
        validate::name(user, "UserName", 128)?;
        check_serial(serial, "SerialNumber")?;
        self.authorized_user(caller, "iam:DeactivateMFADevice", user)
            .await?;
        Ok(self
            .store
            .deactivate_mfa_device(&self.account_id, user, serial)
            .await?)
    }

    pub async fn delete_virtual_mfa_device(&self, caller: &Caller, serial: &str) -> IamResult<()> {
        check_serial(serial, "SerialNumber")?;
        self.authorize_tagged(
            caller,
            Taggable::MfaDevice,
            "iam:DeleteVirtualMFADevice",
            serial,
        )
        .await?;
        match self
            .store
            .delete_virtual_mfa_device(&self.account_id, serial)
            .await
        {
            Err(StoreError::NotFound { .. }) => Err(no_such_device(serial)),
            other => Ok(other?),
        }
    }

    /// ListMFADevices: the named user's devices, or the caller's own when no user is named.
    pub async fn list_mfa_devices(
        &self,
        caller: &Caller,
        user: Option<&str>,
        page: PageRequest,
    ) -> IamResult<Page<MfaDevice>> {
        if let Some(u) = user {
            validate::name(u, "UserName", 128)?;
        }
        let Some(user) = device_owner(caller, user) else {
            self.authorize(caller, &Access::new("iam:ListMFADevices", &caller.arn()))
                .await?;
            // Root and sessions: no devices of their own here.
            return Ok(Page {
                items: Vec::new(),
                next_marker: None,
            });
        };
        self.authorized_user(caller, "iam:ListMFADevices", &user)
            .await?;
        Ok(self
            .store
            .list_mfa_devices(&self.account_id, Some(&user), MfaAssignment::Any, &page)
            .await?)
    }

    /// GetMFADevice: the device `serial` as enabled for the named user, or for the caller
    /// when no user is named. A device that exists but is not that user's is NoSuchEntity
    /// like a missing one, so the answer does not tell who else holds it.
    pub async fn get_mfa_device(
        &self,
        caller: &Caller,
        serial: &str,
        user: Option<&str>,
    ) -> IamResult<MfaDevice> {
        check_serial(serial, "SerialNumber")?;
        if let Some(u) = user {
            validate::name(u, "UserName", 64)?;
        }
        let Some(user) = device_owner(caller, user) else {
            self.authorize(caller, &Access::new("iam:GetMFADevice", &caller.arn()))
                .await?;
            // Root and sessions: no devices of their own here.
            return Err(no_such_device(serial));
        };
        let owner = self
            .authorized_user(caller, "iam:GetMFADevice", &user)
            .await?;
        let device = match self.store.get_mfa_device(&self.account_id, serial).await {
            Ok(d) => d,
            Err(StoreError::NotFound { .. }) => return Err(no_such_device(serial)),
            Err(e) => return Err(e.into()),
        };
        match &device.user {
            Some(u) if u.user_id == owner.user_id => Ok(device),
            _ => Err(no_such_device(serial)),
        }
    }

    pub async fn list_virtual_mfa_devices(
        &self,
        caller: &Caller,
        assignment: Option<&str>,
        page: PageRequest,
    ) -> IamResult<Page<MfaDevice>> {
        let assignment = match assignment {
            None => MfaAssignment::Any,
            Some(a) => {
                match validate::one_of(a, "AssignmentStatus", &["Assigned", "Unassigned", "Any"])? {
                    "Assigned" => MfaAssignment::Assigned,
                    "Unassigned" => MfaAssignment::Unassigned,
                    _ => MfaAssignment::Any,
                }
            }
        };
        self.authorize(caller, &Access::new("iam:ListVirtualMFADevices", "*"))
            .await?;
        Ok(self
            .store
            .list_mfa_devices(&self.account_id, None, assignment, &page)
            .await?)
    }

    /// The MFA check of GetSessionToken and AssumeRole: `serial` must be a device enabled
    /// for the calling IAM user and `code` its code for a time step not used before. Returns
    /// whether MFA was presented (false when neither parameter was given).
    pub(crate) async fn verify_mfa(
        &self,
        caller: &Caller,
        serial: Option<&str>,
        code: Option<&str>,
    ) -> IamResult<bool> {
        let (serial, code) = match (serial, code) {
            (None, None) => return Ok(false),
            (Some(s), Some(c)) => (s, c),
            _ => return Err(IamError::access_denied(UNKNOWN_DEVICE)),
        };
        check_serial(serial, "SerialNumber")?;
        check_code(code, "TokenCode")?;
        let user_id = match &caller.principal {
            Principal::User(u) => u.user_id.clone(),
            _ => return Err(IamError::access_denied(UNKNOWN_DEVICE)),
        };
        let device = match self.store.get_mfa_device(&self.account_id, serial).await {
            Ok(d) => d,
            Err(StoreError::NotFound { .. }) => {
                return Err(IamError::access_denied(UNKNOWN_DEVICE));
            }
            Err(e) => return Err(e.into()),
        };
        if device.user.as_ref().map(|u| u.user_id.as_str()) != Some(user_id.as_str()) {
            return Err(IamError::access_denied(UNKNOWN_DEVICE));
        }
        let (seed, last) = self.store.mfa_seed(&self.account_id, serial).await?;
        let bytes = seed_bytes(&seed)?;
        let now = self.current_step();
        let mut matched = None;
        for step in (now - DRIFT_STEPS)..=(now + DRIFT_STEPS) {
            if step > last && same(&code_at(&bytes, step)?, code) {
                matched = Some(step);
                break;
            }
        }
        let Some(step) = matched else {
            return Err(IamError::access_denied(INVALID_CODE));
        };
        if !self
            .store
            .advance_mfa_step(&self.account_id, serial, step)
            .await?
        {
            // Spent by a concurrent request between our read and write.
            return Err(IamError::access_denied(INVALID_CODE));
        }
        tracing::info!(caller = %caller.arn(), serial, "MFA code accepted");
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1 seed "12345678901234567890", last 6 digits.
        let seed = b"12345678901234567890";
        assert_eq!(code_at(seed, 59 / 30).unwrap(), "287082");
        assert_eq!(code_at(seed, 1_111_111_109 / 30).unwrap(), "081804");
        assert_eq!(code_at(seed, 2_000_000_000 / 30).unwrap(), "279037");
    }

    #[test]
    fn qr_is_a_png() {
        let png = qr_png("otpauth://totp/Hourglass:a@1?secret=ABC&issuer=Hourglass").unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }

    #[test]
    fn codes_and_serials() {
        assert!(check_code("123456", "TokenCode").is_ok());
        assert!(check_code("12345a", "TokenCode").is_err());
        assert!(check_code("1234567", "TokenCode").is_err());
        assert!(check_serial("arn:aws:iam::123456789012:mfa/dev", "SerialNumber").is_ok());
        assert!(check_serial("short", "SerialNumber").is_err());
        assert!(check_serial("arn:aws:iam::1:mfa/a b", "SerialNumber").is_err());
    }
}
