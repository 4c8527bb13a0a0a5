"""Details of AWS's IAM answers that clients and existing suites check: response members,
error codes and texts (single and multi-error ValidationError), duplicate tag keys, policy
version documents, and SigV4 credential scopes with an empty region."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config

import hg
from hg import ACCOUNT_ID, expect_error, unique

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
BOUNDARY = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"


def test_create_role_answer_has_no_max_session_duration(iam):
    c = iam()
    name = unique("r")
    created = c.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST, MaxSessionDuration=7200)["Role"]
    assert "MaxSessionDuration" not in created
    assert c.get_role(RoleName=name)["Role"]["MaxSessionDuration"] == 7200
    listed = [r for r in c.list_roles()["Roles"] if r["RoleName"] == name]
    assert listed[0]["MaxSessionDuration"] == 7200


def test_permissions_boundary_type(iam):
    c = iam()
    role = unique("r")
    c.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST, PermissionsBoundary=BOUNDARY)
    assert c.get_role(RoleName=role)["Role"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": BOUNDARY,
    }
    user = hg.create_user(c, PermissionsBoundary=BOUNDARY)["UserName"]
    assert c.get_user(UserName=user)["User"]["PermissionsBoundary"]["PermissionsBoundaryType"] == "PermissionsBoundaryPolicy"


@pytest.mark.parametrize("verb", ["attach", "detach"])
@pytest.mark.parametrize("kind", ["user", "role", "group"])
def test_unparseable_policy_arn_on_every_entity(iam, verb, kind):
    c = iam()
    if kind == "user":
        entity = {"UserName": hg.create_user(c)["UserName"]}
    elif kind == "role":
        entity = {"RoleName": c.create_role(RoleName=unique("r"), AssumeRolePolicyDocument=TRUST)["Role"]["RoleName"]}
    else:
        entity = {"GroupName": c.create_group(GroupName=unique("g"))["Group"]["GroupName"]}
    expect_error(
        getattr(c, f"{verb}_{kind}_policy"),
        PolicyArn="this-is-no-arn-at-all",
        code="ValidationError",
        status=400,
        message="Invalid ARN:  Could not be parsed!",
        **entity,
    )


def test_delete_missing_policy_says_policy_arn_was_not_found(iam):
    c = iam()
    arn = f"arn:aws:iam::{ACCOUNT_ID}:policy/{unique('gone')}"
    expect_error(c.delete_policy, PolicyArn=arn, code="NoSuchEntity", status=404, message=f"Policy {arn} was not found.")


def test_single_and_multiple_validation_errors(server):
    c = server.iam(validate=False)
    expect_error(
        c.create_user,
        UserName="bad name",
        code="ValidationError",
        status=400,
        message="1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    )
    expect_error(
        c.create_user,
        UserName="bad name",
        Path="nope",
        code="ValidationError",
        status=400,
        message=(
            "2 validation errors detected: "
            "Value 'nope' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F); "
            "Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        ),
    )
    err = expect_error(
        c.create_role,
        RoleName="x" * 65,
        Path="nope",
        AssumeRolePolicyDocument=TRUST,
        MaxSessionDuration=60,
        code="ValidationError",
        status=400,
    )
    msg = err.response["Error"]["Message"]
    assert msg.startswith("3 validation errors detected: Value 'nope' at 'path'"), msg
    assert "at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64" in msg
    assert "Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600" in msg
    assert msg.count("; ") == 2
    err = expect_error(c.create_group, GroupName="a b", Path="x", code="ValidationError", status=400)
    assert err.response["Error"]["Message"].startswith("2 validation errors detected: Value 'x' at 'path'")
    err = expect_error(c.create_policy, PolicyName="a b", Path="x", PolicyDocument=DOC, code="ValidationError", status=400)
    assert err.response["Error"]["Message"].startswith("2 validation errors detected: Value 'a b' at 'policyName'")
    # Nothing was created.
    assert not any(u["UserName"] == "bad name" for u in c.list_users()["Users"])


@pytest.mark.parametrize("kind", ["user", "role"])
def test_duplicate_tag_keys_are_invalid_input(iam, kind):
    c = iam()
    tags = [{"Key": "Env", "Value": "a"}, {"Key": "env", "Value": "b"}]
    msg = "Duplicate tag keys found. Please note that Tag keys are case insensitive."
    name = unique(kind[0])
    if kind == "user":
        expect_error(c.create_user, UserName=name, Tags=tags, code="InvalidInput", status=400, message=msg)
        expect_error(c.get_user, UserName=name, code="NoSuchEntity", status=404)
        c.create_user(UserName=name)
        expect_error(c.tag_user, UserName=name, Tags=tags, code="InvalidInput", status=400, message=msg)
        assert c.list_user_tags(UserName=name)["Tags"] == []
    else:
        expect_error(c.create_role, RoleName=name, AssumeRolePolicyDocument=TRUST, Tags=tags, code="InvalidInput", status=400, message=msg)
        c.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
        expect_error(c.tag_role, RoleName=name, Tags=tags, code="InvalidInput", status=400, message=msg)
        assert c.list_role_tags(RoleName=name)["Tags"] == []


def test_policy_version_documents_where_aws_returns_them(iam):
    c = iam()
    arn = c.create_policy(PolicyName=unique("p"), PolicyDocument=DOC)["Policy"]["Arn"]
    created = c.create_policy_version(PolicyArn=arn, PolicyDocument=DOC, SetAsDefault=True)["PolicyVersion"]
    assert "Document" not in created  # AWS: not returned by CreatePolicyVersion
    assert created["VersionId"] == "v2" and created["IsDefaultVersion"] is True
    got = c.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert got["Document"] == json.loads(DOC)
    listed = c.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in listed] == ["v2", "v1"]
    assert all("Document" not in v for v in listed)  # AWS: not returned by ListPolicyVersions
    details = c.get_account_authorization_details(Filter=["LocalManagedPolicy"])["Policies"]
    mine = next(p for p in details if p["Arn"] == arn)
    assert all(v["Document"] == json.loads(DOC) for v in mine["PolicyVersionList"])


def empty_region_client(server, service):
    creds = server.root
    return boto3.session.Session().client(
        service,
        endpoint_url=server.endpoint,
        region_name="",
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        config=Config(retries={"max_attempts": 0}),
    )


def test_empty_region_credential_scope_is_verified(server):
    iam = empty_region_client(server, "iam")
    name = unique("er")
    iam.create_user(UserName=name)
    assert iam.get_user(UserName=name)["User"]["UserName"] == name
    # The scope really is empty, and a wrong secret still fails with that scope.
    headers = {}

    def grab(request, **_):
        headers.update(request.headers)

    iam.meta.events.register("before-send.iam.GetUser", grab)
    iam.get_user(UserName=name)
    auth = headers["Authorization"].decode() if isinstance(headers["Authorization"], bytes) else headers["Authorization"]
    assert "//iam/aws4_request" in auth, auth
    bad = boto3.session.Session().client(
        "iam",
        endpoint_url=server.endpoint,
        region_name="",
        aws_access_key_id=server.root.access_key_id,
        aws_secret_access_key="x" * 40,
        config=Config(retries={"max_attempts": 0}),
    )
    expect_error(bad.get_user, UserName=name, code="SignatureDoesNotMatch", status=403)
