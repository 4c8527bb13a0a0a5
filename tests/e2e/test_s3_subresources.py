"""Bucket sub-resources Hourglass has no feature behind answer as AWS answers an unconfigured
bucket (what Terraform's aws_s3_bucket reads on every refresh), authorized with their own
actions; the rest answer NotImplemented."""

from __future__ import annotations

import datetime as dt

import botocore.auth
import requests
from botocore.awsrequest import AWSRequest

from hg import expect_error, unique
from s3util import allow, assume_role, full_access, s3_client


def raw_s3(server, creds, method: str, path: str, query: str, body: bytes = b"", headers=None):
    """A SigV4-signed request exactly as written (sub-resources boto3 has no call for)."""
    url = f"{server.endpoint}{path}?{query}"
    req = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    botocore.auth.S3SigV4Auth(creds.botocore(), "s3", "us-east-1").add_auth(req)
    return requests.request(method, url, headers=dict(req.headers.items()), data=body, timeout=30)


def test_unconfigured_subresources(server):
    s3 = s3_client(server.endpoint, full_access(server))
    b = unique("sub")
    s3.create_bucket(Bucket=b)
    expect_error(s3.get_bucket_website, Bucket=b, code="NoSuchWebsiteConfiguration", status=404)
    expect_error(s3.get_bucket_replication, Bucket=b, code="ReplicationConfigurationNotFoundError", status=404)
    expect_error(s3.get_object_lock_configuration, Bucket=b, code="ObjectLockConfigurationNotFoundError", status=404)
    enc = s3.get_bucket_encryption(Bucket=b)["ServerSideEncryptionConfiguration"]["Rules"]
    assert enc == [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]
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
    # Analytics, metrics, inventory and Intelligent-Tiering: none configured, none named.
    assert s3.list_bucket_analytics_configurations(Bucket=b)["IsTruncated"] is False
    assert "AnalyticsConfigurationList" not in s3.list_bucket_analytics_configurations(Bucket=b)
    assert s3.list_bucket_metrics_configurations(Bucket=b)["IsTruncated"] is False
    assert s3.list_bucket_inventory_configurations(Bucket=b)["IsTruncated"] is False
    assert s3.list_bucket_intelligent_tiering_configurations(Bucket=b)["IsTruncated"] is False
    for call in (
        s3.get_bucket_analytics_configuration,
        s3.get_bucket_metrics_configuration,
        s3.get_bucket_inventory_configuration,
        s3.get_bucket_intelligent_tiering_configuration,
        s3.delete_bucket_analytics_configuration,
        s3.delete_bucket_metrics_configuration,
        s3.delete_bucket_inventory_configuration,
        s3.delete_bucket_intelligent_tiering_configuration,
    ):
        expect_error(
            call, Bucket=b, Id="x", code="NoSuchConfiguration", status=404,
            message="The specified configuration does not exist.",
        )
    # Deleting what was never configured succeeds, as on AWS (Terraform's destroy path).
    for call in (s3.delete_bucket_website, s3.delete_bucket_replication, s3.delete_bucket_encryption):
        assert call(Bucket=b)["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_error(limited.delete_bucket_website, Bucket=b, code="AccessDenied", status=403)
    expect_error(limited.list_bucket_metrics_configurations, Bucket=b, code="AccessDenied", status=403)
    # Configurations Hourglass cannot honour are refused, never half-applied.
    expect_error(
        s3.put_bucket_logging, Bucket=b,
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": b, "TargetPrefix": "l/"}},
        code="NotImplemented", status=501,
    )
    expect_error(
        s3.put_object_lock_configuration, Bucket=b,
        ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"},
        code="NotImplemented", status=501,
    )


def test_sub_resources_never_touch_the_object(server):
    """A sub-resource request (retention, legal hold, restore, torrent, select, ...) is never
    read as PutObject, CopyObject or DeleteObject: the object keeps its bytes and metadata."""
    creds = full_access(server)
    s3 = s3_client(server.endpoint, creds)
    b = unique("subobj")
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="k", Body=b"original", Metadata={"m": "1"})
    s3.put_object(Bucket=b, Key="src", Body=b"other")
    before = s3.head_object(Bucket=b, Key="k")

    until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    missing_lock = "Bucket is missing Object Lock Configuration"
    expect_error(
        s3.put_object_retention, Bucket=b, Key="k",
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until},
        code="InvalidRequest", status=400, message=missing_lock,
    )
    expect_error(
        s3.put_object_legal_hold, Bucket=b, Key="k", LegalHold={"Status": "ON"},
        code="InvalidRequest", status=400, message=missing_lock,
    )
    expect_error(s3.get_object_retention, Bucket=b, Key="k", code="InvalidRequest", status=400, message=missing_lock)
    expect_error(s3.get_object_legal_hold, Bucket=b, Key="k", code="InvalidRequest", status=400, message=missing_lock)
    expect_error(
        s3.restore_object, Bucket=b, Key="k", RestoreRequest={"Days": 1},
        code="InvalidObjectState", status=403,
    )
    expect_error(s3.restore_object, Bucket=b, Key="nope", RestoreRequest={"Days": 1}, code="NoSuchKey", status=404)
    expect_error(s3.get_object_torrent, Bucket=b, Key="k", code="NotImplemented", status=501)

    body = b"<Retention><Mode>GOVERNANCE</Mode></Retention>"
    raw = [
        ("PUT", "torrent", {}),
        ("PUT", "restore", {}),
        ("PUT", "select&select-type=2", {}),
        ("PUT", "renameObject", {}),
        ("PUT", "retention", {"x-amz-copy-source": f"/{b}/src"}),
        ("PUT", "torrent", {"x-amz-copy-source": f"/{b}/src"}),
        ("DELETE", "retention", {}),
        ("DELETE", "legal-hold", {}),
        ("DELETE", "acl", {}),
        ("DELETE", "restore", {}),
        ("POST", "select&select-type=2", {}),
        ("PUT", "uploadId=nosuchupload", {}),
    ]
    for method, query, headers in raw:
        r = raw_s3(server, creds, method, f"/{b}/k", query, body, headers)
        assert r.status_code >= 400, (method, query, r.status_code, r.text)
    # Every sub-resource error is an XML S3 error, not a silent success.
    r = raw_s3(server, creds, "DELETE", f"/{b}/k", "retention")
    assert r.status_code == 405 and b"<Code>MethodNotAllowed</Code>" in r.content, r.text

    after = s3.get_object(Bucket=b, Key="k")
    assert after["Body"].read() == b"original"
    assert after["ETag"] == before["ETag"] and after["Metadata"] == {"m": "1"}
    assert after["LastModified"] == before["LastModified"]
    # The bucket was not touched either: a PUT with a bucket sub-resource is no CreateBucket.
    for q in ("object-lock", "replication", "website", "metadataTable"):
        r = raw_s3(server, creds, "PUT", f"/{b}", q, b"<x/>")
        assert r.status_code == 501 and b"NotImplemented" in r.content, (q, r.status_code, r.text)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]] == ["k", "src"]

    # Authorized with their own actions.
    limited_creds, _ = assume_role(server, allow("s3:GetObject", resource=f"arn:aws:s3:::{b}/*"))
    limited = s3_client(server.endpoint, limited_creds)
    expect_error(
        limited.put_object_retention, Bucket=b, Key="k",
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until},
        code="AccessDenied", status=403,
    )
    expect_error(limited.restore_object, Bucket=b, Key="k", RestoreRequest={"Days": 1}, code="AccessDenied", status=403)


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


def test_default_configurations_accepted_others_refused(server):
    """Declaring the state every bucket is in (owner pays, no acceleration, logging or
    notifications) succeeds, as infrastructure tools do; anything else is NotImplemented."""
    s3 = s3_client(server.endpoint, full_access(server))
    b = unique("defs")
    s3.create_bucket(Bucket=b)
    s3.put_bucket_request_payment(Bucket=b, RequestPaymentConfiguration={"Payer": "BucketOwner"})
    s3.put_bucket_accelerate_configuration(Bucket=b, AccelerateConfiguration={"Status": "Suspended"})
    s3.put_bucket_logging(Bucket=b, BucketLoggingStatus={})
    s3.put_bucket_notification_configuration(Bucket=b, NotificationConfiguration={})
    assert s3.get_bucket_request_payment(Bucket=b)["Payer"] == "BucketOwner"
    expect_error(
        s3.put_bucket_request_payment, Bucket=b, RequestPaymentConfiguration={"Payer": "Requester"},
        code="NotImplemented", status=501,
    )
    expect_error(
        s3.put_bucket_accelerate_configuration, Bucket=b, AccelerateConfiguration={"Status": "Enabled"},
        code="NotImplemented", status=501,
    )
    expect_error(
        s3.put_bucket_notification_configuration, Bucket=b,
        NotificationConfiguration={"QueueConfigurations": [
            {"QueueArn": "arn:aws:sqs:us-east-1:123456789012:q", "Events": ["s3:ObjectCreated:*"]},
        ]},
        code="NotImplemented", status=501,
    )
    assert s3.get_bucket_request_payment(Bucket=b)["Payer"] == "BucketOwner"
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=b)
    creds, _ = assume_role(server, allow("s3:GetBucketRequestPayment", resource=f"arn:aws:s3:::{b}"))
    expect_error(
        s3_client(server.endpoint, creds).put_bucket_request_payment, Bucket=b,
        RequestPaymentConfiguration={"Payer": "BucketOwner"}, code="AccessDenied", status=403,
    )


def test_encryption_that_cannot_be_honoured_is_refused(server):
    """KMS and customer-provided keys are refused, never silently ignored; SSE-S3 (AES256)
    is accepted. Nothing is written by a refused request."""
    creds = full_access(server)
    s3 = s3_client(server.endpoint, creds)
    b = unique("sse")
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="aes", Body=b"x", ServerSideEncryption="AES256")
    expect_error(s3.put_object, Bucket=b, Key="kms", Body=b"x", ServerSideEncryption="aws:kms",
                 code="NotImplemented", status=501)
    expect_error(s3.put_object, Bucket=b, Key="kms", Body=b"x", SSEKMSKeyId="alias/k",
                 code="InvalidArgument", status=400)
    expect_error(s3.create_multipart_upload, Bucket=b, Key="kms", ServerSideEncryption="aws:kms",
                 code="NotImplemented", status=501)
    expect_error(s3.copy_object, Bucket=b, Key="kms", CopySource={"Bucket": b, "Key": "aes"},
                 ServerSideEncryption="aws:kms", code="NotImplemented", status=501)
    # SSE-C over plain HTTP, as AWS: refused before anything else.
    r = raw_s3(server, creds, "PUT", f"/{b}/ssec", "x-id=PutObject", b"x", {
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
        "x-amz-server-side-encryption-customer-key": "a" * 44,
        "x-amz-server-side-encryption-customer-key-md5": "b" * 24,
    })
    assert r.status_code == 400 and b"<Code>InvalidRequest</Code>" in r.content, r.text
    r = raw_s3(server, creds, "PUT", f"/{b}/bad", "x-id=PutObject", b"x", {"x-amz-server-side-encryption": "DES"})
    assert r.status_code == 400 and b"<Code>InvalidArgument</Code>" in r.content, r.text
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]] == ["aes"]
    # A read naming a customer key: no object was written with one.
    r = raw_s3(server, creds, "GET", f"/{b}/aes", "x-id=GetObject", b"", {
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
    })
    assert r.status_code == 400 and b"<Code>InvalidRequest</Code>" in r.content, r.text
