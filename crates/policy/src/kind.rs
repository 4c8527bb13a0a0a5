//! Policy kinds, their element rules and their size limits.

use crate::error::ErrorCode;

/// What a policy document is used for; decides which elements it may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyKind {
    /// An identity policy that is not a managed policy: user/group/role inline policies,
    /// session policies. No `Principal`; `Action` and `Resource` required; any version.
    Identity,
    /// A customer managed policy (also used as a permissions boundary or session policy ARN):
    /// like [`PolicyKind::Identity`] but the version must be `2012-10-17`.
    Managed,
    /// A role trust policy: `Principal` required, no `NotPrincipal`, no `Resource`,
    /// only `sts:` AssumeRole-family actions.
    Trust,
    /// An S3 bucket policy: `Principal`/`NotPrincipal` and `Resource` required; S3 error
    /// code and messages.
    Resource,
    /// An organisation service control policy: no `Principal`; `Resource` optional.
    Scp,
    /// A resource-based policy of a non-S3 resource (a Secrets Manager secret):
    /// `Principal`/`NotPrincipal` and `Resource` required, `Resource` may be `"*"` or any
    /// ARN; IAM's error code and messages.
    ServiceResource,
}

impl PolicyKind {
    /// The error code family invalid documents of this kind are reported under.
    pub fn error_code(self) -> ErrorCode {
        match self {
            PolicyKind::Resource => ErrorCode::MalformedPolicy,
            _ => ErrorCode::MalformedPolicyDocument,
        }
    }
}

/// Size limits, in characters not counting whitespace (see [`policy_size`]).
pub mod limits {
    /// A customer managed policy (`Cannot exceed quota for PolicySize: 6144`).
    pub const MANAGED_POLICY: usize = 6144;
    /// All inline policies of one user together.
    pub const INLINE_USER_AGGREGATE: usize = 2048;
    /// All inline policies of one group together.
    pub const INLINE_GROUP_AGGREGATE: usize = 5120;
    /// All inline policies of one role together.
    pub const INLINE_ROLE_AGGREGATE: usize = 10240;
    /// A role trust policy (`Cannot exceed quota for ACLSizePerRole: 2048`).
    pub const TRUST_POLICY: usize = 2048;
    /// An S3 bucket policy (20 KiB).
    pub const BUCKET_POLICY: usize = 20480;
    /// A session policy plus managed policy ARNs, plaintext (before packing).
    pub const SESSION_POLICY_PACKED: usize = 2048;
    /// An SCP (`MaxPolicySize`, whitespace not counted).
    pub const SERVICE_CONTROL_POLICY: usize = 5120;
    /// The largest document the parser looks at, in bytes (the IAM API model's limit).
    /// Anything longer is refused before parsing so no input can make parsing slow.
    pub const MAX_DOCUMENT_BYTES: usize = 131_072;
}

/// The size AWS counts against policy quotas: characters, not counting whitespace.
///
/// Whitespace is the JSON insignificant whitespace (space, tab, CR, LF) wherever it
/// occurs; AWS does not distinguish whitespace inside strings.
pub fn policy_size(text: &str) -> usize {
    text.chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '\r' | '\n'))
        .count()
}
