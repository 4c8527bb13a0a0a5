//! Role credentials for workloads the operator bound to a role (the instance-metadata and
//! container credential endpoints). The workload proves who it is to the server front
//! (a per-workload listener, or a per-workload bearer token); here the role's trust policy
//! must still allow the matching AWS service principal — `ec2.amazonaws.com` for the
//! instance-metadata protocol, `ecs-tasks.amazonaws.com` for the container protocol — to
//! `sts:AssumeRole`, exactly as on AWS, so binding a workload to a role never bypasses the
//! role's own trust decision.

use hourglass_policy::{AssumeRoleAction, AssumeRoleRequest};

use crate::authz::{CallerPolicies, load_keys};
use crate::error::{IamError, IamResult};
use crate::sts::{Credentials, SessionGrant};
use crate::{Identity, validate};

/// A workload's role credentials.
#[derive(Debug, Clone)]
pub struct WorkloadCredentials {
    pub credentials: Credentials,
    pub role_arn: String,
    pub role_name: String,
    pub role_id: String,
    pub account_id: String,
}

impl Identity {
    /// Issues a role session for a workload. `service` is the service principal the role's
    /// trust policy must allow; `duration` is 900–43200 s and at most the role's maximum.
    pub async fn workload_credentials(
        &self,
        role_arn: &str,
        session_name: &str,
        duration: i64,
        service: &str,
    ) -> IamResult<WorkloadCredentials> {
        crate::sts::validate_assume_role_input(&crate::sts::AssumeRoleInput {
            role_arn: role_arn.to_owned(),
            role_session_name: session_name.to_owned(),
            duration_seconds: Some(duration.to_string()),
            ..Default::default()
        })?;
        let denied = || {
            IamError::access_denied(format!(
                "{service} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
            ))
        };
        let role = self.role_for_arn(role_arn).await?.ok_or_else(denied)?;
        let trust = self.trust_policy(&role)?;
        let keys = vec![
            (
                "sts:RoleSessionName".to_owned(),
                vec![session_name.to_owned()],
            ),
            (
                "aws:ResourceAccount".to_owned(),
                vec![role.account_id.clone()],
            ),
            (
                "aws:PrincipalIsAWSService".to_owned(),
                vec!["true".to_owned()],
            ),
        ];
        let gathered = CallerPolicies::outside_account(service);
        let mut ctx = hourglass_policy::RequestContext::new(
            "sts:AssumeRole",
            Some(&role.arn),
            hourglass_policy::Principal::service(service),
        );
        load_keys(&mut ctx, &keys);
        let request = AssumeRoleRequest {
            action: AssumeRoleAction::AssumeRole,
            role_arn: &role.arn,
            role_account: &role.account_id,
            trust_policy: &trust,
            tags: false,
            source_identity: false,
        };
        self.authorize_assume_role(&gathered, &ctx, &request, role_arn, &keys)
            .map_err(|_| denied())?;
        let duration = validate::int_range(&duration.to_string(), "DurationSeconds", 900, 43200)?
            .min(i64::from(role.max_session_duration));
        // No long-term key stands behind a workload session.
        let credentials = self.issue_session(
            SessionGrant::role(&role, session_name, duration),
            "WorkloadCredentials",
        )?;
        tracing::info!(%service, role = %role.arn, session = %session_name, access_key_id = %credentials.access_key_id, duration, "issued workload credentials");
        Ok(WorkloadCredentials {
            credentials,
            role_arn: role.arn.clone(),
            role_name: role.name.clone(),
            role_id: role.role_id.clone(),
            account_id: role.account_id.clone(),
        })
    }
}
