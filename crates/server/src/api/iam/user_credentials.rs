//! SSH public keys, signing certificates and service-specific credentials of users.

use hourglass_store::{CredentialKind, Secret, UserCredential};

use super::page_request;
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

/// One page of a short, fully loaded list; the marker is an offset.
fn page_of<'a>(
    items: &'a [UserCredential],
    ctx: &Ctx<'_>,
) -> Result<(&'a [UserCredential], Option<usize>), crate::api::ApiError> {
    let request = page_request(ctx)?;
    let window = request.offset_window(items.len());
    let next = (window.end < items.len()).then_some(window.end);
    Ok((&items[window], next))
}

fn tail(x: &mut Xml, next: Option<usize>) {
    x.bool("IsTruncated", next.is_some());
    if let Some(n) = next {
        x.text("Marker", &n.to_string());
    }
}

fn write_ssh(x: &mut Xml, k: &UserCredential, full: bool) {
    x.text("UserName", &k.user_name)
        .text("SSHPublicKeyId", &k.credential_id);
    if full {
        x.text("Fingerprint", k.fingerprint.as_deref().unwrap_or(""))
            .text("SSHPublicKeyBody", &k.body);
    }
    x.text("Status", &k.status)
        .date("UploadDate", &k.upload_date);
}

fn write_cert(x: &mut Xml, c: &UserCredential) {
    x.text("UserName", &c.user_name)
        .text("CertificateId", &c.credential_id)
        .text("CertificateBody", &c.body)
        .text("Status", &c.status)
        .date("UploadDate", &c.upload_date);
}

fn write_service(x: &mut Xml, c: &UserCredential, password: Option<&Secret>) {
    x.date("CreateDate", &c.upload_date)
        .text("ServiceName", c.service_name.as_deref().unwrap_or(""))
        .text(
            "ServiceUserName",
            c.service_user_name.as_deref().unwrap_or(""),
        );
    if let Some(p) = password {
        x.text("ServicePassword", p.expose());
    }
    x.text("ServiceSpecificCredentialId", &c.credential_id)
        .text("UserName", &c.user_name)
        .text("Status", &c.status);
}

pub async fn upload(ctx: &Ctx<'_>, kind: CredentialKind) -> ApiResult {
    let (member, element) = match kind {
        CredentialKind::SshPublicKey => ("SSHPublicKeyBody", "SSHPublicKey"),
        _ => ("CertificateBody", "Certificate"),
    };
    let c = ctx
        .identity
        .upload_user_key(
            ctx.caller()?,
            kind,
            ctx.get("UserName"),
            ctx.required(member)?,
        )
        .await?;
    let mut x = Xml::new();
    x.open(element);
    match kind {
        CredentialKind::SshPublicKey => write_ssh(&mut x, &c, true),
        _ => write_cert(&mut x, &c),
    }
    x.close(element);
    Ok(Some(x.finish()))
}

pub async fn get_ssh(ctx: &Ctx<'_>) -> ApiResult {
    let k = ctx
        .identity
        .get_ssh_public_key(
            ctx.caller()?,
            ctx.required("UserName")?,
            ctx.required("SSHPublicKeyId")?,
            ctx.required("Encoding")?,
        )
        .await?;
    let mut x = Xml::new();
    x.open("SSHPublicKey");
    write_ssh(&mut x, &k, true);
    x.close("SSHPublicKey");
    Ok(Some(x.finish()))
}

pub async fn list(ctx: &Ctx<'_>, kind: CredentialKind) -> ApiResult {
    let items = ctx
        .identity
        .list_user_credentials(
            ctx.caller()?,
            kind,
            ctx.get("UserName"),
            ctx.get("ServiceName"),
        )
        .await?;
    let mut x = Xml::new();
    match kind {
        CredentialKind::SshPublicKey => {
            let (page, next) = page_of(&items, ctx)?;
            x.list("SSHPublicKeys", page, |x, k| write_ssh(x, k, false));
            tail(&mut x, next);
        }
        CredentialKind::SigningCertificate => {
            let (page, next) = page_of(&items, ctx)?;
            x.list("Certificates", page, write_cert);
            tail(&mut x, next);
        }
        CredentialKind::ServiceSpecific => {
            x.list("ServiceSpecificCredentials", &items, |x, c| {
                write_service(x, c, None)
            });
        }
    }
    Ok(Some(x.finish()))
}

fn id_member(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::SshPublicKey => "SSHPublicKeyId",
        CredentialKind::SigningCertificate => "CertificateId",
        CredentialKind::ServiceSpecific => "ServiceSpecificCredentialId",
    }
}

pub async fn update(ctx: &Ctx<'_>, kind: CredentialKind) -> ApiResult {
    ctx.identity
        .update_user_credential(
            ctx.caller()?,
            kind,
            ctx.get("UserName"),
            ctx.required(id_member(kind))?,
            ctx.required("Status")?,
        )
        .await?;
    Ok(None)
}

pub async fn delete(ctx: &Ctx<'_>, kind: CredentialKind) -> ApiResult {
    ctx.identity
        .delete_user_credential(
            ctx.caller()?,
            kind,
            ctx.get("UserName"),
            ctx.required(id_member(kind))?,
        )
        .await?;
    Ok(None)
}

/// The answer of a call that made a new service password: the only time it is shown.
fn created_service(c: &UserCredential, password: &Secret) -> ApiResult {
    let mut x = Xml::new();
    x.open("ServiceSpecificCredential");
    write_service(&mut x, c, Some(password));
    x.close("ServiceSpecificCredential");
    Ok(Some(x.finish()))
}

pub async fn create_service(ctx: &Ctx<'_>) -> ApiResult {
    let (c, password) = ctx
        .identity
        .create_service_credential(
            ctx.caller()?,
            ctx.required("UserName")?,
            ctx.required("ServiceName")?,
        )
        .await?;
    created_service(&c, &password)
}

pub async fn reset_service(ctx: &Ctx<'_>) -> ApiResult {
    let (c, password) = ctx
        .identity
        .reset_service_credential(
            ctx.caller()?,
            ctx.get("UserName"),
            ctx.required("ServiceSpecificCredentialId")?,
        )
        .await?;
    created_service(&c, &password)
}
