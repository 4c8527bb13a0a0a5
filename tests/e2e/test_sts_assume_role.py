"""STS AssumeRole end to end with boto3: trust and identity evaluation, session permissions,
session policies, chaining, tags, source identity, trust conditions, request-time policy
evaluation, revocation, and AWS's errors for bad input."""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import pytest

import hg
from hg import ACCOUNT_ID, Creds, expect_error, unique

ASIA_RE = re.compile(r"^ASIA[A-Z2-7]{16}$")
ROLE_ID_RE = re.compile(r"^AROA[A-Z2-7]{17}$")


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(*actions, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource, **extra}


def trust(principal, action="sts:AssumeRole", **extra) -> str:
    if isinstance(action, str):
        action = [action]
    return doc({"Effect": "Allow", "Principal": principal, "Action": action, **extra})


def account_trust(**extra) -> str:
    return trust({"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, **extra)


def make_role(c, trust_doc: str, *policy_statements, name=None, **kw) -> dict:
    name = name or unique("role")
    role = c.create_role(RoleName=name, AssumeRolePolicyDocument=trust_doc, **kw)["Role"]
    if policy_statements:
        c.put_role_policy(RoleName=name, PolicyName="perms", PolicyDocument=doc(*policy_statements))
    return role


def make_user(c, *policy_statements, **kw):
    name, creds, _ = hg.create_user_with_key(c, **kw)
    if policy_statements:
        c.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(*policy_statements))
    return name, creds


def session_creds(resp) -> Creds:
    c = resp["Credentials"]
    return Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def denied(principal_arn: str, action: str, resource: str, why: str) -> str:
    return (
        f"User: {principal_arn} is not authorized to perform: {action} on resource: {resource} "
        + why
    )


def session_arn(role, session) -> str:
    return f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/{session}"


# --- the basic flow ----------------------------------------------------------------------------


def test_assume_role_response_and_caller_identity(iam, sts):
    root = iam()
    role = make_role(root, account_trust(), allow("iam:ListRoles"), Path="/svc/")
    uname, ucreds = make_user(root, allow("sts:AssumeRole", resource=role["Arn"]))
    before = hg.utcnow()
    resp = sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    cred = resp["Credentials"]
    assert ASIA_RE.match(cred["AccessKeyId"]), cred["AccessKeyId"]
    assert hg.SECRET_RE.match(cred["SecretAccessKey"])
    assert len(cred["SessionToken"]) > 100
    exp = cred["Expiration"]
    assert before + dt.timedelta(seconds=3590) <= exp <= hg.utcnow() + dt.timedelta(seconds=3610)
    assert resp["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:s1",
        # The session ARN carries no path.
        "Arn": session_arn(role["RoleName"], "s1"),
    }
    assert "PackedPolicySize" not in resp
    assert "SourceIdentity" not in resp

    ident = sts(session_creds(resp)).get_caller_identity()
    assert ident["Arn"] == session_arn(role["RoleName"], "s1")
    assert ident["UserId"] == f"{role['RoleId']}:s1"
    assert ident["Account"] == ACCOUNT_ID
    # The session works with the role's permissions.
    iam(session_creds(resp)).list_roles()
    # GetAccessKeyInfo names the account for temporary keys too.
    root_sts = sts()
    assert root_sts.get_access_key_info(AccessKeyId=cred["AccessKeyId"])["Account"] == ACCOUNT_ID
    assert root_sts.get_access_key_info(AccessKeyId=ucreds.access_key_id)["Account"] == ACCOUNT_ID


def test_trust_naming_the_user_needs_no_identity_policy(iam, sts):
    root = iam()
    uname, ucreds = make_user(root)
    user_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{uname}"
    role = make_role(root, trust({"AWS": user_arn}))
    resp = sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="direct")
    assert resp["AssumedRoleUser"]["Arn"] == session_arn(role["RoleName"], "direct")


def test_trust_naming_the_account_needs_an_identity_policy(iam, sts):
    root = iam()
    uname, ucreds = make_user(root)
    user_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{uname}"
    role = make_role(root, account_trust())
    expect_error(
        sts(ucreds).assume_role,
        RoleArn=role["Arn"],
        RoleSessionName="ss",
        code="AccessDenied",
        status=403,
        message=f"User: {user_arn} is not authorized to perform: sts:AssumeRole on resource: {role['Arn']}",
    )
    root.put_user_policy(
        UserName=uname, PolicyName="p", PolicyDocument=doc(allow("sts:AssumeRole", resource=role["Arn"]))
    )
    sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="ss")
    # An explicit deny in the caller's policies wins over the trust policy.
    root.put_user_policy(
        UserName=uname,
        PolicyName="deny",
        PolicyDocument=doc({"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}),
    )
    expect_error(
        sts(ucreds).assume_role,
        RoleArn=role["Arn"],
        RoleSessionName="ss",
        code="AccessDenied",
        status=403,
    )


def test_root_cannot_assume_roles(iam, sts):
    role = make_role(iam(), account_trust())
    expect_error(
        sts().assume_role,
        RoleArn=role["Arn"],
        RoleSessionName="root",
        code="AccessDenied",
        status=403,
        message="Roles may not be assumed by root accounts.",
    )


def test_nonexistent_role_is_access_denied(iam, sts):
    uname, ucreds = make_user(iam(), allow("sts:AssumeRole"))
    arn = f"arn:aws:iam::{ACCOUNT_ID}:role/does-not-exist-{unique()}"
    expect_error(
        sts(ucreds).assume_role,
        RoleArn=arn,
        RoleSessionName="ss",
        code="AccessDenied",
        status=403,
        message=f"User: arn:aws:iam::{ACCOUNT_ID}:user/{uname} is not authorized to perform: sts:AssumeRole on resource: {arn}",
    )
    # A path that does not match the role's is another role.
    role = make_role(iam(), account_trust(), Path="/a/")
    wrong = role["Arn"].replace("/a/", "/b/")
    expect_error(sts(ucreds).assume_role, RoleArn=wrong, RoleSessionName="ss", code="AccessDenied", status=403)


# --- what a session may do ---------------------------------------------------------------------


def test_permissions_are_not_cumulative(iam, sts):
    root = iam()
    role = make_role(root, account_trust(), allow("iam:ListRoles"))
    uname, ucreds = make_user(root, allow("sts:AssumeRole"), allow("iam:ListUsers"))
    iam(ucreds).list_users()  # the user may
    s = session_creds(sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="nc"))
    iam(s).list_roles()  # the role may
    e = expect_error(iam(s).list_users, code="AccessDenied", status=403)
    msg = e.response["Error"]["Message"]
    assert msg.startswith(
        f"User: {session_arn(role['RoleName'], 'nc')} is not authorized to perform: iam:ListUsers on resource: "
    ), msg
    assert msg.endswith("because no identity-based policy allows the iam:ListUsers action"), msg


def test_session_policies_intersect_and_never_widen(iam, sts):
    root = iam()
    role = make_role(root, account_trust(), allow("iam:ListRoles", "iam:ListUsers"))
    uname, ucreds = make_user(root, allow("sts:AssumeRole"))
    # Inline session policy: allows ListRoles and CreateUser (which the role lacks).
    inline = doc(allow("iam:ListRoles", "iam:CreateUser"))
    resp = sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="sp", Policy=inline)
    assert 0 < resp["PackedPolicySize"] <= 100
    s = session_creds(resp)
    iam(s).list_roles()
    e = expect_error(iam(s).list_users, code="AccessDenied", status=403)
    assert e.response["Error"]["Message"].endswith(
        "because no session policy allows the iam:ListUsers action"
    ), e.response["Error"]
    expect_error(iam(s).create_user, UserName=unique(), code="AccessDenied", status=403)

    # Managed session policies (PolicyArns): only ListUsers.
    pol = root.create_policy(PolicyName=unique("sp"), PolicyDocument=doc(allow("iam:ListUsers")))["Policy"]
    resp = sts(ucreds).assume_role(
        RoleArn=role["Arn"], RoleSessionName="arns", PolicyArns=[{"arn": pol["Arn"]}]
    )
    s2 = session_creds(resp)
    iam(s2).list_users()
    expect_error(iam(s2).list_roles, code="AccessDenied", status=403)
    # Both: any allow within the session set, still within the role.
    resp = sts(ucreds).assume_role(
        RoleArn=role["Arn"],
        RoleSessionName="both",
        PolicyArns=[{"arn": pol["Arn"]}],
        Policy=doc(allow("iam:ListRoles")),
    )
    s3 = session_creds(resp)
    iam(s3).list_users()
    iam(s3).list_roles()
    # A deny in a session policy wins.
    resp = sts(ucreds).assume_role(
        RoleArn=role["Arn"],
        RoleSessionName="deny",
        Policy=doc(allow("*"), {"Effect": "Deny", "Action": "iam:ListRoles", "Resource": "*"}),
    )
    s4 = session_creds(resp)
    iam(s4).list_users()
    e = expect_error(iam(s4).list_roles, code="AccessDenied", status=403)
    assert e.response["Error"]["Message"].endswith("with an explicit deny in a session policy")


def test_policy_change_applies_to_live_sessions(iam, sts):
    root = iam()
    role = make_role(root, account_trust(), allow("iam:ListRoles"))
    uname, ucreds = make_user(root, allow("sts:AssumeRole"))
    s = session_creds(sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="live"))
    iam(s).list_roles()
    expect_error(iam(s).list_users, code="AccessDenied", status=403)
    root.put_role_policy(RoleName=role["RoleName"], PolicyName="more", PolicyDocument=doc(allow("iam:ListUsers")))
    iam(s).list_users()  # at once, same credentials
    root.delete_role_policy(RoleName=role["RoleName"], PolicyName="perms")
    expect_error(iam(s).list_roles, code="AccessDenied", status=403)
    # A managed policy attached later applies too.
    pol = root.create_policy(PolicyName=unique("p"), PolicyDocument=doc(allow("iam:ListRoles")))["Policy"]
    root.attach_role_policy(RoleName=role["RoleName"], PolicyArn=pol["Arn"])
    iam(s).list_roles()
    # Deleting the role ends its sessions.
    root.detach_role_policy(RoleName=role["RoleName"], PolicyArn=pol["Arn"])
    root.delete_role_policy(RoleName=role["RoleName"], PolicyName="more")
    root.delete_role(RoleName=role["RoleName"])
    expect_error(sts(s).get_caller_identity, code="InvalidClientTokenId", status=403)


def test_revocation_with_token_issue_time_cuts_live_sessions(iam, sts):
    root = iam()
    role = make_role(root, account_trust(), allow("iam:ListRoles"))
    uname, ucreds = make_user(root, allow("sts:AssumeRole"))
    old = session_creds(sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="old"))
    iam(old).list_roles()
    time.sleep(1.1)
    cutoff = hg.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    time.sleep(1.1)
    # AWS's "Revoke active sessions": an inline deny on aws:TokenIssueTime.
    root.put_role_policy(
        RoleName=role["RoleName"],
        PolicyName="AWSRevokeOlderSessions",
        PolicyDocument=doc(
            {
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}},
            }
        ),
    )
    e = expect_error(iam(old).list_roles, code="AccessDenied", status=403)
    assert e.response["Error"]["Message"].endswith("with an explicit deny in an identity-based policy")
    # GetCallerIdentity is never denied.
    assert sts(old).get_caller_identity()["Arn"] == session_arn(role["RoleName"], "old")
    new = session_creds(sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="new"))
    iam(new).list_roles()


# --- chaining ----------------------------------------------------------------------------------


def test_role_chaining_and_its_one_hour_cap(iam, sts):
    root = iam()
    second = make_role(root, account_trust(), allow("iam:ListRoles"), MaxSessionDuration=43200)
    first = make_role(
        root, account_trust(), allow("sts:AssumeRole", resource=second["Arn"]), MaxSessionDuration=43200
    )
    uname, ucreds = make_user(root, allow("sts:AssumeRole", resource=first["Arn"]))
    # From long-term keys a 12-hour session is fine.
    r1 = sts(ucreds).assume_role(RoleArn=first["Arn"], RoleSessionName="one", DurationSeconds=43200)
    s1 = session_creds(r1)
    expect_error(iam(s1).list_roles, code="AccessDenied", status=403)
    cap = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    expect_error(
        sts(s1).assume_role,
        RoleArn=second["Arn"],
        RoleSessionName="two",
        DurationSeconds=3601,
        code="ValidationError",
        status=400,
        message=cap,
    )
    r2 = sts(s1).assume_role(RoleArn=second["Arn"], RoleSessionName="two", DurationSeconds=3600)
    assert r2["AssumedRoleUser"]["Arn"] == session_arn(second["RoleName"], "two")
    assert r2["Credentials"]["Expiration"] <= hg.utcnow() + dt.timedelta(seconds=3610)
    s2 = session_creds(r2)
    iam(s2).list_roles()
    assert sts(s2).get_caller_identity()["Arn"] == session_arn(second["RoleName"], "two")
    # A trust policy naming the first role's ARN admits its sessions.
    third = make_role(root, trust({"AWS": first["Arn"]}))
    sts(s1).assume_role(RoleArn=third["Arn"], RoleSessionName="three")
    # GetSessionToken credentials count as chaining too.
    st = sts(ucreds).get_session_token()["Credentials"]
    st_creds = Creds(st["AccessKeyId"], st["SecretAccessKey"], st["SessionToken"])
    expect_error(
        sts(st_creds).assume_role,
        RoleArn=first["Arn"],
        RoleSessionName="gst",
        DurationSeconds=7200,
        code="ValidationError",
        status=400,
        message=cap,
    )
    sts(st_creds).assume_role(RoleArn=first["Arn"], RoleSessionName="gst")


def test_duration_limits(iam, sts):
    root = iam()
    role = make_role(root, account_trust())
    uname, ucreds = make_user(root, allow("sts:AssumeRole"))
    c = sts(ucreds, validate=False)
    expect_error(
        c.assume_role,
        RoleArn=role["Arn"],
        RoleSessionName="dd",
        DurationSeconds=7200,
        code="ValidationError",
        status=400,
        message="The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )
    expect_error(
        c.assume_role,
        RoleArn=role["Arn"],
        RoleSessionName="dd",
        DurationSeconds=899,
        code="ValidationError",
        status=400,
        message="1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    )
    expect_error(
        c.assume_role,
        RoleArn=role["Arn"],
        RoleSessionName="dd",
        DurationSeconds=43201,
        code="ValidationError",
        status=400,
        message="1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200",
    )
    r = c.assume_role(RoleArn=role["Arn"], RoleSessionName="dd", DurationSeconds=900)
    exp = r["Credentials"]["Expiration"]
    assert hg.utcnow() + dt.timedelta(seconds=880) <= exp <= hg.utcnow() + dt.timedelta(seconds=905)


# --- trust conditions, tags, source identity -----------------------------------------------------


def test_trust_conditions_external_id_session_name_principal_tag(iam, sts):
    root = iam()
    uname, ucreds = make_user(root, allow("sts:AssumeRole"), Tags=[{"Key": "team", "Value": "blue"}])
    ext = make_role(root, account_trust(Condition={"StringEquals": {"sts:ExternalId": "xyz-123"}}))
    c = sts(ucreds)
    expect_error(c.assume_role, RoleArn=ext["Arn"], RoleSessionName="ee", code="AccessDenied", status=403)
    expect_error(
        c.assume_role, RoleArn=ext["Arn"], RoleSessionName="ee", ExternalId="wrong-1", code="AccessDenied", status=403
    )
    c.assume_role(RoleArn=ext["Arn"], RoleSessionName="ee", ExternalId="xyz-123")

    named = make_role(root, account_trust(Condition={"StringLike": {"sts:RoleSessionName": "${aws:username}"}}))
    expect_error(c.assume_role, RoleArn=named["Arn"], RoleSessionName="someone", code="AccessDenied", status=403)
    c.assume_role(RoleArn=named["Arn"], RoleSessionName=uname)

    tagged = make_role(root, account_trust(Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}))
    c.assume_role(RoleArn=tagged["Arn"], RoleSessionName="tt")
    other, ocreds = make_user(root, allow("sts:AssumeRole"), Tags=[{"Key": "team", "Value": "red"}])
    expect_error(sts(ocreds).assume_role, RoleArn=tagged["Arn"], RoleSessionName="tt", code="AccessDenied", status=403)


def test_session_tags_need_tag_session_and_pass_on(iam, sts):
    root = iam()
    uname, ucreds = make_user(root, allow("sts:AssumeRole", "sts:TagSession"))
    plain = make_role(root, account_trust())
    tags = [{"Key": "project", "Value": "apollo"}, {"Key": "cost", "Value": "42"}]
    expect_error(
        sts(ucreds).assume_role,
        RoleArn=plain["Arn"],
        RoleSessionName="tt",
        Tags=tags,
        code="AccessDenied",
        status=403,
        message=f"User: arn:aws:iam::{ACCOUNT_ID}:user/{uname} is not authorized to perform: sts:TagSession on resource: {plain['Arn']}",
    )
    # The role may only list roles when the session is tagged project=apollo.
    second = make_role(
        root,
        account_trust(action=["sts:AssumeRole", "sts:TagSession"]),
        allow("iam:ListRoles", Condition={"StringEquals": {"aws:PrincipalTag/project": "apollo"}}),
    )
    first = make_role(
        root,
        account_trust(action=["sts:AssumeRole", "sts:TagSession"]),
        allow("sts:AssumeRole", "sts:TagSession"),
        allow("iam:ListRoles", Condition={"StringEquals": {"aws:PrincipalTag/project": "apollo"}}),
    )
    r = sts(ucreds).assume_role(
        RoleArn=first["Arn"], RoleSessionName="tt", Tags=tags, TransitiveTagKeys=["project"]
    )
    assert 0 < r["PackedPolicySize"] <= 100
    s1 = session_creds(r)
    iam(s1).list_roles()
    # Chained: the transitive tag passes on; overriding it is refused.
    s2 = session_creds(sts(s1).assume_role(RoleArn=second["Arn"], RoleSessionName="t2"))
    iam(s2).list_roles()
    expect_error(
        sts(s1).assume_role,
        RoleArn=second["Arn"],
        RoleSessionName="t3",
        Tags=[{"Key": "project", "Value": "other"}],
        code="ValidationError",
        status=400,
    )
    # Without the tag, the role's condition fails.
    s3 = session_creds(sts(ucreds).assume_role(RoleArn=second["Arn"], RoleSessionName="none"))
    expect_error(iam(s3).list_roles, code="AccessDenied", status=403)
    # A transitive key must be one of the tags.
    expect_error(
        sts(ucreds).assume_role,
        RoleArn=first["Arn"],
        RoleSessionName="tt",
        Tags=tags,
        TransitiveTagKeys=["nope"],
        code="ValidationError",
        status=400,
    )


def test_source_identity_needs_permission_and_sticks(iam, sts):
    root = iam()
    uname, ucreds = make_user(root, allow("sts:AssumeRole", "sts:SetSourceIdentity"))
    plain = make_role(root, account_trust())
    expect_error(
        sts(ucreds).assume_role,
        RoleArn=plain["Arn"],
        RoleSessionName="si",
        SourceIdentity="alice",
        code="AccessDenied",
        status=403,
        message=f"User: arn:aws:iam::{ACCOUNT_ID}:user/{uname} is not authorized to perform: sts:SetSourceIdentity on resource: {plain['Arn']}",
    )
    act = ["sts:AssumeRole", "sts:SetSourceIdentity"]
    second = make_role(root, account_trust(action=act), allow("iam:ListRoles", Condition={"StringEquals": {"aws:SourceIdentity": "alice"}}))
    first = make_role(root, account_trust(action=act), allow("sts:AssumeRole", "sts:SetSourceIdentity"))
    r = sts(ucreds).assume_role(RoleArn=first["Arn"], RoleSessionName="si", SourceIdentity="alice")
    assert r["SourceIdentity"] == "alice"
    s1 = session_creds(r)
    r2 = sts(s1).assume_role(RoleArn=second["Arn"], RoleSessionName="si2")
    assert r2["SourceIdentity"] == "alice"  # sticks through the chain
    iam(session_creds(r2)).list_roles()
    expect_error(
        sts(s1).assume_role,
        RoleArn=second["Arn"],
        RoleSessionName="si3",
        SourceIdentity="mallory",
        code="AccessDenied",
        status=403,
    )
    # Inherited source identity needs sts:SetSourceIdentity in the next trust policy too.
    no_si = make_role(root, account_trust())
    expect_error(sts(s1).assume_role, RoleArn=no_si["Arn"], RoleSessionName="xx", code="AccessDenied", status=403)


def test_mfa_parameters_are_refused(iam, sts):
    root = iam()
    role = make_role(root, account_trust())
    uname, ucreds = make_user(root, allow("sts:AssumeRole"))
    e = expect_error(
        sts(ucreds).assume_role,
        RoleArn=role["Arn"],
        RoleSessionName="mfa",
        SerialNumber=f"arn:aws:iam::{ACCOUNT_ID}:mfa/{uname}",
        TokenCode="123456",
        code="AccessDenied",
        status=403,
    )
    assert "MFA" in e.response["Error"]["Message"]


# --- bad input ---------------------------------------------------------------------------------


def test_bad_input_gets_aws_errors(iam, sts):
    root = iam()
    role = make_role(root, account_trust())
    uname, ucreds = make_user(root, allow("sts:AssumeRole"))
    c = sts(ucreds, validate=False)
    expect_error(
        c.assume_role,
        RoleArn=role["Arn"],
        RoleSessionName="has space",
        code="ValidationError",
        status=400,
        message="1 validation error detected: Value 'has space' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    )
    expect_error(c.assume_role, RoleArn=role["Arn"], RoleSessionName="x", code="ValidationError", status=400)
    expect_error(
        c.assume_role, RoleArn=role["Arn"], RoleSessionName="xx" * 65, code="ValidationError", status=400
    )
    expect_error(
        c.assume_role,
        RoleArn=role["Arn"],
        RoleSessionName="bad-json",
        Policy='{"Version":"2012-10-17","Statement":[',
        code="MalformedPolicyDocument",
        status=400,
    )
    expect_error(
        c.assume_role,
        RoleArn=role["Arn"],
        RoleSessionName="principal",
        Policy=doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
        code="MalformedPolicyDocument",
        status=400,
    )
    arns = [{"arn": f"arn:aws:iam::{ACCOUNT_ID}:policy/p{i}"} for i in range(11)]
    expect_error(
        c.assume_role,
        RoleArn=role["Arn"],
        RoleSessionName="eleven",
        PolicyArns=arns,
        code="ValidationError",
        status=400,
        match="policyArns",
    )
    expect_error(
        c.assume_role,
        RoleArn=role["Arn"],
        RoleSessionName="missing",
        PolicyArns=[{"arn": f"arn:aws:iam::{ACCOUNT_ID}:policy/none-{unique()}"}],
        code="MalformedPolicyDocument",
        status=400,
    )
    # Session policies plus ARNs past the packed budget.
    big = json.dumps(
        {"Version": "2012-10-17", "Statement": [allow(f"iam:Get{'X' * 40}{i}") for i in range(20)]},
        separators=(",", ":"),
    )
    assert len(big) <= 2048
    ten = []
    for i in range(10):
        p = root.create_policy(PolicyName=unique(f"pk{i}") + "x" * 60, PolicyDocument=doc(allow("iam:ListRoles")))
        ten.append({"arn": p["Policy"]["Arn"]})
    e = expect_error(
        c.assume_role,
        RoleArn=role["Arn"],
        RoleSessionName="packed",
        Policy=big,
        PolicyArns=ten,
        code="PackedPolicyTooLarge",
        status=400,
    )
    assert re.match(r"^Packed policy consumes \d+% of allotted space", e.response["Error"]["Message"])
    expect_error(
        c.assume_role,
        RoleArn="arn:aws:iam::" + ACCOUNT_ID + ":user/not-a-role",
        RoleSessionName="ss",
        code="ValidationError",
        status=400,
    )


def test_tampered_or_misplaced_tokens_are_invalid(iam, sts, fresh_server):
    root = iam()
    role = make_role(root, account_trust())
    uname, ucreds = make_user(root, allow("sts:AssumeRole"))
    s = session_creds(sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="tamper"))
    sts(s).get_caller_identity()
    tok = s.session_token
    i = len(tok) // 2
    tampered = Creds(s.access_key_id, s.secret_access_key, tok[:i] + ("A" if tok[i] != "A" else "B") + tok[i + 1 :])
    expect_error(sts(tampered).get_caller_identity, code="InvalidClientTokenId", status=403)
    # The token of one session with the key id of another.
    other = session_creds(sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="other"))
    swapped = Creds(other.access_key_id, s.secret_access_key, s.session_token)
    expect_error(sts(swapped).get_caller_identity, code="InvalidClientTokenId", status=403)
    # No token at all with an ASIA key.
    expect_error(
        sts(Creds(s.access_key_id, s.secret_access_key)).get_caller_identity,
        code="InvalidClientTokenId",
        status=403,
    )
    # A token with a long-term key.
    expect_error(
        sts(Creds(ucreds.access_key_id, ucreds.secret_access_key, s.session_token)).get_caller_identity,
        code="InvalidClientTokenId",
        status=403,
    )
    # A session of another server (another server key) is unknown here.
    expect_error(fresh_server.sts(s).get_caller_identity, code="InvalidClientTokenId", status=403)
    # The wrong secret with a valid token: the signature does not match.
    wrong = Creds(s.access_key_id, "x" * 40, s.session_token)
    expect_error(sts(wrong).get_caller_identity, code="SignatureDoesNotMatch", status=403)


# --- DecodeAuthorizationMessage ----------------------------------------------------------------


def test_access_denied_carries_a_decodable_message(iam, sts):
    root = iam()
    uname, ucreds = make_user(root, {"Effect": "Deny", "Sid": "NoUsers", "Action": "iam:ListUsers", "Resource": "*"})
    e = expect_error(iam(ucreds).list_users, code="AccessDenied", status=403)
    encoded = e.response["Error"]["EncodedMessage"]
    assert encoded
    # The user itself may not decode.
    expect_error(
        sts(ucreds).decode_authorization_message,
        EncodedMessage=encoded,
        code="AccessDenied",
        status=403,
    )
    dname, dcreds = make_user(root, allow("sts:DecodeAuthorizationMessage"))
    decoded = json.loads(sts(dcreds).decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
    assert decoded["allowed"] is False
    assert decoded["explicitDeny"] is True
    ctx = decoded["context"]
    assert ctx["action"] == "iam:ListUsers"
    assert ctx["principal"]["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{uname}"
    keys = {c["key"]: [v["value"] for v in c["values"]["items"]] for c in ctx["conditions"]["items"]}
    assert keys["aws:SourceIp"] == ["127.0.0.1"]
    assert keys["aws:username"] == [uname]
    assert keys["aws:RequestedRegion"] == ["us-east-1"]
    stmts = decoded["matchedStatements"]["items"]
    assert [s["statementId"] for s in stmts] == ["NoUsers"]
    assert stmts[0]["effect"] == "DENY"
    assert stmts[0]["policyType"] == "identity-based policy"
    # Root may decode too; garbage is refused.
    json.loads(sts().decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
    expect_error(
        sts(dcreds).decode_authorization_message,
        EncodedMessage="not-a-message",
        code="InvalidAuthorizationMessageException",
        status=400,
    )
    # Denied AssumeRole calls carry one as well.
    role = make_role(root, account_trust())
    e = expect_error(sts(ucreds).assume_role, RoleArn=role["Arn"], RoleSessionName="xx", code="AccessDenied", status=403)
    d = json.loads(sts(dcreds).decode_authorization_message(EncodedMessage=e.response["Error"]["EncodedMessage"])["DecodedMessage"])
    assert d["context"]["action"] == "sts:AssumeRole"
    assert d["context"]["resource"] == role["Arn"]
    keys = {c["key"] for c in d["context"]["conditions"]["items"]}
    assert "sts:RoleSessionName" in keys


def test_get_caller_identity_cannot_be_denied(iam, sts):
    root = iam()
    role = make_role(root, account_trust(), {"Effect": "Deny", "Action": "*", "Resource": "*"})
    uname, ucreds = make_user(root, allow("sts:AssumeRole"), {"Effect": "Deny", "Action": "sts:GetCallerIdentity", "Resource": "*"})
    assert sts(ucreds).get_caller_identity()["Arn"].endswith(f":user/{uname}")
    # The user's deny is on GetCallerIdentity only; AssumeRole is allowed.
    s = session_creds(sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="dd"))
    assert sts(s).get_caller_identity()["Arn"] == session_arn(role["RoleName"], "dd")
    expect_error(iam(s).list_roles, code="AccessDenied", status=403)
