"""IAM OIDC providers and AssumeRoleWithWebIdentity end to end, against a real local HTTPS
issuer (test CA trusted through SSL_CERT_FILE, RS256 and ES256 keys, key rotation), with
boto3 and the aws CLI as clients, including their own web-identity credential providers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import hg
from hg import ACCOUNT_ID, Creds, expect_error, unique
from oidc_idp import Issuer, SigningKey, LocalCA

ASIA_RE = re.compile(r"^ASIA[A-Z2-7]{16}$")
NO_KEY = (
    "Couldn't retrieve verification key from your identity provider,  please reference "
    "AssumeRoleWithWebIdentity documentation for requirements"
)


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return LocalCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def idp(ca):
    issuer = Issuer(ca)
    yield issuer
    issuer.stop()


@pytest.fixture(scope="module")
def srv(tmp_path_factory, request, ca):
    base = tmp_path_factory.mktemp("hg-oidc")
    s = hg.HourglassServer(
        base / "data", log_dir=base / "logs", extra_env={"SSL_CERT_FILE": str(ca.ca_path)}
    )
    request.node._hg_servers = [s]
    s.start()
    yield s
    s.close()


@pytest.fixture(scope="module")
def provider(srv, idp):
    arn = srv.iam().create_open_id_connect_provider(
        Url=idp.url, ClientIDList=["sts.amazonaws.com"]
    )["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{idp.host}"
    return arn


def web_role(srv, idp, provider, *, sub="repo:octo/app:*", extra_actions=(), perms=None, **kw):
    name = unique("wi")
    trust = doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider},
            "Action": ["sts:AssumeRoleWithWebIdentity", *extra_actions],
            "Condition": {
                "StringEquals": {f"{idp.host}:aud": "sts.amazonaws.com"},
                "StringLike": {f"{idp.host}:sub": sub},
            },
        }
    )
    iam = srv.iam()
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, **kw)["Role"]
    if perms:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=doc(*perms))
    return role


def assume(srv, role_arn, token, **kw):
    # No credentials at all: the call must work unsigned.
    sts = hg.client("sts", srv.endpoint, Creds("", ""))
    return sts.assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName=kw.pop("name", "ci-run-42"), WebIdentityToken=token, **kw
    )


def creds_of(resp) -> Creds:
    c = resp["Credentials"]
    return Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


# -- IAM OIDC providers ---------------------------------------------------------------------


def test_provider_operations(srv):
    iam = srv.iam()
    url = f"https://{unique('idp')}.example.com/tenant/"
    host = url[len("https://"):]
    thumb = "6938FD4D98BAB03FAADB97B34396831E3780AEA1"
    resp = iam.create_open_id_connect_provider(
        Url=url, ClientIDList=["a", "b", "a"], ThumbprintList=[thumb],
        Tags=[{"Key": "team", "Value": "ci"}],
    )
    arn = resp["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{host}"
    assert resp["Tags"] == [{"Key": "team", "Value": "ci"}]
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == host
    assert got["ClientIDList"] == ["a", "b"]
    assert got["ThumbprintList"] == [thumb.lower()]
    assert got["Tags"] == [{"Key": "team", "Value": "ci"}]
    assert got["CreateDate"]
    listed = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert arn in listed

    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="c")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="c")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="a")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="zz")
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == ["b", "c"]
    # An empty list travels as `ThumbprintList=` and clears the list.
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=[])
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == []

    iam.tag_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, Tags=[{"Key": "env", "Value": "prod"}]
    )
    tags = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"]
    assert tags == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "ci"}]
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["team"])
    tags = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"]
    assert tags == [{"Key": "env", "Value": "prod"}]

    expect_error(
        iam.create_open_id_connect_provider, Url=url, ClientIDList=["x"],
        code="EntityAlreadyExists", status=409,
        message=f"Provider with url {url} already exists.",
    )
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    missing = f"OpenIDConnect Provider not found for arn {arn}"
    expect_error(
        iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn,
        code="NoSuchEntity", status=404, message=missing,
    )
    expect_error(
        iam.delete_open_id_connect_provider, OpenIDConnectProviderArn=arn,
        code="NoSuchEntity", status=404, message=missing,
    )
    expect_error(
        iam.add_client_id_to_open_id_connect_provider, OpenIDConnectProviderArn=arn,
        ClientID="x", code="NoSuchEntity", status=404,
    )


@pytest.mark.parametrize(
    "url", ["http://idp.example.com", "idp.example.com", "https://", "https://a.example?x=1",
            "https://a.example#frag"],
)
def test_provider_url_rules(srv, url):
    expect_error(
        srv.iam().create_open_id_connect_provider, Url=url, ClientIDList=["x"],
        code="InvalidInput", status=400,
    )


def test_provider_bad_input(srv):
    iam = srv.iam(validate=False)
    url = f"https://{unique('idp')}.example.com"
    expect_error(
        iam.create_open_id_connect_provider, Url=url, ThumbprintList=["abc"],
        code="ValidationError", status=400,
    )
    expect_error(
        iam.create_open_id_connect_provider, Url=url, ThumbprintList=["a" * 40] * 6,
        code="ValidationError", status=400,
    )
    expect_error(
        iam.create_open_id_connect_provider, Url=url,
        Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)],
        code="LimitExceeded", status=409,
    )
    # Nothing was created by the refused calls.
    arns = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert not any(url[8:] in a for a in arns)


def test_provider_operations_need_permission(srv):
    iam = srv.iam()
    _, creds, _ = hg.create_user_with_key(iam)
    expect_error(
        srv.iam(creds).create_open_id_connect_provider,
        Url=f"https://{unique('idp')}.example.com", ClientIDList=["x"],
        code="AccessDenied", status=403,
    )
    expect_error(
        srv.iam(creds).list_open_id_connect_providers, code="AccessDenied", status=403
    )


def test_cli_creates_and_reads_provider(srv):
    url = f"https://{unique('cli')}.example.com"
    arn = srv.cli(
        ["iam", "create-open-id-connect-provider", "--url", url, "--client-id-list", "sts.amazonaws.com"]
    ).ok()["OpenIDConnectProviderArn"]
    got = srv.cli(["iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn]).ok()
    assert got["Url"] == url[8:] and got["ClientIDList"] == ["sts.amazonaws.com"]


# -- AssumeRoleWithWebIdentity ---------------------------------------------------------------


@pytest.mark.parametrize("kid", ["rsa-1", "ec-1"])
def test_web_identity_happy_path(srv, idp, provider, kid):
    role = web_role(srv, idp, provider, perms=[
        {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
         "Condition": {"StringEquals": {"aws:FederatedProvider": provider,
                                         f"{idp.host}:sub": "repo:octo/app:ref:refs/heads/main"}}},
    ])
    token = idp.token(kid)
    resp = assume(srv, role["Arn"], token + "\n", DurationSeconds=3600)
    c = resp["Credentials"]
    assert ASIA_RE.match(c["AccessKeyId"])
    assert resp["SubjectFromWebIdentityToken"] == "repo:octo/app:ref:refs/heads/main"
    assert resp["Audience"] == "sts.amazonaws.com"
    assert resp["Provider"] == provider
    assert resp["PackedPolicySize"] == 0
    assert "SourceIdentity" not in resp
    session_arn = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role['RoleName']}/ci-run-42"
    assert resp["AssumedRoleUser"]["Arn"] == session_arn
    assert resp["AssumedRoleUser"]["AssumedRoleId"] == f"{role['RoleId']}:ci-run-42"
    creds = creds_of(resp)
    assert srv.sts(creds).get_caller_identity()["Arn"] == session_arn
    # The provider's keys stay in the session's request context.
    srv.iam(creds).get_role(RoleName=role["RoleName"])
    expect_error(srv.iam(creds).list_roles, code="AccessDenied", status=403)


def test_web_identity_session_is_audited_with_its_provider(srv, idp, provider):
    role = web_role(srv, idp, provider)
    creds = creds_of(assume(srv, role["Arn"], idp.token()))
    srv.sts(creds).get_caller_identity()
    ct = hg.client("cloudtrail", srv.endpoint, srv.root)
    events = ct.lookup_events(
        LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": creds.access_key_id}]
    )["Events"]
    records = [json.loads(e["CloudTrailEvent"]) for e in events]
    calls = [r for r in records if r["eventName"] == "GetCallerIdentity"]
    assert calls, records
    ctx = calls[0]["userIdentity"]["sessionContext"]
    assert ctx["webIdFederationData"]["federatedProvider"] == provider
    assert ctx["sessionIssuer"]["arn"] == role["Arn"]


def test_web_identity_signed_call_works_too(srv, idp, provider):
    role = web_role(srv, idp, provider)
    resp = srv.query(
        hg.ROOT,
        {"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", "RoleArn": role["Arn"],
         "RoleSessionName": "signed", "WebIdentityToken": idp.token()},
        service="sts",
    )
    assert resp.status_code == 200, resp.text
    assert "<SubjectFromWebIdentityToken>repo:octo/app:ref:refs/heads/main<" in resp.text


def test_web_identity_session_policy_and_duration(srv, idp, provider):
    role = web_role(srv, idp, provider, perms=[
        {"Effect": "Allow", "Action": ["iam:GetRole", "iam:ListRoles"], "Resource": "*"}])
    policy = doc({"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"})
    resp = assume(srv, role["Arn"], idp.token(), Policy=policy, DurationSeconds=900)
    assert resp["PackedPolicySize"] > 0
    creds = creds_of(resp)
    srv.iam(creds).get_role(RoleName=role["RoleName"])
    expect_error(srv.iam(creds).list_roles, code="AccessDenied", status=403)
    expect_error(
        assume, srv, role["Arn"], idp.token(), DurationSeconds=7200,
        code="ValidationError", status=400,
        message="The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )
    expect_error(
        assume, srv, role["Arn"], idp.token(), Policy="{not json",
        code="MalformedPolicyDocument", status=400,
    )


def test_web_identity_session_tags_and_source_identity(srv, idp, provider):
    tags_claim = {"principal_tags": {"Project": ["Automation"]}, "transitive_tag_keys": ["Project"]}
    token = idp.token(**{"https://aws.amazon.com/tags": tags_claim,
                         "https://aws.amazon.com/source_identity": "alice"})
    plain = web_role(srv, idp, provider)
    expect_error(
        assume, srv, plain["Arn"], token, code="AccessDenied", status=403,
        message="Not authorized to perform sts:AssumeRoleWithWebIdentity",
    )
    role = web_role(
        srv, idp, provider, extra_actions=("sts:TagSession", "sts:SetSourceIdentity"),
        perms=[{"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/Project": "Automation"}}}],
    )
    resp = assume(srv, role["Arn"], token)
    assert resp["SourceIdentity"] == "alice"
    assert resp["PackedPolicySize"] > 0
    srv.iam(creds_of(resp)).get_role(RoleName=role["RoleName"])


def test_web_identity_refusals(srv, idp, provider):
    role = web_role(srv, idp, provider, sub="repo:octo/app:ref:refs/heads/main")
    arn = role["Arn"]
    now = int(time.time())
    denied = "Not authorized to perform sts:AssumeRoleWithWebIdentity"
    # Wrong subject: the trust policy's condition fails.
    expect_error(assume, srv, arn, idp.token(sub="repo:evil/app:ref:refs/heads/main"),
                 code="AccessDenied", status=403, message=denied)
    # Unknown role, or a role of another account: same answer, nothing revealed.
    expect_error(assume, srv, f"arn:aws:iam::{ACCOUNT_ID}:role/{unique('none')}", idp.token(),
                 code="AccessDenied", status=403, message=denied)
    # Wrong audience.
    expect_error(assume, srv, arn, idp.token(aud="someone-else"),
                 code="InvalidIdentityToken", status=400, message="Incorrect token audience")
    # Expired (beyond the five-minute skew), not yet valid, no exp.
    expect_error(assume, srv, arn, idp.token(exp=now - 400, iat=now - 1000, nbf=now - 1000),
                 code="ExpiredTokenException", status=400,
                 match=r"^Token expired: current date/time \d+ must be before the expiration date/time \d+$")
    expect_error(assume, srv, arn, idp.token(nbf=now + 3600, exp=now + 7200),
                 code="InvalidIdentityToken", status=400)
    expect_error(assume, srv, arn, idp.token(exp=None), code="InvalidIdentityToken", status=400)
    # alg none, a key the issuer never published (same kid), garbage.
    expect_error(assume, srv, arn, idp.unsigned_token(), code="InvalidIdentityToken", status=400)
    forger = SigningKey("rsa-1", "RS256")
    expect_error(assume, srv, arn, idp.token(key=forger), code="InvalidIdentityToken", status=400,
                 message="The token signature is invalid")
    hs = idp.token(header={"alg": "HS256"})
    expect_error(assume, srv, arn, hs, code="InvalidIdentityToken", status=400)
    for garbage in ["not-a-jwt", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30.AAAA"]:
        expect_error(assume, srv, arn, garbage, code="InvalidIdentityToken", status=400)
    # A kid the issuer does not publish.
    expect_error(assume, srv, arn, idp.token(key=forger, header={"kid": "nope"}),
                 code="InvalidIdentityToken", status=400, message=NO_KEY)


def test_issuer_without_provider(srv, ca):
    other = Issuer(ca)
    try:
        role = srv.iam().create_role(
            RoleName=unique("np"),
            AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"Federated": "x"},
                                          "Action": "sts:AssumeRoleWithWebIdentity"}),
        )["Role"]
        expect_error(
            assume, srv, role["Arn"], other.token(), code="InvalidIdentityToken", status=400,
            message=f"No OpenIDConnect provider found in your account for {other.url}",
        )
        assert other.requests == [], "an unregistered issuer must not be contacted"
    finally:
        other.stop()


def test_issuer_down_never_allows(srv, ca):
    down = Issuer(ca)
    iam = srv.iam()
    arn = iam.create_open_id_connect_provider(Url=down.url, ClientIDList=["sts.amazonaws.com"])[
        "OpenIDConnectProviderArn"
    ]
    role = web_role(srv, down, arn)
    token = down.token()
    down.stop()
    expect_error(assume, srv, role["Arn"], token, code="IDPCommunicationError", status=400)


def test_key_rotation_refetches_on_unknown_kid(srv, ca):
    rot = Issuer(ca)
    try:
        arn = srv.iam().create_open_id_connect_provider(
            Url=rot.url, ClientIDList=["sts.amazonaws.com"]
        )["OpenIDConnectProviderArn"]
        role = web_role(srv, rot, arn)
        assume(srv, role["Arn"], rot.token("rsa-1"))
        fetched = rot.requests.count("/jwks")
        assume(srv, role["Arn"], rot.token("rsa-1"))
        assert rot.requests.count("/jwks") == fetched, "keys are cached"
        rot.keys = [SigningKey("rsa-2", "RS256")]
        assume(srv, role["Arn"], rot.token("rsa-2"))
        assert rot.requests.count("/jwks") == fetched + 1
    finally:
        rot.stop()


def test_bad_parameters(srv, idp, provider):
    role = web_role(srv, idp, provider)
    sts = hg.client("sts", srv.endpoint, Creds("", ""), validate=False)
    expect_error(
        sts.assume_role_with_web_identity, RoleArn=role["Arn"], RoleSessionName="a b",
        WebIdentityToken=idp.token(), code="ValidationError", status=400,
    )
    expect_error(
        sts.assume_role_with_web_identity, RoleArn=role["Arn"], RoleSessionName="ok",
        WebIdentityToken="x" * 20001, code="ValidationError", status=400,
    )
    expect_error(
        sts.assume_role_with_web_identity, RoleArn=role["Arn"], RoleSessionName="ok",
        WebIdentityToken=idp.token(), DurationSeconds=100, code="ValidationError", status=400,
    )


# -- the SDKs' own web-identity flow ---------------------------------------------------------


def sdk_env(srv, role_arn, token_file, home):
    env = hg.clean_env()
    env.update({
        "AWS_ROLE_ARN": role_arn,
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file),
        "AWS_ROLE_SESSION_NAME": "sdk-flow",
        "AWS_ENDPOINT_URL": srv.endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "HOME": str(home),
    })
    return env


def test_boto3_and_cli_default_chain(srv, idp, provider, tmp_path):
    role = web_role(srv, idp, provider)
    token_file = tmp_path / "token.jwt"
    token_file.write_text(idp.token("ec-1") + "\n")
    env = sdk_env(srv, role["Arn"], token_file, tmp_path)
    expected = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role['RoleName']}/sdk-flow"
    prog = textwrap.dedent("""
        import boto3
        print(boto3.client("sts").get_caller_identity()["Arn"])
    """)
    p = subprocess.run([sys.executable, "-c", prog], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == expected
    p = subprocess.run([sys.executable, "-m", "awscli", "sts", "get-caller-identity",
                        "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["Arn"] == expected


def rust_sdk_program() -> Path | None:
    """`crates/hourglass/examples/sdk_web_identity.rs`, built by `cargo build --workspace
    --all-targets` (scripts/test) next to the server binary."""
    bin_dir = Path(os.environ.get("HOURGLASS_BIN", "target/debug/hourglass")).resolve().parent
    exe = bin_dir / "examples" / "sdk_web_identity"
    return exe if exe.is_file() else None


def test_rust_sdk_default_chain(srv, idp, provider, tmp_path):
    exe = rust_sdk_program()
    if exe is None:
        pytest.skip("examples/sdk_web_identity is not built (cargo build -p hourglass --examples)")
    role = web_role(srv, idp, provider, perms=[
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"},
    ])
    token_file = tmp_path / "token.jwt"
    # The Rust SDK reads the file verbatim too, trailing newline included.
    token_file.write_text(idp.token("rsa-1") + "\n")
    env = sdk_env(srv, role["Arn"], token_file, tmp_path)
    env["AWS_REGION"] = "us-east-1"
    p = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role['RoleName']}/sdk-flow"
    assert isinstance(out["Roles"], int) and out["Roles"] >= 1
    # Without AWS_ROLE_SESSION_NAME the SDK names the session itself.
    del env["AWS_ROLE_SESSION_NAME"]
    p = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    arn = json.loads(p.stdout)["Arn"]
    assert re.match(
        rf"^arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role['RoleName']}/web-identity-token-\d+$", arn
    ), arn
    # A token the issuer did not sign: the SDK surfaces Hourglass's refusal.
    token_file.write_text(idp.token("rsa-1")[:-4] + "AAAA\n")
    p = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode != 0
    assert "InvalidIdentityToken" in p.stderr, p.stderr
