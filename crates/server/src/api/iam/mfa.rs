//! CreateVirtualMFADevice, Enable/Deactivate/ResyncMFADevice, DeleteVirtualMFADevice,
//! GetMFADevice, ListMFADevices and ListVirtualMFADevices (the tag calls: [`super::tags`]).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hourglass_store::MfaDevice;

use super::users::write_user;
use super::{page_request, write_page_tail, write_tags};
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

pub async fn create_virtual(ctx: &Ctx<'_>) -> ApiResult {
    let tags = ctx.tags("Tags")?;
    let created = ctx
        .identity
        .create_virtual_mfa_device(
            ctx.caller()?,
            ctx.required("VirtualMFADeviceName")?,
            ctx.get("Path"),
            &tags,
        )
        .await?;
    let mut x = Xml::new();
    // Both are blobs in AWS's model: base64 on the wire.
    x.open("VirtualMFADevice")
        .text("SerialNumber", &created.device.serial)
        .text(
            "Base32StringSeed",
            &STANDARD.encode(created.seed.expose().as_bytes()),
        )
        .text("QRCodePNG", &STANDARD.encode(&created.qr_png));
    if !created.device.tags.is_empty() {
        write_tags(&mut x, "Tags", &created.device.tags);
    }
    x.close("VirtualMFADevice");
    Ok(Some(x.finish()))
}

pub async fn enable(ctx: &Ctx<'_>, resync: bool) -> ApiResult {
    ctx.identity
        .enable_mfa_device(
            ctx.caller()?,
            ctx.required("UserName")?,
            ctx.required("SerialNumber")?,
            ctx.required("AuthenticationCode1")?,
            ctx.required("AuthenticationCode2")?,
            resync,
        )
        .await?;
    Ok(None)
}

pub async fn deactivate(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .deactivate_mfa_device(
            ctx.caller()?,
            ctx.required("UserName")?,
            ctx.required("SerialNumber")?,
        )
        .await?;
    Ok(None)
}

pub async fn delete_virtual(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .delete_virtual_mfa_device(ctx.caller()?, ctx.required("SerialNumber")?)
        .await?;
    Ok(None)
}

/// GetMFADevice: no `Certifications`, which AWS gives only for FIDO security keys.
pub async fn get(ctx: &Ctx<'_>) -> ApiResult {
    let device = ctx
        .identity
        .get_mfa_device(
            ctx.caller()?,
            ctx.required("SerialNumber")?,
            ctx.get("UserName"),
        )
        .await?;
    let mut x = Xml::new();
    if let Some(u) = &device.user {
        x.text("UserName", &u.name);
    }
    x.text("SerialNumber", &device.serial);
    if let Some(at) = &device.enable_date {
        x.date("EnableDate", at);
    }
    Ok(Some(x.finish()))
}

pub async fn list(ctx: &Ctx<'_>) -> ApiResult {
    let page = ctx
        .identity
        .list_mfa_devices(ctx.caller()?, ctx.get("UserName"), page_request(ctx)?)
        .await?;
    let mut x = Xml::new();
    x.list("MFADevices", &page.items, |x, d: &MfaDevice| {
        if let Some(u) = &d.user {
            x.text("UserName", &u.name);
        }
        x.text("SerialNumber", &d.serial);
        if let Some(at) = &d.enable_date {
            x.date("EnableDate", at);
        }
    });
    write_page_tail(&mut x, &page);
    Ok(Some(x.finish()))
}

pub async fn list_virtual(ctx: &Ctx<'_>) -> ApiResult {
    let page = ctx
        .identity
        .list_virtual_mfa_devices(
            ctx.caller()?,
            ctx.get("AssignmentStatus"),
            page_request(ctx)?,
        )
        .await?;
    let mut x = Xml::new();
    x.list("VirtualMFADevices", &page.items, |x, d: &MfaDevice| {
        x.text("SerialNumber", &d.serial);
        if let Some(u) = &d.user {
            x.open("User");
            write_user(x, u, false);
            x.close("User");
        }
        if let Some(at) = &d.enable_date {
            x.date("EnableDate", at);
        }
        if !d.tags.is_empty() {
            write_tags(x, "Tags", &d.tags);
        }
    });
    write_page_tail(&mut x, &page);
    Ok(Some(x.finish()))
}
