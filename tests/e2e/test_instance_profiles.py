"""Instance profiles: Create/Get/List/Delete, Add/RemoveRoleToInstanceProfile (one role per
profile), ListInstanceProfilesForRole, tags, DeleteRole's conflict, and the account views."""

from __future__ import annotations

import json
import re

import hg
from hg import ACCOUNT_ID, expect_error, unique

PROFILE_ID_RE = re.compile(r"^AIPA[A-Z2-7]{17}$")
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)


def new_role(c) -> str:
    name = unique("iprole")
    c.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    return name


def test_create_get_list_delete(iam):
    c = iam()
    name = unique("ip")
    before = hg.utcnow()
    created = c.create_instance_profile(InstanceProfileName=name, Path="/app/")["InstanceProfile"]
    assert created["InstanceProfileName"] == name
    assert created["Path"] == "/app/"
    assert PROFILE_ID_RE.match(created["InstanceProfileId"]), created
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/app/{name}"
    assert created["Roles"] == []
    assert created["CreateDate"] >= before.replace(microsecond=0) - __import__("datetime").timedelta(seconds=5)

    got = c.get_instance_profile(InstanceProfileName=name.upper())["InstanceProfile"]
    assert got["InstanceProfileId"] == created["InstanceProfileId"]
    assert got["InstanceProfileName"] == name  # case as created

    listed = c.list_instance_profiles(PathPrefix="/app/")["InstanceProfiles"]
    assert name in [p["InstanceProfileName"] for p in listed]
    assert name not in [p["InstanceProfileName"] for p in c.list_instance_profiles(PathPrefix="/other/")["InstanceProfiles"]]

    expect_error(
        c.create_instance_profile,
        InstanceProfileName=name.upper(),
        code="EntityAlreadyExists",
        status=409,
        message=f"Instance Profile {name.upper()} already exists.",
    )
    c.delete_instance_profile(InstanceProfileName=name)
    expect_error(
        c.get_instance_profile,
        InstanceProfileName=name,
        code="NoSuchEntity",
        status=404,
        message=f"Instance Profile {name} cannot be found.",
    )
    expect_error(c.delete_instance_profile, InstanceProfileName=name, code="NoSuchEntity", status=404)


def test_one_role_per_profile_and_delete_conflicts(iam):
    c = iam()
    name = unique("ip")
    role, other = new_role(c), new_role(c)
    c.create_instance_profile(InstanceProfileName=name)
    c.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    got = c.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == [role]
    assert got["Roles"][0]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/{role}"

    expect_error(
        c.add_role_to_instance_profile,
        InstanceProfileName=name,
        RoleName=other,
        code="LimitExceeded",
        status=409,
        message="Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
    )
    # Still only the first role.
    assert [r["RoleName"] for r in c.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Roles"]] == [role]

    for_role = c.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in for_role] == [name]
    assert c.list_instance_profiles_for_role(RoleName=other)["InstanceProfiles"] == []
    expect_error(c.list_instance_profiles_for_role, RoleName=unique("ghost"), code="NoSuchEntity", status=404)

    msg = "Cannot delete entity, must remove roles from instance profile first."
    expect_error(c.delete_role, RoleName=role, code="DeleteConflict", status=409, message=msg)
    expect_error(c.delete_instance_profile, InstanceProfileName=name, code="DeleteConflict", status=409, message=msg)
    assert c.get_role(RoleName=role)["Role"]["RoleName"] == role

    expect_error(
        c.remove_role_from_instance_profile,
        InstanceProfileName=name,
        RoleName=other,
        code="NoSuchEntity",
        status=404,
        message=f"The role with name {other} cannot be found.",
    )
    c.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=role)
    assert c.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Roles"] == []
    c.delete_role(RoleName=role)
    c.delete_instance_profile(InstanceProfileName=name)


def test_add_unknown_role_or_profile(iam):
    c = iam()
    name = unique("ip")
    c.create_instance_profile(InstanceProfileName=name)
    ghost = unique("ghost")
    expect_error(
        c.add_role_to_instance_profile,
        InstanceProfileName=name,
        RoleName=ghost,
        code="NoSuchEntity",
        status=404,
        message=f"The role with name {ghost} cannot be found.",
    )
    expect_error(
        c.add_role_to_instance_profile,
        InstanceProfileName=ghost,
        RoleName=new_role(c),
        code="NoSuchEntity",
        status=404,
        message=f"Instance Profile {ghost} cannot be found.",
    )


def test_tags(iam):
    c = iam()
    name = unique("ip")
    c.create_instance_profile(InstanceProfileName=name, Tags=[{"Key": "env", "Value": "prod"}])
    assert c.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Tags"] == [{"Key": "env", "Value": "prod"}]
    c.tag_instance_profile(InstanceProfileName=name, Tags=[{"Key": "team", "Value": "a"}, {"Key": "ENV", "Value": "dev"}])
    tags = c.list_instance_profile_tags(InstanceProfileName=name)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("ENV", "dev"), ("team", "a")]
    c.untag_instance_profile(InstanceProfileName=name, TagKeys=["team"])
    assert c.list_instance_profile_tags(InstanceProfileName=name)["Tags"] == [{"Key": "ENV", "Value": "dev"}]
    expect_error(
        c.tag_instance_profile,
        InstanceProfileName=name,
        Tags=[{"Key": "aws:x", "Value": "1"}],
        code="InvalidInput",
        status=400,
    )
    expect_error(c.list_instance_profile_tags, InstanceProfileName=unique("ghost"), code="NoSuchEntity", status=404)


def test_bad_input_changes_nothing(server, iam):
    c = iam()
    raw = server.iam(validate=False)
    expect_error(raw.create_instance_profile, InstanceProfileName="bad name!", code="ValidationError", status=400)
    expect_error(raw.create_instance_profile, InstanceProfileName="x" * 129, code="ValidationError", status=400)
    name = unique("ip")
    expect_error(raw.create_instance_profile, InstanceProfileName=name, Path="nopath", code="ValidationError", status=400)
    expect_error(c.get_instance_profile, InstanceProfileName=name, code="NoSuchEntity", status=404)


def test_pagination(iam):
    c = iam()
    path = f"/{unique('pg')}/"
    names = sorted(unique("ip") for _ in range(5))
    for n in names:
        c.create_instance_profile(InstanceProfileName=n, Path=path)
    pages = c.get_paginator("list_instance_profiles").paginate(PathPrefix=path, PaginationConfig={"PageSize": 2})
    assert [p["InstanceProfileName"] for page in pages for p in page["InstanceProfiles"]] == sorted(names, key=str.lower)


def test_authorization(iam):
    c = iam()
    user, creds = hg.create_user_with_key(c)[:2]
    name = unique("ip")
    expect_error(iam(creds).create_instance_profile, InstanceProfileName=name, code="AccessDenied", status=403)
    c.put_user_policy(
        UserName=user,
        PolicyName="p",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"],
                        "Resource": f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/*",
                    }
                ],
            }
        ),
    )
    u = iam(creds)
    u.create_instance_profile(InstanceProfileName=name)
    role = new_role(c)
    # Adding a role also needs iam:PassRole on it.
    expect_error(
        u.add_role_to_instance_profile,
        InstanceProfileName=name,
        RoleName=role,
        code="AccessDenied",
        status=403,
        match="iam:PassRole",
    )
    assert c.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Roles"] == []


def test_account_views(iam):
    c = iam()
    before = {e: v for e, v in c.get_account_summary()["SummaryMap"].items()}["InstanceProfiles"]
    name = unique("ip")
    role = new_role(c)
    c.create_instance_profile(InstanceProfileName=name)
    c.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    assert c.get_account_summary()["SummaryMap"]["InstanceProfiles"] == before + 1
    details = c.get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
    mine = next(r for r in details if r["RoleName"] == role)
    assert [p["InstanceProfileName"] for p in mine["InstanceProfileList"]] == [name]
    assert mine["InstanceProfileList"][0]["Roles"][0]["RoleName"] == role


def test_aws_cli(server, iam):
    name = unique("ip")
    role = new_role(iam())
    created = server.cli(["iam", "create-instance-profile", "--instance-profile-name", name]).ok()
    assert created["InstanceProfile"]["InstanceProfileName"] == name
    server.cli(["iam", "add-role-to-instance-profile", "--instance-profile-name", name, "--role-name", role]).ok()
    got = server.cli(["iam", "get-instance-profile", "--instance-profile-name", name]).ok()
    assert got["InstanceProfile"]["Roles"][0]["RoleName"] == role
    listed = server.cli(["iam", "list-instance-profiles-for-role", "--role-name", role]).ok()
    assert [p["InstanceProfileName"] for p in listed["InstanceProfiles"]] == [name]
    res = server.cli(["iam", "delete-instance-profile", "--instance-profile-name", name])
    assert res.rc != 0 and "DeleteConflict" in res.stderr
