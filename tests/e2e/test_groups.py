"""IAM groups (CreateGroup, GetGroup, ListGroups, ListGroupsForUser, AddUserToGroup,
RemoveUserFromGroup, UpdateGroup, DeleteGroup) and the account views (GetAccountSummary,
GetAccountAuthorizationDetails)."""

from __future__ import annotations

import json
import re

import hg
from hg import ACCOUNT_ID, expect_error, unique

GROUP_ID_RE = re.compile(r"^AGPA[A-Z2-7]{17}$")
ALLOW_S3 = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
TRUST = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
)


def create_group(c, name=None, **kw) -> dict:
    return c.create_group(GroupName=name or unique("grp"), **kw)["Group"]


def test_create_group_returns_aws_shape(iam):
    c = iam()
    name = unique("eng")
    g = create_group(c, name, Path="/teams/")
    assert g["GroupName"] == name
    assert g["Path"] == "/teams/"
    assert GROUP_ID_RE.match(g["GroupId"]), g["GroupId"]
    assert g["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/teams/{name}"
    got = c.get_group(GroupName=name.upper())
    assert got["Group"] == g
    assert got["Users"] == []
    assert got["IsTruncated"] is False


def test_duplicate_group_is_entity_already_exists(iam):
    c = iam()
    name = unique("Dup")
    create_group(c, name)
    expect_error(
        create_group, c, name.lower(), code="EntityAlreadyExists", status=409, message=f"Group with name {name.lower()} already exists."
    )


def test_missing_group_is_no_such_entity(iam):
    name = unique("ghost")
    expect_error(
        iam().get_group, GroupName=name, code="NoSuchEntity", status=404, message=f"The group with name {name} cannot be found."
    )


def test_membership_and_get_group_pagination(iam):
    c = iam()
    group = create_group(c)["GroupName"]
    users = sorted(hg.create_user(c, unique("m"))["UserName"] for _ in range(5))
    for u in users:
        c.add_user_to_group(GroupName=group, UserName=u)
    c.add_user_to_group(GroupName=group, UserName=users[0])  # adding twice is a no-op
    page = c.get_group(GroupName=group, MaxItems=2)
    assert page["IsTruncated"] and len(page["Users"]) == 2
    seen = [u["UserName"] for u in page["Users"]]
    while page["IsTruncated"]:
        page = c.get_group(GroupName=group, MaxItems=2, Marker=page["Marker"])
        seen += [u["UserName"] for u in page["Users"]]
    assert seen == users
    full = c.get_paginator("get_group").paginate(GroupName=group).build_full_result()
    assert [u["UserName"] for u in full["Users"]] == users
    assert [g["GroupName"] for g in c.list_groups_for_user(UserName=users[1])["Groups"]] == [group]
    c.remove_user_from_group(GroupName=group, UserName=users[1])
    assert c.list_groups_for_user(UserName=users[1])["Groups"] == []
    expect_error(
        c.remove_user_from_group,
        GroupName=group,
        UserName=users[1],
        code="NoSuchEntity",
        status=404,
        message=f"The user with name {users[1]} cannot be found.",
    )
    ghost = unique("ghost")
    expect_error(c.add_user_to_group, GroupName=group, UserName=ghost, code="NoSuchEntity", status=404)
    expect_error(c.list_groups_for_user, UserName=ghost, code="NoSuchEntity", status=404)


def test_at_most_ten_groups_per_user(iam):
    c = iam()
    user = hg.create_user(c)["UserName"]
    for _ in range(10):
        c.add_user_to_group(GroupName=create_group(c)["GroupName"], UserName=user)
    expect_error(
        c.add_user_to_group,
        GroupName=create_group(c)["GroupName"],
        UserName=user,
        code="LimitExceeded",
        status=409,
        message="Cannot exceed quota for GroupsPerUser: 10",
    )
    assert len(c.list_groups_for_user(UserName=user)["Groups"]) == 10


def test_list_groups_path_prefix_and_pagination(iam):
    c = iam()
    path = f"/{unique('lg')}/"
    names = sorted(create_group(c, unique("lg"), Path=path)["GroupName"] for _ in range(5))
    seen, marker = [], None
    while True:
        kw = {"PathPrefix": path, "MaxItems": 2}
        if marker:
            kw["Marker"] = marker
        page = c.list_groups(**kw)
        seen += [g["GroupName"] for g in page["Groups"]]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        marker = page["Marker"]
    assert seen == names


def test_update_group_rename_and_move(iam):
    c = iam()
    old = create_group(c)
    user = hg.create_user(c)["UserName"]
    c.add_user_to_group(GroupName=old["GroupName"], UserName=user)
    new = unique("renamed")
    c.update_group(GroupName=old["GroupName"], NewGroupName=new, NewPath="/moved/")
    got = c.get_group(GroupName=new)
    assert got["Group"]["GroupId"] == old["GroupId"]
    assert got["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/moved/{new}"
    assert [u["UserName"] for u in got["Users"]] == [user]
    expect_error(c.get_group, GroupName=old["GroupName"], code="NoSuchEntity", status=404)
    taken = create_group(c)["GroupName"]
    expect_error(c.update_group, GroupName=new, NewGroupName=taken, code="EntityAlreadyExists", status=409)


def test_delete_group_conflicts(iam):
    c = iam()
    group = create_group(c)["GroupName"]
    user = hg.create_user(c)["UserName"]
    c.add_user_to_group(GroupName=group, UserName=user)
    expect_error(
        c.delete_group, GroupName=group, code="DeleteConflict", status=409, message="Cannot delete entity, must remove users from group first."
    )
    expect_error(
        c.delete_user, UserName=user, code="DeleteConflict", status=409, message="Cannot delete entity, must remove users from group first."
    )
    c.remove_user_from_group(GroupName=group, UserName=user)
    c.put_group_policy(GroupName=group, PolicyName="inline", PolicyDocument=ALLOW_S3)
    expect_error(
        c.delete_group, GroupName=group, code="DeleteConflict", status=409, message="Cannot delete entity, must delete policies first."
    )
    c.delete_group_policy(GroupName=group, PolicyName="inline")
    c.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    expect_error(
        c.delete_group, GroupName=group, code="DeleteConflict", status=409, message="Cannot delete entity, must detach all policies first."
    )
    c.detach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    c.delete_group(GroupName=group)
    expect_error(c.get_group, GroupName=group, code="NoSuchEntity", status=404)


def test_group_operations_are_authorized_against_the_group(server, iam):
    c = iam()
    mine = create_group(c, unique("ops"))["GroupName"]
    other = create_group(c, unique("dev"))["GroupName"]
    member = hg.create_user(c)["UserName"]
    name, creds, _ = hg.create_user_with_key(c)
    c.put_user_policy(
        UserName=name,
        PolicyName="p",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["iam:AddUserToGroup", "iam:GetGroup"],
                        "Resource": f"arn:aws:iam::{ACCOUNT_ID}:group/ops-*",
                    }
                ],
            }
        ),
    )
    u = server.iam(creds)
    u.add_user_to_group(GroupName=mine, UserName=member)
    assert [x["UserName"] for x in u.get_group(GroupName=mine)["Users"]] == [member]
    expect_error(
        u.add_user_to_group,
        GroupName=other,
        UserName=member,
        code="AccessDenied",
        status=403,
        match=re.escape(f"iam:AddUserToGroup on resource: arn:aws:iam::{ACCOUNT_ID}:group/{other}"),
    )
    expect_error(u.list_groups, code="AccessDenied", status=403)
    expect_error(u.create_group, GroupName=unique("ops"), code="AccessDenied", status=403)


# --- Account views ----------------------------------------------------------------------------


def test_get_account_summary(fresh_server):
    c = fresh_server.iam()
    s = c.get_account_summary()["SummaryMap"]
    assert (s["Users"], s["Groups"], s["Roles"], s["Policies"]) == (0, 0, 0, 0)
    assert s["AccountAccessKeysPresent"] == 1  # the root key
    assert s["UsersQuota"] == 5000 and s["VersionsPerPolicyQuota"] == 5
    assert s["UserPolicySizeQuota"] == 2048 and s["RolePolicySizeQuota"] == 10240
    assert s["AttachedPoliciesPerUserQuota"] == 10 and s["PolicySizeQuota"] == 6144
    c.create_user(UserName="u1")
    c.create_group(GroupName="g1")
    c.create_role(RoleName="r1", AssumeRolePolicyDocument=TRUST)
    arn = c.create_policy(PolicyName="p1", PolicyDocument=ALLOW_S3)["Policy"]["Arn"]
    c.create_policy_version(PolicyArn=arn, PolicyDocument=ALLOW_S3)
    s = c.get_account_summary()["SummaryMap"]
    assert (s["Users"], s["Groups"], s["Roles"], s["Policies"]) == (1, 1, 1, 1)
    assert s["PolicyVersionsInUse"] >= 1
    out = fresh_server.cli(["iam", "get-account-summary"]).ok()
    assert out["SummaryMap"]["Users"] == 1


def test_get_account_authorization_details(fresh_server):
    c = fresh_server.iam()
    c.create_user(UserName="alice", Tags=[{"Key": "k", "Value": "v"}])
    c.put_user_policy(UserName="alice", PolicyName="inl", PolicyDocument=ALLOW_S3)
    c.create_group(GroupName="devs")
    c.add_user_to_group(GroupName="devs", UserName="alice")
    c.attach_group_policy(GroupName="devs", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    c.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST)
    arn = c.create_policy(PolicyName="local", PolicyDocument=ALLOW_S3, Description="mine")["Policy"]["Arn"]
    c.create_policy_version(PolicyArn=arn, PolicyDocument=ALLOW_S3)
    c.attach_role_policy(RoleName="app", PolicyArn=arn)
    d = c.get_account_authorization_details()
    assert d["IsTruncated"] is False
    (alice,) = d["UserDetailList"]
    assert alice["UserName"] == "alice"
    assert alice["UserPolicyList"] == [{"PolicyName": "inl", "PolicyDocument": json.loads(ALLOW_S3)}]
    assert alice["GroupList"] == ["devs"]
    assert alice["Tags"] == [{"Key": "k", "Value": "v"}]
    (devs,) = d["GroupDetailList"]
    assert devs["AttachedManagedPolicies"] == [
        {"PolicyName": "IAMReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}
    ]
    (app,) = d["RoleDetailList"]
    assert app["AssumeRolePolicyDocument"] == json.loads(TRUST)
    assert app["AttachedManagedPolicies"] == [{"PolicyName": "local", "PolicyArn": arn}]
    policies = {p["PolicyName"]: p for p in d["Policies"]}
    # Customer policies, and AWS-managed ones only where attached in the account.
    assert set(policies) == {"local", "IAMReadOnlyAccess"}
    local = policies["local"]
    assert local["Description"] == "mine"
    assert [v["VersionId"] for v in local["PolicyVersionList"]] == ["v2", "v1"]
    assert local["PolicyVersionList"][1]["Document"] == json.loads(ALLOW_S3)
    only_roles = c.get_account_authorization_details(Filter=["Role"])
    assert [r["RoleName"] for r in only_roles["RoleDetailList"]] == ["app"]
    assert only_roles["UserDetailList"] == [] and only_roles["Policies"] == []
    local_only = c.get_account_authorization_details(Filter=["LocalManagedPolicy"])
    assert [p["PolicyName"] for p in local_only["Policies"]] == ["local"]
    # Pagination: 1 user + 1 group + 1 role + 2 policies, two at a time.
    page = c.get_account_authorization_details(MaxItems=2)
    assert page["IsTruncated"]
    counts = 0
    while True:
        counts += sum(len(page[k]) for k in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"))
        if not page["IsTruncated"]:
            break
        page = c.get_account_authorization_details(MaxItems=2, Marker=page["Marker"])
    assert counts == 5
    full = c.get_paginator("get_account_authorization_details").paginate(PaginationConfig={"PageSize": 1}).build_full_result()
    assert len(full["Policies"]) == 2 and len(full["UserDetailList"]) == 1


def test_account_views_need_permission(server, iam):
    c = iam()
    _, creds, _ = hg.create_user_with_key(c)
    u = server.iam(creds)
    expect_error(u.get_account_summary, code="AccessDenied", status=403)
    expect_error(u.get_account_authorization_details, code="AccessDenied", status=403)
