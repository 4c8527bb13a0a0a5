"""S3 versioning through boto3 and the aws CLI: the `null` version of unversioned buckets
(what clean-up code lists first), enabled and suspended buckets, delete markers, reads,
copies, tags and deletes by version id, ListObjectVersions paging, the s3:...Version
actions, bad input, and versions on PostgreSQL across a restart."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from botocore.exceptions import ClientError

import hg
from hg import expect_error, unique
from s3util import allow, assume_role, full_access, s3_client


BUCKET_PREFIX = "v"


@pytest.fixture
def versioned(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def all_versions(s3, bucket, **kw):
    out = {"Versions": [], "DeleteMarkers": [], "CommonPrefixes": []}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, **kw):
        for k in out:
            out[k].extend(page.get(k, []))
    return out


def empty_bucket(s3, bucket):
    """What test suites and Terraform's force_destroy do: delete every version, then the bucket."""
    v = all_versions(s3, bucket)
    entries = [{"Key": e["Key"], "VersionId": e["VersionId"]} for e in v["Versions"] + v["DeleteMarkers"]]
    for i in range(0, len(entries), 1000):
        r = s3.delete_objects(Bucket=bucket, Delete={"Objects": entries[i : i + 1000], "Quiet": True})
        assert not r.get("Errors"), r
    s3.delete_bucket(Bucket=bucket)


def test_unversioned_bucket_lists_null_versions_and_cleans_up(s3, bucket):
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    put = s3.put_object(Bucket=bucket, Key="a/1", Body=b"one")
    assert "VersionId" not in put
    s3.put_object(Bucket=bucket, Key="a/1", Body=b"two")
    s3.put_object(Bucket=bucket, Key="b", Body=b"b")
    r = s3.list_object_versions(Bucket=bucket)
    assert [(v["Key"], v["VersionId"], v["IsLatest"], v["Size"]) for v in r["Versions"]] == [
        ("a/1", "null", True, 3),
        ("b", "null", True, 1),
    ]
    assert "DeleteMarkers" not in r and r["IsTruncated"] is False
    assert r["Versions"][0]["Owner"]["ID"] and r["Versions"][0]["StorageClass"] == "STANDARD"
    # The null version answers to its id.
    assert s3.get_object(Bucket=bucket, Key="a/1", VersionId="null")["Body"].read() == b"two"
    # A delete without a version id on an unversioned bucket removes the object outright.
    d = s3.delete_object(Bucket=bucket, Key="b")
    assert "DeleteMarker" not in d
    assert [v["Key"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]] == ["a/1"]
    empty_bucket(s3, bucket)
    expect_error(s3.head_bucket, Bucket=bucket, code="404", status=404)


def test_enabled_versions_markers_and_reads_by_id(s3, versioned):
    b = versioned
    assert s3.get_bucket_versioning(Bucket=b)["Status"] == "Enabled"
    v1 = s3.put_object(Bucket=b, Key="k", Body=b"first")["VersionId"]
    v2 = s3.put_object(Bucket=b, Key="k", Body=b"second")["VersionId"]
    assert v1 != v2 and v1 != "null"
    got = s3.get_object(Bucket=b, Key="k")
    assert (got["Body"].read(), got["VersionId"]) == (b"second", v2)
    old = s3.get_object(Bucket=b, Key="k", VersionId=v1)
    assert (old["Body"].read(), old["VersionId"]) == (b"first", v1)
    assert s3.head_object(Bucket=b, Key="k", VersionId=v1)["ContentLength"] == 5

    d = s3.delete_object(Bucket=b, Key="k")
    assert d["DeleteMarker"] is True
    marker = d["VersionId"]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="k")
    err = e.value.response
    assert err["Error"]["Code"] == "NoSuchKey"
    assert err["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    assert err["ResponseMetadata"]["HTTPHeaders"]["x-amz-version-id"] == marker
    # The marker named by id: 405, as AWS answers.
    expect_error(s3.get_object, Bucket=b, Key="k", VersionId=marker, code="MethodNotAllowed", status=405)
    expect_error(s3.head_object, Bucket=b, Key="k", VersionId=marker, code="405", status=405)
    # Old versions stay readable; ListObjects no longer shows the key.
    assert s3.get_object(Bucket=b, Key="k", VersionId=v2)["Body"].read() == b"second"
    assert s3.list_objects_v2(Bucket=b)["KeyCount"] == 0

    v = s3.list_object_versions(Bucket=b)
    assert [(m["VersionId"], m["IsLatest"]) for m in v["DeleteMarkers"]] == [(marker, True)]
    assert [(x["VersionId"], x["IsLatest"]) for x in v["Versions"]] == [(v2, False), (v1, False)]

    # Deleting the marker brings the newest version back.
    d = s3.delete_object(Bucket=b, Key="k", VersionId=marker)
    assert d["DeleteMarker"] is True and d["VersionId"] == marker
    assert s3.get_object(Bucket=b, Key="k")["VersionId"] == v2
    # Deleting the current version by id promotes the previous one.
    d = s3.delete_object(Bucket=b, Key="k", VersionId=v2)
    assert d["VersionId"] == v2 and "DeleteMarker" not in d
    assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b"first"
    expect_error(s3.get_object, Bucket=b, Key="k", VersionId=v2, code="NoSuchVersion", status=404)
    empty_bucket(s3, b)


def test_copy_tagging_multipart_and_batch_delete_by_version(s3, versioned):
    b = versioned
    v1 = s3.put_object(Bucket=b, Key="src", Body=b"old", Tagging="t=1")["VersionId"]
    s3.put_object(Bucket=b, Key="src", Body=b"new")
    c = s3.copy_object(Bucket=b, Key="dst", CopySource={"Bucket": b, "Key": "src", "VersionId": v1})
    assert c["CopySourceVersionId"] == v1 and c["VersionId"] not in (None, "null")
    assert s3.get_object(Bucket=b, Key="dst")["Body"].read() == b"old"
    # Restoring an old version onto its own key is a copy, not a refused self-copy.
    r = s3.copy_object(Bucket=b, Key="src", CopySource={"Bucket": b, "Key": "src", "VersionId": v1})
    assert s3.get_object(Bucket=b, Key="src")["VersionId"] == r["VersionId"]

    assert s3.get_object_tagging(Bucket=b, Key="src", VersionId=v1)["TagSet"] == [{"Key": "t", "Value": "1"}]
    s3.put_object_tagging(Bucket=b, Key="src", VersionId=v1, Tagging={"TagSet": [{"Key": "t", "Value": "2"}]})
    t = s3.get_object_tagging(Bucket=b, Key="src", VersionId=v1)
    assert t["TagSet"] == [{"Key": "t", "Value": "2"}] and t["VersionId"] == v1

    mp = s3.create_multipart_upload(Bucket=b, Key="mp")
    part = s3.upload_part(Bucket=b, Key="mp", UploadId=mp["UploadId"], PartNumber=1, Body=b"x" * 10)
    done = s3.complete_multipart_upload(
        Bucket=b, Key="mp", UploadId=mp["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert done["VersionId"] not in (None, "null")

    r = s3.delete_objects(
        Bucket=b,
        Delete={"Objects": [{"Key": "dst"}, {"Key": "src", "VersionId": v1}, {"Key": "mp", "VersionId": "bad!"}]},
    )
    deleted = {d["Key"]: d for d in r["Deleted"]}
    assert deleted["dst"]["DeleteMarker"] is True and deleted["dst"]["DeleteMarkerVersionId"]
    assert deleted["src"]["VersionId"] == v1
    assert [(e["Key"], e["Code"]) for e in r["Errors"]] == [("mp", "InvalidArgument")]
    expect_error(s3.get_object, Bucket=b, Key="src", VersionId=v1, code="NoSuchVersion", status=404)
    empty_bucket(s3, b)


def test_suspended_bucket_overwrites_only_the_null_version(s3, versioned):
    b = versioned
    v1 = s3.put_object(Bucket=b, Key="k", Body=b"kept")["VersionId"]
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=b)["Status"] == "Suspended"
    assert s3.put_object(Bucket=b, Key="k", Body=b"n1")["VersionId"] == "null"
    s3.put_object(Bucket=b, Key="k", Body=b"n2")
    v = s3.list_object_versions(Bucket=b)["Versions"]
    assert [(x["VersionId"], x["IsLatest"]) for x in v] == [("null", True), (v1, False)]
    assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b"n2"
    d = s3.delete_object(Bucket=b, Key="k")
    assert d["DeleteMarker"] is True and d["VersionId"] == "null"
    v = s3.list_object_versions(Bucket=b)
    assert [m["VersionId"] for m in v["DeleteMarkers"]] == ["null"]
    assert [x["VersionId"] for x in v["Versions"]] == [v1]
    empty_bucket(s3, b)


def test_listing_pages_prefix_delimiter_and_encoding(s3, versioned):
    b = versioned
    want = []
    for key in ["a/1", "a/2", "b", "c d", "c+e"]:
        ids = [s3.put_object(Bucket=b, Key=key, Body=key.encode())["VersionId"] for _ in range(3)]
        want += [(key, vid) for vid in reversed(ids)]
    seen, kw = [], {}
    while True:
        r = s3.list_object_versions(Bucket=b, MaxKeys=4, **kw)
        seen += [(v["Key"], v["VersionId"]) for v in r.get("Versions", [])]
        if not r["IsTruncated"]:
            break
        assert len(r["Versions"]) == 4
        kw = {"KeyMarker": r["NextKeyMarker"], "VersionIdMarker": r["NextVersionIdMarker"]}
    assert seen == want
    # A key marker alone resumes after every version of that key.
    r = s3.list_object_versions(Bucket=b, KeyMarker="b")
    assert r["Versions"][0]["Key"] == "c d"
    r = s3.list_object_versions(Bucket=b, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/"]
    assert {v["Key"] for v in r["Versions"]} == {"b", "c d", "c+e"}
    r = s3.list_object_versions(Bucket=b, Prefix="a/", MaxKeys=1000)
    assert {v["Key"] for v in r["Versions"]} == {"a/1", "a/2"}
    # boto3 asks for URL encoding and decodes the keys again.
    r = s3.list_object_versions(Bucket=b, Prefix="c")
    assert [v["Key"] for v in r["Versions"]][::3] == ["c d", "c+e"]
    raw = s3.list_object_versions(Bucket=b, Prefix="c", EncodingType="url")
    assert raw["EncodingType"] == "url"
    empty_bucket(s3, b)


def test_bad_input_changes_nothing(s3, versioned):
    b = versioned
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    expect_error(s3.get_object, Bucket=b, Key="k", VersionId="not a version", code="InvalidArgument", status=400)
    expect_error(s3.get_object, Bucket=b, Key="k", VersionId="A" * 32, code="NoSuchVersion", status=404)
    expect_error(s3.delete_object, Bucket=b, Key="k", VersionId="bad", code="InvalidArgument", status=400)
    expect_error(
        s3.list_object_versions, Bucket=b, VersionIdMarker="null",
        code="InvalidArgument", status=400,
    )
    expect_error(
        s3.list_object_versions, Bucket=b, EncodingType="base64",
        code="InvalidArgument", status=400,
    )
    expect_error(
        s3.put_bucket_versioning, Bucket=b,
        VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"}, MFA="arn 123456",
        code="NotImplemented", status=501,
    )
    expect_error(
        s3.copy_object, Bucket=b, Key="d", CopySource={"Bucket": b, "Key": "k", "VersionId": "A" * 32},
        code="NoSuchVersion", status=404,
    )
    # A well-formed id that names nothing deletes nothing (AWS answers 204).
    s3.delete_object(Bucket=b, Key="k", VersionId="B" * 32)
    assert s3.get_bucket_versioning(Bucket=b)["Status"] == "Enabled"
    assert len(s3.list_object_versions(Bucket=b)["Versions"]) == 1
    expect_error(
        s3.list_object_versions, Bucket=unique("none"), code="NoSuchBucket", status=404,
    )
    empty_bucket(s3, b)


def test_bad_versioning_document(server, creds, s3, versioned):
    for body in [b"<VersioningConfiguration><Status>On</Status></VersioningConfiguration>", b"<x"]:
        url, headers, data = hg.signed_request(
            server.endpoint, creds, body, service="s3", method="PUT", path=f"/{versioned}",
            query={"versioning": ""},
            headers={"x-amz-content-sha256": hashlib.sha256(body).hexdigest()},
        )
        r = hg.send("PUT", url, headers, data)
        assert r.status_code == 400 and b"<Code>MalformedXML</Code>" in r.content, r.content
    assert s3.get_bucket_versioning(Bucket=versioned)["Status"] == "Enabled"


def test_version_actions_are_authorized_separately(server, s3, versioned):
    b = versioned
    v1 = s3.put_object(Bucket=b, Key="k", Body=b"1")["VersionId"]
    s3.put_object(Bucket=b, Key="k", Body=b"2")
    arn = f"arn:aws:s3:::{b}"
    creds, _ = assume_role(
        server,
        allow("s3:GetObject", "s3:DeleteObject", "s3:ListBucket", resource=[arn, f"{arn}/*"]),
    )
    limited = s3_client(server.endpoint, creds)
    assert limited.get_object(Bucket=b, Key="k")["Body"].read() == b"2"
    expect_error(limited.get_object, Bucket=b, Key="k", VersionId=v1, code="AccessDenied", status=403)
    expect_error(limited.list_object_versions, Bucket=b, code="AccessDenied", status=403)
    expect_error(limited.delete_object, Bucket=b, Key="k", VersionId=v1, code="AccessDenied", status=403)
    r = limited.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k", "VersionId": v1}]})
    assert [e["Code"] for e in r["Errors"]] == ["AccessDenied"]
    # Deleting without a version id only adds a marker: s3:DeleteObject suffices.
    assert limited.delete_object(Bucket=b, Key="k")["DeleteMarker"] is True
    assert s3.get_object(Bucket=b, Key="k", VersionId=v1)["Body"].read() == b"1"

    creds2, _ = assume_role(
        server,
        allow("s3:GetObjectVersion", "s3:ListBucketVersions", "s3:DeleteObjectVersion", resource=[arn, f"{arn}/*"]),
    )
    versions_only = s3_client(server.endpoint, creds2)
    assert versions_only.get_object(Bucket=b, Key="k", VersionId=v1)["Body"].read() == b"1"
    assert len(versions_only.list_object_versions(Bucket=b)["Versions"]) == 2
    versions_only.delete_object(Bucket=b, Key="k", VersionId=v1)
    expect_error(s3.get_object, Bucket=b, Key="k", VersionId=v1, code="NoSuchVersion", status=404)
    empty_bucket(s3, b)


def test_aws_cli_s3api_versioning(server, creds, s3):
    bucket = unique("cliv")
    cli = lambda *args: server.cli(list(args), creds)  # noqa: E731
    cli("s3api", "create-bucket", "--bucket", bucket).ok()
    cli("s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled").ok()
    assert cli("s3api", "get-bucket-versioning", "--bucket", bucket).ok()["Status"] == "Enabled"
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    s3.put_object(Bucket=bucket, Key="k", Body=b"2")
    cli("s3", "rm", f"s3://{bucket}/k").ok()
    out = cli("s3api", "list-object-versions", "--bucket", bucket).ok()
    assert len(out["Versions"]) == 2 and len(out["DeleteMarkers"]) == 1
    for v in out["Versions"] + out["DeleteMarkers"]:
        cli("s3api", "delete-object", "--bucket", bucket, "--key", v["Key"], "--version-id", v["VersionId"]).ok()
    assert "Versions" not in cli("s3api", "list-object-versions", "--bucket", bucket).ok()
    cli("s3api", "delete-bucket", "--bucket", bucket).ok()


@pytest.mark.postgres
@pytest.mark.skipif(not hg.DB_URL, reason=hg.NO_DB_REASON)
def test_versions_on_postgres_survive_restart(server_factory):
    schema = f"hg_s3v_{uuid.uuid4().hex[:12]}"
    srv = server_factory(extra_args=["--database-url", hg.DB_URL, "--database-schema", schema]).start()
    try:
        _versions_survive_restart(srv)
    finally:
        srv.close()
        hg.drop_pg_schemas(schema)


def test_versions_on_sqlite_survive_restart(server_factory):
    _versions_survive_restart(server_factory().start())


def _versions_survive_restart(srv):
    s3 = s3_client(srv.endpoint, full_access(srv))
    b = unique("rv")
    s3.create_bucket(Bucket=b)
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=b, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=b, Key="k", Body=b"two")["VersionId"]
    marker = s3.delete_object(Bucket=b, Key="k")["VersionId"]
    srv.restart()
    s3 = s3_client(srv.endpoint, full_access(srv))
    assert s3.get_bucket_versioning(Bucket=b)["Status"] == "Enabled"
    v = s3.list_object_versions(Bucket=b)
    assert [x["VersionId"] for x in v["Versions"]] == [v2, v1]
    assert [m["VersionId"] for m in v["DeleteMarkers"]] == [marker]
    # Noncurrent data survived the startup sweep.
    assert s3.get_object(Bucket=b, Key="k", VersionId=v1)["Body"].read() == b"one"
    empty_bucket(s3, b)
