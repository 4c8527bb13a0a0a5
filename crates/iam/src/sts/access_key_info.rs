//! GetAccessKeyInfo (spec §3.8): the account owning an access key.

use hourglass_store::StoreError;

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::principal::Caller;
use crate::session::account_of_temporary_key;
use crate::{Identity, validate};

impl Identity {
    /// GetAccessKeyInfo: long-term keys (active or not) are looked up; temporary keys name
    /// their account in their id. A key this server never issued (or a deleted long-term
    /// key) is a ValidationError, since no account can be told for it.
    pub async fn get_access_key_info(
        &self,
        caller: &Caller,
        access_key_id: &str,
    ) -> IamResult<String> {
        validate::access_key_id(access_key_id, "AccessKeyId")?;
        self.authorize(caller, &Access::new("sts:GetAccessKeyInfo", "*"))
            .await?;
        if let Some(account) = account_of_temporary_key(access_key_id) {
            return Ok(account);
        }
        match self.store.get_access_key(access_key_id).await {
            Ok(k) => Ok(k.metadata.account_id),
            Err(StoreError::NotFound { .. }) => Err(IamError::Validation(format!(
                "The access key ID {access_key_id} was not issued by this server."
            ))),
            Err(e) => Err(e.into()),
        }
    }
}
