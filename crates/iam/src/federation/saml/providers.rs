//! IAM SAML providers: CreateSAMLProvider and its siblings. The metadata document is
//! checked (an IdP entity with an entity id and at least one usable signing certificate)
//! and stored as given; `ValidUntil` is the document's `validUntil`, or 100 years after
//! the upload when it has none (what AWS shows for such documents).

use chrono::{DateTime, Duration, Utc};
use hourglass_store::{SamlChange, SamlProvider};

use super::metadata::{self, UNPARSABLE};
use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::principal::Caller;
use crate::tags::{Taggable, to_tags};
use crate::{Identity, validate};

const TAG_QUOTA: &str = "TagsPerSAMLProvider";
const ARN_MEMBER: &str = "SAMLProviderArn";

/// CreateSAMLProvider's input.
#[derive(Debug, Clone, Default)]
pub struct CreateSamlProvider {
    pub name: String,
    pub metadata: String,
    pub tags: Vec<(String, String)>,
}

/// `Name`: `[\w._-]+`, 1–128 characters.
fn check_name(name: &str) -> IamResult<()> {
    validate::length(name, "Name", 1, 128)?;
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    {
        return Err(validate::violation(
            name,
            "Name",
            "Member must satisfy regular expression pattern: [\\w._-]+",
        ));
    }
    Ok(())
}

/// Checks a metadata document and returns its `ValidUntil`.
fn check_metadata(document: &str, now: DateTime<Utc>) -> IamResult<DateTime<Utc>> {
    let n = document.chars().count();
    if !(1000..=10_000_000).contains(&n) {
        let bound = if n < 1000 {
            "greater than or equal to 1000"
        } else {
            "less than or equal to 10000000"
        };
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value at 'sAMLMetadataDocument' failed to satisfy constraint: Member must have length {bound}"
        )));
    }
    let parsed = metadata::parse(document).map_err(|why| {
        tracing::info!(%why, "SAML metadata refused");
        IamError::InvalidInput(UNPARSABLE.into())
    })?;
    Ok(parsed
        .valid_until
        .unwrap_or_else(|| now + Duration::days(36525)))
}

impl Identity {
    /// `arn:aws:iam::ACCT:saml-provider/NAME`.
    pub fn saml_provider_arn(&self, name: &str) -> String {
        format!("arn:aws:iam::{}:saml-provider/{name}", self.account_id)
    }

    pub async fn create_saml_provider(
        &self,
        caller: &Caller,
        input: CreateSamlProvider,
    ) -> IamResult<SamlProvider> {
        check_name(&input.name)?;
        validate::tags_with_quota(&input.tags, TAG_QUOTA)?;
        let now = self.clock.now();
        let valid_until = check_metadata(&input.metadata, now)?;
        let arn = self.saml_provider_arn(&input.name);
        self.authorize(
            caller,
            &Access::new("iam:CreateSAMLProvider", &arn).with_request_tags(&input.tags),
        )
        .await?;
        self.authorize_create_tags(caller, Taggable::SamlProvider, &arn, &input.tags)
            .await?;
        let provider = SamlProvider {
            account_id: self.account_id.clone(),
            arn,
            name: input.name,
            uuid: uuid::Uuid::new_v4().to_string(),
            metadata: input.metadata,
            create_date: now,
            valid_until,
            tags: to_tags(&input.tags),
        };
        let created = self.store.create_saml_provider(provider).await?;
        tracing::info!(caller = %caller.arn(), provider = %created.arn, "created SAML provider");
        Ok(created)
    }

    async fn authorized_saml_provider(
        &self,
        caller: &Caller,
        action: &str,
        arn: &str,
    ) -> IamResult<SamlProvider> {
        validate::arn(arn, ARN_MEMBER)?;
        self.authorize_tagged(caller, Taggable::SamlProvider, action, arn)
            .await?;
        Ok(self.store.get_saml_provider(&self.account_id, arn).await?)
    }

    pub async fn get_saml_provider(&self, caller: &Caller, arn: &str) -> IamResult<SamlProvider> {
        self.authorized_saml_provider(caller, "iam:GetSAMLProvider", arn)
            .await
    }

    pub async fn list_saml_providers(&self, caller: &Caller) -> IamResult<Vec<SamlProvider>> {
        self.authorize(caller, &Access::new("iam:ListSAMLProviders", "*"))
            .await?;
        Ok(self.store.list_saml_providers(&self.account_id).await?)
    }

    pub async fn delete_saml_provider(&self, caller: &Caller, arn: &str) -> IamResult<()> {
        validate::arn(arn, ARN_MEMBER)?;
        self.authorize_tagged(
            caller,
            Taggable::SamlProvider,
            "iam:DeleteSAMLProvider",
            arn,
        )
        .await?;
        self.store
            .delete_saml_provider(&self.account_id, arn)
            .await?;
        tracing::info!(caller = %caller.arn(), provider = %arn, "deleted SAML provider");
        Ok(())
    }

    /// UpdateSAMLProvider with a new metadata document; returns the provider's ARN.
    pub async fn update_saml_provider(
        &self,
        caller: &Caller,
        arn: &str,
        document: &str,
    ) -> IamResult<SamlProvider> {
        validate::arn(arn, ARN_MEMBER)?;
        let valid_until = check_metadata(document, self.clock.now())?;
        self.authorize_tagged(
            caller,
            Taggable::SamlProvider,
            "iam:UpdateSAMLProvider",
            arn,
        )
        .await?;
        let updated = self
            .store
            .update_saml_provider(
                &self.account_id,
                arn,
                SamlChange::Metadata {
                    document: document.to_owned(),
                    valid_until,
                },
            )
            .await?;
        tracing::info!(caller = %caller.arn(), provider = %arn, "updated SAML provider metadata");
        Ok(updated)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn names() {
        for ok in ["Corp", "okta_prod.v2-1", &"a".repeat(128)] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "a/b", "a@b", &"a".repeat(129)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metadata_length_and_shape() {
        let now = Utc::now();
        assert!(matches!(
            check_metadata("<x/>", now),
            Err(IamError::Validation(_))
        ));
        let junk = format!("<x>{}</x>", "a".repeat(2000));
        assert!(matches!(
            check_metadata(&junk, now),
            Err(IamError::InvalidInput(m)) if m == UNPARSABLE
        ));
    }
}
