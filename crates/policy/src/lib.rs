//! The IAM policy language of Hourglass: parse, validate, compile and evaluate AWS
//! policies, with the decision AWS would give and the reasons for it.
//!
//! The shape follows Cedar: a document is parsed and validated ([`parse`], with AWS's
//! `MalformedPolicyDocument` / `MalformedPolicy` messages), compiled once
//! ([`CompiledPolicy`], shared through [`PolicyCache`]), and evaluated by a pure function
//! ([`evaluate`], [`evaluate_assume_role`]) that returns a [`Decision`] naming the
//! deciding policies and statements. No I/O, no async, no panics.
//!
//! ```
//! use std::sync::Arc;
//! use hourglass_policy::*;
//!
//! let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
//!     "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}]}"#;
//! let cache = PolicyCache::default();
//! let policy = AttachedPolicy::new("inline:user/alice/home", cache.get_or_compile(text, PolicyKind::Identity)?);
//! let alice = Principal::user("123456789012", "arn:aws:iam::123456789012:user/alice", "AIDAEXAMPLE");
//! let ctx = RequestContext::new("s3:GetObject", Some("arn:aws:s3:::b/home/alice/x"), alice)
//!     .with("aws:SecureTransport", "true");
//! let identity = [policy];
//! let decision = evaluate(&EvaluationInput { identity: &identity, ..Default::default() }, &ctx);
//! assert!(decision.is_allowed());
//!
//! let other = RequestContext::new("s3:GetObject", Some("arn:aws:s3:::b/home/bob/x"), alice);
//! let denied = evaluate(&EvaluationInput { identity: &identity, ..Default::default() }, &other);
//! assert_eq!(
//!     denied.access_denied_message(alice.arn, other.action, other.resource).as_deref(),
//!     Some("User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject \
//!           on resource: arn:aws:s3:::b/home/bob/x because no identity-based policy allows the s3:GetObject action"),
//! );
//! # Ok::<(), PolicyError>(())
//! ```

mod arn;
mod cache;
mod compile;
pub mod conditions;
mod context;
mod decision;
mod document;
mod error;
mod evaluate;
mod glob;
mod kind;
mod message;
mod parse;
mod trust;
mod validate;
mod variables;

pub use cache::PolicyCache;
pub use compile::{CompiledPolicy, PrincipalMatch};
pub use conditions::operator::{BaseOperator, Operator, SetQualifier};
pub use context::{KeyValues, Principal, PrincipalKind, RequestContext, Values};
pub use decision::{AttachedPolicy, Decision, DecisionEffect, PolicyType, Reason, StatementRef};
pub use document::{
    ActionElement, Condition, Effect, Policy, PrincipalElement, PrincipalSet, ResourceElement,
    Statement, Version,
};
pub use error::{ErrorCode, PolicyError};
pub use evaluate::{EvaluationInput, evaluate};
pub use kind::{PolicyKind, limits, policy_size};
pub use message::S3_ACCESS_DENIED;
pub use parse::parse;
pub use trust::{AssumeRoleAction, AssumeRoleRequest, TrustDecision, evaluate_assume_role};
pub use validate::validate_bucket_resources;
