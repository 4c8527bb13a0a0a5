"""Scheduled rotations on a PostgreSQL cluster: two real nodes share one database, the
schedule comes due on both at once (under faketime), and every rotation runs exactly once.

Needs HOURGLASS_TEST_DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/test."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest

import hg
from smutil import BUILTIN_ROTATOR, lambda_arn, sm, wait_for, wait_rotation_done
from test_secrets_rotation import FakeTimeServer, key_app

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not hg.DB_URL, reason=hg.NO_DB_REASON),
    pytest.mark.skipif(not Path("/usr/bin/faketime").exists(), reason="faketime is not installed"),
]

SECRETS = 8


def test_scheduled_rotations_run_once_across_two_nodes(tmp_path_factory, tmp_path, request):
    schema = f"hg_e2e_sm_{uuid.uuid4().hex[:10]}"
    keys = tmp_path / "server-keys"
    conf = tmp_path / "hourglass.toml"
    conf.write_text("[secrets]\npoll_interval_secs = 1\nprevious_key_grace_secs = 3600\n")
    args = ["--database-url", hg.DB_URL, "--database-schema", schema,
            "--server-key-file", str(keys), "--config", str(conf)]
    nodes = []
    for n in ("a", "b"):
        base = tmp_path_factory.mktemp(f"hgnode{n}")
        nodes.append(FakeTimeServer(base / "data", log_dir=base / "logs", extra_args=args))
    request.node._hg_servers = list(nodes)
    a, b = nodes
    try:
        a.start()
        apps = [key_app(a) for _ in range(SECRETS)]
        c = sm(a)
        for _, _, _, name in apps:
            c.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn(BUILTIN_ROTATOR),
                            RotationRules={"AutomaticallyAfterDays": 1}, RotateImmediately=False)
        for _, _, _, name in apps:
            wait_rotation_done(c, name)
        a.stop()

        # Two days on, both nodes start and find every schedule due.
        for node in nodes:
            node.offset = "+2d"
            node.start()
        with hg.skewed_clock(dt.timedelta(days=2)):
            ca, cb = sm(a), sm(b)
            for _, _, _, name in apps:
                wait_for(lambda: "LastRotatedDate" in cb.describe_secret(SecretId=name),
                         what=f"the scheduled rotation of {name}")
            for user, key1, _, name in apps:
                d = wait_rotation_done(ca, name)
                versions = ca.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
                assert len(versions) == 2, (name, versions)
                assert sorted(sum(d["VersionIdsToStages"].values(), [])) == ["AWSCURRENT", "AWSPREVIOUS"]
                owned = a.iam().list_access_keys(UserName=user)["AccessKeyMetadata"]
                assert len(owned) == 2
                cur = json.loads(cb.get_secret_value(SecretId=name)["SecretString"])
                assert cur["AccessKeyId"] != key1.access_key_id
        succeeded = sum(node.stderr_text().count('event="RotationSucceeded"') for node in nodes)
        # One validation run per secret before the restart, one rotation after.
        assert succeeded == 2 * SECRETS, succeeded
    finally:
        for node in nodes:
            node.close()
        hg.drop_pg_schemas(schema)
