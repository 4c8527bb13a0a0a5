"""`hourglass move-key-to-role` (issue 15 item 5): through the public API only, a user's
permissions (inline, attached, group inline and attached, boundary) are copied onto a new role,
the user may assume it, the printed ~/.aws/config profile switches a boto3 application from
the key to the role, and the old key is retired only once the audit log shows the role in use
and the key idle."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from unittest import mock

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import hg

ACCOUNT = hg.ACCOUNT_ID


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*") -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def move(srv, *args: str, creds: hg.Creds = hg.ROOT, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = hg.clean_env() | creds.env() | (extra_env or {})
    return subprocess.run(
        [str(hg.binary_path()), "move-key-to-role", "--endpoint-url", srv.endpoint, *args],
        env=env, capture_output=True, text=True, timeout=120,
    )


def write_profiles(tmp: Path, name: str, key: hg.Creds, endpoint: str) -> tuple[Path, Path]:
    """The application's files: its key in the credentials file, the endpoint in the config."""
    creds = tmp / "credentials"
    creds.write_text(f"[{name}]\naws_access_key_id = {key.access_key_id}\naws_secret_access_key = {key.secret_access_key}\n")
    config = tmp / "config"
    config.write_text(f"[profile {name}]\nregion = us-east-1\nendpoint_url = {endpoint}\n")
    return creds, config


def app_clients(creds: Path, config: Path, profile: str):
    """A boto3 application configured only through AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE
    and its profile name: its S3 and STS clients."""
    env = hg.clean_env() | {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(creds)}
    cfg = Config(retries={"total_max_attempts": 1})
    with mock.patch.dict(os.environ, env, clear=True):
        session = boto3.session.Session(profile_name=profile)
        return session.client("s3", config=cfg), session.client("sts", config=cfg)


def status_of(iam, user: str, key: str) -> str | None:
    keys = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]}
    return keys.get(key)


def commit_audit(srv) -> None:
    hg.client("cloudtrail", srv.endpoint, hg.ROOT).lookup_events(MaxResults=1)


def test_key_based_application_moves_to_role(fresh_server, tmp_path):
    srv = fresh_server
    iam = srv.iam()
    bucket = "app-data"
    hg.client("s3", srv.endpoint, hg.ROOT).create_bucket(Bucket=bucket)
    _, key, _ = hg.create_user_with_key(iam, "app")
    # Permissions from every place they can come from.
    iam.put_user_policy(UserName="app", PolicyName="write", PolicyDocument=doc(allow(["s3:PutObject", "s3:GetObject"], f"arn:aws:s3:::{bucket}/*")))
    listing = iam.create_policy(PolicyName="list", PolicyDocument=doc(allow("s3:ListBucket", f"arn:aws:s3:::{bucket}")))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="app", PolicyArn=listing)
    iam.create_group(GroupName="readers")
    iam.add_user_to_group(GroupName="readers", UserName="app")
    iam.put_group_policy(GroupName="readers", PolicyName="buckets", PolicyDocument=doc(allow("s3:ListAllMyBuckets")))
    whoami = iam.create_policy(PolicyName="whoami", PolicyDocument=doc(allow("iam:GetUser")))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="readers", PolicyArn=whoami)
    boundary = iam.create_policy(PolicyName="bound", PolicyDocument=doc(allow(["s3:*", "sts:AssumeRole", "iam:GetUser"])))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName="app", PermissionsBoundary=boundary)

    # The application, on its key.
    creds_file, config_file = write_profiles(tmp_path, "app", key, srv.endpoint)
    s3, sts = app_clients(creds_file, config_file, "app")
    s3.put_object(Bucket=bucket, Key="before", Body=b"1")
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/app"

    p = move(srv, "--user", "app", "--source-profile", "app")
    assert p.returncode == 0, p.stderr
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/app-role"
    assert f"role_arn = {role_arn}" in p.stdout and "source_profile = app" in p.stdout
    for secret in (key.secret_access_key, hg.ROOT_SECRET):
        assert secret not in p.stdout + p.stderr

    # The role has the user's permissions, a trust policy for the account and the boundary.
    role = iam.get_role(RoleName="app-role")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    assert set(iam.list_role_policies(RoleName="app-role")["PolicyNames"]) == {"write", "group-readers-buckets"}
    assert iam.get_role_policy(RoleName="app-role", PolicyName="write")["PolicyDocument"] == \
        iam.get_user_policy(UserName="app", PolicyName="write")["PolicyDocument"]
    attached = {a["PolicyArn"] for a in iam.list_attached_role_policies(RoleName="app-role")["AttachedPolicies"]}
    assert attached == {listing, whoami}
    grant = iam.get_user_policy(UserName="app", PolicyName="hourglass-assume-app-role")["PolicyDocument"]
    assert grant["Statement"][0]["Action"] == "sts:AssumeRole" and grant["Statement"][0]["Resource"] == role_arn

    # Before the application switches, the key is not retired: the role is not in use.
    p = move(srv, "--user", "app", "--source-profile", "app", "--deactivate-old-key")
    assert p.returncode != 0
    assert "not in use" in p.stderr, p.stderr
    assert status_of(iam, "app", key.access_key_id) == "Active"

    # The application switches to the printed profile: same files, the profile appended.
    profile = p.stdout[p.stdout.index("[profile app-role]"):].split("\n\n")[0]
    with config_file.open("a") as f:
        f.write("\n" + profile + "\n")
    s3, sts = app_clients(creds_file, config_file, "app-role")
    assert sts.get_caller_identity()["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/")
    s3.put_object(Bucket=bucket, Key="after", Body=b"2")
    assert s3.get_object(Bucket=bucket, Key="before")["Body"].read() == b"1"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["after", "before"]
    # Permissions the user did not have, the role does not have either.
    hg.expect_error(s3.delete_object, Bucket=bucket, Key="before", code="AccessDenied", status=403)
    commit_audit(srv)

    # Now the role is in use and the key made no call but AssumeRole since: retire it.
    p = move(srv, "--user", "app", "--source-profile", "app", "--deactivate-old-key")
    assert p.returncode == 0, p.stderr
    assert f"{key.access_key_id}: deactivated" in p.stdout
    assert status_of(iam, "app", key.access_key_id) == "Inactive"
    # The application's session keeps working until it expires; the key itself is refused.
    s3.put_object(Bucket=bucket, Key="later", Body=b"3")
    old = hg.client("s3", srv.endpoint, key)
    with pytest.raises(ClientError) as e:
        old.list_objects_v2(Bucket=bucket)
    assert e.value.response["Error"]["Code"] in ("InvalidAccessKeyId", "AccessDenied")

    # The re-run reused its role; --delete-old-key then removes the idle key.
    p = move(srv, "--user", "app", "--source-profile", "app", "--delete-old-key")
    assert p.returncode == 0, p.stderr
    assert f"{key.access_key_id}: deleted" in p.stdout
    assert iam.list_access_keys(UserName="app")["AccessKeyMetadata"] == []


def test_key_still_used_is_not_retired(fresh_server, tmp_path):
    srv = fresh_server
    iam = srv.iam()
    _, key, _ = hg.create_user_with_key(iam, "legacy")
    iam.put_user_policy(UserName="legacy", PolicyName="s3", PolicyDocument=doc(allow("s3:ListAllMyBuckets")))
    ci = iam.create_role(RoleName="ci", AssumeRolePolicyDocument=doc({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]

    p = move(srv, "--user", "legacy", "--role-name", "legacy-app", "--trust", ci)
    assert p.returncode == 0, p.stderr
    role = iam.get_role(RoleName="legacy-app")["Role"]
    # Named principals, and the user itself so that it can switch.
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": [ci, f"arn:aws:iam::{ACCOUNT}:user/legacy"]}

    hg.client("sts", srv.endpoint, key).assume_role(RoleArn=role["Arn"], RoleSessionName="try")
    since = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    # ...but the application still uses the key directly.
    hg.client("s3", srv.endpoint, key).list_buckets()
    commit_audit(srv)
    p = move(srv, "--user", "legacy", "--role-name", "legacy-app", "--trust", ci, "--deactivate-old-key", "--idle-since", since)
    assert p.returncode != 0
    assert "not idle" in p.stderr and "ListBuckets x1" in p.stderr, p.stderr
    assert status_of(iam, "legacy", key.access_key_id) == "Active"

    # A role of the same name not made by this command is never taken over.
    iam.create_user(UserName="other")
    iam.create_role(RoleName="other-role", AssumeRolePolicyDocument=doc({
        "Effect": "Allow", "Principal": {"AWS": ci}, "Action": "sts:AssumeRole"}))
    p = move(srv, "--user", "other")
    assert p.returncode != 0 and "was not made for user other" in p.stderr, p.stderr
    assert iam.list_role_policies(RoleName="other-role")["PolicyNames"] == []


def test_bad_input_is_a_clear_failure(fresh_server):
    srv = fresh_server
    p = move(srv, "--user", "nobody")
    assert p.returncode != 0 and "NoSuchEntity" in p.stderr, p.stderr
    _, key, _ = hg.create_user_with_key(srv.iam(), "weak")
    # The operator's own rights are what they are: a user without IAM permissions is refused.
    p = move(srv, "--user", "weak", creds=key)
    assert p.returncode != 0 and "AccessDenied" in p.stderr, p.stderr
    p = move(srv, "--user", "weak", "--trust", "bob")
    assert p.returncode != 0 and "--trust bob" in p.stderr
