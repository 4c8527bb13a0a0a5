"""Service-linked roles: CreateServiceLinkedRole (AWS's names, the aws-service-role/ path,
trust for the service principal), DeleteServiceLinkedRole with its deletion status, and the
protection of such roles from customer changes."""

from __future__ import annotations

import json

import hg
from hg import ACCOUNT_ID, expect_error, unique

PROTECTED = "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS"


def test_create_and_shape(iam):
    c = iam()
    role = c.create_service_linked_role(AWSServiceName="ecs.amazonaws.com", Description="for ecs")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForECS"
    assert role["Path"] == "/aws-service-role/ecs.amazonaws.com/"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
    stmt = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert stmt["Principal"] == {"Service": ["ecs.amazonaws.com"]}
    assert stmt["Action"] == ["sts:AssumeRole"]
    got = c.get_role(RoleName="AWSServiceRoleForECS")["Role"]
    assert got["Description"] == "for ecs"
    listed = c.list_roles(PathPrefix="/aws-service-role/")["Roles"]
    assert "AWSServiceRoleForECS" in [r["RoleName"] for r in listed]
    expect_error(
        c.create_service_linked_role,
        AWSServiceName="ecs.amazonaws.com",
        code="InvalidInput",
        status=400,
        message="Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix.",
    )


def test_suffix_and_unknown_service(iam):
    c = iam()
    suffix = unique("s")
    role = c.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix=suffix)["Role"]
    assert role["RoleName"] == f"AWSServiceRoleForAutoScaling_{suffix}"
    expect_error(c.create_service_linked_role, AWSServiceName="rds.amazonaws.com", CustomSuffix="x", code="InvalidInput", status=400)
    expect_error(c.create_service_linked_role, AWSServiceName="nothing.amazonaws.com", code="InvalidInput", status=400)


def test_protected_from_customer_changes(iam):
    c = iam()
    name = c.create_service_linked_role(AWSServiceName="elasticloadbalancing.amazonaws.com")["Role"]["RoleName"]
    msg = PROTECTED.format(name)
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    trust = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT_ID}, "Action": "sts:AssumeRole"}]}
    )
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    for fn, kw in [
        (c.delete_role, {"RoleName": name}),
        (c.update_assume_role_policy, {"RoleName": name, "PolicyDocument": trust}),
        (c.put_role_policy, {"RoleName": name, "PolicyName": "p", "PolicyDocument": doc}),
        (c.attach_role_policy, {"RoleName": name, "PolicyArn": admin}),
        (c.put_role_permissions_boundary, {"RoleName": name, "PermissionsBoundary": admin}),
    ]:
        expect_error(fn, **kw, code="UnmodifiableEntity", status=400, message=msg)
    assert c.list_role_policies(RoleName=name)["PolicyNames"] == []
    assert c.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == []
    # Describing it is allowed.
    c.update_role_description(RoleName=name, Description="described")
    # Customers cannot make roles on AWS's path.
    expect_error(
        c.create_role, RoleName=unique("r"), Path="/aws-service-role/x/", AssumeRolePolicyDocument=trust, code="InvalidInput", status=400
    )


def test_delete_and_status(iam):
    c = iam()
    name = c.create_service_linked_role(AWSServiceName="guardduty.amazonaws.com")["Role"]["RoleName"]
    task = c.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    assert task.startswith(f"task/aws-service-role/guardduty.amazonaws.com/{name}/")
    assert c.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    expect_error(c.get_role, RoleName=name, code="NoSuchEntity", status=404)
    expect_error(c.delete_service_linked_role, RoleName=name, code="NoSuchEntity", status=404)
    ghost = f"task/aws-service-role/guardduty.amazonaws.com/{name}/00000000-0000-0000-0000-000000000000"
    expect_error(c.get_service_linked_role_deletion_status, DeletionTaskId=ghost, code="NoSuchEntity", status=404)
    # DeleteServiceLinkedRole is for service-linked roles only.
    plain = unique("plain")
    trust = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    )
    c.create_role(RoleName=plain, AssumeRolePolicyDocument=trust)
    expect_error(c.delete_service_linked_role, RoleName=plain, code="InvalidInput", status=400)


def test_delete_fails_while_in_use(iam):
    c = iam()
    name = c.create_service_linked_role(AWSServiceName="spot.amazonaws.com")["Role"]["RoleName"]
    profile = unique("ip")
    c.create_instance_profile(InstanceProfileName=profile)
    c.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=name)
    task = c.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    status = c.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert status["Status"] == "FAILED"
    assert "instance profile" in status["Reason"]["Reason"]
    assert c.get_role(RoleName=name)["Role"]["RoleName"] == name


def test_permission_and_service_name_key(iam):
    c = iam()
    user, creds, _ = hg.create_user_with_key(c)
    c.put_user_policy(
        UserName=user,
        PolicyName="slr",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "iam:CreateServiceLinkedRole",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"iam:AWSServiceName": "rds.amazonaws.com"}},
                    }
                ],
            }
        ),
    )
    expect_error(iam(creds).create_service_linked_role, AWSServiceName="redshift.amazonaws.com", code="AccessDenied", status=403)
    assert iam(creds).create_service_linked_role(AWSServiceName="rds.amazonaws.com")["Role"]["RoleName"] == "AWSServiceRoleForRDS"


def test_aws_cli(server):
    out = server.cli(["iam", "create-service-linked-role", "--aws-service-name", "config.amazonaws.com"]).ok()
    name = out["Role"]["RoleName"]
    assert name == "AWSServiceRoleForConfig"
    task = server.cli(["iam", "delete-service-linked-role", "--role-name", name]).ok()["DeletionTaskId"]
    got = server.cli(["iam", "get-service-linked-role-deletion-status", "--deletion-task-id", task]).ok()
    assert got["Status"] == "SUCCEEDED"
