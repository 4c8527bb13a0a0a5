//! CloudTrail (2013-11-01) over the JSON 1.1 front: event history from the audit log, and
//! trails delivering it as log files into buckets of this server.

pub mod lookup;
pub mod trail_delivery;
pub mod trail_model;
pub mod trail_tags;
pub mod trails;

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
        CreateTrail => trails::create_trail;
        GetTrail => trails::get_trail;
        DescribeTrails => trails::describe_trails;
        ListTrails => trails::list_trails;
        UpdateTrail => trails::update_trail;
        DeleteTrail => trails::delete_trail;
        StartLogging => trails::start_logging;
        StopLogging => trails::stop_logging;
        GetTrailStatus => trails::get_trail_status;
        GetEventSelectors => trails::get_event_selectors;
        PutEventSelectors => trails::put_event_selectors;
        AddTags => trail_tags::add_tags;
        RemoveTags => trail_tags::remove_tags;
        ListTags => trail_tags::list_tags;
    }
}
