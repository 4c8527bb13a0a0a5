//! The organization: accounts, OUs, policies and the controls binding an account.

use hourglass_store::org::*;
use hourglass_store::*;

use super::Harness;
use super::fixtures::*;

const MEMBER: &str = "444455556666";
const ROOT: &str = "r-ab12";
const SCP: &str = "SERVICE_CONTROL_POLICY";

fn full_access() -> OrgPolicy {
    OrgPolicy {
        policy_id: "p-FullAWSAccess".into(),
        policy_type: SCP.into(),
        name: "FullAWSAccess".into(),
        description: "Allows access to every operation".into(),
        content: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#.into(),
        aws_managed: true,
    }
}

fn scp(id: &str, name: &str) -> OrgPolicy {
    OrgPolicy {
        policy_id: id.into(),
        policy_type: SCP.into(),
        name: name.into(),
        description: String::new(),
        content: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#.into(),
        aws_managed: false,
    }
}

async fn organized(h: &dyn Harness) -> std::sync::Arc<Store> {
    let store = store_with_accounts(h).await;
    store
        .upsert_aws_managed_policy(aws_policy("AdministratorAccess"))
        .await
        .unwrap();
    let org = store
        .create_organization(NewOrganization {
            org_id: "o-abcdefghij".into(),
            feature_set: "ALL".into(),
            management_account_id: ACCT.into(),
            management_email: "root@example.com".into(),
            management_name: "management".into(),
            root_id: ROOT.into(),
            created: at(10),
            full_access: full_access(),
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(org.enabled_policy_types, vec![SCP.to_owned()]);
    store
}

fn member(email: &str, request: &str) -> NewMemberAccount {
    let mut role = role(MEMBER, "OrganizationAccountAccessRole");
    role.create_date = at(20);
    NewMemberAccount {
        request_id: request.into(),
        account_id: MEMBER.into(),
        name: "dev".into(),
        email: email.into(),
        requested: at(20),
        role,
        role_policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
        max_accounts: 3,
    }
}

pub async fn organization_and_member_accounts(h: &dyn Harness) {
    let store = organized(h).await;
    let again = store
        .create_organization(NewOrganization {
            org_id: "o-zzzzzzzzzz".into(),
            feature_set: "ALL".into(),
            management_account_id: OTHER.into(),
            management_email: "other@example.com".into(),
            management_name: "x".into(),
            root_id: "r-zz99".into(),
            created: at(11),
            full_access: full_access(),
        })
        .await
        .unwrap();
    assert_eq!(again, Err(OrgFault::OrganizationExists));

    // The management e-mail is taken: the request fails and creates nothing.
    let failed = store
        .create_member_account(member("ROOT@example.com", "car-00000000"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.state, "FAILED");
    assert_eq!(
        failed.failure_reason.as_deref(),
        Some("EMAIL_ALREADY_EXISTS")
    );
    assert!(store.get_account(MEMBER).await.is_err());

    let ok = store
        .create_member_account(member("dev@example.com", "car-11111111"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ok.state, "SUCCEEDED");
    assert_eq!(ok.account_id.as_deref(), Some(MEMBER));
    assert_eq!(
        store.create_account_status("car-11111111").await.unwrap(),
        Some(ok.clone())
    );
    assert_eq!(store.create_account_statuses().await.unwrap().len(), 2);
    let role = store
        .get_role(MEMBER, "OrganizationAccountAccessRole")
        .await
        .unwrap();
    assert_eq!(role.account_id, MEMBER);
    let policies = store
        .principal_policies(MEMBER, &PrincipalRef::Role(role.role_id))
        .await
        .unwrap();
    assert_eq!(policies.managed.len(), 1);
    let accounts = store.org_accounts().await.unwrap();
    assert_eq!(
        accounts
            .iter()
            .map(|a| a.account_id.as_str())
            .collect::<Vec<_>>(),
        vec![ACCT, MEMBER]
    );
    assert_eq!(accounts[0].joined_method, "INVITED");
    assert_eq!(accounts[1].parent_id, ROOT);

    // The cap counts the management account.
    let mut third = member("third@example.com", "car-22222222");
    third.account_id = "777788889999".into();
    third.role.account_id = "777788889999".into();
    third.max_accounts = 2;
    let capped = store.create_member_account(third).await.unwrap().unwrap();
    assert_eq!(
        capped.failure_reason.as_deref(),
        Some("ACCOUNT_LIMIT_EXCEEDED")
    );
}

pub async fn units_policies_and_controls(h: &dyn Harness) {
    let store = organized(h).await;
    store
        .create_member_account(member("dev@example.com", "car-11111111"))
        .await
        .unwrap()
        .unwrap();
    let ou = |id: &str, name: &str| OrgUnit {
        ou_id: id.into(),
        name: name.into(),
        parent_id: String::new(),
    };
    store
        .create_org_unit(ROOT, ou("ou-ab12-aaaaaaaa", "prod"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .create_org_unit(ROOT, ou("ou-ab12-bbbbbbbb", "prod"))
            .await
            .unwrap(),
        Err(OrgFault::DuplicateOrganizationalUnit)
    );
    assert_eq!(
        store
            .create_org_unit("ou-ab12-missing0", ou("ou-ab12-cccccccc", "x"))
            .await
            .unwrap(),
        Err(OrgFault::ParentNotFound)
    );
    // Five levels below the root at most.
    let mut parent = "ou-ab12-aaaaaaaa".to_owned();
    for depth in 2..=5 {
        let id = format!("ou-ab12-deep000{depth}");
        store
            .create_org_unit(&parent, ou(&id, "d"))
            .await
            .unwrap()
            .unwrap();
        parent = id;
    }
    assert_eq!(
        store
            .create_org_unit(&parent, ou("ou-ab12-deep0006", "d"))
            .await
            .unwrap(),
        Err(OrgFault::Constraint("OU_DEPTH_LIMIT_EXCEEDED"))
    );

    assert_eq!(
        store.move_org_account(MEMBER, ROOT, ROOT).await.unwrap(),
        Err(OrgFault::DuplicateAccount)
    );
    store
        .move_org_account(MEMBER, ROOT, "ou-ab12-aaaaaaaa")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.org_parent(MEMBER).await.unwrap().as_deref(),
        Some("ou-ab12-aaaaaaaa")
    );
    assert_eq!(
        store.delete_org_unit("ou-ab12-aaaaaaaa").await.unwrap(),
        Err(OrgFault::OrganizationalUnitNotEmpty)
    );

    store
        .create_org_policy(scp("p-deny0001", "no-s3"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .create_org_policy(scp("p-deny0002", "no-s3"))
            .await
            .unwrap(),
        Err(OrgFault::DuplicatePolicy)
    );
    store
        .attach_org_policy("p-deny0001", "ou-ab12-aaaaaaaa")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .attach_org_policy("p-deny0001", "ou-ab12-aaaaaaaa")
            .await
            .unwrap(),
        Err(OrgFault::DuplicatePolicyAttachment)
    );
    assert_eq!(
        store
            .attach_org_policy("p-deny0001", "999999999999")
            .await
            .unwrap(),
        Err(OrgFault::TargetNotFound)
    );
    assert_eq!(
        store.delete_org_policy("p-deny0001").await.unwrap(),
        Err(OrgFault::PolicyInUse)
    );
    assert_eq!(
        store
            .detach_org_policy("p-FullAWSAccess", MEMBER)
            .await
            .unwrap(),
        Err(OrgFault::Constraint(
            "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
        ))
    );

    let controls = store.account_controls(MEMBER, SCP).await.unwrap().unwrap();
    assert_eq!(controls.org_id, "o-abcdefghij");
    assert_eq!(controls.management_account_id, ACCT);
    assert_eq!(controls.path, vec![ROOT, "ou-ab12-aaaaaaaa", MEMBER]);
    assert!(controls.enabled);
    let names: Vec<Vec<&str>> = controls
        .levels
        .iter()
        .map(|l| l.iter().map(|p| p.name.as_str()).collect())
        .collect();
    assert_eq!(
        names,
        vec![
            vec!["FullAWSAccess"],
            vec!["FullAWSAccess", "no-s3"],
            vec!["FullAWSAccess"]
        ]
    );
    assert!(store.account_controls(OTHER, SCP).await.unwrap().is_none());

    // Disabling the type drops every attachment; enabling starts over with FullAWSAccess.
    store
        .disable_org_policy_type(ROOT, SCP)
        .await
        .unwrap()
        .unwrap();
    let off = store.account_controls(MEMBER, SCP).await.unwrap().unwrap();
    assert!(!off.enabled && off.levels.is_empty());
    assert_eq!(
        store.attach_org_policy("p-deny0001", MEMBER).await.unwrap(),
        Err(OrgFault::PolicyTypeNotEnabled)
    );
    store
        .enable_org_policy_type(ROOT, SCP)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.enable_org_policy_type(ROOT, SCP).await.unwrap(),
        Err(OrgFault::PolicyTypeAlreadyEnabled)
    );
    let on = store.account_controls(MEMBER, SCP).await.unwrap().unwrap();
    assert!(on.levels.iter().all(|l| l.len() == 1 && l[0].aws_managed));
    store
        .delete_org_policy("p-deny0001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.delete_org_policy("p-FullAWSAccess").await.unwrap(),
        Err(OrgFault::PolicyChangesNotAllowed)
    );
}
