//! Create/Delete/ListAccountAliases and Update/Get/DeleteAccountPasswordPolicy.

use hourglass_iam::account_settings::UpdatePasswordPolicy;

use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

pub async fn create_alias(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .create_account_alias(ctx.caller()?, ctx.required("AccountAlias")?)
        .await?;
    Ok(None)
}

pub async fn delete_alias(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity
        .delete_account_alias(ctx.caller()?, ctx.required("AccountAlias")?)
        .await?;
    Ok(None)
}

pub async fn list_aliases(ctx: &Ctx<'_>) -> ApiResult {
    // An account has at most one alias: one page always holds them all.
    super::page_request(ctx)?;
    let aliases = ctx.identity.list_account_aliases(ctx.caller()?).await?;
    let mut x = Xml::new();
    x.open("AccountAliases");
    for a in &aliases {
        x.text("member", a);
    }
    x.close("AccountAliases");
    x.bool("IsTruncated", false);
    Ok(Some(x.finish()))
}

pub async fn update_password_policy(ctx: &Ctx<'_>) -> ApiResult {
    let input = UpdatePasswordPolicy {
        minimum_password_length: ctx.get("MinimumPasswordLength"),
        require_symbols: ctx.get("RequireSymbols"),
        require_numbers: ctx.get("RequireNumbers"),
        require_uppercase_characters: ctx.get("RequireUppercaseCharacters"),
        require_lowercase_characters: ctx.get("RequireLowercaseCharacters"),
        allow_users_to_change_password: ctx.get("AllowUsersToChangePassword"),
        max_password_age: ctx.get("MaxPasswordAge"),
        password_reuse_prevention: ctx.get("PasswordReusePrevention"),
        hard_expiry: ctx.get("HardExpiry"),
    };
    ctx.identity
        .update_password_policy(ctx.caller()?, &input)
        .await?;
    Ok(None)
}

pub async fn get_password_policy(ctx: &Ctx<'_>) -> ApiResult {
    let p = ctx.identity.get_password_policy(ctx.caller()?).await?;
    let mut x = Xml::new();
    x.open("PasswordPolicy")
        .num("MinimumPasswordLength", p.minimum_password_length)
        .bool("RequireSymbols", p.require_symbols)
        .bool("RequireNumbers", p.require_numbers)
        .bool("RequireUppercaseCharacters", p.require_uppercase_characters)
        .bool("RequireLowercaseCharacters", p.require_lowercase_characters)
        .bool(
            "AllowUsersToChangePassword",
            p.allow_users_to_change_password,
        )
        .bool("ExpirePasswords", p.max_password_age.is_some());
    if let Some(age) = p.max_password_age {
        x.num("MaxPasswordAge", age);
    }
    if let Some(n) = p.password_reuse_prevention {
        x.num("PasswordReusePrevention", n);
    }
    if let Some(h) = p.hard_expiry {
        x.bool("HardExpiry", h);
    }
    x.close("PasswordPolicy");
    Ok(Some(x.finish()))
}

pub async fn delete_password_policy(ctx: &Ctx<'_>) -> ApiResult {
    ctx.identity.delete_password_policy(ctx.caller()?).await?;
    Ok(None)
}
