//! Managed policy versions: CreatePolicyVersion, GetPolicyVersion, ListPolicyVersions,
//! SetDefaultPolicyVersion, DeletePolicyVersion. The store allocates version ids and
//! enforces the five-version limit inside its transaction, so racing creators cannot
//! leave six.

use hourglass_store::{Page, PageRequest, PolicyVersion};

use crate::error::IamResult;
use crate::policies::check_managed_document;
use crate::{Caller, Identity, validate};

impl Identity {
    /// Checks the version id's shape, then authorizes `action` on the policy.
    async fn authorize_version(
        &self,
        caller: &Caller,
        action: &str,
        arn: &str,
        version_id: &str,
    ) -> IamResult<()> {
        validate::version_id(version_id, "VersionId")?;
        self.authorize_policy(caller, action, arn).await
    }

    pub async fn create_policy_version(
        &self,
        caller: &Caller,
        arn: &str,
        document: &str,
        set_as_default: bool,
    ) -> IamResult<PolicyVersion> {
        validate::policy_document(document, "PolicyDocument")?;
        self.authorize_policy(caller, "iam:CreatePolicyVersion", arn)
            .await?;
        check_managed_document(document)?;
        Ok(self
            .store
            .create_policy_version(
                &self.account_id,
                arn,
                document,
                set_as_default,
                self.clock.now(),
            )
            .await?)
    }

    pub async fn get_policy_version(
        &self,
        caller: &Caller,
        arn: &str,
        version_id: &str,
    ) -> IamResult<PolicyVersion> {
        self.authorize_version(caller, "iam:GetPolicyVersion", arn, version_id)
            .await?;
        Ok(self
            .store
            .get_policy_version(&self.account_id, arn, version_id)
            .await?)
    }

    /// All versions, newest first, cut into pages here: a policy has at most five.
    pub async fn list_policy_versions(
        &self,
        caller: &Caller,
        arn: &str,
        page: PageRequest,
    ) -> IamResult<Page<PolicyVersion>> {
        self.authorize_policy(caller, "iam:ListPolicyVersions", arn)
            .await?;
        let versions = self
            .store
            .list_policy_versions(&self.account_id, arn)
            .await?;
        Ok(slice_page(versions, &page))
    }

    pub async fn set_default_policy_version(
        &self,
        caller: &Caller,
        arn: &str,
        version_id: &str,
    ) -> IamResult<()> {
        self.authorize_version(caller, "iam:SetDefaultPolicyVersion", arn, version_id)
            .await?;
        Ok(self
            .store
            .set_default_policy_version(&self.account_id, arn, version_id, self.clock.now())
            .await?)
    }

    pub async fn delete_policy_version(
        &self,
        caller: &Caller,
        arn: &str,
        version_id: &str,
    ) -> IamResult<()> {
        self.authorize_version(caller, "iam:DeletePolicyVersion", arn, version_id)
            .await?;
        Ok(self
            .store
            .delete_policy_version(&self.account_id, arn, version_id)
            .await?)
    }
}

/// Pages a short, fully loaded list with a numeric offset as marker
/// ([`PageRequest::offset_window`]).
pub(crate) fn slice_page<T>(items: Vec<T>, page: &PageRequest) -> Page<T> {
    let std::ops::Range { start, end } = page.offset_window(items.len());
    let next_marker = (end < items.len()).then(|| end.to_string());
    let items = items.into_iter().skip(start).take(end - start).collect();
    Page { items, next_marker }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_of_short_lists() {
        let page = |marker: Option<&str>, max: u32| PageRequest {
            marker: marker.map(str::to_owned),
            max_items: max,
        };
        let p = slice_page(vec![1, 2, 3, 4, 5], &page(None, 2));
        assert_eq!(p.items, vec![1, 2]);
        assert_eq!(p.next_marker.as_deref(), Some("2"));
        let p = slice_page(vec![1, 2, 3, 4, 5], &page(Some("4"), 2));
        assert_eq!(p.items, vec![5]);
        assert!(p.next_marker.is_none());
        let p = slice_page(vec![1, 2], &page(Some("9"), 2));
        assert!(p.items.is_empty());
        assert!(!p.is_truncated());
    }
}
