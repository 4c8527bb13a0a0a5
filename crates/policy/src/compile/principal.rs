//! Principal matching for resource-based and trust policies.

use crate::context::{Principal, PrincipalKind};
use crate::document::PrincipalSet;

/// How a `Principal` entry covered the caller. The evaluator needs this: in the same
/// account a grant naming the user or session stands alone, one naming the role is still
/// cut by boundary and session policy, one naming the account grants nothing by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalMatch {
    /// The caller's account (`"123456789012"`, `arn:aws:iam::123456789012:root`).
    Account,
    /// A role session's role (ARN or `AROA…` id), or a federated user's parent user.
    Role,
    /// The IAM user itself (ARN or `AIDA…` id).
    User,
    /// The exact session: `assumed-role/R/S` or `federated-user/N`.
    Session,
    /// `"*"`, a matching `NotPrincipal`, a service or a federated provider.
    Everyone,
}

/// A compiled `Principal` / `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrincipalMatcher {
    negated: bool,
    everyone: bool,
    accounts: Box<[Box<str>]>,
    /// Principal ARNs other than account roots, and unique ids.
    arns: Box<[Box<str>]>,
    services: Box<[Box<str>]>,
    federated: Box<[Box<str>]>,
    /// S3 canonical user ids: each names an account.
    canonical: Box<[Box<str>]>,
}

/// `arn:aws:iam::ACCT:root` names the account, as the bare account id does.
fn account_of_root_arn(entry: &str) -> Option<&str> {
    let rest = entry.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, service, _region) = (parts.next()?, parts.next()?, parts.next()?);
    let (account, resource) = (parts.next()?, parts.next()?);
    (service == "iam" && resource == "root").then_some(account)
}

impl PrincipalMatcher {
    pub(crate) fn new(set: &PrincipalSet, negated: bool) -> PrincipalMatcher {
        let mut accounts = Vec::new();
        let mut arns = Vec::new();
        for entry in &set.aws {
            if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
                accounts.push(entry.as_str().into());
            } else if let Some(account) = account_of_root_arn(entry) {
                accounts.push(account.into());
            } else {
                arns.push(entry.as_str().into());
            }
        }
        let boxed = |v: &[String]| v.iter().map(|s| s.as_str().into()).collect();
        PrincipalMatcher {
            negated,
            everyone: set.everyone,
            accounts: accounts.into_boxed_slice(),
            arns: arns.into_boxed_slice(),
            services: boxed(&set.service),
            federated: boxed(&set.federated),
            canonical: boxed(&set.canonical_user),
        }
    }

    fn has_account(&self, account: &str) -> bool {
        !account.is_empty() && self.accounts.iter().any(|a| &**a == account)
    }

    /// The caller's account, named by id, root ARN or canonical user id.
    fn names_account(&self, p: &Principal<'_>) -> bool {
        self.has_account(p.account)
            || p.canonical_user
                .is_some_and(|c| self.canonical.iter().any(|e| e.eq_ignore_ascii_case(c)))
    }

    fn has_arn(&self, arn: Option<&str>) -> bool {
        arn.is_some_and(|arn| !arn.is_empty() && self.arns.iter().any(|a| &**a == arn))
    }

    /// The most specific way a `Principal` entry names the caller, if any.
    fn best_match(&self, p: &Principal<'_>) -> Option<PrincipalMatch> {
        let named = match p.kind {
            PrincipalKind::User => (self.has_arn(Some(p.arn)) || self.has_arn(Some(p.user_id)))
                .then_some(PrincipalMatch::User),
            PrincipalKind::AssumedRole => {
                if self.has_arn(Some(p.arn)) {
                    Some(PrincipalMatch::Session)
                } else if self.has_arn(p.parent_arn) || self.has_arn(p.parent_id) {
                    Some(PrincipalMatch::Role)
                } else {
                    None
                }
            }
            PrincipalKind::FederatedUser => {
                if self.has_arn(Some(p.arn)) {
                    Some(PrincipalMatch::Session)
                } else if self.has_arn(p.parent_arn) {
                    Some(PrincipalMatch::Role)
                } else {
                    None
                }
            }
            PrincipalKind::Service => self
                .services
                .iter()
                .any(|s| &**s == p.arn)
                .then_some(PrincipalMatch::Everyone),
            PrincipalKind::WebIdentity | PrincipalKind::Saml => self
                .federated
                .iter()
                .any(|f| &**f == p.arn)
                .then_some(PrincipalMatch::Everyone),
            PrincipalKind::Root | PrincipalKind::Anonymous => None,
        };
        named
            .or_else(|| self.everyone.then_some(PrincipalMatch::Everyone))
            .or_else(|| self.names_account(p).then_some(PrincipalMatch::Account))
    }

    /// Whether each identity of the caller's chain (account, user or role, session) is
    /// listed; used by `NotPrincipal`.
    fn chain_listed(&self, p: &Principal<'_>) -> (bool, bool) {
        if self.everyone {
            return (true, false);
        }
        let account = self.names_account(p);
        let (all, any) = match p.kind {
            PrincipalKind::Root => (account, account),
            PrincipalKind::User => {
                let user = self.has_arn(Some(p.arn)) || self.has_arn(Some(p.user_id));
                (account && user, account || user)
            }
            PrincipalKind::AssumedRole | PrincipalKind::FederatedUser => {
                let parent = self.has_arn(p.parent_arn) || self.has_arn(p.parent_id);
                let session = self.has_arn(Some(p.arn));
                let parent_needed = p.kind == PrincipalKind::AssumedRole;
                (
                    account && session && (parent || !parent_needed),
                    account || session || parent,
                )
            }
            PrincipalKind::Anonymous => (false, false),
            PrincipalKind::Service => {
                let s = self.services.iter().any(|s| &**s == p.arn);
                (s, s)
            }
            PrincipalKind::WebIdentity | PrincipalKind::Saml => {
                let f = self.federated.iter().any(|f| &**f == p.arn);
                (f, f)
            }
        };
        (all, !any)
    }

    /// Whether the element covers the caller, and how.
    ///
    /// `NotPrincipal` with Deny applies when any identity of the caller's chain is not
    /// listed; with Allow (discouraged) only when none is listed.
    pub(crate) fn matches(&self, p: &Principal<'_>, deny: bool) -> Option<PrincipalMatch> {
        if !self.negated {
            return self.best_match(p);
        }
        let (all_listed, none_listed) = self.chain_listed(p);
        let applies = if deny { !all_listed } else { none_listed };
        applies.then_some(PrincipalMatch::Everyone)
    }
}
