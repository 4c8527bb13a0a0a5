//! The storage conformance suite: one set of async test cases (IAM and S3), run against every backend
//! (Quickwit's `metastore_test_suite!` style). A backend's test file implements [`Harness`]
//! and invokes [`conformance_suite!`](crate::conformance_suite).

#![allow(dead_code)]

pub mod account_settings;
pub mod attachments;
pub mod audit;
pub mod concurrency;
pub mod federation;
pub mod fixtures;
pub mod groups;
pub mod instance_profiles;
pub mod keys;
pub mod login_profiles;
pub mod mfa;
pub mod organizations;
pub mod policies;
pub mod principals;
pub mod roles;
pub mod s3;
pub mod s3_versions;
pub mod secrets;
pub mod server_certs;
pub mod trails;
pub mod users;

use std::sync::Arc;

use async_trait::async_trait;
use hourglass_store::{KeyRing, Quotas, Store};

/// What the suite needs from a backend: fresh, isolated databases it can open (and reopen).
#[async_trait]
pub trait Harness: Send + Sync {
    /// Opens a store on this harness's database (the same database every call).
    async fn open_with(&self, keyring: Arc<KeyRing>, quotas: Quotas) -> Arc<Store>;

    /// The key ring [`Harness::open`] uses.
    fn keyring(&self) -> Arc<KeyRing>;

    /// The `secret_sealed` column of an access key, read around the store.
    async fn raw_sealed_secret(&self, access_key_id: &str) -> String;

    async fn open(&self) -> Arc<Store> {
        self.open_with(self.keyring(), Quotas::default()).await
    }
}

/// Generates one `#[tokio::test]` per case. `$harness` is an async expression yielding
/// `Option<impl Harness>` (`None` = backend unavailable: the test passes after saying so).
#[macro_export]
macro_rules! conformance_suite {
    ($harness:expr) => {
        $crate::conformance_suite!(@cases $harness;
            users: [
                account_ensure_is_idempotent,
                create_get_case_insensitive,
                list_pagination_and_prefix,
                rename_keeps_id_and_everything_attached,
                delete_conflicts_in_order,
                tags_case_insensitive_and_quota,
                permissions_boundary,
                settings_and_summary,
                reopen_keeps_data,
            ],
            audit: [lookups, revocations_and_reports, resource_lookups_page_without_duplicates],
            keys: [lifecycle_and_ownership, quota_per_owner, last_used, secret_encrypted_at_rest, active_created_before],
            roles: [crud, delete_conflicts, tags_and_list],
            policies: [
                create_get_and_duplicates,
                list_scopes_filters_and_pages,
                versions_limit_and_ids,
                delete_rules,
                aws_managed_read_only_and_idempotent,
            ],
            attachments: [attach_detach_and_limits, entities_for_policy, inline_policies_and_size],
            groups: [lifecycle, delete_conflicts, groups_per_user_limit, account_quotas],
            principals: [user_and_role_policies],
            federation: [oidc_providers, saml_providers],
            organizations: [organization_and_member_accounts, units_policies_and_controls],
            instance_profiles: [lifecycle_and_one_role, list_pages_and_tags],
            account_settings: [alias_and_password_policy],
            mfa: [
                lifecycle_and_replay_guard,
                seed_encrypted_at_rest,
                tags_created_listed_and_removed_with_the_device,
            ],
            login_profiles: [lifecycle_and_history],
            server_certs: [lifecycle_and_quota],
            trails: [lifecycle],
            concurrency: [
                access_keys_quota_holds,
                policy_versions_quota_holds,
                unique_names_hold,
                attachment_quota_holds,
            ],
            s3: [
                buckets,
                objects,
                listing,
                multipart,
                reopen_keeps_objects,
                concurrent_puts_free_each_version_once,
                delete_bucket_races_put,
            ],
            s3_versions: [
                enabled_keeps_every_version,
                suspended_replaces_only_null,
                delete_by_version_promotes,
                listing_pages_by_key_and_version,
                configuration_documents,
                inline_data_travels_with_its_version,
            ],
            secrets: [lifecycle, sealed_and_bound, due_work_is_claimed_once],
        );
    };
    (@cases $harness:expr; $($module:ident: [$($case:ident),* $(,)?]),* $(,)?) => {
        $(
            mod $module {
                #[allow(unused_imports)]
                use super::*;
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $case() {
                        let Some(harness) = $harness.await else { return };
                        conformance::$module::$case(&harness).await;
                    }
                )*
            }
        )*
    };
}

/// Asserts that a result is the given error pattern, printing the actual value otherwise.
#[macro_export]
macro_rules! assert_err {
    ($result:expr, $pattern:pat $(if $guard:expr)?) => {
        match $result {
            Err($pattern) $(if $guard)? => {}
            other => panic!("expected {}, got {:?}", stringify!($pattern), other),
        }
    };
}
