"""A data directory written by v0.1 (S3 metadata apart from the IAM store) starts on this
build with everything in place: users, keys, groups, policies, roles, buckets, objects and an
in-progress multipart upload. The fixtures come from tests/fixtures/make_v0_1.py run with the
v0.1 binary; the PostgreSQL one is a schema dump loaded into a fresh schema (needs psql and
HOURGLASS_TEST_DATABASE_URL). A data directory written at schema version 15
(tests/fixtures/make_v15_audit.py) checks the move of the SQLite audit log to its own file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import uuid
from pathlib import Path

import pytest

import hg
from hg import ACCOUNT_ID, expect_error, unique
from s3util import s3_client

FIXTURES = hg.REPO / "tests" / "fixtures"
DB_URL = os.environ.get("HOURGLASS_TEST_DATABASE_URL")
INVALID_TOKEN = dict(code="InvalidClientTokenId", status=403, match=hg.INVALID_TOKEN_RE)


def unpack(tarball: Path, data_dir: Path) -> dict:
    """Extracts the fixture's `data/` into `data_dir`; returns its manifest."""
    with tarfile.open(tarball) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        for member in tar.getmembers():
            if not member.name.startswith("data/"):
                continue
            rel = Path(member.name).relative_to("data")
            assert ".." not in rel.parts and not rel.is_absolute(), member.name
            target = data_dir / rel
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
    os.chmod(data_dir, 0o700)
    os.chmod(data_dir / "server-keys", 0o600)
    return manifest


def byte_order(keys) -> list[str]:
    return sorted(keys, key=lambda k: k.encode())


def check_migrated(srv: hg.HourglassServer, m: dict) -> None:
    """Everything v0.1 stored is there and usable."""
    assert (m["root"]["access_key_id"], m["root"]["secret_access_key"]) == (hg.ROOT_AKID, hg.ROOT_SECRET)
    iam = srv.iam()

    # IAM: the user, its keys (the secret still opens with the persisted server key), group,
    # attached and inline policies, the role.
    user = iam.get_user(UserName=m["user"]["name"])["User"]
    assert (user["UserId"], user["Arn"]) == (m["user"]["user_id"], m["user"]["arn"])
    assert user["CreateDate"] == dt.datetime.fromisoformat(m["user"]["create_date"])
    assert user["Tags"] == [{"Key": "team", "Value": "storage"}]
    statuses = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=user["UserName"])["AccessKeyMetadata"]}
    assert statuses == {m["access_key"]["id"]: "Active", m["inactive_key"]["id"]: "Inactive"}
    alice = hg.Creds(m["access_key"]["id"], m["access_key"]["secret"])
    assert srv.sts(alice).get_caller_identity()["Arn"] == m["user"]["arn"]
    expect_error(srv.sts(hg.Creds(m["inactive_key"]["id"], m["inactive_key"]["secret"])).get_caller_identity,
                 **INVALID_TOKEN)
    groups = [g["GroupName"] for g in iam.list_groups_for_user(UserName=user["UserName"])["Groups"]]
    assert groups == [m["group"]]
    attached = iam.list_attached_group_policies(GroupName=m["group"])["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [m["policy_arn"]]
    assert iam.list_user_policies(UserName=user["UserName"])["PolicyNames"] == ["assume"]
    role = iam.get_role(RoleName=m["role"]["name"])["Role"]
    assert (role["RoleId"], role["Arn"]) == (m["role"]["role_id"], m["role"]["arn"])
    assert iam.list_role_policies(RoleName=m["role"]["name"])["PolicyNames"] == ["put"]

    # S3: buckets with their tags and policy, every object byte for byte with its ETag and
    # date, listing order.
    s3 = s3_client(srv.endpoint, srv.root)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert set(m["buckets"]) <= set(names)
    assert s3.get_bucket_tagging(Bucket="fixture-bucket")["TagSet"] == [{"Key": "env", "Value": "test"}]
    policy = json.loads(s3.get_bucket_policy(Bucket="fixture-bucket")["Policy"])
    assert policy["Statement"][0]["Resource"] == "arn:aws:s3:::fixture-bucket/protected/*"
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket="fixture-bucket")["Contents"]]
    assert listed == byte_order(m["objects"])
    assert s3.list_objects_v2(Bucket="fixture-empty")["KeyCount"] == 0
    for key, want in m["objects"].items():
        got = s3.get_object(Bucket="fixture-bucket", Key=key)
        data = got["Body"].read()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (want["size"], want["sha256"]), key
        assert got["ETag"] == want["etag"], key
        assert got["LastModified"] == dt.datetime.fromisoformat(want["last_modified"]), key
    hello = s3.head_object(Bucket="fixture-bucket", Key="hello.txt")
    assert (hello["ContentType"], hello["Metadata"]) == ("text/plain", {"origin": "v0.1"})
    assert s3.get_object_tagging(Bucket="fixture-bucket", Key="hello.txt")["TagSet"] == [
        {"Key": "kind", "Value": "fixture"}
    ]
    assert s3.head_object(Bucket="fixture-bucket", Key="big", PartNumber=1)["PartsCount"] == 2

    # The user's group policy still authorizes its reads; its role is still assumable and
    # its session can write.
    alice_s3 = s3_client(srv.endpoint, alice)
    assert alice_s3.get_object(Bucket="fixture-bucket", Key="hello.txt")["Body"].read().startswith(b"hello")
    c = srv.sts(alice).assume_role(RoleArn=m["role"]["arn"], RoleSessionName="migrated")["Credentials"]
    role_s3 = s3_client(srv.endpoint, hg.Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]))
    role_s3.put_object(Bucket="fixture-bucket", Key="from-role", Body=b"role write")
    assert role_s3.get_object(Bucket="fixture-bucket", Key="from-role")["Body"].read() == b"role write"
    expect_error(role_s3.list_objects_v2, Bucket="fixture-bucket", code="AccessDenied", status=403)

    # The in-progress multipart upload continues and completes.
    p = m["pending_upload"]
    uploads = s3.list_multipart_uploads(Bucket="fixture-bucket")["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [(p["key"], p["upload_id"])]
    parts = s3.list_parts(Bucket="fixture-bucket", Key=p["key"], UploadId=p["upload_id"])["Parts"]
    assert [(x["PartNumber"], x["ETag"], x["Size"]) for x in parts] == [
        (n, etag, size) for n, (etag, size) in enumerate(zip(p["etags"], p["sizes"]), 1)
    ]
    s3.complete_multipart_upload(
        Bucket="fixture-bucket", Key=p["key"], UploadId=p["upload_id"],
        MultipartUpload={"Parts": [{"PartNumber": x["PartNumber"], "ETag": x["ETag"]} for x in parts]},
    )
    done = s3.get_object(Bucket="fixture-bucket", Key=p["key"])
    assert done["ContentType"] == "application/x-fixture"
    assert hashlib.sha256(done["Body"].read()).hexdigest() == p["sha256"]


def change_and_restart(srv: hg.HourglassServer) -> None:
    """Writes after the migration persist, and a restart does not migrate again (a deleted
    object stays deleted, a new one stays)."""
    iam = srv.iam()
    newcomer = unique("after")
    iam.create_user(UserName=newcomer)
    s3 = s3_client(srv.endpoint, srv.root)
    s3.delete_object(Bucket="fixture-bucket", Key="dir/a.bin")
    s3.put_object(Bucket="fixture-bucket", Key="new", Body=b"new")
    srv.restart()
    s3 = s3_client(srv.endpoint, srv.root)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="fixture-bucket")["Contents"]]
    assert "dir/a.bin" not in keys and "new" in keys
    expect_error(s3.head_object, Bucket="fixture-bucket", Key="dir/a.bin", code="404", status=404)
    assert srv.iam().get_user(UserName=newcomer)["User"]["UserName"] == newcomer
    assert s3.list_multipart_uploads(Bucket="fixture-bucket").get("Uploads", []) == []


# The latest migration in crates/store/src/sql/schema.rs.
SCHEMA_VERSION = 16


def test_sqlite_v0_1_data_dir_is_migrated(server_factory):
    srv = server_factory()
    manifest = unpack(FIXTURES / "datadir-v0.1.tar.gz", srv.data_dir)
    assert (srv.data_dir / "s3.db").is_file()
    srv.start()
    # One database: the S3 file was imported and set aside, the schema has one version.
    assert not (srv.data_dir / "s3.db").exists()
    assert (srv.data_dir / "s3.db.v0.1-imported").is_file()
    with sqlite3.connect(f"file:{srv.data_dir / 'hourglass.db'}?mode=ro", uri=True) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"users", "access_keys", "s3_buckets", "s3_objects", "s3_uploads", "s3_parts"} <= tables
    check_migrated(srv, manifest)
    change_and_restart(srv)


def psql(*args: str, stdin: str | None = None) -> str:
    r = subprocess.run(["psql", DB_URL, "-v", "ON_ERROR_STOP=1", "-q", "-At", *args],
                       input=stdin, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.postgres
@pytest.mark.skipif(not DB_URL, reason="HOURGLASS_TEST_DATABASE_URL is not set "
                    "(e.g. postgres://postgres@127.0.0.1:5432/test)")
@pytest.mark.skipif(shutil.which("psql") is None, reason="psql (the PostgreSQL client) is not installed")
def test_postgres_v0_1_schema_is_migrated(server_factory):
    schema = f"hg_mig_{uuid.uuid4().hex[:12]}"
    dump = (FIXTURES / "postgres-v0.1.sql").read_text()
    # The dump's \restrict guard lines are for dumps from untrusted servers; this one is ours.
    dump = "\n".join(l for l in dump.splitlines() if not l.startswith(("\\restrict", "\\unrestrict")))
    try:
        psql(stdin=dump.replace("hg_fixture_v01", schema))
        assert psql("-c", f'SELECT version FROM "{schema}".schema_version').split() == ["1"]
        srv = server_factory(extra_args=["--database-url", DB_URL, "--database-schema", schema])
        manifest = unpack(FIXTURES / "datadir-pg-v0.1.tar.gz", srv.data_dir)
        srv.start()
        assert psql("-c", f'SELECT version FROM "{schema}".schema_version').split() == [str(SCHEMA_VERSION)]
        check_migrated(srv, manifest)
        change_and_restart(srv)
        srv.close()
    finally:
        psql("-c", f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_sqlite_v15_audit_log_moves_to_its_own_file(server_factory):
    # Written by the release at schema version 15 (tests/fixtures/make_v15_audit.py), whose
    # audit log lived in hourglass.db: the first start moves every event to
    # hourglass-audit.db, and LookupEvents finds them there beside the new ones.
    srv = server_factory()
    manifest = unpack(FIXTURES / "datadir-v15-audit.tar.gz", srv.data_dir)
    assert not (srv.data_dir / "hourglass-audit.db").exists()
    srv.start()
    with sqlite3.connect(f"file:{srv.data_dir / 'hourglass.db'}?mode=ro", uri=True) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "audit_events" not in tables and "audit_event_resources" not in tables
    ct = hg.client("cloudtrail", srv.endpoint, srv.root)
    srv.iam().create_user(UserName=unique("after-move"))
    events = ct.lookup_events(MaxResults=50)["Events"]
    found = {e["EventId"]: e["EventName"] for e in events}
    assert manifest["events"].items() <= found.items()
    assert "CreateUser" in [e["EventName"] for e in events if e["EventId"] not in manifest["events"]]
    by_resource = ct.lookup_events(LookupAttributes=[
        {"AttributeKey": "ResourceName", "AttributeValue": "audit-fixture-user"}])["Events"]
    assert {e["EventName"] for e in by_resource} >= {"CreateUser", "TagUser"}
    # A restart neither copies again nor loses anything.
    srv.restart()
    again = hg.client("cloudtrail", srv.endpoint, srv.root).lookup_events(MaxResults=50)["Events"]
    ids = [e["EventId"] for e in again]
    assert set(found) <= set(ids) and len(ids) == len(set(ids))
