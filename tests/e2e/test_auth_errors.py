"""Authentication failures (spec §1.5, §2.4, §2.9): every one answers with AWS's code,
status and message, and changes nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest

import hg
from hg import IAM_VERSION, ROOT, ROOT_ARN, STS_VERSION, assert_query_error, expect_error, unique

INVALID_TOKEN = dict(code="InvalidClientTokenId", status=403, match=hg.INVALID_TOKEN_RE)
MISMATCH = dict(code="SignatureDoesNotMatch", status=403, message=hg.SIGNATURE_MISMATCH_MSG)
LIST_USERS = {"Action": "ListUsers", "Version": IAM_VERSION}
CALLER_ID = {"Action": "GetCallerIdentity", "Version": STS_VERSION}


def parse_ts(s: str) -> dt.datetime:
    return dt.datetime.strptime(s, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)


# --- unknown / inactive / deleted keys -------------------------------------------------------


@pytest.mark.parametrize("service", ["iam", "sts"])
def test_unknown_access_key_is_invalid_client_token_id(server, service):
    creds = hg.Creds("AKIA" + "Q" * 16, "s" * 40)
    c = getattr(server, service)(creds)
    call = c.list_users if service == "iam" else c.get_caller_identity
    expect_error(call, **INVALID_TOKEN)


@pytest.mark.parametrize("service", ["iam", "sts"])
def test_deactivated_key_is_invalid_client_token_id(server, service):
    c = server.iam()
    name, creds, _ = hg.create_user_with_key(c)
    c.update_access_key(UserName=name, AccessKeyId=creds.access_key_id, Status="Inactive")
    user = getattr(server, service)(creds)
    call = user.list_users if service == "iam" else user.get_caller_identity
    expect_error(call, **INVALID_TOKEN)


@pytest.mark.parametrize("service", ["iam", "sts"])
def test_deleted_key_is_invalid_client_token_id(server, service):
    c = server.iam()
    name, creds, _ = hg.create_user_with_key(c)
    assert server.sts(creds).get_caller_identity()["Arn"].endswith(f":user/{name}")
    c.delete_access_key(UserName=name, AccessKeyId=creds.access_key_id)
    user = getattr(server, service)(creds)
    call = user.list_users if service == "iam" else user.get_caller_identity
    expect_error(call, **INVALID_TOKEN)


def test_key_of_deleted_user_is_invalid_client_token_id(server):
    c = server.iam()
    name, creds, _ = hg.create_user_with_key(c)
    c.delete_access_key(UserName=name, AccessKeyId=creds.access_key_id)
    c.delete_user(UserName=name)
    c.create_user(UserName=name)  # same name again: the old key must not come back
    expect_error(server.sts(creds).get_caller_identity, **INVALID_TOKEN)


def test_inactive_key_with_wrong_secret_is_invalid_client_token_id(server):
    # the key is resolved before the signature is checked (§2.9)
    c = server.iam()
    name, creds, _ = hg.create_user_with_key(c)
    c.update_access_key(UserName=name, AccessKeyId=creds.access_key_id, Status="Inactive")
    expect_error(server.sts(hg.Creds(creds.access_key_id, "w" * 40)).get_caller_identity, **INVALID_TOKEN)


def test_long_term_key_with_a_session_token_is_invalid_client_token_id(server):
    creds = hg.Creds(ROOT.access_key_id, ROOT.secret_access_key, "bogus-session-token")
    expect_error(server.sts(creds).get_caller_identity, **INVALID_TOKEN)


def test_unknown_temporary_key_is_invalid_client_token_id(server):
    creds = hg.Creds("ASIA" + "Q" * 16, "s" * 40, "FwoGZXIvYXdzEXAMPLETOKEN")
    expect_error(server.sts(creds).get_caller_identity, **INVALID_TOKEN)


# --- signature mismatches --------------------------------------------------------------------


@pytest.mark.parametrize("service", ["iam", "sts"])
def test_wrong_secret_is_signature_does_not_match(server, service):
    name, creds, _ = hg.create_user_with_key(server.iam())
    wrong = hg.Creds(creds.access_key_id, creds.secret_access_key[:-1] + ("A" if creds.secret_access_key[-1] != "A" else "B"))
    c = getattr(server, service)(wrong)
    call = c.list_users if service == "iam" else c.get_caller_identity
    expect_error(call, **MISMATCH)


def test_wrong_root_secret_is_signature_does_not_match(server):
    expect_error(server.iam(hg.Creds(ROOT.access_key_id, "r" * 40)).list_users, **MISMATCH)


def test_tampered_signature(server):
    url, headers, body = hg.signed_request(server.endpoint, ROOT, LIST_USERS)
    ok = hg.send("POST", url, headers, body)
    assert ok.status_code == 200, ok.text
    bad = hg.send("POST", url, hg.tamper_signature(headers), body)
    assert_query_error(bad, **MISMATCH)


def test_tampered_body_changes_nothing(server):
    a, b = unique("orig"), unique("evil")
    assert len(a) == len(b)
    url, headers, body = hg.signed_request(
        server.endpoint, ROOT, {"Action": "CreateUser", "Version": IAM_VERSION, "UserName": a}
    )
    evil = body.replace(a.encode(), b.encode())
    assert evil != body
    resp = hg.send("POST", url, headers, evil)
    assert_query_error(resp, **MISMATCH)
    names = hg.all_user_names(server.iam())
    assert a not in names and b not in names


def test_tampered_signed_header(server):
    url, headers, body = hg.signed_request(server.endpoint, ROOT, CALLER_ID, service="sts")
    ts = parse_ts(headers["X-Amz-Date"]) + dt.timedelta(seconds=1)
    headers = dict(headers, **{"X-Amz-Date": ts.strftime("%Y%m%dT%H%M%SZ")})
    assert_query_error(hg.send("POST", url, headers, body), **MISMATCH)


def test_signature_for_another_region_does_not_match(server):
    url, headers, body = hg.signed_request(server.endpoint, ROOT, CALLER_ID, service="sts", region="eu-west-1")
    headers = dict(headers)
    headers["Authorization"] = headers["Authorization"].replace("/eu-west-1/", "/us-east-1/")
    assert_query_error(hg.send("POST", url, headers, body), **MISMATCH)


# --- clock skew ------------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["iam", "sts"])
def test_skew_16_minutes_in_the_past_is_signature_expired(server, service):
    c = getattr(server, service)()
    call = c.list_users if service == "iam" else c.get_caller_identity
    before = hg.utcnow()
    with hg.skewed_clock(-dt.timedelta(minutes=16)):
        e = expect_error(call, code="SignatureDoesNotMatch", status=403, match=hg.SIG_EXPIRED_RE)
    after = hg.utcnow()
    req_ts, limit, now = map(parse_ts, hg.SIG_EXPIRED_RE.match(e.response["Error"]["Message"]).groups())
    assert abs((req_ts - (before - dt.timedelta(minutes=16))).total_seconds()) <= 2
    assert limit == now - dt.timedelta(minutes=15)
    assert before - dt.timedelta(seconds=2) <= now <= after + dt.timedelta(seconds=2)


@pytest.mark.parametrize("service", ["iam", "sts"])
def test_skew_16_minutes_in_the_future_is_signature_not_yet_current(server, service):
    c = getattr(server, service)()
    call = c.list_users if service == "iam" else c.get_caller_identity
    before = hg.utcnow()
    with hg.skewed_clock(dt.timedelta(minutes=16)):
        e = expect_error(call, code="SignatureDoesNotMatch", status=403, match=hg.SIG_NOT_YET_RE)
    req_ts, limit, now = map(parse_ts, hg.SIG_NOT_YET_RE.match(e.response["Error"]["Message"]).groups())
    assert abs((req_ts - (before + dt.timedelta(minutes=16))).total_seconds()) <= 2
    assert limit == now + dt.timedelta(minutes=15)
    assert abs((now - before).total_seconds()) <= 5


@pytest.mark.parametrize("minutes", [-14, 14])
@pytest.mark.parametrize("service", ["iam", "sts"])
def test_skew_14_minutes_still_works(server, service, minutes):
    c = getattr(server, service)()
    with hg.skewed_clock(dt.timedelta(minutes=minutes)):
        if service == "iam":
            assert c.get_user()["User"]["Arn"] == ROOT_ARN
        else:
            assert c.get_caller_identity()["Arn"] == ROOT_ARN


def test_skewed_create_user_changes_nothing(server):
    name = unique("skewed")
    with hg.skewed_clock(-dt.timedelta(minutes=16)):
        expect_error(server.iam().create_user, UserName=name, code="SignatureDoesNotMatch", status=403)
    expect_error(server.iam().get_user, UserName=name, code="NoSuchEntity", status=404)


def test_skew_checked_with_raw_signing_at_chosen_time(server):
    when = hg.utcnow() - dt.timedelta(minutes=16)
    resp = server.query(ROOT, CALLER_ID, service="sts", when=when)
    e = assert_query_error(resp, "SignatureDoesNotMatch", 403, match=hg.SIG_EXPIRED_RE)
    assert hg.SIG_EXPIRED_RE.match(e.message).group(1) == when.strftime("%Y%m%dT%H%M%SZ")
    ok = server.query(ROOT, CALLER_ID, service="sts", when=hg.utcnow() - dt.timedelta(minutes=14))
    assert ok.status_code == 200, ok.text


def test_skew_is_checked_even_for_unknown_keys_or_before_them(server):
    # either order is AWS-like; what matters is a 403 auth error, not success or a 5xx
    creds = hg.Creds("AKIA" + "Q" * 16, "s" * 40)
    with hg.skewed_clock(-dt.timedelta(minutes=16)):
        try:
            server.sts(creds).get_caller_identity()
        except Exception as e:  # noqa: BLE001
            code = e.response["Error"]["Code"]
            assert code in ("SignatureDoesNotMatch", "InvalidClientTokenId")
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        else:
            raise AssertionError("accepted")


# --- missing / malformed authentication ------------------------------------------------------


@pytest.mark.parametrize(
    "params,ns",
    [
        (LIST_USERS, hg.IAM_NS),
        ({"Action": "CreateUser", "Version": IAM_VERSION, "UserName": "unsigned"}, hg.IAM_NS),
        (CALLER_ID, hg.STS_NS),
    ],
)
def test_missing_authorization_is_missing_authentication_token(server, params, ns):
    resp = server.query(None, params)
    e = assert_query_error(
        resp, "MissingAuthenticationToken", 403, message="Request is missing Authentication Token"
    )
    assert e.namespace == ns, resp.text
    expect_error(server.iam().get_user, UserName="unsigned", code="NoSuchEntity", status=404)


def test_missing_authorization_in_query_string_get(server):
    resp = hg.send("GET", server.endpoint + "/?Action=GetCallerIdentity&Version=2011-06-15", {}, b"")
    assert_query_error(
        resp, "MissingAuthenticationToken", 403, message="Request is missing Authentication Token"
    )


def _auth_with(server, params, service, mangle):
    url, headers, body = hg.signed_request(server.endpoint, ROOT, params, service=service)
    headers = dict(headers)
    headers["Authorization"] = mangle(headers["Authorization"])
    return hg.send("POST", url, headers, body)


MALFORMED = {
    "no-signature": lambda a: re.sub(r",\s*Signature=[0-9a-f]+", "", a),
    "no-signed-headers": lambda a: re.sub(r",\s*SignedHeaders=[^,]+", "", a),
    "no-credential": lambda a: re.sub(r"Credential=[^,]+,\s*", "", a),
    "scope-without-terminator": lambda a: a.replace("/aws4_request", ""),
    "scope-too-short": lambda a: re.sub(r"Credential=([A-Z0-9]+)/[^,]+", r"Credential=\1", a),
    "garbage-after-algorithm": lambda a: "AWS4-HMAC-SHA256 garbage",
    "algorithm-only": lambda a: "AWS4-HMAC-SHA256",
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
@pytest.mark.parametrize("service,params", [("iam", LIST_USERS), ("sts", CALLER_ID)])
def test_malformed_authorization_is_incomplete_signature(server, kind, service, params):
    resp = _auth_with(server, params, service, MALFORMED[kind])
    assert_query_error(resp, "IncompleteSignature", 400)


def test_malformed_authorization_on_create_changes_nothing(server):
    name = unique("mal")
    resp = _auth_with(
        server,
        {"Action": "CreateUser", "Version": IAM_VERSION, "UserName": name},
        "iam",
        MALFORMED["no-signature"],
    )
    assert_query_error(resp, "IncompleteSignature", 400)
    expect_error(server.iam().get_user, UserName=name, code="NoSuchEntity", status=404)


# --- action / version routing ----------------------------------------------------------------


@pytest.mark.parametrize(
    "service,params",
    [
        ("iam", {"Action": "FlyToTheMoon", "Version": IAM_VERSION}),
        ("sts", {"Action": "FlyToTheMoon", "Version": STS_VERSION}),
        ("iam", {"Action": "listusers", "Version": IAM_VERSION}),  # case-sensitive
        ("iam", {"Action": "GetCallerIdentity", "Version": IAM_VERSION}),  # an STS op on IAM
        ("sts", {"Action": "ListUsers", "Version": STS_VERSION}),  # an IAM op on STS
    ],
)
def test_unknown_action_is_invalid_action(server, service, params):
    resp = server.query(ROOT, params, service=service)
    e = assert_query_error(resp, "InvalidAction", 400)
    assert params["Action"] in (e.message or ""), e.message


@pytest.mark.parametrize(
    "service,params",
    [
        ("iam", {"Action": "ListUsers", "Version": STS_VERSION}),
        ("sts", {"Action": "GetCallerIdentity", "Version": IAM_VERSION}),
        ("iam", {"Action": "GetCallerIdentity", "Version": STS_VERSION}),
        ("sts", {"Action": "ListUsers", "Version": IAM_VERSION}),
        ("iam", {"Action": "ListUsers", "Version": "2099-01-01"}),
    ],
)
def test_version_mismatch_is_invalid_action(server, service, params):
    resp = server.query(ROOT, params, service=service)
    assert_query_error(resp, "InvalidAction", 400)


def test_missing_action_is_a_400(server):
    resp = server.query(ROOT, {"Version": IAM_VERSION})
    e = hg.parse_error(resp)
    assert e.status == 400, resp.text
    assert e.code in ("InvalidAction", "MissingAction", "MissingParameter"), resp.text


def test_missing_version_is_a_400(server):
    resp = server.query(ROOT, {"Action": "ListUsers"})
    e = hg.parse_error(resp)
    assert e.status == 400, resp.text
    assert e.code in ("InvalidAction", "MissingParameter", "ValidationError"), resp.text


def test_unknown_service_in_scope_is_a_4xx(server):
    resp = server.query(ROOT, LIST_USERS, service="ec2")
    assert 400 <= resp.status_code < 500, resp.text
