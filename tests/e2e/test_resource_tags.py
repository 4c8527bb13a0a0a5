"""Attribute-based access control on IAM resources: an IAM call about an existing user,
role, policy, instance profile, provider, server certificate or MFA device carries the
resource's tags as `aws:ResourceTag/<key>` (and, for users and roles, `iam:ResourceTag/<key>`),
so identity policies can allow or deny by them. iam:PassRole carries the passed role's tags.
A missing resource has no tags, and a caller without permission still gets AccessDenied.
"""

from __future__ import annotations

import json

import hg
from hg import ACCOUNT_ID, expect_error, unique

TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }],
})


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def when_tagged(effect: str, action, key: str, value: str) -> dict:
    return {
        "Effect": effect,
        "Action": action,
        "Resource": "*",
        "Condition": {"StringEquals": {key: value}},
    }


def caller(server, *statements: dict) -> tuple[str, object]:
    """A new user with one inline policy of `statements`, and an IAM client signed by it."""
    root = server.iam()
    name, creds, _ = hg.create_user_with_key(root, unique("abac"))
    root.put_user_policy(UserName=name, PolicyName="abac", PolicyDocument=doc(*statements))
    return f"arn:aws:iam::{ACCOUNT_ID}:user/{name}", server.iam(creds)


def tags(**kv: str) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in kv.items()]


def denied(fn, **kwargs):
    return expect_error(fn, code="AccessDenied", status=403, **kwargs)


def test_iam_star_on_blue_users_only(server):
    root = server.iam()
    blue, red = unique("blue"), unique("red")
    root.create_user(UserName=blue, Tags=tags(team="blue"))
    root.create_user(UserName=red, Tags=tags(team="red"))
    arn, c = caller(server, when_tagged("Allow", "iam:*", "aws:ResourceTag/team", "blue"))

    assert c.get_user(UserName=blue)["User"]["UserName"] == blue
    e = denied(c.get_user, UserName=red)
    assert e.response["Error"]["Message"] == (
        f"User: {arn} is not authorized to perform: iam:GetUser on resource: "
        f"arn:aws:iam::{ACCOUNT_ID}:user/{red} because no identity-based policy allows the "
        "iam:GetUser action"
    )
    c.tag_user(UserName=blue, Tags=tags(env="dev"))
    denied(c.tag_user, UserName=red, Tags=tags(env="dev"))
    c.untag_user(UserName=blue, TagKeys=["env"])
    denied(c.untag_user, UserName=red, TagKeys=["team"])
    assert root.list_user_tags(UserName=red)["Tags"] == tags(team="red")
    c.list_user_tags(UserName=blue)
    denied(c.create_access_key, UserName=red)
    inline = doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"})
    denied(c.put_user_policy, UserName=red, PolicyName="p", PolicyDocument=inline)
    denied(c.delete_user, UserName=red)
    root.get_user(UserName=red)
    c.delete_user(UserName=blue)
    # A missing user: no tags, so AccessDenied rather than NoSuchEntity.
    denied(c.get_user, UserName=blue)
    denied(c.delete_user, UserName=unique("ghost"))

    # The tag as it is now: retagged blue, the red user is in reach.
    root.tag_user(UserName=red, Tags=tags(team="blue"))
    c.delete_user(UserName=red)


def test_deny_by_iam_resource_tag_key_in_any_case(server):
    root = server.iam()
    kept, plain = unique("kept"), unique("plain")
    root.create_user(UserName=kept, Tags=tags(Protected="yes"))
    root.create_user(UserName=plain)
    _, c = caller(
        server,
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        when_tagged("Deny", ["iam:DeleteUser", "iam:UntagUser"], "iam:ResourceTag/protected", "yes"),
    )
    e = denied(c.delete_user, UserName=kept)
    assert "with an explicit deny in an identity-based policy" in e.response["Error"]["Message"]
    denied(c.untag_user, UserName=kept, TagKeys=["Protected"])
    c.get_user(UserName=kept)
    c.delete_user(UserName=plain)
    expect_error(c.delete_user, UserName=plain, code="NoSuchEntity", status=404)


def test_roles_by_tag(server):
    root = server.iam()
    blue, red = unique("blue"), unique("red")
    root.create_role(RoleName=blue, AssumeRolePolicyDocument=TRUST, Tags=tags(team="blue"))
    root.create_role(RoleName=red, AssumeRolePolicyDocument=TRUST, Tags=tags(team="red"))
    _, c = caller(server, when_tagged("Allow", "iam:*", "iam:ResourceTag/team", "blue"))
    c.get_role(RoleName=blue)
    denied(c.get_role, RoleName=red)
    c.update_role(RoleName=blue, Description="blue team")
    denied(c.update_role, RoleName=red, Description="red team")
    inline = doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"})
    c.put_role_policy(RoleName=blue, PolicyName="p", PolicyDocument=inline)
    denied(c.put_role_policy, RoleName=red, PolicyName="p", PolicyDocument=inline)
    c.delete_role_policy(RoleName=blue, PolicyName="p")
    c.delete_role(RoleName=blue)
    denied(c.delete_role, RoleName=red)
    root.get_role(RoleName=red)


def test_policies_by_aws_resource_tag(server):
    root = server.iam()
    body = doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"})
    blue = root.create_policy(PolicyName=unique("blue"), PolicyDocument=body, Tags=tags(team="blue"))
    red = root.create_policy(PolicyName=unique("red"), PolicyDocument=body, Tags=tags(team="red"))
    blue, red = blue["Policy"]["Arn"], red["Policy"]["Arn"]
    _, c = caller(server, when_tagged("Allow", "iam:*", "aws:ResourceTag/team", "blue"))
    c.get_policy(PolicyArn=blue)
    denied(c.get_policy, PolicyArn=red)
    c.create_policy_version(PolicyArn=blue, PolicyDocument=body, SetAsDefault=True)
    denied(c.create_policy_version, PolicyArn=red, PolicyDocument=body, SetAsDefault=True)
    c.tag_policy(PolicyArn=blue, Tags=tags(env="dev"))
    denied(c.tag_policy, PolicyArn=red, Tags=tags(env="dev"))
    # AWS gives policies no iam:ResourceTag key.
    _, iam_key = caller(server, when_tagged("Allow", "iam:GetPolicy", "iam:ResourceTag/team", "blue"))
    denied(iam_key.get_policy, PolicyArn=blue)


def test_pass_role_by_the_roles_tags(server):
    root = server.iam()
    blue, red, profile = unique("blue"), unique("red"), unique("ip")
    root.create_role(RoleName=blue, AssumeRolePolicyDocument=TRUST, Tags=tags(team="blue"))
    root.create_role(RoleName=red, AssumeRolePolicyDocument=TRUST, Tags=tags(team="red"))
    root.create_instance_profile(InstanceProfileName=profile, Tags=tags(team="blue"))
    _, c = caller(
        server,
        when_tagged("Allow", "iam:AddRoleToInstanceProfile", "aws:ResourceTag/team", "blue"),
        when_tagged("Allow", "iam:PassRole", "iam:ResourceTag/team", "blue"),
    )
    denied(
        c.add_role_to_instance_profile,
        InstanceProfileName=profile,
        RoleName=red,
        match=f"iam:PassRole on resource: arn:aws:iam::{ACCOUNT_ID}:role/{red}",
    )
    c.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=blue)
    roles = root.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"]
    assert [r["RoleName"] for r in roles] == [blue]
    # The instance profile's own tags decide AddRoleToInstanceProfile itself.
    other = unique("ip")
    root.create_instance_profile(InstanceProfileName=other, Tags=tags(team="red"))
    denied(
        c.add_role_to_instance_profile,
        InstanceProfileName=other,
        RoleName=blue,
        match="iam:AddRoleToInstanceProfile",
    )
    assert root.get_instance_profile(InstanceProfileName=other)["InstanceProfile"]["Roles"] == []


def test_assume_role_by_the_roles_tags(server):
    """The caller's identity policy may allow sts:AssumeRole by the role's tags, under
    either key; the role's trust policy trusts the account."""
    root = server.iam()
    trust = json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
            "Action": "sts:AssumeRole",
        }],
    })
    blue, red = unique("blue"), unique("red")
    blue_arn = root.create_role(RoleName=blue, AssumeRolePolicyDocument=trust,
                                Tags=tags(team="blue"))["Role"]["Arn"]
    red_arn = root.create_role(RoleName=red, AssumeRolePolicyDocument=trust,
                               Tags=tags(team="red"))["Role"]["Arn"]
    for key in ("aws:ResourceTag/team", "iam:ResourceTag/team"):
        name, creds, _ = hg.create_user_with_key(root, unique("abac"))
        root.put_user_policy(UserName=name, PolicyName="abac",
                             PolicyDocument=doc(when_tagged("Allow", "sts:AssumeRole", key, "blue")))
        sts = server.sts(creds)
        got = sts.assume_role(RoleArn=blue_arn, RoleSessionName="sess")
        assert got["AssumedRoleUser"]["Arn"].endswith(f"assumed-role/{blue}/sess")
        denied(sts.assume_role, RoleArn=red_arn, RoleSessionName="sess")
