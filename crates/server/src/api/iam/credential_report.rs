//! GenerateCredentialReport, GetCredentialReport.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

pub async fn generate(ctx: &Ctx<'_>) -> ApiResult {
    let out = ctx
        .identity
        .generate_credential_report(ctx.caller()?)
        .await?;
    let mut x = Xml::new();
    x.text("State", out.state);
    if let Some(d) = out.description {
        x.text("Description", d);
    }
    Ok(Some(x.finish()))
}

pub async fn get(ctx: &Ctx<'_>) -> ApiResult {
    let r = ctx.identity.get_credential_report(ctx.caller()?).await?;
    let mut x = Xml::new();
    x.text("Content", &STANDARD.encode(r.content.as_bytes()))
        .text("ReportFormat", "text/csv")
        .date("GeneratedTime", &r.generated);
    Ok(Some(x.finish()))
}
