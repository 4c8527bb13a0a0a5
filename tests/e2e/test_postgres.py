"""The core user/key flow and a restart on PostgreSQL (`--database-url`).

Needs HOURGLASS_TEST_DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/test. Each server
gets its own schema (`--database-schema hg_e2e_<random>`), dropped afterwards when psql is
available.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import uuid

import pytest
from botocore.exceptions import ClientError

import hg
from hg import ACCOUNT_ID, ROOT_ARN, expect_error, unique

DB_URL = hg.DB_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not DB_URL,
        reason=hg.NO_DB_REASON,
    ),
]


@pytest.fixture
def pg_server(server_factory):
    schemas: list[str] = []

    def make(schema: str | None = None, **kw) -> hg.HourglassServer:
        schema = schema or f"hg_e2e_{uuid.uuid4().hex[:12]}"
        schemas.append(schema)
        return server_factory(
            extra_args=["--database-url", DB_URL, "--database-schema", schema], **kw
        )

    yield make
    hg.drop_pg_schemas(*set(schemas))


def test_postgres_user_and_key_flow(pg_server):
    srv = pg_server().start()
    c = srv.iam()
    assert c.list_users()["Users"] == []
    name = unique("pg")
    user = c.create_user(UserName=name, Path="/pg/", Tags=[{"Key": "k", "Value": "v"}])["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/pg/{name}"
    expect_error(c.create_user, UserName=name, code="EntityAlreadyExists", status=409,
                 message=f"User with name {name} already exists.")
    assert c.get_user(UserName=name)["User"]["UserId"] == user["UserId"]

    k1 = c.create_access_key(UserName=name)["AccessKey"]
    k2 = c.create_access_key(UserName=name)["AccessKey"]
    expect_error(c.create_access_key, UserName=name, code="LimitExceeded", status=409,
                 message="Cannot exceed quota for AccessKeysPerUser: 2")
    creds = hg.Creds.from_access_key(k1)
    ident = srv.sts(creds).get_caller_identity()
    assert ident["Arn"] == user["Arn"] and ident["UserId"] == user["UserId"]
    lu = c.get_access_key_last_used(AccessKeyId=k1["AccessKeyId"])["AccessKeyLastUsed"]
    assert lu["ServiceName"] == "sts"

    c.update_access_key(UserName=name, AccessKeyId=k1["AccessKeyId"], Status="Inactive")
    expect_error(srv.sts(creds).get_caller_identity, code="InvalidClientTokenId", status=403)
    c.update_access_key(UserName=name, AccessKeyId=k1["AccessKeyId"], Status="Active")
    assert srv.sts(creds).get_caller_identity()["Arn"] == user["Arn"]

    prefix = f"/{unique('pgp')}/"
    names = {c.create_user(UserName=unique("p"), Path=prefix)["User"]["UserName"] for _ in range(5)}
    pages = list(c.get_paginator("list_users").paginate(PathPrefix=prefix, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert {u["UserName"] for p in pages for u in p["Users"]} == names

    expect_error(c.delete_user, UserName=name, code="DeleteConflict", status=409,
                 message="Cannot delete entity, must delete access keys first.")
    c.delete_access_key(UserName=name, AccessKeyId=k2["AccessKeyId"])
    expect_error(srv.sts(hg.Creds.from_access_key(k2)).get_caller_identity,
                 code="InvalidClientTokenId", status=403)
    c.delete_access_key(UserName=name, AccessKeyId=k1["AccessKeyId"])
    c.delete_user(UserName=name)
    expect_error(c.get_user, UserName=name, code="NoSuchEntity", status=404,
                 message=f"The user with name {name} cannot be found.")


def test_postgres_restart_keeps_data(pg_server):
    srv = pg_server().start()
    c = srv.iam()
    name, creds, _ = hg.create_user_with_key(c)
    user_id = c.get_user(UserName=name)["User"]["UserId"]
    srv.restart()
    c = srv.iam()
    assert c.get_user(UserName=name)["User"]["UserId"] == user_id
    assert srv.sts(creds).get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    assert [m["AccessKeyId"] for m in c.list_access_keys(UserName=name)["AccessKeyMetadata"]] == [
        creds.access_key_id
    ]
    assert srv.sts().get_caller_identity()["Arn"] == ROOT_ARN


def test_postgres_concurrent_create_access_key(pg_server):
    srv = pg_server().start()
    name = hg.create_user(srv.iam())["UserName"]
    clients = [srv.iam() for _ in range(10)]
    barrier = threading.Barrier(10)
    results: list = [None] * 10

    def worker(i):
        barrier.wait()
        try:
            results[i] = clients[i].create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
        except ClientError as e:
            results[i] = (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ok = [r for r in results if isinstance(r, str)]
    assert len(ok) == 2, results
    assert sorted(r for r in results if not isinstance(r, str)) == [("LimitExceeded", 409)] * 8, results
    listed = srv.iam().list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert sorted(m["AccessKeyId"] for m in listed) == sorted(ok)


def test_postgres_schemas_are_isolated(pg_server):
    a = pg_server().start()
    b = pg_server().start()
    name = hg.create_user(a.iam())["UserName"]
    expect_error(b.iam().get_user, UserName=name, code="NoSuchEntity", status=404)
    assert b.iam().list_users()["Users"] == []


def test_postgres_secrets_are_encrypted_at_rest(pg_server):
    pg_dump = shutil.which("pg_dump")
    if not pg_dump:
        pytest.skip("pg_dump is not installed")
    schema = f"hg_e2e_{uuid.uuid4().hex[:12]}"
    srv = pg_server(schema).start()
    c = srv.iam()
    _, creds, _ = hg.create_user_with_key(c)
    root_key = c.create_access_key()["AccessKey"]["SecretAccessKey"]
    dump = subprocess.run(
        [pg_dump, DB_URL, "--data-only", "--schema", schema],
        capture_output=True,
        timeout=60,
    )
    assert dump.returncode == 0, dump.stderr
    assert creds.access_key_id.encode() in dump.stdout, "dump does not contain the store's data"
    for secret in (creds.secret_access_key, root_key, hg.ROOT_SECRET):
        assert secret.encode() not in dump.stdout, "secret access key stored in clear in PostgreSQL"
