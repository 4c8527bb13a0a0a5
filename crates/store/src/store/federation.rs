//! The federation methods of [`Store`].

use super::Store;
use crate::error::Result;
use crate::federation::{OidcChange, OidcProvider, SamlChange, SamlProvider, saml_sql, sql};
use crate::sql::{Backend, tx_fn};

impl Store {
    /// `NotFound(Account)`; `AlreadyExists(OidcProvider)` (named by its `https://` URL) for
    /// a provider with the same ARN; `LimitExceeded(OpenIdConnectProvidersPerAccount)`.
    pub async fn create_oidc_provider(&self, provider: OidcProvider) -> Result<OidcProvider> {
        run!(self.write, [provider], |tx| sql::create(tx, &provider))
    }

    /// `NotFound(OidcProvider)` (named by ARN).
    pub async fn get_oidc_provider(&self, account_id: &str, arn: &str) -> Result<OidcProvider> {
        run!(self.read, [account_id, arn], |tx| sql::get(
            tx,
            &account_id,
            &arn
        ))
    }

    /// Every provider of the account, ordered by ARN.
    pub async fn list_oidc_providers(&self, account_id: &str) -> Result<Vec<OidcProvider>> {
        run!(self.read, [account_id], |tx| sql::list(tx, &account_id))
    }

    /// `NotFound(OidcProvider)`.
    pub async fn delete_oidc_provider(&self, account_id: &str, arn: &str) -> Result<()> {
        run!(self.write, [account_id, arn], |tx| sql::delete(
            tx,
            &account_id,
            &arn
        ))
    }

    /// Applies one change in one transaction. `NotFound(OidcProvider)`;
    /// `LimitExceeded(ClientIdsPerOpenIdConnectProvider | TagsPerOpenIdConnectProvider)`.
    pub async fn update_oidc_provider(
        &self,
        account_id: &str,
        arn: &str,
        change: OidcChange,
    ) -> Result<OidcProvider> {
        run!(self.write, [account_id, arn, change], |tx| sql::update(
            tx,
            &account_id,
            &arn,
            &change
        ))
    }

    /// `NotFound(Account)`; `AlreadyExists(SamlProvider)` (named by its name);
    /// `LimitExceeded(SamlProvidersPerAccount)`.
    pub async fn create_saml_provider(&self, provider: SamlProvider) -> Result<SamlProvider> {
        run!(self.write, [provider], |tx| saml_sql::create(tx, &provider))
    }

    /// `NotFound(SamlProvider)` (named by ARN).
    pub async fn get_saml_provider(&self, account_id: &str, arn: &str) -> Result<SamlProvider> {
        run!(self.read, [account_id, arn], |tx| saml_sql::get(
            tx,
            &account_id,
            &arn
        ))
    }

    /// Every SAML provider of the account, ordered by ARN.
    pub async fn list_saml_providers(&self, account_id: &str) -> Result<Vec<SamlProvider>> {
        run!(self.read, [account_id], |tx| saml_sql::list(
            tx,
            &account_id
        ))
    }

    /// `NotFound(SamlProvider)`.
    pub async fn delete_saml_provider(&self, account_id: &str, arn: &str) -> Result<()> {
        run!(self.write, [account_id, arn], |tx| saml_sql::delete(
            tx,
            &account_id,
            &arn
        ))
    }

    /// Applies one change in one transaction. `NotFound(SamlProvider)`;
    /// `LimitExceeded(TagsPerSamlProvider)`.
    pub async fn update_saml_provider(
        &self,
        account_id: &str,
        arn: &str,
        change: SamlChange,
    ) -> Result<SamlProvider> {
        run!(
            self.write,
            [account_id, arn, change],
            |tx| saml_sql::update(tx, &account_id, &arn, &change)
        )
    }
}
