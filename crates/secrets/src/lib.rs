//! The Secrets Manager domain: secrets, versions and their staging labels, rotation
//! configuration and schedules, deletion lifecycle, listing and random passwords, over the
//! one [`hourglass_store::Store`]. Pure parts ([`labels`], [`schedule`], [`validate`],
//! [`password`], [`list`]) do no I/O; [`Secrets`] applies them to stored secrets.
//!
//! The wire (JSON 1.1), authorization and the rotators live in the server; this crate
//! answers with [`SmError`]s that carry AWS's `__type` codes and messages.

pub mod error;
pub mod labels;
pub mod list;
pub mod model;
pub mod password;
pub mod rotation;
pub mod schedule;
pub mod service;
pub mod validate;

pub use error::{SmError, SmResult};
pub use model::{Loaded, Meta, RotationJob, RotationRules, Tag, Version};
pub use service::{CreateInput, PutInput, Secrets, UpdateInput};

/// Staging labels Secrets Manager gives meaning to.
pub const AWSCURRENT: &str = "AWSCURRENT";
pub const AWSPENDING: &str = "AWSPENDING";
pub const AWSPREVIOUS: &str = "AWSPREVIOUS";
