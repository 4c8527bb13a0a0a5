"""Flexible checksums as AWS keeps them since 2025: every new object gets one (CRC64NVME when
the client sends none), responses name its type (FULL_OBJECT or COMPOSITE), and multipart
uploads build either a composite checksum or a full-object CRC combined from their parts."""

from __future__ import annotations

import base64
import io
import os
import zlib

import pytest

from hg import expect_error, unique
from s3util import MIB, full_access, s3_client


def _crc64nvme_table() -> list[int]:
    poly = 0x9A6C9329AC4BC9B5
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_T64 = _crc64nvme_table()


def crc64nvme_b64(data: bytes) -> str:
    c = 0xFFFFFFFFFFFFFFFF
    for b in data:
        c = _T64[(c ^ b) & 0xFF] ^ (c >> 8)
    return base64.b64encode((c ^ 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")).decode()


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_crc64nvme_reference():
    # The CRC-64/NVME check value ("123456789"), so the tests below compare with the real thing.
    assert base64.b64decode(crc64nvme_b64(b"123456789")).hex() == "ae8b14860a799888"


@pytest.fixture(scope="module")
def creds(server):
    return full_access(server)


@pytest.fixture(scope="module")
def s3(server, creds):
    return s3_client(server.endpoint, creds)


@pytest.fixture(scope="module")
def plain(server, creds):
    """A client that sends no checksum of its own (what older SDKs and most tools do)."""
    return s3_client(server.endpoint, creds, request_checksum_calculation="when_required")


@pytest.fixture
def bucket(s3):
    name = unique("ck")
    s3.create_bucket(Bucket=name)
    return name


def test_default_crc64nvme_when_client_sends_none(plain, bucket):
    body = os.urandom(3000)
    put = plain.put_object(Bucket=bucket, Key="k", Body=body)
    assert put["ChecksumCRC64NVME"] == crc64nvme_b64(body)
    assert put["ChecksumType"] == "FULL_OBJECT"
    head = plain.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == crc64nvme_b64(body) and head["ChecksumType"] == "FULL_OBJECT"
    # Only when asked for.
    assert "ChecksumCRC64NVME" not in plain.head_object(Bucket=bucket, Key="k")
    listed = plain.list_objects_v2(Bucket=bucket)["Contents"][0]
    assert listed["ChecksumAlgorithm"] == ["CRC64NVME"] and listed["ChecksumType"] == "FULL_OBJECT"
    # An empty object has one too.
    put = plain.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert put["ChecksumCRC64NVME"] == crc64nvme_b64(b"") == "AAAAAAAAAAA="


def test_client_checksum_kept_with_its_type(s3, bucket):
    body = b"hello world"
    put = s3.put_object(Bucket=bucket, Key="k", Body=body)  # boto3 sends CRC32 by default
    assert put["ChecksumCRC32"] == crc32_b64(body) == "DUoRhQ=="
    assert put["ChecksumType"] == "FULL_OBJECT"
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == body and got["ChecksumCRC32"] == "DUoRhQ==" and got["ChecksumType"] == "FULL_OBJECT"
    expect_error(
        s3.put_object, Bucket=bucket, Key="bad", Body=body, ChecksumCRC32=crc32_b64(b"other"),
        code="BadDigest", status=400, message="The CRC32 you specified did not match the calculated checksum.",
    )
    expect_error(s3.head_object, Bucket=bucket, Key="bad", code="404", status=404)


def test_large_bodies_digested_beside_the_write(s3, plain, bucket):
    # Bodies of 1 MiB and more are hashed on a thread of their own: the same ETag, default
    # checksum and refusals as small ones, whatever the framing.
    import hashlib
    body = os.urandom(3 * MIB + 17)
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    put = plain.put_object(Bucket=bucket, Key="big", Body=body, ContentMD5=md5)
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert put["ChecksumCRC64NVME"] == crc64nvme_b64(body)
    assert plain.get_object(Bucket=bucket, Key="big")["Body"].read() == body
    # boto3's default: aws-chunked with a CRC32 trailer.
    put = s3.put_object(Bucket=bucket, Key="big-crc32", Body=body)
    assert put["ChecksumCRC32"] == crc32_b64(body)
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    expect_error(
        plain.put_object, Bucket=bucket, Key="bad-md5", Body=body, ContentMD5=wrong,
        code="BadDigest", status=400, message="The Content-MD5 you specified did not match what we received.",
    )
    expect_error(
        s3.put_object, Bucket=bucket, Key="bad-crc", Body=body, ChecksumCRC32=crc32_b64(b"other"),
        code="BadDigest", status=400, message="The CRC32 you specified did not match the calculated checksum.",
    )
    for key in ("bad-md5", "bad-crc"):
        expect_error(plain.head_object, Bucket=bucket, Key=key, code="404", status=404)


def _parts(client, bucket, key, uid, datas, **kw):
    out = []
    for i, d in enumerate(datas, start=1):
        r = client.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=i, Body=d, **kw)
        out.append((i, r))
    return out


def test_multipart_full_object_crc32(s3, bucket):
    datas = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"tail bytes"]
    whole = b"".join(datas)
    up = s3.create_multipart_upload(Bucket=bucket, Key="f", ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")
    assert up["ChecksumAlgorithm"] == "CRC32" and up["ChecksumType"] == "FULL_OBJECT"
    uid = up["UploadId"]
    parts = _parts(s3, bucket, "f", uid, datas, ChecksumAlgorithm="CRC32")
    listed = s3.list_parts(Bucket=bucket, Key="f", UploadId=uid)
    assert listed["ChecksumAlgorithm"] == "CRC32" and listed["ChecksumType"] == "FULL_OBJECT"
    assert [p["ChecksumCRC32"] for p in listed["Parts"]] == [crc32_b64(d) for d in datas]
    ups = [u for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"] if u["UploadId"] == uid]
    assert ups[0]["ChecksumAlgorithm"] == "CRC32" and ups[0]["ChecksumType"] == "FULL_OBJECT"
    spec = {"Parts": [{"PartNumber": i, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]} for i, r in parts]}
    # A wrong whole-object value, or size, is refused and the upload stays open.
    expect_error(
        s3.complete_multipart_upload, Bucket=bucket, Key="f", UploadId=uid, MultipartUpload=spec,
        ChecksumCRC32=crc32_b64(b"not it"), ChecksumType="FULL_OBJECT", code="BadDigest", status=400,
    )
    expect_error(
        s3.complete_multipart_upload, Bucket=bucket, Key="f", UploadId=uid, MultipartUpload=spec,
        MpuObjectSize=len(whole) + 1, code="InvalidRequest", status=400,
    )
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="f", UploadId=uid, MultipartUpload=spec,
        ChecksumCRC32=crc32_b64(whole), ChecksumType="FULL_OBJECT", MpuObjectSize=len(whole),
    )
    assert done["ChecksumCRC32"] == crc32_b64(whole) and done["ChecksumType"] == "FULL_OBJECT"
    # botocore verifies the body against the full-object CRC32 it receives.
    got = s3.get_object(Bucket=bucket, Key="f", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == crc32_b64(whole) and got["ChecksumType"] == "FULL_OBJECT"
    assert got["Body"].read() == whole
    assert got["ResponseMetadata"]["HTTPHeaders"]["x-amz-checksum-crc32"] == crc32_b64(whole)


def test_multipart_crc64nvme_computed_for_parts(plain, bucket):
    datas = [os.urandom(5 * MIB), os.urandom(1234)]
    whole = b"".join(datas)
    up = plain.create_multipart_upload(Bucket=bucket, Key="n", ChecksumAlgorithm="CRC64NVME")
    assert up["ChecksumType"] == "FULL_OBJECT"
    uid = up["UploadId"]
    parts = _parts(plain, bucket, "n", uid, datas)  # the client sends no checksum
    assert [r["ChecksumCRC64NVME"] for _, r in parts] == [crc64nvme_b64(d) for d in datas]
    done = plain.complete_multipart_upload(
        Bucket=bucket, Key="n", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": i, "ETag": r["ETag"]} for i, r in parts]},
    )
    assert done["ChecksumCRC64NVME"] == crc64nvme_b64(whole) and done["ChecksumType"] == "FULL_OBJECT"
    head = plain.head_object(Bucket=bucket, Key="n", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == crc64nvme_b64(whole) and head["ChecksumType"] == "FULL_OBJECT"


def test_multipart_composite_and_its_rules(s3, bucket):
    datas = [os.urandom(5 * MIB), b"end"]
    up = s3.create_multipart_upload(Bucket=bucket, Key="c", ChecksumAlgorithm="CRC32")
    assert up["ChecksumType"] == "COMPOSITE"
    uid = up["UploadId"]
    parts = _parts(s3, bucket, "c", uid, datas, ChecksumAlgorithm="CRC32")
    expect_error(
        s3.complete_multipart_upload, Bucket=bucket, Key="c", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": i, "ETag": r["ETag"]} for i, r in parts]},
        code="InvalidRequest", status=400,
        message="The upload was created using a crc32 checksum. The complete request must include "
        "the checksum for each part. It was missing for part 1 in the request.",
    )
    expect_error(
        s3.complete_multipart_upload, Bucket=bucket, Key="c", UploadId=uid,
        MultipartUpload={"Parts": [
            {"PartNumber": i, "ETag": r["ETag"], "ChecksumCRC32": crc32_b64(b"wrong")} for i, r in parts
        ]},
        code="InvalidPart", status=400,
    )
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="c", UploadId=uid,
        MultipartUpload={"Parts": [
            {"PartNumber": i, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]} for i, r in parts
        ]},
    )
    raw = b"".join(base64.b64decode(crc32_b64(d)) for d in datas)
    assert done["ChecksumCRC32"] == f"{crc32_b64(raw)}-2" and done["ChecksumType"] == "COMPOSITE"
    head = s3.head_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert head["ChecksumType"] == "COMPOSITE" and head["ChecksumCRC32"] == done["ChecksumCRC32"]


def test_multipart_checksum_declarations_refused(s3, bucket):
    for alg, kind in [("SHA256", "FULL_OBJECT"), ("SHA1", "FULL_OBJECT"), ("CRC64NVME", "COMPOSITE")]:
        expect_error(
            s3.create_multipart_upload, Bucket=bucket, Key="x", ChecksumAlgorithm=alg, ChecksumType=kind,
            code="InvalidRequest", status=400,
        )
    # A whole-object checksum for an upload that declared none.
    uid = s3.create_multipart_upload(Bucket=bucket, Key="u")["UploadId"]
    r = s3.upload_part(Bucket=bucket, Key="u", UploadId=uid, PartNumber=1, Body=b"abc")
    expect_error(
        s3.complete_multipart_upload, Bucket=bucket, Key="u", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r["ETag"]}]},
        ChecksumCRC32=crc32_b64(b"abc"), ChecksumType="FULL_OBJECT", code="InvalidRequest", status=400,
        message="Checksum Type mismatch occurred, expected checksum Type: null, actual checksum Type: crc32",
    )
    assert s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    # Neither refusal created anything.
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_managed_transfer_default_checksum(s3, bucket):
    """s3transfer declares CRC32 on CreateMultipartUpload by default: a composite checksum
    that a download verifies part by part is skipped, the object reads back whole."""
    data = os.urandom(17 * MIB)
    s3.upload_fileobj(io.BytesIO(data), bucket, "managed")
    head = s3.head_object(Bucket=bucket, Key="managed", ChecksumMode="ENABLED")
    assert head["ChecksumType"] == "COMPOSITE" and head["ChecksumCRC32"].endswith("-3")
    out = io.BytesIO()
    s3.download_fileobj(bucket, "managed", out)
    assert out.getvalue() == data


def test_get_object_attributes(server, s3, plain, bucket):
    body = os.urandom(2048)
    plain.put_object(Bucket=bucket, Key="one", Body=body, StorageClass="STANDARD_IA")
    a = plain.get_object_attributes(
        Bucket=bucket, Key="one", ObjectAttributes=["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]
    )
    head = plain.head_object(Bucket=bucket, Key="one")
    assert a["ETag"] == head["ETag"].strip('"')  # unquoted, as AWS sends it here
    assert a["Checksum"] == {"ChecksumCRC64NVME": crc64nvme_b64(body), "ChecksumType": "FULL_OBJECT"}
    assert a["ObjectSize"] == 2048 and a["StorageClass"] == "STANDARD_IA"
    assert "ObjectParts" not in a and a["LastModified"] == head["LastModified"]
    only = plain.get_object_attributes(Bucket=bucket, Key="one", ObjectAttributes=["ObjectSize"])
    assert only["ObjectSize"] == 2048 and "ETag" not in only and "Checksum" not in only
    # A multipart object lists its parts, a page at a time.
    datas = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"x"]
    uid = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="CRC32")["UploadId"]
    parts = _parts(s3, bucket, "mp", uid, datas, ChecksumAlgorithm="CRC32")
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=uid,
        MultipartUpload={"Parts": [
            {"PartNumber": i, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]} for i, r in parts
        ]},
    )
    a = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts", "Checksum"], MaxParts=2)
    op = a["ObjectParts"]
    assert op["TotalPartsCount"] == 3 and op["IsTruncated"] is True and op["NextPartNumberMarker"] == 2
    assert [(p["PartNumber"], p["Size"]) for p in op["Parts"]] == [(1, 5 * MIB), (2, 5 * MIB)]
    assert a["Checksum"]["ChecksumType"] == "COMPOSITE" and a["Checksum"]["ChecksumCRC32"].endswith("-3")
    rest = s3.get_object_attributes(
        Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"], PartNumberMarker=2,
    )["ObjectParts"]
    assert rest["IsTruncated"] is False and [p["PartNumber"] for p in rest["Parts"]] == [3]
    # Errors as AWS.
    expect_error(plain.get_object_attributes, Bucket=bucket, Key="nope", ObjectAttributes=["ETag"], code="NoSuchKey", status=404)
    expect_error(
        plain.get_object_attributes, Bucket=bucket, Key="one", ObjectAttributes=["Bogus"],
        code="InvalidArgument", status=400,
    )
    # Authorized as s3:GetObjectAttributes and s3:GetObject.
    from s3util import allow, assume_role

    arn = f"arn:aws:s3:::{bucket}/*"
    for actions in (["s3:GetObject"], ["s3:GetObjectAttributes"]):
        creds, _ = assume_role(server, allow(*actions, resource=arn))
        expect_error(
            s3_client(server.endpoint, creds).get_object_attributes,
            Bucket=bucket, Key="one", ObjectAttributes=["ETag"], code="AccessDenied", status=403,
        )
    creds, _ = assume_role(server, allow("s3:GetObject", "s3:GetObjectAttributes", resource=arn))
    assert s3_client(server.endpoint, creds).get_object_attributes(
        Bucket=bucket, Key="one", ObjectAttributes=["ObjectSize"]
    )["ObjectSize"] == 2048
