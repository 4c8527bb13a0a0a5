"""S3 authentication and authorization end to end: least-privilege temporary credentials
(including expiry, with the server's clock moved by faketime), credential errors, bucket
policies that grant and deny, S3 condition keys, and per-key DeleteObjects results."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil

import pytest
import requests

import hg
from hg import ACCOUNT_ID, Creds, expect_error, unique
from s3util import MIB, allow, assume_role, doc, full_access, s3_client


@pytest.fixture(scope="module")
def admin(server):
    return s3_client(server.endpoint, full_access(server))


@pytest.fixture
def bucket(admin):
    name = unique("az")
    admin.create_bucket(Bucket=name)
    return name


# --- the least-privilege upload flow -------------------------------------------------------------


@pytest.mark.skipif(shutil.which("faketime") is None, reason="faketime is not installed")
def test_put_only_role_uploads_cannot_read_and_stops_at_expiry(server_factory):
    srv = server_factory().start()
    root = s3_client(srv.endpoint, srv.root)
    uploads, other = unique("up"), unique("other")
    root.create_bucket(Bucket=uploads)
    root.create_bucket(Bucket=other)
    creds, _ = assume_role(srv, allow("s3:PutObject", resource=f"arn:aws:s3:::{uploads}/*"), duration=900)
    assert creds.access_key_id.startswith("ASIA")
    s3 = s3_client(srv.endpoint, creds)

    small, big = os.urandom(1024), os.urandom(17 * MIB)
    s3.upload_fileobj(io.BytesIO(small), uploads, "app/small")
    s3.upload_fileobj(io.BytesIO(big), uploads, "app/big")  # multipart: Create, UploadPart, Complete
    assert root.get_object(Bucket=uploads, Key="app/big")["Body"].read() == big

    expect_error(s3.get_object, Bucket=uploads, Key="app/small", code="AccessDenied", status=403)
    expect_error(s3.head_object, Bucket=uploads, Key="app/small", code="403", status=403)
    expect_error(s3.list_objects_v2, Bucket=uploads, code="AccessDenied", status=403)
    expect_error(s3.delete_object, Bucket=uploads, Key="app/small", code="AccessDenied", status=403)
    expect_error(s3.put_object, Bucket=other, Key="x", Body=b"x", code="AccessDenied", status=403)
    expect_error(s3.list_buckets, code="AccessDenied", status=403)
    expect_error(s3.get_object, Bucket=uploads, Key="missing", code="AccessDenied", status=403)

    presigner = s3_client(srv.endpoint, creds, signature_version="s3v4")
    put_url = presigner.generate_presigned_url("put_object", Params={"Bucket": uploads, "Key": "app/pre"}, ExpiresIn=3600)
    assert requests.put(put_url, data=b"p", timeout=10).status_code == 200

    # Sixteen minutes later (server clock moved by faketime, client signing clock by mock)
    # the 900-second session is over: every request, presigned or not, is refused.
    port = srv.port
    srv.stop()
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=16)
    base_command = srv.command
    # Same port, so the presigned URL (which signs the host) still points at the server.
    srv.command = lambda: ["faketime", "-f", later.strftime("@%Y-%m-%d %H:%M:%S"),
                           *[f"127.0.0.1:{port}" if a == "127.0.0.1:0" else a for a in base_command()]]
    srv.extra_env.update({"TZ": "UTC", "FAKETIME_DONT_FAKE_MONOTONIC": "1"})
    srv.start()
    with hg.skewed_clock(dt.timedelta(minutes=16)):
        expect_error(
            s3.put_object, Bucket=uploads, Key="app/late", Body=b"x",
            code="ExpiredToken", status=400, message="The provided token has expired.",
        )
        r = requests.put(put_url, data=b"p", timeout=10)
        assert r.status_code == 400 and "<Code>ExpiredToken</Code>" in r.text, r.text
        # Root's long-term key still works on the moved clock.
        assert s3_client(srv.endpoint, srv.root).head_object(Bucket=uploads, Key="app/small")["ContentLength"] == 1024


# --- credentials ---------------------------------------------------------------------------------


def test_credential_errors(server, admin, bucket):
    iam = server.iam()
    name, ucreds, ak = hg.create_user_with_key(iam)
    iam.put_user_policy(UserName=name, PolicyName="s3", PolicyDocument=doc(allow("s3:*")))
    user_s3 = s3_client(server.endpoint, ucreds)
    user_s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    iam.update_access_key(UserName=name, AccessKeyId=ucreds.access_key_id, Status="Inactive")
    expect_error(user_s3.get_object, Bucket=bucket, Key="k", code="InvalidAccessKeyId", status=403)
    iam.delete_access_key(UserName=name, AccessKeyId=ucreds.access_key_id)
    expect_error(user_s3.get_object, Bucket=bucket, Key="k", code="InvalidAccessKeyId", status=403)
    bogus = s3_client(server.endpoint, Creds("AKIAIOSFODNN7EXAMPLE", "x" * 40))
    e = expect_error(bogus.list_buckets, code="InvalidAccessKeyId", status=403)
    assert e.response["Error"]["Message"] == "The AWS Access Key Id you provided does not exist in our records."

    sess = full_access(server)
    broken = Creds(sess.access_key_id, sess.secret_access_key, sess.session_token[:-8] + "AAAAAAAA")
    expect_error(s3_client(server.endpoint, broken).list_buckets, code="InvalidToken", status=400)
    wrong_secret = Creds(sess.access_key_id, "y" * 40, sess.session_token)
    expect_error(s3_client(server.endpoint, wrong_secret).list_buckets, code="SignatureDoesNotMatch", status=403)
    with hg.skewed_clock(dt.timedelta(minutes=20)):
        expect_error(admin.list_buckets, code="RequestTimeTooSkewed", status=403)


# --- bucket policies -----------------------------------------------------------------------------


def test_bucket_policy_validation_and_crud(admin, bucket):
    expect_error(admin.get_bucket_policy, Bucket=bucket, code="NoSuchBucketPolicy", status=404)
    expect_error(admin.put_bucket_policy, Bucket=bucket, Policy="{not json", code="MalformedPolicy", status=400)
    wrong_resource = doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::elsewhere/*"})
    e = expect_error(admin.put_bucket_policy, Bucket=bucket, Policy=wrong_resource, code="MalformedPolicy", status=400)
    assert e.response["Error"]["Message"] == "Policy has invalid resource"
    no_principal = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"})
    expect_error(admin.put_bucket_policy, Bucket=bucket, Policy=no_principal, code="MalformedPolicy", status=400)
    good = doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"})
    admin.put_bucket_policy(Bucket=bucket, Policy=good)
    assert json.loads(admin.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(good)
    admin.delete_bucket_policy(Bucket=bucket)
    expect_error(admin.get_bucket_policy, Bucket=bucket, code="NoSuchBucketPolicy", status=404)


def test_public_read_policy_allows_anonymous_get_only(server, admin, bucket):
    admin.put_object(Bucket=bucket, Key="pub/file", Body=b"public")
    admin.put_object(Bucket=bucket, Key="priv/file", Body=b"private")
    anon = s3_client(server.endpoint, None)
    expect_error(anon.get_object, Bucket=bucket, Key="pub/file", code="AccessDenied", status=403)
    admin.put_bucket_policy(Bucket=bucket, Policy=doc(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/pub/*"}
    ))
    assert anon.get_object(Bucket=bucket, Key="pub/file")["Body"].read() == b"public"
    assert requests.get(f"{server.endpoint}/{bucket}/pub/file", timeout=10).content == b"public"
    expect_error(anon.get_object, Bucket=bucket, Key="priv/file", code="AccessDenied", status=403)
    expect_error(anon.list_objects_v2, Bucket=bucket, code="AccessDenied", status=403)
    expect_error(anon.put_object, Bucket=bucket, Key="pub/new", Body=b"x", code="AccessDenied", status=403)


def test_bucket_policy_grants_same_account_user_without_identity_policy(server, admin, bucket):
    iam = server.iam()
    name, ucreds, _ = hg.create_user_with_key(iam)
    user_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    user_s3 = s3_client(server.endpoint, ucreds)
    admin.put_object(Bucket=bucket, Key="shared", Body=b"s")
    expect_error(user_s3.get_object, Bucket=bucket, Key="shared", code="AccessDenied", status=403)
    admin.put_bucket_policy(Bucket=bucket, Policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}
    ))
    assert user_s3.get_object(Bucket=bucket, Key="shared")["Body"].read() == b"s"
    assert user_s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1
    expect_error(user_s3.put_object, Bucket=bucket, Key="no", Body=b"x", code="AccessDenied", status=403)


def test_bucket_policy_deny_beats_identity_allow(server, admin, bucket):
    denied_creds, denied_role = assume_role(server, allow("s3:*"))
    other_creds, _ = assume_role(server, allow("s3:*"))
    admin.put_bucket_policy(Bucket=bucket, Policy=doc(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"ArnLike": {"aws:PrincipalArn": denied_role["Arn"]}}}
    ))
    expect_error(s3_client(server.endpoint, denied_creds).put_object, Bucket=bucket, Key="k", Body=b"x",
                 code="AccessDenied", status=403)
    s3_client(server.endpoint, other_creds).put_object(Bucket=bucket, Key="k", Body=b"x")


def test_deny_insecure_transport_and_root_lockout_recovery(server, admin, bucket):
    admin.put_bucket_policy(Bucket=bucket, Policy=doc(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ))
    expect_error(admin.put_object, Bucket=bucket, Key="k", Body=b"x", code="AccessDenied", status=403)
    expect_error(admin.get_bucket_policy, Bucket=bucket, code="AccessDenied", status=403)
    root = s3_client(server.endpoint, server.root)
    expect_error(root.put_object, Bucket=bucket, Key="k", Body=b"x", code="AccessDenied", status=403)
    # The owner's root can always manage the policy, even when it denies everything.
    root.delete_bucket_policy(Bucket=bucket)
    admin.put_object(Bucket=bucket, Key="k", Body=b"x")


# --- condition keys and per-key results ----------------------------------------------------------


def test_prefix_condition_on_list(server, admin, bucket):
    for k in ["home/alice/a", "home/bob/b", "other/c"]:
        admin.put_object(Bucket=bucket, Key=k, Body=b"")
    creds, _ = assume_role(server, allow(
        "s3:ListBucket", resource=f"arn:aws:s3:::{bucket}",
        Condition={"StringLike": {"s3:prefix": ["home/alice/*"]}},
    ))
    s3 = s3_client(server.endpoint, creds)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="home/alice/")["Contents"]] == ["home/alice/a"]
    expect_error(s3.list_objects_v2, Bucket=bucket, Prefix="home/bob/", code="AccessDenied", status=403)
    expect_error(s3.list_objects_v2, Bucket=bucket, code="AccessDenied", status=403)


def test_existing_object_tag_condition(server, admin, bucket):
    admin.put_object(Bucket=bucket, Key="open", Body=b"o", Tagging="class=public")
    admin.put_object(Bucket=bucket, Key="closed", Body=b"c", Tagging="class=secret")
    creds, _ = assume_role(server, allow(
        "s3:GetObject", resource=f"arn:aws:s3:::{bucket}/*",
        Condition={"StringEquals": {"s3:ExistingObjectTag/class": "public"}},
    ))
    s3 = s3_client(server.endpoint, creds)
    assert s3.get_object(Bucket=bucket, Key="open")["Body"].read() == b"o"
    expect_error(s3.get_object, Bucket=bucket, Key="closed", code="AccessDenied", status=403)


def test_delete_objects_reports_per_key_access_denied(server, admin, bucket):
    for k in ["tmp/a", "keep/b"]:
        admin.put_object(Bucket=bucket, Key=k, Body=b"")
    creds, _ = assume_role(server, allow("s3:DeleteObject", resource=f"arn:aws:s3:::{bucket}/tmp/*"))
    r = s3_client(server.endpoint, creds).delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "tmp/a"}, {"Key": "keep/b"}]}
    )
    assert [d["Key"] for d in r["Deleted"]] == ["tmp/a"]
    assert [(e["Key"], e["Code"]) for e in r["Errors"]] == [("keep/b", "AccessDenied")]
    assert [o["Key"] for o in admin.list_objects_v2(Bucket=bucket)["Contents"]] == ["keep/b"]


def test_copy_is_authorized_on_source_and_destination(server, admin, bucket):
    src = unique("src")
    admin.create_bucket(Bucket=src)
    admin.put_object(Bucket=src, Key="s", Body=b"secret")
    creds, _ = assume_role(server, allow("s3:PutObject", resource=f"arn:aws:s3:::{bucket}/*"))
    s3 = s3_client(server.endpoint, creds)
    expect_error(s3.copy_object, Bucket=bucket, Key="d", CopySource={"Bucket": src, "Key": "s"},
                 code="AccessDenied", status=403)
    creds2, _ = assume_role(server, allow("s3:PutObject", resource=f"arn:aws:s3:::{bucket}/*"),
                            allow("s3:GetObject", resource=f"arn:aws:s3:::{src}/*"))
    s3_client(server.endpoint, creds2).copy_object(Bucket=bucket, Key="d", CopySource={"Bucket": src, "Key": "s"})
    assert admin.get_object(Bucket=bucket, Key="d")["Body"].read() == b"secret"
