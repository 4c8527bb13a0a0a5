"""Every AWS managed policy (crates/iam/data/aws-managed-policies.jsonl.gz): GetPolicy,
GetPolicyVersion, ListPolicyVersions, ListPolicies (Scope, PathPrefix, OnlyAttached,
PolicyUsageFilter, paging merged with customer policies), attachment and evaluation."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest

import hg
from hg import ACCOUNT_ID, expect_error, unique

DATA = Path(__file__).resolve().parents[2] / "crates" / "iam" / "data" / "aws-managed-policies.jsonl.gz"
LAMBDA = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
VIEW_ONLY = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


@pytest.fixture(scope="module")
def catalogue() -> dict[str, dict]:
    with gzip.open(DATA, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return {r["arn"]: r for r in rows}


def listing_order(arns):
    return sorted(arns, key=lambda a: (a.rsplit("/", 1)[1].lower(), a))


def list_all(c, **kw):
    return c.get_paginator("list_policies").paginate(**kw).build_full_result()["Policies"]


def test_get_policy_and_version_for_nested_paths(iam, catalogue):
    c = iam()
    for arn in (LAMBDA, VIEW_ONLY, "arn:aws:iam::aws:policy/job-function/DatabaseAdministrator"):
        row = catalogue[arn]
        p = c.get_policy(PolicyArn=arn)["Policy"]
        assert p["Arn"] == arn
        assert p["PolicyName"] == row["name"]
        assert p["Path"] == row["path"]
        assert p["PolicyId"] == row["policy_id"]
        assert p["DefaultVersionId"] == row["default_version"]
        assert p["IsAttachable"] is True
        assert p["CreateDate"].strftime("%Y-%m-%dT%H:%M:%SZ") == row["create_date"]
        assert p["UpdateDate"].strftime("%Y-%m-%dT%H:%M:%SZ") == row["update_date"]
        v = c.get_policy_version(PolicyArn=arn, VersionId=row["default_version"])["PolicyVersion"]
        assert v["IsDefaultVersion"] is True
        assert v["VersionId"] == row["default_version"]
        assert v["Document"] == json.loads(row["document"])
    assert c.get_policy(PolicyArn=LAMBDA)["Policy"]["Description"] == "Provides write permissions to CloudWatch Logs."


def test_a_sample_of_every_path_reads_back(iam, catalogue):
    c = iam()
    rng = random.Random(12)
    by_path: dict[str, list[str]] = {}
    for arn, row in catalogue.items():
        by_path.setdefault(row["path"], []).append(arn)
    assert set(by_path) >= {"/", "/service-role/", "/aws-service-role/", "/job-function/"}
    for path, arns in by_path.items():
        for arn in rng.sample(arns, min(5, len(arns))):
            row = catalogue[arn]
            v = c.get_policy_version(PolicyArn=arn, VersionId=row["default_version"])["PolicyVersion"]
            assert v["Document"] == json.loads(row["document"]), arn


def test_list_policy_versions_has_the_default_only_and_no_document(iam, catalogue):
    c = iam()
    versions = c.list_policy_versions(PolicyArn=VIEW_ONLY)["Versions"]
    assert [v["VersionId"] for v in versions] == [catalogue[VIEW_ONLY]["default_version"]]
    assert versions[0]["IsDefaultVersion"] is True
    assert "Document" not in versions[0]


def test_unknown_aws_policy_is_no_such_entity(iam):
    c = iam()
    arn = "arn:aws:iam::aws:policy/service-role/NoSuchPolicyAnywhere"
    expect_error(c.get_policy, PolicyArn=arn, code="NoSuchEntity", status=404)
    role = c.create_role(RoleName=unique("r"), AssumeRolePolicyDocument=json.dumps(trust()))["Role"]["RoleName"]
    expect_error(c.attach_role_policy, RoleName=role, PolicyArn=arn, code="NoSuchEntity", status=404)


def trust():
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }


def test_list_scope_aws_is_the_whole_catalogue_in_order(fresh_server, catalogue):
    c = fresh_server.iam()
    # Touch a few first so the listing merges stored rows with catalogue-only ones.
    c.get_policy(PolicyArn=LAMBDA)
    c.get_policy(PolicyArn=READ_ONLY)
    listed = list_all(c, Scope="AWS", PaginationConfig={"PageSize": 250})
    arns = [p["Arn"] for p in listed]
    assert len(arns) == len(set(arns))
    assert arns == listing_order(catalogue)
    lam = next(p for p in listed if p["Arn"] == LAMBDA)
    assert lam["DefaultVersionId"] == catalogue[LAMBDA]["default_version"]
    assert lam["AttachmentCount"] == 0 and lam["IsAttachable"] is True
    assert "Description" not in lam and "Tags" not in lam


def test_list_path_prefix_and_scope_all_with_customer_policies(iam, catalogue):
    c = iam()
    jobs = [p["Arn"] for p in list_all(c, Scope="AWS", PathPrefix="/job-function/")]
    expected = [a for a in catalogue if catalogue[a]["path"] == "/job-function/"]
    assert jobs == listing_order(expected)
    assert VIEW_ONLY in jobs
    service_roles = [p["Arn"] for p in list_all(c, PathPrefix="/service-role/")]
    assert LAMBDA in service_roles and all("/service-role/" in a for a in service_roles)
    mine = c.create_policy(
        PolicyName=unique("AWSLambdaBasic"),
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}),
    )["Policy"]["Arn"]
    everything = [p["Arn"] for p in list_all(c, PaginationConfig={"PageSize": 97})]
    assert len(everything) == len(set(everything))
    assert mine in everything and LAMBDA in everything
    assert set(catalogue) <= set(everything)
    assert everything == listing_order(everything)
    local = [p["Arn"] for p in list_all(c, Scope="Local")]
    assert mine in local and not any(a.startswith("arn:aws:iam::aws:") for a in local)


def test_attach_counts_only_attached_and_boundary_usage(fresh_server):
    c = fresh_server.iam()
    role = c.create_role(RoleName=unique("fn"), AssumeRolePolicyDocument=json.dumps(trust()))["Role"]["RoleName"]
    c.attach_role_policy(RoleName=role, PolicyArn=LAMBDA)
    assert c.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == [
        {"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": LAMBDA}
    ]
    assert c.get_policy(PolicyArn=LAMBDA)["Policy"]["AttachmentCount"] == 1
    attached = c.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    assert [(p["Arn"], p["AttachmentCount"]) for p in attached] == [(LAMBDA, 1)]
    user = hg.create_user(c)["UserName"]
    c.put_user_permissions_boundary(UserName=user, PermissionsBoundary=VIEW_ONLY)
    bounded = c.list_policies(Scope="AWS", PolicyUsageFilter="PermissionsBoundary")["Policies"]
    assert [(p["Arn"], p["PermissionsBoundaryUsageCount"]) for p in bounded] == [(VIEW_ONLY, 1)]
    assert [p["Arn"] for p in c.list_policies(Scope="All", PolicyUsageFilter="PermissionsPolicy")["Policies"]] == [LAMBDA]
    entities = c.list_entities_for_policy(PolicyArn=LAMBDA)
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [role]
    # The listing of everything shows the stored row's count.
    lam = next(p for p in list_all(c, Scope="AWS", PathPrefix="/service-role/") if p["Arn"] == LAMBDA)
    assert lam["AttachmentCount"] == 1
    c.detach_role_policy(RoleName=role, PolicyArn=LAMBDA)
    assert c.list_policies(Scope="AWS", OnlyAttached=True)["Policies"] == []


def test_service_linked_role_policies_are_not_attachable(iam):
    c = iam()
    arn = "arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy"
    assert c.get_policy(PolicyArn=arn)["Policy"]["Path"] == "/aws-service-role/"
    role = c.create_role(RoleName=unique("r"), AssumeRolePolicyDocument=json.dumps(trust()))["Role"]["RoleName"]
    expect_error(
        c.attach_role_policy,
        RoleName=role,
        PolicyArn=arn,
        code="PolicyNotAttachable",
        status=400,
        message="Cannot attach a Service Role Policy to a Customer Role.",
    )
    assert c.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []


def test_view_only_and_read_only_access_are_evaluated(server, iam):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    c.attach_user_policy(UserName=name, PolicyArn=VIEW_ONLY)
    u = server.iam(creds)
    u.list_users()  # ViewOnlyAccess: iam:List*
    expect_error(u.get_user, UserName=name, code="AccessDenied", status=403)  # no iam:Get*
    expect_error(u.create_group, GroupName=unique("g"), code="AccessDenied", status=403)
    c.detach_user_policy(UserName=name, PolicyArn=VIEW_ONLY)
    c.attach_user_policy(UserName=name, PolicyArn=READ_ONLY)
    # ReadOnlyAccess (thousands of actions) is compiled once; every call below reuses it.
    for _ in range(20):
        assert u.get_user(UserName=name)["User"]["UserName"] == name
    u.list_roles()
    expect_error(u.create_group, GroupName=unique("g"), code="AccessDenied", status=403)


def test_aws_cli_reads_a_service_role_policy(aws_cli, catalogue):
    r = aws_cli(["iam", "get-policy", "--policy-arn", LAMBDA])
    assert r.rc == 0, r.stderr
    assert r.json["Policy"]["Arn"] == LAMBDA
    r = aws_cli(["iam", "list-policies", "--scope", "AWS", "--path-prefix", "/job-function/"])
    assert r.rc == 0, r.stderr
    assert VIEW_ONLY in [p["Arn"] for p in r.json["Policies"]]


def test_member_account_views_share_the_catalogue(iam):
    # AttachmentCount is per account: this account's count of an untouched policy is 0.
    c = iam()
    p = c.get_policy(PolicyArn="arn:aws:iam::aws:policy/job-function/Billing")["Policy"]
    assert p["AttachmentCount"] == 0
    assert p["Arn"].startswith("arn:aws:iam::aws:policy/")
    assert ACCOUNT_ID not in p["Arn"]


def test_session_policy_arns_may_name_any_aws_managed_policy(fresh_server):
    c = fresh_server.iam()
    name, creds, _ = hg.create_user_with_key(c)
    c.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    trust_me = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}],
    }
    role = c.create_role(RoleName=unique("admin"), AssumeRolePolicyDocument=json.dumps(trust_me))["Role"]
    c.attach_role_policy(RoleName=role["RoleName"], PolicyArn="arn:aws:iam::aws:policy/IAMFullAccess")
    # ViewOnlyAccess has not been named before on this new server.
    out = fresh_server.sts(creds).assume_role(
        RoleArn=role["Arn"], RoleSessionName="viewer", PolicyArns=[{"arn": VIEW_ONLY}]
    )["Credentials"]
    session = fresh_server.iam(hg.Creds(out["AccessKeyId"], out["SecretAccessKey"], out["SessionToken"]))
    session.list_users()  # role allows, session policy allows (iam:List*)
    expect_error(session.create_group, GroupName=unique("g"), code="AccessDenied", status=403)
    expect_error(
        fresh_server.sts(creds).assume_role,
        RoleArn=role["Arn"],
        RoleSessionName="nope",
        PolicyArns=[{"arn": "arn:aws:iam::aws:policy/NoSuchManagedPolicyHere"}],
        code="MalformedPolicyDocument",
        status=400,
    )
