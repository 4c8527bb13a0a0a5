//! The JSON-protocol services this server answers: one line per service.

use super::JsonApi;

/// Every JSON service, looked up by `X-Amz-Target` prefix.
pub static SERVICES: &[&dyn JsonApi] = &[&crate::api::cloudtrail::CLOUDTRAIL];

/// The service whose target prefix is `prefix`.
pub fn find(prefix: &str) -> Option<&'static dyn JsonApi> {
    SERVICES
        .iter()
        .copied()
        .find(|s| s.spec().target_prefixes.contains(&prefix))
}
