"""S3 buckets and objects through boto3 over plain HTTP, with temporary credentials from
AssumeRole: the wire shapes, errors and limits clients depend on."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import os
import zlib

import pytest
import requests
from botocore.exceptions import ClientError

import hg
from hg import expect_error, unique
from s3util import MIB, s3_client, signed_chunked_put


BUCKET_PREFIX = "b"


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


# --- buckets --------------------------------------------------------------------------------------


def test_bucket_lifecycle(s3):
    name = unique("life")
    s3.create_bucket(Bucket=name)
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.head_bucket(Bucket=name)
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    assert "Status" not in s3.get_bucket_versioning(Bucket=name)
    expect_error(s3.create_bucket, Bucket=name, code="BucketAlreadyOwnedByYou", status=409)
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    expect_error(s3.delete_bucket, Bucket=name, code="BucketNotEmpty", status=409)
    s3.delete_object(Bucket=name, Key="k")
    s3.delete_bucket(Bucket=name)
    expect_error(s3.head_bucket, Bucket=name, code="404", status=404)
    expect_error(s3.list_objects_v2, Bucket=name, code="NoSuchBucket", status=404)


@pytest.mark.parametrize("bad", ["ab", "Upper", "-lead", "a..b", "192.168.0.1", "a_b"])
def test_bucket_name_rules(s3, bad):
    try:
        s3.create_bucket(Bucket=bad)
    except ClientError as e:
        assert e.response["Error"]["Code"] == "InvalidBucketName"
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    except Exception as e:  # botocore refuses some names locally
        assert "Invalid bucket name" in str(e)
    else:
        raise AssertionError(f"{bad} was accepted")


def test_bucket_tagging(s3, bucket):
    expect_error(s3.get_bucket_tagging, Bucket=bucket, code="NoSuchTagSet", status=404)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "a"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "a"}]
    s3.delete_bucket_tagging(Bucket=bucket)
    expect_error(s3.get_bucket_tagging, Bucket=bucket, code="NoSuchTagSet", status=404)


# --- objects --------------------------------------------------------------------------------------


def test_put_get_head_metadata_and_checksums(s3, bucket):
    body = os.urandom(1024)
    put = s3.put_object(
        Bucket=bucket, Key="dir/obj.bin", Body=body, ContentType="application/x-test",
        Metadata={"color": "blue"}, CacheControl="no-cache",
    )
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert put["ChecksumCRC32"] == crc32_b64(body)
    got = s3.get_object(Bucket=bucket, Key="dir/obj.bin")
    assert got["Body"].read() == body
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"color": "blue"}
    assert got["CacheControl"] == "no-cache"
    assert got["ChecksumCRC32"] == crc32_b64(body)
    head = s3.head_object(Bucket=bucket, Key="dir/obj.bin")
    assert head["ContentLength"] == 1024 and head["ETag"] == put["ETag"]
    # Other algorithms are verified and returned too.
    for alg in ["SHA1", "SHA256"]:  # CRC32C needs botocore[crt]
        r = s3.put_object(Bucket=bucket, Key=f"alg-{alg}", Body=b"abc", ChecksumAlgorithm=alg)
        assert r[f"Checksum{alg}"]
        g = s3.get_object(Bucket=bucket, Key=f"alg-{alg}", ChecksumMode="ENABLED")
        assert g[f"Checksum{alg}"] == r[f"Checksum{alg}"] and g["Body"].read() == b"abc"


def test_content_md5_and_checksum_mismatch(s3, bucket, server, creds):
    good = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    s3.put_object(Bucket=bucket, Key="md5", Body=b"data", ContentMD5=good)
    bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    expect_error(s3.put_object, Bucket=bucket, Key="md5", Body=b"data", ContentMD5=bad, code="BadDigest", status=400)
    expect_error(
        s3.put_object, Bucket=bucket, Key="crc", Body=b"data", ChecksumCRC32=crc32_b64(b"nope"),
        code="BadDigest", status=400,
    )
    expect_error(s3.head_object, Bucket=bucket, Key="crc", code="404", status=404)


def test_missing_key_and_conditional_reads(s3, bucket):
    expect_error(s3.get_object, Bucket=bucket, Key="nope", code="NoSuchKey", status=404)
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"0123456789")["ETag"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"0123456789"
    expect_error(s3.get_object, Bucket=bucket, Key="c", IfMatch='"00"', code="PreconditionFailed", status=412)
    expect_error(s3.get_object, Bucket=bucket, Key="c", IfNoneMatch=etag, code="304", status=304)
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    expect_error(s3.get_object, Bucket=bucket, Key="c", IfModifiedSince=future, code="304", status=304)
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=past)["ContentLength"] == 10
    expect_error(s3.get_object, Bucket=bucket, Key="c", IfUnmodifiedSince=past, code="PreconditionFailed", status=412)
    assert s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=future)["ContentLength"] == 10


def test_ranges(s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    r = s3.get_object(Bucket=bucket, Key="r", Range="bytes=2-4")
    assert r["Body"].read() == b"234" and r["ContentRange"] == "bytes 2-4/10"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=-3")["Body"].read() == b"789"
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=7-")["Body"].read() == b"789"
    expect_error(s3.get_object, Bucket=bucket, Key="r", Range="bytes=10-", code="InvalidRange", status=416)


def test_awkward_keys_are_stored_safely(s3, bucket, server):
    keys = ["../../x", "a//b", "sp ace/+plus", "uni/é中", "q?&=#", "tilde~*'()!"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    for k in keys:
        assert s3.get_object(Bucket=bucket, Key=k)["Body"].read() == k.encode()
    listed = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert listed == sorted(keys)
    # Nothing escaped the data directory: no file outside it was created.
    assert not (server.data_dir.parent / "x").exists()
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="nul\x00byte", Body=b"")
    assert e.value.response["Error"]["Code"] in ("InvalidArgument", "InvalidURI")
    expect_error(s3.put_object, Bucket=bucket, Key="k" * 1025, Body=b"", code="KeyTooLongError", status=400)


def test_delete_and_delete_objects(s3, bucket):
    for k in ["a", "b", "c"]:
        s3.put_object(Bucket=bucket, Key=k, Body=b"1")
    s3.delete_object(Bucket=bucket, Key="a")
    s3.delete_object(Bucket=bucket, Key="a")  # idempotent: 204 for a missing key
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "b"}, {"Key": "c"}, {"Key": "zz"}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == ["b", "c", "zz"]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_copy_object_metadata_directive(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"payload", Metadata={"m": "1"}, ContentType="text/plain")
    r = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert r["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"payload").hexdigest()}"'
    g = s3.get_object(Bucket=bucket, Key="dst")
    assert g["Body"].read() == b"payload" and g["Metadata"] == {"m": "1"} and g["ContentType"] == "text/plain"
    s3.copy_object(
        Bucket=bucket, Key="dst2", CopySource=f"{bucket}/src", MetadataDirective="REPLACE",
        Metadata={"m": "2"}, ContentType="text/x",
    )
    g = s3.head_object(Bucket=bucket, Key="dst2")
    assert g["Metadata"] == {"m": "2"} and g["ContentType"] == "text/x"
    expect_error(
        s3.copy_object, Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"},
        code="InvalidRequest", status=400,
    )
    expect_error(
        s3.copy_object, Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "missing"},
        code="NoSuchKey", status=404,
    )


def test_object_tagging(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"", Tagging="a=1&b=two")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [
        {"Key": "a", "Value": "1"}, {"Key": "b", "Value": "two"},
    ]
    assert s3.head_object(Bucket=bucket, Key="t")["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "2"
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "c", "Value": "3"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "c", "Value": "3"}]
    s3.delete_object_tagging(Bucket=bucket, Key="t")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    expect_error(s3.get_object_tagging, Bucket=bucket, Key="none", code="NoSuchKey", status=404)


# --- listing --------------------------------------------------------------------------------------


def test_list_prefix_delimiter_and_pagination(s3, bucket):
    keys = ["a/1", "a/2", "a/b/3", "b", "c d/1", "c d/2", "e+f"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"")
    r = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [c["Prefix"] for c in r["CommonPrefixes"]] == ["a/", "c d/"]
    assert [o["Key"] for o in r["Contents"]] == ["b", "e+f"]
    r = s3.list_objects_v2(Bucket=bucket, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["a/1", "a/2"]
    assert [c["Prefix"] for c in r["CommonPrefixes"]] == ["a/b/"]
    # Pages of two via continuation tokens, with the paginator.
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 4
    assert [o["Key"] for p in pages for o in p.get("Contents", [])] == keys
    r = s3.list_objects_v2(Bucket=bucket, StartAfter="b")
    assert [o["Key"] for o in r["Contents"]] == ["c d/1", "c d/2", "e+f"]
    r = s3.list_objects_v2(Bucket=bucket, MaxKeys=1)
    assert r["IsTruncated"] and r["KeyCount"] == 1 and "NextContinuationToken" in r
    # V1 with markers, and delimiter pagination over common prefixes.
    pages = list(s3.get_paginator("list_objects").paginate(Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 1}))
    seen = [x for p in pages for x in [o["Key"] for o in p.get("Contents", [])] + [c["Prefix"] for c in p.get("CommonPrefixes", [])]]
    assert seen == ["a/", "b", "c d/", "e+f"]
    r = s3.list_objects(Bucket=bucket, Marker="c d/1")
    assert [o["Key"] for o in r["Contents"]] == ["c d/2", "e+f"]


def test_list_url_encoding_raw(server, creds, bucket, s3):
    s3.put_object(Bucket=bucket, Key="a b/é", Body=b"")
    import hg

    url, headers, body = hg.signed_request(
        server.endpoint, creds, None, service="s3", method="GET", path=f"/{bucket}",
        query={"list-type": "2", "encoding-type": "url"},
        headers={"x-amz-content-sha256": hashlib.sha256(b"").hexdigest(), "x-amz-security-token": creds.session_token},
    )
    r = requests.get(url, headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    assert "<Key>a%20b/%C3%A9</Key>" in r.text
    assert "<EncodingType>url</EncodingType>" in r.text


# --- large objects and multipart ------------------------------------------------------------------


def test_upload_and_download_fileobj_50mib(s3, bucket):
    data = os.urandom(50 * MIB)
    s3.upload_fileobj(io.BytesIO(data), bucket, "big/50m")
    head = s3.head_object(Bucket=bucket, Key="big/50m")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-7"')  # s3transfer's 8 MiB parts
    out = io.BytesIO()
    s3.download_fileobj(bucket, "big/50m", out)
    assert hashlib.sha256(out.getvalue()).digest() == hashlib.sha256(data).digest()


def test_multipart_low_level(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="CRC32")
    uid = up["UploadId"]
    p1 = os.urandom(5 * MIB)
    p2 = b"tail"
    r1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=1, Body=p1, ChecksumAlgorithm="CRC32")
    r2 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=2, Body=p2, ChecksumAlgorithm="CRC32")
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [u["UploadId"] for u in uploads] == [uid]
    parts = s3.list_parts(Bucket=bucket, Key="mp", UploadId=uid)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 5 * MIB), (2, 4)]
    expect_error(
        s3.complete_multipart_upload, Bucket=bucket, Key="mp", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": r2["ETag"]}, {"PartNumber": 1, "ETag": r1["ETag"]}]},
        code="InvalidPartOrder", status=400,
    )
    expect_error(
        s3.complete_multipart_upload, Bucket=bucket, Key="mp", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"0000"'}]},
        code="InvalidPart", status=400,
    )
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=uid,
        MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": r1["ETag"], "ChecksumCRC32": r1["ChecksumCRC32"]},
            {"PartNumber": 2, "ETag": r2["ETag"], "ChecksumCRC32": r2["ChecksumCRC32"]},
        ]},
    )
    md5s = hashlib.md5(hashlib.md5(p1).digest() + hashlib.md5(p2).digest()).hexdigest()
    assert done["ETag"] == f'"{md5s}-2"'
    assert s3.get_object(Bucket=bucket, Key="mp", ChecksumMode="ENABLED")["Body"].read() == p1 + p2
    assert s3.get_object(Bucket=bucket, Key="mp", PartNumber=2)["Body"].read() == p2
    expect_error(s3.list_parts, Bucket=bucket, Key="mp", UploadId=uid, code="NoSuchUpload", status=404)


def test_multipart_rules_copy_and_abort(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"0123456789" * (MIB // 2))
    uid = s3.create_multipart_upload(Bucket=bucket, Key="m2")["UploadId"]
    small = s3.upload_part(Bucket=bucket, Key="m2", UploadId=uid, PartNumber=1, Body=b"small")
    last = s3.upload_part_copy(
        Bucket=bucket, Key="m2", UploadId=uid, PartNumber=2, CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceRange="bytes=0-9",
    )
    expect_error(
        s3.complete_multipart_upload, Bucket=bucket, Key="m2", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": small["ETag"]}, {"PartNumber": 2, "ETag": last["CopyPartResult"]["ETag"]}]},
        code="EntityTooSmall", status=400,
    )
    expect_error(
        s3.upload_part, Bucket=bucket, Key="m2", UploadId=uid, PartNumber=10001, Body=b"x",
        code="InvalidArgument", status=400,
    )
    s3.abort_multipart_upload(Bucket=bucket, Key="m2", UploadId=uid)
    expect_error(s3.abort_multipart_upload, Bucket=bucket, Key="m2", UploadId=uid, code="NoSuchUpload", status=404)
    # A copied part alone completes.
    uid = s3.create_multipart_upload(Bucket=bucket, Key="m3")["UploadId"]
    p = s3.upload_part_copy(Bucket=bucket, Key="m3", UploadId=uid, PartNumber=1, CopySource=f"{bucket}/src")
    s3.complete_multipart_upload(
        Bucket=bucket, Key="m3", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p["CopyPartResult"]["ETag"]}]},
    )
    assert s3.get_object(Bucket=bucket, Key="m3")["Body"].read() == b"0123456789" * (MIB // 2)


# --- payload modes --------------------------------------------------------------------------------


def test_unsigned_payload(server, creds, bucket):
    s3u = s3_client(server.endpoint, creds, s3={"addressing_style": "path", "payload_signing_enabled": False},
                    request_checksum_calculation="when_required")
    s3u.put_object(Bucket=bucket, Key="u", Body=b"unsigned body")
    assert s3u.get_object(Bucket=bucket, Key="u")["Body"].read() == b"unsigned body"


@pytest.mark.parametrize("trailer", [None, "x-amz-checksum-crc32"])
def test_signed_aws_chunked(server, creds, s3, bucket, trailer):
    data = os.urandom(200 * 1024 + 17)
    r = signed_chunked_put(server.endpoint, creds, bucket, "chunked", data, trailer=trailer)
    assert r.status_code == 200, r.text
    assert s3.get_object(Bucket=bucket, Key="chunked")["Body"].read() == data
    r = signed_chunked_put(server.endpoint, creds, bucket, "tampered", data, trailer=trailer, tamper=True)
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text
    expect_error(s3.head_object, Bucket=bucket, Key="tampered", code="404", status=404)


def test_content_sha256_mismatch(server, creds, bucket):
    import hg

    url, headers, body = hg.signed_request(
        server.endpoint, creds, b"hello", service="s3", method="PUT", path=f"/{bucket}/sha",
        headers={"x-amz-content-sha256": hashlib.sha256(b"other").hexdigest(), "x-amz-security-token": creds.session_token,
                 "Content-Type": "text/plain"},
    )
    r = requests.put(url, headers=headers, data=b"hello", timeout=10)
    assert r.status_code == 400 and "<Code>XAmzContentSHA256Mismatch</Code>" in r.text, r.text


# --- presigned URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize("sigver", [None, "s3v4"])
def test_presigned_get_and_put(server, creds, bucket, sigver):
    s3p = s3_client(server.endpoint, creds, signature_version=sigver)
    put_url = s3p.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "pre sign/k"}, ExpiresIn=300)
    assert ("X-Amz-Signature" in put_url) == (sigver == "s3v4")
    r = requests.put(put_url, data=b"via presigned put", timeout=10)
    assert r.status_code == 200, r.text
    get_url = s3p.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pre sign/k"}, ExpiresIn=300)
    r = requests.get(get_url, timeout=10)
    assert r.status_code == 200 and r.content == b"via presigned put"
    # Tampering with the URL breaks it.
    r = requests.get(get_url.replace("pre%20sign", "pre%20signX"), timeout=10)
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text


def test_presign_v4_expiry_limits(server, creds, bucket):
    s3p = s3_client(server.endpoint, creds, signature_version="s3v4")
    url = s3p.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=604801)
    r = requests.get(url, timeout=10)
    assert r.status_code == 400 and "AuthorizationQueryParametersError" in r.text
    import hg

    with hg.skewed_clock(dt.timedelta(hours=-2)):
        old = s3p.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    r = requests.get(old, timeout=10)
    assert r.status_code == 403 and "<Message>Request has expired</Message>" in r.text


def test_sigv2_header_auth(server, creds, bucket):
    v2 = s3_client(server.endpoint, creds, signature_version="s3")
    v2.put_object(Bucket=bucket, Key="v2/k", Body=b"signed with v2")
    assert v2.get_object(Bucket=bucket, Key="v2/k")["Body"].read() == b"signed with v2"
    bad = s3_client(server.endpoint, hg.Creds(creds.access_key_id, "z" * 40, creds.session_token), signature_version="s3")
    expect_error(bad.get_object, Bucket=bucket, Key="v2/k", code="SignatureDoesNotMatch", status=403)


def test_anonymous_is_denied_without_policy(server, bucket, s3):
    s3.put_object(Bucket=bucket, Key="private", Body=b"x")
    anon = s3_client(server.endpoint, None)
    expect_error(anon.get_object, Bucket=bucket, Key="private", code="AccessDenied", status=403)
    expect_error(anon.list_buckets, code="AccessDenied", status=403)
    r = requests.get(f"{server.endpoint}/{bucket}/private", timeout=10)
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text


def test_empty_put_then_large_put_on_one_connection(server, creds, bucket):
    # botocore sends `Expect: 100-continue` with every PutObject; an empty one is answered
    # without the interim 100, and botocore would then misparse the next answer on that
    # connection (it keeps the early answer's status line). The server closes such a
    # connection, so the SDK's next PUT starts afresh.
    client = s3_client(server.endpoint, creds, request_checksum_calculation="when_required")
    for i in range(2):
        assert client.put_object(Bucket=bucket, Key=f"empty-{i}", Body=b"")["ETag"]
        body = os.urandom(2 * MIB)
        put = client.put_object(Bucket=bucket, Key=f"big-{i}", Body=body)
        assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
        assert client.get_object(Bucket=bucket, Key=f"big-{i}")["Body"].read() == body
