"""Temporary credentials end to end: the aws CLI assume-role flow, converting a user's
long-lived key into a role, GetSessionToken, sessions across restarts and key rotation,
expiry (under faketime), and the `hourglass revoke-sessions` operator command."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import time

import pytest

import hg
from hg import ACCOUNT_ID, Creds, expect_error, unique

INVALID_TOKEN = "The security token included in the request is invalid"


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(*actions, resource="*") -> dict:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource}


ACCOUNT_TRUST = doc(
    {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
        "Action": "sts:AssumeRole",
    }
)


def creds_of(c: dict) -> Creds:
    return Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def setup_role(srv, *statements, name=None) -> tuple[dict, str, Creds]:
    """A role trusting the account with `statements`, and a user allowed to assume it."""
    root = srv.iam()
    name = name or unique("role")
    role = root.create_role(RoleName=name, AssumeRolePolicyDocument=ACCOUNT_TRUST)["Role"]
    if statements:
        root.put_role_policy(RoleName=name, PolicyName="perms", PolicyDocument=doc(*statements))
    uname, ucreds, _ = hg.create_user_with_key(root)
    root.put_user_policy(
        UserName=uname, PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", resource=role["Arn"]))
    )
    return role, uname, ucreds


def cli_error_code(res) -> str:
    assert res.rc != 0, res.stdout
    return res.stderr


# --- the aws CLI -------------------------------------------------------------------------------


def test_cli_assume_role_export_and_use(server, aws_cli):
    role, uname, ucreds = setup_role(server, allow("iam:ListRoles"))
    out = aws_cli(
        ["sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "cli-session"],
        creds=ucreds,
    ).ok()
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role['RoleName']}/cli-session"
    c = out["Credentials"]
    # Exactly what a shell user does: export the three variables and call away.
    script = (
        f"export AWS_ACCESS_KEY_ID='{c['AccessKeyId']}'\n"
        f"export AWS_SECRET_ACCESS_KEY='{c['SecretAccessKey']}'\n"
        f"export AWS_SESSION_TOKEN='{c['SessionToken']}'\n"
        f"{sys.executable} -m awscli sts get-caller-identity --output json\n"
        f"{sys.executable} -m awscli iam list-roles --output json > /dev/null\n"
        f"{sys.executable} -m awscli iam list-users --output json\n"
    )
    env = hg.clean_env()
    env.update(
        AWS_ENDPOINT_URL=server.endpoint,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_MAX_ATTEMPTS="1",
        AWS_PAGER="",
    )
    p = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120)
    ident = json.loads(p.stdout.split("\n}\n")[0] + "\n}")
    assert ident["Arn"] == out["AssumedRoleUser"]["Arn"]
    assert ident["UserId"] == out["AssumedRoleUser"]["AssumedRoleId"]
    # list-roles worked (its output went to /dev/null); list-users is not the role's.
    assert p.returncode != 0
    assert "AccessDenied" in p.stderr and "iam:ListUsers" in p.stderr, p.stderr

    # Bad input through the CLI.
    res = aws_cli(
        ["sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "has space"],
        creds=ucreds,
    )
    assert res.rc != 0 and "ValidationError" in res.stderr, res.stderr
    res = aws_cli(
        [
            "sts",
            "assume-role",
            "--role-arn",
            role["Arn"],
            "--role-session-name",
            "long",
            "--duration-seconds",
            "7200",
        ],
        creds=ucreds,
    )
    assert "The requested DurationSeconds exceeds the MaxSessionDuration set for this role." in res.stderr


def test_convert_a_long_lived_user_key_to_a_role(server, aws_cli):
    root = server.iam()
    # A user working with a long-lived key, with an inline and a managed policy.
    uname, ucreds, _ = hg.create_user_with_key(root)
    root.put_user_policy(UserName=uname, PolicyName="list-roles", PolicyDocument=doc(allow("iam:ListRoles")))
    managed = root.create_policy(PolicyName=unique("read-users"), PolicyDocument=doc(allow("iam:ListUsers")))["Policy"]
    root.attach_user_policy(UserName=uname, PolicyArn=managed["Arn"])
    server.iam(ucreds).list_roles()
    server.iam(ucreds).list_users()

    # Copy the user's policies to a new role that trusts the account.
    rname = unique(f"{uname}-role")
    role = root.create_role(RoleName=rname, AssumeRolePolicyDocument=ACCOUNT_TRUST)["Role"]
    for pname in root.list_user_policies(UserName=uname)["PolicyNames"]:
        text = root.get_user_policy(UserName=uname, PolicyName=pname)["PolicyDocument"]
        root.put_role_policy(RoleName=rname, PolicyName=pname, PolicyDocument=json.dumps(text))
    for att in root.list_attached_user_policies(UserName=uname)["AttachedPolicies"]:
        root.attach_role_policy(RoleName=rname, PolicyArn=att["PolicyArn"])
    # The user keeps only the right to assume the role.
    root.detach_user_policy(UserName=uname, PolicyArn=managed["Arn"])
    root.delete_user_policy(UserName=uname, PolicyName="list-roles")
    root.put_user_policy(
        UserName=uname, PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", resource=role["Arn"]))
    )
    expect_error(server.iam(ucreds).list_users, code="AccessDenied", status=403)

    # Work with temporary credentials instead (boto3 and the CLI).
    resp = server.sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName=uname)
    temp = creds_of(resp["Credentials"])
    server.iam(temp).list_roles()
    server.iam(temp).list_users()
    assert aws_cli(["iam", "list-users"], creds=temp).ok()["Users"]

    # Deactivate, then delete, the old key: it fails everywhere.
    root.update_access_key(UserName=uname, AccessKeyId=ucreds.access_key_id, Status="Inactive")
    for call in (server.iam(ucreds).list_roles, server.sts(ucreds).get_caller_identity):
        expect_error(call, code="InvalidClientTokenId", status=403)
    res = aws_cli(["sts", "get-caller-identity"], creds=ucreds)
    assert res.rc != 0 and "InvalidClientTokenId" in res.stderr, res.stderr
    root.delete_access_key(UserName=uname, AccessKeyId=ucreds.access_key_id)
    for call in (server.iam(ucreds).list_users, server.sts(ucreds).get_caller_identity):
        expect_error(call, code="InvalidClientTokenId", status=403)
    expect_error(
        server.sts(ucreds).assume_role,
        RoleArn=role["Arn"],
        RoleSessionName="again",
        code="InvalidClientTokenId",
        status=403,
    )
    res = aws_cli(["iam", "list-roles"], creds=ucreds)
    assert res.rc != 0 and "InvalidClientTokenId" in res.stderr, res.stderr
    # As on AWS, sessions issued before keep working until they expire (or are revoked).
    server.iam(temp).list_roles()


# --- GetSessionToken ---------------------------------------------------------------------------


def test_get_session_token_durations_and_limits(server):
    root = server.iam()
    uname, ucreds, _ = hg.create_user_with_key(root)
    root.put_user_policy(
        UserName=uname,
        PolicyName="p",
        PolicyDocument=doc(allow("iam:ListRoles", "sts:AssumeRole", "sts:GetAccessKeyInfo")),
    )
    sts = server.sts(ucreds, validate=False)
    now = hg.utcnow()
    c = sts.get_session_token()["Credentials"]
    assert now + dt.timedelta(hours=12) - dt.timedelta(seconds=10) <= c["Expiration"] <= hg.utcnow() + dt.timedelta(hours=12, seconds=10)
    c36 = sts.get_session_token(DurationSeconds=129600)["Credentials"]
    assert c36["Expiration"] >= now + dt.timedelta(hours=36) - dt.timedelta(seconds=10)
    for bad in (899, 129601):
        expect_error(sts.get_session_token, DurationSeconds=bad, code="ValidationError", status=400)
    session = creds_of(c)
    # The session is the user.
    assert server.sts(session).get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{uname}"
    # IAM without MFA: the token reads as invalid (AWS's behaviour).
    e = expect_error(server.iam(session).list_roles, code="InvalidClientTokenId", status=403)
    assert e.response["Error"]["Message"].rstrip(".") == INVALID_TOKEN
    # STS: only AssumeRole and GetCallerIdentity.
    expect_error(
        server.sts(session).get_access_key_info,
        AccessKeyId=ucreds.access_key_id,
        code="AccessDenied",
        status=403,
    )
    expect_error(
        server.sts(session).get_session_token,
        code="AccessDenied",
        status=403,
        message="Cannot call GetSessionToken with session credentials",
    )
    # Root: one hour at most, silently clamped.
    rc = server.sts().get_session_token(DurationSeconds=7200)["Credentials"]
    assert rc["Expiration"] <= hg.utcnow() + dt.timedelta(seconds=3610)
    root_session = creds_of(rc)
    assert server.sts(root_session).get_caller_identity()["Arn"] == hg.ROOT_ARN
    # A role session may not call GetSessionToken either.
    role, _, rcreds = setup_role(server)
    rs = creds_of(server.sts(rcreds).assume_role(RoleArn=role["Arn"], RoleSessionName="rs")["Credentials"])
    expect_error(
        server.sts(rs).get_session_token,
        code="AccessDenied",
        status=403,
        message="Cannot call GetSessionToken with session credentials",
    )


# --- restart, key rotation, expiry -------------------------------------------------------------


def test_sessions_survive_restart_and_key_rotation(fresh_server):
    srv = fresh_server
    role, uname, ucreds = setup_role(srv, allow("iam:ListRoles"))
    before = creds_of(srv.sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="before")["Credentials"])
    gst = creds_of(srv.sts(ucreds).get_session_token()["Credentials"])
    assert before.session_token.startswith("v1.k1.")
    srv.restart()
    srv.iam(before).list_roles()
    srv.sts(gst).get_caller_identity()

    # Rotate the server key (server stopped, as an operator would), restart.
    assert srv.stop() == 0
    p = subprocess.run(
        [str(hg.binary_path()), "rotate-server-key", "--data-dir", str(srv.data_dir)],
        env=hg.clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert p.returncode == 0, p.stderr
    srv.start()
    srv.iam(before).list_roles()  # sealed with k1, still open
    after = creds_of(srv.sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="after")["Credentials"])
    assert after.session_token.startswith("v1.k2.")
    srv.iam(after).list_roles()
    # Chained from a pre-rotation session.
    chained_role = srv.iam().create_role(
        RoleName=unique("chain"),
        AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"AWS": role["Arn"]}, "Action": "sts:AssumeRole"}
        ),
    )["Role"]
    srv.sts(before).assume_role(RoleArn=chained_role["Arn"], RoleSessionName="chained")


class FakeTimeServer(hg.HourglassServer):
    """The server under faketime, `offset` ahead of the real clock."""

    offset = "+2h"

    def command(self):
        return ["faketime", "-f", self.offset] + super().command()


@pytest.mark.skipif(shutil.which("faketime") is None, reason="needs faketime (apt-get install faketime)")
def test_credentials_expire(fresh_server, tmp_path):
    srv = fresh_server
    role, uname, ucreds = setup_role(srv, allow("iam:ListRoles"))
    short = creds_of(
        srv.sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="short", DurationSeconds=900)["Credentials"]
    )
    long = creds_of(
        srv.sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="long", DurationSeconds=3600)["Credentials"]
    )
    gst = creds_of(srv.sts(ucreds).get_session_token(DurationSeconds=3600)["Credentials"])
    gst_long = creds_of(srv.sts(ucreds).get_session_token(DurationSeconds=129600)["Credentials"])
    srv.iam(short).list_roles()
    assert srv.stop() == 0

    # The same data dir, two hours later.
    later = FakeTimeServer(srv.data_dir, log_dir=tmp_path / "logs")
    later.start()
    try:
        skew = dt.timedelta(hours=2)
        with hg.skewed_clock(skew):
            ident = later.sts().get_caller_identity()  # the clocks agree: root still signs fine
            assert ident["Arn"] == hg.ROOT_ARN
            for expired in (short, long, gst):
                e = expect_error(later.sts(expired).get_caller_identity, code="ExpiredToken", status=403)
                assert e.response["Error"]["Message"] == "The security token included in the request is expired"
                expect_error(later.iam(expired).list_roles, code="ExpiredToken", status=403)
            # A 36-hour session token is still good.
            later.sts(gst_long).get_caller_identity()
            # New sessions work at the new time.
            fresh = creds_of(later.sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="new")["Credentials"])
            later.iam(fresh).list_roles()
        # The aws CLI under faketime too.
        env = hg.clean_env()
        env.update(short.env())
        env.update(AWS_ENDPOINT_URL=later.endpoint, AWS_DEFAULT_REGION="us-east-1", AWS_MAX_ATTEMPTS="1")
        p = subprocess.run(
            ["faketime", "-f", "+2h", sys.executable, "-m", "awscli", "sts", "get-caller-identity"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert p.returncode != 0 and "ExpiredToken" in p.stderr, (p.stdout, p.stderr)
    finally:
        later.close()


# --- revocation by the operator command ----------------------------------------------------------


def test_revoke_sessions_command(fresh_server):
    srv = fresh_server
    role, uname, ucreds = setup_role(srv, allow("iam:ListRoles"))
    old = creds_of(srv.sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="old")["Credentials"])
    srv.iam(old).list_roles()
    p = subprocess.run(
        [str(hg.binary_path()), "revoke-sessions", "--role", role["RoleName"], "--data-dir", str(srv.data_dir)],
        env=hg.clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert p.returncode == 0, p.stderr
    assert "AWSRevokeOlderSessions" in p.stdout
    # The running server sees the policy at once: the live session is cut.
    e = expect_error(srv.iam(old).list_roles, code="AccessDenied", status=403)
    assert e.response["Error"]["Message"].endswith("with an explicit deny in an identity-based policy")
    pol = srv.iam().get_role_policy(RoleName=role["RoleName"], PolicyName="AWSRevokeOlderSessions")
    stmt = pol["PolicyDocument"]["Statement"][0]
    assert stmt["Effect"] == "Deny" and stmt["Action"] == ["*"] and stmt["Resource"] == ["*"]
    cutoff = stmt["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
    assert dt.datetime.strptime(cutoff, "%Y-%m-%dT%H:%M:%SZ")
    # Sessions issued after the cutoff are unaffected.
    time.sleep(1.2)
    new = creds_of(srv.sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="new")["Credentials"])
    srv.iam(new).list_roles()
    # Unknown role: a clear failure.
    p = subprocess.run(
        [str(hg.binary_path()), "revoke-sessions", "--role", "no-such-role", "--data-dir", str(srv.data_dir)],
        env=hg.clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert p.returncode != 0 and "no-such-role" in p.stderr, p.stderr
