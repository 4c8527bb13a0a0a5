"""The aws CLI (v1, run as `python -m awscli` from the venv) against the server."""

from __future__ import annotations

import hg
from hg import ACCOUNT_ID, ROOT_ARN, unique


def test_cli_user_and_key_flow(aws_cli):
    name = unique("cli")
    user = aws_cli(["iam", "create-user", "--user-name", name, "--path", "/cli/"]).ok()["User"]
    assert user["UserName"] == name
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/cli/{name}"
    assert hg.USER_ID_RE.match(user["UserId"])

    listed = aws_cli(["iam", "list-users", "--path-prefix", "/cli/"]).ok()["Users"]
    assert name in [u["UserName"] for u in listed]

    ak = aws_cli(["iam", "create-access-key", "--user-name", name]).ok()["AccessKey"]
    assert hg.AKID_RE.match(ak["AccessKeyId"]) and hg.SECRET_RE.match(ak["SecretAccessKey"])
    assert ak["Status"] == "Active"

    ident = aws_cli(["sts", "get-caller-identity"], creds=hg.Creds.from_access_key(ak)).ok()
    assert ident == {
        "UserId": user["UserId"],
        "Account": ACCOUNT_ID,
        "Arn": f"arn:aws:iam::{ACCOUNT_ID}:user/cli/{name}",
    }

    keys = aws_cli(["iam", "list-access-keys", "--user-name", name]).ok()["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [ak["AccessKeyId"]]

    aws_cli(["iam", "update-access-key", "--user-name", name, "--access-key-id", ak["AccessKeyId"],
             "--status", "Inactive"]).ok()
    denied = aws_cli(["sts", "get-caller-identity"], creds=hg.Creds.from_access_key(ak))
    assert denied.rc != 0
    assert "InvalidClientTokenId" in denied.stderr, denied.stderr

    last = aws_cli(["iam", "get-access-key-last-used", "--access-key-id", ak["AccessKeyId"]]).ok()
    assert last["AccessKeyLastUsed"]["ServiceName"] == "sts"

    assert aws_cli(["iam", "delete-access-key", "--user-name", name, "--access-key-id",
                    ak["AccessKeyId"]]).ok() is None
    aws_cli(["iam", "delete-user", "--user-name", name]).ok()
    gone = aws_cli(["iam", "get-user", "--user-name", name])
    assert gone.rc != 0
    assert "NoSuchEntity" in gone.stderr
    assert f"The user with name {name} cannot be found." in gone.stderr


def test_cli_root_identity(aws_cli):
    ident = aws_cli(["sts", "get-caller-identity"]).ok()
    assert ident == {"UserId": ACCOUNT_ID, "Account": ACCOUNT_ID, "Arn": ROOT_ARN}


def test_cli_errors(aws_cli):
    name = unique("dup")
    aws_cli(["iam", "create-user", "--user-name", name]).ok()
    dup = aws_cli(["iam", "create-user", "--user-name", name])
    assert dup.rc != 0
    assert "EntityAlreadyExists" in dup.stderr
    assert f"User with name {name} already exists." in dup.stderr

    wrong = aws_cli(["sts", "get-caller-identity"], creds=hg.Creds(hg.ROOT_AKID, "z" * 40))
    assert wrong.rc != 0
    assert "SignatureDoesNotMatch" in wrong.stderr

    unknown = aws_cli(["sts", "get-caller-identity"], creds=hg.Creds("AKIA" + "Q" * 16, "z" * 40))
    assert unknown.rc != 0
    assert "InvalidClientTokenId" in unknown.stderr


def test_cli_list_users_auto_pagination(aws_cli):
    prefix = f"/{unique('clipg')}/"
    names = {unique("p") for _ in range(5)}
    for n in names:
        aws_cli(["iam", "create-user", "--user-name", n, "--path", prefix]).ok()
    # the CLI follows Marker itself, 2 per request
    out = aws_cli(["iam", "list-users", "--path-prefix", prefix, "--page-size", "2"]).ok()
    assert {u["UserName"] for u in out["Users"]} == names
    # --max-items stops early and hands back a token
    part = aws_cli(["iam", "list-users", "--path-prefix", prefix, "--max-items", "2"]).ok()
    assert len(part["Users"]) == 2
    assert part.get("NextToken")
    rest = aws_cli(["iam", "list-users", "--path-prefix", prefix, "--starting-token", part["NextToken"]]).ok()
    assert {u["UserName"] for u in part["Users"] + rest["Users"]} == names


def test_cli_tags(aws_cli):
    name = unique("tags")
    aws_cli(["iam", "create-user", "--user-name", name, "--tags", "Key=team,Value=blue"]).ok()
    aws_cli(["iam", "tag-user", "--user-name", name, "--tags", "Key=env,Value=prod"]).ok()
    tags = aws_cli(["iam", "list-user-tags", "--user-name", name]).ok()["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "blue", "env": "prod"}
    aws_cli(["iam", "untag-user", "--user-name", name, "--tag-keys", "team"]).ok()
    tags = aws_cli(["iam", "list-user-tags", "--user-name", name]).ok()["Tags"]
    assert tags == [{"Key": "env", "Value": "prod"}]


def test_cli_reads_generated_root_credentials_file(server_factory):
    srv = server_factory(root=None).start()
    path = srv.data_dir / "root-credentials"
    res = hg.run_aws_cli(
        ["sts", "get-caller-identity"],
        endpoint=srv.endpoint,
        extra_env={"AWS_SHARED_CREDENTIALS_FILE": str(path)},
    )
    assert res.ok() == {"UserId": ACCOUNT_ID, "Account": ACCOUNT_ID, "Arn": ROOT_ARN}
    # and it is a root credential for IAM too
    name = unique("fromfile")
    res = hg.run_aws_cli(
        ["iam", "create-user", "--user-name", name],
        endpoint=srv.endpoint,
        extra_env={"AWS_SHARED_CREDENTIALS_FILE": str(path)},
    )
    assert res.ok()["User"]["UserName"] == name
