"""Lifecycle: Put/Get/DeleteBucketLifecycleConfiguration through boto3 and the aws CLI,
`x-amz-expiration` on GET/HEAD, and the background pass applying the rules after the
server's clock has moved on (faketime across a restart: the pass runs at startup)."""

from __future__ import annotations

import datetime as dt
import time

import pytest

import hg
from hg import expect_error, unique
from s3util import full_access, s3_client

RULES = [
    {"ID": "tmp", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 1}},
    {"ID": "old", "Filter": {"Prefix": ""}, "Status": "Enabled",
     "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
    {"ID": "markers", "Filter": {"Prefix": "gone/"}, "Status": "Enabled", "Expiration": {"ExpiredObjectDeleteMarker": True}},
    {"ID": "big", "Filter": {"And": {"Prefix": "big/", "ObjectSizeGreaterThan": 10}}, "Status": "Disabled", "Expiration": {"Days": 5}},
]


@pytest.fixture(scope="module")
def s3(server):
    return s3_client(server.endpoint, full_access(server))


def test_configuration_crud_validation_and_expiration_header(server, s3):
    b = unique("lc")
    s3.create_bucket(Bucket=b)
    expect_error(s3.get_bucket_lifecycle_configuration, Bucket=b, code="NoSuchLifecycleConfiguration", status=404)
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": RULES})
    got = s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"]
    assert [r["ID"] for r in got] == ["tmp", "old", "markers", "big"]
    assert got[0]["Expiration"] == {"Days": 1} and got[3]["Filter"]["And"]["ObjectSizeGreaterThan"] == 10
    for bad, code in [
        ([{"ID": "x", "Filter": {"Prefix": ""}, "Status": "Enabled", "Expiration": {"Days": 0}}], "InvalidArgument"),
        ([{"ID": "x", "Filter": {"Prefix": ""}, "Status": "Enabled"}], "InvalidArgument"),
        ([{"ID": "x", "Filter": {"Prefix": ""}, "Status": "Enabled", "Expiration": {"Days": 1}}] * 2, "InvalidArgument"),
    ]:
        expect_error(s3.put_bucket_lifecycle_configuration, Bucket=b,
                     LifecycleConfiguration={"Rules": bad}, code=code, status=400)
    assert len(s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"]) == 4
    s3.put_object(Bucket=b, Key="tmp/x", Body=b"x")
    head = s3.head_object(Bucket=b, Key="tmp/x")
    assert 'rule-id="tmp"' in head["Expiration"] and "expiry-date=" in head["Expiration"]
    assert "Expiration" not in s3.head_object(Bucket=b, Key="tmp/x", VersionId="null")
    s3.put_object(Bucket=b, Key="keep", Body=b"x")
    assert "Expiration" not in s3.get_object(Bucket=b, Key="keep")
    s3.delete_bucket_lifecycle(Bucket=b)
    expect_error(s3.get_bucket_lifecycle_configuration, Bucket=b, code="NoSuchLifecycleConfiguration", status=404)


def test_aws_cli_lifecycle(server):
    import json

    creds = full_access(server)
    b = unique("lccli")
    cli = lambda *args: server.cli(list(args), creds)  # noqa: E731
    cli("s3api", "create-bucket", "--bucket", b).ok()
    cli("s3api", "put-bucket-lifecycle-configuration", "--bucket", b,
        "--lifecycle-configuration", json.dumps({"Rules": RULES[:1]})).ok()
    assert cli("s3api", "get-bucket-lifecycle-configuration", "--bucket", b).ok()["Rules"][0]["ID"] == "tmp"


def restart_later(srv, days: int):
    port = srv.port
    srv.stop()
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)
    base_command = srv.command
    srv.command = lambda: ["faketime", "-f", later.strftime("@%Y-%m-%d %H:%M:%S"),
                           *[f"127.0.0.1:{port}" if a == "127.0.0.1:0" else a for a in base_command()]]
    srv.extra_env.update({"TZ": "UTC", "FAKETIME_DONT_FAKE_MONOTONIC": "1"})
    srv.start()


def eventually(check, what):
    for _ in range(300):
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"lifecycle pass did not {what}")


def test_rules_run_after_the_clock_moves(server_factory):
    srv = server_factory().start()
    root = s3_client(srv.endpoint, srv.root)
    b = unique("lcrun")
    root.create_bucket(Bucket=b)
    root.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    root.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": RULES})
    root.put_object(Bucket=b, Key="tmp/a", Body=b"a")
    root.put_object(Bucket=b, Key="keep", Body=b"v1")
    root.put_object(Bucket=b, Key="keep", Body=b"v2")
    root.put_object(Bucket=b, Key="gone/x", Body=b"x")
    vid = root.list_object_versions(Bucket=b, Prefix="gone/")["Versions"][0]["VersionId"]
    root.delete_object(Bucket=b, Key="gone/x")
    root.delete_object(Bucket=b, Key="gone/x", VersionId=vid)  # only the marker is left
    up = root.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
    # The pass at startup on the unmoved clock changes nothing.
    srv.restart()
    root = s3_client(srv.endpoint, srv.root)
    assert len(root.list_object_versions(Bucket=b)["Versions"]) == 3

    restart_later(srv, days=3)
    # The client signs on the moved clock too.
    with hg.skewed_clock(dt.timedelta(days=3)):
        root = s3_client(srv.endpoint, srv.root)

        def settled():
            v = root.list_object_versions(Bucket=b)
            versions = [(x["Key"], x["IsLatest"]) for x in v.get("Versions", [])]
            markers = [(m["Key"], m["IsLatest"]) for m in v.get("DeleteMarkers", [])]
            return (
                versions == [("keep", True), ("tmp/a", False)]
                and markers == [("tmp/a", True)]
                and not root.list_multipart_uploads(Bucket=b).get("Uploads")
            )

        eventually(settled, "expire tmp/a, the noncurrent keep version, the lone marker and the upload")
        assert root.get_object(Bucket=b, Key="keep")["Body"].read() == b"v2"
        expect_error(root.list_parts, Bucket=b, Key="mp", UploadId=up, code="NoSuchUpload", status=404)
