//! IAM OIDC providers: CreateOpenIDConnectProvider and its siblings. The URL is stored
//! without `https://`, case and trailing slash as given (AWS matches `iss` exactly), and
//! names the provider: `arn:aws:iam::ACCT:oidc-provider/HOST[/PATH]`.

use hourglass_store::{
    OidcChange, OidcProvider,
    federation::{CLIENT_IDS_PER_PROVIDER, THUMBPRINTS_PER_PROVIDER},
};

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::principal::Caller;
use crate::tags::{Taggable, to_tags};
use crate::{Identity, validate};

fn invalid_url() -> IamError {
    IamError::InvalidInput("Invalid Open ID Connect Provider URL".into())
}

/// Checks a provider URL and returns it without its scheme. AWS requires `https://`, a
/// host, no query or fragment; Hourglass also accepts a port (AWS's model text forbids one)
/// so that issuers on non-default ports — local IdPs, tests — can be registered.
pub fn normalize_url(url: &str) -> IamResult<String> {
    validate::length(url, "Url", 1, 255)?;
    let Some(rest) = url
        .get(..8)
        .filter(|s| s.eq_ignore_ascii_case("https://"))
        .and_then(|_| url.get(8..))
    else {
        return Err(invalid_url());
    };
    let host = rest.split('/').next().unwrap_or_default();
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || "?#@\\".contains(c);
    if host.is_empty() || rest.chars().any(bad_char) {
        return Err(invalid_url());
    }
    if let Some((name, port)) = host.rsplit_once(':')
        && !name.ends_with(']')
        && (name.is_empty() || port.parse::<u16>().is_err())
    {
        return Err(invalid_url());
    }
    Ok(rest.to_owned())
}

fn check_client_id(id: &str, member: &str) -> IamResult<()> {
    validate::length(id, member, 1, 255)
}

fn check_thumbprints(list: &[String]) -> IamResult<Vec<String>> {
    if list.len() > THUMBPRINTS_PER_PROVIDER {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value at 'thumbprintList' failed to satisfy constraint: Member must have length less than or equal to {THUMBPRINTS_PER_PROVIDER}"
        )));
    }
    list.iter()
        .enumerate()
        .map(|(i, t)| {
            if t.len() != 40 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(IamError::Validation(format!(
                    "1 validation error detected: Value '{t}' at 'thumbprintList.{}.member' failed to satisfy constraint: Member must have length greater than or equal to 40 and be a hexadecimal SHA-1 fingerprint",
                    i + 1
                )));
            }
            Ok(t.to_ascii_lowercase())
        })
        .collect()
}

/// CreateOpenIDConnectProvider's input.
#[derive(Debug, Clone, Default)]
pub struct CreateOidcProvider {
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    pub tags: Vec<(String, String)>,
}

impl Identity {
    /// The ARN of the provider registered for `url` (without scheme).
    pub fn oidc_provider_arn(&self, url: &str) -> String {
        format!("arn:aws:iam::{}:oidc-provider/{url}", self.account_id)
    }

    pub async fn create_oidc_provider(
        &self,
        caller: &Caller,
        input: CreateOidcProvider,
    ) -> IamResult<OidcProvider> {
        let url = normalize_url(&input.url)?;
        if input.client_ids.len() > CLIENT_IDS_PER_PROVIDER {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {CLIENT_IDS_PER_PROVIDER}"
            )));
        }
        let mut client_ids: Vec<String> = Vec::with_capacity(input.client_ids.len());
        for (i, id) in input.client_ids.iter().enumerate() {
            check_client_id(id, &format!("clientIDList.{}.member", i + 1))?;
            if !client_ids.contains(id) {
                client_ids.push(id.clone());
            }
        }
        let thumbprints = check_thumbprints(&input.thumbprints)?;
        validate::tags_with_quota(&input.tags, "TagsPerOpenIdConnectProvider")?;
        let arn = self.oidc_provider_arn(&url);
        self.authorize(
            caller,
            &Access::new("iam:CreateOpenIDConnectProvider", &arn).with_request_tags(&input.tags),
        )
        .await?;
        self.authorize_create_tags(caller, Taggable::OpenIdConnectProvider, &arn, &input.tags)
            .await?;
        if url.split('/').next().is_some_and(|h| h.contains(':')) {
            tracing::warn!(%url, "OIDC provider URL carries a port; AWS would refuse it");
        }
        let provider = OidcProvider {
            account_id: self.account_id.clone(),
            arn,
            url,
            client_ids,
            thumbprints,
            create_date: self.clock.now(),
            tags: to_tags(&input.tags),
        };
        let created = self.store.create_oidc_provider(provider).await?;
        tracing::info!(caller = %caller.arn(), provider = %created.arn, "created OIDC provider");
        Ok(created)
    }

    async fn authorized_provider(
        &self,
        caller: &Caller,
        action: &str,
        arn: &str,
    ) -> IamResult<OidcProvider> {
        self.authorize_provider(caller, action, arn).await?;
        Ok(self.store.get_oidc_provider(&self.account_id, arn).await?)
    }

    /// Checks the ARN's form, then authorizes `action` on the provider with its tags.
    async fn authorize_provider(&self, caller: &Caller, action: &str, arn: &str) -> IamResult<()> {
        validate::arn(arn, "OpenIDConnectProviderArn")?;
        self.authorize_tagged(caller, Taggable::OpenIdConnectProvider, action, arn)
            .await
    }

    pub async fn get_oidc_provider(&self, caller: &Caller, arn: &str) -> IamResult<OidcProvider> {
        self.authorized_provider(caller, "iam:GetOpenIDConnectProvider", arn)
            .await
    }

    pub async fn list_oidc_providers(&self, caller: &Caller) -> IamResult<Vec<OidcProvider>> {
        self.authorize(caller, &Access::new("iam:ListOpenIDConnectProviders", "*"))
            .await?;
        Ok(self.store.list_oidc_providers(&self.account_id).await?)
    }

    pub async fn delete_oidc_provider(&self, caller: &Caller, arn: &str) -> IamResult<()> {
        self.authorize_provider(caller, "iam:DeleteOpenIDConnectProvider", arn)
            .await?;
        self.store
            .delete_oidc_provider(&self.account_id, arn)
            .await?;
        self.oidc_keys.forget_provider(arn);
        tracing::info!(caller = %caller.arn(), provider = %arn, "deleted OIDC provider");
        Ok(())
    }

    async fn change_oidc_provider(
        &self,
        caller: &Caller,
        action: &str,
        arn: &str,
        change: OidcChange,
    ) -> IamResult<OidcProvider> {
        self.authorize_provider(caller, action, arn).await?;
        Ok(self
            .store
            .update_oidc_provider(&self.account_id, arn, change)
            .await?)
    }

    /// Adds or removes (`change`) one client id.
    async fn change_client_id(
        &self,
        caller: &Caller,
        action: &str,
        arn: &str,
        client_id: &str,
        change: fn(String) -> OidcChange,
    ) -> IamResult<()> {
        check_client_id(client_id, "clientID")?;
        self.change_oidc_provider(caller, action, arn, change(client_id.to_owned()))
            .await
            .map(|_| ())
    }

    pub async fn add_client_id_to_oidc_provider(
        &self,
        caller: &Caller,
        arn: &str,
        client_id: &str,
    ) -> IamResult<()> {
        self.change_client_id(
            caller,
            "iam:AddClientIDToOpenIDConnectProvider",
            arn,
            client_id,
            OidcChange::AddClientId,
        )
        .await
    }

    pub async fn remove_client_id_from_oidc_provider(
        &self,
        caller: &Caller,
        arn: &str,
        client_id: &str,
    ) -> IamResult<()> {
        self.change_client_id(
            caller,
            "iam:RemoveClientIDFromOpenIDConnectProvider",
            arn,
            client_id,
            OidcChange::RemoveClientId,
        )
        .await
    }

    pub async fn update_oidc_provider_thumbprint(
        &self,
        caller: &Caller,
        arn: &str,
        thumbprints: &[String],
    ) -> IamResult<()> {
        let thumbprints = check_thumbprints(thumbprints)?;
        self.change_oidc_provider(
            caller,
            "iam:UpdateOpenIDConnectProviderThumbprint",
            arn,
            OidcChange::SetThumbprints(thumbprints),
        )
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            normalize_url("https://token.actions.githubusercontent.com").unwrap(),
            "token.actions.githubusercontent.com"
        );
        assert_eq!(
            normalize_url("https://x.auth0.com/").unwrap(),
            "x.auth0.com/"
        );
        assert_eq!(
            normalize_url("https://oidc.eks.us-east-1.amazonaws.com/id/ABCD").unwrap(),
            "oidc.eks.us-east-1.amazonaws.com/id/ABCD"
        );
        assert_eq!(
            normalize_url("https://127.0.0.1:8443").unwrap(),
            "127.0.0.1:8443"
        );
        for bad in [
            "http://example.com",
            "example.com",
            "https://",
            "https:///path",
            "https://a.com/?x=1",
            "https://a.com#f",
            "https://u@a.com",
            "https://a.com:notaport",
            "https://a .com",
        ] {
            assert!(normalize_url(bad).is_err(), "{bad}");
        }
        assert!(normalize_url(&format!("https://{}", "a".repeat(250))).is_err());
    }

    #[test]
    fn thumbprints() {
        assert_eq!(
            check_thumbprints(&["6938FD4D98BAB03FAADB97B34396831E3780AEA1".into()]).unwrap(),
            vec!["6938fd4d98bab03faadb97b34396831e3780aea1"]
        );
        assert!(check_thumbprints(&["abc".into()]).is_err());
        assert!(check_thumbprints(&["g".repeat(40)]).is_err());
        assert!(check_thumbprints(&vec!["a".repeat(40); 6]).is_err());
    }
}
