//! The request context: who asks, for what action on which resource, with which
//! condition keys. Built per request, borrowing from the caller; no heap allocation for
//! up to 16 keys with one value each.

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::glob::eq_fold;
use crate::variables::VarSource;

/// What kind of principal makes the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// The account's root user.
    Root,
    /// An IAM user (long-term keys or GetSessionToken credentials).
    User,
    /// A role session (AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML).
    AssumedRole,
    /// A GetFederationToken session.
    FederatedUser,
    /// An unsigned request.
    Anonymous,
    /// An AWS service principal (`Service` in policies).
    Service,
    /// A web-identity (OIDC) caller of AssumeRoleWithWebIdentity (`Federated`).
    WebIdentity,
    /// A SAML caller of AssumeRoleWithSAML (`Federated`).
    Saml,
}

/// The identity behind a request.
///
/// `arn` is the ARN the caller is known by (user ARN, `assumed-role` session ARN,
/// `federated-user` ARN, `arn:aws:iam::ACCT:root`); for [`PrincipalKind::Service`] the
/// service name, for [`PrincipalKind::WebIdentity`]/[`PrincipalKind::Saml`] the provider
/// ARN or well-known name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal<'a> {
    /// The kind.
    pub kind: PrincipalKind,
    /// The caller's account id (`""` for anonymous, service and federated callers).
    pub account: &'a str,
    /// The caller's ARN (see above).
    pub arn: &'a str,
    /// `aws:userid`: `AIDA…`, `AROA…:session`, the account id for root, `ACCT:name` for
    /// federated users.
    pub user_id: &'a str,
    /// Role sessions: the role ARN with its path. Federated users: the parent user ARN.
    pub parent_arn: Option<&'a str>,
    /// Role sessions: the role's unique id (`AROA…`). Federated users: the parent user's id.
    pub parent_id: Option<&'a str>,
    /// The S3 canonical user id of the caller's account, which a resource policy's
    /// `CanonicalUser` entry names the account by (set by the S3 front).
    pub canonical_user: Option<&'a str>,
}

impl<'a> Principal<'a> {
    /// The same principal, known to S3 by its account's canonical user id too.
    pub fn with_canonical_user(mut self, id: &'a str) -> Self {
        self.canonical_user = Some(id);
        self
    }

    /// The root user of `account`.
    pub fn root(account: &'a str, root_arn: &'a str) -> Self {
        Principal {
            kind: PrincipalKind::Root,
            account,
            arn: root_arn,
            user_id: account,
            parent_arn: None,
            parent_id: None,
            canonical_user: None,
        }
    }

    /// An IAM user with ARN `arn` (path included) and unique id `user_id` (`AIDA…`).
    pub fn user(account: &'a str, arn: &'a str, user_id: &'a str) -> Self {
        Principal {
            kind: PrincipalKind::User,
            account,
            arn,
            user_id,
            parent_arn: None,
            parent_id: None,
            canonical_user: None,
        }
    }

    /// A role session: `session_arn` is `arn:aws:sts::ACCT:assumed-role/R/S`, `role_arn`
    /// the role's IAM ARN (path included), `role_id` `AROA…`, `user_id` `AROA…:S`.
    pub fn assumed_role(
        account: &'a str,
        session_arn: &'a str,
        role_arn: &'a str,
        role_id: &'a str,
        user_id: &'a str,
    ) -> Self {
        Principal {
            kind: PrincipalKind::AssumedRole,
            account,
            arn: session_arn,
            user_id,
            parent_arn: Some(role_arn),
            parent_id: Some(role_id),
            canonical_user: None,
        }
    }

    /// A federated-user session created by `parent_user_arn` with GetFederationToken.
    pub fn federated_user(
        account: &'a str,
        arn: &'a str,
        user_id: &'a str,
        parent_user_arn: &'a str,
    ) -> Self {
        Principal {
            kind: PrincipalKind::FederatedUser,
            account,
            arn,
            user_id,
            parent_arn: Some(parent_user_arn),
            parent_id: None,
            canonical_user: None,
        }
    }

    /// An unsigned request.
    pub fn anonymous() -> Self {
        Principal {
            kind: PrincipalKind::Anonymous,
            account: "",
            arn: "",
            user_id: "anonymous",
            parent_arn: None,
            parent_id: None,
            canonical_user: None,
        }
    }

    /// An AWS service principal such as `ec2.amazonaws.com`.
    pub fn service(name: &'a str) -> Self {
        Principal {
            kind: PrincipalKind::Service,
            account: "",
            arn: name,
            user_id: name,
            parent_arn: None,
            parent_id: None,
            canonical_user: None,
        }
    }

    /// The caller of AssumeRoleWithWebIdentity (`provider`: the OIDC provider ARN or a
    /// well-known name such as `accounts.google.com`) or, with `saml`, AssumeRoleWithSAML.
    pub fn federated_provider(provider: &'a str, saml: bool) -> Self {
        Principal {
            kind: if saml {
                PrincipalKind::Saml
            } else {
                PrincipalKind::WebIdentity
            },
            account: "",
            arn: provider,
            user_id: provider,
            parent_arn: None,
            parent_id: None,
            canonical_user: None,
        }
    }

    /// The principal ARN used in AccessDenied messages (`anonymous` for anonymous).
    pub fn display_arn(&self) -> &'a str {
        if self.kind == PrincipalKind::Anonymous {
            "anonymous"
        } else {
            self.arn
        }
    }

    /// `aws:PrincipalType`.
    fn principal_type(&self) -> Option<&'static str> {
        Some(match self.kind {
            PrincipalKind::Root => "Account",
            PrincipalKind::User => "User",
            PrincipalKind::AssumedRole => "AssumedRole",
            PrincipalKind::FederatedUser => "FederatedUser",
            PrincipalKind::Anonymous => "Anonymous",
            _ => return None,
        })
    }

    /// `aws:PrincipalArn`: the role ARN (not the session ARN) for role sessions.
    fn principal_arn(&self) -> Option<&'a str> {
        match self.kind {
            PrincipalKind::Root | PrincipalKind::User | PrincipalKind::FederatedUser => {
                Some(self.arn)
            }
            PrincipalKind::AssumedRole => self.parent_arn,
            _ => None,
        }
    }

    /// `aws:username`: only IAM users have one; it is the last path segment of the ARN.
    fn username(&self) -> Option<&'a str> {
        match self.kind {
            PrincipalKind::User => self.arn.rsplit('/').next(),
            _ => None,
        }
    }
}

/// The values of one context key.
pub type Values<'a> = SmallVec<[Cow<'a, str>; 1]>;

#[derive(Debug, Clone)]
struct Entry<'a> {
    key: Cow<'a, str>,
    values: Values<'a>,
}

/// Everything the evaluator knows about one request.
///
/// Condition keys are looked up case-insensitively, tag-key part included. Keys that
/// follow from the principal (`aws:username`, `aws:userid`, `aws:PrincipalType`,
/// `aws:PrincipalArn`, `aws:PrincipalAccount`) are derived from it unless set
/// explicitly. Values are strings in the form AWS would render them (`"true"`,
/// `"2024-01-01T00:00:00Z"`, `"10.0.0.1"`, base64 for binary keys).
#[derive(Debug, Clone)]
pub struct RequestContext<'a> {
    /// The action, `service:Operation` (e.g. `s3:GetObject`).
    pub action: &'a str,
    /// The resource ARN; `None` for actions without a resource.
    pub resource: Option<&'a str>,
    /// The caller.
    pub principal: Principal<'a>,
    keys: SmallVec<[Entry<'a>; 16]>,
}

impl<'a> RequestContext<'a> {
    /// A context with no condition keys beyond those derived from the principal.
    pub fn new(action: &'a str, resource: Option<&'a str>, principal: Principal<'a>) -> Self {
        RequestContext {
            action,
            resource,
            principal,
            keys: SmallVec::new(),
        }
    }

    /// Sets a single-valued key, replacing any value it had (key compared
    /// case-insensitively).
    pub fn set(&mut self, key: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) {
        let mut values = Values::new();
        values.push(value.into());
        self.set_values(key, values);
    }

    /// Sets a key to several values (multi-valued keys such as `aws:TagKeys`). An empty
    /// list counts as an absent key.
    pub fn set_values(&mut self, key: impl Into<Cow<'a, str>>, values: Values<'a>) {
        let key = key.into();
        if let Some(entry) = self.keys.iter_mut().find(|e| eq_fold(&e.key, &key)) {
            entry.values = values;
        } else {
            self.keys.push(Entry { key, values });
        }
    }

    /// Builder form of [`RequestContext::set`].
    pub fn with(mut self, key: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) -> Self {
        self.set(key, value);
        self
    }

    /// Removes a key, including one derived from the principal (by shadowing it with an
    /// empty value list).
    pub fn remove(&mut self, key: impl Into<Cow<'a, str>>) {
        self.set_values(key, Values::new());
    }

    /// The values of a key (empty when absent).
    pub fn values(&self, key: &str) -> KeyValues<'_> {
        if let Some(entry) = self.keys.iter().find(|e| eq_fold(&e.key, key)) {
            return KeyValues::Many(&entry.values);
        }
        match self.derived(key) {
            Some(v) => KeyValues::One(v),
            None => KeyValues::Many(&[]),
        }
    }

    fn derived(&self, key: &str) -> Option<&'a str> {
        let p = &self.principal;
        if eq_fold(key, "aws:username") {
            p.username()
        } else if eq_fold(key, "aws:userid") {
            Some(p.user_id).filter(|id| !id.is_empty())
        } else if eq_fold(key, "aws:PrincipalType") {
            p.principal_type()
        } else if eq_fold(key, "aws:PrincipalArn") {
            p.principal_arn()
        } else if eq_fold(key, "aws:PrincipalAccount") {
            match p.kind {
                PrincipalKind::Anonymous => Some("anonymous"),
                _ => Some(p.account).filter(|a| !a.is_empty()),
            }
        } else {
            None
        }
    }
}

impl VarSource for RequestContext<'_> {
    /// Only single-valued keys can be variables.
    fn variable(&self, key: &str) -> Option<&str> {
        let values = self.values(key);
        if values.len() == 1 {
            values.get(0)
        } else {
            None
        }
    }
}

/// The values of one key: borrowed from the context, or one derived value.
#[derive(Debug, Clone, Copy)]
pub enum KeyValues<'c> {
    /// Values set on the context (possibly none).
    Many(&'c [Cow<'c, str>]),
    /// A value derived from the principal.
    One(&'c str),
}

impl<'c> KeyValues<'c> {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            KeyValues::Many(v) => v.len(),
            KeyValues::One(_) => 1,
        }
    }

    /// Whether the key is absent (or has an empty value list).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `i`.
    pub fn get(&self, i: usize) -> Option<&'c str> {
        match self {
            KeyValues::Many(v) => v.get(i).map(|c| c.as_ref()),
            KeyValues::One(v) => (i == 0).then_some(*v),
        }
    }

    /// Iterates over the values.
    pub fn iter(&self) -> impl Iterator<Item = &'c str> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_derived_keys_fall_back() {
        let p = Principal::user(
            "123456789012",
            "arn:aws:iam::123456789012:user/eng/alice",
            "AIDAX",
        );
        let mut ctx =
            RequestContext::new("s3:GetObject", None, p).with("aws:PrincipalTag/Team", "blue");
        assert_eq!(ctx.values("AWS:principaltag/team").get(0), Some("blue"));
        assert_eq!(ctx.values("aws:username").get(0), Some("alice"));
        assert_eq!(ctx.values("aws:PrincipalType").get(0), Some("User"));
        ctx.set("aws:username", "override");
        assert_eq!(ctx.variable("aws:USERNAME"), Some("override"));
        ctx.remove("aws:username");
        assert!(ctx.values("aws:username").is_empty());
        assert!(ctx.values("aws:SourceIp").is_empty());
    }

    #[test]
    fn session_principal_arn_is_the_role() {
        let p = Principal::assumed_role(
            "1",
            "arn:aws:sts::1:assumed-role/r/s",
            "arn:aws:iam::1:role/path/r",
            "AROAX",
            "AROAX:s",
        );
        let ctx = RequestContext::new("s3:GetObject", None, p);
        assert_eq!(
            ctx.variable("aws:PrincipalArn"),
            Some("arn:aws:iam::1:role/path/r")
        );
        assert_eq!(ctx.variable("aws:username"), None);
        assert_eq!(ctx.variable("aws:userid"), Some("AROAX:s"));
    }
}
