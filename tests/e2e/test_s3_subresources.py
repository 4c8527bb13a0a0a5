"""Bucket sub-resources Hourglass has no feature behind answer as AWS answers an unconfigured
bucket (what Terraform's aws_s3_bucket reads on every refresh), authorized with their own
actions; the rest answer NotImplemented."""

from __future__ import annotations

from hg import expect_error, unique
from s3util import allow, assume_role, full_access, s3_client


def test_unconfigured_subresources(server):
    s3 = s3_client(server.endpoint, full_access(server))
    b = unique("sub")
    s3.create_bucket(Bucket=b)
    expect_error(s3.get_bucket_website, Bucket=b, code="NoSuchWebsiteConfiguration", status=404)
    expect_error(s3.get_bucket_replication, Bucket=b, code="ReplicationConfigurationNotFoundError", status=404)
    expect_error(s3.get_object_lock_configuration, Bucket=b, code="ObjectLockConfigurationNotFoundError", status=404)
    expect_error(s3.get_bucket_encryption, Bucket=b, code="ServerSideEncryptionConfigurationNotFoundError", status=404)
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=b)
    n = s3.get_bucket_notification_configuration(Bucket=b)
    assert not any(k in n for k in ("TopicConfigurations", "QueueConfigurations", "LambdaFunctionConfigurations"))
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=b)
    assert s3.get_bucket_request_payment(Bucket=b)["Payer"] == "BucketOwner"
    expect_error(s3.get_bucket_website, Bucket=unique("none"), code="NoSuchBucket", status=404)
    # Each is authorized with its own action.
    creds, _ = assume_role(server, allow("s3:GetBucketLogging", resource=f"arn:aws:s3:::{b}"))
    limited = s3_client(server.endpoint, creds)
    limited.get_bucket_logging(Bucket=b)
    expect_error(limited.get_bucket_website, Bucket=b, code="AccessDenied", status=403)
    expect_error(limited.get_bucket_request_payment, Bucket=b, code="AccessDenied", status=403)
    # Unsupported features still say so.
    expect_error(s3.list_bucket_analytics_configurations, Bucket=b, code="NotImplemented", status=501)


def test_list_buckets_pages_and_prefix(server):
    s3 = s3_client(server.endpoint, full_access(server))
    p = unique("lb")
    names = [f"{p}-{i}" for i in range(3)]
    for n in names:
        s3.create_bucket(Bucket=n)
    first = s3.list_buckets(Prefix=p, MaxBuckets=2)
    assert [b["Name"] for b in first["Buckets"]] == names[:2] and first["Prefix"] == p
    second = s3.list_buckets(Prefix=p, MaxBuckets=2, ContinuationToken=first["ContinuationToken"])
    assert [b["Name"] for b in second["Buckets"]] == names[2:] and "ContinuationToken" not in second
    assert [b["Name"] for b in s3.list_buckets(Prefix=p)["Buckets"]] == names
    expect_error(s3.list_buckets, MaxBuckets=10001, code="InvalidArgument", status=400)
    expect_error(s3.list_buckets, ContinuationToken="%%%", code="InvalidArgument", status=400)
