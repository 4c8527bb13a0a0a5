"""Crash consistency: SIGKILL the server at random moments under concurrent writes, restart it
on the same data directory, and check that every acknowledged write is there and whole,
nothing unacknowledged is half there, temporary files are gone and limits still hold.

Writers (one thread per crashlib.Worker) send PutObject of 0 B .. 8 MiB, multipart uploads,
DeleteObject, CreateAccessKey/DeleteAccessKey, CreatePolicyVersion/DeletePolicyVersion,
AttachRolePolicy/DetachRolePolicy, CreateUser/DeleteUser. The short form runs in CI;
`scripts/soak-crash` runs the same test for many rounds.

Settings (environment): CRASH_ROUNDS (kills, default 5), CRASH_THREADS (default 6),
CRASH_SEED (default: random, printed), CRASH_MAX_UP (longest time the server lives in a
round, seconds, default 2.0).
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from pathlib import Path

import pytest

import crashlib
import hg

ROUNDS = int(os.environ.get("CRASH_ROUNDS", "5"))
THREADS = int(os.environ.get("CRASH_THREADS", "6"))
SEED = int(os.environ.get("CRASH_SEED") or random.SystemRandom().randrange(1 << 32))
MAX_UP = float(os.environ.get("CRASH_MAX_UP", "2.0"))
DB_URL = hg.DB_URL
POOL = 12  # managed policies to attach: more than the 10 a role may have


def data_files(objects: Path) -> list[Path]:
    """Object data files (`objects/ab/<id>`), not the temporary ones."""
    return [p for p in objects.glob("??/*") if p.is_file()]


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request):
    if request.param == "postgres" and not DB_URL:
        pytest.skip(hg.NO_DB_REASON)
    schema = f"hg_crash_{uuid.uuid4().hex[:12]}"
    yield request.param, (["--database-url", DB_URL, "--database-schema", schema] if request.param == "postgres" else [])
    if request.param == "postgres":
        hg.drop_pg_schemas(schema)


def test_writes_survive_sigkill(server_factory, backend):
    name, args = backend
    owns_dir = name == "sqlite"
    rng = random.Random(SEED)
    print(f"\ncrash[{name}]: seed {SEED} (CRASH_SEED={SEED} repeats the schedule), {ROUNDS} rounds, {THREADS} writers")
    srv = server_factory(extra_args=args).start()
    objects = srv.data_dir / "objects"
    bucket = "crash-bucket"

    iam = srv.iam()
    pool = [
        iam.create_policy(PolicyName=f"crash-pool-{n}", PolicyDocument=crashlib.policy_doc(f"pool{n}"))["Policy"]["Arn"]
        for n in range(POOL)
    ]
    crashlib.s3_client(srv.endpoint, srv.root).create_bucket(Bucket=bucket)
    workers = [crashlib.Worker(i, rng.randrange(1 << 32), bucket, pool, hg.ACCOUNT_ID) for i in range(THREADS)]
    for w in workers:
        w.setup(iam)

    kills = 0
    unknown = 0
    for rnd in range(1, ROUNDS + 1):
        stop = threading.Event()
        failures: list[str] = []
        threads = [
            threading.Thread(target=w.run, args=(srv.endpoint, srv.root, stop, failures), daemon=True)
            for w in workers
        ]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.05, MAX_UP))
        srv.kill()  # SIGKILL: no shutdown code runs
        kills += 1
        stop.set()
        for t in threads:
            t.join(timeout=90)
        assert not any(t.is_alive() for t in threads), "a writer is stuck after the kill"
        assert not failures, f"round {rnd} (seed {SEED}): " + "\n".join(failures)
        unknown += sum(1 for w in workers if w.pending)
        for w in workers:
            w.log.append(f"--- kill {rnd}")

        srv.start()
        left = sorted(p.name for p in (objects / "tmp").iterdir())
        # On SQLite the server owns its data directory and sweeps at once. On PostgreSQL
        # other nodes may share `objects/`, so only files older than an hour go.
        if owns_dir:
            assert left == [], f"round {rnd}: temporary files not removed on restart: {left}"
        iam = srv.iam()
        s3 = crashlib.s3_client(srv.endpoint, srv.root)
        stss: dict = {}

        def sts_for(creds):
            if creds not in stss:
                stss[creds] = srv.sts(creds)
            return stss[creds]

        last = rnd == ROUNDS
        for w in workers:
            try:
                w.resolve(iam, s3)
                w.verify(iam, s3, sts_for, full=last or rnd % 20 == 0)
            except crashlib.Unexpected as e:
                history = "\n  ".join(w.log[-40:])
                raise AssertionError(f"round {rnd} (seed {SEED}), worker {w.i}: {e}\nits last requests:\n  {history}") from None
        # Every data file belongs to an object: none leaked by a write or delete cut short.
        want = sum(w.segments() for w in workers)
        got = len(data_files(objects))
        if owns_dir:
            assert got == want, f"round {rnd}: {got} data files on disk, {want} referenced by objects"
        else:
            assert got >= want, f"round {rnd}: {got} data files on disk, {want} referenced by objects"
    acked = sum(w.acked for w in workers)
    print(f"crash[{name}]: kills survived: {kills} ({acked} writes acknowledged, {unknown} cut by a kill)")
