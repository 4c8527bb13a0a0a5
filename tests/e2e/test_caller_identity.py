"""STS GetCallerIdentity for root and users, and what a user without policies may do."""

from __future__ import annotations

import pytest

import hg
from hg import ACCOUNT_ID, ROOT_ARN, expect_error


def test_root_caller_identity(sts):
    ident = sts().get_caller_identity()
    assert ident["Account"] == ACCOUNT_ID
    assert ident["Arn"] == ROOT_ARN
    assert ident["UserId"] == ACCOUNT_ID


def test_user_caller_identity(iam, sts):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    user = c.get_user(UserName=name)["User"]
    ident = sts(creds).get_caller_identity()
    assert ident == {
        "Account": ACCOUNT_ID,
        "Arn": f"arn:aws:iam::{ACCOUNT_ID}:user/{name}",
        "UserId": user["UserId"],
        "ResponseMetadata": ident["ResponseMetadata"],
    }


def test_user_with_path_caller_identity(iam, sts):
    name, creds, _ = hg.create_user_with_key(iam(), Path="/dept/ops/")
    assert sts(creds).get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/dept/ops/{name}"


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1", "ap-southeast-2", "local"])
def test_any_signing_region_is_accepted(server, region):
    assert server.sts(region=region).get_caller_identity()["Arn"] == ROOT_ARN
    assert server.iam(region=region).get_user()["User"]["Arn"] == ROOT_ARN


def test_second_key_of_a_user_has_the_same_identity(iam, sts):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    other = hg.Creds.from_access_key(c.create_access_key(UserName=name)["AccessKey"])
    assert sts(creds).get_caller_identity() | {"ResponseMetadata": None} == sts(
        other
    ).get_caller_identity() | {"ResponseMetadata": None}


def test_user_without_policies_is_denied_iam_calls(iam, sts):
    name, creds, _ = hg.create_user_with_key(iam())
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    user_iam = iam(creds)
    e = expect_error(user_iam.list_users, code="AccessDenied", status=403)
    msg = e.response["Error"]["Message"]
    assert msg.startswith(f"User: {arn} is not authorized to perform: iam:ListUsers"), msg
    expect_error(user_iam.create_user, UserName=hg.unique("nope"), code="AccessDenied", status=403)
    expect_error(user_iam.create_access_key, UserName=name, code="AccessDenied", status=403)
    # ...and the denied calls changed nothing
    assert len(iam().list_access_keys(UserName=name)["AccessKeyMetadata"]) == 1
    # GetCallerIdentity always works
    assert sts(creds).get_caller_identity()["Arn"] == arn


def test_root_may_call_everything(iam, sts):
    c = iam()
    name = hg.unique("rootdoes")
    c.create_user(UserName=name)
    c.tag_user(UserName=name, Tags=[{"Key": "a", "Value": "b"}])
    c.list_user_tags(UserName=name)
    ak = c.create_access_key(UserName=name)["AccessKey"]
    c.get_access_key_last_used(AccessKeyId=ak["AccessKeyId"])
    c.update_access_key(UserName=name, AccessKeyId=ak["AccessKeyId"], Status="Inactive")
    c.delete_access_key(UserName=name, AccessKeyId=ak["AccessKeyId"])
    c.untag_user(UserName=name, TagKeys=["a"])
    c.update_user(UserName=name, NewPath="/x/")
    c.delete_user(UserName=name)
