"""The aws CLI (v1, run as `python -m awscli` from the venv) against the server.

Each CLI start costs a Python interpreter and the awscli import, so independent invocations
run side by side and set-up that is not about the CLI is done with boto3.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import hg
from hg import ACCOUNT_ID, ROOT_ARN, unique


def parallel(*thunks):
    with ThreadPoolExecutor(len(thunks)) as ex:
        futures = [ex.submit(t) for t in thunks]
        return [f.result() for f in futures]


def test_cli_user_and_key_flow(aws_cli, iam):
    name = unique("cli")
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/cli/{name}"
    user = aws_cli(["iam", "create-user", "--user-name", name, "--path", "/cli/"]).ok()["User"]
    assert user["UserName"] == name
    assert user["Arn"] == arn
    assert hg.USER_ID_RE.match(user["UserId"])

    listed, created = parallel(
        lambda: aws_cli(["iam", "list-users", "--path-prefix", "/cli/"]),
        lambda: aws_cli(["iam", "create-access-key", "--user-name", name]),
    )
    assert name in [u["UserName"] for u in listed.ok()["Users"]]
    ak = created.ok()["AccessKey"]
    assert hg.AKID_RE.match(ak["AccessKeyId"]) and hg.SECRET_RE.match(ak["SecretAccessKey"])
    assert ak["Status"] == "Active"
    creds = hg.Creds.from_access_key(ak)

    ident, keys = parallel(
        lambda: aws_cli(["sts", "get-caller-identity"], creds=creds),
        lambda: aws_cli(["iam", "list-access-keys", "--user-name", name]),
    )
    assert ident.ok() == {"UserId": user["UserId"], "Account": ACCOUNT_ID, "Arn": arn}
    assert [k["AccessKeyId"] for k in keys.ok()["AccessKeyMetadata"]] == [ak["AccessKeyId"]]

    aws_cli(["iam", "update-access-key", "--user-name", name, "--access-key-id", ak["AccessKeyId"],
             "--status", "Inactive"]).ok()
    denied, last = parallel(
        lambda: aws_cli(["sts", "get-caller-identity"], creds=creds),
        lambda: aws_cli(["iam", "get-access-key-last-used", "--access-key-id", ak["AccessKeyId"]]),
    )
    assert denied.rc != 0
    assert "InvalidClientTokenId" in denied.stderr, denied.stderr
    assert last.ok()["AccessKeyLastUsed"]["ServiceName"] == "sts"

    assert aws_cli(["iam", "delete-access-key", "--user-name", name, "--access-key-id",
                    ak["AccessKeyId"]]).ok() is None
    aws_cli(["iam", "delete-user", "--user-name", name]).ok()
    gone = aws_cli(["iam", "get-user", "--user-name", name])
    assert gone.rc != 0
    assert "NoSuchEntity" in gone.stderr
    assert f"The user with name {name} cannot be found." in gone.stderr
    hg.expect_error(iam().get_user, UserName=name, code="NoSuchEntity", status=404)


def test_cli_root_identity(aws_cli):
    ident = aws_cli(["sts", "get-caller-identity"]).ok()
    assert ident == {"UserId": ACCOUNT_ID, "Account": ACCOUNT_ID, "Arn": ROOT_ARN}


def test_cli_errors(aws_cli, iam):
    name = unique("dup")
    iam().create_user(UserName=name)
    dup, wrong, unknown = parallel(
        lambda: aws_cli(["iam", "create-user", "--user-name", name]),
        lambda: aws_cli(["sts", "get-caller-identity"], creds=hg.Creds(hg.ROOT_AKID, "z" * 40)),
        lambda: aws_cli(["sts", "get-caller-identity"], creds=hg.Creds("AKIA" + "Q" * 16, "z" * 40)),
    )
    assert dup.rc != 0
    assert "EntityAlreadyExists" in dup.stderr
    assert f"User with name {name} already exists." in dup.stderr
    assert wrong.rc != 0
    assert "SignatureDoesNotMatch" in wrong.stderr
    assert unknown.rc != 0
    assert "InvalidClientTokenId" in unknown.stderr


def test_cli_list_users_auto_pagination(aws_cli, iam):
    prefix = f"/{unique('clipg')}/"
    c = iam()
    names = {c.create_user(UserName=unique("p"), Path=prefix)["User"]["UserName"] for _ in range(5)}
    # the CLI follows Marker itself, 2 per request; --max-items stops early with a token
    full, part = parallel(
        lambda: aws_cli(["iam", "list-users", "--path-prefix", prefix, "--page-size", "2"]),
        lambda: aws_cli(["iam", "list-users", "--path-prefix", prefix, "--max-items", "2"]),
    )
    assert {u["UserName"] for u in full.ok()["Users"]} == names
    part = part.ok()
    assert len(part["Users"]) == 2
    assert part.get("NextToken")
    rest = aws_cli(["iam", "list-users", "--path-prefix", prefix, "--starting-token", part["NextToken"]]).ok()
    assert {u["UserName"] for u in part["Users"] + rest["Users"]} == names


def test_cli_tags(aws_cli, iam):
    name = unique("tags")
    aws_cli(["iam", "create-user", "--user-name", name, "--tags", "Key=team,Value=blue"]).ok()
    aws_cli(["iam", "tag-user", "--user-name", name, "--tags", "Key=env,Value=prod"]).ok()
    tags = aws_cli(["iam", "list-user-tags", "--user-name", name]).ok()["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "blue", "env": "prod"}
    aws_cli(["iam", "untag-user", "--user-name", name, "--tag-keys", "team"]).ok()
    assert iam().list_user_tags(UserName=name)["Tags"] == [{"Key": "env", "Value": "prod"}]


def test_cli_reads_generated_root_credentials_file(server_factory):
    srv = server_factory(root=None).start()
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(srv.data_dir / "root-credentials")}
    name = unique("fromfile")
    ident, created = parallel(
        lambda: hg.run_aws_cli(["sts", "get-caller-identity"], endpoint=srv.endpoint, extra_env=env),
        # and it is a root credential for IAM too
        lambda: hg.run_aws_cli(["iam", "create-user", "--user-name", name], endpoint=srv.endpoint,
                               extra_env=env),
    )
    assert ident.ok() == {"UserId": ACCOUNT_ID, "Account": ACCOUNT_ID, "Arn": ROOT_ARN}
    assert created.ok()["User"]["UserName"] == name
