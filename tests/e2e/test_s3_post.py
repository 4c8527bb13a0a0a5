"""POST Object (browser uploads): boto3's generate_presigned_post with assumed-role
credentials (SigV4) and with SigV2, posted as a plain HTML form with `requests`; every
policy condition, success_action_status/redirect, ${filename}, size ranges, authorization
as PutObject, bad input, and the form expiring with the session."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json

import requests

from hg import unique
from s3util import allow, assume_role, doc, s3_client


BUCKET_PREFIX = "post"


def presigned(s3, bucket, key, fields=None, conditions=None, expires=300):
    return s3.generate_presigned_post(
        Bucket=bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=expires
    )


def post(form, data=b"hello", filename="hello.txt", extra=None, content_type="text/plain"):
    fields = dict(form["fields"])
    fields.update(extra or {})
    return requests.post(
        form["url"], data=fields, files={"file": (filename, data, content_type)}, timeout=30
    )


def error_code(r) -> str:
    import re

    m = re.search(r"<Code>([^<]+)</Code>", r.text)
    return m.group(1) if m else ""


def sigv4_form(creds, bucket, key, policy_doc: dict, when: dt.datetime | None = None):
    """A SigV4 POST form signed by hand, for policies boto3 would not write."""
    when = when or dt.datetime.now(dt.timezone.utc)
    day, stamp = when.strftime("%Y%m%d"), when.strftime("%Y%m%dT%H%M%SZ")
    credential = f"{creds.access_key_id}/{day}/us-east-1/s3/aws4_request"
    fields = {"key": key, "x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-credential": credential, "x-amz-date": stamp}
    if creds.session_token:
        fields["x-amz-security-token"] = creds.session_token
    conds = list(policy_doc.get("conditions", [])) + [{k: v} for k, v in fields.items() if k != "key"]
    body = dict(policy_doc, conditions=conds)
    b64 = base64.b64encode(json.dumps(body).encode()).decode()
    k = ("AWS4" + creds.secret_access_key).encode()
    for part in (day, "us-east-1", "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    fields["policy"] = b64
    fields["x-amz-signature"] = hmac.new(k, b64.encode(), hashlib.sha256).hexdigest()
    return fields


def future(minutes=5) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_presigned_post_with_assumed_role_credentials(server, bucket):
    arn = f"arn:aws:s3:::{bucket}"
    creds, _ = assume_role(server, allow("s3:PutObject", resource=f"{arn}/uploads/*"))
    assert creds.session_token
    uploader = s3_client(server.endpoint, creds, signature_version="s3v4")
    form = presigned(
        uploader, bucket, "uploads/${filename}",
        fields={"Content-Type": "text/plain", "x-amz-meta-origin": "browser"},
        conditions=[
            ["starts-with", "$key", "uploads/"],
            {"Content-Type": "text/plain"},
            {"x-amz-meta-origin": "browser"},
            ["content-length-range", 1, 1024],
        ],
    )
    assert form["fields"]["x-amz-security-token"] == creds.session_token
    r = post(form, b"browser bytes", filename="notes.txt")
    assert r.status_code == 204, r.text
    assert r.headers["ETag"] == '"' + hashlib.md5(b"browser bytes").hexdigest() + '"'
    assert r.headers["Location"].endswith(f"/{bucket}/uploads/notes.txt")
    root = s3_client(server.endpoint, server.root)
    got = root.get_object(Bucket=bucket, Key="uploads/notes.txt")
    assert got["Body"].read() == b"browser bytes"
    assert got["ContentType"] == "text/plain" and got["Metadata"] == {"origin": "browser"}

    # The role may not write outside uploads/: the policy is signed, but authorization fails.
    outside = presigned(uploader, bucket, "other/x")
    r = post(outside)
    assert r.status_code == 403 and error_code(r) == "AccessDenied", r.text
    # Too big, too small: the policy's content-length-range.
    r = post(form, b"x" * 2000, filename="big.txt")
    assert r.status_code == 400 and error_code(r) == "EntityTooLarge", r.text
    r = post(form, b"", filename="empty.txt")
    assert r.status_code == 400 and error_code(r) == "EntityTooSmall", r.text
    assert "Contents" not in root.list_objects_v2(Bucket=bucket, Prefix="uploads/big")


def test_success_status_redirect_and_sigv2(server, s3, creds, bucket):
    form = presigned(s3, bucket, "k201", fields={"success_action_status": "201"},
                     conditions=[{"success_action_status": "201"}])
    r = post(form)
    assert r.status_code == 201, r.text
    assert f"<Bucket>{bucket}</Bucket>" in r.text and "<Key>k201</Key>" in r.text and "<ETag>" in r.text
    form = presigned(s3, bucket, "k200", fields={"success_action_status": "200"},
                     conditions=[{"success_action_status": "200"}])
    assert post(form).status_code == 200

    back = "http://127.0.0.1:9/done?x=1"
    form = presigned(s3, bucket, "kredir", fields={"success_action_redirect": back},
                     conditions=[{"success_action_redirect": back}])
    r = post_no_follow(form)
    assert r.status_code == 303, r.text
    assert r.headers["Location"].startswith(back + "&bucket=" + bucket + "&key=kredir&etag=")

    v2 = s3_client(server.endpoint, creds, signature_version="s3")
    form = presigned(v2, bucket, "sigv2")
    assert "AWSAccessKeyId" in form["fields"] and "signature" in form["fields"]
    assert post(form, b"v2").status_code == 204
    assert s3.get_object(Bucket=bucket, Key="sigv2")["Body"].read() == b"v2"
    bad = dict(form, fields=dict(form["fields"], signature=base64.b64encode(b"x" * 20).decode()))
    r = post(bad)
    assert r.status_code == 403 and error_code(r) == "SignatureDoesNotMatch"


def post_no_follow(form, data=b"hello"):
    return requests.post(form["url"], data=form["fields"], files={"file": ("f", data)},
                         allow_redirects=False, timeout=30)


def test_policy_conditions_and_bad_forms(server, s3, creds, bucket):
    # Every condition form: eq, starts-with (empty prefix = anything), the short form.
    policy = {"expiration": future(), "conditions": [
        {"bucket": bucket}, ["starts-with", "$key", "in/"], ["eq", "$Content-Type", "image/png"],
        ["starts-with", "$x-amz-meta-tag", ""], ["content-length-range", 0, 100],
    ]}
    fields = sigv4_form(creds, bucket, "in/${filename}", policy)
    fields.update({"Content-Type": "image/png", "x-amz-meta-tag": "anything", "x-ignore-note": "not checked"})
    url = f"{server.endpoint}/{bucket}"

    def send(f, data=b"png", name="a.png"):
        return requests.post(url, data=f, files={"file": (name, data)}, timeout=30)

    assert send(fields).status_code == 204
    assert s3.head_object(Bucket=bucket, Key="in/a.png")["ContentType"] == "image/png"

    for change, needle in [
        ({"Content-Type": "text/html"}, "Policy Condition failed"),
        ({"key": "out/x"}, "Policy Condition failed"),
        ({"acl": "private"}, "Extra input fields: acl"),
    ]:
        r = send(dict(fields, **change))
        assert r.status_code == 403 and error_code(r) == "AccessDenied" and needle in r.text, r.text
    # Another bucket in the URL fails the bucket condition.
    other = unique("post")
    s3.create_bucket(Bucket=other)
    r = requests.post(f"{server.endpoint}/{other}", data=fields, files={"file": ("a", b"x")}, timeout=30)
    assert r.status_code == 403 and "Policy Condition failed" in r.text
    # Tampered policy: the signature no longer matches.
    tampered = dict(fields, policy=base64.b64encode(b'{"expiration":"2100-01-01T00:00:00Z","conditions":[]}').decode())
    r = send(tampered)
    assert r.status_code == 403 and error_code(r) == "SignatureDoesNotMatch"
    # Expired policy.
    old = sigv4_form(creds, bucket, "in/late", {"expiration": "2020-01-01T00:00:00.000Z", "conditions": []})
    r = send(old)
    assert r.status_code == 403 and "Policy expired" in r.text
    # Malformed policies.
    bad = sigv4_form(creds, bucket, "in/b", {"expiration": future(), "conditions": [["between", "$key", "a"]]})
    r = send(bad)
    assert r.status_code == 400 and error_code(r) == "InvalidPolicyDocument", r.text
    # Missing key / file / wrong encoding.
    nokey = dict(fields)
    del nokey["key"]
    r = send(nokey)
    assert r.status_code == 400 and error_code(r) == "InvalidArgument" and "field named" in r.text
    r = requests.post(url, files={k: (None, v) for k, v in fields.items()}, timeout=30)
    assert r.status_code == 400 and error_code(r) == "InvalidArgument" and "file" in r.text
    r = requests.post(url, data=b"key=x", headers={"Content-Type": "text/plain"}, timeout=30)
    assert r.status_code == 412 and error_code(r) == "PreconditionFailed"
    r = requests.post(url, data=b"--zz\r\nbroken", headers={"Content-Type": "multipart/form-data; boundary=zz"}, timeout=30)
    assert r.status_code == 400
    # Oversized fields before the file are refused before any authentication work.
    r = send(dict(fields, **{"x-ignore-pad": "p" * 70000}))
    assert r.status_code == 400 and error_code(r) == "MaxMessageLengthExceeded"
    # Nothing of the refused uploads was stored.
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["in/a.png"]


def test_anonymous_post_needs_a_bucket_policy(server, s3, bucket):
    url = f"{server.endpoint}/{bucket}"
    r = requests.post(url, data={"key": "anon"}, files={"file": ("f", b"x")}, timeout=30)
    assert r.status_code == 403 and error_code(r) == "AccessDenied"
    s3.put_bucket_policy(Bucket=bucket, Policy=doc(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/drop/*"}
    ))
    r = requests.post(url, data={"key": "drop/anon"}, files={"file": ("f", b"x")}, timeout=30)
    assert r.status_code == 204, r.text
    assert s3.get_object(Bucket=bucket, Key="drop/anon")["Body"].read() == b"x"


def test_post_into_versioned_bucket_returns_version(server, s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    form = presigned(s3, bucket, "v")
    r1, r2 = post(form, b"1"), post(form, b"2")
    assert r1.headers["x-amz-version-id"] != r2.headers["x-amz-version-id"]
    assert len(s3.list_object_versions(Bucket=bucket)["Versions"]) == 2


def test_presigned_post_expires_with_the_session(server_factory):
    srv = server_factory().start()
    root = s3_client(srv.endpoint, srv.root)
    bucket = unique("postexp")
    root.create_bucket(Bucket=bucket)
    creds, _ = assume_role(srv, allow("s3:PutObject", resource=f"arn:aws:s3:::{bucket}/*"), duration=900)
    uploader = s3_client(srv.endpoint, creds, signature_version="s3v4")
    # The form itself is valid for an hour; the session behind it for fifteen minutes.
    form = presigned(uploader, bucket, "late", expires=3600)
    assert post(form).status_code == 204
    port = srv.port
    srv.stop()
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=16)
    base_command = srv.command
    srv.command = lambda: ["faketime", "-f", later.strftime("@%Y-%m-%d %H:%M:%S"),
                           *[f"127.0.0.1:{port}" if a == "127.0.0.1:0" else a for a in base_command()]]
    srv.extra_env.update({"TZ": "UTC", "FAKETIME_DONT_FAKE_MONOTONIC": "1"})
    srv.start()
    r = post(form)
    assert r.status_code == 400 and error_code(r) == "ExpiredToken", r.text
