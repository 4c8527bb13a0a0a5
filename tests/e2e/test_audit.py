"""The audit log: a CloudTrail event for every IAM, STS and S3 request, read back with
CloudTrail LookupEvents through boto3 and the aws CLI (issue 15, spec aws-semantics-2 §3)."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import subprocess

import pytest
import requests

import hg
from hg import ROOT


def events(server, creds=None, **kw) -> list[dict]:
    """Every event a LookupEvents query returns, all pages (boto3 paginator)."""
    ct = hg.client("cloudtrail", server.endpoint, creds or ROOT)
    out = []
    for page in ct.get_paginator("lookup_events").paginate(**kw):
        out.extend(page["Events"])
    return out


def by_key(server, key_id: str) -> list[dict]:
    return events(server, LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": key_id}])


def record(e: dict) -> dict:
    assert isinstance(e["CloudTrailEvent"], str)
    return json.loads(e["CloudTrailEvent"])


def allow_all(iam, user: str) -> None:
    iam.put_user_policy(
        UserName=user,
        PolicyName="all",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )


def test_a_users_key_events_are_exactly_its_calls(server):
    iam = server.iam()
    name, creds, key = hg.create_user_with_key(iam)
    allow_all(iam, name)
    bucket = hg.unique("audit")
    s3 = hg.client("s3", server.endpoint, creds)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a/b.txt", Body=b"hello")
    s3.get_object(Bucket=bucket, Key="a/b.txt")["Body"].read()
    server.iam(creds).list_users()
    server.iam(creds).get_user()
    iam.update_access_key(UserName=name, AccessKeyId=creds.access_key_id, Status="Inactive")

    got = by_key(server, creds.access_key_id)
    names = [e["EventName"] for e in got]
    # Newest first, exactly the calls signed with the key.
    assert names == ["GetUser", "ListUsers", "GetObject", "PutObject", "CreateBucket"], names
    for e in got:
        assert e["AccessKeyId"] == creds.access_key_id
        assert e["Username"] == name
        r = record(e)
        ui = r["userIdentity"]
        assert ui["type"] == "IAMUser"
        assert ui["userName"] == name
        assert ui["arn"] == f"arn:aws:iam::123456789012:user/{name}"
        assert ui["principalId"].startswith("AIDA")
        assert ui["accountId"] == "123456789012"
        assert ui["accessKeyId"] == creds.access_key_id
        assert r["eventVersion"] == "1.08"
        assert r["eventID"] == e["EventId"]
        assert r["recipientAccountId"] == "123456789012"
        assert r["eventType"] == "AwsApiCall"
        assert r["sourceIPAddress"] == "127.0.0.1"
        assert r["requestID"]
        assert "errorCode" not in r
    by_name = {e["EventName"]: e for e in got}
    put = record(by_name["PutObject"])
    assert put["eventSource"] == "s3.amazonaws.com"
    assert put["managementEvent"] is False and put["eventCategory"] == "Data"
    assert put["readOnly"] is False
    assert put["requestParameters"]["bucketName"] == bucket
    assert put["requestParameters"]["key"] == "a/b.txt"
    assert put["userAgent"].startswith("[") and put["userAgent"].endswith("]")
    assert {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/a/b.txt"} in put["resources"]
    assert {"ResourceType": "AWS::S3::Bucket", "ResourceName": bucket} in by_name["PutObject"]["Resources"]
    lu = record(by_name["ListUsers"])
    assert (lu["eventSource"], lu["awsRegion"], lu["readOnly"], lu["managementEvent"]) == (
        "iam.amazonaws.com", "us-east-1", True, True)
    assert lu["responseElements"] is None
    assert by_name["ListUsers"]["ReadOnly"] == "true"
    assert by_name["CreateBucket"]["ReadOnly"] == "false"
    # The deactivation was made by root, not by the key.
    upd = events(server, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "UpdateAccessKey"}])
    mine = [e for e in upd if record(e)["requestParameters"].get("accessKeyId") == creds.access_key_id]
    assert len(mine) == 1
    assert mine[0]["Username"] == "root"
    assert record(mine[0])["userIdentity"]["type"] == "Root"
    assert record(mine[0])["requestParameters"] == {
        "userName": name, "accessKeyId": creds.access_key_id, "status": "Inactive"}
    assert {"ResourceType": "AWS::IAM::AccessKey", "ResourceName": creds.access_key_id} in mine[0]["Resources"]


def test_create_access_key_event_records_the_key_but_never_the_secret(server):
    iam = server.iam()
    name = hg.create_user(iam)["UserName"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    got = events(server, LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": key["AccessKeyId"]}])
    assert [e["EventName"] for e in got] == ["CreateAccessKey"]
    r = record(got[0])
    assert r["responseElements"]["accessKey"]["accessKeyId"] == key["AccessKeyId"]
    assert r["responseElements"]["accessKey"]["userName"] == name
    assert r["responseElements"]["accessKey"]["status"] == "Active"
    # Java-style dates, as AWS records IAM responses.
    dt.datetime.strptime(r["responseElements"]["accessKey"]["createDate"], "%b %d, %Y %I:%M:%S %p")
    assert "secretAccessKey" not in r["responseElements"]["accessKey"]
    assert key["SecretAccessKey"] not in got[0]["CloudTrailEvent"]


def test_assumed_role_events_show_role_session_and_source_identity(server):
    iam = server.iam()
    name, creds, _ = hg.create_user_with_key(iam)
    allow_all(iam, name)
    role = hg.unique("auditrole")
    arn = iam.create_role(
        RoleName=role,
        Path="/ci/",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}]}),
    )["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    out = server.sts(creds).assume_role(RoleArn=arn, RoleSessionName="deploy-1", SourceIdentity="alice-src")
    sess = hg.Creds(out["Credentials"]["AccessKeyId"], out["Credentials"]["SecretAccessKey"], out["Credentials"]["SessionToken"])
    server.sts(sess).get_caller_identity()
    server.iam(sess).list_roles()

    # The AssumeRole event, found by the new temporary key.
    minted = events(server, LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": sess.access_key_id}])
    assert [e["EventName"] for e in minted] == ["AssumeRole"]
    a = record(minted[0])
    assert a["readOnly"] is True and minted[0]["ReadOnly"] == "true"
    assert a["eventSource"] == "sts.amazonaws.com"
    assert a["responseElements"]["credentials"]["accessKeyId"] == sess.access_key_id
    assert a["responseElements"]["credentials"]["sessionToken"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert "secretAccessKey" not in a["responseElements"]["credentials"]
    assert a["responseElements"]["assumedRoleUser"]["arn"].endswith(f":assumed-role/{role}/deploy-1")
    assert a["requestParameters"]["roleSessionName"] == "deploy-1"
    assert a["requestParameters"]["sourceIdentity"] == "alice-src"
    assert a["resources"] == [{"accountId": "123456789012", "type": "AWS::IAM::Role", "ARN": arn}]
    assert minted[0]["AccessKeyId"] == creds.access_key_id
    types = [r["ResourceType"] for r in minted[0]["Resources"]]
    assert types.count("AWS::STS::AssumedRole") == 3 and "AWS::IAM::Role" in types
    text = minted[0]["CloudTrailEvent"]
    assert sess.secret_access_key not in text and sess.session_token not in text

    # The session's own calls.
    got = by_key(server, sess.access_key_id)
    assert [e["EventName"] for e in got] == ["ListRoles", "GetCallerIdentity"]
    for e in got:
        assert e["Username"] == "deploy-1"
        ui = record(e)["userIdentity"]
        assert ui["type"] == "AssumedRole"
        assert ui["arn"] == f"arn:aws:sts::123456789012:assumed-role/{role}/deploy-1"
        assert ui["principalId"].endswith(":deploy-1") and ui["principalId"].startswith("AROA")
        sc = ui["sessionContext"]
        assert sc["sessionIssuer"] == {"type": "Role", "principalId": ui["principalId"].split(":")[0],
                                       "arn": arn, "accountId": "123456789012", "userName": role}
        assert sc["sourceIdentity"] == "alice-src"
        assert sc["attributes"]["mfaAuthenticated"] == "false"
        dt.datetime.strptime(sc["attributes"]["creationDate"], "%Y-%m-%dT%H:%M:%SZ")
    gci = record(got[1])
    assert gci["requestParameters"] is None and gci["responseElements"] is None
    # Username of a session is its session name.
    assert [e["EventName"] for e in events(server, LookupAttributes=[
        {"AttributeKey": "Username", "AttributeValue": "deploy-1"}])] == ["ListRoles", "GetCallerIdentity"]


def test_denied_calls_carry_access_denied(server):
    iam = server.iam()
    name, creds, _ = hg.create_user_with_key(iam)
    hg.expect_error(server.iam(creds).list_users, code="AccessDenied", status=403)
    s3 = hg.client("s3", server.endpoint, creds)
    hg.expect_error(s3.list_buckets, code="AccessDenied", status=403)
    got = by_key(server, creds.access_key_id)
    assert [e["EventName"] for e in got] == ["ListBuckets", "ListUsers"]
    for e in got:
        r = record(e)
        assert r["errorCode"] == "AccessDenied"
        assert r["errorMessage"]
        assert r["responseElements"] is None
        assert r["readOnly"] is True
        assert r["userIdentity"]["userName"] == name
    assert "is not authorized to perform: iam:ListUsers" in record(got[1])["errorMessage"]


def test_failed_authentication_is_recorded_as_unknown_and_not_attributed(server):
    iam = server.iam()
    name, creds, _ = hg.create_user_with_key(iam)
    bad = hg.Creds(creds.access_key_id, "x" * 40)
    hg.expect_error(server.iam(bad).list_users, code="SignatureDoesNotMatch", status=403)
    # Not attributed to the key's owner.
    assert by_key(server, creds.access_key_id) == []
    got = events(server, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListUsers"}])
    unknown = [record(e) for e in got if record(e)["userIdentity"].get("accessKeyId") == creds.access_key_id]
    assert len(unknown) == 1
    assert unknown[0]["userIdentity"] == {"type": "Unknown", "accessKeyId": creds.access_key_id}
    assert unknown[0]["errorCode"] == "SignatureDoesNotMatch"


def test_lookup_is_authorized_by_cloudtrail_lookup_events(server):
    iam = server.iam()
    name, creds, _ = hg.create_user_with_key(iam)
    ct = hg.client("cloudtrail", server.endpoint, creds)
    err = hg.expect_error(ct.lookup_events, code="AccessDeniedException", status=400)
    iam.put_user_policy(UserName=name, PolicyName="ct", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"}]}))
    assert ct.lookup_events(MaxResults=1)["Events"]
    # The lookups themselves are audited, the denied one with its error.
    got = by_key(server, creds.access_key_id)
    assert [e["EventName"] for e in got] == ["LookupEvents", "LookupEvents"]
    assert record(got[1])["errorCode"] == "AccessDeniedException"
    assert record(got[0])["eventSource"] == "cloudtrail.amazonaws.com"
    assert record(got[0])["requestParameters"] == {"maxResults": 1}


def test_all_eight_attributes_time_range_and_paging(server):
    iam = server.iam()
    prefix = hg.unique("pg")
    users = [f"{prefix}-{i}" for i in range(7)]
    for u in users:
        iam.create_user(UserName=u)
    made = events(server, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}])
    mine = [e for e in made if record(e)["requestParameters"]["userName"].startswith(prefix)]
    assert [record(e)["requestParameters"]["userName"] for e in mine] == list(reversed(users))
    first = mine[-1]
    checks = {
        "EventId": first["EventId"],
        "EventName": "CreateUser",
        "ReadOnly": "false",
        "Username": "root",
        "ResourceType": "AWS::IAM::User",
        "ResourceName": users[0],
        "EventSource": "iam.amazonaws.com",
        "AccessKeyId": ROOT.access_key_id,
    }
    for key, value in checks.items():
        got = events(server, LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}])
        assert first["EventId"] in [e["EventId"] for e in got], key
        for e in got:
            if key in ("EventName", "EventSource", "Username", "AccessKeyId", "ReadOnly", "EventId"):
                assert e[{"EventId": "EventId"}.get(key, key)] == value, (key, e)
    assert len(events(server, LookupAttributes=[{"AttributeKey": "EventId", "AttributeValue": first["EventId"]}])) == 1
    assert events(server, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "createuser"}]) == []

    # Pages of 2 with unique tokens, same events as one page.
    ct = hg.client("cloudtrail", server.endpoint, ROOT)
    attrs = [{"AttributeKey": "ResourceType", "AttributeValue": "AWS::IAM::User"}]
    seen, tokens, token = [], [], None
    while True:
        kw = {"LookupAttributes": attrs, "MaxResults": 2}
        if token:
            kw["NextToken"] = token
        page = ct.lookup_events(**kw)
        assert len(page["Events"]) <= 2
        seen += [e["EventId"] for e in page["Events"]]
        token = page.get("NextToken")
        if not token:
            break
        tokens.append(token)
    assert len(set(tokens)) == len(tokens)
    assert seen == [e["EventId"] for e in events(server, LookupAttributes=attrs)]
    assert len(seen) == len(set(seen)) >= 7
    # A token reused with other parameters is refused.
    hg.expect_error(ct.lookup_events, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}],
                    NextToken=tokens[0], code="InvalidNextTokenException", status=400)

    # Time range: events are whole seconds; a window ending before the first user's second misses it.
    t = dt.datetime.fromtimestamp(first["EventTime"].timestamp(), dt.timezone.utc)
    inside = events(server, LookupAttributes=[{"AttributeKey": "EventId", "AttributeValue": first["EventId"]}],
                    StartTime=t, EndTime=t)
    assert len(inside) == 1
    before = events(server, LookupAttributes=[{"AttributeKey": "EventId", "AttributeValue": first["EventId"]}],
                    EndTime=t - dt.timedelta(seconds=1))
    assert before == []


def test_bad_lookup_input_gets_cloudtrails_errors(server):
    ct = hg.client("cloudtrail", server.endpoint, ROOT)
    hg.expect_error(ct.lookup_events, LookupAttributes=[{"AttributeKey": "Bogus", "AttributeValue": "x"}],
                    code="InvalidLookupAttributesException", status=400)
    hg.expect_error(ct.lookup_events, MaxResults=51, code="InvalidMaxResultsException", status=400)
    now = hg.utcnow()
    hg.expect_error(ct.lookup_events, StartTime=now, EndTime=now - dt.timedelta(hours=1), code="InvalidTimeRangeException", status=400)
    hg.expect_error(ct.lookup_events, NextToken="not-a-token", code="InvalidNextTokenException", status=400)
    hg.expect_error(ct.lookup_events, EventCategory="data", code="InvalidEventCategoryException", status=400)
    assert ct.lookup_events(EventCategory="insight")["Events"] == []
    for body in [b'{"MaxResults": "5"}', b'{"LookupAttributes": {}}', b'[1]', b'{"StartTime": "yesterday"}']:
        resp = hg.json_call(server.endpoint, ROOT, "CloudTrail_20131101.LookupEvents", body, service="cloudtrail")
        assert resp.status_code == 400, body
        assert resp.json()["__type"] == "SerializationException", (body, resp.text)


def test_aws_cli_lookup_events_pages_with_max_items(server):
    iam = server.iam()
    prefix = hg.unique("cli")
    for i in range(5):
        iam.create_user(UserName=f"{prefix}-{i}")
    out = server.cli(["cloudtrail", "lookup-events", "--lookup-attributes",
                      "AttributeKey=EventName,AttributeValue=CreateUser", "--page-size", "2"]).ok()
    names = [json.loads(e["CloudTrailEvent"])["requestParameters"]["userName"] for e in out["Events"]]
    assert [n for n in names if n.startswith(prefix)] == [f"{prefix}-{i}" for i in reversed(range(5))]
    out = server.cli(["cloudtrail", "lookup-events", "--lookup-attributes",
                      "AttributeKey=EventName,AttributeValue=CreateUser", "--max-items", "3"]).ok()
    assert len(out["Events"]) == 3 and out.get("NextToken")


def test_no_secret_or_session_token_in_any_event_log_or_database(fresh_server):
    srv = fresh_server
    iam = srv.iam()
    name, creds, _ = hg.create_user_with_key(iam)
    allow_all(iam, name)
    role = hg.unique("r")
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    out = srv.sts(creds).assume_role(RoleArn=arn, RoleSessionName="s1")["Credentials"]
    sess = hg.Creds(out["AccessKeyId"], out["SecretAccessKey"], out["SessionToken"])
    gst = srv.sts(creds).get_session_token()["Credentials"]
    s3 = hg.client("s3", srv.endpoint, sess)
    b = hg.unique("sec")
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "k"})
    assert requests.get(url, timeout=10).status_code == 200
    secrets = [creds.secret_access_key, sess.secret_access_key, sess.session_token,
               gst["SecretAccessKey"], gst["SessionToken"], ROOT.secret_access_key]
    everything = events(srv)
    assert len(everything) >= 8
    dump = json.dumps(everything, default=str)
    # The presigned URL's signature is not recorded either.
    sig = re.search(r"Signature=([^&]+)", url).group(1)
    for s in secrets + [sig]:
        assert s not in dump
    srv.stop()
    db = sqlite3.connect(srv.data_dir / "hourglass-audit.db")
    rows = db.execute("SELECT record, resources FROM audit_events").fetchall()
    db.close()
    assert len(rows) >= len(everything)
    raw = "\n".join(r[0] + r[1] for r in rows)
    for s in secrets + [sig]:
        assert s not in raw
    log = srv.stderr_text()
    for s in secrets:
        assert s not in log


def test_audit_settings_off_and_invalid(server_factory, tmp_path):
    off = tmp_path / "off.toml"
    off.write_text("[audit]\nenabled = false\n")
    srv = server_factory(extra_args=["--config", str(off)]).start()
    srv.iam().list_users()
    assert events(srv) == []
    bad = tmp_path / "bad.toml"
    bad.write_text('[audit]\nwhen_full = "drop"\n')
    p = subprocess.run([str(hg.binary_path()), "serve", "--config", str(bad), "--data-dir", str(tmp_path / "d"),
                        "--listen", "127.0.0.1:0"], env=hg.clean_env(), capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "audit.when-full" in p.stderr and "'drop' is not block or shed" in p.stderr


def test_events_survive_a_restart(server_factory):
    srv = server_factory().start()
    name = hg.create_user(srv.iam())["UserName"]
    # Stopping drains the queue: the event of the last answered request is kept.
    srv.restart()
    got = events(srv, LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}])
    assert [e["EventName"] for e in got] == ["CreateUser"]
