"""The one request pipeline: every request of every service yields one record, counted in
Prometheus metrics by service, operation and outcome; auth failures on both the Query and
the S3 road; authorization decisions of the one authorizer (AssumeRole included);
credentials issued; and a health check that asks the store and the S3 data directory."""

from __future__ import annotations

import json
import re
import shutil
import uuid

import pytest
import requests

import hg
from hg import IAM_VERSION, ROOT, Creds, expect_error, unique
from s3util import s3_client

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def metrics(srv) -> dict[tuple[str, frozenset], float]:
    resp = srv.get("/_hourglass/metrics")
    assert resp.status_code == 200, resp.text
    out = {}
    for line in resp.text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, line
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before, after, name: str, **labels) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_requests_counted_by_service_operation_and_outcome(fresh_server):
    srv = fresh_server
    before = metrics(srv)
    srv.sts().get_caller_identity()
    srv.iam().create_user(UserName=unique("pipe"))
    expect_error(srv.iam().get_user, UserName=unique("nobody"), code="NoSuchEntity", status=404)
    s3 = s3_client(srv.endpoint, srv.root)
    s3.list_buckets()
    with pytest.raises(Exception):
        s3.head_bucket(Bucket=unique("nob"))
    after = metrics(srv)
    req = "hourglass_requests_total"
    assert delta(before, after, req, service="sts", operation="GetCallerIdentity", outcome="ok") == 1
    assert delta(before, after, req, service="iam", operation="CreateUser", outcome="ok") == 1
    assert delta(before, after, req, service="iam", operation="GetUser", outcome="NoSuchEntity") == 1
    assert delta(before, after, req, service="s3", operation="ListBuckets", outcome="ok") == 1
    assert delta(before, after, req, service="s3", operation="HeadBucket", outcome="NoSuchBucket") == 1
    # The scrape before this one is itself a request of the internal service.
    assert delta(before, after, req, service="internal", operation="Metrics", outcome="ok") >= 1
    hist = "hourglass_request_duration_seconds"
    assert delta(before, after, f"{hist}_count", service="iam", operation="CreateUser") == 1
    assert value(after, f"{hist}_bucket", service="iam", operation="CreateUser", le="+Inf") >= 1
    assert value(after, f"{hist}_sum", service="iam", operation="CreateUser") > 0


def test_client_input_never_becomes_a_label(fresh_server):
    srv = fresh_server
    bogus = "Bogus" + uuid.uuid4().hex[:12]
    resp = srv.query(ROOT, {"Action": bogus, "Version": IAM_VERSION})
    assert resp.status_code == 400, resp.text
    text = srv.get("/_hourglass/metrics").text
    assert bogus not in text
    samples = metrics(srv)
    assert value(samples, "hourglass_requests_total", service="iam", operation="unknown", outcome="InvalidAction") == 1


def test_auth_failures_counted_on_both_roads(fresh_server):
    srv = fresh_server
    before = metrics(srv)
    ghost = Creds("AKIA" + "Z" * 16, "x" * 40)
    expect_error(srv.iam(ghost).list_users, code="InvalidClientTokenId", status=403)
    with pytest.raises(Exception) as e:
        s3_client(srv.endpoint, ghost).list_buckets()
    assert "InvalidAccessKeyId" in str(e.value), e.value
    wrong = Creds(srv.root.access_key_id, "y" * 40)
    expect_error(srv.sts(wrong).get_caller_identity, code="SignatureDoesNotMatch", status=403)
    after = metrics(srv)
    fails = "hourglass_auth_failures_total"
    assert delta(before, after, fails, service="iam", code="InvalidClientTokenId") == 1
    assert delta(before, after, fails, service="s3", code="InvalidAccessKeyId") == 1
    assert delta(before, after, fails, service="sts", code="SignatureDoesNotMatch") == 1
    assert delta(before, after, "hourglass_requests_total", service="s3", operation="ListBuckets",
                 outcome="InvalidAccessKeyId") == 1


def _doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_authz_decisions_and_credentials_issued(fresh_server):
    srv = fresh_server
    iam = srv.iam()
    name = unique("pipeu")
    iam.create_user(UserName=name)
    user = iam.get_user(UserName=name)["User"]
    before = metrics(srv)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    ucreds = Creds.from_access_key(key)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"},
    ))
    mid = metrics(srv)
    dec = "hourglass_authz_decisions_total"
    srv.iam(ucreds).get_user(UserName=name)
    after_allow = metrics(srv)
    assert delta(mid, after_allow, dec, decision="allow") == 1
    expect_error(srv.iam(ucreds).list_users, code="AccessDenied", status=403)
    after_explicit = metrics(srv)
    assert delta(after_allow, after_explicit, dec, decision="explicit_deny") == 1
    expect_error(srv.iam(ucreds).list_groups, code="AccessDenied", status=403)
    after_implicit = metrics(srv)
    assert delta(after_explicit, after_implicit, dec, decision="implicit_deny") == 1

    # AssumeRole's trust decision goes through the same authorizer.
    trusting = iam.create_role(RoleName=unique("pr"), AssumeRolePolicyDocument=_doc(
        {"Effect": "Allow", "Principal": {"AWS": user["Arn"]}, "Action": "sts:AssumeRole"}))["Role"]
    other = iam.create_role(RoleName=unique("pr"), AssumeRolePolicyDocument=_doc(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}))["Role"]
    b = metrics(srv)
    srv.sts(ucreds).assume_role(RoleArn=trusting["Arn"], RoleSessionName="ss")
    m = metrics(srv)
    assert delta(b, m, dec, decision="allow") == 1
    assert delta(b, m, "hourglass_credentials_issued_total", kind="AssumeRole") == 1
    expect_error(srv.sts(ucreds).assume_role, RoleArn=other["Arn"], RoleSessionName="ss",
                 code="AccessDenied", status=403)
    a = metrics(srv)
    assert delta(m, a, dec, decision="implicit_deny") == 1
    assert delta(m, a, "hourglass_credentials_issued_total", kind="AssumeRole") == 0

    srv.sts().get_session_token()
    end = metrics(srv)
    issued = "hourglass_credentials_issued_total"
    assert delta(before, end, issued, kind="CreateAccessKey") == 1
    assert delta(before, end, issued, kind="GetSessionToken") == 1


def test_request_record_is_logged_with_the_request_id(server_factory):
    srv = server_factory(extra_env={"HOURGLASS_LOG": "info,hourglass::request=debug"}).start()
    resp = srv.query(ROOT, {"Action": "ListUsers", "Version": IAM_VERSION})
    assert resp.status_code == 200, resp.text
    rid = resp.headers["x-amzn-RequestId"]
    # Anonymous: refused by the authorizer, but recorded all the same.
    s3 = requests.get(srv.endpoint + "/" + unique("nob"), timeout=10)
    s3_rid = s3.headers["x-amz-request-id"]
    srv.stop()
    log = srv.stderr_text()
    line = next((l for l in log.splitlines() if rid in l), None)
    assert line is not None, log[-2000:]
    assert "operation=ListUsers" in line and "outcome=ok" in line, line
    assert srv.root.access_key_id in line, line
    # Secrets never reach the log.
    assert srv.root.secret_access_key not in log
    s3_line = next((l for l in log.splitlines() if s3_rid in l), None)
    assert s3_line is not None, log[-2000:]
    assert "service=s3" in s3_line and "operation=ListObjects" in s3_line and "outcome=AccessDenied" in s3_line, s3_line


def test_health_asks_the_s3_data_dir(server_factory):
    srv = server_factory().start()
    assert srv.get("/_hourglass/health").status_code == 200
    objects = srv.data_dir / "objects"
    assert objects.is_dir(), list(srv.data_dir.iterdir())
    shutil.rmtree(objects)
    resp = srv.get("/_hourglass/health")
    assert resp.status_code == 503, resp.text
    assert resp.json() == {"status": "unavailable"}
    (objects / "tmp").mkdir(mode=0o700, parents=True)
    assert srv.get("/_hourglass/health").status_code == 200


def test_store_latency_by_transaction_kind(fresh_server):
    srv = fresh_server
    before = metrics(srv)
    srv.iam().create_user(UserName=unique("storelat"))
    srv.iam().list_users()
    after = metrics(srv)
    hist = "hourglass_store_duration_seconds"
    assert delta(before, after, f"{hist}_count", kind="write") >= 1
    assert delta(before, after, f"{hist}_count", kind="read") >= 1
    assert value(after, f"{hist}_bucket", kind="write", le="+Inf") >= 1
    assert value(after, f"{hist}_sum", kind="write") > 0
