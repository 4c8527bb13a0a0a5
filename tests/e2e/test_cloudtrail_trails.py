"""CloudTrail trails (issue 15, delivery part): CreateTrail/GetTrail/DescribeTrails/ListTrails/
UpdateTrail/DeleteTrail, StartLogging/StopLogging/GetTrailStatus, event selectors and tags,
with boto3 and the aws CLI; a logging trail delivers its account's events into its bucket
(under its S3KeyPrefix) in CloudTrail's layout.

Delivery waits until events are 10 s old: the tests poll with a generous deadline and assert on
what arrives, never on how fast."""

from __future__ import annotations

import gzip
import json
import re
import time

import hg

ACCT = hg.ACCOUNT_ID
REGION = "us-east-1"


def delivery_policy(bucket: str, prefix: str | None = None) -> str:
    """The bucket policy of AWS's CloudTrail documentation."""
    path = f"{prefix}/AWSLogs/{ACCT}/*" if prefix else f"AWSLogs/{ACCT}/*"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AWSCloudTrailAclCheck",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:GetBucketAcl",
                    "Resource": f"arn:aws:s3:::{bucket}",
                },
                {
                    "Sid": "AWSCloudTrailWrite",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{bucket}/{path}",
                    "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
                },
            ],
        }
    )


def start(server_factory, tmp_path):
    config = tmp_path / "hourglass.toml"
    config.write_text("[audit]\ndelivery_interval_secs = 1\n")
    srv = server_factory(extra_args=["--config", str(config)]).start()
    return srv, hg.client("s3", srv.endpoint, hg.ROOT), hg.client("cloudtrail", srv.endpoint, hg.ROOT)


def bucket_with_policy(s3, bucket: str, prefix: str | None = None) -> None:
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=delivery_policy(bucket, prefix))


def delivered(s3, bucket: str, prefix: str) -> tuple[list[dict], list[str]]:
    records, keys = [], []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
            keys.append(o["Key"])
            records += json.loads(gzip.decompress(body))["Records"]
    return records, keys


def wait_for(s3, bucket: str, prefix: str, pred, srv, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while True:
        records, keys = delivered(s3, bucket, prefix)
        if pred(records):
            return records, keys
        assert time.monotonic() < deadline, f"not delivered: {len(records)} records\n{srv.diagnostics()}"
        time.sleep(1)


def test_a_logging_trail_delivers_its_events_into_its_bucket(server_factory, tmp_path):
    srv, s3, ct = start(server_factory, tmp_path)
    bucket_with_policy(s3, "trail-bucket", "logs")
    iam = srv.iam()
    iam.create_user(UserName="before-logging")
    out = ct.create_trail(Name="main-trail", S3BucketName="trail-bucket", S3KeyPrefix="logs")
    arn = f"arn:aws:cloudtrail:{REGION}:{ACCT}:trail/main-trail"
    assert out["TrailARN"] == arn and out["Name"] == "main-trail"
    assert out["S3BucketName"] == "trail-bucket" and out["S3KeyPrefix"] == "logs"
    assert out["IncludeGlobalServiceEvents"] is True and out["IsMultiRegionTrail"] is False
    status = ct.get_trail_status(Name="main-trail")
    assert status["IsLogging"] is False

    ct.start_logging(Name=arn)
    status = ct.get_trail_status(Name="main-trail")
    assert status["IsLogging"] is True and "StartLoggingTime" in status
    iam.create_user(UserName="trail-u")
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="k", Body=b"v")

    def has_user(records):
        # CreateBucket came after CreateUser: once it is there, every earlier event was seen.
        return any(r["eventName"] == "CreateUser" and r["requestParameters"]["userName"] == "trail-u" for r in records) and any(
            r["eventName"] == "CreateBucket" and r["requestParameters"]["bucketName"] == "data" for r in records
        )

    records, keys = wait_for(s3, "trail-bucket", "logs/", has_user, srv)
    key_re = re.compile(
        rf"^logs/AWSLogs/{ACCT}/CloudTrail/{REGION}/\d{{4}}/\d{{2}}/\d{{2}}/"
        rf"{ACCT}_CloudTrail_{REGION}_\d{{8}}T\d{{4}}Z_[0-9a-f]{{16}}\.json\.gz$"
    )
    assert all(key_re.match(k) for k in keys), keys
    names = {r["eventName"] for r in records}
    # Events before StartLogging are not the trail's; data events need a data selector.
    assert not any((r.get("requestParameters") or {}).get("userName") == "before-logging" for r in records)
    assert "PutObject" not in names
    ids = [r["eventID"] for r in records]
    assert len(ids) == len(set(ids))
    created = next(r for r in records if r["eventName"] == "CreateUser")
    found = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventId", "AttributeValue": created["eventID"]}])["Events"]
    assert json.loads(found[0]["CloudTrailEvent"]) == created

    # Stopping stops delivery: events after StopLogging never arrive.
    ct.stop_logging(Name="main-trail")
    status = ct.get_trail_status(Name="main-trail")
    assert status["IsLogging"] is False and "StopLoggingTime" in status
    iam.create_user(UserName="after-stop")
    # A second trail, logging, proves a delivery round ran after the stop.
    bucket_with_policy(s3, "witness")
    ct.create_trail(Name="witness", S3BucketName="witness")
    ct.start_logging(Name="witness")
    iam.create_user(UserName="witness-u")
    wait_for(
        s3,
        "witness",
        "AWSLogs/",
        lambda rs: any((r.get("requestParameters") or {}).get("userName") == "witness-u" for r in rs),
        srv,
    )
    records, _ = delivered(s3, "trail-bucket", "logs/")
    assert not any((r.get("requestParameters") or {}).get("userName") in ("after-stop", "witness-u") for r in records)
    # The default selector takes no data events.
    assert "PutObject" not in {r["eventName"] for r in records}
    # The status recorded the delivery (written right after it, long before the witness's).
    status = ct.get_trail_status(Name="main-trail")
    assert "LatestDeliveryTime" in status and "LatestDeliveryError" not in status
    assert status["LatestDeliveryTime"] >= status["StartLoggingTime"]


def test_data_event_selectors_and_read_write_type(server_factory, tmp_path):
    srv, s3, ct = start(server_factory, tmp_path)
    bucket_with_policy(s3, "sel-bucket")
    ct.create_trail(Name="sel", S3BucketName="sel-bucket")
    default = ct.get_event_selectors(TrailName="sel")
    assert default["EventSelectors"] == [
        {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [], "ExcludeManagementEventSources": []}
    ]
    out = ct.put_event_selectors(
        TrailName="sel",
        EventSelectors=[
            {
                "ReadWriteType": "WriteOnly",
                "IncludeManagementEvents": True,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::data/"]}],
            }
        ],
    )
    assert out["TrailARN"].endswith(":trail/sel")
    assert ct.get_trail(Name="sel")["Trail"]["HasCustomEventSelectors"] is True
    hg.expect_error(
        ct.put_event_selectors,
        TrailName="sel",
        EventSelectors=[{"ReadWriteType": "Sometimes"}],
        code="InvalidEventSelectorsException",
        status=400,
    )
    ct.start_logging(Name="sel")
    iam = srv.iam()
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="k", Body=b"v")
    s3.get_object(Bucket="data", Key="k")["Body"].read()
    iam.list_users()
    iam.create_user(UserName="sel-u")
    records, _ = wait_for(
        s3,
        "sel-bucket",
        "AWSLogs/",
        lambda rs: {"PutObject", "CreateUser"} <= {r["eventName"] for r in rs},
        srv,
    )
    names = {r["eventName"] for r in records}
    assert "GetObject" not in names and "ListUsers" not in names, names


def test_errors(server_factory, tmp_path):
    srv, s3, ct = start(server_factory, tmp_path)
    s3.create_bucket(Bucket="no-policy")
    bucket_with_policy(s3, "good")
    for bad in ["ab", "-trail", "trail-", "a--b", "my_-trail", "has space", "192.168.5.4"]:
        hg.expect_error(ct.create_trail, Name=bad, S3BucketName="good", code="InvalidTrailNameException", status=400)
    hg.expect_error(
        ct.create_trail,
        Name="trail1",
        S3BucketName="missing-bucket",
        code="S3BucketDoesNotExistException",
        status=400,
        message="S3 bucket missing-bucket does not exist.",
    )
    hg.expect_error(
        ct.create_trail,
        Name="trail1",
        S3BucketName="no-policy",
        code="InsufficientS3BucketPolicyException",
        status=400,
        message="Incorrect S3 bucket policy is detected for bucket: no-policy",
    )
    # The policy allows AWSLogs/ at the root, not under another prefix.
    hg.expect_error(
        ct.create_trail,
        Name="trail1",
        S3BucketName="good",
        S3KeyPrefix="elsewhere",
        code="InsufficientS3BucketPolicyException",
        status=400,
    )
    hg.expect_error(
        ct.create_trail, Name="trail1", S3BucketName="good", KmsKeyId="alias/k", code="UnsupportedOperationException", status=400
    )
    hg.expect_error(
        ct.create_trail,
        Name="trail1",
        S3BucketName="good",
        IsMultiRegionTrail=True,
        IncludeGlobalServiceEvents=False,
        code="InvalidParameterCombinationException",
        status=400,
    )
    ct.create_trail(Name="trail1", S3BucketName="good")
    hg.expect_error(
        ct.create_trail,
        Name="trail1",
        S3BucketName="good",
        code="TrailAlreadyExistsException",
        status=400,
        message=f"Trail trail1 already exists for customer: {ACCT}",
    )
    unknown = f"arn:aws:cloudtrail:{REGION}:{ACCT}:trail/nope"
    for call in (ct.get_trail, ct.delete_trail, ct.start_logging, ct.stop_logging, ct.get_trail_status):
        hg.expect_error(
            call, Name="nope", code="TrailNotFoundException", status=400, message=f"Unknown trail: {unknown} for the user: {ACCT}"
        )
    hg.expect_error(ct.get_event_selectors, TrailName="nope", code="TrailNotFoundException", status=400)
    hg.expect_error(
        ct.add_tags, ResourceId=unknown, TagsList=[{"Key": "k", "Value": "v"}], code="ResourceNotFoundException", status=400
    )
    # A user without cloudtrail permissions is denied.
    _, creds, _ = hg.create_user_with_key(srv.iam())
    other = hg.client("cloudtrail", srv.endpoint, creds)
    hg.expect_error(other.create_trail, Name="trail2", S3BucketName="good", code="AccessDeniedException", status=400)
    assert [t["Name"] for t in ct.list_trails()["Trails"]] == ["trail1"]


def test_describe_update_tags_delete_and_the_cli(server_factory, tmp_path):
    srv, s3, ct = start(server_factory, tmp_path)
    bucket_with_policy(s3, "bkt-one")
    bucket_with_policy(s3, "bkt-two", "p")
    ct.create_trail(Name="alpha", S3BucketName="bkt-one", TagsList=[{"Key": "team", "Value": "sec"}])
    cli = srv.cli(["cloudtrail", "create-trail", "--name", "beta", "--s3-bucket-name", "bkt-one", "--is-multi-region-trail"]).ok()
    assert cli["IsMultiRegionTrail"] is True
    arn_a = f"arn:aws:cloudtrail:{REGION}:{ACCT}:trail/alpha"
    arn_b = f"arn:aws:cloudtrail:{REGION}:{ACCT}:trail/beta"

    listed = ct.list_trails()["Trails"]
    assert listed == [
        {"TrailARN": arn_a, "Name": "alpha", "HomeRegion": REGION},
        {"TrailARN": arn_b, "Name": "beta", "HomeRegion": REGION},
    ]
    assert [t["Name"] for t in ct.describe_trails()["trailList"]] == ["alpha", "beta"]
    assert [t["Name"] for t in ct.describe_trails(trailNameList=["beta"])["trailList"]] == ["beta"]
    assert ct.describe_trails(trailNameList=["missing"])["trailList"] == []
    # From another Region: only the multi-Region trail is visible (as a shadow trail).
    west = hg.client("cloudtrail", srv.endpoint, hg.ROOT, region="us-west-2")
    assert [t["Name"] for t in west.describe_trails()["trailList"]] == ["beta"]
    assert west.describe_trails(includeShadowTrails=False)["trailList"] == []
    hg.expect_error(west.get_trail, Name="alpha", code="TrailNotFoundException", status=400)
    hg.expect_error(west.delete_trail, Name=arn_b, code="InvalidHomeRegionException", status=400)

    got = ct.get_trail(Name=arn_a)["Trail"]
    assert got == {
        "Name": "alpha",
        "S3BucketName": "bkt-one",
        "IncludeGlobalServiceEvents": True,
        "IsMultiRegionTrail": False,
        "HomeRegion": REGION,
        "TrailARN": arn_a,
        "LogFileValidationEnabled": False,
        "HasCustomEventSelectors": False,
        "HasInsightSelectors": False,
        "IsOrganizationTrail": False,
    }
    hg.expect_error(ct.update_trail, Name="alpha", S3BucketName="bkt-two", code="InsufficientS3BucketPolicyException", status=400)
    up = ct.update_trail(Name="alpha", S3BucketName="bkt-two", S3KeyPrefix="p")
    assert (up["S3BucketName"], up["S3KeyPrefix"]) == ("bkt-two", "p")
    assert ct.get_trail(Name="alpha")["Trail"]["S3KeyPrefix"] == "p"

    ct.add_tags(ResourceId=arn_a, TagsList=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "ops"}])
    ct.remove_tags(ResourceId=arn_a, TagsList=[{"Key": "env"}])
    tags = ct.list_tags(ResourceIdList=[arn_a, arn_b])["ResourceTagList"]
    assert tags == [
        {"ResourceId": arn_a, "TagsList": [{"Key": "team", "Value": "ops"}]},
        {"ResourceId": arn_b, "TagsList": []},
    ]
    hg.expect_error(
        ct.add_tags,
        ResourceId=arn_a,
        TagsList=[{"Key": f"k{i}", "Value": "v"} for i in range(50)],
        code="TagsLimitExceededException",
        status=400,
    )

    status = srv.cli(["cloudtrail", "get-trail-status", "--name", "beta"]).ok()
    assert status["IsLogging"] is False
    srv.cli(["cloudtrail", "delete-trail", "--name", "beta"]).ok()
    hg.expect_error(ct.get_trail, Name="beta", code="TrailNotFoundException", status=400)

    # Trails, their logging state and tags survive a restart.
    ct.start_logging(Name="alpha")
    srv.restart()
    ct = hg.client("cloudtrail", srv.endpoint, hg.ROOT)
    assert [t["Name"] for t in ct.list_trails()["Trails"]] == ["alpha"]
    assert ct.get_trail_status(Name="alpha")["IsLogging"] is True
    assert ct.list_tags(ResourceIdList=[arn_a])["ResourceTagList"][0]["TagsList"] == [{"Key": "team", "Value": "ops"}]
    s3 = hg.client("s3", srv.endpoint, hg.ROOT)
    srv.iam().create_user(UserName="after-restart")
    wait_for(
        s3,
        "bkt-two",
        "p/AWSLogs/",
        lambda rs: any((r.get("requestParameters") or {}).get("userName") == "after-restart" for r in rs),
        srv,
    )


def test_a_bucket_policy_withdrawn_holds_delivery_until_restored(server_factory, tmp_path):
    srv, s3, ct = start(server_factory, tmp_path)
    bucket_with_policy(s3, "held")
    ct.create_trail(Name="held", S3BucketName="held")
    s3.delete_bucket_policy(Bucket="held")
    ct.start_logging(Name="held")
    srv.iam().create_user(UserName="held-u")
    deadline = time.monotonic() + 90
    while ct.get_trail_status(Name="held").get("LatestDeliveryError") != "AccessDenied":
        assert time.monotonic() < deadline, srv.diagnostics()
        time.sleep(1)
    assert delivered(s3, "held", "AWSLogs/")[0] == []
    # Once CloudTrail may write again, the held events arrive: nothing was skipped.
    s3.put_bucket_policy(Bucket="held", Policy=delivery_policy("held"))
    wait_for(
        s3,
        "held",
        "AWSLogs/",
        lambda rs: any((r.get("requestParameters") or {}).get("userName") == "held-u" for r in rs),
        srv,
    )
