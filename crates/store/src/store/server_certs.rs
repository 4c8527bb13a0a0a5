//! The server-certificate methods of [`Store`]. Private keys are sealed with the key ring
//! (AAD = the certificate id) before they reach SQL.

use super::Store;
use crate::error::Result;
use crate::keyring::Secret;
use crate::server_certs::{ServerCertificate, ServerCertificateChange, sql};
use crate::sql::{Backend, tx_fn};

store_api! {
    /// By name (case-insensitive). `NotFound(ServerCertificate)`.
    read fn get_server_certificate(account_id: &str, name: &str) -> ServerCertificate
        = |tx| sql::get(tx, &account_id, &name);

    /// The account's certificates under `path_prefix`, ordered by name.
    read fn list_server_certificates(account_id: &str, path_prefix: &str) -> Vec<ServerCertificate>
        = |tx| sql::list(tx, &account_id, &path_prefix);

    /// How many certificates the account holds (GetAccountSummary).
    read fn server_certificate_count(account_id: &str) -> u32 = |tx| sql::count(tx, &account_id);

    /// `NotFound(ServerCertificate)`.
    write fn delete_server_certificate(account_id: &str, name: &str) -> ()
        = |tx| sql::delete(tx, &account_id, &name);

    /// Applies one change in one transaction. `NotFound(ServerCertificate)`;
    /// `AlreadyExists(ServerCertificate)`; `LimitExceeded(TagsPerServerCertificate)`.
    write fn update_server_certificate(
        account_id: &str,
        name: &str,
        change: ServerCertificateChange,
    ) -> ServerCertificate
        = |tx| sql::update(tx, &account_id, &name, &change);
}

impl Store {
    /// `NotFound(Account)`; `AlreadyExists(ServerCertificate)`;
    /// `LimitExceeded(ServerCertificatesPerAccount)`.
    pub async fn upload_server_certificate(
        &self,
        certificate: ServerCertificate,
        private_key: &Secret,
    ) -> Result<ServerCertificate> {
        let sealed = self
            .keyring
            .seal_secret(private_key, certificate.certificate_id.as_bytes())?;
        run!(self.write, [certificate, sealed], |tx| sql::create(
            tx,
            &certificate,
            &sealed
        ))
    }
}
