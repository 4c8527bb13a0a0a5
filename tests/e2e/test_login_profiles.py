"""Login profiles (Create/Get/Update/DeleteLoginProfile, ChangePassword): Argon2id hashes,
never stored or returned in clear; the account password policy enforced on create, update
and ChangePassword, with reuse prevention."""

from __future__ import annotations

import json
import sqlite3

import hg
from hg import expect_error, unique

VIOLATION = "Password does not conform to the account password policy."


def test_lifecycle(iam):
    c = iam()
    name = hg.create_user(c)["UserName"]
    expect_error(
        c.get_login_profile, UserName=name, code="NoSuchEntity", status=404, message=f"Login Profile for User {name} cannot be found."
    )
    p = c.create_login_profile(UserName=name, Password="Initial-Pass-1", PasswordResetRequired=True)["LoginProfile"]
    assert p["UserName"] == name and p["PasswordResetRequired"] is True and "CreateDate" in p
    assert "Password" not in p
    expect_error(
        c.create_login_profile,
        UserName=name,
        Password="Another-Pass-1",
        code="EntityAlreadyExists",
        status=409,
        message=f"Login Profile for user {name} already exists.",
    )
    c.update_login_profile(UserName=name, PasswordResetRequired=False)
    assert c.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False
    c.update_login_profile(UserName=name, Password="Changed-Pass-2")
    # DeleteUser refuses while the profile exists.
    expect_error(
        c.delete_user, UserName=name, code="DeleteConflict", status=409, message="Cannot delete entity, must delete login profile first."
    )
    c.delete_login_profile(UserName=name)
    expect_error(c.delete_login_profile, UserName=name, code="NoSuchEntity", status=404)
    c.delete_user(UserName=name)
    ghost = unique("ghost")
    expect_error(c.create_login_profile, UserName=ghost, Password="Whatever-1", code="NoSuchEntity", status=404)


def test_password_policy_enforced(iam):
    c = iam()
    c.update_account_password_policy(
        MinimumPasswordLength=12, RequireNumbers=True, RequireSymbols=True, RequireUppercaseCharacters=True, PasswordReusePrevention=2
    )
    try:
        name = hg.create_user(c)["UserName"]
        for weak in ["short1!A", "longenoughbutnonumber!A", "longenough1nosymbolA", "longenough1!nouppercase"]:
            expect_error(
                c.create_login_profile, UserName=name, Password=weak, code="PasswordPolicyViolation", status=400, match=VIOLATION
            )
        expect_error(c.get_login_profile, UserName=name, code="NoSuchEntity", status=404)
        c.create_login_profile(UserName=name, Password="Good-Password-1")
        expect_error(c.update_login_profile, UserName=name, Password="weak", code="PasswordPolicyViolation", status=400)
        # Reuse prevention: the current and the previous password are refused.
        c.update_login_profile(UserName=name, Password="Good-Password-2")
        for reused in ["Good-Password-1", "Good-Password-2"]:
            expect_error(
                c.update_login_profile, UserName=name, Password=reused, code="PasswordPolicyViolation", status=400
            )
        c.update_login_profile(UserName=name, Password="Good-Password-3")
        c.update_login_profile(UserName=name, Password="Good-Password-1")  # 2 changes ago: allowed again
    finally:
        c.delete_account_password_policy()


def test_change_password(iam):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    expect_error(iam(creds).change_password, OldPassword="x", NewPassword="Brand-New-1", code="AccessDenied", status=403)
    c.put_user_policy(
        UserName=name,
        PolicyName="self",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": f"arn:aws:iam::{hg.ACCOUNT_ID}:user/{name}"}],
            }
        ),
    )
    expect_error(iam(creds).change_password, OldPassword="x", NewPassword="Brand-New-1", code="NoSuchEntity", status=404)
    c.create_login_profile(UserName=name, Password="First-Pass-1", PasswordResetRequired=True)
    expect_error(
        iam(creds).change_password, OldPassword="Wrong-Pass-1", NewPassword="Brand-New-1", code="AccessDenied", status=403
    )
    iam(creds).change_password(OldPassword="First-Pass-1", NewPassword="Brand-New-1")
    assert c.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False
    # The old password no longer works as the old password.
    expect_error(
        iam(creds).change_password, OldPassword="First-Pass-1", NewPassword="Brand-New-2", code="AccessDenied", status=403
    )
    iam(creds).change_password(OldPassword="Brand-New-1", NewPassword="Brand-New-2")
    expect_error(c.change_password, OldPassword="a", NewPassword="b", code="InvalidUserType", status=400)


def test_password_never_in_clear(server, iam):
    c = iam()
    name = hg.create_user(c)["UserName"]
    secret = "Very-Secret-" + unique("pw")
    c.create_login_profile(UserName=name, Password=secret)
    raw = server.iam(validate=False)
    expect_error(raw.create_login_profile, UserName=hg.create_user(c)["UserName"], Password="", code="ValidationError", status=400)
    db = server.data_dir / "hourglass.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        hashes = [r[0] for r in conn.execute("SELECT password_hash FROM login_profiles")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    blob = db.read_bytes()
    for suffix in ("-wal", ""):
        f = db.with_name(db.name + suffix) if suffix else db
        if f.exists():
            assert secret.encode() not in f.read_bytes()
    assert secret.encode() not in blob
    assert secret not in server.stderr_text()


def test_bad_password_validation_does_not_echo(server, iam):
    raw = server.iam(validate=False)
    name = hg.create_user(iam())["UserName"]
    e = expect_error(raw.create_login_profile, UserName=name, Password="x" * 129, code="ValidationError", status=400)
    assert "xxxx" not in e.response["Error"]["Message"]


def test_aws_cli(server, iam):
    name = hg.create_user(iam())["UserName"]
    out = server.cli(["iam", "create-login-profile", "--user-name", name, "--password", "Cli-Password-1", "--password-reset-required"]).ok()
    assert out["LoginProfile"]["PasswordResetRequired"] is True
    got = server.cli(["iam", "get-login-profile", "--user-name", name]).ok()
    assert got["LoginProfile"]["UserName"] == name
    server.cli(["iam", "update-login-profile", "--user-name", name, "--no-password-reset-required"]).ok()
    server.cli(["iam", "delete-login-profile", "--user-name", name]).ok()
    res = server.cli(["iam", "get-login-profile", "--user-name", name])
    assert res.rc != 0 and "NoSuchEntity" in res.stderr
