"""S3 over HTTPS (rustls, a self-signed certificate made at test time): boto3 then sends
PutObject/UploadPart as aws-chunked STREAMING-UNSIGNED-PAYLOAD-TRAILER inside HTTP chunked
encoding. Also virtual-hosted style addressing with a configured domain."""

from __future__ import annotations

import hashlib
import json
import io
import os

import pytest
import requests
import urllib3

import hg
from hg import expect_error, unique
from s3util import MIB, full_access, make_cert, s3_client, s3_signed_get

urllib3.disable_warnings()


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory, request):
    certdir = tmp_path_factory.mktemp("tls")
    cert, key = make_cert(certdir)
    base = tmp_path_factory.mktemp("hgtls")
    srv = hg.HourglassServer(
        base / "data", log_dir=base / "logs",
        extra_args=["--tls-cert", str(cert), "--tls-key", str(key), "--s3-domain", "s3.test"],
    ).start()
    srv.cert = cert
    assert srv.endpoint.startswith("https://")
    # IAM and STS share the port; boto3 must trust the test certificate for them too.
    os.environ["AWS_CA_BUNDLE"] = str(cert)
    yield srv
    os.environ.pop("AWS_CA_BUNDLE", None)
    srv.close()


@pytest.fixture(scope="module")
def creds(tls_server):
    return full_access(tls_server)


@pytest.fixture(scope="module")
def s3(tls_server, creds):
    return s3_client(tls_server.endpoint, creds, verify=str(tls_server.cert))


def test_plain_http_is_refused_on_the_tls_port(tls_server):
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(tls_server.endpoint.replace("https://", "http://") + "/", timeout=5)


def test_put_get_small_over_https_uses_unsigned_trailer(s3, tls_server):
    bucket = unique("tls")
    s3.create_bucket(Bucket=bucket)
    body = os.urandom(1024)
    put = s3.put_object(Bucket=bucket, Key="k", Body=body)
    sent = put["ResponseMetadata"]
    assert put["ChecksumCRC32"]  # verified from the trailer and echoed
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == body and got["ChecksumCRC32"] == put["ChecksumCRC32"]
    assert sent["HTTPStatusCode"] == 200


def test_upload_download_50mib_over_https(s3):
    bucket = unique("tlsbig")
    s3.create_bucket(Bucket=bucket)
    data = os.urandom(50 * MIB)
    s3.upload_fileobj(io.BytesIO(data), bucket, "big")
    out = io.BytesIO()
    s3.download_fileobj(bucket, "big", out)
    assert hashlib.sha256(out.getvalue()).digest() == hashlib.sha256(data).digest()


@pytest.mark.parametrize("sigver", [None, "s3v4"])
def test_presigned_over_https(tls_server, creds, s3, sigver):
    bucket = unique("tlspre")
    s3.create_bucket(Bucket=bucket)
    p = s3_client(tls_server.endpoint, creds, verify=str(tls_server.cert), signature_version=sigver)
    put_url = p.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "x"}, ExpiresIn=60)
    assert requests.put(put_url, data=b"tls presigned", verify=str(tls_server.cert), timeout=10).status_code == 200
    get_url = p.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "x"}, ExpiresIn=60)
    assert requests.get(get_url, verify=str(tls_server.cert), timeout=10).content == b"tls presigned"


def test_secure_transport_condition_allows_over_tls(tls_server, s3):
    import json

    bucket = unique("tlssec")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    s3.put_object(Bucket=bucket, Key="ok", Body=b"x")
    assert s3.get_object(Bucket=bucket, Key="ok")["Body"].read() == b"x"


def test_virtual_hosted_style(tls_server, creds, s3):
    bucket = unique("vh")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="dir/v h", Body=b"virtual")
    port = tls_server.port
    host = f"{bucket}.s3.test:{port}"
    for path, check in [("/dir/v%20h", lambda r: r.content == b"virtual"),
                        ("/", lambda r: "<Key>dir/v h</Key>" in r.text)]:
        r = s3_signed_get(tls_server.endpoint, creds, path, headers={"Host": host}, verify=str(tls_server.cert))
        assert r.status_code == 200 and check(r), r.text
    # SigV2 presigned URLs sign /bucket/key even when the bucket is in the host name.
    p = s3_client(tls_server.endpoint, creds, verify=str(tls_server.cert))
    v2 = p.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/v h"}, ExpiresIn=60)
    vh_url = v2.replace(f"/{bucket}/", "/", 1)
    r = requests.get(vh_url, headers={"Host": host}, verify=str(tls_server.cert), timeout=10)
    assert r.status_code == 200 and r.content == b"virtual", r.text
    expect_error(s3.head_bucket, Bucket=unique("missing"), code="404", status=404)


def test_iam_sees_secure_transport_over_tls(tls_server):
    iam = tls_server.iam()
    name, ucreds, _ = hg.create_user_with_key(iam)
    iam.put_user_policy(UserName=name, PolicyName="tls-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
                       "Condition": {"Bool": {"aws:SecureTransport": "true"}}}],
    }))
    assert tls_server.iam(ucreds).list_users()["Users"]
