"""Managed policies: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, versions, policy
tags, ListEntitiesForPolicy, attachments, the built-in AWS-managed policies, and policies
taking effect in authorization."""

from __future__ import annotations

import json
import re
import threading
import urllib.parse

import pytest

import hg
from hg import ACCOUNT_ID, expect_error, unique

POLICY_ID_RE = re.compile(r"^ANPA[A-Z2-7]{17}$")
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
IAM_READ = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def doc(*actions, resource="*", **extra) -> dict:
    stmt = {"Effect": "Allow", "Action": list(actions) if len(actions) != 1 else actions[0], "Resource": resource, **extra}
    return {"Version": "2012-10-17", "Statement": [stmt]}


def create_policy(c, name=None, document=None, **kw) -> dict:
    name = name or unique("pol")
    document = document if document is not None else doc("s3:GetObject")
    text = document if isinstance(document, str) else json.dumps(document)
    return c.create_policy(PolicyName=name, PolicyDocument=text, **kw)["Policy"]


def policy_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT_ID}:policy{path}{name}"


def sized_document(size: int) -> str:
    """A valid managed policy of exactly `size` non-whitespace characters."""
    head = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::'
    tail = '"}]}'
    text = head + "a" * (size - len(head) - len(tail)) + tail
    assert len(text) == size
    return text


# --- CreatePolicy / GetPolicy -------------------------------------------------------------------


def test_create_policy_returns_aws_shape(iam):
    c = iam()
    name = unique("p")
    p = create_policy(c, name, Path="/team/", Description="reads", Tags=[{"Key": "k", "Value": "v"}])
    assert p["PolicyName"] == name
    assert POLICY_ID_RE.match(p["PolicyId"]), p["PolicyId"]
    assert p["Arn"] == policy_arn(name, "/team/")
    assert p["Path"] == "/team/"
    assert p["DefaultVersionId"] == "v1"
    assert p["AttachmentCount"] == 0
    assert p["PermissionsBoundaryUsageCount"] == 0
    assert p["IsAttachable"] is True
    assert p["CreateDate"] == p["UpdateDate"]
    assert "Description" not in p  # CreatePolicy omits it, as AWS does
    assert p["Tags"] == [{"Key": "k", "Value": "v"}]
    got = c.get_policy(PolicyArn=p["Arn"])["Policy"]
    assert got["Description"] == "reads"
    assert got["PolicyId"] == p["PolicyId"]
    v1 = c.get_policy_version(PolicyArn=p["Arn"], VersionId="v1")["PolicyVersion"]
    assert v1["Document"] == doc("s3:GetObject")
    assert v1["IsDefaultVersion"] is True


def test_policy_document_round_trips_exactly(server, iam):
    text = '{ "Version" : "2012-10-17",\n\t"Statement" : { "Effect":"Allow", "Action":"s3:*", "Resource":"*" } }'
    p = create_policy(iam(), document=text)
    resp = server.query(
        server.root,
        {"Action": "GetPolicyVersion", "Version": hg.IAM_VERSION, "PolicyArn": p["Arn"], "VersionId": "v1"},
    )
    el = hg.path_find(hg.xml_root(resp), "GetPolicyVersionResult", "PolicyVersion", "Document")
    assert el is not None
    assert urllib.parse.unquote(el.text) == text


def test_duplicate_policy_name_is_entity_already_exists(iam):
    c = iam()
    name = unique("dup")
    create_policy(c, name)
    expect_error(
        create_policy,
        c,
        name,
        Path="/other/",  # names are unique across paths
        code="EntityAlreadyExists",
        status=409,
        message=f"A policy called {name} already exists. Duplicate names are not allowed.",
    )


@pytest.mark.parametrize(
    "document,message",
    [
        ({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}, "Policy document must be version 2012-10-17 or greater."),
        ({"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}, "Policy document must be version 2012-10-17 or greater."),
        (doc("s3:*", Principal="*"), "Policy document should not specify a principal."),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}, "Policy statement must contain actions."),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}, "Policy statement must contain resources."),
        ("{not json", None),
    ],
)
def test_invalid_managed_policy_documents(iam, document, message):
    expect_error(create_policy, iam(), document=document, code="MalformedPolicyDocument", status=400, message=message)


def test_managed_policy_size_limit(iam):
    c = iam()
    create_policy(c, document=sized_document(6144))
    create_policy(c, document=sized_document(6000) + " " * 2000)  # whitespace is free
    expect_error(
        create_policy,
        c,
        document=sized_document(6145),
        code="LimitExceeded",
        status=409,
        message="Cannot exceed quota for PolicySize: 6144",
    )


def test_get_policy_errors(iam):
    c = iam()
    arn = policy_arn(unique("ghost"))
    expect_error(
        c.get_policy,
        PolicyArn=arn,
        code="NoSuchEntity",
        status=404,
        message=f"Policy {arn} does not exist or is not attachable.",
    )
    bad = "arn:aws:s3:::some-bucket-name"
    expect_error(c.get_policy, PolicyArn=bad, code="InvalidInput", status=400, message=f"ARN {bad} is not valid.")


# --- ListPolicies ----------------------------------------------------------------------------------


def test_list_policies_scope_path_and_only_attached(iam):
    c = iam()
    path = f"/{unique('lp')}/"
    names = sorted(unique("lp") for _ in range(4))
    created = [create_policy(c, n, Path=path, Description="d") for n in names]
    local = c.list_policies(Scope="Local", PathPrefix=path)["Policies"]
    assert [p["PolicyName"] for p in local] == names
    for p in local:
        assert "Description" not in p and "Tags" not in p
    assert c.list_policies(Scope="AWS", PathPrefix=path)["Policies"] == []
    aws = [p["PolicyName"] for p in c.get_paginator("list_policies").paginate(Scope="AWS").build_full_result()["Policies"]]
    assert {"AdministratorAccess", "ReadOnlyAccess", "AmazonS3ReadOnlyAccess"} <= set(aws)
    assert not any(n.startswith("lp-") for n in aws)
    everything = [p["PolicyName"] for p in c.get_paginator("list_policies").paginate().build_full_result()["Policies"]]
    assert set(names) <= set(everything) and "AdministratorAccess" in everything
    user = hg.create_user(c)["UserName"]
    c.attach_user_policy(UserName=user, PolicyArn=created[1]["Arn"])
    attached = c.list_policies(Scope="Local", PathPrefix=path, OnlyAttached=True)["Policies"]
    assert [p["PolicyName"] for p in attached] == [names[1]]
    assert attached[0]["AttachmentCount"] == 1
    c.put_user_permissions_boundary(UserName=user, PermissionsBoundary=created[2]["Arn"])
    boundaries = c.list_policies(Scope="Local", PathPrefix=path, PolicyUsageFilter="PermissionsBoundary")["Policies"]
    assert [p["PolicyName"] for p in boundaries] == [names[2]]


def test_list_policies_pagination(iam):
    c = iam()
    path = f"/{unique('pg')}/"
    names = sorted(create_policy(c, unique("pg"), Path=path)["PolicyName"] for _ in range(5))
    seen, marker = [], None
    while True:
        kw = {"Scope": "Local", "PathPrefix": path, "MaxItems": 2}
        if marker:
            kw["Marker"] = marker
        page = c.list_policies(**kw)
        seen += [p["PolicyName"] for p in page["Policies"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert seen == names


def test_list_policies_bad_scope(server):
    expect_error(
        server.iam(validate=False).list_policies,
        Scope="Mine",
        code="ValidationError",
        status=400,
        message="1 validation error detected: Value 'Mine' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]",
    )


# --- Versions ---------------------------------------------------------------------------------------


def test_policy_versions_lifecycle(iam):
    c = iam()
    arn = create_policy(c)["Arn"]
    v2 = c.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc("s3:PutObject")))["PolicyVersion"]
    assert (v2["VersionId"], v2["IsDefaultVersion"]) == ("v2", False)
    assert "Document" not in v2
    assert c.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    v3 = c.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc("s3:ListBucket")), SetAsDefault=True)["PolicyVersion"]
    assert (v3["VersionId"], v3["IsDefaultVersion"]) == ("v3", True)
    assert c.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    versions = c.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v3", "v2", "v1"]
    assert [v["IsDefaultVersion"] for v in versions] == [True, False, False]
    assert all("Document" not in v for v in versions)
    assert c.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["Document"] == doc("s3:PutObject")
    c.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    assert c.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    expect_error(
        c.delete_policy_version,
        PolicyArn=arn,
        VersionId="v2",
        code="DeleteConflict",
        status=409,
        message="Cannot delete the default version of a policy.",
    )
    c.delete_policy_version(PolicyArn=arn, VersionId="v3")
    expect_error(c.get_policy_version, PolicyArn=arn, VersionId="v3", code="NoSuchEntity", status=404)
    # Version ids are never reused.
    assert c.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc("s3:*")))["PolicyVersion"]["VersionId"] == "v4"
    page = c.list_policy_versions(PolicyArn=arn, MaxItems=2)
    assert page["IsTruncated"] and len(page["Versions"]) == 2
    rest = c.list_policy_versions(PolicyArn=arn, Marker=page["Marker"])
    assert len(rest["Versions"]) == 1 and not rest["IsTruncated"]


def test_at_most_five_versions(iam):
    c = iam()
    arn = create_policy(c)["Arn"]
    for _ in range(4):
        c.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc("s3:*")))
    expect_error(
        c.create_policy_version,
        PolicyArn=arn,
        PolicyDocument=json.dumps(doc("s3:*")),
        code="LimitExceeded",
        status=409,
        message="A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
    )


def test_concurrent_version_creation_never_exceeds_five(server, iam):
    arn = create_policy(iam())["Arn"]
    results: list[str] = []
    lock = threading.Lock()

    def worker():
        c = server.iam()
        try:
            c.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc("s3:*")))
            out = "ok"
        except c.exceptions.LimitExceededException:
            out = "limit"
        with lock:
            results.append(out)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["limit"] * 6 + ["ok"] * 4
    versions = iam().list_policy_versions(PolicyArn=arn)["Versions"]
    assert len(versions) == 5
    assert len({v["VersionId"] for v in versions}) == 5


def test_version_documents_are_validated(iam):
    c = iam()
    arn = create_policy(c)["Arn"]
    expect_error(
        c.create_policy_version,
        PolicyArn=arn,
        PolicyDocument=json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
        code="MalformedPolicyDocument",
        status=400,
        message="Policy document must be version 2012-10-17 or greater.",
    )
    expect_error(
        c.create_policy_version,
        PolicyArn=arn,
        PolicyDocument=sized_document(6145),
        code="LimitExceeded",
        status=409,
        message="Cannot exceed quota for PolicySize: 6144",
    )
    expect_error(
        c.create_policy_version,
        PolicyArn=policy_arn(unique("ghost")),
        PolicyDocument=json.dumps(doc("s3:*")),
        code="NoSuchEntity",
        status=404,
    )


# --- DeletePolicy ------------------------------------------------------------------------------------


def test_delete_policy_conflicts(iam):
    c = iam()
    arn = create_policy(c)["Arn"]
    c.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc("s3:*")))
    expect_error(
        c.delete_policy,
        PolicyArn=arn,
        code="DeleteConflict",
        status=409,
        message="This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
    )
    c.delete_policy_version(PolicyArn=arn, VersionId="v2")
    role = hg.create_user(c)["UserName"]
    c.attach_user_policy(UserName=role, PolicyArn=arn)
    expect_error(
        c.delete_policy, PolicyArn=arn, code="DeleteConflict", status=409, message="Cannot delete a policy attached to entities."
    )
    c.detach_user_policy(UserName=role, PolicyArn=arn)
    c.put_user_permissions_boundary(UserName=role, PermissionsBoundary=arn)
    expect_error(
        c.delete_policy, PolicyArn=arn, code="DeleteConflict", status=409, message="Cannot delete a policy attached to entities."
    )
    c.delete_user_permissions_boundary(UserName=role)
    c.delete_policy(PolicyArn=arn)
    expect_error(c.get_policy, PolicyArn=arn, code="NoSuchEntity", status=404)


# --- Tags and ListEntitiesForPolicy ------------------------------------------------------------------


def test_policy_tags(iam):
    c = iam()
    arn = create_policy(c)["Arn"]
    c.tag_policy(PolicyArn=arn, Tags=[{"Key": "Team", "Value": "a"}, {"Key": "team", "Value": "b"}])
    tags = {t["Key"]: t["Value"] for t in c.list_policy_tags(PolicyArn=arn)["Tags"]}
    assert tags == {"Team": "a", "team": "b"}  # policy tag keys are case-sensitive
    c.untag_policy(PolicyArn=arn, TagKeys=["Team"])
    assert c.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "team", "Value": "b"}]
    assert c.get_policy(PolicyArn=arn)["Policy"]["Tags"] == [{"Key": "team", "Value": "b"}]


def test_list_entities_for_policy(iam):
    c = iam()
    arn = create_policy(c)["Arn"]
    user = hg.create_user(c)
    role_name = unique("r")
    role = c.create_role(
        RoleName=role_name,
        AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        ),
    )["Role"]
    group = c.create_group(GroupName=unique("g"))["Group"]
    c.attach_user_policy(UserName=user["UserName"], PolicyArn=arn)
    c.attach_role_policy(RoleName=role_name, PolicyArn=arn)
    c.attach_group_policy(GroupName=group["GroupName"], PolicyArn=arn)
    out = c.list_entities_for_policy(PolicyArn=arn)
    assert out["PolicyUsers"] == [{"UserName": user["UserName"], "UserId": user["UserId"]}]
    assert out["PolicyRoles"] == [{"RoleName": role_name, "RoleId": role["RoleId"]}]
    assert out["PolicyGroups"] == [{"GroupName": group["GroupName"], "GroupId": group["GroupId"]}]
    assert c.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3
    only_roles = c.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")
    assert only_roles["PolicyRoles"] and not only_roles["PolicyUsers"] and not only_roles["PolicyGroups"]
    assert c.list_entities_for_policy(PolicyArn=arn, PolicyUsageFilter="PermissionsBoundary")["PolicyUsers"] == []
    page = c.list_entities_for_policy(PolicyArn=arn, MaxItems=2)
    assert page["IsTruncated"]
    rest = c.list_entities_for_policy(PolicyArn=arn, Marker=page["Marker"])
    total = sum(len(p[k]) for p in (page, rest) for k in ("PolicyUsers", "PolicyRoles", "PolicyGroups"))
    assert total == 3


# --- Attachments --------------------------------------------------------------------------------------


def test_attach_detach_and_list_attached_user_policies(iam):
    c = iam()
    user = hg.create_user(c)["UserName"]
    arn = create_policy(c, Path="/x/")["Arn"]
    c.attach_user_policy(UserName=user, PolicyArn=arn)
    c.attach_user_policy(UserName=user, PolicyArn=arn)  # attaching twice is a no-op
    c.attach_user_policy(UserName=user, PolicyArn=ADMIN)
    attached = c.list_attached_user_policies(UserName=user)["AttachedPolicies"]
    assert sorted(a["PolicyArn"] for a in attached) == sorted([arn, ADMIN])
    assert c.list_attached_user_policies(UserName=user, PathPrefix="/x/")["AttachedPolicies"] == [
        {"PolicyName": arn.rsplit("/", 1)[1], "PolicyArn": arn}
    ]
    c.detach_user_policy(UserName=user, PolicyArn=arn)
    expect_error(
        c.detach_user_policy,
        UserName=user,
        PolicyArn=arn,
        code="NoSuchEntity",
        status=404,
        message=f"Policy {arn} was not found.",
    )
    missing = policy_arn(unique("ghost"))
    expect_error(
        c.attach_user_policy,
        UserName=user,
        PolicyArn=missing,
        code="NoSuchEntity",
        status=404,
        message=f"Policy {missing} does not exist or is not attachable.",
    )
    ghost = unique("ghost")
    expect_error(
        c.attach_user_policy,
        UserName=ghost,
        PolicyArn=ADMIN,
        code="NoSuchEntity",
        status=404,
        message=f"The user with name {ghost} cannot be found.",
    )


@pytest.mark.parametrize("kind", ["user", "role", "group"])
def test_at_most_ten_attached_policies(iam, kind):
    c = iam()
    name = unique(kind)
    if kind == "user":
        c.create_user(UserName=name)
        attach, quota = (lambda arn: c.attach_user_policy(UserName=name, PolicyArn=arn)), "PoliciesPerUser"
    elif kind == "role":
        c.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
            ),
        )
        attach, quota = (lambda arn: c.attach_role_policy(RoleName=name, PolicyArn=arn)), "PoliciesPerRole"
    else:
        c.create_group(GroupName=name)
        attach, quota = (lambda arn: c.attach_group_policy(GroupName=name, PolicyArn=arn)), "PoliciesPerGroup"
    for _ in range(10):
        attach(create_policy(c)["Arn"])
    expect_error(
        attach, create_policy(c)["Arn"], code="LimitExceeded", status=409, message=f"Cannot exceed quota for {quota}: 10"
    )


def test_policy_arn_condition_on_attach(server, iam):
    c = iam()
    allowed = create_policy(c)["Arn"]
    other = create_policy(c)["Arn"]
    name, creds, _ = hg.create_user_with_key(c)
    target = hg.create_user(c)["UserName"]
    c.put_user_policy(
        UserName=name,
        PolicyName="delegate",
        PolicyDocument=json.dumps(doc("iam:AttachUserPolicy", Condition={"ArnEquals": {"iam:PolicyARN": allowed}})),
    )
    u = server.iam(creds)
    u.attach_user_policy(UserName=target, PolicyArn=allowed)
    expect_error(u.attach_user_policy, UserName=target, PolicyArn=other, code="AccessDenied", status=403)
    expect_error(u.attach_user_policy, UserName=target, PolicyArn=ADMIN, code="AccessDenied", status=403)


# --- AWS-managed policies -----------------------------------------------------------------------------


def test_aws_managed_policy_shape_and_document(iam):
    c = iam()
    p = c.get_policy(PolicyArn=ADMIN)["Policy"]
    assert p["PolicyName"] == "AdministratorAccess"
    assert p["PolicyId"] == "ANPAIWMBCKSKIEE64ZLYK"
    assert p["Path"] == "/"
    assert p["IsAttachable"] is True
    assert p["Description"] == "Provides full access to AWS services and resources."
    v = c.get_policy_version(PolicyArn=ADMIN, VersionId=p["DefaultVersionId"])["PolicyVersion"]
    assert v["Document"] == {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    s3ro = c.get_policy(PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")["Policy"]
    d = c.get_policy_version(PolicyArn=s3ro["Arn"], VersionId=s3ro["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert d["Statement"][0]["Action"] == ["s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"]
    lam = c.get_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")["Policy"]
    assert lam["Path"] == "/service-role/"
    for name in ("PowerUserAccess", "ReadOnlyAccess", "IAMFullAccess", "IAMReadOnlyAccess", "IAMUserChangePassword", "AmazonS3FullAccess"):
        assert c.get_policy(PolicyArn=f"arn:aws:iam::aws:policy/{name}")["Policy"]["PolicyName"] == name


@pytest.mark.parametrize(
    "op,kw",
    [
        ("create_policy_version", {"PolicyDocument": json.dumps(doc("s3:*"))}),
        ("delete_policy", {}),
        ("tag_policy", {"Tags": [{"Key": "a", "Value": "b"}]}),
        ("untag_policy", {"TagKeys": ["a"]}),
        ("set_default_policy_version", {"VersionId": "v1"}),
        ("delete_policy_version", {"VersionId": "v1"}),
    ],
)
def test_aws_managed_policies_are_read_only(iam, op, kw):
    c = iam()
    before = c.get_policy(PolicyArn=IAM_READ)["Policy"]["DefaultVersionId"]
    expect_error(getattr(c, op), PolicyArn=IAM_READ, code="UnmodifiableEntity", status=400, **kw)
    assert c.get_policy(PolicyArn=IAM_READ)["Policy"]["DefaultVersionId"] == before


def test_aws_managed_policies_are_attachable_and_counted_per_account(iam):
    c = iam()
    before = c.get_policy(PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")["Policy"]["AttachmentCount"]
    group = c.create_group(GroupName=unique("g"))["Group"]["GroupName"]
    c.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")
    assert c.get_policy(PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")["Policy"]["AttachmentCount"] == before + 1
    assert c.list_attached_group_policies(GroupName=group)["AttachedPolicies"] == [
        {"PolicyName": "PowerUserAccess", "PolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}
    ]
    names = [p["PolicyName"] for p in c.list_policies(Scope="AWS", OnlyAttached=True, MaxItems=1000)["Policies"]]
    assert "PowerUserAccess" in names


# --- Policies in authorization ----------------------------------------------------------------------


def test_attached_customer_policy_grants_and_detach_revokes(server, iam):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    u = server.iam(creds)
    expect_error(
        u.list_users,
        code="AccessDenied",
        status=403,
        match=rf"User: arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized to perform: iam:ListUsers",
    )
    arn = create_policy(c, document=doc("iam:ListUsers"))["Arn"]
    c.attach_user_policy(UserName=name, PolicyArn=arn)
    assert "Users" in u.list_users()
    expect_error(u.list_groups, code="AccessDenied", status=403)
    c.detach_user_policy(UserName=name, PolicyArn=arn)
    expect_error(u.list_users, code="AccessDenied", status=403)


def test_set_default_version_switches_the_evaluated_document(server, iam):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    arn = create_policy(c, document=doc("iam:ListUsers"))["Arn"]
    c.attach_user_policy(UserName=name, PolicyArn=arn)
    u = server.iam(creds)
    u.list_users()
    c.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc("iam:ListGroups")), SetAsDefault=True)
    expect_error(u.list_users, code="AccessDenied", status=403)
    u.list_groups()
    c.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    u.list_users()


def test_group_policies_apply_to_members(server, iam):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    group = c.create_group(GroupName=unique("readers"))["Group"]["GroupName"]
    c.attach_group_policy(GroupName=group, PolicyArn=IAM_READ)
    u = server.iam(creds)
    expect_error(u.list_roles, code="AccessDenied", status=403)
    c.add_user_to_group(GroupName=group, UserName=name)
    u.list_roles()
    c.remove_user_from_group(GroupName=group, UserName=name)
    expect_error(u.list_roles, code="AccessDenied", status=403)


def test_permissions_boundary_caps_administrator_access(server, iam):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    c.attach_user_policy(UserName=name, PolicyArn=ADMIN)
    u = server.iam(creds)
    u.create_group(GroupName=unique("before"))
    c.put_user_permissions_boundary(UserName=name, PermissionsBoundary=IAM_READ)
    u.list_users()
    expect_error(u.create_group, GroupName=unique("after"), code="AccessDenied", status=403)
    c.delete_user_permissions_boundary(UserName=name)
    u.create_group(GroupName=unique("again"))


def test_policy_operations_are_authorized_against_the_policy_arn(server, iam):
    c = iam()
    mine = create_policy(c, unique("team-a"))
    theirs = create_policy(c, unique("team-b"))
    user = hg.create_user(c)["UserName"]
    ak = c.create_access_key(UserName=user)["AccessKey"]
    c.put_user_policy(
        UserName=user,
        PolicyName="p",
        PolicyDocument=json.dumps(doc("iam:GetPolicy", "iam:CreatePolicyVersion", resource=f"arn:aws:iam::{ACCOUNT_ID}:policy/team-a-*")),
    )
    u = server.iam(hg.Creds.from_access_key(ak))
    assert u.get_policy(PolicyArn=mine["Arn"])["Policy"]["PolicyName"] == mine["PolicyName"]
    u.create_policy_version(PolicyArn=mine["Arn"], PolicyDocument=json.dumps(doc("s3:*")))
    expect_error(
        u.get_policy,
        PolicyArn=theirs["Arn"],
        code="AccessDenied",
        status=403,
        match=re.escape(f"iam:GetPolicy on resource: {theirs['Arn']}"),
    )
    expect_error(u.create_policy, PolicyName=unique("team-a"), PolicyDocument=json.dumps(doc("s3:*")), code="AccessDenied", status=403)


# --- Fidelity details recorded from real AWS --------------------------------------------------


def test_unparseable_policy_arn_is_validation_error(iam):
    c = iam()
    user = hg.create_user(c)["UserName"]
    for fn in (c.attach_user_policy, c.detach_user_policy):
        expect_error(
            fn,
            UserName=user,
            PolicyArn="not-an-arn-at-all-really",
            code="ValidationError",
            status=400,
            message="Invalid ARN:  Could not be parsed!",
        )


def test_delete_missing_policy_message(iam):
    c = iam()
    arn = policy_arn(unique("ghost"))
    expect_error(c.delete_policy, PolicyArn=arn, code="NoSuchEntity", status=404, message=f"Policy {arn} was not found.")
