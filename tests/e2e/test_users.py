"""IAM users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser, TagUser/UntagUser/ListUserTags."""

from __future__ import annotations

import datetime as dt

import pytest

import hg
from hg import ACCOUNT_ID, expect_error, unique, user_not_found


def test_create_user_returns_aws_shape(iam):
    name = unique("alice")
    before = hg.utcnow() - dt.timedelta(seconds=5)
    user = iam().create_user(UserName=name)["User"]
    after = hg.utcnow() + dt.timedelta(seconds=5)
    assert user["UserName"] == name
    assert user["Path"] == "/"
    assert hg.USER_ID_RE.match(user["UserId"]), user["UserId"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    assert before <= user["CreateDate"] <= after


def test_create_user_with_path_and_tags(iam):
    name = unique("pathy")
    user = iam().create_user(
        UserName=name,
        Path="/eng/team-a/",
        Tags=[{"Key": "team", "Value": "x"}, {"Key": "empty", "Value": ""}],
    )["User"]
    assert user["Path"] == "/eng/team-a/"
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/eng/team-a/{name}"
    got = iam().get_user(UserName=name)["User"]
    assert got["Path"] == "/eng/team-a/"
    assert got["UserId"] == user["UserId"]
    assert {t["Key"]: t["Value"] for t in got["Tags"]} == {"team": "x", "empty": ""}


def test_user_ids_are_unique(iam):
    c = iam()
    ids = {c.create_user(UserName=unique("uid"))["User"]["UserId"] for _ in range(5)}
    assert len(ids) == 5


def test_create_duplicate_user_is_entity_already_exists(iam):
    c = iam()
    name = unique("alice")
    c.create_user(UserName=name)
    expect_error(
        c.create_user,
        UserName=name,
        code="EntityAlreadyExists",
        status=409,
        message=f"User with name {name} already exists.",
    )


def test_user_names_are_unique_case_insensitively(iam):
    c = iam()
    name = unique("Carol")
    c.create_user(UserName=name)
    expect_error(c.create_user, UserName=name.upper(), code="EntityAlreadyExists", status=409)
    # case preserved on output, lookup finds the original
    assert c.get_user(UserName=name)["User"]["UserName"] == name


def test_get_user_by_name(iam):
    c = iam()
    created = hg.create_user(c)
    got = c.get_user(UserName=created["UserName"])["User"]
    for k in ("UserName", "UserId", "Arn", "Path", "CreateDate"):
        assert got[k] == created[k], k


def test_get_missing_user_is_no_such_entity(iam):
    name = unique("bob")
    expect_error(
        iam().get_user, UserName=name, code="NoSuchEntity", status=404, message=user_not_found(name)
    )


def test_lookup_names_up_to_128_characters_are_not_found_rather_than_invalid(iam):
    # names are created with at most 64 characters, but lookups accept up to 128 (spec §4.1)
    name = "n" * 100
    expect_error(iam().get_user, UserName=name, code="NoSuchEntity", status=404, message=user_not_found(name))


def test_concurrent_create_same_user_exactly_one_wins(server):
    import threading

    from botocore.exceptions import ClientError

    name = unique("race")
    clients = [server.iam() for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    results = [None] * len(clients)

    def worker(i):
        barrier.wait()
        try:
            results[i] = clients[i].create_user(UserName=name)["User"]["UserId"]
        except ClientError as e:
            results[i] = (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    winners = [r for r in results if isinstance(r, str)]
    assert len(winners) == 1, results
    assert sorted(r for r in results if not isinstance(r, str)) == [("EntityAlreadyExists", 409)] * 7
    assert server.iam().get_user(UserName=name)["User"]["UserId"] == winners[0]


def test_get_user_without_name_as_root(iam):
    user = iam().get_user()["User"]
    assert user["UserId"] == ACCOUNT_ID
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert "UserName" not in user


def test_get_user_without_name_as_user_without_policies_is_denied(iam):
    name, creds, _ = hg.create_user_with_key(iam())
    # AWS requires iam:GetUser even on oneself; a user with no policies is denied.
    expect_error(iam(creds).get_user, code="AccessDenied", status=403)


@pytest.mark.parametrize(
    "bad_name,constraint",
    [
        ("bad/name", "Member must satisfy regular expression pattern"),
        ("bad name", "Member must satisfy regular expression pattern"),
        ("x" * 65, "Member must have length less than or equal to 64"),
    ],
)
def test_create_user_invalid_name_is_validation_error(iam, bad_name, constraint):
    c = iam(validate=False)
    e = expect_error(c.create_user, UserName=bad_name, code="ValidationError", status=400)
    msg = e.response["Error"]["Message"]
    assert msg.startswith(
        f"1 validation error detected: Value '{bad_name}' at 'userName' failed to satisfy constraint: "
    ), msg
    assert constraint in msg, msg
    assert bad_name not in hg.all_user_names(iam())


def test_create_user_empty_name_is_validation_error(iam):
    c = iam(validate=False)
    e = expect_error(c.create_user, UserName="", code="ValidationError", status=400)
    assert "userName" in e.response["Error"]["Message"]


@pytest.mark.parametrize("bad_path", ["noslash", "/no-trailing", "/a//b/x y/"])
def test_create_user_invalid_path_is_validation_error(iam, bad_path):
    name = unique("badpath")
    e = expect_error(
        iam(validate=False).create_user, UserName=name, Path=bad_path, code="ValidationError", status=400
    )
    assert "at 'path' failed to satisfy constraint" in e.response["Error"]["Message"]
    expect_error(iam().get_user, UserName=name, code="NoSuchEntity", status=404)


# --- ListUsers -------------------------------------------------------------------------------


def test_list_users_empty_account(fresh_server):
    resp = fresh_server.iam().list_users()
    assert resp["Users"] == []
    assert resp["IsTruncated"] is False
    assert "Marker" not in resp


def test_list_users_returns_created_users_without_tags(fresh_server):
    c = fresh_server.iam()
    names = sorted(unique("lu") for _ in range(3))
    for n in names:
        c.create_user(UserName=n, Tags=[{"Key": "k", "Value": "v"}])
    users = c.list_users()["Users"]
    assert sorted(u["UserName"] for u in users) == names
    for u in users:
        assert hg.USER_ID_RE.match(u["UserId"])
        assert u["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{u['UserName']}"
        assert "CreateDate" in u
        assert "Tags" not in u, "ListUsers must omit Tags (AWS returns a reduced shape)"


def test_list_users_pagination_by_hand(iam):
    c = iam()
    prefix = f"/{unique('page')}/"
    names = {c.create_user(UserName=unique("pg"), Path=prefix)["User"]["UserName"] for _ in range(5)}

    first = c.list_users(PathPrefix=prefix, MaxItems=2)
    assert first["IsTruncated"] is True
    assert first["Marker"]
    assert len(first["Users"]) == 2

    seen = [u["UserName"] for u in first["Users"]]
    marker = first["Marker"]
    pages = 1
    while marker:
        page = c.list_users(PathPrefix=prefix, MaxItems=2, Marker=marker)
        pages += 1
        assert len(page["Users"]) <= 2
        seen += [u["UserName"] for u in page["Users"]]
        if page["IsTruncated"]:
            assert page["Marker"]
            marker = page["Marker"]
        else:
            assert "Marker" not in page
            marker = None
        assert pages <= 5, "pagination does not terminate"
    assert pages == 3
    assert len(seen) == 5 and set(seen) == names, seen


def test_list_users_paginator_gets_all(iam):
    c = iam()
    prefix = f"/{unique('pgn')}/"
    names = {c.create_user(UserName=unique("pg"), Path=prefix)["User"]["UserName"] for _ in range(5)}
    pages = list(
        c.get_paginator("list_users").paginate(PathPrefix=prefix, PaginationConfig={"PageSize": 2})
    )
    got = [u["UserName"] for p in pages for u in p["Users"]]
    assert len(pages) == 3
    assert sorted(got) == sorted(names)


def test_list_users_max_items_larger_than_result(iam):
    c = iam()
    prefix = f"/{unique('big')}/"
    c.create_user(UserName=unique("one"), Path=prefix)
    resp = c.list_users(PathPrefix=prefix, MaxItems=1000)
    assert len(resp["Users"]) == 1
    assert resp["IsTruncated"] is False
    assert "Marker" not in resp


def test_list_users_path_prefix_filters(iam):
    c = iam()
    top = f"/{unique('pp')}/"
    a = {c.create_user(UserName=unique("a"), Path=top + "a/")["User"]["UserName"] for _ in range(2)}
    b = {c.create_user(UserName=unique("b"), Path=top + "b/")["User"]["UserName"] for _ in range(3)}
    plain = c.create_user(UserName=unique("plain"))["User"]["UserName"]

    def names(prefix):
        return hg.all_user_names(c, prefix)

    assert names(top + "a/") == a
    assert names(top + "b/") == b
    assert names(top) == a | b
    assert plain not in names(top)
    assert names(f"/{unique('nothing')}/") == set()
    assert a | b | {plain} <= names("/")


def test_list_users_invalid_max_items_is_validation_error(iam):
    expect_error(iam(validate=False).list_users, MaxItems=0, code="ValidationError", status=400)
    expect_error(iam(validate=False).list_users, MaxItems=1001, code="ValidationError", status=400)


# --- UpdateUser ------------------------------------------------------------------------------


def test_update_user_rename_keeps_id(iam):
    c = iam()
    old = hg.create_user(c)
    new_name = unique("renamed")
    c.update_user(UserName=old["UserName"], NewUserName=new_name)
    expect_error(c.get_user, UserName=old["UserName"], code="NoSuchEntity", status=404)
    got = c.get_user(UserName=new_name)["User"]
    assert got["UserId"] == old["UserId"]
    assert got["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{new_name}"


def test_update_user_new_path(iam):
    c = iam()
    u = hg.create_user(c)
    c.update_user(UserName=u["UserName"], NewPath="/moved/")
    got = c.get_user(UserName=u["UserName"])["User"]
    assert got["Path"] == "/moved/"
    assert got["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/moved/{u['UserName']}"
    assert got["UserId"] == u["UserId"]


def test_renamed_user_keys_still_work_under_new_name(iam, sts):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    new_name = unique("renamed")
    c.update_user(UserName=name, NewUserName=new_name)
    ident = sts(creds).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{new_name}"
    keys = c.list_access_keys(UserName=new_name)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [creds.access_key_id]
    assert keys[0]["UserName"] == new_name


def test_update_user_rename_to_existing_is_entity_already_exists(iam):
    c = iam()
    a = hg.create_user(c)["UserName"]
    b = hg.create_user(c)["UserName"]
    expect_error(c.update_user, UserName=a, NewUserName=b, code="EntityAlreadyExists", status=409)
    assert c.get_user(UserName=a)["User"]["UserName"] == a


def test_update_missing_user_is_no_such_entity(iam):
    name = unique("ghost")
    expect_error(
        iam().update_user,
        UserName=name,
        NewPath="/x/",
        code="NoSuchEntity",
        status=404,
        message=user_not_found(name),
    )


# --- DeleteUser ------------------------------------------------------------------------------


def test_delete_user(iam):
    c = iam()
    name = hg.create_user(c)["UserName"]
    c.delete_user(UserName=name)
    expect_error(c.get_user, UserName=name, code="NoSuchEntity", status=404)
    assert name not in hg.all_user_names(c)
    # the name can be reused, with a new id
    again = c.create_user(UserName=name)["User"]
    assert again["UserName"] == name


def test_delete_missing_user_is_no_such_entity(iam):
    name = unique("ghost")
    expect_error(
        iam().delete_user, UserName=name, code="NoSuchEntity", status=404, message=user_not_found(name)
    )


def test_delete_user_with_access_keys_is_delete_conflict(iam):
    c = iam()
    name, creds, ak = hg.create_user_with_key(c)
    expect_error(
        c.delete_user,
        UserName=name,
        code="DeleteConflict",
        status=409,
        message="Cannot delete entity, must delete access keys first.",
    )
    assert c.get_user(UserName=name)["User"]["UserName"] == name
    c.delete_access_key(UserName=name, AccessKeyId=creds.access_key_id)
    c.delete_user(UserName=name)
    expect_error(c.get_user, UserName=name, code="NoSuchEntity", status=404)


def test_delete_user_with_inactive_key_is_still_delete_conflict(iam):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    c.update_access_key(UserName=name, AccessKeyId=creds.access_key_id, Status="Inactive")
    expect_error(c.delete_user, UserName=name, code="DeleteConflict", status=409)


def test_delete_user_with_inline_policy_is_delete_conflict(iam):
    c = iam()
    name = hg.create_user(c)["UserName"]
    doc = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}'
    c.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc)
    expect_error(
        c.delete_user,
        UserName=name,
        code="DeleteConflict",
        status=409,
        message="Cannot delete entity, must delete policies first.",
    )
    c.delete_user_policy(UserName=name, PolicyName="p")
    c.delete_user(UserName=name)


# --- Tags ------------------------------------------------------------------------------------


def tags_of(c, name):
    return {t["Key"]: t["Value"] for t in c.list_user_tags(UserName=name)["Tags"]}


def test_tag_untag_list_user_tags(iam):
    c = iam()
    name = hg.create_user(c)["UserName"]
    assert c.list_user_tags(UserName=name)["Tags"] == []
    assert c.list_user_tags(UserName=name)["IsTruncated"] is False
    c.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}])
    assert tags_of(c, name) == {"team": "a", "env": "dev"}
    c.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "b"}])
    assert tags_of(c, name) == {"team": "b", "env": "dev"}
    c.untag_user(UserName=name, TagKeys=["env", "not-there"])
    assert tags_of(c, name) == {"team": "b"}
    assert {t["Key"]: t["Value"] for t in c.get_user(UserName=name)["User"]["Tags"]} == {"team": "b"}


def test_user_tag_keys_are_case_insensitive(iam):
    c = iam()
    name = hg.create_user(c)["UserName"]
    c.tag_user(UserName=name, Tags=[{"Key": "Department", "Value": "a"}])
    c.tag_user(UserName=name, Tags=[{"Key": "department", "Value": "b"}])
    tags = c.list_user_tags(UserName=name)["Tags"]
    assert len(tags) == 1, tags
    assert tags[0]["Value"] == "b"


def test_tag_missing_user_is_no_such_entity(iam):
    name = unique("ghost")
    c = iam()
    expect_error(
        c.tag_user,
        UserName=name,
        Tags=[{"Key": "k", "Value": "v"}],
        code="NoSuchEntity",
        status=404,
        message=user_not_found(name),
    )
    expect_error(c.untag_user, UserName=name, TagKeys=["k"], code="NoSuchEntity", status=404)
    expect_error(c.list_user_tags, UserName=name, code="NoSuchEntity", status=404)


def test_tag_with_reserved_aws_prefix_is_rejected(iam):
    c = iam()
    name = hg.create_user(c)["UserName"]
    e = expect_error_any4xx(c.tag_user, UserName=name, Tags=[{"Key": "aws:foo", "Value": "v"}])
    assert e.response["Error"]["Code"] in ("InvalidInput", "ValidationError")
    assert c.list_user_tags(UserName=name)["Tags"] == []


def test_more_than_50_tags_is_rejected(iam):
    c = iam()
    name = hg.create_user(c)["UserName"]
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    e = expect_error_any4xx(iam(validate=False).tag_user, UserName=name, Tags=tags)
    assert e.response["Error"]["Code"] in ("LimitExceeded", "ValidationError")
    assert c.list_user_tags(UserName=name)["Tags"] == []


def expect_error_any4xx(fn, **kwargs):
    from botocore.exceptions import ClientError

    try:
        fn(**kwargs)
    except ClientError as e:
        st = e.response["ResponseMetadata"]["HTTPStatusCode"]
        assert 400 <= st < 500, e.response
        return e
    raise AssertionError("call succeeded")
