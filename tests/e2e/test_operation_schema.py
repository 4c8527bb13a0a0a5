"""Each Query operation's parameter schema on the wire: a parameter the action does not
declare is UnknownParameter and changes nothing; the schema is checked after the signature,
so an unsigned or badly signed request still gets its authentication error."""

from __future__ import annotations

import pytest

import hg
from hg import IAM_VERSION, ROOT, STS_VERSION, assert_query_error, unique


def iam_call(server, action, creds=ROOT, **params):
    return server.query(creds, {"Action": action, "Version": IAM_VERSION, **params})


@pytest.mark.parametrize(
    "service,version,action,params,bogus",
    [
        ("iam", IAM_VERSION, "ListUsers", {}, "Bogus"),
        ("iam", IAM_VERSION, "GetUser", {"UserName": "x"}, "PolicyArn"),  # another action's
        ("iam", IAM_VERSION, "GetAccountSummary", {}, "MaxItems"),
        ("iam", IAM_VERSION, "AttachUserPolicy", {"UserName": "x"}, "RoleName"),  # sibling kind's
        ("sts", STS_VERSION, "GetCallerIdentity", {}, "UserName"),
        ("sts", STS_VERSION, "GetSessionToken", {}, "RoleArn"),
    ],
)
def test_undeclared_parameter_is_unknown_parameter(server, service, version, action, params, bogus):
    body = {"Action": action, "Version": version, **params, bogus: "1"}
    resp = server.query(ROOT, body, service=service)
    assert_query_error(resp, "UnknownParameter", 400, message=f"The parameter {bogus} is not recognized.")


def test_undeclared_list_member_is_unknown_parameter(server):
    name = unique("sch")
    resp = iam_call(server, "CreateUser", UserName=name, **{"Bogus.member.1": "a"})
    assert_query_error(resp, "UnknownParameter", 400, message="The parameter Bogus.member.1 is not recognized.")
    # Nothing was created by the refused call.
    resp = iam_call(server, "GetUser", UserName=name)
    assert_query_error(resp, "NoSuchEntity", 404)


def test_declared_parameters_and_lists_are_accepted(server):
    name = unique("sch")
    resp = iam_call(
        server,
        "CreateUser",
        UserName=name,
        Path="/schema/",
        **{"Tags.member.1.Key": "k", "Tags.member.1.Value": "v"},
    )
    assert resp.status_code == 200, resp.text
    resp = iam_call(server, "ListUserTags", UserName=name, MaxItems="5")
    assert resp.status_code == 200, resp.text
    assert "<Key>k</Key>" in resp.text, resp.text
    resp = iam_call(server, "DeleteUser", UserName=name)
    assert resp.status_code == 200, resp.text


def test_authentication_comes_before_the_schema(server):
    body = {"Action": "ListUsers", "Version": IAM_VERSION, "Bogus": "1"}
    resp = server.query(None, body)
    assert_query_error(resp, "MissingAuthenticationToken", 403)
    wrong = hg.Creds(hg.ROOT_AKID, "not-the-secret-key-000000000000000000000")
    resp = server.query(wrong, body)
    assert_query_error(resp, "SignatureDoesNotMatch", 403)


def test_unknown_action_is_refused_before_the_schema(server):
    resp = iam_call(server, "CreateWidget", Bogus="1")
    assert_query_error(
        resp, "InvalidAction", 400, message=f"Could not find operation CreateWidget for version {IAM_VERSION}"
    )
