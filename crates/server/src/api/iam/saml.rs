//! The IAM SAML provider operations.

use hourglass_iam::IamError;
use hourglass_iam::federation::saml::providers::CreateSamlProvider;

use super::write_tags;
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

const ARN: &str = "SAMLProviderArn";

/// Encrypted assertions need provider private keys, which Hourglass does not hold: a
/// request for them is refused rather than half-honoured.
fn refuse_encryption(ctx: &Ctx<'_>) -> Result<(), IamError> {
    let required = ctx
        .get("AssertionEncryptionMode")
        .is_some_and(|m| m == "Required");
    if required || ctx.get("AddPrivateKey").is_some() {
        return Err(IamError::InvalidInput(
            "Encrypted SAML assertions are not supported: AssertionEncryptionMode=Required and AddPrivateKey are refused".into(),
        ));
    }
    if let Some(m) = ctx.get("AssertionEncryptionMode")
        && m != "Allowed"
    {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value '{m}' at 'assertionEncryptionMode' failed to satisfy constraint: Member must satisfy enum value set: [Allowed, Required]"
        )));
    }
    Ok(())
}

pub async fn create(ctx: &Ctx<'_>) -> ApiResult {
    refuse_encryption(ctx)?;
    let input = CreateSamlProvider {
        metadata: ctx.required("SAMLMetadataDocument")?.to_owned(),
        name: ctx.required("Name")?.to_owned(),
        tags: ctx.tags("Tags")?,
    };
    let p = ctx
        .identity
        .create_saml_provider(ctx.caller()?, input)
        .await?;
    super::tags::created_provider("SAMLProviderArn", &p.arn, &p.tags)
}

pub async fn get(ctx: &Ctx<'_>) -> ApiResult {
    let p = ctx
        .identity
        .get_saml_provider(ctx.caller()?, ctx.required(ARN)?)
        .await?;
    let mut x = Xml::new();
    x.text("SAMLProviderUUID", &p.uuid)
        .text("SAMLMetadataDocument", &p.metadata)
        .date("CreateDate", &p.create_date)
        .date("ValidUntil", &p.valid_until);
    write_tags(&mut x, "Tags", &p.tags);
    Ok(Some(x.finish()))
}

pub async fn list(ctx: &Ctx<'_>) -> ApiResult {
    let all = ctx.identity.list_saml_providers(ctx.caller()?).await?;
    let mut x = Xml::new();
    x.list("SAMLProviderList", &all, |x, p| {
        x.text("Arn", &p.arn)
            .date("ValidUntil", &p.valid_until)
            .date("CreateDate", &p.create_date);
    });
    Ok(Some(x.finish()))
}

pub async fn update(ctx: &Ctx<'_>) -> ApiResult {
    refuse_encryption(ctx)?;
    if ctx.get("RemovePrivateKey").is_some() {
        return Err(IamError::InvalidInput(
            "This SAML provider has no private keys to remove".into(),
        )
        .into());
    }
    let p = ctx
        .identity
        .update_saml_provider(
            ctx.caller()?,
            ctx.required(ARN)?,
            ctx.required("SAMLMetadataDocument")?,
        )
        .await?;
    let mut x = Xml::new();
    x.text("SAMLProviderArn", &p.arn);
    Ok(Some(x.finish()))
}

pub async fn delete(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .delete_saml_provider(ctx.caller()?, ctx.required(ARN)?)
        .await?;
    Ok(None)
}
