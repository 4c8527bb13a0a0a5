"""Secrets Manager with boto3 and the aws CLI: the lifecycle, the staging-label state
machine, idempotency, listing, errors (HTTP 400 with `__type`), and values sealed at rest."""

from __future__ import annotations

import base64
import json
import sqlite3
import uuid

import pytest
from botocore.exceptions import ClientError

import hg
from smutil import sm, stages


def err(e: ClientError) -> tuple[str, int, str]:
    r = e.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message", "")


def test_create_get_put_and_labels(server):
    c = sm(server)
    name = hg.unique("app/db")
    created = c.create_secret(Name=name, SecretString="v1", Description="the db")
    assert created["Name"] == name
    assert created["ARN"].startswith(f"arn:aws:secretsmanager:us-east-1:{hg.ACCOUNT_ID}:secret:{name}-")
    assert len(created["ARN"].rsplit("-", 1)[1]) == 6
    v1 = created["VersionId"]
    got = c.get_secret_value(SecretId=name)
    assert (got["SecretString"], got["VersionId"], got["VersionStages"]) == ("v1", v1, ["AWSCURRENT"])
    # By full ARN and by partial ARN (without the suffix).
    assert c.get_secret_value(SecretId=created["ARN"])["VersionId"] == v1
    partial = created["ARN"].rsplit("-", 1)[0]
    assert c.get_secret_value(SecretId=partial)["VersionId"] == v1

    v2 = c.put_secret_value(SecretId=name, SecretString="v2")
    assert v2["VersionStages"] == ["AWSCURRENT"]
    assert stages(c, name) == {v1: ["AWSPREVIOUS"], v2["VersionId"]: ["AWSCURRENT"]}
    v3 = c.put_secret_value(SecretId=name, SecretString="v3", VersionStages=["AWSPENDING"])
    assert c.get_secret_value(SecretId=name, VersionStage="AWSPENDING")["SecretString"] == "v3"
    assert c.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "v1"

    # Moving AWSCURRENT must name the version it leaves.
    with pytest.raises(ClientError) as e:
        c.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v3["VersionId"])
    code, status, msg = err(e.value)
    assert (code, status) == ("InvalidParameterException", 400)
    assert v2["VersionId"] in msg
    c.update_secret_version_stage(
        SecretId=name, VersionStage="AWSCURRENT",
        MoveToVersionId=v3["VersionId"], RemoveFromVersionId=v2["VersionId"],
    )
    st = stages(c, name)
    assert v1 not in st, "v1 lost its last label: deprecated"
    assert st[v2["VersionId"]] == ["AWSPREVIOUS"]
    assert sorted(st[v3["VersionId"]]) == ["AWSCURRENT", "AWSPENDING"]
    c.update_secret_version_stage(SecretId=name, VersionStage="AWSPENDING", RemoveFromVersionId=v3["VersionId"])
    assert stages(c, name)[v3["VersionId"]] == ["AWSCURRENT"]

    ids = c.list_secret_version_ids(SecretId=name)["Versions"]
    assert {v["VersionId"] for v in ids} == {v2["VersionId"], v3["VersionId"]}
    all_ids = c.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert v1 in {v["VersionId"] for v in all_ids}
    # A deprecated version stays readable by id until purged.
    assert c.get_secret_value(SecretId=name, VersionId=v1)["SecretString"] == "v1"

    with pytest.raises(ClientError) as e:
        c.get_secret_value(SecretId=name, VersionId=v1, VersionStage="AWSCURRENT")
    assert err(e.value)[:2] == ("InvalidRequestException", 400)

    d = c.describe_secret(SecretId=name)
    assert d["Description"] == "the db"
    assert "RotationEnabled" not in d
    assert d["LastAccessedDate"].date() == hg.utcnow().date()


def test_binary_values_and_value_errors(server):
    c = sm(server)
    name = hg.unique("bin")
    c.create_secret(Name=name, SecretBinary=b"\x00\x01binary")
    assert c.get_secret_value(SecretId=name)["SecretBinary"] == b"\x00\x01binary"
    with pytest.raises(ClientError) as e:
        c.put_secret_value(SecretId=name, SecretString="a", SecretBinary=b"b")
    assert err(e.value)[:2] == ("InvalidParameterException", 400)
    big = "x" * 65537
    with pytest.raises(ClientError) as e:
        hg.client("secretsmanager", server.endpoint, server.root, validate=False).put_secret_value(
            SecretId=name, SecretString=big
        )
    assert err(e.value)[1] == 400
    # Nothing changed.
    assert c.get_secret_value(SecretId=name)["SecretBinary"] == b"\x00\x01binary"


def test_empty_secret_and_not_found(server):
    c = sm(server)
    name = hg.unique("empty")
    out = c.create_secret(Name=name)
    assert "VersionId" not in out
    with pytest.raises(ClientError) as e:
        c.get_secret_value(SecretId=name)
    assert err(e.value) == (
        "ResourceNotFoundException", 400,
        "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
    )
    # The first value gets AWSCURRENT whatever labels were asked for.
    first = c.put_secret_value(SecretId=name, SecretString="x", VersionStages=["custom"])
    assert sorted(first["VersionStages"]) == ["AWSCURRENT", "custom"]
    with pytest.raises(ClientError) as e:
        c.get_secret_value(SecretId=hg.unique("missing"))
    assert err(e.value) == ("ResourceNotFoundException", 400, "Secrets Manager can't find the specified secret.")


def test_idempotent_tokens(server):
    c = sm(server)
    name = hg.unique("idem")
    tok = str(uuid.uuid4())
    a = c.create_secret(Name=name, SecretString="s", ClientRequestToken=tok)
    b = c.create_secret(Name=name, SecretString="s", ClientRequestToken=tok)
    assert a["ARN"] == b["ARN"] and a["VersionId"] == b["VersionId"] == tok
    with pytest.raises(ClientError) as e:
        c.create_secret(Name=name, SecretString="other", ClientRequestToken=tok)
    assert err(e.value)[:2] == ("ResourceExistsException", 400)
    with pytest.raises(ClientError) as e:
        c.create_secret(Name=name, SecretString="s")
    assert err(e.value) == ("ResourceExistsException", 400, f"The operation failed because the secret {name} already exists.")
    t2 = str(uuid.uuid4())
    c.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=t2)
    again = c.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=t2)
    assert again["VersionId"] == t2
    with pytest.raises(ClientError) as e:
        c.put_secret_value(SecretId=name, SecretString="three", ClientRequestToken=t2)
    assert err(e.value)[:2] == ("ResourceExistsException", 400)
    assert len(c.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]) == 2


def test_delete_restore_and_force(server):
    c = sm(server)
    name = hg.unique("del")
    arn = c.create_secret(Name=name, SecretString="s")["ARN"]
    for kw, code in [
        ({"RecoveryWindowInDays": 6}, "InvalidParameterException"),
        ({"RecoveryWindowInDays": 31}, "InvalidParameterException"),
        ({"RecoveryWindowInDays": 7, "ForceDeleteWithoutRecovery": True}, "InvalidParameterException"),
    ]:
        with pytest.raises(ClientError) as e:
            c.delete_secret(SecretId=name, **kw)
        assert err(e.value)[:2] == (code, 400)
    out = c.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert (out["DeletionDate"] - hg.utcnow()).days in (6, 7)
    d = c.describe_secret(SecretId=name)
    assert "DeletedDate" in d
    marked = "You can't perform this operation on the secret because it was marked for deletion."
    for call in [
        lambda: c.get_secret_value(SecretId=name),
        lambda: c.put_secret_value(SecretId=name, SecretString="x"),
        lambda: c.update_secret(SecretId=name, Description="x"),
    ]:
        with pytest.raises(ClientError) as e:
            call()
        assert err(e.value) == ("InvalidRequestException", 400, marked)
    with pytest.raises(ClientError) as e:
        c.create_secret(Name=name, SecretString="again")
    assert err(e.value)[:2] == ("InvalidRequestException", 400)
    with pytest.raises(ClientError) as e:
        c.delete_secret(SecretId=name)
    assert err(e.value)[:2] == ("InvalidRequestException", 400)
    listed = {s["Name"] for s in c.list_secrets()["SecretList"]}
    assert name not in listed
    listed = {s["Name"] for s in c.list_secrets(IncludePlannedDeletion=True)["SecretList"]}
    assert name in listed
    c.restore_secret(SecretId=name)
    assert c.get_secret_value(SecretId=name)["SecretString"] == "s"
    c.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    with pytest.raises(ClientError) as e:
        c.describe_secret(SecretId=name)
    assert err(e.value)[:2] == ("ResourceNotFoundException", 400)
    # Forced delete of a missing secret succeeds; a new secret of the name gets a new ARN.
    c.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    arn2 = c.create_secret(Name=name, SecretString="new")["ARN"]
    assert arn2 != arn


def test_update_secret_tags_and_describe(server):
    c = sm(server)
    name = hg.unique("upd")
    c.create_secret(Name=name, SecretString="a", Tags=[{"Key": "team", "Value": "red"}])
    out = c.update_secret(SecretId=name, SecretString="b", Description="new")
    assert c.get_secret_value(SecretId=name)["SecretString"] == "b"
    assert out["VersionId"] in stages(c, name)
    c.tag_resource(SecretId=name, Tags=[{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "prod"}])
    c.untag_resource(SecretId=name, TagKeys=["env", "absent"])
    d = c.describe_secret(SecretId=name)
    assert d["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert d["Description"] == "new"
    with pytest.raises(ClientError) as e:
        c.tag_resource(SecretId=name, Tags=[{"Key": "aws:x", "Value": "y"}])
    assert err(e.value)[1] == 400
    with pytest.raises(ClientError) as e:
        c.tag_resource(SecretId=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert err(e.value)[1] == 400
    assert c.describe_secret(SecretId=name)["Tags"] == [{"Key": "team", "Value": "blue"}]


def test_list_filters_sort_and_pages(fresh_server):
    c = sm(fresh_server)
    prefix = hg.unique("lst")
    for i in range(7):
        c.create_secret(
            Name=f"{prefix}/s{i}", SecretString="x", Description=f"Number {i}",
            Tags=[{"Key": "team", "Value": "red" if i % 2 else "blue"}],
        )
    c.create_secret(Name="unrelated-secret", SecretString="x")
    names = [s["Name"] for s in c.list_secrets(Filters=[{"Key": "name", "Values": [prefix]}])["SecretList"]]
    assert names == [f"{prefix}/s{i}" for i in range(7)]
    red = c.list_secrets(Filters=[{"Key": "tag-value", "Values": ["red"]}])["SecretList"]
    assert {s["Name"] for s in red} == {f"{prefix}/s{i}" for i in (1, 3, 5)}
    not_team = c.list_secrets(Filters=[{"Key": "tag-key", "Values": ["!team"]}])["SecretList"]
    assert [s["Name"] for s in not_team] == ["unrelated-secret"]
    desc = c.list_secrets(Filters=[{"Key": "description", "Values": ["number 3"]}])["SecretList"]
    assert [s["Name"] for s in desc] == [f"{prefix}/s3"]
    entry = desc[0]
    assert "SecretVersionsToStages" in entry and "VersionIdsToStages" not in entry
    by_name = c.list_secrets(SortBy="name", SortOrder="desc")["SecretList"]
    assert by_name[0]["Name"] == "unrelated-secret"
    pages = list(c.get_paginator("list_secrets").paginate(PaginationConfig={"PageSize": 3}))
    assert [len(p["SecretList"]) for p in pages] == [3, 3, 2]
    with pytest.raises(ClientError) as e:
        c.list_secrets(NextToken="garbage")
    assert err(e.value)[:2] == ("InvalidNextTokenException", 400)
    with pytest.raises(ClientError) as e:
        c.list_secrets(Filters=[{"Key": "name", "Values": ["a*b"]}])
    assert err(e.value)[1] == 400


def test_batch_get_secret_value(server):
    c = sm(server)
    a, b = hg.unique("ba"), hg.unique("bb")
    c.create_secret(Name=a, SecretString="A")
    c.create_secret(Name=b, SecretString="B")
    out = c.batch_get_secret_value(SecretIdList=[a, b, hg.unique("nope")])
    assert sorted(v["SecretString"] for v in out["SecretValues"]) == ["A", "B"]
    assert [e["ErrorCode"] for e in out["Errors"]] == ["ResourceNotFoundException"]
    out = c.batch_get_secret_value(Filters=[{"Key": "name", "Values": [a]}])
    assert [v["Name"] for v in out["SecretValues"]] == [a]


def test_random_password(server):
    c = sm(server)
    p = c.get_random_password()["RandomPassword"]
    assert len(p) == 32
    p = c.get_random_password(PasswordLength=20, ExcludePunctuation=True, ExcludeCharacters="abc")["RandomPassword"]
    assert len(p) == 20 and p.isalnum() and not set(p) & set("abc")
    with pytest.raises(ClientError) as e:
        c.get_random_password(PasswordLength=2)
    assert err(e.value) == ("InvalidParameterException", 400, "Password length is too short based on the required types.")


def test_raw_errors_have_type_and_400(server):
    resp = hg.json_call(server.endpoint, server.root, "secretsmanager.GetSecretValue",
                        {"SecretId": hg.unique("raw")}, service="secretsmanager")
    assert resp.status_code == 400
    assert resp.json() == {"__type": "ResourceNotFoundException", "Message": "Secrets Manager can't find the specified secret."}
    resp = hg.json_call(server.endpoint, server.root, "secretsmanager.GetSecretValue", {}, service="secretsmanager")
    assert resp.status_code == 400 and resp.json()["__type"] == "ValidationException"
    resp = hg.json_call(server.endpoint, server.root, "secretsmanager.CreateSecret",
                        {"Name": 5}, service="secretsmanager")
    assert resp.status_code == 400 and resp.json()["__type"] == "SerializationException"
    resp = hg.json_call(server.endpoint, server.root, "secretsmanager.ReplicateSecretToRegions",
                        {"SecretId": "x", "AddReplicaRegions": [{"Region": "eu-west-1"}]}, service="secretsmanager")
    assert resp.status_code == 400 and resp.json()["__type"] == "InvalidRequestException"


def test_database_never_holds_a_value_in_clear(fresh_server):
    c = sm(fresh_server)
    marker = "PLAINTEXT-MARKER-" + uuid.uuid4().hex
    c.create_secret(Name=hg.unique("clear"), SecretString=marker)
    c.create_secret(Name=hg.unique("clearbin"), SecretBinary=marker.encode())
    c.put_secret_value(SecretId=c.list_secrets()["SecretList"][0]["Name"], SecretString=marker + "2")
    fresh_server.stop()
    raw = b""
    for f in fresh_server.data_dir.iterdir():
        if f.name.startswith(("hourglass.db", "hourglass-audit.db")):
            raw += f.read_bytes()
    assert raw, "no database files found"
    for needle in [marker.encode(), base64.b64encode(marker.encode())]:
        assert needle not in raw
    db = sqlite3.connect(fresh_server.data_dir / "hourglass.db")
    rows = db.execute("SELECT value_sealed FROM sm_versions").fetchall()
    assert rows and all(r[0].startswith("v1.") for r in rows)
    db.close()
    assert marker not in fresh_server.stderr_text()
    fresh_server.start()
    c = sm(fresh_server)
    assert c.get_secret_value(SecretId=c.list_secrets()["SecretList"][0]["Name"])


def test_aws_cli(server):
    name = hg.unique("cli")
    out = server.cli(["secretsmanager", "create-secret", "--name", name, "--secret-string", '{"a":1}']).ok()
    assert out["Name"] == name
    got = server.cli(["secretsmanager", "get-secret-value", "--secret-id", name]).ok()
    assert json.loads(got["SecretString"]) == {"a": 1}
    res = server.cli(["secretsmanager", "describe-secret", "--secret-id", hg.unique("none")])
    assert res.rc != 0 and "ResourceNotFoundException" in res.stderr
    listed = server.cli(["secretsmanager", "list-secrets", "--filters", f"Key=name,Values={name}"]).ok()
    assert [s["Name"] for s in listed["SecretList"]] == [name]
