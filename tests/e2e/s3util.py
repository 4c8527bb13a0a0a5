"""Helpers for the S3 end-to-end tests: clients, temporary credentials from AssumeRole,
self-signed certificates, and a hand-rolled aws-chunked signer (botocore never sends
signed chunks, but other SDKs do)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import subprocess
from pathlib import Path
from urllib.parse import quote

import boto3
from botocore.config import Config

import hg
from hg import ACCOUNT_ID, Creds, unique

# The HTTPS server announces https://; the shared readiness pattern only knew http://.
hg.READY_RE = re.compile(r"^hourglass listening on (https?://127\.0\.0\.1:(\d+))$")

MIB = 1024 * 1024


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(*actions, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource, **extra}


def s3_client(endpoint: str, creds: Creds | None, *, verify=True, signature_version=None, **cfg):
    kw = dict(
        retries={"total_max_attempts": 1},
        connect_timeout=5,
        read_timeout=120,
        s3={"addressing_style": "path"},
    )
    if signature_version:
        kw["signature_version"] = signature_version
    kw.update(cfg)
    if creds is None:
        from botocore import UNSIGNED

        kw["signature_version"] = UNSIGNED
        creds = Creds("", "")
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds.access_key_id or None,
        aws_secret_access_key=creds.secret_access_key or None,
        aws_session_token=creds.session_token,
        verify=verify,
        config=Config(**kw),
    )


def assume_role(server, *statements, duration: int = 900, name: str | None = None) -> tuple[Creds, dict]:
    """A role allowed `statements`, assumed by a user of the account: (session creds, role).
    Every S3 test client runs with temporary credentials like this."""
    iam = server.iam()
    trust = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
            "Action": "sts:AssumeRole",
        }
    )
    role_name = name or unique("s3role")
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)["Role"]
    if statements:
        iam.put_role_policy(RoleName=role_name, PolicyName="s3", PolicyDocument=doc(*statements))
    uname, ucreds, _ = hg.create_user_with_key(iam)
    iam.put_user_policy(
        UserName=uname,
        PolicyName="assume",
        PolicyDocument=doc(allow("sts:AssumeRole", resource=role["Arn"])),
    )
    resp = server.sts(ucreds).assume_role(
        RoleArn=role["Arn"], RoleSessionName=unique("sess"), DurationSeconds=duration
    )
    c = resp["Credentials"]
    return Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]), role


def full_access(server) -> Creds:
    creds, _ = assume_role(server, allow("s3:*"))
    return creds


def make_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost, made with the openssl CLI."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


# --- signed aws-chunked bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) --------------------


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def _signing_key(secret: str, date: str, region: str) -> bytes:
    k = _hmac(("AWS4" + secret).encode(), date)
    k = _hmac(k, region)
    k = _hmac(k, "s3")
    return _hmac(k, "aws4_request")


def signed_chunked_put(
    endpoint: str,
    creds: Creds,
    bucket: str,
    key: str,
    data: bytes,
    *,
    chunk: int = 64 * 1024,
    trailer: str | None = None,
    tamper: bool = False,
):
    """PUT with signed chunks (and a signed checksum trailer when `trailer` names one,
    e.g. 'x-amz-checksum-crc32'); returns the requests.Response."""
    import base64
    import zlib

    import requests

    now = dt.datetime.now(dt.timezone.utc)
    amz_date, date = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    region = "us-east-1"
    scope = f"{date}/{region}/s3/aws4_request"
    host = endpoint.split("://", 1)[1]
    path = f"/{bucket}/{quote(key, safe='/~')}"
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" if trailer else "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    headers = {
        "host": host,
        "content-encoding": "aws-chunked",
        "x-amz-content-sha256": mode,
        "x-amz-date": amz_date,
        "x-amz-decoded-content-length": str(len(data)),
    }
    if trailer:
        headers["x-amz-trailer"] = trailer
    if creds.session_token:
        headers["x-amz-security-token"] = creds.session_token
    signed = sorted(headers)
    canonical = "\n".join(
        ["PUT", path, "", "".join(f"{h}:{headers[h]}\n" for h in signed), ";".join(signed), mode]
    )
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    skey = _signing_key(creds.secret_access_key, date, region)
    seed = hmac.new(skey, sts.encode(), hashlib.sha256).hexdigest()
    empty = hashlib.sha256(b"").hexdigest()
    prev = seed
    body = b""
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)] + [b""]
    for n, piece in enumerate(pieces):
        s = "\n".join(
            ["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, empty, hashlib.sha256(piece).hexdigest()]
        )
        sig = hmac.new(skey, s.encode(), hashlib.sha256).hexdigest()
        if tamper and n == 0:
            sig = ("0" if sig[0] != "0" else "1") + sig[1:]
        body += f"{len(piece):x};chunk-signature={sig}\r\n".encode() + piece
        if piece or not trailer:
            body += b"\r\n"
        prev = sig
    if trailer:
        value = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
        tline = f"{trailer}:{value}\n"
        s = "\n".join(
            ["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, prev, hashlib.sha256(tline.encode()).hexdigest()]
        )
        tsig = hmac.new(skey, s.encode(), hashlib.sha256).hexdigest()
        body += f"{trailer}:{value}\r\nx-amz-trailer-signature:{tsig}\r\n\r\n".encode()
    auth = f"AWS4-HMAC-SHA256 Credential={creds.access_key_id}/{scope}, SignedHeaders={';'.join(signed)}, Signature={seed}"
    send = {k: v for k, v in headers.items() if k != "host"}
    send["Authorization"] = auth
    send["Content-Length"] = str(len(body))
    return requests.put(endpoint + path, data=body, headers=send, timeout=60)


def s3_signed_get(endpoint: str, creds: Creds, path: str, *, headers: dict | None = None, verify=True):
    """GET signed the way botocore signs S3 (path encoded once), with extra headers such as
    a virtual-hosted Host."""
    import botocore.auth
    import requests
    from botocore.awsrequest import AWSRequest

    req = AWSRequest(method="GET", url=endpoint.rstrip("/") + path, headers=dict(headers or {}))
    botocore.auth.S3SigV4Auth(creds.botocore(), "s3", "us-east-1").add_auth(req)
    return requests.get(req.url, headers=dict(req.headers.items()), verify=verify, timeout=10)
