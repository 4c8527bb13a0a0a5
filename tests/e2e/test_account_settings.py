"""Account aliases (Create/Delete/ListAccountAliases) and the account password policy
(Update/Get/DeleteAccountPasswordPolicy)."""

from __future__ import annotations

import json

import hg
from hg import ACCOUNT_ID, expect_error

NO_POLICY = f"The Password Policy with domain name {ACCOUNT_ID} cannot be found."


def test_alias_lifecycle(iam):
    c = iam()
    assert c.list_account_aliases()["AccountAliases"] == []
    c.create_account_alias(AccountAlias="my-org")
    assert c.list_account_aliases()["AccountAliases"] == ["my-org"]
    c.create_account_alias(AccountAlias="my-org")  # idempotent
    # One alias per account: a new one replaces the old.
    c.create_account_alias(AccountAlias="my-org-2")
    assert c.list_account_aliases()["AccountAliases"] == ["my-org-2"]
    expect_error(
        c.delete_account_alias,
        AccountAlias="my-org",
        code="NoSuchEntity",
        status=404,
        message="The account alias my-org cannot be found.",
    )
    c.delete_account_alias(AccountAlias="my-org-2")
    assert c.list_account_aliases()["AccountAliases"] == []


def test_alias_validation(server, iam):
    raw = server.iam(validate=False)
    for bad in ["ab", "-abc", "abc-", "a--b", "Upper", "a_b", "x" * 64]:
        expect_error(raw.create_account_alias, AccountAlias=bad, code="ValidationError", status=400)
    assert iam().list_account_aliases()["AccountAliases"] == []


def test_alias_needs_permission(iam):
    c = iam()
    _, creds, _ = hg.create_user_with_key(c)
    expect_error(iam(creds).create_account_alias, AccountAlias="denied-alias", code="AccessDenied", status=403)
    expect_error(iam(creds).list_account_aliases, code="AccessDenied", status=403)
    assert c.list_account_aliases()["AccountAliases"] == []


def test_password_policy_lifecycle(iam):
    c = iam()
    expect_error(c.get_account_password_policy, code="NoSuchEntity", status=404, message=NO_POLICY)
    expect_error(c.delete_account_password_policy, code="NoSuchEntity", status=404, message=NO_POLICY)
    c.update_account_password_policy(
        MinimumPasswordLength=12,
        RequireSymbols=True,
        RequireNumbers=True,
        AllowUsersToChangePassword=True,
        MaxPasswordAge=90,
        PasswordReusePrevention=5,
        HardExpiry=False,
    )
    p = c.get_account_password_policy()["PasswordPolicy"]
    assert p == {
        "MinimumPasswordLength": 12,
        "RequireSymbols": True,
        "RequireNumbers": True,
        "RequireUppercaseCharacters": False,
        "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": True,
        "ExpirePasswords": True,
        "MaxPasswordAge": 90,
        "PasswordReusePrevention": 5,
        "HardExpiry": False,
    }
    # Parameters left out return to their defaults, as on AWS.
    c.update_account_password_policy(RequireUppercaseCharacters=True)
    p = c.get_account_password_policy()["PasswordPolicy"]
    assert p["MinimumPasswordLength"] == 6
    assert p["RequireUppercaseCharacters"] is True
    assert p["RequireSymbols"] is False
    assert p["ExpirePasswords"] is False
    assert "MaxPasswordAge" not in p and "PasswordReusePrevention" not in p
    c.delete_account_password_policy()
    expect_error(c.get_account_password_policy, code="NoSuchEntity", status=404, message=NO_POLICY)


def test_password_policy_validation_changes_nothing(server, iam):
    c = iam()
    raw = server.iam(validate=False)
    c.update_account_password_policy(MinimumPasswordLength=10)
    for kw, member in [
        ({"MinimumPasswordLength": 5}, "minimumPasswordLength"),
        ({"MinimumPasswordLength": 129}, "minimumPasswordLength"),
        ({"MaxPasswordAge": 0}, "maxPasswordAge"),
        ({"MaxPasswordAge": 1096}, "maxPasswordAge"),
        ({"PasswordReusePrevention": 25}, "passwordReusePrevention"),
    ]:
        e = expect_error(raw.update_account_password_policy, **kw, code="ValidationError", status=400)
        assert f"at '{member}'" in e.response["Error"]["Message"], e.response
    assert c.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 10
    c.delete_account_password_policy()


def test_password_policy_permissions(iam):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    expect_error(iam(creds).update_account_password_policy, MinimumPasswordLength=8, code="AccessDenied", status=403)
    c.put_user_policy(
        UserName=name,
        PolicyName="p",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:*AccountPasswordPolicy", "Resource": "*"}],
            }
        ),
    )
    iam(creds).update_account_password_policy(MinimumPasswordLength=8)
    assert iam(creds).get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 8
    iam(creds).delete_account_password_policy()


def test_aws_cli(server):
    server.cli(["iam", "create-account-alias", "--account-alias", "cli-alias"]).ok()
    assert server.cli(["iam", "list-account-aliases"]).ok()["AccountAliases"] == ["cli-alias"]
    server.cli(["iam", "delete-account-alias", "--account-alias", "cli-alias"]).ok()
    server.cli(["iam", "update-account-password-policy", "--minimum-password-length", "14", "--require-numbers"]).ok()
    got = server.cli(["iam", "get-account-password-policy"]).ok()["PasswordPolicy"]
    assert (got["MinimumPasswordLength"], got["RequireNumbers"]) == (14, True)
    server.cli(["iam", "delete-account-password-policy"]).ok()
    res = server.cli(["iam", "get-account-password-policy"])
    assert res.rc != 0 and "NoSuchEntity" in res.stderr
