//! Organizations' errors (spec 2 §2.9): store refusals and input problems mapped to AWS's
//! exception names and messages, in one table.

use hourglass_iam::IamError;
use hourglass_store::org::OrgFault;

use crate::json::JsonApiError;

pub const NO_PERMISSION: &str = "You don't have permissions to access this resource.";

fn err(code: &'static str, message: &str) -> JsonApiError {
    JsonApiError::new(400, code, message)
}

/// AWS answers an IAM or SCP denial and a member account calling a management-only
/// operation alike.
pub fn access_denied() -> JsonApiError {
    err("AccessDeniedException", NO_PERMISSION)
}

pub fn not_in_use() -> JsonApiError {
    err(
        "AWSOrganizationsNotInUseException",
        "Your account is not a member of an organization.",
    )
}

/// `InvalidInputException` with its `Reason`.
pub fn invalid(reason: &'static str, message: impl Into<String>) -> JsonApiError {
    JsonApiError::new(400, "InvalidInputException", message).with("Reason", reason)
}

pub fn invalid_pattern() -> JsonApiError {
    invalid(
        "INVALID_PATTERN",
        "You provided a value that does not match the required pattern.",
    )
}

/// Identity failures while authorizing: a denial becomes AWS's Organizations wording.
pub fn from_iam(e: IamError) -> JsonApiError {
    match e {
        IamError::AccessDenied { .. } => access_denied(),
        other => JsonApiError::from(other),
    }
}

pub fn from_store(e: hourglass_store::StoreError) -> JsonApiError {
    JsonApiError::from(IamError::from(e))
}

fn constraint(reason: &'static str) -> JsonApiError {
    let message = match reason {
        "OU_DEPTH_LIMIT_EXCEEDED" => {
            "You attempted to create an OU tree that is too many levels deep."
        }
        "OU_NUMBER_LIMIT_EXCEEDED" => {
            "You have reached the maximum number of OUs allowed in the organization."
        }
        "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED" => {
            "You attempted to exceed the number of policies of a certain type that can be attached to an entity at one time."
        }
        "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED" => {
            "You attempted to detach a policy from an entity that would cause the entity to have fewer than the minimum number of policies of a certain type required."
        }
        "POLICY_NUMBER_LIMIT_EXCEEDED" => {
            "You attempted to exceed the number of policies that you can have in an organization."
        }
        "POLICY_CONTENT_LIMIT_EXCEEDED" => {
            "You attempted to create a policy that is larger than the maximum size."
        }
        _ => "You have performed an operation that would violate a limit of the organization.",
    };
    JsonApiError::new(400, "ConstraintViolationException", message).with("Reason", reason)
}

pub fn from_fault(f: OrgFault) -> JsonApiError {
    match f {
        OrgFault::OrganizationExists => err(
            "AlreadyInOrganizationException",
            "The provided account is already a member of an organization.",
        ),
        OrgFault::NoOrganization => not_in_use(),
        OrgFault::AccountNotFound => err(
            "AccountNotFoundException",
            "You specified an account that doesn't exist.",
        ),
        OrgFault::ParentNotFound => err(
            "ParentNotFoundException",
            "We can't find a root or OU with the ParentId that you specified.",
        ),
        OrgFault::SourceParentNotFound => err(
            "SourceParentNotFoundException",
            "We can't find a source root or OU with the ParentId that you specified.",
        ),
        OrgFault::OrganizationalUnitNotFound => err(
            "OrganizationalUnitNotFoundException",
            "We can't find an OU with the OrganizationalUnitId that you specified.",
        ),
        OrgFault::PolicyNotFound => err(
            "PolicyNotFoundException",
            "We can't find a policy with the PolicyId that you specified.",
        ),
        OrgFault::TargetNotFound => err(
            "TargetNotFoundException",
            "We can't find a root, OU, account, or email address with the TargetId that you specified.",
        ),
        OrgFault::RootNotFound => err(
            "RootNotFoundException",
            "We can't find a root with the RootId that you specified.",
        ),
        OrgFault::DuplicateOrganizationalUnit => err(
            "DuplicateOrganizationalUnitException",
            "An OU with the same name already exists.",
        ),
        OrgFault::DuplicateAccount => err(
            "DuplicateAccountException",
            "That account is already present in the specified destination.",
        ),
        OrgFault::DuplicatePolicy => err(
            "DuplicatePolicyException",
            "A policy with the same name already exists.",
        ),
        OrgFault::DuplicatePolicyAttachment => err(
            "DuplicatePolicyAttachmentException",
            "The selected policy is already attached to the specified target.",
        ),
        OrgFault::PolicyNotAttached => err(
            "PolicyNotAttachedException",
            "The policy isn't attached to the specified target in the specified root.",
        ),
        OrgFault::PolicyInUse => err(
            "PolicyInUseException",
            "The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.",
        ),
        OrgFault::PolicyTypeNotEnabled => err(
            "PolicyTypeNotEnabledException",
            "The specified policy type isn't currently enabled in this root. You can't attach policies of the specified type to entities in a root until you enable that type in the root.",
        ),
        OrgFault::PolicyTypeAlreadyEnabled => err(
            "PolicyTypeAlreadyEnabledException",
            "The specified policy type is already enabled in the specified root.",
        ),
        OrgFault::OrganizationalUnitNotEmpty => err(
            "OrganizationalUnitNotEmptyException",
            "The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, and try the operation again.",
        ),
        // AWS-managed policies cannot be edited: AWS answers with its generic denial.
        OrgFault::PolicyChangesNotAllowed => access_denied(),
        OrgFault::Constraint(reason) => constraint(reason),
    }
}

/// A move whose destination does not exist.
pub fn destination_not_found() -> JsonApiError {
    err(
        "DestinationParentNotFoundException",
        "We can't find the destination container (a root or OU) with the ParentId that you specified.",
    )
}
