//! Service-linked roles: CreateServiceLinkedRole (AWS's per-service role names, the
//! `/aws-service-role/SERVICE/` path, a trust policy for the service principal),
//! DeleteServiceLinkedRole and GetServiceLinkedRoleDeletionStatus. Such roles can be read
//! and described but not otherwise changed by customers, as on AWS.

use hourglass_store::{EntityRef, NewRole, PageRequest, Role, StoreError};

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::ids::{IdKind, new_id};
use crate::{Caller, Identity, validate};

const PATH_PREFIX: &str = "/aws-service-role/";

/// AWS's role names for the services that have service-linked roles (the name AWS uses is
/// not always derivable from the service principal).
const ROLE_NAMES: &[(&str, &str)] = &[
    (
        "access-analyzer.amazonaws.com",
        "AWSServiceRoleForAccessAnalyzer",
    ),
    ("autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling"),
    ("backup.amazonaws.com", "AWSServiceRoleForBackup"),
    ("batch.amazonaws.com", "AWSServiceRoleForBatch"),
    ("cloudtrail.amazonaws.com", "AWSServiceRoleForCloudTrail"),
    ("config.amazonaws.com", "AWSServiceRoleForConfig"),
    (
        "dynamodb.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
    ),
    (
        "ecs.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_ECSService",
    ),
    (
        "ec2scheduled.amazonaws.com",
        "AWSServiceRoleForEC2Scheduled",
    ),
    ("ecs.amazonaws.com", "AWSServiceRoleForECS"),
    ("eks.amazonaws.com", "AWSServiceRoleForAmazonEKS"),
    (
        "eks-nodegroup.amazonaws.com",
        "AWSServiceRoleForAmazonEKSNodegroup",
    ),
    ("elasticache.amazonaws.com", "AWSServiceRoleForElastiCache"),
    (
        "elasticbeanstalk.amazonaws.com",
        "AWSServiceRoleForElasticBeanstalk",
    ),
    (
        "elasticfilesystem.amazonaws.com",
        "AWSServiceRoleForAmazonElasticFileSystem",
    ),
    (
        "elasticloadbalancing.amazonaws.com",
        "AWSServiceRoleForElasticLoadBalancing",
    ),
    (
        "emr-containers.amazonaws.com",
        "AWSServiceRoleForAmazonEMRContainers",
    ),
    (
        "es.amazonaws.com",
        "AWSServiceRoleForAmazonElasticsearchService",
    ),
    ("events.amazonaws.com", "AWSServiceRoleForCloudWatchEvents"),
    ("fsx.amazonaws.com", "AWSServiceRoleForAmazonFSx"),
    (
        "globalaccelerator.amazonaws.com",
        "AWSServiceRoleForGlobalAccelerator",
    ),
    (
        "guardduty.amazonaws.com",
        "AWSServiceRoleForAmazonGuardDuty",
    ),
    (
        "inspector2.amazonaws.com",
        "AWSServiceRoleForAmazonInspector2",
    ),
    ("kafka.amazonaws.com", "AWSServiceRoleForKafka"),
    (
        "opensearchservice.amazonaws.com",
        "AWSServiceRoleForAmazonOpenSearchService",
    ),
    (
        "organizations.amazonaws.com",
        "AWSServiceRoleForOrganizations",
    ),
    ("rds.amazonaws.com", "AWSServiceRoleForRDS"),
    ("redshift.amazonaws.com", "AWSServiceRoleForRedshift"),
    (
        "replication.dynamodb.amazonaws.com",
        "AWSServiceRoleForDynamoDBReplication",
    ),
    ("securityhub.amazonaws.com", "AWSServiceRoleForSecurityHub"),
    ("spot.amazonaws.com", "AWSServiceRoleForEC2Spot"),
    ("spotfleet.amazonaws.com", "AWSServiceRoleForEC2SpotFleet"),
    ("ssm.amazonaws.com", "AWSServiceRoleForAmazonSSM"),
    ("sso.amazonaws.com", "AWSServiceRoleForSSO"),
    ("support.amazonaws.com", "AWSServiceRoleForSupport"),
    (
        "transitgateway.amazonaws.com",
        "AWSServiceRoleForVPCTransitGateway",
    ),
    (
        "trustedadvisor.amazonaws.com",
        "AWSServiceRoleForTrustedAdvisor",
    ),
];

/// Services whose service-linked role may carry a `CustomSuffix` (AWS allows it where a
/// service supports several roles).
const SUFFIX_ALLOWED: &[&str] = &[
    "autoscaling.amazonaws.com",
    "elasticbeanstalk.amazonaws.com",
    "opensearchservice.amazonaws.com",
    "es.amazonaws.com",
];

/// The role name AWS gives a service's service-linked role.
pub fn role_name_for(service: &str) -> Option<&'static str> {
    ROLE_NAMES
        .iter()
        .find(|(s, _)| *s == service)
        .map(|(_, n)| *n)
}

fn is_service_linked(arn: &str) -> bool {
    arn.split_once(":role")
        .is_some_and(|(_, rest)| rest.starts_with(PATH_PREFIX))
}

/// Refuses customer changes to a service-linked role (its trust policy, permissions,
/// boundary, deletion through DeleteRole).
pub(crate) fn ensure_modifiable(arn: &str) -> IamResult<()> {
    if is_service_linked(arn) {
        let name = arn.rsplit('/').next().unwrap_or(arn);
        return Err(IamError::UnmodifiableEntity(format!(
            "Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
        )));
    }
    Ok(())
}

/// The `/aws-service-role/` path is AWS's.
pub(crate) fn ensure_customer_path(path: &str) -> IamResult<()> {
    if path.starts_with(PATH_PREFIX) {
        return Err(IamError::InvalidInput(format!(
            "The path {PATH_PREFIX} is reserved for service-linked roles."
        )));
    }
    Ok(())
}

fn setting_key(account: &str, task: &str) -> String {
    format!("slr-deletion:{account}:{task}")
}

impl Identity {
    pub async fn create_service_linked_role(
        &self,
        caller: &Caller,
        service: &str,
        description: Option<&str>,
        suffix: Option<&str>,
    ) -> IamResult<Role> {
        validate::length(service, "AWSServiceName", 1, 128)?;
        if let Some(d) = description {
            validate::role_description(d, "Description")?;
        }
        if let Some(s) = suffix {
            validate::name(s, "CustomSuffix", 64)?;
        }
        let base = role_name_for(service).ok_or_else(|| {
            IamError::InvalidInput(format!(
                "Service name {service} is not eligible for a service-linked role."
            ))
        })?;
        let name = match suffix {
            Some(s) if SUFFIX_ALLOWED.contains(&service) => format!("{base}_{s}"),
            Some(_) => {
                return Err(IamError::InvalidInput(format!(
                    "Custom suffix is not allowed for {service}"
                )));
            }
            None => base.to_owned(),
        };
        let path = format!("{PATH_PREFIX}{service}/");
        let arn = self.role_arn(&path, &name);
        self.authorize(
            caller,
            &Access::new("iam:CreateServiceLinkedRole", &arn).with("iam:AWSServiceName", service),
        )
        .await?;
        let trust = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": [service]},
                "Action": ["sts:AssumeRole"],
            }],
        })
        .to_string();
        let role = NewRole {
            account_id: self.account_id.clone(),
            role_id: new_id(IdKind::Role),
            name: name.clone(),
            path,
            arn,
            create_date: self.clock.now(),
            assume_role_policy_document: trust,
            description: description.map(str::to_owned),
            max_session_duration: 3600,
            permissions_boundary: None,
            tags: Vec::new(),
        };
        match self.store.create_role(role).await {
            Err(StoreError::AlreadyExists { .. }) => Err(IamError::InvalidInput(format!(
                "Service role name {name} has been taken in this account, please try a different suffix."
            ))),
            other => Ok(other?),
        }
    }

    /// Deletes the role with its policies at once and records the task as SUCCEEDED (or
    /// FAILED, with the reason, when the role is still in use).
    pub async fn delete_service_linked_role(
        &self,
        caller: &Caller,
        name: &str,
    ) -> IamResult<String> {
        validate::name(name, "RoleName", 64)?;
        let role = self
            .authorized_role(caller, name, |arn| {
                Access::new("iam:DeleteServiceLinkedRole", arn)
            })
            .await?;
        if !is_service_linked(&role.arn) {
            return Err(IamError::InvalidInput(format!(
                "{} is not a service-linked role.",
                role.name
            )));
        }
        let service = role
            .path
            .strip_prefix(PATH_PREFIX)
            .unwrap_or_default()
            .trim_end_matches('/');
        let task = format!(
            "task{}{service}/{}/{}",
            PATH_PREFIX,
            role.name,
            uuid::Uuid::new_v4()
        );
        let status = match self.remove_service_linked_role(&role).await {
            Ok(()) => "SUCCEEDED".to_owned(),
            Err(IamError::DeleteConflict(m)) => format!("FAILED\n{m}"),
            Err(e) => return Err(e),
        };
        self.store
            .put_setting(&setting_key(&self.account_id, &task), &status)
            .await?;
        Ok(task)
    }

    async fn remove_service_linked_role(&self, role: &Role) -> IamResult<()> {
        let entity = EntityRef::Role(role.name.clone());
        let all = PageRequest::first(1000);
        for name in self
            .store
            .list_inline_policies(&self.account_id, &entity, &all)
            .await?
            .items
        {
            self.store
                .delete_inline_policy(&self.account_id, &entity, &name)
                .await?;
        }
        for p in self
            .store
            .list_attached_policies(&self.account_id, &entity, None, &all)
            .await?
            .items
        {
            self.store
                .detach_policy(&self.account_id, &entity, &p.policy_arn)
                .await?;
        }
        Ok(self.store.delete_role(&self.account_id, &role.name).await?)
    }

    /// `(status, reason)` of a deletion task.
    pub async fn service_linked_role_deletion_status(
        &self,
        caller: &Caller,
        task: &str,
    ) -> IamResult<(String, Option<String>)> {
        validate::length(task, "DeletionTaskId", 1, 1000)?;
        let role_name = task
            .strip_prefix("task")
            .and_then(|t| t.strip_prefix(PATH_PREFIX))
            .and_then(|t| t.split('/').nth(1))
            .ok_or_else(|| IamError::InvalidInput(format!("Invalid deletion task id: {task}")))?;
        let resource = format!("arn:aws:iam::{}:role{}*", self.account_id, PATH_PREFIX);
        self.authorize(
            caller,
            &Access::new("iam:GetServiceLinkedRoleDeletionStatus", &resource),
        )
        .await?;
        let status = self
            .store
            .get_setting(&setting_key(&self.account_id, task))
            .await?
            .ok_or_else(|| {
                IamError::NoSuchEntity(format!(
                    "Deletion task {task} for role {role_name} cannot be found."
                ))
            })?;
        Ok(match status.split_once('\n') {
            Some((s, reason)) => (s.to_owned(), Some(reason.to_owned())),
            None => (status, None),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_protection() {
        assert_eq!(
            role_name_for("autoscaling.amazonaws.com"),
            Some("AWSServiceRoleForAutoScaling")
        );
        assert_eq!(role_name_for("nope.amazonaws.com"), None);
        assert!(is_service_linked(
            "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
        ));
        assert!(!is_service_linked("arn:aws:iam::123456789012:role/app/x"));
        assert!(ensure_customer_path("/aws-service-role/x/").is_err());
        assert!(ensure_customer_path("/svc/").is_ok());
    }
}
