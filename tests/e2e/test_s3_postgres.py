"""S3 on the PostgreSQL metadata backend (`--database-url`): objects, listing, multipart and
a restart. Needs HOURGLASS_TEST_DATABASE_URL; each server gets its own schema."""

from __future__ import annotations

import io
import os
import uuid

import pytest

import hg
from hg import expect_error, unique
from s3util import MIB, full_access, s3_client

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
    schema = f"hg_s3_{uuid.uuid4().hex[:12]}"
    yield server_factory(extra_args=["--database-url", DB_URL, "--database-schema", schema])
    hg.drop_pg_schemas(schema)


def test_s3_on_postgres_survives_restart(pg_server):
    srv = pg_server.start()
    s3 = s3_client(srv.endpoint, full_access(srv))
    bucket = unique("pg")
    s3.create_bucket(Bucket=bucket)
    for k in ["a/1", "a/2", "b", "é/x"]:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    data = os.urandom(12 * MIB)
    s3.upload_fileobj(io.BytesIO(data), bucket, "big")
    r = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [c["Prefix"] for c in r["CommonPrefixes"]] == ["a/", "é/"]
    assert [o["Key"] for o in r["Contents"]] == ["b", "big"]
    expect_error(s3.delete_bucket, Bucket=bucket, code="BucketNotEmpty", status=409)
    srv.restart()
    s3 = s3_client(srv.endpoint, full_access(srv))
    out = io.BytesIO()
    s3.download_fileobj(bucket, "big", out)
    assert out.getvalue() == data
    assert s3.get_object(Bucket=bucket, Key="é/x")["Body"].read() == "é/x".encode()
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in ["a/1", "a/2", "b", "é/x", "big"]]})
    s3.delete_bucket(Bucket=bucket)
