//! CloudTrail (2013-11-01) over the JSON 1.1 front: event history from the audit log.

pub mod lookup;

use hourglass_wire::json::JsonVersion;

use crate::json::{ServiceSpec, json_operations};

json_operations! {
    /// CloudTrail's operations served here.
    pub enum CloudTrailOperation, pub static CLOUDTRAIL: CloudTrailApi = ServiceSpec {
        target_prefixes: &[
            "CloudTrail_20131101",
            "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101",
        ],
        signing_name: "cloudtrail",
        version: JsonVersion::V1_1,
    }, "cloudtrail" {
        LookupEvents => lookup::lookup_events;
    }
}
