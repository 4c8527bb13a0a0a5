"""Data survives a restart on the same data dir (SQLite, the default store)."""

from __future__ import annotations

import signal

import hg
from hg import ACCOUNT_ID, ROOT_ARN, expect_error, unique

INVALID_TOKEN = dict(code="InvalidClientTokenId", status=403, match=hg.INVALID_TOKEN_RE)


def test_restart_keeps_users_and_keys(fresh_server):
    srv = fresh_server
    c = srv.iam()
    name = unique("persist")
    user = c.create_user(UserName=name, Path="/p/", Tags=[{"Key": "k", "Value": "v"}])["User"]
    k1 = c.create_access_key(UserName=name)["AccessKey"]
    k2 = c.create_access_key(UserName=name)["AccessKey"]
    c.update_access_key(UserName=name, AccessKeyId=k2["AccessKeyId"], Status="Inactive")
    gone, gone_creds, _ = hg.create_user_with_key(c)
    c.delete_access_key(UserName=gone, AccessKeyId=gone_creds.access_key_id)
    srv.sts(hg.Creds.from_access_key(k1), region="eu-north-1").get_caller_identity()
    last_before = c.get_access_key_last_used(AccessKeyId=k1["AccessKeyId"])["AccessKeyLastUsed"]

    srv.restart()
    assert srv.endpoint  # (the port may differ: 127.0.0.1:0)
    c = srv.iam()

    got = c.get_user(UserName=name)["User"]
    assert (got["UserId"], got["Arn"], got["Path"]) == (user["UserId"], user["Arn"], "/p/")
    assert got["CreateDate"] == user["CreateDate"]
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]

    # last-used survived (checked before the key is used again)
    last_after = c.get_access_key_last_used(AccessKeyId=k1["AccessKeyId"])["AccessKeyLastUsed"]
    assert last_after == last_before
    assert (last_after["ServiceName"], last_after["Region"]) == ("sts", "eu-north-1")

    meta = {m["AccessKeyId"]: m["Status"] for m in c.list_access_keys(UserName=name)["AccessKeyMetadata"]}
    assert meta == {k1["AccessKeyId"]: "Active", k2["AccessKeyId"]: "Inactive"}

    # the old key still signs (its secret survived, decryptable with the persisted server key)
    ident = srv.sts(hg.Creds.from_access_key(k1)).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/p/{name}"
    assert ident["UserId"] == user["UserId"]
    # the inactive key stays refused, the deleted one stays gone
    expect_error(srv.sts(hg.Creds.from_access_key(k2)).get_caller_identity, **INVALID_TOKEN)
    expect_error(srv.sts(gone_creds).get_caller_identity, **INVALID_TOKEN)
    assert c.list_access_keys(UserName=gone)["AccessKeyMetadata"] == []
    # quota still enforced across the restart
    expect_error(c.create_access_key, UserName=name, code="LimitExceeded", status=409)


def test_restart_keeps_root_and_new_ids_do_not_collide(fresh_server):
    srv = fresh_server
    c = srv.iam()
    before = {c.create_user(UserName=unique("a"))["User"]["UserId"] for _ in range(3)}
    root_key = c.create_access_key()["AccessKey"]
    srv.restart()
    c = srv.iam()
    assert srv.sts().get_caller_identity()["Arn"] == ROOT_ARN
    assert srv.sts(hg.Creds.from_access_key(root_key)).get_caller_identity()["Arn"] == ROOT_ARN
    after = {c.create_user(UserName=unique("b"))["User"]["UserId"] for _ in range(3)}
    assert not (before & after)
    assert len(c.list_users()["Users"]) == 6


def test_acknowledged_write_survives_sigkill(fresh_server):
    srv = fresh_server
    name, creds, _ = hg.create_user_with_key(srv.iam())
    srv.kill()  # SIGKILL: no graceful shutdown
    srv.start()
    assert srv.iam().get_user(UserName=name)["User"]["UserName"] == name
    assert srv.sts(creds).get_caller_identity()["Arn"].endswith(f":user/{name}")


def test_sigint_stops_cleanly_and_data_is_kept(fresh_server):
    srv = fresh_server
    name = hg.create_user(srv.iam())["UserName"]
    assert srv.stop(signal.SIGINT) == 0
    srv.start()
    assert srv.iam().get_user(UserName=name)["User"]["UserName"] == name


def test_two_restarts_in_a_row(fresh_server):
    srv = fresh_server
    name, creds, _ = hg.create_user_with_key(srv.iam())
    for _ in range(2):
        srv.restart()
        assert srv.sts(creds).get_caller_identity()["Arn"].endswith(f":user/{name}")
