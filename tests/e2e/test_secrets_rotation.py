"""Rotation without Lambda: the built-in IAM access-key rotator end to end (a program reads
its key pair from a secret and uses it against S3 across rotations; the old key stops
working after the grace step; the 2-key limit), scheduled rotations that survive a restart
(under faketime), external command hooks, failed steps, and concurrent readers."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import hg
from smutil import BUILTIN_ROTATOR, lambda_arn, sm, stages, wait_current, wait_for, wait_rotation_done

PROGRAM = r'''
import json, os, sys
import boto3
from botocore.config import Config
cfg = Config(retries={"total_max_attempts": 1})
ep = os.environ["HG_ENDPOINT"]
reader = boto3.client("secretsmanager", endpoint_url=ep, region_name="us-east-1", config=cfg,
                      aws_access_key_id=os.environ["READER_AKID"], aws_secret_access_key=os.environ["READER_SECRET"])
pair = json.loads(reader.get_secret_value(SecretId=os.environ["SECRET_ID"])["SecretString"])
s3 = boto3.client("s3", endpoint_url=ep, region_name="us-east-1", config=cfg,
                  aws_access_key_id=pair["AccessKeyId"], aws_secret_access_key=pair["SecretAccessKey"])
s3.put_object(Bucket=os.environ["BUCKET"], Key="heartbeat", Body=b"ok")
print(pair["AccessKeyId"])
'''


def run_program(tmp_path: Path, endpoint: str, reader: hg.Creds, secret_id: str, bucket: str) -> str:
    prog = tmp_path / "program.py"
    prog.write_text(PROGRAM)
    env = hg.clean_env()
    env.update(HG_ENDPOINT=endpoint, READER_AKID=reader.access_key_id, READER_SECRET=reader.secret_access_key,
               SECRET_ID=secret_id, BUCKET=bucket)
    p = subprocess.run([sys.executable, str(prog)], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def s3_works(endpoint: str, creds: hg.Creds, bucket: str) -> bool:
    try:
        hg.client("s3", endpoint, creds).put_object(Bucket=bucket, Key="probe", Body=b"x")
        return True
    except ClientError as e:
        assert e.response["Error"]["Code"] in ("InvalidAccessKeyId", "AccessDenied"), e.response
        return False


def key_app(server, *, clock=None):
    """A user with S3 rights, its bucket, its first key, and a secret holding that key."""
    iam = server.iam()
    user = hg.unique("app")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    bucket = hg.unique("bkt")
    hg.client("s3", server.endpoint, server.root).create_bucket(Bucket=bucket)
    name = hg.unique("keys")
    sm(server).create_secret(Name=name, SecretString=json.dumps(
        {"UserName": user, "AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}))
    return user, hg.Creds.from_access_key(key), bucket, name


def config(tmp_path: Path, text: str) -> list[str]:
    p = tmp_path / f"hourglass-{uuid.uuid4().hex[:6]}.toml"
    p.write_text(text)
    return ["--config", str(p)]


def test_forced_rotation_of_an_access_key_end_to_end(server_factory, tmp_path):
    srv = server_factory(extra_args=config(tmp_path, "[secrets]\npoll_interval_secs = 1\nprevious_key_grace_secs = 0\n")).start()
    user, key1, bucket, name = key_app(srv)
    c = sm(srv)
    assert run_program(tmp_path, srv.endpoint, srv.root, name, bucket) == key1.access_key_id

    v2 = c.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn(BUILTIN_ROTATOR),
                         RotationRules={"AutomaticallyAfterDays": 30})["VersionId"]
    wait_current(c, name, v2)
    d = wait_rotation_done(c, name)
    assert d["RotationEnabled"] is True and "LastRotatedDate" in d and "NextRotationDate" in d
    key2 = run_program(tmp_path, srv.endpoint, srv.root, name, bucket)
    assert key2 != key1.access_key_id
    # The grace step (0 s here) deactivated the old key: it no longer works.
    assert not s3_works(srv.endpoint, key1, bucket)
    prev = json.loads(c.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"])
    assert prev["AccessKeyId"] == key1.access_key_id
    keys = {k["AccessKeyId"]: k["Status"] for k in srv.iam().list_access_keys(UserName=user)["AccessKeyMetadata"]}
    assert keys == {key1.access_key_id: "Inactive", key2: "Active"}

    # The next rotation deletes the previous key to stay within IAM's two keys per user.
    v3 = c.rotate_secret(SecretId=name)["VersionId"]
    wait_current(c, name, v3)
    wait_rotation_done(c, name)
    key3 = run_program(tmp_path, srv.endpoint, srv.root, name, bucket)
    keys = {k["AccessKeyId"]: k["Status"] for k in srv.iam().list_access_keys(UserName=user)["AccessKeyMetadata"]}
    assert keys == {key2: "Inactive", key3: "Active"}
    assert len(c.list_secret_version_ids(SecretId=name)["Versions"]) == 2

    # Secret material never reaches the log.
    log = srv.stderr_text()
    cur = json.loads(c.get_secret_value(SecretId=name)["SecretString"])
    assert cur["SecretAccessKey"] not in log and key1.secret_access_key not in log


def test_rotation_errors(server):
    c = sm(server)
    name = hg.unique("roterr")
    c.create_secret(Name=name, SecretString="x")
    for kw, code in [
        ({}, "InvalidRequestException"),
        ({"RotationLambdaARN": lambda_arn("not-configured")}, "InvalidRequestException"),
        ({"RotationLambdaARN": lambda_arn(BUILTIN_ROTATOR), "RotationRules": {"ScheduleExpression": "rate(1 hours)"}},
         "InvalidParameterException"),
        ({"RotationLambdaARN": lambda_arn(BUILTIN_ROTATOR),
          "RotationRules": {"AutomaticallyAfterDays": 1, "ScheduleExpression": "rate(4 hours)"}},
         "InvalidParameterException"),
    ]:
        with pytest.raises(ClientError) as e:
            c.rotate_secret(SecretId=name, **kw)
        assert (e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (code, 400)
    with pytest.raises(ClientError) as e:
        c.cancel_rotate_secret(SecretId=name)
    assert e.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "RotationEnabled" not in c.describe_secret(SecretId=name)
    # A pending label left on another version blocks a new rotation.
    c.put_secret_value(SecretId=name, SecretString="p", VersionStages=["AWSPENDING"])
    with pytest.raises(ClientError) as e:
        c.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn(BUILTIN_ROTATOR))
    assert e.value.response["Error"]["Code"] == "InvalidRequestException"


class FakeTimeServer(hg.HourglassServer):
    """The same server binary under libfaketime, `offset` ahead of the real clock."""

    offset = "+0d"

    def command(self) -> list[str]:
        return ["faketime", "-f", self.offset, *super().command()]


@pytest.mark.skipif(not Path("/usr/bin/faketime").exists(), reason="faketime is not installed")
def test_scheduled_rotation_survives_restart_under_faketime(tmp_path_factory, tmp_path, request):
    base = tmp_path_factory.mktemp("hgft")
    srv = FakeTimeServer(base / "data", log_dir=base / "logs",
                         extra_args=config(tmp_path, "[secrets]\npoll_interval_secs = 1\nprevious_key_grace_secs = 3600\n"))
    request.node._hg_servers = [srv]
    try:
        srv.start()
        user, key1, bucket, name = key_app(srv)
        c = sm(srv)
        # RotateImmediately=false: only testSecret runs now, to validate the configuration.
        c.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn(BUILTIN_ROTATOR),
                        RotationRules={"AutomaticallyAfterDays": 1}, RotateImmediately=False)
        d = wait_rotation_done(c, name)
        assert list(d["VersionIdsToStages"].values()) == [["AWSCURRENT"]]
        assert "LastRotatedDate" not in d
        assert (d["NextRotationDate"] - hg.utcnow()) > dt.timedelta(hours=23)
        srv.stop()

        # Two days later (and a restart in between): the schedule is due and runs.
        srv.offset = "+2d"
        srv.start()
        with hg.skewed_clock(dt.timedelta(days=2)):
            c = sm(srv)
            wait_for(lambda: "LastRotatedDate" in c.describe_secret(SecretId=name), what="scheduled rotation")
            d = wait_rotation_done(c, name)
            assert len(d["VersionIdsToStages"]) == 2
            cur = json.loads(c.get_secret_value(SecretId=name)["SecretString"])
            assert cur["AccessKeyId"] != key1.access_key_id
            # Within the grace period both keys work.
            assert s3_works(srv.endpoint, hg.Creds(cur["AccessKeyId"], cur["SecretAccessKey"]), bucket)
            assert s3_works(srv.endpoint, key1, bucket)
        srv.stop()

        # After the grace period (and another restart) the old key is deactivated.
        srv.offset = f"+{2 * 86400 + 7200}"
        srv.start()
        with hg.skewed_clock(dt.timedelta(days=2, hours=2)):
            iam = srv.iam()
            wait_for(lambda: {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]}
                     .get(key1.access_key_id) == "Inactive", what="the old key's deactivation")
            assert not s3_works(srv.endpoint, key1, bucket)
            assert s3_works(srv.endpoint, hg.Creds(cur["AccessKeyId"], cur["SecretAccessKey"]), bucket)
    finally:
        srv.close()


HOOK = r'''
import json, os, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
event = json.load(sys.stdin)
step, arn, token = event["Step"], event["SecretId"], event["ClientRequestToken"]
db = os.environ["PW_DB"]
with open(os.environ["PW_LOG"], "a") as f:
    f.write(step + "\n")
if os.environ.get("FAIL_STEP") == step:
    sys.exit(3)
c = boto3.client("secretsmanager", config=Config(retries={"total_max_attempts": 1}))
meta = c.describe_secret(SecretId=arn)
assert meta["RotationEnabled"]
versions = meta["VersionIdsToStages"]
assert "AWSPENDING" in versions[token]
if step == "createSecret":
    c.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")
    try:
        c.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceNotFoundException"
        pw = c.get_random_password(ExcludePunctuation=True)["RandomPassword"]
        c.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=pw, VersionStages=["AWSPENDING"])
elif step == "setSecret":
    pw = c.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")["SecretString"]
    open(db, "w").write(pw)
elif step == "testSecret":
    pw = c.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")["SecretString"]
    assert open(db).read() == pw
elif step == "finishSecret":
    current = next(v for v, s in versions.items() if "AWSCURRENT" in s)
    if current != token:
        c.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                      MoveToVersionId=token, RemoveFromVersionId=current)
'''


def hook_server(server_factory, tmp_path, fail_step: str = ""):
    hook = tmp_path / "hook.py"
    hook.write_text(HOOK)
    db, log = tmp_path / "db.txt", tmp_path / "calls.log"
    env = {
        "AWS_ACCESS_KEY_ID": hg.ROOT.access_key_id, "AWS_SECRET_ACCESS_KEY": hg.ROOT.secret_access_key,
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true", "PW_DB": str(db), "PW_LOG": str(log), "FAIL_STEP": fail_step,
    }
    env_toml = ", ".join(f'{k} = {json.dumps(v)}' for k, v in env.items())
    text = (
        "[secrets]\npoll_interval_secs = 1\n"
        "[secrets.rotation_hooks.pw-rotator]\n"
        f"command = [{json.dumps(sys.executable)}, {json.dumps(str(hook))}]\n"
        f"env = {{ {env_toml} }}\n"
        "timeout_secs = 60\n"
    )
    srv = server_factory(extra_args=config(tmp_path, text)).start()
    return srv, db, log


def test_hook_rotates_a_password(server_factory, tmp_path):
    srv, db, log = hook_server(server_factory, tmp_path)
    c = sm(srv)
    name = hg.unique("pw")
    db.write_text("initial")
    v1 = c.create_secret(Name=name, SecretString="initial")["VersionId"]
    v2 = c.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn("pw-rotator"))["VersionId"]
    wait_current(c, name, v2)
    wait_rotation_done(c, name)
    new = c.get_secret_value(SecretId=name)["SecretString"]
    assert new != "initial" and db.read_text() == new
    assert c.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["VersionId"] == v1
    assert log.read_text().split() == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    # The hook does not inherit the server's environment (root credentials, server key).
    assert "HOURGLASS_ROOT" not in (tmp_path / "hook.py").read_text()


def test_failed_step_leaves_awscurrent_working(server_factory, tmp_path):
    srv, db, log = hook_server(server_factory, tmp_path, fail_step="testSecret")
    c = sm(srv)
    name = hg.unique("pwfail")
    db.write_text("initial")
    v1 = c.create_secret(Name=name, SecretString="initial")["VersionId"]
    stop = threading.Event()
    problems: list[str] = []

    def reader():
        rc = sm(srv)
        while not stop.is_set():
            try:
                got = rc.get_secret_value(SecretId=name)
                if got["SecretString"] != "initial":
                    problems.append("AWSCURRENT moved")
            except ClientError as e:
                problems.append(str(e))

    t = threading.Thread(target=reader)
    t.start()
    try:
        c.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn("pw-rotator"))
        wait_for(lambda: log.exists() and "testSecret" in log.read_text().split(), what="the failing step")
        # The failed run is cleaned up; AWSCURRENT never moved.
        wait_for(lambda: log.read_text().split()[-1] == "testSecret" and stages(c, name).get(v1) == ["AWSCURRENT"],
                 what="cleanup")
    finally:
        stop.set()
        t.join()
    assert problems == []
    assert c.get_secret_value(SecretId=name)["VersionId"] == v1
    assert "finishSecret" not in log.read_text()
    c.cancel_rotate_secret(SecretId=name)
    assert c.describe_secret(SecretId=name)["RotationEnabled"] is False


def test_concurrent_readers_never_see_a_missing_awscurrent(server_factory, tmp_path):
    srv = server_factory(extra_args=config(tmp_path, "[secrets]\npoll_interval_secs = 1\nprevious_key_grace_secs = 0\n")).start()
    user, key1, bucket, name = key_app(srv)
    c = sm(srv)
    stop = threading.Event()
    problems: list[str] = []
    reads = [0]

    def reader():
        rc = sm(srv)
        while not stop.is_set():
            try:
                v = rc.get_secret_value(SecretId=name)
                assert "AWSCURRENT" in v["VersionStages"]
                json.loads(v["SecretString"])
                reads[0] += 1
            except (ClientError, AssertionError, ValueError) as e:
                problems.append(repr(e))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        c.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn(BUILTIN_ROTATOR))
        for _ in range(3):
            wait_rotation_done(c, name)
            c.rotate_secret(SecretId=name)
        wait_rotation_done(c, name)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert problems == [], problems[:5]
    assert reads[0] > 0
    assert len(srv.iam().list_access_keys(UserName=user)["AccessKeyMetadata"]) == 2
    assert run_program(tmp_path, srv.endpoint, srv.root, name, bucket)


def test_aws_cli_rotation(server_factory, tmp_path):
    srv = server_factory(extra_args=config(tmp_path, "[secrets]\npoll_interval_secs = 1\nprevious_key_grace_secs = 0\n")).start()
    user, key1, bucket, name = key_app(srv)
    out = srv.cli(["secretsmanager", "rotate-secret", "--secret-id", name,
                   "--rotation-lambda-arn", lambda_arn(BUILTIN_ROTATOR),
                   "--rotation-rules", "ScheduleExpression=rate(10 days)"]).ok()
    c = sm(srv)
    wait_current(c, name, out["VersionId"])
    wait_rotation_done(c, name)
    d = srv.cli(["secretsmanager", "describe-secret", "--secret-id", name]).ok()
    assert d["RotationEnabled"] is True
    assert d["RotationRules"]["ScheduleExpression"] == "rate(10 days)"
    cur = json.loads(srv.cli(["secretsmanager", "get-secret-value", "--secret-id", name]).ok()["SecretString"])
    assert cur["AccessKeyId"] != key1.access_key_id
    assert s3_works(srv.endpoint, hg.Creds(cur["AccessKeyId"], cur["SecretAccessKey"]), bucket)
    assert not s3_works(srv.endpoint, key1, bucket)
    srv.cli(["secretsmanager", "cancel-rotate-secret", "--secret-id", name]).ok()
    assert srv.cli(["secretsmanager", "describe-secret", "--secret-id", name]).ok()["RotationEnabled"] is False


def test_rotator_needs_the_users_working_key_and_spares_unknown_keys(server_factory, tmp_path):
    srv = server_factory(extra_args=config(tmp_path, "[secrets]\npoll_interval_secs = 1\nprevious_key_grace_secs = 0\n")).start()
    iam = srv.iam()
    c = sm(srv)
    # A secret naming a user whose key it does not hold: no key is minted for that user.
    victim = hg.unique("admin")
    iam.create_user(UserName=victim)
    forged = hg.unique("forged")
    c.create_secret(Name=forged, SecretString=json.dumps(
        {"UserName": victim, "AccessKeyId": "AKIAFORGED0000000000", "SecretAccessKey": "x" * 40}))
    failed = lambda: srv.stderr_text().count('event="RotationFailed"')
    c.rotate_secret(SecretId=forged, RotationLambdaARN=lambda_arn(BUILTIN_ROTATOR))
    wait_for(lambda: failed() >= 1, what="the forged secret's rotation to fail")
    c.cancel_rotate_secret(SecretId=forged)
    assert iam.list_access_keys(UserName=victim)["AccessKeyMetadata"] == []
    assert [v["VersionStages"] for v in c.list_secret_version_ids(SecretId=forged)["Versions"]
            if "AWSCURRENT" in v["VersionStages"]] == [["AWSCURRENT"]]
    # A user with a second key the secret does not know: rotation fails, both keys stay.
    user, key1, bucket, name = key_app(srv)
    other = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    v1 = c.get_secret_value(SecretId=name)["VersionId"]
    c.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn(BUILTIN_ROTATOR))
    wait_for(lambda: failed() >= 2, what="the rotation to fail")
    assert c.get_secret_value(SecretId=name)["VersionId"] == v1
    ids = {k["AccessKeyId"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]}
    assert ids == {key1.access_key_id, other}
    c.cancel_rotate_secret(SecretId=name)
