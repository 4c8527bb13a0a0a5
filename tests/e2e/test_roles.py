"""IAM roles: CreateRole, GetRole, ListRoles, UpdateRole, UpdateRoleDescription,
UpdateAssumeRolePolicy, DeleteRole, role tags and role permissions boundaries."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse

import pytest

import hg
from hg import ACCOUNT_ID, expect_error, unique

ROLE_ID_RE = re.compile(r"^AROA[A-Z2-7]{17}$")


def trust(principal=None, **extra) -> dict:
    principal = principal or {"Service": "ec2.amazonaws.com"}
    stmt = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}
    return {"Version": "2012-10-17", "Statement": [stmt]}


def allow(*actions, resource="*", **extra) -> str:
    stmt = {"Effect": "Allow", "Action": list(actions), "Resource": resource, **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt]})


def create_role(c, name=None, **kw) -> dict:
    name = name or unique("role")
    kw.setdefault("AssumeRolePolicyDocument", json.dumps(trust()))
    return c.create_role(RoleName=name, **kw)["Role"]


def user_with_policy(c, document: str | None = None):
    """A fresh user with keys and, optionally, one inline policy."""
    name, creds, _ = hg.create_user_with_key(c)
    if document:
        c.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=document)
    return name, creds


# --- CreateRole / GetRole ---------------------------------------------------------------------


def test_create_role_returns_aws_shape(iam):
    c = iam()
    name = unique("app")
    before = hg.utcnow() - dt.timedelta(seconds=5)
    role = create_role(c, name, Description="the app", Path="/svc/")
    assert role["RoleName"] == name
    assert role["Path"] == "/svc/"
    assert ROLE_ID_RE.match(role["RoleId"]), role["RoleId"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/svc/{name}"
    assert role["AssumeRolePolicyDocument"] == trust()  # URL-encoded on the wire, a dict here
    assert "MaxSessionDuration" not in role  # AWS's CreateRole answer omits it
    assert c.get_role(RoleName=name)["Role"]["MaxSessionDuration"] == 3600
    assert role["Description"] == "the app"
    assert before <= role["CreateDate"] <= hg.utcnow() + dt.timedelta(seconds=5)
    assert "RoleLastUsed" not in role


def test_get_role_has_full_shape(iam):
    c = iam()
    boundary = c.create_policy(PolicyName=unique("bnd"), PolicyDocument=allow("s3:*"))["Policy"]
    name = unique("full")
    created = create_role(
        c,
        name,
        MaxSessionDuration=7200,
        PermissionsBoundary=boundary["Arn"],
        Tags=[{"Key": "team", "Value": "a"}],
    )
    assert created["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary["Arn"]
    got = c.get_role(RoleName=name.upper())["Role"]  # lookups are case-insensitive
    assert got["RoleName"] == name
    assert got["RoleId"] == created["RoleId"]
    assert got["MaxSessionDuration"] == 7200
    assert got["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": boundary["Arn"],
    }
    assert got["Tags"] == [{"Key": "team", "Value": "a"}]
    assert got["RoleLastUsed"] == {}
    assert c.get_policy(PolicyArn=boundary["Arn"])["Policy"]["PermissionsBoundaryUsageCount"] == 1


def test_trust_policy_is_returned_exactly_as_submitted(server, iam):
    c = iam()
    name = unique("exact")
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [ {"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"} ]\n}'
    create_role(c, name, AssumeRolePolicyDocument=text)
    resp = server.query(
        server.root, {"Action": "GetRole", "Version": hg.IAM_VERSION, "RoleName": name}
    )
    assert resp.status_code == 200, resp.text
    el = hg.path_find(hg.xml_root(resp), "GetRoleResult", "Role", "AssumeRolePolicyDocument")
    assert el is not None and "%22" in el.text  # percent-encoded JSON
    assert urllib.parse.unquote(el.text) == text


def test_duplicate_role_is_entity_already_exists(iam):
    c = iam()
    name = unique("Dup")
    create_role(c, name)
    for n in (name, name.lower()):
        expect_error(
            create_role,
            c,
            n,
            code="EntityAlreadyExists",
            status=409,
            message=f"Role with name {n} already exists.",
        )


def test_get_missing_role_is_no_such_entity(iam):
    name = unique("ghost")
    expect_error(
        iam().get_role,
        RoleName=name,
        code="NoSuchEntity",
        status=404,
        message=f"The role with name {name} cannot be found.",
    )


@pytest.mark.parametrize(
    "value,constraint",
    [
        (3599, "Member must have value greater than or equal to 3600"),
        (43201, "Member must have value less than or equal to 43200"),
    ],
)
def test_max_session_duration_bounds(server, value, constraint):
    c = server.iam(validate=False)
    expect_error(
        create_role,
        c,
        unique("msd"),
        MaxSessionDuration=value,
        code="ValidationError",
        status=400,
        message=f"1 validation error detected: Value '{value}' at 'maxSessionDuration' failed to satisfy constraint: {constraint}",
    )


def test_max_session_duration_upper_bound_is_accepted(iam):
    c = iam()
    name = create_role(c, MaxSessionDuration=43200)["RoleName"]
    assert c.get_role(RoleName=name)["Role"]["MaxSessionDuration"] == 43200


def test_role_name_longer_than_64_is_validation_error(server):
    c = server.iam(validate=False)
    name = "r" * 65
    expect_error(
        create_role,
        c,
        name,
        code="ValidationError",
        status=400,
        message=f"1 validation error detected: Value '{name}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64",
    )


# --- Trust policy validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    "doc,message",
    [
        (trust(Resource="*"), "Has prohibited field Resource."),
        (
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]},
            None,
        ),
        ({"Version": "2012-10-17", "Statement": []}, "Syntax errors in policy."),
        ("not json", None),
    ],
)
def test_invalid_trust_policy_is_malformed(iam, doc, message):
    text = doc if isinstance(doc, str) else json.dumps(doc)
    expect_error(
        create_role,
        iam(),
        AssumeRolePolicyDocument=text,
        code="MalformedPolicyDocument",
        status=400,
        message=message,
    )


def test_trust_policy_allows_only_sts_actions(iam):
    doc = trust()
    doc["Statement"][0]["Action"] = "s3:GetObject"
    expect_error(
        create_role, iam(), AssumeRolePolicyDocument=json.dumps(doc), code="MalformedPolicyDocument", status=400
    )


def test_trust_policy_naming_a_missing_user_is_invalid_principal(iam):
    c = iam()
    ghost = f"arn:aws:iam::{ACCOUNT_ID}:user/{unique('nobody')}"
    expect_error(
        create_role,
        c,
        AssumeRolePolicyDocument=json.dumps(trust({"AWS": ghost})),
        code="MalformedPolicyDocument",
        status=400,
        message=f'Invalid principal in policy: "AWS":"{ghost}"',
    )
    # Existing users, roles and whole accounts are fine.
    user = hg.create_user(c)
    other = create_role(c)
    for p in (user["Arn"], other["Arn"], ACCOUNT_ID, f"arn:aws:iam::{ACCOUNT_ID}:root", "arn:aws:iam::210987654321:user/x"):
        create_role(c, AssumeRolePolicyDocument=json.dumps(trust({"AWS": p})))


def test_trust_policy_size_limit(iam):
    c = iam()
    # Whitespace is not counted: a document padded with spaces stays within the quota.
    padded = json.dumps(trust()) + " " * 5000
    create_role(c, AssumeRolePolicyDocument=padded)
    services = [f"svc{i:04d}.amazonaws.com" for i in range(120)]
    big = json.dumps(trust({"Service": services}))
    assert len(big.replace(" ", "")) > 2048
    expect_error(
        create_role,
        c,
        AssumeRolePolicyDocument=big,
        code="LimitExceeded",
        status=409,
        message="Cannot exceed quota for ACLSizePerRole: 2048",
    )


# --- ListRoles ---------------------------------------------------------------------------------


def test_list_roles_path_prefix_pagination_and_reduced_shape(iam):
    c = iam()
    path = f"/{unique('lr')}/"
    names = sorted(unique("lr") for _ in range(5))
    for n in names:
        create_role(c, n, Path=path, Tags=[{"Key": "k", "Value": "v"}], Description="d")
    seen = []
    marker = None
    while True:
        kw = {"PathPrefix": path, "MaxItems": 2}
        if marker:
            kw["Marker"] = marker
        page = c.list_roles(**kw)
        assert len(page["Roles"]) <= 2
        seen.extend(page["Roles"])
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        marker = page["Marker"]
    assert [r["RoleName"] for r in seen] == names
    for r in seen:
        assert r["AssumeRolePolicyDocument"] == trust()
        assert r["Description"] == "d"
        for absent in ("Tags", "PermissionsBoundary", "RoleLastUsed"):
            assert absent not in r
    # The botocore paginator walks the same pages.
    pages = c.get_paginator("list_roles").paginate(PathPrefix=path, PaginationConfig={"PageSize": 3})
    assert [r["RoleName"] for p in pages for r in p["Roles"]] == names


def test_aws_cli_list_and_get_role(server, iam):
    name = create_role(iam())["RoleName"]
    got = server.cli(["iam", "get-role", "--role-name", name]).ok()
    assert got["Role"]["AssumeRolePolicyDocument"] == trust()
    listed = server.cli(["iam", "list-roles"]).ok()
    assert name in [r["RoleName"] for r in listed["Roles"]]


# --- Updates -----------------------------------------------------------------------------------


def test_update_role_and_description(iam):
    c = iam()
    name = create_role(c)["RoleName"]
    c.update_role(RoleName=name, Description="new", MaxSessionDuration=10800)
    got = c.get_role(RoleName=name)["Role"]
    assert (got["Description"], got["MaxSessionDuration"]) == ("new", 10800)
    role = c.update_role_description(RoleName=name, Description="newer")["Role"]
    assert role["Description"] == "newer"
    assert role["MaxSessionDuration"] == 10800
    expect_error(c.update_role, RoleName=unique("ghost"), Description="x", code="NoSuchEntity", status=404)


def test_update_role_max_session_out_of_range(server, iam):
    name = create_role(iam())["RoleName"]
    expect_error(
        server.iam(validate=False).update_role,
        RoleName=name,
        MaxSessionDuration=100,
        code="ValidationError",
        status=400,
    )


def test_update_assume_role_policy(iam):
    c = iam()
    name = create_role(c)["RoleName"]
    new = trust({"Service": "lambda.amazonaws.com"})
    c.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(new))
    assert c.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == new
    expect_error(
        c.update_assume_role_policy,
        RoleName=name,
        PolicyDocument=json.dumps(trust(Resource="*")),
        code="MalformedPolicyDocument",
        status=400,
        message="Has prohibited field Resource.",
    )
    assert c.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == new


# --- DeleteRole --------------------------------------------------------------------------------


def test_delete_role_conflicts_with_inline_and_attached_policies(iam):
    c = iam()
    name = create_role(c)["RoleName"]
    c.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=allow("s3:GetObject"))
    expect_error(
        c.delete_role,
        RoleName=name,
        code="DeleteConflict",
        status=409,
        message="Cannot delete entity, must delete policies first.",
    )
    c.delete_role_policy(RoleName=name, PolicyName="inline")
    c.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    expect_error(
        c.delete_role,
        RoleName=name,
        code="DeleteConflict",
        status=409,
        message="Cannot delete entity, must detach all policies first.",
    )
    c.detach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    c.delete_role(RoleName=name)
    expect_error(c.get_role, RoleName=name, code="NoSuchEntity", status=404)
    expect_error(
        c.delete_role,
        RoleName=name,
        code="NoSuchEntity",
        status=404,
        message=f"The role with name {name} cannot be found.",
    )


# --- Tags --------------------------------------------------------------------------------------


def test_role_tags(iam):
    c = iam()
    name = create_role(c)["RoleName"]
    assert c.list_role_tags(RoleName=name)["Tags"] == []
    c.tag_role(RoleName=name, Tags=[{"Key": "Team", "Value": "a"}, {"Key": "env", "Value": "dev"}])
    c.tag_role(RoleName=name, Tags=[{"Key": "team", "Value": "b"}])  # case-insensitive keys
    tags = {t["Key"]: t["Value"] for t in c.list_role_tags(RoleName=name)["Tags"]}
    assert tags == {"team": "b", "env": "dev"}
    c.untag_role(RoleName=name, TagKeys=["env", "absent"])
    assert c.list_role_tags(RoleName=name)["Tags"] == [{"Key": "team", "Value": "b"}]
    assert c.get_role(RoleName=name)["Role"]["Tags"] == [{"Key": "team", "Value": "b"}]
    c.tag_role(RoleName=name, Tags=[{"Key": f"k{i:02d}", "Value": "v"} for i in range(49)])
    page = c.list_role_tags(RoleName=name, MaxItems=20)
    assert page["IsTruncated"] and len(page["Tags"]) == 20
    rest = c.list_role_tags(RoleName=name, Marker=page["Marker"], MaxItems=100)
    assert len(page["Tags"]) + len(rest["Tags"]) == 50
    expect_error(
        c.tag_role,
        RoleName=name,
        Tags=[{"Key": "one-too-many", "Value": "v"}],
        code="LimitExceeded",
        status=409,
        message="Cannot exceed quota for TagsPerRole: 50",
    )
    expect_error(
        c.tag_role,
        RoleName=unique("ghost"),
        Tags=[{"Key": "a", "Value": "b"}],
        code="NoSuchEntity",
        status=404,
    )


# --- Permissions boundaries --------------------------------------------------------------------


def test_put_and_delete_role_permissions_boundary(iam):
    c = iam()
    name = create_role(c)["RoleName"]
    arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    c.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=arn)
    assert c.get_role(RoleName=name)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == arn
    c.delete_role_permissions_boundary(RoleName=name)
    assert "PermissionsBoundary" not in c.get_role(RoleName=name)["Role"]
    missing = f"arn:aws:iam::{ACCOUNT_ID}:policy/{unique('nope')}"
    expect_error(
        c.put_role_permissions_boundary,
        RoleName=name,
        PermissionsBoundary=missing,
        code="NoSuchEntity",
        status=404,
        message=f"Policy {missing} does not exist or is not attachable.",
    )
    expect_error(
        create_role,
        c,
        PermissionsBoundary=missing,
        code="NoSuchEntity",
        status=404,
    )


# --- Authorization -----------------------------------------------------------------------------


def test_create_role_needs_permission_on_the_role_arn(server, iam):
    c = iam()
    _, creds = user_with_policy(
        c, allow("iam:CreateRole", "iam:GetRole", resource=f"arn:aws:iam::{ACCOUNT_ID}:role/app-*")
    )
    u = server.iam(creds)
    ok = unique("app")
    u.create_role(RoleName=ok, AssumeRolePolicyDocument=json.dumps(trust()))
    assert u.get_role(RoleName=ok)["Role"]["RoleName"] == ok
    other = unique("db")
    expect_error(
        u.create_role,
        RoleName=other,
        AssumeRolePolicyDocument=json.dumps(trust()),
        code="AccessDenied",
        status=403,
        match=rf"not authorized to perform: iam:CreateRole on resource: arn:aws:iam::{ACCOUNT_ID}:role/{other}",
    )
    # Creating with tags additionally needs iam:TagRole.
    expect_error(
        u.create_role,
        RoleName=unique("app"),
        AssumeRolePolicyDocument=json.dumps(trust()),
        Tags=[{"Key": "a", "Value": "b"}],
        code="AccessDenied",
        status=403,
        match="iam:TagRole",
    )
    # A caller without permission learns nothing about whether a role exists.
    expect_error(u.delete_role, RoleName=ok, code="AccessDenied", status=403)
    expect_error(u.list_roles, code="AccessDenied", status=403)


def test_boundary_condition_key_on_create_role(server, iam):
    c = iam()
    boundary = c.create_policy(PolicyName=unique("bnd"), PolicyDocument=allow("s3:*"))["Policy"]["Arn"]
    doc = allow(
        "iam:CreateRole",
        Condition={"StringEquals": {"iam:PermissionsBoundary": boundary}},
    )
    _, creds = user_with_policy(c, doc)
    u = server.iam(creds)
    expect_error(
        u.create_role,
        RoleName=unique("free"),
        AssumeRolePolicyDocument=json.dumps(trust()),
        code="AccessDenied",
        status=403,
    )
    role = u.create_role(
        RoleName=unique("bounded"),
        AssumeRolePolicyDocument=json.dumps(trust()),
        PermissionsBoundary=boundary,
    )["Role"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary


def test_list_roles_allowed_by_attached_managed_policy(server, iam):
    c = iam()
    name, creds = user_with_policy(c)
    u = server.iam(creds)
    expect_error(u.list_roles, code="AccessDenied", status=403)
    c.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert "Roles" in u.list_roles()
    expect_error(u.create_role, RoleName=unique("x"), AssumeRolePolicyDocument=json.dumps(trust()), code="AccessDenied", status=403)
    c.detach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    expect_error(u.list_roles, code="AccessDenied", status=403)
