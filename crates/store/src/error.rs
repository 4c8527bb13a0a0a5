//! The store's one error type. Variants are domain-level so the IAM layer can map each to an
//! AWS error code; `Display` renders AWS's message where AWS has a fixed one.
//!
//! No variant ever carries a secret: backend errors are rendered from driver messages, which
//! never include bound parameter values.

use std::fmt;

use crate::model::EntityKind;

/// Result alias used throughout the crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What kind of record a [`StoreError::NotFound`] / [`StoreError::AlreadyExists`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    Account,
    User,
    AccessKey,
    Role,
    Group,
    /// A managed policy, named by ARN.
    Policy,
    /// A managed policy version, named by version id.
    PolicyVersion,
    /// An inline policy of a user, role or group, named by policy name.
    InlinePolicy(EntityKind),
    /// A managed policy not attached to the entity (detach), named by ARN.
    AttachedPolicy,
    /// A user that is not a member of the group (RemoveUserFromGroup), named by user name.
    GroupMember,
    /// An S3 bucket, named by bucket name.
    Bucket,
    /// An S3 multipart upload, named by upload id.
    Upload,
    /// An IAM OIDC provider, named by ARN (by `https://` URL when it already exists).
    OidcProvider,
    /// An IAM SAML provider, named by ARN (by name when it already exists).
    SamlProvider,
    /// An instance profile, named by name.
    InstanceProfile,
    /// A role that is not in the instance profile (RemoveRoleFromInstanceProfile).
    ProfileRole,
    /// An account alias, named by alias.
    AccountAlias,
    /// The account password policy, named by account id.
    PasswordPolicy,
    /// An MFA device, named by serial number.
    MfaDevice,
    /// A user's login profile, named by user name.
    LoginProfile,
    /// A signing certificate, SSH public key or service-specific credential, by id.
    UserCredential(crate::records::CredentialKind),
    /// A Secrets Manager secret, named by ARN.
    Secret,
    /// An IAM server certificate, named by name.
    ServerCertificate,
}

/// A quota the store enforces; `name()` is AWS's quota name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quota {
    AccessKeysPerUser,
    VersionsPerPolicy,
    PoliciesPerUser,
    PoliciesPerRole,
    PoliciesPerGroup,
    GroupsPerUser,
    TagsPerUser,
    TagsPerRole,
    TagsPerPolicy,
    UsersPerAccount,
    GroupsPerAccount,
    RolesPerAccount,
    PoliciesPerAccount,
    OpenIdConnectProvidersPerAccount,
    ClientIdsPerOpenIdConnectProvider,
    TagsPerOpenIdConnectProvider,
    SamlProvidersPerAccount,
    TagsPerSamlProvider,
    InstanceProfilesPerAccount,
    /// Roles per instance profile (AWS's name for it).
    InstanceSessionsPerInstanceProfile,
    TagsPerInstanceProfile,
    MFADevicesPerUser,
    SigningCertificatesPerUser,
    SSHPublicKeysPerUser,
    ServiceSpecificCredentialsPerUserPerService,
    ServerCertificatesPerAccount,
    TagsPerServerCertificate,
    TagsPerMfaDevice,
}

impl Quota {
    /// AWS's quota name, as in `Cannot exceed quota for AccessKeysPerUser: 2`.
    pub fn name(self) -> &'static str {
        match self {
            Quota::AccessKeysPerUser => "AccessKeysPerUser",
            Quota::VersionsPerPolicy => "VersionsPerPolicy",
            Quota::PoliciesPerUser => "PoliciesPerUser",
            Quota::PoliciesPerRole => "PoliciesPerRole",
            Quota::PoliciesPerGroup => "PoliciesPerGroup",
            Quota::GroupsPerUser => "GroupsPerUser",
            Quota::TagsPerUser => "TagsPerUser",
            Quota::TagsPerRole => "TagsPerRole",
            Quota::TagsPerPolicy => "TagsPerPolicy",
            Quota::UsersPerAccount => "UsersPerAccount",
            Quota::GroupsPerAccount => "GroupsPerAccount",
            Quota::RolesPerAccount => "RolesPerAccount",
            Quota::PoliciesPerAccount => "PoliciesPerAccount",
            Quota::OpenIdConnectProvidersPerAccount => "OpenIdConnectProvidersPerAccount",
            Quota::ClientIdsPerOpenIdConnectProvider => "ClientIdsPerOpenIdConnectProvider",
            Quota::TagsPerOpenIdConnectProvider => "TagsPerOpenIdConnectProvider",
            Quota::SamlProvidersPerAccount => "SAMLProvidersPerAccount",
            Quota::TagsPerSamlProvider => "TagsPerSAMLProvider",
            Quota::InstanceProfilesPerAccount => "InstanceProfilesPerAccount",
            Quota::InstanceSessionsPerInstanceProfile => "InstanceSessionsPerInstanceProfile",
            Quota::TagsPerInstanceProfile => "TagsPerInstanceProfile",
            Quota::MFADevicesPerUser => "MFADevicesPerUser",
            Quota::SigningCertificatesPerUser => "SigningCertificatesPerUser",
            Quota::SSHPublicKeysPerUser => "SSHPublicKeysPerUser",
            Quota::ServiceSpecificCredentialsPerUserPerService => {
                "ServiceSpecificCredentialsPerUserPerService"
            }
            Quota::ServerCertificatesPerAccount => "ServerCertificatesPerAccount",
            Quota::TagsPerServerCertificate => "TagsPerServerCertificate",
            Quota::TagsPerMfaDevice => "TagsPerMFADevice",
        }
    }

    /// AWS's LimitExceeded message for this quota.
    pub fn message(self, limit: u32) -> String {
        match self {
            Quota::VersionsPerPolicy => format!(
                "A managed policy can have up to {limit} versions. Before you create a new \
                 version, you must delete an existing version."
            ),
            _ => format!("Cannot exceed quota for {}: {limit}", self.name()),
        }
    }
}

/// Why a delete was refused (AWS `DeleteConflict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeleteConflict {
    /// User still has access keys.
    AccessKeys,
    /// User/role/group still has inline policies.
    InlinePolicies,
    /// User/role/group still has managed policies attached.
    AttachedPolicies,
    /// User is still a member of a group.
    UserInGroups,
    /// Group still has members.
    GroupHasMembers,
    /// Managed policy still attached to an entity or used as a permissions boundary.
    PolicyAttached,
    /// Managed policy still has non-default versions.
    PolicyHasVersions,
    /// The default version of a policy cannot be deleted on its own.
    DefaultVersion,
    /// An S3 bucket still holds objects or multipart uploads.
    BucketNotEmpty,
    /// A role still sits in an instance profile, or a profile still holds a role.
    InstanceProfileRoles,
    /// User still has a login profile.
    LoginProfile,
    SigningCertificates,
    SshPublicKeys,
    ServiceSpecificCredentials,
    /// User still has MFA devices enabled.
    MfaDevices,
    /// A virtual MFA device is still enabled for a user.
    MfaDeviceInUse,
}

impl DeleteConflict {
    /// AWS's DeleteConflict message.
    pub fn message(self) -> &'static str {
        match self {
            DeleteConflict::AccessKeys => "Cannot delete entity, must delete access keys first.",
            DeleteConflict::InlinePolicies => "Cannot delete entity, must delete policies first.",
            DeleteConflict::AttachedPolicies => {
                "Cannot delete entity, must detach all policies first."
            }
            DeleteConflict::UserInGroups | DeleteConflict::GroupHasMembers => {
                "Cannot delete entity, must remove users from group first."
            }
            DeleteConflict::PolicyAttached => "Cannot delete a policy attached to entities.",
            DeleteConflict::PolicyHasVersions => {
                "This policy has more than one version. Before you delete a policy, you must \
                 delete the policy's versions. The default version is deleted with the policy."
            }
            DeleteConflict::DefaultVersion => "Cannot delete the default version of a policy.",
            DeleteConflict::BucketNotEmpty => "The bucket you tried to delete is not empty",
            DeleteConflict::LoginProfile => {
                "Cannot delete entity, must delete login profile first."
            }
            DeleteConflict::SigningCertificates => {
                "Cannot delete entity, must delete signing certificates first."
            }
            DeleteConflict::SshPublicKeys => {
                "Cannot delete entity, must delete SSH public keys first."
            }
            DeleteConflict::ServiceSpecificCredentials => {
                "Cannot delete entity, must delete service specific credentials first."
            }
            DeleteConflict::MfaDevices => "Cannot delete entity, must delete MFA device first.",
            DeleteConflict::MfaDeviceInUse => {
                "Cannot delete entity, must deactivate MFA device first."
            }
            DeleteConflict::InstanceProfileRoles => {
                "Cannot delete entity, must remove roles from instance profile first."
            }
        }
    }
}

impl fmt::Display for DeleteConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// Errors of the IAM methods of [`Store`](crate::Store) (the S3 ones map them to
/// [`MetaError`](crate::s3::MetaError)).
///
/// Suggested AWS mapping: `NotFound` → NoSuchEntity (404), `AlreadyExists` →
/// EntityAlreadyExists (409), `LimitExceeded` / `PolicySizeExceeded` → LimitExceeded (409),
/// `DeleteConflict` → DeleteConflict (409), `Unmodifiable` → UnmodifiableEntity (400),
/// `InvalidInput` → InvalidInput (400), `Conflict` → ConcurrentModification (409), `Backend` /
/// `Corrupt` / `KeyRing` → ServiceFailure (500).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}", not_found_message(*.kind, .name))]
    NotFound { kind: ResourceKind, name: String },

    #[error("{}", already_exists_message(*.kind, .name))]
    AlreadyExists { kind: ResourceKind, name: String },

    #[error("{}", .quota.message(*.limit))]
    LimitExceeded { quota: Quota, limit: u32 },

    /// Aggregate inline policy size of an entity would exceed `limit`.
    #[error("Maximum policy size of {limit} bytes exceeded for {} {name}.", .kind.as_str())]
    PolicySizeExceeded {
        kind: EntityKind,
        name: String,
        limit: u32,
    },

    #[error("{0}")]
    DeleteConflict(DeleteConflict),

    /// AWS-managed policies cannot be changed by customers. `name` is the ARN.
    #[error("Cannot modify an AWS managed policy: {name}.")]
    Unmodifiable { name: String },

    /// A malformed argument the store cannot act on (bad marker, bad account id, …).
    #[error("{0}")]
    InvalidInput(String),

    /// A concurrent transaction kept winning; the caller may retry.
    #[error("the request was rejected because it conflicted with a concurrent change")]
    Conflict,

    /// The database failed (I/O, connection, SQL). Never contains secrets.
    #[error("storage backend failure: {0}")]
    Backend(String),

    /// A stored row could not be decoded.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),

    /// A stored secret could not be sealed or opened with the key ring.
    #[error("key ring failure: {0}")]
    KeyRing(#[from] crate::keyring::KeyRingError),
}

#[allow(dead_code)] // constructors used by the backends
impl StoreError {
    pub(crate) fn not_found(kind: ResourceKind, name: impl Into<String>) -> StoreError {
        StoreError::NotFound {
            kind,
            name: name.into(),
        }
    }

    pub(crate) fn already_exists(kind: ResourceKind, name: impl Into<String>) -> StoreError {
        StoreError::AlreadyExists {
            kind,
            name: name.into(),
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>) -> StoreError {
        StoreError::Corrupt(what.into())
    }
}

fn not_found_message(kind: ResourceKind, name: &str) -> String {
    match kind {
        ResourceKind::Account => format!("The account {name} cannot be found."),
        ResourceKind::User | ResourceKind::GroupMember => {
            format!("The user with name {name} cannot be found.")
        }
        ResourceKind::AccessKey => format!("The Access Key with id {name} cannot be found"),
        ResourceKind::Role => format!("The role with name {name} cannot be found."),
        ResourceKind::Group => format!("The group with name {name} cannot be found."),
        ResourceKind::Policy => format!("Policy {name} does not exist or is not attachable."),
        ResourceKind::PolicyVersion => {
            format!("Policy version {name} does not exist or is not deletable.")
        }
        ResourceKind::InlinePolicy(entity) => format!(
            "The {} policy with name {name} cannot be found.",
            entity.as_str()
        ),
        ResourceKind::AttachedPolicy => format!("Policy {name} was not found."),
        ResourceKind::Bucket => format!("The specified bucket {name} does not exist"),
        ResourceKind::Upload => format!("The specified upload {name} does not exist"),
        ResourceKind::OidcProvider => format!("OpenIDConnect Provider not found for arn {name}"),
        ResourceKind::SamlProvider => format!("Manifest not found for arn {name}"),
        ResourceKind::InstanceProfile => format!("Instance Profile {name} cannot be found."),
        ResourceKind::ProfileRole => format!("The role with name {name} cannot be found."),
        ResourceKind::AccountAlias => format!("The account alias {name} cannot be found."),
        ResourceKind::MfaDevice => format!("MFA Device with serial number {name} does not exist."),
        ResourceKind::LoginProfile => format!("Login Profile for User {name} cannot be found."),
        ResourceKind::UserCredential(kind) => kind.not_found(name),
        ResourceKind::PasswordPolicy => {
            format!("The Password Policy with domain name {name} cannot be found.")
        }
        ResourceKind::Secret => "Secrets Manager can't find the specified secret.".to_owned(),
        ResourceKind::ServerCertificate => {
            format!("The Server Certificate with name {name} cannot be found.")
        }
    }
}

fn already_exists_message(kind: ResourceKind, name: &str) -> String {
    match kind {
        ResourceKind::User => format!("User with name {name} already exists."),
        ResourceKind::Role => format!("Role with name {name} already exists."),
        ResourceKind::Group => format!("Group with name {name} already exists."),
        ResourceKind::Policy => {
            format!("A policy called {name} already exists. Duplicate names are not allowed.")
        }
        ResourceKind::AccessKey => format!("Access key {name} already exists."),
        ResourceKind::Account => format!("Account {name} already exists."),
        ResourceKind::OidcProvider => format!("Provider with url {name} already exists."),
        ResourceKind::SamlProvider => format!("Provider with name {name} already exists."),
        ResourceKind::InstanceProfile => format!("Instance Profile {name} already exists."),
        ResourceKind::AccountAlias => format!("The account alias {name} already exists."),
        ResourceKind::MfaDevice => {
            "MFADevice entity at the same path and name already exists.".to_owned()
        }
        ResourceKind::LoginProfile => format!("Login Profile for user {name} already exists."),
        ResourceKind::UserCredential(kind) => kind.duplicate().to_owned(),
        ResourceKind::ServerCertificate => {
            format!("The Server Certificate with name {name} already exists.")
        }
        other => format!("{other:?} {name} already exists."),
    }
}
