"""Privilege escalation through IAM writes on oneself.

An entity must never change its own ARN (name or path), permissions boundary, policies,
group memberships or someone else's keys without the permission AWS requires for that
change. Every refusal is AccessDenied in AWS's words and leaves the entity unchanged.
"""

from __future__ import annotations

import json

import pytest

import hg
from hg import ACCOUNT_ID, expect_error, unique

ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def user_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:user{path}{name}"


def group_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:group{path}{name}"


def denied(principal_arn: str, action: str, resource: str) -> str:
    return (
        f"User: {principal_arn} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


def user_with_policy(root, *statements: dict, name: str | None = None) -> tuple[str, hg.Creds]:
    """A user with a key and one inline policy made of `statements`."""
    name, creds, _ = hg.create_user_with_key(root, name or unique("esc"))
    root.put_user_policy(UserName=name, PolicyName="self", PolicyDocument=doc(*statements))
    return name, creds


def admins_role(root) -> str:
    """A role that trusts any principal of the account whose ARN is under user/admins/."""
    name = unique("admins-role")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": ACCOUNT_ID},
            "Action": "sts:AssumeRole",
            "Condition": {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT_ID}:user/admins/*"}},
        }],
    }
    return root.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


# --- 1. the path-move escalation -------------------------------------------------------


def test_path_move_into_admins_is_refused(server):
    root = server.iam()
    role = admins_role(root)
    name = unique("esc")
    # The only IAM permission: UpdateUser on its own ARN (plus AssumeRole, which the role's
    # trust policy narrows to user/admins/*).
    _, creds = user_with_policy(
        root, allow("iam:UpdateUser", user_arn(name)), allow("sts:AssumeRole", "*"), name=name
    )
    sts = server.sts(creds)
    expect_error(sts.assume_role, RoleArn=role, RoleSessionName="sess", code="AccessDenied", status=403)

    iam = server.iam(creds)
    expect_error(
        iam.update_user, UserName=name, NewPath="/admins/",
        code="AccessDenied", status=403,
        message=denied(user_arn(name), "iam:UpdateUser", user_arn(name, "/admins/")),
    )
    user = root.get_user(UserName=name)["User"]
    assert user["Path"] == "/" and user["Arn"] == user_arn(name)
    assert name not in hg.all_user_names(root, "/admins/")
    expect_error(sts.assume_role, RoleArn=role, RoleSessionName="sess", code="AccessDenied", status=403)

    # A path "change" to the current path is no move: the own-ARN permission suffices.
    assert iam.update_user(UserName=name, NewPath="/")["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_path_move_with_permission_on_both_arns_succeeds(server):
    root = server.iam()
    role = admins_role(root)
    name = unique("esc")
    _, creds = user_with_policy(
        root,
        allow("iam:UpdateUser", [user_arn(name), user_arn(name, "/admins/")]),
        allow("sts:AssumeRole", "*"),
        name=name,
    )
    server.iam(creds).update_user(UserName=name, NewPath="/admins/")
    user = root.get_user(UserName=name)["User"]
    assert user["Path"] == "/admins/" and user["Arn"] == user_arn(name, "/admins/")
    # The move is what the trust policy keys on: with it allowed, the role opens.
    assumed = server.sts(creds).assume_role(RoleArn=role, RoleSessionName="sess")
    assert assumed["AssumedRoleUser"]["Arn"].endswith(f":assumed-role/{role.split('/')[-1]}/sess")


def test_rename_needs_permission_on_the_new_name(server):
    root = server.iam()
    name = unique("esc")
    _, creds = user_with_policy(root, allow("iam:UpdateUser", user_arn(name)), name=name)
    new = name + "-x"
    expect_error(
        server.iam(creds).update_user, UserName=name, NewUserName=new,
        code="AccessDenied", status=403,
        message=denied(user_arn(name), "iam:UpdateUser", user_arn(new)),
    )
    assert root.get_user(UserName=name)["User"]["UserName"] == name
    expect_error(root.get_user, UserName=new, code="NoSuchEntity", status=404)


def test_group_path_move_is_refused_without_the_new_arn(server):
    root = server.iam()
    group = unique("grp")
    root.create_group(GroupName=group)
    name, creds = user_with_policy(root, allow("iam:UpdateGroup", group_arn(group)))
    expect_error(
        server.iam(creds).update_group, GroupName=group, NewPath="/admins/",
        code="AccessDenied", status=403,
        message=denied(user_arn(name), "iam:UpdateGroup", group_arn(group, "/admins/")),
    )
    g = root.get_group(GroupName=group)["Group"]
    assert g["Path"] == "/" and g["Arn"] == group_arn(group)
    expect_error(
        server.iam(creds).update_group, GroupName=group, NewGroupName=group + "-x",
        code="AccessDenied", status=403,
        message=denied(user_arn(name), "iam:UpdateGroup", group_arn(group + "-x")),
    )
    assert root.get_group(GroupName=group)["Group"]["GroupName"] == group


def test_group_path_move_with_permission_on_both_arns_succeeds(server):
    root = server.iam()
    group = unique("grp")
    root.create_group(GroupName=group)
    _, creds = user_with_policy(
        root, allow("iam:UpdateGroup", [group_arn(group), group_arn(group, "/admins/")])
    )
    server.iam(creds).update_group(GroupName=group, NewPath="/admins/")
    g = root.get_group(GroupName=group)["Group"]
    assert g["Path"] == "/admins/" and g["Arn"] == group_arn(group, "/admins/")


# --- 2b. every self-targeted change needs its own permission ---------------------------
#
# Each case names the statements the change needs, a setup run by root, the change made by
# the user itself, and a snapshot of the state the change would alter. The user first gets
# every self-targeted permission of the table except the needed ones; the change must be
# refused and the snapshot unchanged. With all of them, the same change succeeds (so each
# refusal is due to the missing permission, not to a broken setup).


def _snapshot_user(root, name):
    u = root.get_user(UserName=name)["User"]
    return {
        "arn": u["Arn"],
        "boundary": u.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn"),
        "attached": sorted(p["PolicyArn"] for p in root.list_attached_user_policies(UserName=name)["AttachedPolicies"]),
        "inline": sorted(root.list_user_policies(UserName=name)["PolicyNames"]),
        "groups": sorted(g["GroupName"] for g in root.list_groups_for_user(UserName=name)["Groups"]),
        "tags": sorted((t["Key"], t["Value"]) for t in root.list_user_tags(UserName=name)["Tags"]),
    }


@pytest.fixture(scope="module")
def fixtures(server):
    """Shared objects: two allow-all boundary policies, an admin group, a group without
    policies (leaving the admin group would be moot: its members may do anything), and a
    victim user."""
    root = server.iam()
    boundary = root.create_policy(
        PolicyName=unique("bnd"), PolicyDocument=doc(allow("*", "*"))
    )["Policy"]["Arn"]
    other_boundary = root.create_policy(
        PolicyName=unique("bnd-other"), PolicyDocument=doc(allow("*", "*"))
    )["Policy"]["Arn"]
    group = unique("admins")
    root.create_group(GroupName=group)
    root.attach_group_policy(GroupName=group, PolicyArn=ADMIN_POLICY)
    plain = unique("plain")
    root.create_group(GroupName=plain)
    victim = unique("victim")
    root.create_user(UserName=victim)
    return {"boundary": boundary, "other_boundary": other_boundary, "group": group,
            "plain_group": plain, "victim": victim}


def _permissions(name: str, fx: dict) -> dict[str, dict]:
    """Every self-targeted permission the table's changes need, by label."""
    return {
        "update-self": allow("iam:UpdateUser", user_arn(name)),
        "update-new-name": allow("iam:UpdateUser", user_arn(name + "-new")),
        "update-new-path": allow("iam:UpdateUser", user_arn(name, "/admins/")),
        "put-boundary": allow("iam:PutUserPermissionsBoundary", user_arn(name)),
        "delete-boundary": allow("iam:DeleteUserPermissionsBoundary", user_arn(name)),
        "attach": allow("iam:AttachUserPolicy", user_arn(name)),
        "detach": allow("iam:DetachUserPolicy", user_arn(name)),
        "put-inline": allow("iam:PutUserPolicy", user_arn(name)),
        "delete-inline": allow("iam:DeleteUserPolicy", user_arn(name)),
        "add-to-group": allow("iam:AddUserToGroup", group_arn(fx["group"])),
        "remove-from-group": allow("iam:RemoveUserFromGroup", group_arn(fx["plain_group"])),
        "tag": allow("iam:TagUser", user_arn(name)),
        "untag": allow("iam:UntagUser", user_arn(name)),
        "key-for-victim": allow("iam:CreateAccessKey", user_arn(fx["victim"])),
        "key-for-self": allow("iam:CreateAccessKey", user_arn(name)),
    }


# (case id, needed permission labels, setup(root, name, fx), change(iam, name, fx), what to snapshot)
CASES = [
    ("rename", ["update-self", "update-new-name"], None,
     lambda c, n, fx: c.update_user(UserName=n, NewUserName=n + "-new"), "user"),
    ("move", ["update-self", "update-new-path"], None,
     lambda c, n, fx: c.update_user(UserName=n, NewPath="/admins/"), "user"),
    ("put-boundary", ["put-boundary"], None,
     lambda c, n, fx: c.put_user_permissions_boundary(UserName=n, PermissionsBoundary=fx["other_boundary"]), "user"),
    ("replace-boundary", ["put-boundary"],
     lambda r, n, fx: r.put_user_permissions_boundary(UserName=n, PermissionsBoundary=fx["boundary"]),
     lambda c, n, fx: c.put_user_permissions_boundary(UserName=n, PermissionsBoundary=fx["other_boundary"]), "user"),
    ("delete-boundary", ["delete-boundary"],
     lambda r, n, fx: r.put_user_permissions_boundary(UserName=n, PermissionsBoundary=fx["boundary"]),
     lambda c, n, fx: c.delete_user_permissions_boundary(UserName=n), "user"),
    ("attach-admin", ["attach"], None,
     lambda c, n, fx: c.attach_user_policy(UserName=n, PolicyArn=ADMIN_POLICY), "user"),
    ("detach", ["detach"],
     lambda r, n, fx: r.attach_user_policy(UserName=n, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"),
     lambda c, n, fx: c.detach_user_policy(UserName=n, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"), "user"),
    ("put-inline-admin", ["put-inline"], None,
     lambda c, n, fx: c.put_user_policy(UserName=n, PolicyName="mine", PolicyDocument=doc(allow("*", "*"))), "user"),
    ("delete-inline", ["delete-inline"],
     lambda r, n, fx: r.put_user_policy(UserName=n, PolicyName="extra", PolicyDocument=doc(allow("s3:ListAllMyBuckets", "*"))),
     lambda c, n, fx: c.delete_user_policy(UserName=n, PolicyName="extra"), "user"),
    ("join-admin-group", ["add-to-group"], None,
     lambda c, n, fx: c.add_user_to_group(GroupName=fx["group"], UserName=n), "user"),
    ("leave-group", ["remove-from-group"],
     lambda r, n, fx: r.add_user_to_group(GroupName=fx["plain_group"], UserName=n),
     lambda c, n, fx: c.remove_user_from_group(GroupName=fx["plain_group"], UserName=n), "user"),
    ("tag-self", ["tag"], None,
     lambda c, n, fx: c.tag_user(UserName=n, Tags=[{"Key": "team", "Value": "admins"}]), "user"),
    ("untag-self", ["untag"],
     lambda r, n, fx: r.tag_user(UserName=n, Tags=[{"Key": "team", "Value": "guests"}]),
     lambda c, n, fx: c.untag_user(UserName=n, TagKeys=["team"]), "user"),
    ("key-for-someone-else", ["key-for-victim"], None,
     lambda c, n, fx: c.create_access_key(UserName=fx["victim"]), "victim-keys"),
]


def _state(root, name, fx, what):
    if what == "victim-keys":
        return sorted(k["AccessKeyId"] for k in root.list_access_keys(UserName=fx["victim"])["AccessKeyMetadata"])
    return _snapshot_user(root, name)


def _run_case(server, fx, needed, setup, change, what, missing: str | None):
    root = server.iam()
    name, creds, _ = hg.create_user_with_key(root, unique("self"))
    perms = _permissions(name, fx)
    granted = [s for label, s in perms.items() if label != missing]
    root.put_user_policy(UserName=name, PolicyName="self", PolicyDocument=doc(*granted))
    if setup:
        setup(root, name, fx)
    before = _state(root, name, fx, what)
    iam = server.iam(creds)
    if missing is None:
        change(iam, name, fx)
        return before, None
    err = expect_error(change, iam, name, fx, code="AccessDenied", status=403)
    assert err.response["Error"]["Message"].startswith(f"User: {user_arn(name)} is not authorized to perform: ")
    after = _state(root, name, fx, what)
    assert after == before, f"refused change altered state: {before} -> {after}"
    return before, after


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_self_change_needs_each_required_permission(server, fixtures, case):
    _, needed, setup, change, what = case
    # Positive control: with every permission, the change goes through.
    _run_case(server, fixtures, needed, setup, change, what, missing=None)
    for label in needed:
        _run_case(server, fixtures, needed, setup, change, what, missing=label)


def test_create_access_key_for_self_is_not_for_others(server, fixtures):
    """Permission on one's own keys (`user/${aws:username}`) does not reach another user."""
    root = server.iam()
    name, creds = user_with_policy(
        root, allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT_ID}:user/${{aws:username}}")
    )
    iam = server.iam(creds)
    assert iam.create_access_key()["AccessKey"]["UserName"] == name
    before = root.list_access_keys(UserName=fixtures["victim"])["AccessKeyMetadata"]
    expect_error(
        iam.create_access_key, UserName=fixtures["victim"], code="AccessDenied", status=403,
        message=denied(user_arn(name), "iam:CreateAccessKey", user_arn(fixtures["victim"])),
    )
    assert root.list_access_keys(UserName=fixtures["victim"])["AccessKeyMetadata"] == before


# --- 2b. iam:PermissionsBoundary for boundary-constrained delegation ---------------------


def test_permissions_boundary_condition_constrains_delegation(server, fixtures):
    """A delegated admin may create users and manage their policies only with the
    required boundary in place, and may not remove or swap that boundary."""
    root = server.iam()
    bnd = fixtures["boundary"]
    other = fixtures["other_boundary"]
    with_bnd = {"StringEquals": {"iam:PermissionsBoundary": bnd}}
    name, creds = user_with_policy(root, {
        "Effect": "Allow",
        "Action": ["iam:CreateUser", "iam:PutUserPermissionsBoundary", "iam:AttachUserPolicy",
                   "iam:PutUserPolicy", "iam:DeleteUserPermissionsBoundary"],
        "Resource": f"arn:aws:iam::{ACCOUNT_ID}:user/team/*",
        "Condition": with_bnd,
    })
    iam = server.iam(creds)

    ok = unique("dlg")
    iam.create_user(UserName=ok, Path="/team/", PermissionsBoundary=bnd)
    assert root.get_user(UserName=ok)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == bnd

    for kw in ({}, {"PermissionsBoundary": other}):
        n = unique("dlg")
        expect_error(iam.create_user, UserName=n, Path="/team/", code="AccessDenied", status=403, **kw)
        expect_error(root.get_user, UserName=n, code="NoSuchEntity", status=404)

    # Policies may be given to users that carry the boundary...
    iam.attach_user_policy(UserName=ok, PolicyArn=ADMIN_POLICY)
    iam.put_user_policy(UserName=ok, PolicyName="p", PolicyDocument=doc(allow("s3:*", "*")))
    # ...but not to a user without it.
    bare = unique("dlg")
    root.create_user(UserName=bare, Path="/team/")
    expect_error(iam.attach_user_policy, UserName=bare, PolicyArn=ADMIN_POLICY, code="AccessDenied", status=403)
    expect_error(iam.put_user_policy, UserName=bare, PolicyName="p",
                 PolicyDocument=doc(allow("*", "*")), code="AccessDenied", status=403)
    assert root.list_attached_user_policies(UserName=bare)["AttachedPolicies"] == []
    assert root.list_user_policies(UserName=bare)["PolicyNames"] == []

    # The boundary cannot be swapped for another one.
    expect_error(iam.put_user_permissions_boundary, UserName=ok, PermissionsBoundary=other,
                 code="AccessDenied", status=403)
    assert root.get_user(UserName=ok)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == bnd

    # A Deny on DeleteUserPermissionsBoundary is how AWS protects it; the condition key
    # carries the boundary being removed.
    root.put_user_policy(UserName=name, PolicyName="protect", PolicyDocument=doc({
        "Effect": "Deny", "Action": "iam:DeleteUserPermissionsBoundary", "Resource": "*",
        "Condition": with_bnd,
    }))
    expect_error(iam.delete_user_permissions_boundary, UserName=ok, code="AccessDenied", status=403)
    assert root.get_user(UserName=ok)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == bnd


# --- 3. fail closed, end to end ----------------------------------------------------------


def test_unknown_condition_operator_is_refused_at_write_time(server):
    root = server.iam()
    name = unique("fc")
    root.create_user(UserName=name)
    bad = doc({**allow("*", "*"), "Condition": {"StringEqualz": {"aws:username": name}}})
    expect_error(root.put_user_policy, UserName=name, PolicyName="p", PolicyDocument=bad,
                 code="MalformedPolicyDocument", status=400, message="Syntax errors in policy.")
    expect_error(root.create_policy, PolicyName=unique("p"), PolicyDocument=bad,
                 code="MalformedPolicyDocument", status=400, message="Syntax errors in policy.")
    assert root.list_user_policies(UserName=name)["PolicyNames"] == []


@pytest.mark.parametrize("principal,shown", [({"AWS": []}, '"AWS":[]'), ("", '""'), ({"AWS": ""}, '"AWS":""')])
def test_empty_trust_principal_is_refused(server, principal, shown):
    root = server.iam()
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})
    name = unique("fc-role")
    expect_error(root.create_role, RoleName=name, AssumeRolePolicyDocument=trust,
                 code="MalformedPolicyDocument", status=400,
                 message=f"Invalid principal in policy: {shown}")
    expect_error(root.get_role, RoleName=name, code="NoSuchEntity", status=404)


def test_unresolvable_variables_do_not_grant(server):
    """`${aws:username}` has no value for a role session: a NotResource or StringNotEquals
    built on it must not turn into an allow-everything."""
    root = server.iam()
    role = unique("fc-role")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT_ID}, "Action": "sts:AssumeRole"}]})
    role_arn = root.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    root.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:GetUser", "NotResource": f"arn:aws:iam::{ACCOUNT_ID}:user/${{aws:username}}"},
        {"Effect": "Allow", "Action": "iam:ListUserTags", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:PrincipalType": "${nonexistent:key}"}}},
    ))
    _, creds = user_with_policy(root, allow("sts:AssumeRole", role_arn))
    c = server.sts(creds).assume_role(RoleArn=role_arn, RoleSessionName="sess")["Credentials"]
    session = server.iam(hg.Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]))
    victim = unique("fc")
    root.create_user(UserName=victim)
    expect_error(session.get_user, UserName=victim, code="AccessDenied", status=403)
    expect_error(session.list_user_tags, UserName=victim, code="AccessDenied", status=403)
