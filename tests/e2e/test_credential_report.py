"""The IAM credential report: GenerateCredentialReport / GetCredentialReport with AWS's 22
CSV columns, parsed as CSV, through boto3 and the aws CLI (issue 15, spec aws-semantics-2 §4)."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io

import hg

COLUMNS = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
).split(",")


def parse_ts(s: str) -> dt.datetime:
    assert s.endswith("+00:00"), s
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S+00:00").replace(tzinfo=dt.timezone.utc)


def test_report_reflects_keys_last_use_and_rotation(fresh_server):
    srv = fresh_server
    iam = srv.iam()
    hg.expect_error(iam.get_credential_report, code="ReportNotPresent", status=410)

    alice, a1, _ = hg.create_user_with_key(iam, "alice")
    a2 = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.put_user_policy(UserName="alice", PolicyName="s3", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'))
    hg.client("s3", srv.endpoint, a1, region="eu-west-1").list_buckets()
    bob, b1, _ = hg.create_user_with_key(iam, "bob")
    iam.update_access_key(UserName="bob", AccessKeyId=b1.access_key_id, Status="Inactive")
    iam.create_user(UserName="carol")

    first = iam.generate_credential_report()
    assert first["State"] == "STARTED"
    assert first["Description"] == "No report exists. Starting a new report generation task"
    got = iam.get_credential_report()
    assert got["ReportFormat"] == "text/csv"
    assert isinstance(got["Content"], bytes)
    text = got["Content"].decode()
    assert text.endswith("\n")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0].keys()) == COLUMNS
    assert [r["user"] for r in rows] == ["<root_account>", "alice", "bob", "carol"]
    root, a, b, c = rows
    assert root["arn"] == "arn:aws:iam::123456789012:root"
    assert (root["password_enabled"], root["password_last_changed"]) == ("not_supported", "not_supported")
    assert root["access_key_1_active"] == "true"  # the server's root key
    assert root["access_key_1_last_used_service"] in ("iam", "sts")

    assert a["arn"] == "arn:aws:iam::123456789012:user/alice"
    parse_ts(a["user_creation_time"])
    assert (a["password_enabled"], a["password_last_used"], a["mfa_active"]) == ("false", "N/A", "false")
    assert a["access_key_1_active"] == "true" and a["access_key_2_active"] == "true"
    assert parse_ts(a["access_key_1_last_rotated"]) <= parse_ts(a["access_key_2_last_rotated"])
    used = parse_ts(a["access_key_1_last_used_date"])
    assert abs((hg.utcnow().replace(tzinfo=dt.timezone.utc) - used).total_seconds()) < 600
    assert (a["access_key_1_last_used_region"], a["access_key_1_last_used_service"]) == ("eu-west-1", "s3")
    assert [a[f"access_key_2_last_used_{k}"] for k in ("date", "region", "service")] == ["N/A"] * 3
    assert (a["cert_1_active"], a["cert_1_last_rotated"]) == ("false", "N/A")

    # bob: the inactive key still shows when it was created.
    assert b["access_key_1_active"] == "false"
    parse_ts(b["access_key_1_last_rotated"])
    assert b["access_key_1_last_used_date"] == "N/A"
    assert (b["access_key_2_active"], b["access_key_2_last_rotated"]) == ("false", "N/A")
    assert (c["access_key_1_active"], c["access_key_1_last_rotated"]) == ("false", "N/A")

    # Within four hours the report is complete and not rebuilt.
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    assert iam.get_credential_report()["Content"] == got["Content"]
    gen = iam.get_credential_report()["GeneratedTime"]
    assert abs((hg.utcnow().replace(tzinfo=dt.timezone.utc) - gen).total_seconds()) < 600

    # The aws CLI recipe: base64 text out of --query Content.
    out = srv.cli(["iam", "get-credential-report", "--query", "Content", "--output", "text"])
    assert out.rc == 0, out.stderr
    assert base64.b64decode(out.stdout.strip()).decode() == text
    assert srv.cli(["iam", "generate-credential-report"]).ok()["State"] == "COMPLETE"


def test_report_needs_its_permissions(server):
    iam = server.iam()
    name, creds, _ = hg.create_user_with_key(iam)
    mine = server.iam(creds)
    hg.expect_error(mine.generate_credential_report, code="AccessDenied", status=403,
                    match="iam:GenerateCredentialReport")
    hg.expect_error(mine.get_credential_report, code="AccessDenied", status=403, match="iam:GetCredentialReport")
