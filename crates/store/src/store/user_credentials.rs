//! The user-credential methods of [`Store`] (signing certificates, SSH public keys,
//! service-specific credentials). Service passwords are sealed with the key ring (AAD = the
//! credential id).

use super::Store;
use crate::error::Result;
#[allow(unused_imports)] // used by rustdoc links
use crate::error::{Quota, ResourceKind, StoreError};
use crate::keyring::Secret;
use crate::records::{CredentialKind, NewUserCredential, UserCredential};
use crate::sql::{Backend, tx_fn, user_credentials};

store_api! {
    /// `NotFound(User | UserCredential)`.
    read fn get_user_credential(
        account_id: &str,
        user: &str,
        kind: CredentialKind,
        id: &str,
    ) -> UserCredential
        = |tx| user_credentials::get(tx, &account_id, &user, kind, &id);

    /// `NotFound(User | UserCredential)`.
    write fn set_user_credential_status(
        account_id: &str,
        user: &str,
        kind: CredentialKind,
        id: &str,
        status: &str,
    ) -> ()
        = |tx| user_credentials::set_status(tx, &account_id, &user, kind, &id, &status);

    /// `NotFound(User | UserCredential)`.
    write fn delete_user_credential(
        account_id: &str,
        user: &str,
        kind: CredentialKind,
        id: &str,
    ) -> ()
        = |tx| user_credentials::delete(tx, &account_id, &user, kind, &id);
}

impl Store {
    /// `NotFound(User)`; `AlreadyExists(UserCredential)` for a duplicate fingerprint;
    /// `LimitExceeded(SigningCertificatesPerUser | SSHPublicKeysPerUser |
    /// ServiceSpecificCredentialsPerUserPerService)`.
    pub async fn create_user_credential(&self, c: NewUserCredential) -> Result<UserCredential> {
        let sealed = match &c.secret {
            Some(s) => Some(self.keyring.seal_secret(s, c.credential_id.as_bytes())?),
            None => None,
        };
        run!(self.write, [c, sealed], |tx| user_credentials::create(
            tx,
            &c,
            sealed.as_deref()
        ))
    }

    /// The user's credentials of a kind (and service), oldest first. `NotFound(User)`.
    pub async fn list_user_credentials(
        &self,
        account_id: &str,
        user: &str,
        kind: CredentialKind,
        service: Option<&str>,
    ) -> Result<Vec<UserCredential>> {
        let service = service.map(str::to_owned);
        run!(self.read, [account_id, user, kind, service], |tx| {
            user_credentials::list(tx, &account_id, &user, kind, service.as_deref())
        })
    }

    /// Replaces a service-specific credential's password. `NotFound(User | UserCredential)`.
    pub async fn reset_service_credential(
        &self,
        account_id: &str,
        user: &str,
        id: &str,
        secret: &Secret,
    ) -> Result<UserCredential> {
        let sealed = self.keyring.seal_secret(secret, id.as_bytes())?;
        run!(self.write, [account_id, user, id, sealed], |tx| {
            user_credentials::set_secret(tx, &account_id, &user, &id, &sealed)
        })
    }

    /// The opened password of a service-specific credential.
    pub async fn service_credential_secret(
        &self,
        account_id: &str,
        user: &str,
        id: &str,
    ) -> Result<Option<Secret>> {
        let sealed = run!(self.read, [account_id, user, id], |tx| {
            user_credentials::sealed_secret(tx, &account_id, &user, &id)
        })?;
        match sealed {
            Some(s) => Ok(Some(self.keyring.open_secret(&s, id.as_bytes())?)),
            None => Ok(None),
        }
    }
}
