"""Continuous delivery of CloudTrail log files (issue 15 item 2): into a bucket on the server
itself (`audit.delivery_bucket`, through the S3 storage layer, owned by the account) and into a
directory (`audit.delivery_dir`), in CloudTrail's layout, read back with boto3 and gzip.

Delivery waits until events are 10 s old (so none still queued is skipped): the test polls for
the files with a generous deadline; it asserts on what arrives, never on how fast."""

from __future__ import annotations

import gzip
import json
import re
import time

import hg

BUCKET = "trail-logs"
KEY_RE = re.compile(
    rf"^AWSLogs/{hg.ACCOUNT_ID}/CloudTrail/us-east-1/\d{{4}}/\d{{2}}/\d{{2}}/"
    rf"{hg.ACCOUNT_ID}_CloudTrail_us-east-1_\d{{8}}T\d{{4}}Z_[0-9a-f]{{16}}\.json\.gz$"
)


def bucket_records(s3) -> tuple[list[dict], list[dict]]:
    """Every record delivered into the bucket, and the objects' metadata."""
    records, objects = [], []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="AWSLogs/"):
        for o in page.get("Contents", []):
            got = s3.get_object(Bucket=BUCKET, Key=o["Key"])
            body = got["Body"].read()
            objects.append({"Key": o["Key"], "ContentType": got.get("ContentType"), "ContentEncoding": got.get("ContentEncoding")})
            records += json.loads(gzip.decompress(body))["Records"]
    return records, objects


def test_log_files_are_delivered_into_a_bucket_and_a_directory(server_factory, tmp_path):
    logs = tmp_path / "logs"
    config = tmp_path / "hourglass.toml"
    config.write_text(f'[audit]\ndelivery_bucket = "{BUCKET}"\ndelivery_dir = "{logs}"\ndelivery_interval_secs = 1\n')
    srv = server_factory(extra_args=["--config", str(config)]).start()
    s3 = hg.client("s3", srv.endpoint, hg.ROOT)
    iam = srv.iam()
    # Events made before the bucket exists are delivered once it does (the position only
    # moves on after a successful write).
    iam.create_user(UserName="early-bird")
    time.sleep(2)
    s3.create_bucket(Bucket=BUCKET)
    iam.create_user(UserName="del-u")
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="k", Body=b"v")

    deadline = time.monotonic() + 90
    while True:
        records, objects = bucket_records(s3)
        names = {(r["eventName"], (r.get("requestParameters") or {}).get("userName")) for r in records}
        if {("CreateUser", "del-u"), ("CreateUser", "early-bird")} <= names and any(r["eventName"] == "PutObject" for r in records):
            break
        assert time.monotonic() < deadline, f"not delivered: {sorted(names)[:20]}\n{srv.diagnostics()}"
        time.sleep(1)

    for o in objects:
        assert KEY_RE.match(o["Key"]), o["Key"]
        assert (o["ContentType"], o["ContentEncoding"]) == ("application/json", "gzip")
    ids = [r["eventID"] for r in records]
    assert len(ids) == len(set(ids)), "an event was delivered twice"
    # The records are exactly LookupEvents' CloudTrailEvent.
    created = next(r for r in records if r["eventName"] == "CreateUser" and r["requestParameters"]["userName"] == "del-u")
    ct = hg.client("cloudtrail", srv.endpoint, hg.ROOT)
    found = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventId", "AttributeValue": created["eventID"]}])["Events"]
    assert json.loads(found[0]["CloudTrailEvent"]) == created
    assert created["userIdentity"]["type"] == "Root" and created["recipientAccountId"] == hg.ACCOUNT_ID
    put = next(r for r in records if r["eventName"] == "PutObject")
    assert put["requestParameters"]["bucketName"] == "data" and put["eventCategory"] == "Data"

    # The directory received the same events, independently of the bucket.
    deadline = time.monotonic() + 90
    while True:
        files = sorted(logs.glob(f"AWSLogs/{hg.ACCOUNT_ID}/CloudTrail/us-east-1/*/*/*/*.json.gz"))
        dir_ids = {r["eventID"] for f in files for r in json.loads(gzip.decompress(f.read_bytes()))["Records"]}
        if created["eventID"] in dir_ids:
            break
        assert time.monotonic() < deadline, srv.diagnostics()
        time.sleep(1)
    assert all(KEY_RE.match(str(f.relative_to(logs))) for f in files)


def test_a_bucket_of_another_account_or_missing_receives_nothing(server_factory, tmp_path):
    config = tmp_path / "hourglass.toml"
    config.write_text('[audit]\ndelivery_bucket = "nowhere"\ndelivery_interval_secs = 1\n')
    srv = server_factory(extra_args=["--config", str(config)]).start()
    srv.iam().create_user(UserName="x")
    deadline = time.monotonic() + 60
    while "bucket nowhere does not exist" not in srv.stderr_text():
        assert time.monotonic() < deadline, srv.diagnostics()
        time.sleep(1)
    assert srv.running()
