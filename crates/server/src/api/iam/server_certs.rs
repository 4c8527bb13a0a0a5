//! The IAM server certificate operations. The private key is accepted on upload and never
//! written into any answer.

use hourglass_iam::server_certs::UploadServerCertificate;
use hourglass_store::{Secret, ServerCertificate};

use super::{page_request, write_tags};
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

const NAME: &str = "ServerCertificateName";

fn write_metadata(x: &mut Xml, c: &ServerCertificate) {
    x.text("Path", &c.path)
        .text("ServerCertificateName", &c.name)
        .text("ServerCertificateId", &c.certificate_id)
        .text("Arn", &c.arn)
        .date("UploadDate", &c.upload_date)
        .date("Expiration", &c.expiration);
}

pub async fn upload(ctx: &Ctx<'_>) -> ApiResult {
    let input = UploadServerCertificate {
        path: ctx.get("Path").map(str::to_owned),
        name: ctx.required(NAME)?.to_owned(),
        body: ctx.required("CertificateBody")?.to_owned(),
        private_key: Secret::new(ctx.required("PrivateKey")?.to_owned()),
        chain: ctx.get("CertificateChain").map(str::to_owned),
        tags: ctx.tags("Tags")?,
    };
    let c = ctx
        .identity
        .upload_server_certificate(ctx.caller()?, input)
        .await?;
    let mut x = Xml::new();
    x.open("ServerCertificateMetadata");
    write_metadata(&mut x, &c);
    x.close("ServerCertificateMetadata");
    if !c.tags.is_empty() {
        write_tags(&mut x, "Tags", &c.tags);
    }
    Ok(Some(x.finish()))
}

pub async fn get(ctx: &Ctx<'_>) -> ApiResult {
    let c = ctx
        .identity
        .get_server_certificate(ctx.caller()?, ctx.required(NAME)?)
        .await?;
    let mut x = Xml::new();
    x.open("ServerCertificate")
        .open("ServerCertificateMetadata");
    write_metadata(&mut x, &c);
    x.close("ServerCertificateMetadata")
        .text("CertificateBody", &c.body);
    x.opt_text("CertificateChain", c.chain.as_deref());
    write_tags(&mut x, "Tags", &c.tags);
    x.close("ServerCertificate");
    Ok(Some(x.finish()))
}

pub async fn list(ctx: &Ctx<'_>) -> ApiResult {
    let request = page_request(ctx)?;
    let all = ctx
        .identity
        .list_server_certificates(ctx.caller()?, ctx.get("PathPrefix"))
        .await?;
    // A short list (≤ 20 per account), paged by offset.
    let std::ops::Range { start, end } = request.offset_window(all.len());
    let mut x = Xml::new();
    x.list("ServerCertificateMetadataList", &all[start..end], |x, c| {
        write_metadata(x, c);
    });
    x.bool("IsTruncated", end < all.len());
    if end < all.len() {
        x.text("Marker", &end.to_string());
    }
    Ok(Some(x.finish()))
}

pub async fn update(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .update_server_certificate(
            ctx.caller()?,
            ctx.required(NAME)?,
            ctx.get("NewServerCertificateName"),
            ctx.get("NewPath"),
        )
        .await?;
    Ok(None)
}

pub async fn delete(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .delete_server_certificate(ctx.caller()?, ctx.required(NAME)?)
        .await?;
    Ok(None)
}
