"""The AWS JSON 1.0/1.1 protocol front (CloudTrail, Organizations, Secrets Manager), checked
with raw HTTP and botocore's signer: routing by `X-Amz-Target`, the error envelope
(`__type`, `Message`, `x-amzn-ErrorType`), request ids, and hostile input. The services'
own operations are tested in their files; these use targets no service answers."""

from __future__ import annotations

import requests

import hg
from hg import ROOT


def error_of(resp: requests.Response) -> tuple[int, str, str]:
    body = resp.json()
    return resp.status_code, body.get("__type", ""), body.get("Message", "")


def test_unknown_service_target_is_unknown_operation(server):
    resp = hg.json_call(server.endpoint, ROOT, "NoSuchService_20200101.DoThing", {}, service="nosuch")
    status, code, message = error_of(resp)
    assert (status, code) == (400, "UnknownOperationException"), resp.text
    assert message == ""
    assert resp.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert resp.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert resp.headers.get("x-amzn-RequestId")


def test_content_type_version_is_echoed(server):
    resp = hg.json_call(server.endpoint, ROOT, "NoSuchService_20200101.DoThing", service="nosuch", version="1.0")
    assert resp.status_code == 400
    assert resp.headers["Content-Type"] == "application/x-amz-json-1.0"


def test_malformed_targets(server):
    for target in ["nodot", ".Op", "Svc.", "Svc.Op/../x", "Svc. Op", "a" * 5000 + ".Op"]:
        resp = hg.json_call(server.endpoint, ROOT, target, service="nosuch")
        status, code, _ = error_of(resp)
        assert (status, code) == (400, "UnknownOperationException"), (target, resp.text)


def test_unsigned_target_is_refused_without_a_panic(server):
    resp = requests.post(
        server.endpoint + "/",
        headers={"X-Amz-Target": "NoSuchService_20200101.DoThing", "Content-Type": "application/x-amz-json-1.1"},
        data=b"{not json",
        timeout=30,
    )
    assert resp.status_code == 400
    assert resp.json()["__type"] == "UnknownOperationException"


def test_target_on_a_bucket_path_stays_s3(server):
    s3 = hg.client("s3", server.endpoint, ROOT)
    bucket = hg.unique("jsonroute")
    s3.create_bucket(Bucket=bucket)
    url, headers, body = hg.signed_request(
        server.endpoint, ROOT, b"", service="s3", method="GET", path=f"/{bucket}",
        headers={"X-Amz-Target": "Svc.Op", "x-amz-content-sha256": "UNSIGNED-PAYLOAD"},
    )
    resp = hg.send("GET", url, headers, body)
    assert resp.status_code == 200, resp.text
    assert b"ListBucketResult" in resp.content


def test_query_still_answers_beside_json(server):
    resp = hg.raw_query(server.endpoint, ROOT, {"Action": "GetCallerIdentity", "Version": hg.STS_VERSION}, service="sts")
    assert resp.status_code == 200, resp.text


def test_json_requests_are_counted(server):
    hg.json_call(server.endpoint, ROOT, "NoSuchService_20200101.DoThing", service="nosuch")
    metrics = requests.get(server.endpoint + "/_hourglass/metrics", timeout=30).text
    assert any(
        line.startswith("hourglass_requests_total{") and 'outcome="UnknownOperationException"' in line
        for line in metrics.splitlines()
    ), metrics[:2000]
