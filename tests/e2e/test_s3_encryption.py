"""SSE-S3: every object's bytes are encrypted at rest under a per-file key sealed by the
server key ring; responses say `x-amz-server-side-encryption: AES256` as AWS does; ranged
reads, copies and multipart objects read back exactly; key rotation and restarts keep
objects readable; a damaged file answers 500 and never wrong bytes."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import requests

import hg
from hg import expect_error, unique
from s3util import MIB, full_access, s3_client

CHUNK = 64 * 1024


def data_files(srv) -> list[Path]:
    root = Path(srv.data_dir) / "objects"
    return [p for p in root.rglob("*") if p.is_file() and p.parent.name != "tmp"]


def assert_not_on_disk(srv, body: bytes) -> None:
    # Every file of the data directory: small objects live in the metadata database.
    assert data_files(srv), "no object data files found"
    on_disk = b"".join(p.read_bytes() for p in Path(srv.data_dir).rglob("*") if p.is_file())
    step = max(1, len(body) // 16)
    for i in range(0, max(1, len(body) - 32), step):
        assert body[i : i + 32] not in on_disk, f"plaintext at offset {i} found on disk"


def rotate_server_key(srv):
    """Stops the server, rotates its key ring with the CLI, starts it again; a new client."""
    assert srv.stop() == 0
    p = subprocess.run(
        [str(hg.binary_path()), "rotate-server-key", "--data-dir", str(srv.data_dir)],
        env=hg.clean_env(), capture_output=True, text=True, timeout=30,
    )
    assert p.returncode == 0, p.stderr
    srv.start()
    return s3_client(srv.endpoint, full_access(srv))


def sse(resp) -> str | None:
    return resp["ResponseMetadata"]["HTTPHeaders"].get("x-amz-server-side-encryption")


def test_every_write_and_read_is_encrypted(fresh_server):
    srv = fresh_server
    s3 = s3_client(srv.endpoint, full_access(srv))
    b = unique("enc")
    s3.create_bucket(Bucket=b)
    conf = s3.get_bucket_encryption(Bucket=b)["ServerSideEncryptionConfiguration"]
    assert conf["Rules"] == [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}
    ]

    small = b"a small secret: " + os.urandom(40)
    large = os.urandom(3 * CHUNK + 1234)  # several chunks, last one partial
    exact = os.urandom(2 * CHUNK)  # ends on a chunk boundary
    for key, body in (("small", small), ("large", large), ("exact", exact), ("empty", b"")):
        r = s3.put_object(Bucket=b, Key=key, Body=body)
        assert r["ServerSideEncryption"] == "AES256"
        g = s3.get_object(Bucket=b, Key=key)
        assert g["ServerSideEncryption"] == "AES256"
        assert g["Body"].read() == body
        h = s3.head_object(Bucket=b, Key=key)
        assert h["ServerSideEncryption"] == "AES256" and h["ContentLength"] == len(body)
    s3.put_object(Bucket=b, Key="asked", Body=b"x", ServerSideEncryption="AES256")

    # Ranges across chunk boundaries read exactly the bytes asked for.
    for lo, hi in ((0, 0), (CHUNK - 1, CHUNK), (CHUNK - 2, CHUNK + 1), (CHUNK, 2 * CHUNK - 1),
                   (100, 3 * CHUNK + 5), (3 * CHUNK, len(large) - 1), (len(large) - 1, len(large) - 1)):
        g = s3.get_object(Bucket=b, Key="large", Range=f"bytes={lo}-{hi}")
        assert g["Body"].read() == large[lo : hi + 1], (lo, hi)
        assert g["ContentRange"] == f"bytes {lo}-{hi}/{len(large)}"
    assert s3.get_object(Bucket=b, Key="large", Range="bytes=-10")["Body"].read() == large[-10:]
    assert s3.get_object(Bucket=b, Key="exact", Range=f"bytes={CHUNK}-")["Body"].read() == exact[CHUNK:]

    # Copy re-encrypts and reads back.
    c = s3.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": "large"})
    assert sse(c) == "AES256"
    assert s3.get_object(Bucket=b, Key="copy")["Body"].read() == large

    # Multipart: uploaded parts and a copied range of another object, read across parts.
    part1 = os.urandom(5 * MIB + 17)
    mp = s3.create_multipart_upload(Bucket=b, Key="mp")
    assert mp["ServerSideEncryption"] == "AES256"
    up = s3.upload_part(Bucket=b, Key="mp", UploadId=mp["UploadId"], PartNumber=1, Body=part1)
    assert up["ServerSideEncryption"] == "AES256"
    cp = s3.upload_part_copy(Bucket=b, Key="mp", UploadId=mp["UploadId"], PartNumber=2,
                             CopySource={"Bucket": b, "Key": "large"}, CopySourceRange=f"bytes=10-{2 * CHUNK + 9}")
    assert cp["ServerSideEncryption"] == "AES256"
    done = s3.complete_multipart_upload(
        Bucket=b, Key="mp", UploadId=mp["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": up["ETag"]},
                                   {"PartNumber": 2, "ETag": cp["CopyPartResult"]["ETag"]}]},
    )
    assert done["ServerSideEncryption"] == "AES256"
    whole = part1 + large[10 : 2 * CHUNK + 10]
    assert s3.get_object(Bucket=b, Key="mp")["Body"].read() == whole
    lo, hi = len(part1) - 5, len(part1) + CHUNK + 3
    g = s3.get_object(Bucket=b, Key="mp", Range=f"bytes={lo}-{hi}")
    assert g["Body"].read() == whole[lo : hi + 1]
    assert s3.get_object(Bucket=b, Key="mp", PartNumber=2)["Body"].read() == large[10 : 2 * CHUNK + 10]

    # POST Object (browser upload) goes through the same writer.
    posted = os.urandom(CHUNK + 7)
    form = s3.generate_presigned_post(Bucket=b, Key="posted")
    r = requests.post(form["url"], data=form["fields"], files={"file": ("f", posted)}, timeout=30)
    assert r.status_code == 204, r.text
    assert r.headers["x-amz-server-side-encryption"] == "AES256"
    assert s3.get_object(Bucket=b, Key="posted")["Body"].read() == posted

    # None of it is on disk in clear.
    for body in (small, large, exact, part1, posted):
        assert_not_on_disk(srv, body)

    # Writing the default rule is accepted; what cannot be honoured is refused.
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}
    s3.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={"Rules": [rule]})
    s3.put_bucket_encryption(
        Bucket=b,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    )
    kms = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/x"}}
    expect_error(s3.put_bucket_encryption, Bucket=b, ServerSideEncryptionConfiguration={"Rules": [kms]},
                 code="NotImplemented", status=501)
    expect_error(s3.put_bucket_encryption, Bucket=b,
                 ServerSideEncryptionConfiguration={"Rules": [dict(rule, BucketKeyEnabled=True)]},
                 code="NotImplemented", status=501)
    expect_error(s3.put_bucket_encryption, Bucket=b,
                 ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "DES"}}]},
                 code="MalformedXML", status=400)
    assert s3.get_bucket_encryption(Bucket=b)["ServerSideEncryptionConfiguration"]["Rules"] == [rule]

    # Deleting the configuration leaves the default rule, as on AWS.
    s3.delete_bucket_encryption(Bucket=b)
    assert s3.get_bucket_encryption(Bucket=b)["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_objects_survive_restart_and_key_rotation(fresh_server):
    srv = fresh_server
    s3 = s3_client(srv.endpoint, full_access(srv))
    b = unique("rot")
    s3.create_bucket(Bucket=b)
    before = os.urandom(2 * CHUNK + 99)
    s3.put_object(Bucket=b, Key="before", Body=before)
    srv.restart()
    s3 = s3_client(srv.endpoint, full_access(srv))
    assert s3.get_object(Bucket=b, Key="before")["Body"].read() == before

    s3 = rotate_server_key(srv)
    assert s3.get_object(Bucket=b, Key="before")["Body"].read() == before
    after = os.urandom(CHUNK + 1)
    s3.put_object(Bucket=b, Key="after", Body=after)
    g = s3.get_object(Bucket=b, Key="before", Range=f"bytes={CHUNK - 3}-{CHUNK + 3}")
    assert g["Body"].read() == before[CHUNK - 3 : CHUNK + 4]
    srv.restart()
    s3 = s3_client(srv.endpoint, full_access(srv))
    assert s3.get_object(Bucket=b, Key="before")["Body"].read() == before
    assert s3.get_object(Bucket=b, Key="after")["Body"].read() == after
    assert_not_on_disk(srv, before)
    assert_not_on_disk(srv, after)


def test_damaged_file_answers_500_never_wrong_bytes(fresh_server):
    srv = fresh_server
    s3 = s3_client(srv.endpoint, full_access(srv))
    b = unique("dmg")
    s3.create_bucket(Bucket=b)
    body = os.urandom(CHUNK + 1000)  # over the inline bound: kept in a data file
    s3.put_object(Bucket=b, Key="flip", Body=body)
    (f,) = data_files(srv)
    raw = bytearray(f.read_bytes())
    raw[-100] ^= 0x01  # one ciphertext bit
    f.write_bytes(bytes(raw))
    expect_error(s3.get_object, Bucket=b, Key="flip", code="InternalError", status=500)
    expect_error(s3.get_object, Bucket=b, Key="flip", Range=f"bytes={CHUNK}-{CHUNK + 9}", code="InternalError", status=500)
    assert s3.head_object(Bucket=b, Key="flip")["ContentLength"] == len(body)

    s3.put_object(Bucket=b, Key="cut", Body=body)
    (g,) = [p for p in data_files(srv) if p != f]
    g.write_bytes(g.read_bytes()[:-20])
    expect_error(s3.get_object, Bucket=b, Key="cut", code="InternalError", status=500)
    log = srv.stderr_text()
    assert "failed authentication" in log
    key_file = Path(srv.data_dir) / "server-keys"
    assert key_file.exists()
    for k in json.loads(key_file.read_text())["keys"]:
        assert k["key"] not in log


def test_small_objects_live_in_their_record(fresh_server):
    """An object of at most 64 KiB is kept, sealed, in its metadata row: no data file, one
    commit. Every read path serves it; versions keep their own bytes; a key rotation and a
    restart keep it readable; nothing of it is on disk in clear."""
    srv = fresh_server
    s3 = s3_client(srv.endpoint, full_access(srv))
    b = unique("inl")
    s3.create_bucket(Bucket=b)
    files = len(data_files(srv))
    small = b"inline secret " + os.urandom(1000)
    edge = os.urandom(CHUNK)  # the largest inline object
    for key, body in (("small", small), ("edge", edge), ("empty", b"")):
        s3.put_object(Bucket=b, Key=key, Body=body)
        assert s3.get_object(Bucket=b, Key=key)["Body"].read() == body
    assert len(data_files(srv)) == files, "a small object got a data file"
    s3.put_object(Bucket=b, Key="over", Body=os.urandom(CHUNK + 1))
    assert len(data_files(srv)) == files + 1

    g = s3.get_object(Bucket=b, Key="small", Range="bytes=5-20")
    assert g["Body"].read() == small[5:21] and g["ContentRange"] == f"bytes 5-20/{len(small)}"
    s3.copy_object(Bucket=b, Key="copied", CopySource={"Bucket": b, "Key": "small"})
    assert s3.get_object(Bucket=b, Key="copied")["Body"].read() == small
    mp = s3.create_multipart_upload(Bucket=b, Key="mp")
    cp = s3.upload_part_copy(Bucket=b, Key="mp", UploadId=mp["UploadId"], PartNumber=1,
                             CopySource={"Bucket": b, "Key": "small"}, CopySourceRange="bytes=0-99")
    s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=mp["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": cp["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=b, Key="mp")["Body"].read() == small[:100]

    # Versions: each keeps its own bytes, through overwrite, delete marker and promotion.
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=b, Key="v", Body=b"first")["VersionId"]
    v2 = s3.put_object(Bucket=b, Key="v", Body=b"second")["VersionId"]
    assert s3.get_object(Bucket=b, Key="v", VersionId=v1)["Body"].read() == b"first"
    s3.delete_object(Bucket=b, Key="v")
    expect_error(s3.get_object, Bucket=b, Key="v", code="NoSuchKey", status=404)
    assert s3.get_object(Bucket=b, Key="v", VersionId=v2)["Body"].read() == b"second"
    s3.delete_object(Bucket=b, Key="v", VersionId=v2)
    latest = s3.list_object_versions(Bucket=b, Prefix="v")
    s3.delete_object(Bucket=b, Key="v", VersionId=latest["DeleteMarkers"][0]["VersionId"])
    assert s3.get_object(Bucket=b, Key="v")["Body"].read() == b"first"

    s3 = rotate_server_key(srv)
    for key, body in (("small", small), ("edge", edge), ("empty", b""), ("copied", small)):
        assert s3.get_object(Bucket=b, Key=key)["Body"].read() == body
    assert s3.get_object(Bucket=b, Key="v", VersionId=v1)["Body"].read() == b"first"
    assert_not_on_disk(srv, small)
    assert_not_on_disk(srv, edge)
