"""S3 races, end to end with Python threads: parallel CreateBucket of one name has exactly one
winner, and parallel PutObject of one key leaves exactly one whole body with its ETag and no
orphaned data file, on SQLite metadata and on PostgreSQL metadata with two nodes.

Bounded: RACE_ROUNDS rounds (default 5) of WORKERS threads, every thread joined with a timeout."""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import hg
from hg import unique
from s3util import full_access, s3_client

ROUNDS = int(os.environ.get("RACE_ROUNDS", "5"))
WORKERS = 8
DB_URL = hg.DB_URL


def race(clients, fn) -> list[tuple]:
    """Runs fn(i, clients[i]) in one thread per client, released together; returns
    ("ok", value) or ("err", code, status) per thread."""
    barrier = threading.Barrier(len(clients))
    results: list[tuple | None] = [None] * len(clients)

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = ("ok", fn(i, clients[i]))
        except ClientError as e:
            results[i] = (
                "err",
                e.response.get("Error", {}).get("Code"),
                e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
            )
        except Exception as e:  # noqa: BLE001 - reported as the thread's outcome
            results[i] = ("exc", repr(e))

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racing request did not finish"
    return results


def data_files(data_dir: Path) -> int:
    """Committed object data files (the temp directory excluded)."""
    root = data_dir / "objects"
    return sum(1 for d in root.iterdir() if d.is_dir() and d.name != "tmp" for f in d.iterdir() if f.is_file())


def check_create_bucket(clients):
    for rnd in range(ROUNDS):
        name = unique("race")
        results = race(clients, lambda i, c: c.create_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"])
        print(f"create-bucket round {rnd + 1}/{ROUNDS}: {results}")
        winners = [r for r in results if r[0] == "ok"]
        assert len(winners) == 1, results
        assert winners[0][1] == 200
        # One account: every loser is told it already owns the bucket (AWS outside us-east-1;
        # docs/compatibility.md notes the us-east-1 200).
        assert all(r == ("err", "BucketAlreadyOwnedByYou", 409) for r in results if r[0] != "ok"), results
        names = [b["Name"] for b in clients[0].list_buckets()["Buckets"]]
        assert names.count(name) == 1


def check_put_one_key(clients, data_dirs: list[Path]):
    bucket = unique("race")
    clients[0].create_bucket(Bucket=bucket)
    baseline = [data_files(d) for d in data_dirs]
    for rnd in range(ROUNDS):
        # Distinct bodies of different sizes, each recognisable as a whole, each over the
        # 64 KiB inline bound so that every version has a data file to leak.
        bodies = [
            f"round {rnd} writer {i}|".encode() + os.urandom(64 * 1024 + 1024 * (1 + 37 * i))
            for i in range(len(clients))
        ]
        results = race(clients, lambda i, c: c.put_object(Bucket=bucket, Key="k", Body=bodies[i])["ETag"])
        print(f"put-one-key round {rnd + 1}/{ROUNDS}: {[r[0] for r in results]}")
        assert all(r[0] == "ok" for r in results), results
        got = clients[0].get_object(Bucket=bucket, Key="k")
        body = got["Body"].read()
        assert body in bodies, "the stored body is not one of the bodies written"
        i = bodies.index(body)
        etag = f'"{hashlib.md5(body).hexdigest()}"'
        assert got["ETag"] == etag
        assert results[i][1] == etag
        assert got["ContentLength"] == len(body)
        # Every replaced version's file was removed: one live object, one more file.
        assert sum(data_files(d) for d in data_dirs) == sum(baseline) + 1, "an overwrite left an orphaned data file"
    clients[0].delete_object(Bucket=bucket, Key="k")
    clients[0].delete_bucket(Bucket=bucket)


# --- SQLite metadata (the default) ----------------------------------------------------------------


def test_parallel_create_bucket_has_one_winner(server):
    creds = full_access(server)
    check_create_bucket([s3_client(server.endpoint, creds) for _ in range(WORKERS)])


def test_parallel_put_of_one_key_keeps_one_whole_body(server):
    creds = full_access(server)
    check_put_one_key([s3_client(server.endpoint, creds) for _ in range(WORKERS)], [server.data_dir])
    assert server.panics() == ""


# --- PostgreSQL metadata, two nodes sharing the database and the object directory -----------------

pg = pytest.mark.skipif(
    not DB_URL, reason=hg.NO_DB_REASON
)


@pytest.fixture
def pg_nodes(tmp_path):
    schema = f"hg_race_{uuid.uuid4().hex[:12]}"
    data = tmp_path / "data"
    args = ["--database-url", DB_URL or "", "--database-schema", schema]
    nodes = [hg.HourglassServer(data, log_dir=tmp_path / f"logs{i}", extra_args=args) for i in range(2)]
    try:
        # One after the other: a starting node clears the shared temp directory.
        for n in nodes:
            n.start()
        yield nodes
    finally:
        for n in nodes:
            n.close()
        hg.drop_pg_schemas(schema)
    for n in nodes:
        assert n.panics() == "", n.diagnostics()


def clients_on_both_nodes(nodes):
    """Clients alternating between the nodes, once the second node has learned the role
    the first one created (nodes converge through the database within a bound)."""
    creds = full_access(nodes[0])
    clients = [s3_client(nodes[i % 2].endpoint, creds) for i in range(WORKERS)]
    deadline = time.monotonic() + 60
    while True:
        try:
            clients[1].list_buckets()
            break
        except ClientError:
            assert time.monotonic() < deadline, "the second node never accepted the role's credentials"
            time.sleep(0.5)
    return clients


@pg
@pytest.mark.postgres
def test_parallel_create_bucket_on_postgres_two_nodes(pg_nodes):
    check_create_bucket(clients_on_both_nodes(pg_nodes))


@pg
@pytest.mark.postgres
def test_parallel_put_of_one_key_on_postgres_two_nodes(pg_nodes):
    check_put_one_key(clients_on_both_nodes(pg_nodes), [pg_nodes[0].data_dir])
