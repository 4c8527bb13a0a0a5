//! The IAM OpenID Connect provider operations.

use hourglass_iam::federation::providers::CreateOidcProvider;

use super::write_tags;
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

const ARN: &str = "OpenIDConnectProviderArn";

fn strings(ctx: &Ctx<'_>, name: &str) -> Vec<String> {
    ctx.params
        .list(name)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// `<name><member>s</member>…</name>`.
fn write_strings(x: &mut Xml, name: &str, items: &[String]) {
    x.open(name);
    for s in items {
        x.text("member", s);
    }
    x.close(name);
}

pub async fn create(ctx: &Ctx<'_>) -> ApiResult {
    let input = CreateOidcProvider {
        url: ctx.required("Url")?.to_owned(),
        client_ids: strings(ctx, "ClientIDList"),
        thumbprints: strings(ctx, "ThumbprintList"),
        tags: ctx.tags("Tags")?,
    };
    let p = ctx
        .identity
        .create_oidc_provider(ctx.caller()?, input)
        .await?;
    super::tags::created_provider("OpenIDConnectProviderArn", &p.arn, &p.tags)
}

pub async fn get(ctx: &Ctx<'_>) -> ApiResult {
    let p = ctx
        .identity
        .get_oidc_provider(ctx.caller()?, ctx.required(ARN)?)
        .await?;
    let mut x = Xml::new();
    x.text("Url", &p.url);
    write_strings(&mut x, "ClientIDList", &p.client_ids);
    write_strings(&mut x, "ThumbprintList", &p.thumbprints);
    x.date("CreateDate", &p.create_date);
    write_tags(&mut x, "Tags", &p.tags);
    Ok(Some(x.finish()))
}

pub async fn list(ctx: &Ctx<'_>) -> ApiResult {
    let all = ctx.identity.list_oidc_providers(ctx.caller()?).await?;
    let mut x = Xml::new();
    x.list("OpenIDConnectProviderList", &all, |x, p| {
        x.text("Arn", &p.arn);
    });
    Ok(Some(x.finish()))
}

pub async fn delete(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .delete_oidc_provider(ctx.caller()?, ctx.required(ARN)?)
        .await?;
    Ok(None)
}

pub async fn add_client_id(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .add_client_id_to_oidc_provider(
            ctx.caller()?,
            ctx.required(ARN)?,
            ctx.required("ClientID")?,
        )
        .await?;
    Ok(None)
}

pub async fn remove_client_id(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .remove_client_id_from_oidc_provider(
            ctx.caller()?,
            ctx.required(ARN)?,
            ctx.required("ClientID")?,
        )
        .await?;
    Ok(None)
}

pub async fn update_thumbprint(ctx: &Ctx<'_>) -> ApiResult {
    // An empty list arrives as `ThumbprintList=`; a missing one is an error.
    let present =
        ctx.get("ThumbprintList").is_some() || ctx.get("ThumbprintList.member.1").is_some();
    if !present {
        ctx.required("ThumbprintList")?;
    }
    ctx.identity
        .update_oidc_provider_thumbprint(
            ctx.caller()?,
            ctx.required(ARN)?,
            &strings(ctx, "ThumbprintList"),
        )
        .await?;
    Ok(None)
}
