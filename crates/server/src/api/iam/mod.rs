//! IAM operations.

mod access_keys;
mod account;
mod account_settings;
mod attachments;
mod credential_report;
mod groups;
mod inline_policies;
mod instance_profiles;
mod login_profiles;
mod mfa;
mod oidc;
mod policies;
mod roles;
mod saml;
mod server_certs;
mod service_linked_roles;
mod simulator;
mod tags;
mod user_credentials;
mod users;

use hourglass_iam::Taggable;
use hourglass_store::{CredentialKind, EntityKind, Page, PageRequest, Tag};

use crate::api::{ApiError, Ctx};
use crate::query::Service;
use crate::query::xml::Xml;

super::operations::operations! {
    /// The IAM (2010-05-08) operations this server answers.
    pub enum IamOperation for Service::Iam, "iam" {
        CreateUser => users::create_user, [UserName, Path, PermissionsBoundary, Tags];
        GetUser => users::get_user, [UserName];
        ListUsers => users::list_users, [PathPrefix, Marker, MaxItems];
        UpdateUser => users::update_user, [UserName, NewPath, NewUserName];
        DeleteUser => users::delete_user, [UserName];
        TagUser => tags::tag(Taggable::User), [UserName, Tags];
        UntagUser => tags::untag(Taggable::User), [UserName, TagKeys];
        ListUserTags => tags::list(Taggable::User), [UserName, Marker, MaxItems];
        CreateAccessKey => access_keys::create, [UserName];
        ListAccessKeys => access_keys::list, [UserName, Marker, MaxItems];
        UpdateAccessKey => access_keys::update, [UserName, AccessKeyId, Status];
        DeleteAccessKey => access_keys::delete, [UserName, AccessKeyId];
        GetAccessKeyLastUsed => access_keys::last_used, [AccessKeyId];
        CreateRole => roles::create_role,
            [RoleName, Path, AssumeRolePolicyDocument, Description, MaxSessionDuration,
             PermissionsBoundary, Tags];
        GetRole => roles::get_role, [RoleName];
        ListRoles => roles::list_roles, [PathPrefix, Marker, MaxItems];
        UpdateRole => roles::update_role, [RoleName, Description, MaxSessionDuration];
        UpdateRoleDescription => roles::update_role_description, [RoleName, Description];
        UpdateAssumeRolePolicy => roles::update_assume_role_policy, [RoleName, PolicyDocument];
        DeleteRole => roles::delete_role, [RoleName];
        TagRole => tags::tag(Taggable::Role), [RoleName, Tags];
        UntagRole => tags::untag(Taggable::Role), [RoleName, TagKeys];
        ListRoleTags => tags::list(Taggable::Role), [RoleName, Marker, MaxItems];
        CreatePolicy => policies::create_policy,
            [PolicyName, Path, PolicyDocument, Description, Tags];
        GetPolicy => policies::get_policy, [PolicyArn];
        ListPolicies => policies::list_policies,
            [Scope, OnlyAttached, PathPrefix, PolicyUsageFilter, Marker, MaxItems];
        DeletePolicy => policies::delete_policy, [PolicyArn];
        CreatePolicyVersion => policies::create_policy_version,
            [PolicyArn, PolicyDocument, SetAsDefault];
        GetPolicyVersion => policies::get_policy_version, [PolicyArn, VersionId];
        ListPolicyVersions => policies::list_policy_versions, [PolicyArn, Marker, MaxItems];
        SetDefaultPolicyVersion => policies::set_default_policy_version, [PolicyArn, VersionId];
        DeletePolicyVersion => policies::delete_policy_version, [PolicyArn, VersionId];
        TagPolicy => tags::tag(Taggable::Policy), [PolicyArn, Tags];
        UntagPolicy => tags::untag(Taggable::Policy), [PolicyArn, TagKeys];
        ListPolicyTags => tags::list(Taggable::Policy), [PolicyArn, Marker, MaxItems];
        ListEntitiesForPolicy => policies::list_entities_for_policy,
            [PolicyArn, EntityFilter, PathPrefix, PolicyUsageFilter, Marker, MaxItems];
        AttachUserPolicy => attachments::attach(EntityKind::User), [UserName, PolicyArn];
        AttachRolePolicy => attachments::attach(EntityKind::Role), [RoleName, PolicyArn];
        AttachGroupPolicy => attachments::attach(EntityKind::Group), [GroupName, PolicyArn];
        DetachUserPolicy => attachments::detach(EntityKind::User), [UserName, PolicyArn];
        DetachRolePolicy => attachments::detach(EntityKind::Role), [RoleName, PolicyArn];
        DetachGroupPolicy => attachments::detach(EntityKind::Group), [GroupName, PolicyArn];
        ListAttachedUserPolicies => attachments::list_attached(EntityKind::User),
            [UserName, PathPrefix, Marker, MaxItems];
        ListAttachedRolePolicies => attachments::list_attached(EntityKind::Role),
            [RoleName, PathPrefix, Marker, MaxItems];
        ListAttachedGroupPolicies => attachments::list_attached(EntityKind::Group),
            [GroupName, PathPrefix, Marker, MaxItems];
        PutUserPolicy => inline_policies::put(EntityKind::User),
            [UserName, PolicyName, PolicyDocument];
        PutRolePolicy => inline_policies::put(EntityKind::Role),
            [RoleName, PolicyName, PolicyDocument];
        PutGroupPolicy => inline_policies::put(EntityKind::Group),
            [GroupName, PolicyName, PolicyDocument];
        GetUserPolicy => inline_policies::get(EntityKind::User), [UserName, PolicyName];
        GetRolePolicy => inline_policies::get(EntityKind::Role), [RoleName, PolicyName];
        GetGroupPolicy => inline_policies::get(EntityKind::Group), [GroupName, PolicyName];
        DeleteUserPolicy => inline_policies::delete(EntityKind::User), [UserName, PolicyName];
        DeleteRolePolicy => inline_policies::delete(EntityKind::Role), [RoleName, PolicyName];
        DeleteGroupPolicy => inline_policies::delete(EntityKind::Group), [GroupName, PolicyName];
        ListUserPolicies => inline_policies::list(EntityKind::User), [UserName, Marker, MaxItems];
        ListRolePolicies => inline_policies::list(EntityKind::Role), [RoleName, Marker, MaxItems];
        ListGroupPolicies => inline_policies::list(EntityKind::Group),
            [GroupName, Marker, MaxItems];
        PutUserPermissionsBoundary => attachments::put_boundary(EntityKind::User),
            [UserName, PermissionsBoundary];
        PutRolePermissionsBoundary => attachments::put_boundary(EntityKind::Role),
            [RoleName, PermissionsBoundary];
        DeleteUserPermissionsBoundary => attachments::delete_boundary(EntityKind::User), [UserName];
        DeleteRolePermissionsBoundary => attachments::delete_boundary(EntityKind::Role), [RoleName];
        CreateGroup => groups::create_group, [GroupName, Path];
        GetGroup => groups::get_group, [GroupName, Marker, MaxItems];
        ListGroups => groups::list_groups, [PathPrefix, Marker, MaxItems];
        ListGroupsForUser => groups::list_groups_for_user, [UserName, Marker, MaxItems];
        AddUserToGroup => groups::membership(true), [GroupName, UserName];
        RemoveUserFromGroup => groups::membership(false), [GroupName, UserName];
        UpdateGroup => groups::update_group, [GroupName, NewPath, NewGroupName];
        DeleteGroup => groups::delete_group, [GroupName];
        GetAccountSummary => account::get_account_summary, [];
        GetAccountAuthorizationDetails => account::get_account_authorization_details,
            [Filter, Marker, MaxItems];
        CreateOpenIDConnectProvider => oidc::create, [Url, ClientIDList, ThumbprintList, Tags];
        GetOpenIDConnectProvider => oidc::get, [OpenIDConnectProviderArn];
        ListOpenIDConnectProviders => oidc::list, [];
        DeleteOpenIDConnectProvider => oidc::delete, [OpenIDConnectProviderArn];
        AddClientIDToOpenIDConnectProvider => oidc::add_client_id,
            [OpenIDConnectProviderArn, ClientID];
        RemoveClientIDFromOpenIDConnectProvider => oidc::remove_client_id,
            [OpenIDConnectProviderArn, ClientID];
        UpdateOpenIDConnectProviderThumbprint => oidc::update_thumbprint,
            [OpenIDConnectProviderArn, ThumbprintList];
        TagOpenIDConnectProvider => tags::tag(Taggable::OpenIdConnectProvider),
            [OpenIDConnectProviderArn, Tags];
        UntagOpenIDConnectProvider => tags::untag(Taggable::OpenIdConnectProvider),
            [OpenIDConnectProviderArn, TagKeys];
        ListOpenIDConnectProviderTags => tags::list(Taggable::OpenIdConnectProvider),
            [OpenIDConnectProviderArn, Marker, MaxItems];
        CreateSAMLProvider => saml::create,
            [SAMLMetadataDocument, Name, Tags, AssertionEncryptionMode, AddPrivateKey];
        GetSAMLProvider => saml::get, [SAMLProviderArn];
        ListSAMLProviders => saml::list, [];
        UpdateSAMLProvider => saml::update,
            [SAMLMetadataDocument, SAMLProviderArn, AssertionEncryptionMode, AddPrivateKey,
             RemovePrivateKey];
        DeleteSAMLProvider => saml::delete, [SAMLProviderArn];
        TagSAMLProvider => tags::tag(Taggable::SamlProvider), [SAMLProviderArn, Tags];
        UntagSAMLProvider => tags::untag(Taggable::SamlProvider), [SAMLProviderArn, TagKeys];
        ListSAMLProviderTags => tags::list(Taggable::SamlProvider),
            [SAMLProviderArn, Marker, MaxItems];
        UploadServerCertificate => server_certs::upload,
            [Path, ServerCertificateName, CertificateBody, PrivateKey, CertificateChain, Tags];
        GetServerCertificate => server_certs::get, [ServerCertificateName];
        ListServerCertificates => server_certs::list, [PathPrefix, Marker, MaxItems];
        UpdateServerCertificate => server_certs::update,
            [ServerCertificateName, NewPath, NewServerCertificateName];
        DeleteServerCertificate => server_certs::delete, [ServerCertificateName];
        TagServerCertificate => tags::tag(Taggable::ServerCertificate),
            [ServerCertificateName, Tags];
        UntagServerCertificate => tags::untag(Taggable::ServerCertificate),
            [ServerCertificateName, TagKeys];
        ListServerCertificateTags => tags::list(Taggable::ServerCertificate),
            [ServerCertificateName, Marker, MaxItems];
        CreateInstanceProfile => instance_profiles::create, [InstanceProfileName, Path, Tags];
        GetInstanceProfile => instance_profiles::get, [InstanceProfileName];
        ListInstanceProfiles => instance_profiles::list, [PathPrefix, Marker, MaxItems];
        ListInstanceProfilesForRole => instance_profiles::list_for_role,
            [RoleName, Marker, MaxItems];
        DeleteInstanceProfile => instance_profiles::delete, [InstanceProfileName];
        AddRoleToInstanceProfile => instance_profiles::role(true), [InstanceProfileName, RoleName];
        RemoveRoleFromInstanceProfile => instance_profiles::role(false),
            [InstanceProfileName, RoleName];
        TagInstanceProfile => tags::tag(Taggable::InstanceProfile), [InstanceProfileName, Tags];
        UntagInstanceProfile => tags::untag(Taggable::InstanceProfile),
            [InstanceProfileName, TagKeys];
        ListInstanceProfileTags => tags::list(Taggable::InstanceProfile),
            [InstanceProfileName, Marker, MaxItems];
        CreateAccountAlias => account_settings::create_alias, [AccountAlias];
        DeleteAccountAlias => account_settings::delete_alias, [AccountAlias];
        ListAccountAliases => account_settings::list_aliases, [Marker, MaxItems];
        UpdateAccountPasswordPolicy => account_settings::update_password_policy,
            [MinimumPasswordLength, RequireSymbols, RequireNumbers, RequireUppercaseCharacters,
             RequireLowercaseCharacters, AllowUsersToChangePassword, MaxPasswordAge,
             PasswordReusePrevention, HardExpiry];
        GetAccountPasswordPolicy => account_settings::get_password_policy, [];
        DeleteAccountPasswordPolicy => account_settings::delete_password_policy, [];
        CreateVirtualMFADevice => mfa::create_virtual, [VirtualMFADeviceName, Path, Tags];
        EnableMFADevice => mfa::enable(false),
            [UserName, SerialNumber, AuthenticationCode1, AuthenticationCode2];
        ResyncMFADevice => mfa::enable(true),
            [UserName, SerialNumber, AuthenticationCode1, AuthenticationCode2];
        DeactivateMFADevice => mfa::deactivate, [UserName, SerialNumber];
        DeleteVirtualMFADevice => mfa::delete_virtual, [SerialNumber];
        ListMFADevices => mfa::list, [UserName, Marker, MaxItems];
        ListVirtualMFADevices => mfa::list_virtual, [AssignmentStatus, Marker, MaxItems];
        GetMFADevice => mfa::get, [SerialNumber, UserName];
        TagMFADevice => tags::tag(Taggable::MfaDevice), [SerialNumber, Tags];
        UntagMFADevice => tags::untag(Taggable::MfaDevice), [SerialNumber, TagKeys];
        ListMFADeviceTags => tags::list(Taggable::MfaDevice), [SerialNumber, Marker, MaxItems];
        CreateLoginProfile => login_profiles::create,
            [UserName, Password, PasswordResetRequired];
        GetLoginProfile => login_profiles::get, [UserName];
        UpdateLoginProfile => login_profiles::update,
            [UserName, Password, PasswordResetRequired];
        DeleteLoginProfile => login_profiles::delete, [UserName];
        ChangePassword => login_profiles::change_password, [OldPassword, NewPassword];
        CreateServiceLinkedRole => service_linked_roles::create,
            [AWSServiceName, Description, CustomSuffix];
        DeleteServiceLinkedRole => service_linked_roles::delete, [RoleName];
        GetServiceLinkedRoleDeletionStatus => service_linked_roles::deletion_status,
            [DeletionTaskId];
        UploadSSHPublicKey => user_credentials::upload(CredentialKind::SshPublicKey),
            [UserName, SSHPublicKeyBody];
        GetSSHPublicKey => user_credentials::get_ssh, [UserName, SSHPublicKeyId, Encoding];
        ListSSHPublicKeys => user_credentials::list(CredentialKind::SshPublicKey),
            [UserName, Marker, MaxItems];
        UpdateSSHPublicKey => user_credentials::update(CredentialKind::SshPublicKey),
            [UserName, SSHPublicKeyId, Status];
        DeleteSSHPublicKey => user_credentials::delete(CredentialKind::SshPublicKey),
            [UserName, SSHPublicKeyId];
        UploadSigningCertificate => user_credentials::upload(CredentialKind::SigningCertificate),
            [UserName, CertificateBody];
        ListSigningCertificates => user_credentials::list(CredentialKind::SigningCertificate),
            [UserName, Marker, MaxItems];
        UpdateSigningCertificate => user_credentials::update(CredentialKind::SigningCertificate),
            [UserName, CertificateId, Status];
        DeleteSigningCertificate => user_credentials::delete(CredentialKind::SigningCertificate),
            [UserName, CertificateId];
        CreateServiceSpecificCredential => user_credentials::create_service,
            [UserName, ServiceName];
        ListServiceSpecificCredentials => user_credentials::list(CredentialKind::ServiceSpecific),
            [UserName, ServiceName];
        ResetServiceSpecificCredential => user_credentials::reset_service,
            [UserName, ServiceSpecificCredentialId];
        UpdateServiceSpecificCredential => user_credentials::update(CredentialKind::ServiceSpecific),
            [UserName, ServiceSpecificCredentialId, Status];
        DeleteServiceSpecificCredential => user_credentials::delete(CredentialKind::ServiceSpecific),
            [UserName, ServiceSpecificCredentialId];
        SimulateCustomPolicy => simulator::custom,
            [PolicyInputList, PermissionsBoundaryPolicyInputList, ActionNames, ResourceArns,
             ResourcePolicy, ResourceOwner, CallerArn, ContextEntries, ResourceHandlingOption,
             MaxItems, Marker];
        SimulatePrincipalPolicy => simulator::principal,
            [PolicySourceArn, PolicyInputList, PermissionsBoundaryPolicyInputList, ActionNames,
             ResourceArns, ResourcePolicy, ResourceOwner, CallerArn, ContextEntries,
             ResourceHandlingOption, MaxItems, Marker];
        GetContextKeysForCustomPolicy => simulator::keys_custom, [PolicyInputList];
        GetContextKeysForPrincipalPolicy => simulator::keys_principal,
            [PolicySourceArn, PolicyInputList];
        GenerateCredentialReport => credential_report::generate, [];
        GetCredentialReport => credential_report::get, [];
    }
}

/// `Marker` and `MaxItems` of a list call.
pub(crate) fn page_request(ctx: &Ctx<'_>) -> Result<PageRequest, ApiError> {
    let max_items = hourglass_iam::validate::max_items(ctx.get("MaxItems"))?;
    let marker = hourglass_iam::validate::marker(ctx.get("Marker"))?;
    Ok(PageRequest {
        marker: marker.map(str::to_owned),
        max_items: u32::try_from(max_items).unwrap_or(1000),
    })
}

/// `IsTruncated` and, when truncated, `Marker`.
pub(crate) fn write_page_tail<T>(x: &mut Xml, page: &Page<T>) {
    x.bool("IsTruncated", page.is_truncated());
    x.opt_text("Marker", page.next_marker.as_deref());
}

/// A user's or role's `PermissionsBoundary`, when it has one.
pub(crate) fn write_boundary(x: &mut Xml, boundary: Option<&str>) {
    if let Some(b) = boundary {
        x.open("PermissionsBoundary")
            .text("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
            .text("PermissionsBoundaryArn", b)
            .close("PermissionsBoundary");
    }
}

pub(crate) fn write_tags(x: &mut Xml, name: &str, tags: &[Tag]) {
    x.list(name, tags, |x, t| {
        x.text("Key", &t.key).text("Value", &t.value);
    });
}
