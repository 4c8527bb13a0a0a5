//! AWS managed policies (`arn:aws:iam::aws:policy{path}{name}`): every one AWS publishes,
//! from the catalogue compiled into the binary ([`catalogue`]). They are attachable in every
//! account and read-only: the store refuses to modify them (UnmodifiableEntity).
//!
//! A policy enters the store the first time a request names it (GetPolicy, Attach…,
//! permissions boundaries, …): the store then holds only the policies in use, and start-up
//! costs nothing. Listings merge the store's rows (which carry per-account attachment
//! counts) with the catalogue's untouched policies (which have none). At start-up the
//! policies already in the store are brought up to the catalogue's versions.

pub mod catalogue;

use std::collections::HashSet;

use hourglass_store::{
    AWS_ACCOUNT, ManagedPolicy, Page, PageRequest, PolicyFilter, PolicyScope, decode_page_marker,
    encode_page_marker,
};

use crate::Identity;
use crate::error::IamResult;

pub use catalogue::{Catalogue, Entry, catalogue};

const ARN_PREFIX: &str = "arn:aws:iam::aws:policy/";

/// Policies AWS reserves for service-linked roles (`/aws-service-role/`): readable, never
/// attachable to customer entities. (Some exceed the 131,072-byte document limit, which is
/// why nothing here ever needs to evaluate them.)
const SERVICE_ROLE_PREFIX: &str = "arn:aws:iam::aws:policy/aws-service-role/";

/// Refuses to attach (or set as boundary) a service-linked role's policy, as AWS does.
pub(crate) fn check_attachable(arn: &str) -> IamResult<()> {
    if arn.starts_with(SERVICE_ROLE_PREFIX) {
        return Err(crate::IamError::PolicyNotAttachable(
            "Cannot attach a Service Role Policy to a Customer Role.".into(),
        ));
    }
    Ok(())
}

/// ARNs this process has put in the store (or found there up to date). Held across the
/// store write so two first uses of one policy do not race each other's insert.
#[derive(Debug, Default)]
pub(crate) struct Materialized(tokio::sync::Mutex<HashSet<String>>);

/// Listing key of a policy: (lowercased name, ARN), the store's paging order.
fn listing_key(p: &ManagedPolicy) -> (String, String) {
    (p.name.to_lowercase(), p.arn.clone())
}

impl Identity {
    /// Puts the AWS managed policy `arn` in the store if the catalogue has it and this
    /// process has not done so yet. Any other ARN is left alone (the store then answers
    /// NoSuchEntity as for any unknown policy).
    pub async fn ensure_aws_managed_policy(&self, arn: &str) -> IamResult<()> {
        if !arn.starts_with(ARN_PREFIX) {
            return Ok(());
        }
        let mut done = self.aws_policies.0.lock().await;
        if done.contains(arn) {
            return Ok(());
        }
        let cat = catalogue()?;
        let Some(entry) = cat.get(arn) else {
            return Ok(());
        };
        let mut docs = cat.documents(&[entry])?;
        if let Some(document) = docs.remove(arn) {
            self.store
                .upsert_aws_managed_policy(entry.definition(document))
                .await?;
            done.insert(arn.to_owned());
        }
        Ok(())
    }

    /// Start-up: brings the AWS managed policies already in the store to the catalogue's
    /// default versions (a new release may carry newer documents). Nothing is decoded when
    /// the store holds none. Policies AWS has since withdrawn stay as they are.
    pub async fn register_aws_managed_policies(&self) -> IamResult<()> {
        let filter = PolicyFilter {
            scope: PolicyScope::Aws,
            ..Default::default()
        };
        let mut stored = Vec::new();
        let mut page = PageRequest::first(1000);
        loop {
            let got = self
                .store
                .list_policies(AWS_ACCOUNT, &filter, &page)
                .await?;
            stored.extend(got.items.into_iter().map(|p| p.arn));
            match got.next_marker {
                Some(m) => page.marker = Some(m),
                None => break,
            }
        }
        if stored.is_empty() {
            return Ok(());
        }
        let cat = catalogue()?;
        let entries: Vec<&Entry> = stored.iter().filter_map(|arn| cat.get(arn)).collect();
        let mut docs = cat.documents(&entries)?;
        let mut done = self.aws_policies.0.lock().await;
        for entry in entries {
            if let Some(document) = docs.remove(&entry.arn) {
                self.store
                    .upsert_aws_managed_policy(entry.definition(document))
                    .await?;
                done.insert(entry.arn.clone());
            }
        }
        Ok(())
    }

    /// Adds the catalogue's policies the store does not hold to a ListPolicies page of the
    /// store (`db`, listed with `page` and `path_prefix`), keeping the store's order and
    /// markers. Policies only in the catalogue are attached nowhere, so listings filtered on
    /// attachment (`OnlyAttached`, `PolicyUsageFilter`) need no merge.
    pub(crate) fn merge_aws_catalogue(
        &self,
        db: Page<ManagedPolicy>,
        path_prefix: Option<&str>,
        page: &PageRequest,
    ) -> IamResult<Page<ManagedPolicy>> {
        let cat = catalogue()?;
        let max = page.max_items.clamp(1, 1000) as usize;
        let candidates = match decode_page_marker(page, 2)? {
            Some(key) => match key.as_slice() {
                [name, arn] => cat.after(name, arn),
                _ => cat.entries(),
            },
            None => cat.entries(),
        };
        // Every store row at or before the merged page's end is in `db` (the store returned
        // all of them, or `max` rows that come first), so de-duplicating against it suffices.
        let in_db: HashSet<&str> = db.items.iter().map(|p| p.arn.as_str()).collect();
        let extra: Vec<ManagedPolicy> = candidates
            .iter()
            .filter(|e| path_prefix.is_none_or(|p| e.path.starts_with(p)))
            .filter(|e| !in_db.contains(e.arn.as_str()))
            .take(max + 1)
            .map(Entry::to_policy)
            .collect();
        let db_truncated = db.next_marker.is_some();
        let mut items = db.items;
        items.extend(extra);
        items.sort_by_key(listing_key);
        let truncated = db_truncated || items.len() > max;
        items.truncate(max);
        let next_marker = if truncated {
            items.last().map(|p| {
                let (name, arn) = listing_key(p);
                encode_page_marker(&[&name, &arn])
            })
        } else {
            None
        };
        Ok(Page { items, next_marker })
    }
}
