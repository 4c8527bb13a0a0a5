"""Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey,
GetAccessKeyLastUsed, the 2-key quota (also under concurrency), and root's own keys."""

from __future__ import annotations

import datetime as dt
import re
import threading

from botocore.exceptions import ClientError

import hg
from hg import ACCOUNT_ID, ROOT_ARN, expect_error, unique, user_not_found

QUOTA_MSG = "Cannot exceed quota for AccessKeysPerUser: 2"
INVALID_TOKEN = dict(code="InvalidClientTokenId", status=403, match=hg.INVALID_TOKEN_RE)


def key_not_found(akid: str) -> re.Pattern:
    return re.compile(rf"^The Access Key with id {re.escape(akid)} cannot be found\.?$")


def test_create_access_key_shape(iam):
    c = iam()
    name = hg.create_user(c)["UserName"]
    before = hg.utcnow() - dt.timedelta(seconds=5)
    ak = c.create_access_key(UserName=name)["AccessKey"]
    after = hg.utcnow() + dt.timedelta(seconds=5)
    assert ak["UserName"] == name
    assert hg.AKID_RE.match(ak["AccessKeyId"]), ak["AccessKeyId"]
    assert hg.SECRET_RE.match(ak["SecretAccessKey"]), ak["SecretAccessKey"]
    assert ak["Status"] == "Active"
    assert before <= ak["CreateDate"] <= after


def test_new_key_signs_immediately(iam, sts):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    ident = sts(creds).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"


def test_access_key_ids_and_secrets_are_unique(iam):
    c = iam()
    keys = []
    for _ in range(4):
        name = hg.create_user(c)["UserName"]
        keys += [c.create_access_key(UserName=name)["AccessKey"] for _ in range(2)]
    assert len({k["AccessKeyId"] for k in keys}) == 8
    assert len({k["SecretAccessKey"] for k in keys}) == 8


def test_create_access_key_for_missing_user(iam):
    name = unique("ghost")
    expect_error(
        iam().create_access_key,
        UserName=name,
        code="NoSuchEntity",
        status=404,
        message=user_not_found(name),
    )


def test_list_access_keys(iam):
    c = iam()
    name = hg.create_user(c)["UserName"]
    assert c.list_access_keys(UserName=name)["AccessKeyMetadata"] == []
    k1 = c.create_access_key(UserName=name)["AccessKey"]
    k2 = c.create_access_key(UserName=name)["AccessKey"]
    resp = c.list_access_keys(UserName=name)
    assert resp.get("IsTruncated") is False
    meta = {m["AccessKeyId"]: m for m in resp["AccessKeyMetadata"]}
    assert set(meta) == {k1["AccessKeyId"], k2["AccessKeyId"]}
    for k in (k1, k2):
        m = meta[k["AccessKeyId"]]
        assert m["UserName"] == name
        assert m["Status"] == "Active"
        assert m["CreateDate"] == k["CreateDate"]
        assert "SecretAccessKey" not in m


def test_list_access_keys_pagination(iam):
    c = iam()
    name = hg.create_user(c)["UserName"]
    ids = {c.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"] for _ in range(2)}
    first = c.list_access_keys(UserName=name, MaxItems=1)
    assert first["IsTruncated"] is True and first["Marker"]
    second = c.list_access_keys(UserName=name, MaxItems=1, Marker=first["Marker"])
    assert second["IsTruncated"] is False
    got = [m["AccessKeyId"] for m in first["AccessKeyMetadata"] + second["AccessKeyMetadata"]]
    assert sorted(got) == sorted(ids)


def test_get_access_key_last_used_unknown_key_is_access_denied(iam):
    # documented choice (docs/compatibility.md, spec §4.3): no probing of key ids
    expect_error(
        iam().get_access_key_last_used, AccessKeyId="AKIA" + "Z" * 16, code="AccessDenied", status=403
    )


def test_list_access_keys_missing_user(iam):
    name = unique("ghost")
    expect_error(
        iam().list_access_keys, UserName=name, code="NoSuchEntity", status=404, message=user_not_found(name)
    )


def test_third_key_is_limit_exceeded(iam):
    c = iam()
    name = hg.create_user(c)["UserName"]
    c.create_access_key(UserName=name)
    c.create_access_key(UserName=name)
    expect_error(
        c.create_access_key, UserName=name, code="LimitExceeded", status=409, message=QUOTA_MSG
    )
    assert len(c.list_access_keys(UserName=name)["AccessKeyMetadata"]) == 2


def test_inactive_keys_count_towards_quota_and_deleting_frees_a_slot(iam):
    c = iam()
    name = hg.create_user(c)["UserName"]
    k1 = c.create_access_key(UserName=name)["AccessKey"]
    c.create_access_key(UserName=name)
    c.update_access_key(UserName=name, AccessKeyId=k1["AccessKeyId"], Status="Inactive")
    expect_error(c.create_access_key, UserName=name, code="LimitExceeded", status=409, message=QUOTA_MSG)
    c.delete_access_key(UserName=name, AccessKeyId=k1["AccessKeyId"])
    k3 = c.create_access_key(UserName=name)["AccessKey"]
    assert k3["AccessKeyId"] != k1["AccessKeyId"]
    assert len(c.list_access_keys(UserName=name)["AccessKeyMetadata"]) == 2


def test_concurrent_create_access_key_gives_exactly_two(server):
    name = hg.create_user(server.iam())["UserName"]
    n = 10
    clients = [server.iam() for _ in range(n)]
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i):
        barrier.wait()
        try:
            results[i] = ("ok", clients[i].create_access_key(UserName=name)["AccessKey"])
        except ClientError as e:
            results[i] = (
                "err",
                e.response["Error"].get("Code"),
                e.response["ResponseMetadata"]["HTTPStatusCode"],
                e.response["Error"].get("Message"),
            )
        except Exception as e:  # noqa: BLE001 - report anything else as a failure
            results[i] = ("exc", repr(e))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    oks = [r[1] for r in results if r and r[0] == "ok"]
    errs = [r for r in results if not r or r[0] != "ok"]
    assert len(oks) == 2, results
    assert errs == [("err", "LimitExceeded", 409, QUOTA_MSG)] * (n - 2), errs
    listed = server.iam().list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert {m["AccessKeyId"] for m in listed} == {k["AccessKeyId"] for k in oks}
    for k in oks:
        assert server.sts(hg.Creds.from_access_key(k)).get_caller_identity()["Arn"].endswith(
            f":user/{name}"
        )


def test_inactive_key_refused_at_once_then_active_works_again(iam, sts):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    user_sts = sts(creds)
    assert user_sts.get_caller_identity()["Arn"].endswith(f":user/{name}")

    c.update_access_key(UserName=name, AccessKeyId=creds.access_key_id, Status="Inactive")
    # refused immediately, on STS and IAM alike, even on a client that already used the key
    expect_error(user_sts.get_caller_identity, **INVALID_TOKEN)
    expect_error(sts(creds).get_caller_identity, **INVALID_TOKEN)
    expect_error(iam(creds).list_users, **INVALID_TOKEN)
    meta = c.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [(m["AccessKeyId"], m["Status"]) for m in meta] == [(creds.access_key_id, "Inactive")]

    c.update_access_key(UserName=name, AccessKeyId=creds.access_key_id, Status="Active")
    assert user_sts.get_caller_identity()["Arn"].endswith(f":user/{name}")
    meta = c.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert meta[0]["Status"] == "Active"


def test_update_access_key_invalid_status(iam):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    for status in ("Expired", "active", "Bogus"):
        try:
            c.update_access_key(UserName=name, AccessKeyId=creds.access_key_id, Status=status)
        except ClientError as e:
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, e.response
            assert e.response["Error"]["Code"] in ("ValidationError", "InvalidInput"), e.response
        else:
            raise AssertionError(f"Status={status} accepted")
    assert c.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Active"


def test_update_unknown_key_is_no_such_entity(iam):
    c = iam()
    name = hg.create_user(c)["UserName"]
    akid = "AKIA" + "Z" * 16
    expect_error(
        c.update_access_key,
        UserName=name,
        AccessKeyId=akid,
        Status="Inactive",
        code="NoSuchEntity",
        status=404,
        match=key_not_found(akid),
    )


def test_delete_access_key(iam, sts):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    other = c.create_access_key(UserName=name)["AccessKey"]
    c.delete_access_key(UserName=name, AccessKeyId=creds.access_key_id)
    meta = c.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [m["AccessKeyId"] for m in meta] == [other["AccessKeyId"]]
    expect_error(sts(creds).get_caller_identity, **INVALID_TOKEN)
    # the other key is unaffected
    assert sts(hg.Creds.from_access_key(other)).get_caller_identity()["Arn"].endswith(f":user/{name}")
    expect_error(
        c.delete_access_key,
        UserName=name,
        AccessKeyId=creds.access_key_id,
        code="NoSuchEntity",
        status=404,
        match=key_not_found(creds.access_key_id),
    )


def test_delete_key_of_another_user_is_no_such_entity(iam, sts):
    c = iam()
    alice, alice_creds, _ = hg.create_user_with_key(c)
    bob = hg.create_user(c)["UserName"]
    expect_error(
        c.delete_access_key,
        UserName=bob,
        AccessKeyId=alice_creds.access_key_id,
        code="NoSuchEntity",
        status=404,
        match=key_not_found(alice_creds.access_key_id),
    )
    expect_error(
        c.update_access_key,
        UserName=bob,
        AccessKeyId=alice_creds.access_key_id,
        Status="Inactive",
        code="NoSuchEntity",
        status=404,
    )
    assert sts(alice_creds).get_caller_identity()["Arn"].endswith(f":user/{alice}")


def test_get_access_key_last_used_never_used(iam):
    c = iam()
    name = hg.create_user(c)["UserName"]
    ak = c.create_access_key(UserName=name)["AccessKey"]
    resp = c.get_access_key_last_used(AccessKeyId=ak["AccessKeyId"])
    assert resp["UserName"] == name
    last = resp["AccessKeyLastUsed"]
    assert last["ServiceName"] == "N/A"
    assert last["Region"] == "N/A"
    assert "LastUsedDate" not in last


def test_get_access_key_last_used_updated_on_use(server):
    c = server.iam()
    name, creds, _ = hg.create_user_with_key(c)
    before = hg.utcnow() - dt.timedelta(seconds=61)
    server.sts(creds, region="eu-west-1").get_caller_identity()
    after = hg.utcnow() + dt.timedelta(seconds=61)
    last = c.get_access_key_last_used(AccessKeyId=creds.access_key_id)
    assert last["UserName"] == name
    lu = last["AccessKeyLastUsed"]
    assert lu["ServiceName"] == "sts"
    assert lu["Region"] == "eu-west-1"
    assert before <= lu["LastUsedDate"] <= after

    # used again, elsewhere: the record follows the latest use
    server.sts(creds, region="ap-southeast-2").get_caller_identity()
    lu2 = c.get_access_key_last_used(AccessKeyId=creds.access_key_id)["AccessKeyLastUsed"]
    assert (lu2["ServiceName"], lu2["Region"]) == ("sts", "ap-southeast-2")
    assert lu2["LastUsedDate"] >= lu["LastUsedDate"]


def test_get_access_key_last_used_records_iam_use_by_root_key(fresh_server):
    # root's own key, used on IAM: the service is recorded as iam
    c = fresh_server.iam(region="us-west-2")
    c.list_users()
    lu = c.get_access_key_last_used(AccessKeyId=hg.ROOT_AKID)["AccessKeyLastUsed"]
    assert (lu["ServiceName"], lu["Region"]) == ("iam", "us-west-2")
    assert "LastUsedDate" in lu


def test_failed_signature_does_not_count_as_use(iam):
    c = iam()
    _, creds, _ = hg.create_user_with_key(c)
    bad = hg.Creds(creds.access_key_id, "x" * 40)
    expect_error(iam(bad).list_users, code="SignatureDoesNotMatch", status=403)
    lu = c.get_access_key_last_used(AccessKeyId=creds.access_key_id)["AccessKeyLastUsed"]
    assert lu["ServiceName"] == "N/A" and "LastUsedDate" not in lu


# --- root's own keys -------------------------------------------------------------------------


def test_root_creates_uses_and_deletes_its_own_key(fresh_server):
    root_iam = fresh_server.iam()
    ak = root_iam.create_access_key()["AccessKey"]
    assert hg.AKID_RE.match(ak["AccessKeyId"])
    assert hg.SECRET_RE.match(ak["SecretAccessKey"])
    assert ak["Status"] == "Active"
    new_root = hg.Creds.from_access_key(ak)

    ident = fresh_server.sts(new_root).get_caller_identity()
    assert ident["Arn"] == ROOT_ARN
    assert ident["UserId"] == ACCOUNT_ID
    assert ident["Account"] == ACCOUNT_ID
    # root's key is a root key: it can administer IAM
    fresh_server.iam(new_root).create_user(UserName=unique("by-new-root"))

    listed = {m["AccessKeyId"]: m for m in root_iam.list_access_keys()["AccessKeyMetadata"]}
    assert ak["AccessKeyId"] in listed
    assert listed[ak["AccessKeyId"]]["Status"] == "Active"
    # root keys are not any user's keys
    for u in root_iam.list_users()["Users"]:
        ids = {m["AccessKeyId"] for m in root_iam.list_access_keys(UserName=u["UserName"])["AccessKeyMetadata"]}
        assert ak["AccessKeyId"] not in ids

    root_iam.update_access_key(AccessKeyId=ak["AccessKeyId"], Status="Inactive")
    expect_error(fresh_server.sts(new_root).get_caller_identity, **INVALID_TOKEN)
    root_iam.update_access_key(AccessKeyId=ak["AccessKeyId"], Status="Active")
    assert fresh_server.sts(new_root).get_caller_identity()["Arn"] == ROOT_ARN

    root_iam.delete_access_key(AccessKeyId=ak["AccessKeyId"])
    expect_error(fresh_server.sts(new_root).get_caller_identity, **INVALID_TOKEN)
    assert ak["AccessKeyId"] not in {
        m["AccessKeyId"] for m in root_iam.list_access_keys()["AccessKeyMetadata"]
    }
    # the configured root key still works
    assert fresh_server.sts().get_caller_identity()["Arn"] == ROOT_ARN


def test_inactive_key_is_refused_by_s3_too(fresh_server):
    # "an Inactive key is refused at once, everywhere": S3 shares the port and the key store
    root_iam = fresh_server.iam()
    creds = hg.Creds.from_access_key(root_iam.create_access_key()["AccessKey"])
    s3 = hg.client("s3", fresh_server.endpoint, creds)
    assert s3.list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200
    root_iam.update_access_key(AccessKeyId=creds.access_key_id, Status="Inactive")
    expect_error(s3.list_buckets, code="InvalidAccessKeyId", status=403)
    root_iam.update_access_key(AccessKeyId=creds.access_key_id, Status="Active")
    assert s3.list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200
    root_iam.delete_access_key(AccessKeyId=creds.access_key_id)
    expect_error(s3.list_buckets, code="InvalidAccessKeyId", status=403)
