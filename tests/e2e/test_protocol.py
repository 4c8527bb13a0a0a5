"""The Query protocol on the wire (spec §1.3–§1.5), checked with raw HTTP and botocore's signer:
envelopes, namespaces, request ids, empty lists, error envelopes, and hostile input."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

import hg
from hg import IAM_NS, IAM_VERSION, ROOT, STS_NS, STS_VERSION, assert_query_error, child, local, path_find, unique

UUIDISH = re.compile(r"^[0-9A-Za-z-]{8,}$")


def iam_call(server, action, **params):
    return server.query(ROOT, {"Action": action, "Version": IAM_VERSION, **params})


def assert_success_envelope(resp, op: str, ns: str, *, result: bool = True):
    assert resp.status_code == 200, resp.text
    assert resp.headers.get("Content-Type", "").startswith("text/xml"), resp.headers
    root = hg.xml_root(resp)
    assert local(root.tag) == f"{op}Response", resp.text
    assert hg.ns_of(root) == ns, resp.text
    rid = path_find(root, "ResponseMetadata", "RequestId")
    assert rid is not None and rid.text, resp.text
    assert UUIDISH.match(rid.text), rid.text
    assert resp.headers.get("x-amzn-RequestId") == rid.text, (resp.headers, rid.text)
    res = child(root, f"{op}Result")
    if result:
        assert res is not None, resp.text
    else:
        # no-output operations: no Result element, or an empty one
        assert res is None or (len(res) == 0 and not (res.text or "").strip()), resp.text
    # every element of the document is in the service namespace
    for el in root.iter():
        assert hg.ns_of(el) == ns, (el.tag, resp.text)
    return root


def test_iam_success_envelope(server):
    name = unique("env")
    resp = iam_call(server, "CreateUser", UserName=name)
    root = assert_success_envelope(resp, "CreateUser", IAM_NS)
    user = path_find(root, "CreateUserResult", "User")
    assert path_find(user, "UserName").text == name
    assert path_find(user, "Path").text == "/"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", path_find(user, "CreateDate").text)


def test_sts_success_envelope(server):
    resp = server.query(ROOT, {"Action": "GetCallerIdentity", "Version": STS_VERSION}, service="sts")
    root = assert_success_envelope(resp, "GetCallerIdentity", STS_NS)
    res = path_find(root, "GetCallerIdentityResult")
    assert {local(c.tag): c.text for c in res} == {
        "Arn": hg.ROOT_ARN,
        "UserId": hg.ACCOUNT_ID,
        "Account": hg.ACCOUNT_ID,
    }


def test_no_output_operation_envelope(server):
    name = unique("del")
    assert iam_call(server, "CreateUser", UserName=name).status_code == 200
    resp = iam_call(server, "DeleteUser", UserName=name)
    assert_success_envelope(resp, "DeleteUser", IAM_NS, result=False)


def test_request_ids_are_unique(server):
    ids = set()
    for _ in range(5):
        resp = iam_call(server, "GetUser")
        assert resp.status_code == 200
        ids.add(resp.headers["x-amzn-RequestId"])
    assert len(ids) == 5


def test_empty_list_is_serialized_as_empty_element(server):
    resp = iam_call(server, "ListUsers", PathPrefix=f"/{unique('none')}/")
    root = assert_success_envelope(resp, "ListUsers", IAM_NS)
    res = child(root, "ListUsersResult")
    users = child(res, "Users")
    assert users is not None, "empty list must still be present as <Users/> or <Users></Users>"
    assert len(users) == 0 and not (users.text or "").strip(), resp.text
    assert path_find(res, "IsTruncated").text == "false"
    assert child(res, "Marker") is None
    assert re.search(rb"<Users\s*/>|<Users>\s*</Users>", resp.content), resp.text


def test_list_members_and_truncation_on_the_wire(server):
    prefix = f"/{unique('wire')}/"
    for _ in range(3):
        assert iam_call(server, "CreateUser", UserName=unique("w"), Path=prefix).status_code == 200
    resp = iam_call(server, "ListUsers", PathPrefix=prefix, MaxItems="2")
    root = assert_success_envelope(resp, "ListUsers", IAM_NS)
    res = child(root, "ListUsersResult")
    members = list(child(res, "Users"))
    assert [local(m.tag) for m in members] == ["member", "member"]
    assert path_find(res, "IsTruncated").text == "true"
    assert path_find(res, "Marker").text


def test_error_envelope_iam(server):
    name = unique("bob")
    resp = iam_call(server, "GetUser", UserName=name)
    e = assert_query_error(resp, "NoSuchEntity", 404, message=f"The user with name {name} cannot be found.")
    assert e.namespace == IAM_NS
    assert e.content_type.startswith("text/xml"), e.content_type
    assert e.request_id and e.request_id == e.header_request_id
    root = hg.xml_root(resp)
    assert [local(c.tag) for c in root] == ["Error", "RequestId"], resp.text
    assert [local(c.tag) for c in child(root, "Error")][:3] == ["Type", "Code", "Message"], resp.text


def test_error_envelope_conflict(server):
    name = unique("dup")
    assert iam_call(server, "CreateUser", UserName=name).status_code == 200
    resp = iam_call(server, "CreateUser", UserName=name)
    e = assert_query_error(resp, "EntityAlreadyExists", 409, message=f"User with name {name} already exists.")
    assert e.namespace == IAM_NS
    assert e.request_id == e.header_request_id


def test_error_envelope_sts(server):
    resp = server.query(
        hg.Creds("AKIA" + "Q" * 16, "x" * 40),
        {"Action": "GetCallerIdentity", "Version": STS_VERSION},
        service="sts",
    )
    e = assert_query_error(resp, "InvalidClientTokenId", 403, match=hg.INVALID_TOKEN_RE)
    assert e.namespace == STS_NS
    assert e.content_type.startswith("text/xml")
    assert e.request_id == e.header_request_id


def test_parameters_in_query_string(server):
    name = unique("qs")
    assert iam_call(server, "CreateUser", UserName=name).status_code == 200
    resp = server.query(
        ROOT, None, method="GET", query={"Action": "GetUser", "Version": IAM_VERSION, "UserName": name}
    )
    root = assert_success_envelope(resp, "GetUser", IAM_NS)
    assert path_find(root, "GetUserResult", "User", "UserName").text == name


def test_body_wins_over_query_string(server):
    a, b = unique("inquery"), unique("inbody")
    resp = server.query(
        ROOT,
        {"Action": "CreateUser", "Version": IAM_VERSION, "UserName": b},
        query={"UserName": a},
    )
    root = assert_success_envelope(resp, "CreateUser", IAM_NS)
    assert path_find(root, "CreateUserResult", "User", "UserName").text == b
    names = hg.all_user_names(server.iam())
    assert b in names and a not in names


def test_form_decoding_plus_and_percent(server):
    name = unique("enc")
    body = (
        f"Action=CreateUser&Version={IAM_VERSION}&UserName={name}"
        "&Tags.member.1.Key=team+name&Tags.member.1.Value=a%2Bb+c%20d%C3%A9"
    ).encode()
    resp = server.query(ROOT, body)
    assert resp.status_code == 200, resp.text
    tags = server.iam().list_user_tags(UserName=name)["Tags"]
    assert tags == [{"Key": "team name", "Value": "a+b c d\u00e9"}]


def test_empty_list_parameter_is_accepted(server):
    # botocore sends an empty list as `Name=` (spec §1.3)
    name = unique("emptytags")
    resp = iam_call(server, "CreateUser", UserName=name, Tags="")
    assert resp.status_code == 200, resp.text
    assert server.iam().list_user_tags(UserName=name)["Tags"] == []


def test_tag_without_value_is_validation_error(server):
    # Tag.Value is a required member of the IAM model (it may be empty, but not absent)
    name = unique("novalue")
    resp = server.query(
        ROOT, f"Action=CreateUser&Version={IAM_VERSION}&UserName={name}&Tags.member.1.Key=k".encode()
    )
    e = assert_query_error(resp, "ValidationError", 400)
    assert "Member must not be null" in (e.message or ""), e.message
    hg.expect_error(server.iam().get_user, UserName=name, code="NoSuchEntity", status=404)


# --- hostile input: 4xx, never 5xx, never a state change -------------------------------------


def assert_4xx_query_error(resp):
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    if resp.content:
        e = hg.parse_error(resp)
        assert e.code, resp.text
        assert e.type == "Sender", resp.text


@pytest.mark.parametrize(
    "body_tpl",
    [
        b"Action=CreateUser&Version=2010-05-08&UserName={name}%ZZ",
        b"Action=CreateUser&Version=2010-05-08&UserName={name}%",
        b"Action=CreateUser&Version=2010-05-08&UserName={name}%FF%FE",
        b"Action=CreateUser&Version=2010-05-08&UserName={name}\xff\xfe",
        b"Action=CreateUser&Version=2010-05-08&UserName={name}&Tags.member.0.Key=k&Tags.member.0.Value=v",
        b"Action=CreateUser&Version=2010-05-08&UserName={name}&Tags.member.1.Key=k&Tags.member.3.Key=j",
        b"Action=CreateUser&Version=2010-05-08&UserName={name}&Tags.member.x.Key=k",
        b"Action=CreateUser&Version=2010-05-08&UserName={name}&Tags.member.99999999999999999999.Key=k",
        b"\x00\x01\x02Action=CreateUser{name}",
        b'{{"Action":"CreateUser","Version":"2010-05-08","UserName":"{name}"}}',
    ],
    ids=[
        "bad-percent",
        "truncated-percent",
        "percent-invalid-utf8",
        "raw-invalid-utf8",
        "list-index-zero",
        "list-not-dense",
        "list-index-not-a-number",
        "list-index-overflow",
        "binary-garbage",
        "json-body",
    ],
)
def test_malformed_body_is_a_4xx_and_changes_nothing(server, body_tpl):
    name = unique("mal")
    body = body_tpl.replace(b"{name}", name.encode()).replace(b"{{", b"{").replace(b"}}", b"}")
    resp = server.query(ROOT, body)
    assert_4xx_query_error(resp)
    created = {n for n in hg.all_user_names(server.iam()) if name in n}
    assert created == set(), created


def test_unknown_parameter_is_a_4xx_and_changes_nothing(server):
    name = unique("unk")
    resp = iam_call(server, "CreateUser", UserName=name, Bogus="1")
    assert_4xx_query_error(resp)
    hg.expect_error(server.iam().get_user, UserName=name, code="NoSuchEntity", status=404)


def test_oversized_body_is_a_4xx_and_changes_nothing(server):
    name = unique("big")
    body = hg.form(
        {"Action": "CreateUser", "Version": IAM_VERSION, "UserName": name, "Path": "/" + "a" * (2 * 1024 * 1024) + "/"}
    )
    assert len(body) > 2 * 1024 * 1024
    resp = server.query(ROOT, body)
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text[:500])
    hg.expect_error(server.iam().get_user, UserName=name, code="NoSuchEntity", status=404)
    # and the server is still fine
    assert server.sts().get_caller_identity()["Arn"] == hg.ROOT_ARN


def test_oversized_unsigned_body_is_a_4xx(server):
    body = b"Action=ListUsers&Version=2010-05-08&Pad=" + b"x" * (2 * 1024 * 1024)
    resp = requests.post(
        server.endpoint + "/", data=body, headers={"Content-Type": hg.FORM_CT}, timeout=30
    )
    assert 400 <= resp.status_code < 500, resp.status_code


def test_lying_content_length_is_not_a_5xx(server):
    import socket

    host, port = "127.0.0.1", server.port
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(
            b"POST / HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 99999999999999999999\r\n\r\nAction=ListUsers" % (host.encode(), port)
        )
        s.settimeout(10)
        data = b""
        try:
            while chunk := s.recv(4096):
                data += chunk
                if b"\r\n\r\n" in data:
                    break
        except (TimeoutError, ConnectionResetError):
            pass
    if data:
        status = int(data.split(b" ", 2)[1])
        assert 400 <= status < 500, data[:200]
    assert server.sts().get_caller_identity()["Arn"] == hg.ROOT_ARN


def test_non_post_methods_do_not_5xx(server):
    for method in ("PUT", "DELETE", "PATCH"):
        resp = server.query(ROOT, {"Action": "ListUsers", "Version": IAM_VERSION}, method=method)
        assert resp.status_code < 500, (method, resp.status_code, resp.text)


def test_concurrent_requests(server):
    prefix = f"/{unique('conc')}/"

    def make(i):
        return iam_call(server, "CreateUser", UserName=f"c{i}-{uuid.uuid4().hex[:8]}", Path=prefix).status_code

    with ThreadPoolExecutor(16) as ex:
        codes = list(ex.map(make, range(40)))
    assert codes == [200] * 40
    assert len(hg.all_user_names(server.iam(), prefix)) == 40


# --- reserved /_hourglass/ prefix ------------------------------------------------------------


def test_health(server):
    resp = server.get("/_hourglass/health")
    assert resp.status_code == 200, resp.text


def test_metrics_are_prometheus_text(server):
    server.sts().get_caller_identity()
    resp = server.get("/_hourglass/metrics")
    assert resp.status_code == 200, resp.text
    assert resp.headers.get("Content-Type", "").startswith("text/plain"), resp.headers
    lines = [l for l in resp.text.splitlines() if l.strip()]
    samples = [l for l in lines if not l.startswith("#")]
    assert samples, resp.text
    sample_re = re.compile(
        r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? '
        r"(-?[0-9.]+([eE][-+]?[0-9]+)?|[+-]Inf|NaN)( -?[0-9]+)?$"
    )
    for l in lines:
        if l.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* ", l) or l.startswith("# "), l
        else:
            assert sample_re.match(l), l


def _samples(text: str) -> dict[str, float]:
    out = {}
    for l in text.splitlines():
        if l and not l.startswith("#"):
            key, _, value = l.rpartition(" ")
            out[key] = float(value)
    return out


def test_metrics_count_requests(server):
    before = _samples(server.get("/_hourglass/metrics").text)
    for _ in range(3):
        server.sts().get_caller_identity()
    after = _samples(server.get("/_hourglass/metrics").text)
    counters = [k for k in after if k.split("{")[0].endswith("_total")]
    assert counters, after
    for k in counters:
        assert after[k] >= before.get(k, 0), f"counter {k} went down"
    assert any(after[k] - before.get(k, 0) >= 3 for k in counters), (before, after)


def test_unknown_reserved_path_is_404(server):
    resp = server.get("/_hourglass/nope")
    assert resp.status_code == 404, resp.status_code
