//! The federation methods of [`Store`].

use super::Store;
use crate::federation::{OidcChange, OidcProvider, SamlChange, SamlProvider, saml_sql, sql};
use crate::sql::{Backend, tx_fn};

store_api! {
    /// `NotFound(Account)`; `AlreadyExists(OidcProvider)` (named by its `https://` URL) for
    /// a provider with the same ARN; `LimitExceeded(OpenIdConnectProvidersPerAccount)`.
    write fn create_oidc_provider(provider: OidcProvider) -> OidcProvider
        = |tx| sql::create(tx, &provider);

    /// `NotFound(OidcProvider)` (named by ARN).
    read fn get_oidc_provider(account_id: &str, arn: &str) -> OidcProvider
        = |tx| sql::TABLE.get(tx, &account_id, &arn);

    /// Every provider of the account, ordered by ARN.
    read fn list_oidc_providers(account_id: &str) -> Vec<OidcProvider>
        = |tx| sql::TABLE.list(tx, &account_id);

    /// `NotFound(OidcProvider)`.
    write fn delete_oidc_provider(account_id: &str, arn: &str) -> ()
        = |tx| sql::TABLE.delete(tx, &account_id, &arn);

    /// Applies one change in one transaction. `NotFound(OidcProvider)`;
    /// `LimitExceeded(ClientIdsPerOpenIdConnectProvider | TagsPerOpenIdConnectProvider)`.
    write fn update_oidc_provider(account_id: &str, arn: &str, change: OidcChange) -> OidcProvider
        = |tx| sql::update(tx, &account_id, &arn, &change);

    /// `NotFound(Account)`; `AlreadyExists(SamlProvider)` (named by its name);
    /// `LimitExceeded(SamlProvidersPerAccount)`.
    write fn create_saml_provider(provider: SamlProvider) -> SamlProvider
        = |tx| saml_sql::create(tx, &provider);

    /// `NotFound(SamlProvider)` (named by ARN).
    read fn get_saml_provider(account_id: &str, arn: &str) -> SamlProvider
        = |tx| saml_sql::TABLE.get(tx, &account_id, &arn);

    /// Every SAML provider of the account, ordered by ARN.
    read fn list_saml_providers(account_id: &str) -> Vec<SamlProvider>
        = |tx| saml_sql::TABLE.list(tx, &account_id);

    /// `NotFound(SamlProvider)`.
    write fn delete_saml_provider(account_id: &str, arn: &str) -> ()
        = |tx| saml_sql::TABLE.delete(tx, &account_id, &arn);

    /// Applies one change in one transaction. `NotFound(SamlProvider)`;
    /// `LimitExceeded(TagsPerSamlProvider)`.
    write fn update_saml_provider(account_id: &str, arn: &str, change: SamlChange) -> SamlProvider
        = |tx| saml_sql::update(tx, &account_id, &arn, &change);
}
