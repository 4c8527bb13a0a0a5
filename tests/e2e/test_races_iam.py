"""Concurrent IAM writes against one server must respect AWS's quotas exactly.

Threads released together by a barrier race on one quota: CreateAccessKey for one user
(two keys per user) and CreatePolicyVersion on one policy (five versions). Exactly the room
left may succeed; every other call gets LimitExceeded, nothing else. Rounds: env
`RACE_ROUNDS` (default 5); threads per round: env `RACE_THREADS` (default 8). Runs on the
embedded store, and on PostgreSQL when HOURGLASS_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import json
import os
import threading
import uuid

import pytest
from botocore.exceptions import ClientError

import hg
from hg import unique

ROUNDS = int(os.environ.get("RACE_ROUNDS", "5"))
THREADS = int(os.environ.get("RACE_THREADS", "8"))
JOIN_TIMEOUT = 120.0
DB_URL = hg.DB_URL

KEY_QUOTA = 2
VERSION_QUOTA = 5


def race(calls) -> list[tuple[str, object]]:
    """Runs the callables at once; returns ("ok", result) or ("error", ClientError code and
    message) or ("crash", repr) per call, in order. Bounded: every thread must finish."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait(timeout=30)
            results[i] = ("ok", fn())
        except ClientError as e:
            err = e.response.get("Error", {})
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            results[i] = ("error", (err.get("Code"), status, err.get("Message")))
        except Exception as e:  # noqa: BLE001 - reported as a failure below
            results[i] = ("crash", repr(e))

    threads = [threading.Thread(target=run, args=(i, fn), daemon=True) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a racing call did not finish"
    return results


def check_outcomes(results, room: int, limit_message: str) -> None:
    crashes = [r for r in results if r[0] == "crash"]
    assert not crashes, crashes
    ok = [r for r in results if r[0] == "ok"]
    errors = [r[1] for r in results if r[0] == "error"]
    assert len(ok) == room, f"{len(ok)} succeeded, expected {room}: {results}"
    assert all(e == ("LimitExceeded", 409, limit_message) for e in errors), errors


def access_key_round(srv: hg.HourglassServer) -> None:
    root = srv.iam()
    name = unique("race")
    root.create_user(UserName=name)
    clients = [srv.iam() for _ in range(THREADS)]
    results = race([lambda c=c: c.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"] for c in clients])
    check_outcomes(results, KEY_QUOTA, f"Cannot exceed quota for AccessKeysPerUser: {KEY_QUOTA}")
    listed = {k["AccessKeyId"] for k in root.list_access_keys(UserName=name)["AccessKeyMetadata"]}
    created = {r[1] for r in results if r[0] == "ok"}
    assert listed == created, (listed, created)


def policy_version_round(srv: hg.HourglassServer) -> None:
    root = srv.iam()
    document = lambda i: json.dumps({  # noqa: E731
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::b{i}/*"}],
    })
    arn = root.create_policy(PolicyName=unique("race"), PolicyDocument=document(0))["Policy"]["Arn"]
    clients = [srv.iam() for _ in range(THREADS)]
    results = race([
        lambda c=c, i=i: c.create_policy_version(PolicyArn=arn, PolicyDocument=document(i + 1),
                                                 SetAsDefault=(i % 2 == 0))["PolicyVersion"]["VersionId"]
        for i, c in enumerate(clients)
    ])
    check_outcomes(results, VERSION_QUOTA - 1,
                   f"A managed policy can have up to {VERSION_QUOTA} versions. Before you create a new "
                   "version, you must delete an existing version.")
    versions = root.list_policy_versions(PolicyArn=arn)["Versions"]
    assert len(versions) == VERSION_QUOTA, versions
    ids = sorted(v["VersionId"] for v in versions)
    assert len(set(ids)) == VERSION_QUOTA, ids
    assert sum(1 for v in versions if v["IsDefaultVersion"]) == 1, versions
    default = root.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    assert default in ids


def run_rounds(srv: hg.HourglassServer, label: str) -> None:
    for _ in range(ROUNDS):
        access_key_round(srv)
        policy_version_round(srv)
    print(f"{label}: {ROUNDS} rounds x {THREADS} threads, access keys and policy versions")


def test_quota_races_embedded(fresh_server):
    run_rounds(fresh_server, "embedded store")


@pytest.mark.postgres
@pytest.mark.skipif(
    not DB_URL,
    reason=hg.NO_DB_REASON,
)
def test_quota_races_postgres(server_factory):
    schema = f"hg_e2e_{uuid.uuid4().hex[:12]}"
    srv = server_factory(extra_args=["--database-url", DB_URL, "--database-schema", schema])
    try:
        srv.start()
        run_rounds(srv, "postgresql")
    finally:
        srv.close()
        hg.drop_pg_schemas(schema)
