//! The JSON-protocol services this server answers: one line per service.

use crate::json::JsonApi;

/// Every JSON service, looked up by `X-Amz-Target` prefix.
pub static SERVICES: &[&dyn JsonApi] = &[
    &crate::api::cloudtrail::CLOUDTRAIL,
    &crate::api::organizations::ORGANIZATIONS,
    &crate::api::secretsmanager::SECRETS_MANAGER,
    &crate::api::admin::ADMIN,
];

/// The service whose target prefix is `prefix`.
pub fn find(prefix: &str) -> Option<&'static dyn JsonApi> {
    SERVICES
        .iter()
        .copied()
        .find(|s| s.spec().target_prefixes.contains(&prefix))
}
