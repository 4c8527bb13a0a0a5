//! Tag{Kind}, Untag{Kind} and List{Kind}Tags for every taggable IAM resource. The calls
//! are the same for all eight kinds; [`Taggable`] holds what differs: the parameter naming
//! the resource, the action names, the tag quota, the order AWS checks the request in, and
//! how the ARN authorized against is found.

use hourglass_store::{InstanceProfile, Role, ServerCertificate, StoreError, Tag, TagTarget, User};

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::policies::check_policy_arn;
use crate::principal::Caller;
use crate::{Identity, validate};

/// A kind of IAM resource that carries tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Taggable {
    User,
    Role,
    Policy,
    OpenIdConnectProvider,
    SamlProvider,
    ServerCertificate,
    InstanceProfile,
    /// A virtual MFA device, named by its serial number.
    MfaDevice,
}

impl Taggable {
    /// The request parameter naming the resource, also the member validation errors name.
    pub fn param(self) -> &'static str {
        match self {
            Self::User => "UserName",
            Self::Role => "RoleName",
            Self::Policy => "PolicyArn",
            Self::OpenIdConnectProvider => "OpenIDConnectProviderArn",
            Self::SamlProvider => "SAMLProviderArn",
            Self::ServerCertificate => "ServerCertificateName",
            Self::InstanceProfile => "InstanceProfileName",
            Self::MfaDevice => "SerialNumber",
        }
    }

    fn tag_action(self) -> String {
        format!("iam:Tag{}", self.noun())
    }

    fn untag_action(self) -> String {
        format!("iam:Untag{}", self.noun())
    }

    fn list_action(self) -> String {
        format!("iam:List{}Tags", self.noun())
    }

    /// The kind as the action names spell it.
    fn noun(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Role => "Role",
            Self::Policy => "Policy",
            Self::OpenIdConnectProvider => "OpenIDConnectProvider",
            Self::SamlProvider => "SAMLProvider",
            Self::ServerCertificate => "ServerCertificate",
            Self::InstanceProfile => "InstanceProfile",
            Self::MfaDevice => "MFADevice",
        }
    }

    /// The quota a request of more than 50 tags is refused under.
    fn quota(self) -> &'static str {
        match self {
            Self::User => "TagsPerUser",
            Self::Role => "TagsPerRole",
            Self::Policy => "TagsPerPolicy",
            Self::OpenIdConnectProvider => "TagsPerOpenIdConnectProvider",
            Self::SamlProvider => "TagsPerSAMLProvider",
            Self::ServerCertificate => "TagsPerServerCertificate",
            Self::InstanceProfile => "TagsPerInstanceProfile",
            Self::MfaDevice => "TagsPerMFADevice",
        }
    }

    /// AWS validates a user's name and a policy's ARN before the tags or keys, and the
    /// other kinds' names after them; which error a doubly bad request gets depends on it.
    fn checks_name_first(self) -> bool {
        matches!(self, Self::User | Self::Policy)
    }

    fn target(self, id: &str) -> TagTarget {
        let id = id.to_owned();
        match self {
            Self::User => TagTarget::User(id),
            Self::Role => TagTarget::Role(id),
            Self::Policy => TagTarget::Policy(id),
            Self::OpenIdConnectProvider => TagTarget::OidcProvider(id),
            Self::SamlProvider => TagTarget::SamlProvider(id),
            Self::ServerCertificate => TagTarget::ServerCertificate(id),
            Self::InstanceProfile => TagTarget::InstanceProfile(id),
            Self::MfaDevice => TagTarget::MfaDevice(id),
        }
    }

    /// A store error of a call on the resource `id`, with the kind's own NoSuchEntity
    /// message where the store's generic one is not what AWS says.
    fn store_error(self, id: &str, e: StoreError) -> IamError {
        match (self, e) {
            (Self::MfaDevice, StoreError::NotFound { .. }) => crate::mfa::no_such_device(id),
            (_, e) => e.into(),
        }
    }
}

pub(crate) fn to_tags(pairs: &[(String, String)]) -> Vec<Tag> {
    pairs.iter().map(|(k, v)| Tag::new(k, v)).collect()
}

/// Tags as key-value pairs, the form condition keys and session tags are built from.
pub(crate) fn tag_pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

/// A stored record that carries its own tags.
pub(crate) trait Tagged {
    fn tags(&self) -> &[Tag];
}

macro_rules! tagged {
    ($($record:ty),+) => {
        $(impl Tagged for $record {
            fn tags(&self) -> &[Tag] {
                &self.tags
            }
        })+
    };
}

tagged!(User, Role, InstanceProfile, ServerCertificate);

/// The tags of a record that may not exist: a request about a missing one is authorized
/// with none, and told it is missing only afterwards.
pub(crate) fn tags_of<T: Tagged>(record: Option<&T>) -> &[Tag] {
    record.map_or(&[], T::tags)
}

impl Identity {
    /// The shape of the name or ARN naming a `kind` resource.
    fn check_tagged_id(kind: Taggable, id: &str) -> IamResult<()> {
        match kind {
            Taggable::Policy => check_policy_arn(id, kind.param()),
            Taggable::OpenIdConnectProvider | Taggable::SamlProvider => {
                validate::arn(id, kind.param())
            }
            Taggable::MfaDevice => crate::mfa::check_serial(id, kind.param()),
            Taggable::User
            | Taggable::Role
            | Taggable::ServerCertificate
            | Taggable::InstanceProfile => validate::name(id, kind.param(), 128),
        }
    }

    /// Checks the name and, around it in AWS's order, the rest of the request (`check`).
    fn check_tagging(
        kind: Taggable,
        id: &str,
        check: impl FnOnce() -> IamResult<()>,
    ) -> IamResult<()> {
        if kind.checks_name_first() {
            Self::check_tagged_id(kind, id)?;
            check()
        } else {
            check()?;
            Self::check_tagged_id(kind, id)
        }
    }

    /// The current tags of the `kind` resource `id` (a name or an ARN), for a call about a
    /// resource not otherwise read before authorization. A missing resource has none: the
    /// call reports it only after authorization, so that a caller without permission cannot
    /// tell whether it exists.
    pub(crate) async fn current_tags(&self, kind: Taggable, id: &str) -> IamResult<Vec<Tag>> {
        match self
            .store
            .list_tags(&self.account_id, &kind.target(id))
            .await
        {
            Ok(tags) => Ok(tags),
            Err(StoreError::NotFound { .. }) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// Authorizes `action` on the `kind` resource `id` (an ARN) with its current tags
    /// ([`Identity::current_tags`]).
    pub(crate) async fn authorize_tagged(
        &self,
        caller: &Caller,
        kind: Taggable,
        action: &str,
        id: &str,
    ) -> IamResult<()> {
        let tags = self.current_tags(kind, id).await?;
        self.authorize(
            caller,
            &Access::new(action, id).with_resource_tags(kind, &tags),
        )
        .await
    }

    /// Authorizes `access`, built for the resource's ARN (the path-less one of a missing
    /// named resource) and carrying the resource's current tags, then refuses a missing
    /// role or instance profile with its own NoSuchEntity; for the other kinds the store
    /// reports a missing resource.
    async fn authorize_tagging(
        &self,
        caller: &Caller,
        kind: Taggable,
        id: &str,
        access: impl FnOnce(&str) -> Access,
    ) -> IamResult<()> {
        let (arn, tags, missing) = match kind {
            Taggable::User => {
                let (arn, user) = self.user_resource(id).await?;
                (arn, tags_of(user.as_ref()).to_vec(), None)
            }
            Taggable::Role => {
                let (arn, role) = self.role_resource(id).await?;
                let missing = role.is_none().then(|| crate::roles::no_such_role(id));
                (arn, tags_of(role.as_ref()).to_vec(), missing)
            }
            Taggable::InstanceProfile => {
                let (arn, profile) = self.instance_profile_resource(id).await?;
                let missing = profile
                    .is_none()
                    .then(|| crate::instance_profiles::no_such_profile(id));
                (arn, tags_of(profile.as_ref()).to_vec(), missing)
            }
            Taggable::ServerCertificate => {
                let (arn, found) = self.server_certificate_resource(id).await;
                (arn, tags_of(found.as_ref().ok()).to_vec(), None)
            }
            Taggable::Policy
            | Taggable::OpenIdConnectProvider
            | Taggable::SamlProvider
            | Taggable::MfaDevice => (id.to_owned(), self.current_tags(kind, id).await?, None),
        };
        self.authorize(caller, &access(&arn).with_resource_tags(kind, &tags))
            .await?;
        if let Some(e) = missing {
            return Err(e);
        }
        if kind == Taggable::Policy {
            self.ensure_aws_managed_policy(id).await?;
        }
        Ok(())
    }

    /// A create call that carries tags also needs Tag{Kind} on the new resource's ARN.
    pub(crate) async fn authorize_create_tags(
        &self,
        caller: &Caller,
        kind: Taggable,
        arn: &str,
        tags: &[(String, String)],
    ) -> IamResult<()> {
        if tags.is_empty() {
            return Ok(());
        }
        self.authorize(
            caller,
            &Access::new(&kind.tag_action(), arn).with_request_tags(tags),
        )
        .await
    }

    /// Tag{Kind}: adds or replaces tags on the resource `id` (a name or an ARN).
    pub async fn tag_resource(
        &self,
        caller: &Caller,
        kind: Taggable,
        id: &str,
        tags: &[(String, String)],
    ) -> IamResult<()> {
        Self::check_tagging(kind, id, || {
            validate::tags_with_quota(tags, kind.quota())?;
            validate::non_empty_tags(tags)
        })?;
        let action = kind.tag_action();
        self.authorize_tagging(caller, kind, id, |arn| {
            Access::new(&action, arn).with_request_tags(tags)
        })
        .await?;
        self.store
            .tag_resource(&self.account_id, &kind.target(id), &to_tags(tags))
            .await
            .map_err(|e| kind.store_error(id, e))
    }

    /// Untag{Kind}: removes tags by key; keys the resource does not have are ignored.
    pub async fn untag_resource(
        &self,
        caller: &Caller,
        kind: Taggable,
        id: &str,
        keys: &[String],
    ) -> IamResult<()> {
        Self::check_tagging(kind, id, || validate::tag_keys(keys))?;
        let action = kind.untag_action();
        self.authorize_tagging(caller, kind, id, |arn| {
            Access::new(&action, arn).with_values("aws:TagKeys", keys.to_vec())
        })
        .await?;
        self.store
            .untag_resource(&self.account_id, &kind.target(id), keys)
            .await
            .map_err(|e| kind.store_error(id, e))
    }

    /// List{Kind}Tags: every tag of the resource (paging is the caller's).
    pub async fn list_resource_tags(
        &self,
        caller: &Caller,
        kind: Taggable,
        id: &str,
    ) -> IamResult<Vec<Tag>> {
        Self::check_tagged_id(kind, id)?;
        let action = kind.list_action();
        self.authorize_tagging(caller, kind, id, |arn| Access::new(&action, arn))
            .await?;
        self.store
            .list_tags(&self.account_id, &kind.target(id))
            .await
            .map_err(|e| kind.store_error(id, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_follow_the_kind() {
        assert_eq!(
            Taggable::OpenIdConnectProvider.list_action(),
            "iam:ListOpenIDConnectProviderTags"
        );
        assert_eq!(Taggable::SamlProvider.quota(), "TagsPerSAMLProvider");
        assert_eq!(Taggable::MfaDevice.tag_action(), "iam:TagMFADevice");
        assert_eq!(Taggable::MfaDevice.untag_action(), "iam:UntagMFADevice");
        assert_eq!(Taggable::MfaDevice.list_action(), "iam:ListMFADeviceTags");
        assert_eq!(Taggable::MfaDevice.quota(), "TagsPerMFADevice");
    }

    #[test]
    fn a_missing_mfa_device_is_named_as_aws_names_it() {
        let serial = "arn:aws:iam::123456789012:mfa/gone";
        let e = Taggable::MfaDevice.store_error(
            serial,
            StoreError::NotFound {
                kind: hourglass_store::ResourceKind::MfaDevice,
                name: serial.into(),
            },
        );
        assert!(
            matches!(&e, IamError::NoSuchEntity(m)
                if m == &format!("VirtualMFADevice with serial number {serial} doesn't exist.")),
            "{e:?}"
        );
    }
}
