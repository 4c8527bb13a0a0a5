//! AccessDenied messages in AWS's wording (spec §5.9).

use crate::decision::{Decision, DecisionEffect, PolicyType, Reason};

impl Decision {
    /// The IAM/STS AccessDenied message for a denial, `None` when allowed:
    ///
    /// - `User: <arn> is not authorized to perform: <action> on resource: <resource>
    ///   because no identity-based policy allows the <action> action`
    /// - `User: <arn> is not authorized to perform: <action> on resource: <resource>
    ///   with an explicit deny in an identity-based policy`
    ///
    /// and the resource-based, permissions boundary, session and service control
    /// variants. `resource` `None` drops the `on resource:` part. S3 answers with the
    /// terse [`S3_ACCESS_DENIED`] instead.
    pub fn access_denied_message(
        &self,
        principal_arn: &str,
        action: &str,
        resource: Option<&str>,
    ) -> Option<String> {
        let head = || match resource {
            Some(r) => {
                format!(
                    "User: {principal_arn} is not authorized to perform: {action} on resource: {r}"
                )
            }
            None => format!("User: {principal_arn} is not authorized to perform: {action}"),
        };
        match self.effect {
            DecisionEffect::Allow => None,
            _ if self.reasons.contains(&Reason::RootCannotAssumeRole) => {
                Some("Roles may not be assumed by root accounts.".to_owned())
            }
            DecisionEffect::ExplicitDeny => Some(match self.denying_policy_type() {
                // AWS names the organization policy that denied (its ARN).
                Some(t @ PolicyType::ServiceControl) => match self.statements().find_map(|s| {
                    (s.policy_type == t && s.policy_id.starts_with("arn:")).then_some(&s.policy_id)
                }) {
                    Some(arn) => format!(
                        "{} with an explicit deny in {}: {arn}",
                        head(),
                        t.with_article()
                    ),
                    None => format!("{} with an explicit deny in {}", head(), t.with_article()),
                },
                Some(t) => format!("{} with an explicit deny in {}", head(), t.with_article()),
                None => head(),
            }),
            DecisionEffect::ImplicitDeny => Some(match self.denying_policy_type() {
                Some(t) => format!(
                    "{} because no {} allows the {action} action",
                    head(),
                    t.name()
                ),
                None => head(),
            }),
        }
    }
}

/// S3's AccessDenied message.
pub const S3_ACCESS_DENIED: &str = "Access Denied";
