//! Records of the IAM areas added after the first schema: instance profiles, account
//! settings, MFA devices, login profiles and the other credentials kept on users.

use chrono::{DateTime, Utc};

use crate::model::{Role, Tag};

/// An instance profile and the (at most one) role in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceProfile {
    pub account_id: String,
    /// `AIPA…`.
    pub profile_id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub create_date: DateTime<Utc>,
    pub roles: Vec<Role>,
    pub tags: Vec<Tag>,
}

/// Input of [`Store::create_instance_profile`](crate::Store::create_instance_profile).
#[derive(Debug, Clone)]
pub struct NewInstanceProfile {
    pub account_id: String,
    pub profile_id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub create_date: DateTime<Utc>,
    pub tags: Vec<Tag>,
}
