"""Inline policies (Put/Get/Delete/List{User,Role,Group}Policy), their aggregate size limits,
and user permissions boundaries (Put/DeleteUserPermissionsBoundary)."""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest

import hg
from hg import ACCOUNT_ID, expect_error, unique

TRUST = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
)


def doc(*actions, resource="*", **extra) -> dict:
    stmt = {"Effect": "Allow", "Action": list(actions), "Resource": resource, **extra}
    return {"Version": "2012-10-17", "Statement": [stmt]}


def sized(size: int) -> str:
    """A valid identity policy of exactly `size` non-whitespace characters."""
    head = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::'
    tail = '"}]}'
    return head + "a" * (size - len(head) - len(tail)) + tail


class Kind:
    """Calls for one entity kind, so every test runs for users, roles and groups."""

    def __init__(self, c, kind: str):
        self.c, self.kind = c, kind
        self.param = {"user": "UserName", "role": "RoleName", "group": "GroupName"}[kind]
        self.cap = kind.capitalize()
        self.name = unique(kind)
        if kind == "user":
            c.create_user(UserName=self.name)
        elif kind == "role":
            c.create_role(RoleName=self.name, AssumeRolePolicyDocument=TRUST)
        else:
            c.create_group(GroupName=self.name)

    def call(self, op: str, **kw):
        fn = getattr(self.c, op.format(kind=self.kind))
        return fn(**{self.param: self.name}, **kw)


KINDS = ["user", "role", "group"]
LIMITS = {"user": 2048, "role": 10240, "group": 5120}


@pytest.mark.parametrize("kind", KINDS)
def test_put_get_list_delete(iam, kind):
    k = Kind(iam(), kind)
    assert k.call("list_{kind}_policies")["PolicyNames"] == []
    k.call("put_{kind}_policy", PolicyName="b-read", PolicyDocument=json.dumps(doc("s3:GetObject")))
    k.call("put_{kind}_policy", PolicyName="a-list", PolicyDocument=json.dumps(doc("s3:ListBucket")))
    got = k.call("get_{kind}_policy", PolicyName="b-read")
    assert got[k.param] == k.name
    assert got["PolicyName"] == "b-read"
    assert got["PolicyDocument"] == doc("s3:GetObject")
    assert k.call("list_{kind}_policies")["PolicyNames"] == ["a-list", "b-read"]
    # Put replaces.
    k.call("put_{kind}_policy", PolicyName="b-read", PolicyDocument=json.dumps(doc("s3:PutObject")))
    assert k.call("get_{kind}_policy", PolicyName="b-read")["PolicyDocument"] == doc("s3:PutObject")
    # Names are case-sensitive.
    expect_error(
        k.call,
        "get_{kind}_policy",
        PolicyName="B-READ",
        code="NoSuchEntity",
        status=404,
        message=f"The {kind} policy with name B-READ cannot be found.",
    )
    k.call("delete_{kind}_policy", PolicyName="b-read")
    assert k.call("list_{kind}_policies")["PolicyNames"] == ["a-list"]
    expect_error(
        k.call,
        "delete_{kind}_policy",
        PolicyName="b-read",
        code="NoSuchEntity",
        status=404,
        message=f"The {kind} policy with name b-read cannot be found.",
    )


@pytest.mark.parametrize("kind", KINDS)
def test_missing_entity(iam, kind):
    c = iam()
    ghost = unique("ghost")
    param = {"user": "UserName", "role": "RoleName", "group": "GroupName"}[kind]
    expect_error(
        getattr(c, f"put_{kind}_policy"),
        **{param: ghost},
        PolicyName="p",
        PolicyDocument=json.dumps(doc("s3:*")),
        code="NoSuchEntity",
        status=404,
        message=f"The {kind} with name {ghost} cannot be found.",
    )


def test_document_round_trips_exactly(server, iam):
    k = Kind(iam(), "user")
    text = '{"Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}  '
    k.call("put_user_policy", PolicyName="exact", PolicyDocument=text)
    resp = server.query(
        server.root,
        {"Action": "GetUserPolicy", "Version": hg.IAM_VERSION, "UserName": k.name, "PolicyName": "exact"},
    )
    el = hg.path_find(hg.xml_root(resp), "GetUserPolicyResult", "PolicyDocument")
    assert el is not None and urllib.parse.unquote(el.text) == text
    out = server.cli(["iam", "get-user-policy", "--user-name", k.name, "--policy-name", "exact"]).ok()
    assert out["PolicyDocument"] == json.loads(text)


@pytest.mark.parametrize(
    "document,message",
    [
        (doc("s3:*", Principal={"AWS": "*"}), "Policy document should not specify a principal."),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}, "Policy statement must contain resources."),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3", "Resource": "*"}]}, None),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "bucket"}]}, 'Resource bucket must be in ARN format or "*".'),
        ("[]", None),
    ],
)
def test_invalid_documents_are_malformed(iam, document, message):
    k = Kind(iam(), "role")
    text = document if isinstance(document, str) else json.dumps(document)
    expect_error(
        k.call, "put_{kind}_policy", PolicyName="bad", PolicyDocument=text, code="MalformedPolicyDocument", status=400, message=message
    )


def test_inline_policies_accept_any_version(iam):
    k = Kind(iam(), "group")
    legacy = {"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    k.call("put_{kind}_policy", PolicyName="legacy", PolicyDocument=json.dumps(legacy))
    none = {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    k.call("put_{kind}_policy", PolicyName="none", PolicyDocument=json.dumps(none))


@pytest.mark.parametrize("kind", KINDS)
def test_aggregate_size_limit(iam, kind):
    k = Kind(iam(), kind)
    limit = LIMITS[kind]
    half = limit // 2
    k.call("put_{kind}_policy", PolicyName="one", PolicyDocument=sized(half))
    k.call("put_{kind}_policy", PolicyName="two", PolicyDocument=sized(limit - half))  # exactly at the limit
    # Replacing a policy does not count its old version.
    k.call("put_{kind}_policy", PolicyName="two", PolicyDocument=sized(limit - half) + "   \n")
    expect_error(
        k.call,
        "put_{kind}_policy",
        PolicyName="three",
        PolicyDocument=sized(120),
        code="LimitExceeded",
        status=409,
        message=f"Maximum policy size of {limit} bytes exceeded for {kind} {k.name}",
    )
    expect_error(
        k.call,
        "put_{kind}_policy",
        PolicyName="two",
        PolicyDocument=sized(limit - half + 1),
        code="LimitExceeded",
        status=409,
    )
    k.call("delete_{kind}_policy", PolicyName="one")
    k.call("put_{kind}_policy", PolicyName="three", PolicyDocument=sized(120))


def test_list_user_policies_pagination(iam):
    k = Kind(iam(), "role")
    names = [f"p{i}" for i in range(5)]
    for n in names:
        k.call("put_{kind}_policy", PolicyName=n, PolicyDocument=json.dumps(doc("s3:GetObject")))
    page = k.call("list_{kind}_policies", MaxItems=2)
    seen = list(page["PolicyNames"])
    while page["IsTruncated"]:
        page = k.call("list_{kind}_policies", MaxItems=2, Marker=page["Marker"])
        seen += page["PolicyNames"]
    assert seen == names


def test_inline_policy_grants_and_delete_revokes(server, iam):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    u = server.iam(creds)
    expect_error(u.list_users, code="AccessDenied", status=403)
    c.put_user_policy(UserName=name, PolicyName="lu", PolicyDocument=json.dumps(doc("iam:ListUsers")))
    u.list_users()
    c.put_user_policy(UserName=name, PolicyName="deny", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"}]}))
    expect_error(u.list_users, code="AccessDenied", status=403, match="explicit deny")
    c.delete_user_policy(UserName=name, PolicyName="deny")
    u.list_users()
    c.delete_user_policy(UserName=name, PolicyName="lu")
    expect_error(u.list_users, code="AccessDenied", status=403)


def test_self_service_policy_with_username_variable(server, iam):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    other = hg.create_user(c)["UserName"]
    c.put_user_policy(
        UserName=name,
        PolicyName="self",
        PolicyDocument=json.dumps(
            doc("iam:PutUserPolicy", "iam:GetUserPolicy", "iam:ListUserPolicies", resource=f"arn:aws:iam::{ACCOUNT_ID}:user/${{aws:username}}")
        ),
    )
    u = server.iam(creds)
    assert "self" in u.list_user_policies(UserName=name)["PolicyNames"]
    u.put_user_policy(UserName=name, PolicyName="more", PolicyDocument=json.dumps(doc("s3:GetObject")))
    expect_error(
        u.put_user_policy,
        UserName=other,
        PolicyName="more",
        PolicyDocument=json.dumps(doc("s3:GetObject")),
        code="AccessDenied",
        status=403,
        match=re.escape(f"iam:PutUserPolicy on resource: arn:aws:iam::{ACCOUNT_ID}:user/{other}"),
    )


# --- User permissions boundaries ----------------------------------------------------------------


def test_user_permissions_boundary(iam):
    c = iam()
    user = hg.create_user(c)["UserName"]
    arn = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    before = c.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"]
    c.put_user_permissions_boundary(UserName=user, PermissionsBoundary=arn)
    assert c.get_user(UserName=user)["User"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": arn,
    }
    assert c.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == before + 1
    entities = c.list_entities_for_policy(PolicyArn=arn, PolicyUsageFilter="PermissionsBoundary")
    assert user in [u["UserName"] for u in entities["PolicyUsers"]]
    c.delete_user_permissions_boundary(UserName=user)
    assert "PermissionsBoundary" not in c.get_user(UserName=user)["User"]
    bad = "arn:aws:iam::123456789012:user/not-a-policy"
    expect_error(
        c.put_user_permissions_boundary, UserName=user, PermissionsBoundary=bad, code="InvalidInput", status=400, message=f"ARN {bad} is not valid."
    )
    ghost = unique("ghost")
    expect_error(c.put_user_permissions_boundary, UserName=ghost, PermissionsBoundary=arn, code="NoSuchEntity", status=404)


def test_boundary_condition_key_on_put_user_permissions_boundary(server, iam):
    c = iam()
    required = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    name, creds, _ = hg.create_user_with_key(c)
    target = hg.create_user(c)["UserName"]
    c.put_user_policy(
        UserName=name,
        PolicyName="delegate",
        PolicyDocument=json.dumps(
            doc("iam:PutUserPermissionsBoundary", Condition={"StringEquals": {"iam:PermissionsBoundary": required}})
        ),
    )
    u = server.iam(creds)
    u.put_user_permissions_boundary(UserName=target, PermissionsBoundary=required)
    expect_error(
        u.put_user_permissions_boundary,
        UserName=target,
        PermissionsBoundary="arn:aws:iam::aws:policy/AdministratorAccess",
        code="AccessDenied",
        status=403,
    )
    expect_error(u.delete_user_permissions_boundary, UserName=target, code="AccessDenied", status=403)
