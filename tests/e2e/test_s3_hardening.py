"""S3 hardening regressions, end to end: listings with U+10FFFF keys, Range positions at and
past u64, tags that arrive by copy/PUT/multipart need s3:PutObjectTagging, anonymous GETs may
not override response headers, and XML bodies are bounded before parsing."""

from __future__ import annotations

import socket
import threading
from urllib.parse import quote, urlsplit

import botocore.auth
import pytest
import requests
from botocore.awsrequest import AWSRequest

from hg import expect_error, unique
from s3util import allow, assume_role, doc, full_access, s3_client

U64_MAX = 18446744073709551615


@pytest.fixture(scope="module")
def admin_creds(server):
    return full_access(server)


@pytest.fixture(scope="module")
def admin(server, admin_creds):
    return s3_client(server.endpoint, admin_creds)


@pytest.fixture
def bucket(admin):
    name = unique("hd")
    admin.create_bucket(Bucket=name)
    return name


# --- listings -------------------------------------------------------------------------------------

MAX_CHAR = "\U0010ffff"
KEYS = [f"dup/{MAX_CHAR}", f"dup/{MAX_CHAR}x", "dup0", "e", f"z/{MAX_CHAR}{MAX_CHAR}", "z/a"]
EXPECTED = ["P:dup/", "dup0", "e", "P:z/"]


def _entries(page) -> list[str]:
    keys = [o["Key"] for o in page.get("Contents", [])]
    prefixes = ["P:" + p["Prefix"] for p in page.get("CommonPrefixes", [])]
    return sorted(keys + prefixes, key=lambda s: s.removeprefix("P:").encode())


def test_listing_with_max_char_keys_returns_each_prefix_once(admin, bucket):
    for k in KEYS:
        admin.put_object(Bucket=bucket, Key=k, Body=b"")
    assert _entries(admin.list_objects_v2(Bucket=bucket, Delimiter="/")) == EXPECTED

    for max_keys in (1, 2, 3):
        # V2 continuation tokens
        got, token, rounds = [], None, 0
        while True:
            kw = {"ContinuationToken": token} if token else {}
            page = admin.list_objects_v2(Bucket=bucket, Delimiter="/", MaxKeys=max_keys, **kw)
            got += _entries(page)
            rounds += 1
            assert rounds <= len(EXPECTED) + 1, f"listing does not advance: {got}"
            if not page["IsTruncated"]:
                break
            token = page["NextContinuationToken"]
        assert got == EXPECTED, (max_keys, got)

        # V1 markers
        got, marker, rounds = [], "", 0
        while True:
            page = admin.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=max_keys, Marker=marker)
            got += _entries(page)
            rounds += 1
            assert rounds <= len(EXPECTED) + 1, f"listing does not advance: {got}"
            if not page["IsTruncated"]:
                break
            marker = page["NextMarker"]
        assert got == EXPECTED, (max_keys, got)

    # Without a delimiter every key is reachable, in UTF-8 byte order.
    keys = []
    for page in admin.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1}):
        keys += [o["Key"] for o in page.get("Contents", [])]
    assert keys == sorted(KEYS, key=str.encode)

    # A marker inside a returned prefix resumes after the whole prefix.
    page = admin.list_objects_v2(Bucket=bucket, Delimiter="/", StartAfter=f"dup/{MAX_CHAR}")
    assert _entries(page) == ["dup0", "e", "P:z/"]


def test_multipart_upload_listing_with_delimiter(admin, bucket):
    ids = {}
    for k in [f"dup/{MAX_CHAR}", f"dup/{MAX_CHAR}x", "dup0", "e"]:
        ids[k] = admin.create_multipart_upload(Bucket=bucket, Key=k)["UploadId"]
    try:
        page = admin.list_multipart_uploads(Bucket=bucket, Delimiter="/")
        assert [u["Key"] for u in page["Uploads"]] == ["dup0", "e"]
        assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["dup/"]
        got, km, im, rounds = [], "", "", 0
        while True:
            page = admin.list_multipart_uploads(Bucket=bucket, Delimiter="/", MaxUploads=1, KeyMarker=km,
                                                UploadIdMarker=im)
            got += [u["Key"] for u in page.get("Uploads", [])] + ["P:" + p["Prefix"] for p in page.get("CommonPrefixes", [])]
            rounds += 1
            assert rounds <= 5, f"upload listing does not advance: {got}"
            if not page["IsTruncated"]:
                break
            km, im = page["NextKeyMarker"], page.get("NextUploadIdMarker", "")
        assert got == ["P:dup/", "dup0", "e"]
        # A key marker alone lists the keys after it.
        page = admin.list_multipart_uploads(Bucket=bucket, KeyMarker="dup0")
        assert [u["Key"] for u in page["Uploads"]] == ["e"]
    finally:
        for k, up in ids.items():
            admin.abort_multipart_upload(Bucket=bucket, Key=k, UploadId=up)


# --- ranges ---------------------------------------------------------------------------------------


def test_range_end_past_u64_is_clamped(server, admin, bucket):
    body = bytes(range(100))
    admin.put_object(Bucket=bucket, Key="r", Body=body)
    for spec, start in [
        (f"bytes=0-{U64_MAX}", 0),
        (f"bytes=5-{U64_MAX}", 5),
        (f"bytes=5-{U64_MAX - 1}", 5),
        ("bytes=5-99999999999999999999999999", 5),
        (f"bytes=-{U64_MAX}", 0),
    ]:
        r = admin.get_object(Bucket=bucket, Key="r", Range=spec)
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 206, spec
        assert r["ContentRange"] == f"bytes {start}-99/100", spec
        assert r["ContentLength"] == 100 - start, spec
        assert r["Body"].read() == body[start:], spec
    expect_error(admin.get_object, Bucket=bucket, Key="r", Range=f"bytes={U64_MAX}-", code="InvalidRange", status=416)
    expect_error(admin.get_object, Bucket=bucket, Key="r", Range=f"bytes={U64_MAX}-{U64_MAX}",
                 code="InvalidRange", status=416)
    # The server is still up and nothing panicked.
    assert admin.get_object(Bucket=bucket, Key="r")["Body"].read() == body
    assert server.panics() == ""


def test_upload_part_copy_range_at_u64(admin, bucket):
    admin.put_object(Bucket=bucket, Key="src", Body=b"x" * 100)
    up = admin.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    try:
        expect_error(admin.upload_part_copy, Bucket=bucket, Key="dst", UploadId=up, PartNumber=1,
                     CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes=0-{U64_MAX}",
                     code="InvalidRange", status=416)
        r = admin.upload_part_copy(Bucket=bucket, Key="dst", UploadId=up, PartNumber=1,
                                   CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange="bytes=10-99")
        assert r["CopyPartResult"]["ETag"]
    finally:
        admin.abort_multipart_upload(Bucket=bucket, Key="dst", UploadId=up)


# --- tags need s3:PutObjectTagging however they arrive --------------------------------------------


def _tags(admin, bucket, key) -> dict:
    return {t["Key"]: t["Value"] for t in admin.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}


def test_copy_with_tags_needs_put_object_tagging(server, admin, bucket):
    src = unique("src")
    admin.create_bucket(Bucket=src)
    admin.put_object(Bucket=src, Key="tagged", Body=b"t", Tagging="class=secret")
    admin.put_object(Bucket=src, Key="plain", Body=b"p")
    read_src = allow("s3:GetObject", "s3:GetObjectTagging", resource=f"arn:aws:s3:::{src}/*")
    creds, _ = assume_role(server, allow("s3:PutObject", resource=f"arn:aws:s3:::{bucket}/*"), read_src)
    s3 = s3_client(server.endpoint, creds)

    # Default directive COPY would put the source's tags on the destination.
    expect_error(s3.copy_object, Bucket=bucket, Key="d1", CopySource={"Bucket": src, "Key": "tagged"},
                 code="AccessDenied", status=403)
    expect_error(admin.head_object, Bucket=bucket, Key="d1", code="404", status=404)
    expect_error(s3.copy_object, Bucket=bucket, Key="d1", CopySource={"Bucket": src, "Key": "tagged"},
                 TaggingDirective="COPY", code="AccessDenied", status=403)
    expect_error(s3.copy_object, Bucket=bucket, Key="d1", CopySource={"Bucket": src, "Key": "tagged"},
                 TaggingDirective="REPLACE", Tagging="class=public", code="AccessDenied", status=403)
    # Untagged copies need no tagging permission.
    s3.copy_object(Bucket=bucket, Key="d2", CopySource={"Bucket": src, "Key": "tagged"}, TaggingDirective="REPLACE")
    assert _tags(admin, bucket, "d2") == {}
    s3.copy_object(Bucket=bucket, Key="d3", CopySource={"Bucket": src, "Key": "plain"})
    assert _tags(admin, bucket, "d3") == {}

    # PutObject and CreateMultipartUpload with x-amz-tagging need it too.
    expect_error(s3.put_object, Bucket=bucket, Key="p", Body=b"x", Tagging="class=secret",
                 code="AccessDenied", status=403)
    expect_error(admin.head_object, Bucket=bucket, Key="p", code="404", status=404)
    expect_error(s3.create_multipart_upload, Bucket=bucket, Key="m", Tagging="class=secret",
                 code="AccessDenied", status=403)
    assert admin.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []

    # With s3:PutObjectTagging conditioned on the tag value, the copied tags are the request's tags.
    creds2, _ = assume_role(
        server,
        allow("s3:PutObject", resource=f"arn:aws:s3:::{bucket}/*"),
        read_src,
        allow("s3:PutObjectTagging", resource=f"arn:aws:s3:::{bucket}/*",
              Condition={"StringEquals": {"s3:RequestObjectTag/class": "public"}}),
    )
    s3b = s3_client(server.endpoint, creds2)
    expect_error(s3b.copy_object, Bucket=bucket, Key="d4", CopySource={"Bucket": src, "Key": "tagged"},
                 code="AccessDenied", status=403)
    admin.put_object_tagging(Bucket=src, Key="tagged", Tagging={"TagSet": [{"Key": "class", "Value": "public"}]})
    s3b.copy_object(Bucket=bucket, Key="d4", CopySource={"Bucket": src, "Key": "tagged"})
    assert _tags(admin, bucket, "d4") == {"class": "public"}
    s3b.put_object(Bucket=bucket, Key="p2", Body=b"x", Tagging="class=public")
    expect_error(s3b.put_object, Bucket=bucket, Key="p3", Body=b"x", Tagging="class=secret",
                 code="AccessDenied", status=403)


# --- anonymous response overrides -----------------------------------------------------------------

OVERRIDES = {
    "ResponseContentType": "response-content-type",
    "ResponseContentDisposition": "response-content-disposition",
    "ResponseContentEncoding": "response-content-encoding",
    "ResponseContentLanguage": "response-content-language",
    "ResponseCacheControl": "response-cache-control",
    "ResponseExpires": "response-expires",
}
ANON_MESSAGE = "Request specific response headers cannot be used for anonymous GET requests."


def test_anonymous_get_cannot_override_response_headers(server, admin, bucket):
    admin.put_object(Bucket=bucket, Key="pub/page", Body=b"<script>alert(1)</script>", ContentType="text/plain")
    admin.put_bucket_policy(Bucket=bucket, Policy=doc(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/pub/*"}
    ))
    url = f"{server.endpoint}/{bucket}/pub/page"
    plain = requests.get(url, timeout=10)
    assert plain.status_code == 200 and plain.headers["content-type"] == "text/plain"

    anon = s3_client(server.endpoint, None)
    expect_error(anon.get_object, Bucket=bucket, Key="pub/page", ResponseContentType="text/html",
                 code="InvalidRequest", status=400, message=ANON_MESSAGE)
    for param in OVERRIDES.values():
        r = requests.get(url, params={param: "text/html"}, timeout=10)
        assert r.status_code == 400, (param, r.status_code)
        assert "<Code>InvalidRequest</Code>" in r.text and ANON_MESSAGE in r.text, r.text
        assert "script" not in r.text
        h = requests.head(url, params={param: "text/html"}, timeout=10)
        assert h.status_code == 400, (param, h.status_code)
    # Also for a key that does not exist or is private: the refusal reveals nothing.
    r = requests.get(f"{server.endpoint}/{bucket}/priv/none", params={"response-content-type": "text/html"}, timeout=10)
    assert r.status_code == 400

    # Signed requests (header or presigned) may override, as on AWS.
    r = admin.get_object(Bucket=bucket, Key="pub/page", ResponseContentType="text/html",
                         ResponseContentDisposition="attachment")
    assert r["ContentType"] == "text/html" and r["ContentDisposition"] == "attachment"
    presigned = admin.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "pub/page", "ResponseContentType": "text/csv"}, ExpiresIn=300
    )
    r = requests.get(presigned, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv"


# --- XML request bodies are bounded before parsing ------------------------------------------------


def _signed_headers(creds, method: str, url: str, extra: dict) -> dict:
    # Plain SigV4 signs the x-amz-content-sha256 given (S3SigV4Auth would hash the body).
    headers = {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD", **extra}
    req = AWSRequest(method=method, url=url, headers=headers)
    botocore.auth.SigV4Auth(creds.botocore(), "s3", "us-east-1").add_auth(req)
    return dict(req.headers.items())


def _raw_exchange(endpoint: str, method: str, target: str, headers: dict, body: bytes, *, chunked: bool):
    """Sends a request on a raw socket (the body from a thread, so a server that answers
    early cannot block the test) and returns (status, response text)."""
    host, port = urlsplit(endpoint).hostname, urlsplit(endpoint).port
    sock = socket.create_connection((host, port), timeout=30)
    head = f"{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() != "host")
    if chunked:
        head += "Transfer-Encoding: chunked\r\n"
    else:
        head += f"Content-Length: {len(body)}\r\n"
    head += "\r\n"

    def pump():
        try:
            sock.sendall(head.encode())
            if chunked:
                for i in range(0, len(body), 65536):
                    piece = body[i : i + 65536]
                    sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                sock.sendall(b"0\r\n\r\n")
            else:
                sock.sendall(body)
        except OSError:
            pass  # the server answered and closed early: expected for refused bodies

    sender = threading.Thread(target=pump, daemon=True)
    sender.start()
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            got = sock.recv(65536)
            if not got:
                break
            data += got
        header_blob, _, rest = data.partition(b"\r\n\r\n")
        lines = header_blob.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = next((int(l.split(":", 1)[1]) for l in lines[1:] if l.lower().startswith("content-length:")), 0)
        while len(rest) < length:
            got = sock.recv(65536)
            if not got:
                break
            rest += got
    finally:
        sock.close()
        sender.join(timeout=30)
    return status, rest.decode("utf-8", "replace")


@pytest.mark.parametrize("chunked", [False, True], ids=["declared-length", "chunked"])
def test_oversized_xml_bodies_are_refused_before_parsing(server, admin_creds, admin, bucket, chunked):
    admin.put_object(Bucket=bucket, Key="k", Body=b"k")
    big_tags = b"<Tagging><TagSet>" + b"<Tag><Key>k</Key><Value>" + b"v" * (300 * 1024) + b"</Value></Tag></TagSet></Tagging>"
    big_delete = b"<Delete>" + b"<Object><Key>k</Key></Object>" * (400 * 1024) + b"</Delete>"
    cases = [
        ("PUT", f"/{bucket}?tagging", big_tags),
        ("PUT", f"/{bucket}/k?tagging", big_tags),
        ("POST", f"/{bucket}?delete", big_delete),
    ]
    for method, target, body in cases:
        url = server.endpoint + target
        headers = _signed_headers(admin_creds, method, url, {"Content-Type": "application/xml"})
        status, text = _raw_exchange(server.endpoint, method, target, headers, body, chunked=chunked)
        assert status == 400, (target, status, text)
        assert "<Code>MaxMessageLengthExceeded</Code>" in text, (target, text)
    # Nothing changed.
    assert admin.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    expect_error(admin.get_bucket_tagging, Bucket=bucket, code="NoSuchTagSet", status=404)
    assert admin.get_object(Bucket=bucket, Key="k")["Body"].read() == b"k"

    # CreateBucket with an oversized configuration creates nothing.
    name = unique("big")
    target = f"/{name}"
    body = b"<CreateBucketConfiguration>" + b" " * (100 * 1024) + b"</CreateBucketConfiguration>"
    headers = _signed_headers(admin_creds, "PUT", server.endpoint + target, {})
    status, text = _raw_exchange(server.endpoint, "PUT", target, headers, body, chunked=chunked)
    assert status == 400 and "<Code>MaxMessageLengthExceeded</Code>" in text, text
    expect_error(admin.head_bucket, Bucket=name, code="404", status=404)

    # CompleteMultipartUpload with an oversized part list leaves the upload in place.
    up = admin.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    target = f"/{bucket}/mp?uploadId={quote(up)}"
    part = b"<Part><PartNumber>1</PartNumber><ETag>\"0123456789abcdef0123456789abcdef\"</ETag></Part>"
    body = b"<CompleteMultipartUpload>" + part * (70 * 1024) + b"</CompleteMultipartUpload>"
    headers = _signed_headers(admin_creds, "POST", server.endpoint + target, {})
    status, text = _raw_exchange(server.endpoint, "POST", target, headers, body, chunked=chunked)
    assert status == 400 and "<Code>MaxMessageLengthExceeded</Code>" in text, text
    assert [u["UploadId"] for u in admin.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [up]
    admin.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=up)

    # A bucket policy body far past the policy limit: MalformedPolicy, as for a long policy.
    target = f"/{bucket}?policy"
    body = b'{"Version":"2012-10-17","Statement":[' + b" " * (2 * 1024 * 1024) + b"]}"
    headers = _signed_headers(admin_creds, "PUT", server.endpoint + target, {})
    status, text = _raw_exchange(server.endpoint, "PUT", target, headers, body, chunked=chunked)
    assert status == 400 and "<Code>MalformedPolicy</Code>" in text, text
    assert server.panics() == ""
