"""IAM SAML providers and AssumeRoleWithSAML end to end: a local IdP (tests/e2e/saml_idp.py:
RSA key, self-signed certificate, responses signed with signxml) against the real server,
with boto3 and the aws CLI; forged, tampered, expired, misdirected and wrapped responses
are each refused with AWS's error."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re

import pytest
from lxml import etree

import hg
from hg import ACCOUNT_ID, Creds, expect_error, unique
from saml_idp import ATTR, AWS_SAML, SAML, SAMLP, Idp, SigningKey, encode, xml

ASIA_RE = re.compile(r"^ASIA[A-Z2-7]{16}$")
SIG_INVALID = "Response signature invalid"


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def srv(tmp_path_factory, request):
    base = tmp_path_factory.mktemp("hg-saml")
    s = hg.HourglassServer(base / "data", log_dir=base / "logs")
    request.node._hg_servers = [s]
    s.start()
    yield s
    s.close()


@pytest.fixture(scope="module")
def idp():
    return Idp()


@pytest.fixture(scope="module")
def provider(srv, idp):
    name = unique("corp")
    arn = srv.iam().create_saml_provider(SAMLMetadataDocument=idp.metadata(), Name=name)[
        "SAMLProviderArn"
    ]
    assert arn == f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/{name}"
    return arn


def saml_role(srv, provider, *, extra_actions=(), condition=None, perms=None, **kw):
    name = unique("saml")
    trust = doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider},
            "Action": ["sts:AssumeRoleWithSAML", *extra_actions],
            "Condition": condition
            or {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
        }
    )
    iam = srv.iam()
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, **kw)["Role"]
    if perms:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=doc(*perms))
    return role


def pair(role, provider) -> str:
    return f"{role['Arn']},{provider}"


def assume(srv, role_arn, provider, assertion, **kw):
    # No credentials at all: the call must work unsigned.
    sts = hg.client("sts", srv.endpoint, Creds("", ""))
    return sts.assume_role_with_saml(
        RoleArn=role_arn, PrincipalArn=provider, SAMLAssertion=assertion, **kw
    )


def creds_of(resp) -> Creds:
    c = resp["Credentials"]
    return Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def refused(srv, role, provider, assertion, code="InvalidIdentityToken", status=400, **kw):
    return expect_error(assume, srv, role["Arn"], provider, assertion, code=code, status=status, **kw)


# -- IAM SAML providers ---------------------------------------------------------------------


def test_provider_operations(srv, idp):
    iam = srv.iam()
    name = unique("okta")
    resp = iam.create_saml_provider(
        SAMLMetadataDocument=idp.metadata(), Name=name, Tags=[{"Key": "team", "Value": "id"}]
    )
    arn = resp["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/{name}"
    assert resp["Tags"] == [{"Key": "team", "Value": "id"}]
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == idp.metadata()
    assert re.match(r"^[0-9a-f-]{36}$", got["SAMLProviderUUID"])
    # No validUntil in the document: 100 years on, as AWS shows.
    assert got["ValidUntil"].year - got["CreateDate"].year in (99, 100)
    assert got["Tags"] == [{"Key": "team", "Value": "id"}]
    listed = {p["Arn"]: p for p in iam.list_saml_providers()["SAMLProviderList"]}
    assert arn in listed and listed[arn]["ValidUntil"] and listed[arn]["CreateDate"]

    # Update: a new document (a second key, a validUntil) replaces the old one.
    other = SigningKey()
    new_doc = idp.metadata(keys=[idp.key, other], valid_until="2031-01-02T03:04:05Z")
    assert iam.update_saml_provider(SAMLMetadataDocument=new_doc, SAMLProviderArn=arn)[
        "SAMLProviderArn"
    ] == arn
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == new_doc
    assert got["ValidUntil"] == dt.datetime(2031, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)

    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    tags = iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"]
    assert tags == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "id"}]
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["team"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [
        {"Key": "env", "Value": "prod"}
    ]

    expect_error(
        iam.create_saml_provider, SAMLMetadataDocument=idp.metadata(), Name=name,
        code="EntityAlreadyExists", status=409,
    )
    iam.delete_saml_provider(SAMLProviderArn=arn)
    for op in (iam.get_saml_provider, iam.delete_saml_provider):
        expect_error(
            op, SAMLProviderArn=arn, code="NoSuchEntity", status=404,
            message=f"Manifest not found for arn {arn}",
        )
    assert arn not in [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]]


def test_provider_input_rules(srv, idp):
    iam = srv.iam()
    # Malformed metadata: not XML, no IdP descriptor, no signing certificate, a bad one.
    good = idp.metadata()
    pad = "<!--" + "x" * 1000 + "-->"
    bad_docs = [
        "x" * 1200,
        good.replace("md:IDPSSODescriptor", "md:SPSSODescriptor"),
        good.replace('use="signing"', 'use="encryption"'),
        good.replace(idp.key.cert_b64, "bm90IGEgY2VydGlmaWNhdGU=" + pad),
        good.replace(f'entityID="{idp.entity_id}"', ""),
        pad + '<!DOCTYPE x [<!ENTITY e "y">]>' + good.split("?>", 1)[1],
    ]
    for bad in bad_docs:
        expect_error(
            iam.create_saml_provider, SAMLMetadataDocument=bad, Name=unique("bad"),
            code="InvalidInput", status=400, message="Could not parse metadata",
        )
    short = hg.client("iam", srv.endpoint, srv.root, validate=False)
    expect_error(
        short.create_saml_provider, SAMLMetadataDocument="<x/>" * 10, Name=unique("short"),
        code="ValidationError", status=400, match="greater than or equal to 1000",
    )
    for name in ["has space", "a/b", "x" * 129]:
        expect_error(
            short.create_saml_provider, SAMLMetadataDocument=good, Name=name,
            code="ValidationError", status=400,
        )
    # AWS needs RSA keys of at least 1024 bits: 1024 is accepted.
    weak = SigningKey(bits=1024)
    ok_1024 = iam.create_saml_provider(
        SAMLMetadataDocument=idp.metadata(keys=[weak]), Name=unique("k1024")
    )["SAMLProviderArn"]
    iam.delete_saml_provider(SAMLProviderArn=ok_1024)
    # Encrypted assertions (provider private keys) are refused, not half-supported.
    expect_error(
        iam.create_saml_provider, SAMLMetadataDocument=good, Name=unique("enc"),
        AssertionEncryptionMode="Required", code="InvalidInput", status=400,
    )


def test_provider_operations_are_authorized(srv, idp, provider):
    iam = srv.iam()
    user = unique("nobody")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    creds = Creds(key["AccessKeyId"], key["SecretAccessKey"])
    limited = srv.iam(creds)
    expect_error(limited.list_saml_providers, code="AccessDenied", status=403)
    expect_error(limited.get_saml_provider, SAMLProviderArn=provider, code="AccessDenied", status=403)
    expect_error(
        limited.create_saml_provider, SAMLMetadataDocument=idp.metadata(), Name=unique("x"),
        code="AccessDenied", status=403,
    )
    iam.put_user_policy(
        UserName=user, PolicyName="read",
        PolicyDocument=doc({"Effect": "Allow", "Action": "iam:GetSAMLProvider", "Resource": provider}),
    )
    assert limited.get_saml_provider(SAMLProviderArn=provider)["SAMLMetadataDocument"]


def test_cli_creates_and_reads_provider(srv, idp, tmp_path):
    path = tmp_path / "metadata.xml"
    path.write_text(idp.metadata())
    name = unique("cli")
    arn = srv.cli(
        ["iam", "create-saml-provider", "--name", name, "--saml-metadata-document", f"file://{path}"]
    ).ok()["SAMLProviderArn"]
    got = srv.cli(["iam", "get-saml-provider", "--saml-provider-arn", arn]).ok()
    assert got["SAMLMetadataDocument"] == idp.metadata()
    srv.cli(["iam", "delete-saml-provider", "--saml-provider-arn", arn]).ok()


# -- AssumeRoleWithSAML: the happy paths ----------------------------------------------------


def test_saml_happy_path(srv, idp, provider):
    role = saml_role(srv, provider, perms=[
        {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
         "Condition": {"StringEquals": {"saml:sub": "alice@example.com"}}},
    ])
    a = idp.assertion(roles=[pair(role, provider)])
    resp = assume(srv, role["Arn"], provider, encode(idp.response(a)), DurationSeconds=1800)
    c = resp["Credentials"]
    assert ASIA_RE.match(c["AccessKeyId"])
    left = c["Expiration"] - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(minutes=28) < left <= dt.timedelta(minutes=30, seconds=5)
    session_arn = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role['RoleName']}/alice"
    assert resp["AssumedRoleUser"] == {"Arn": session_arn, "AssumedRoleId": f"{role['RoleId']}:alice"}
    assert resp["Subject"] == "alice@example.com"
    assert resp["SubjectType"] == "persistent"
    assert resp["Issuer"] == idp.entity_id
    assert resp["Audience"] == AWS_SAML
    assert re.match(r"^[A-Za-z0-9+/]{27}=$", resp["NameQualifier"])
    assert resp["PackedPolicySize"] == 0
    assert "SourceIdentity" not in resp
    creds = creds_of(resp)
    assert srv.sts(creds).get_caller_identity()["Arn"] == session_arn
    # The saml: keys stay in the session's request context.
    srv.iam(creds).get_role(RoleName=role["RoleName"])
    # The audit records the caller as a SAMLUser.
    ct = hg.client("cloudtrail", srv.endpoint, srv.root)
    events = ct.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRoleWithSAML"}]
    )["Events"]
    records = [json.loads(e["CloudTrailEvent"]) for e in events]
    mine = [r for r in records if r.get("responseElements", {}).get("credentials", {}).get("accessKeyId") == c["AccessKeyId"]]
    assert mine, records
    who = mine[0]["userIdentity"]
    assert who["type"] == "SAMLUser"
    assert who["userName"] == "alice@example.com"
    assert who["principalId"] == f"{resp['NameQualifier']}:alice@example.com"
    assert who["identityProvider"] == resp["NameQualifier"]
    # The assertion itself (a bearer credential) is never recorded.
    assert "PHNhbWxw" not in json.dumps(mine[0])


@pytest.mark.parametrize("where", ["response", "both"])
def test_response_level_signatures(srv, idp, provider, where):
    role = saml_role(srv, provider)
    a = idp.assertion(roles=[f"{provider},{role['Arn']}"])  # the pair in either order
    r = idp.response(a, sign_assertion=(where == "both"), sign_response=True)
    resp = assume(srv, role["Arn"], provider, encode(r))
    assert resp["AssumedRoleUser"]["Arn"].endswith("/alice")


def test_signed_call_and_cli(srv, idp, provider):
    role = saml_role(srv, provider)
    a = encode(idp.response(idp.assertion(roles=[pair(role, provider)], session_name="bob")))
    # Signed by an IAM user without any permission: accepted all the same.
    resp = srv.sts().assume_role_with_saml(RoleArn=role["Arn"], PrincipalArn=provider, SAMLAssertion=a)
    assert resp["AssumedRoleUser"]["Arn"].endswith("/bob")
    a2 = encode(idp.response(idp.assertion(roles=[pair(role, provider)], session_name="carol")))
    out = srv.cli(
        ["sts", "assume-role-with-saml", "--role-arn", role["Arn"], "--principal-arn", provider,
         "--saml-assertion", a2],
        creds=None, extra_env={},
    ).ok()
    assert out["AssumedRoleUser"]["Arn"].endswith("/carol")
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_trust_policy_conditions_and_tags(srv, idp, provider):
    role = saml_role(
        srv, provider, extra_actions=["sts:TagSession", "sts:SetSourceIdentity"],
        condition={
            "StringEquals": {"saml:aud": AWS_SAML, "saml:edupersonorgdn": "o=Example",
                             "saml:doc": f"{ACCOUNT_ID}/{provider.split('/')[-1]}"},
            "StringLike": {"saml:sub": "*@example.com"},
        },
        perms=[{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/Team": "blue"}}}],
    )
    attrs = {
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.3": ["o=Example"],
        f"{ATTR}PrincipalTag:Team": ["blue"],
        f"{ATTR}SourceIdentity": ["alice"],
    }
    resp = assume(srv, role["Arn"], provider,
                  encode(idp.response(idp.assertion(roles=[pair(role, provider)], attributes=attrs))))
    assert resp["SourceIdentity"] == "alice"
    srv.iam(creds_of(resp)).list_roles()
    # A subject the trust policy does not match is denied.
    other = idp.assertion(roles=[pair(role, provider)], subject="mallory@evil.com", attributes=attrs)
    refused(srv, role, provider, encode(idp.response(other)), code="AccessDenied", status=403,
            message="Not authorized to perform sts:AssumeRoleWithSAML")
    # Tags without sts:TagSession in the trust policy are denied.
    plain = saml_role(srv, provider)
    tagged = idp.assertion(roles=[pair(plain, provider)], attributes={f"{ATTR}PrincipalTag:Team": ["blue"]})
    refused(srv, plain, provider, encode(idp.response(tagged)), code="AccessDenied", status=403)


def test_session_duration_rules(srv, idp, provider):
    role = saml_role(srv, provider)
    now = dt.datetime.now(dt.timezone.utc)
    a = idp.assertion(roles=[pair(role, provider)],
                      session_not_on_or_after=now + dt.timedelta(minutes=20))
    exp = assume(srv, role["Arn"], provider, encode(idp.response(a)))["Credentials"]["Expiration"]
    assert exp <= now + dt.timedelta(minutes=20, seconds=2)
    a = idp.assertion(roles=[pair(role, provider)], attributes={f"{ATTR}SessionDuration": ["1200"]})
    exp = assume(srv, role["Arn"], provider, encode(idp.response(a)))["Credentials"]["Expiration"]
    assert abs((exp - now) - dt.timedelta(seconds=1200)) < dt.timedelta(seconds=30)
    a = idp.assertion(roles=[pair(role, provider)])
    expect_error(assume, srv, role["Arn"], provider, encode(idp.response(a)), DurationSeconds=7200,
                 code="ValidationError", status=400,
                 message="The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")


# -- AssumeRoleWithSAML: refusals ----------------------------------------------------------


def test_tampered_after_signing(srv, idp, provider):
    role = saml_role(srv, provider)
    text = xml(idp.response(idp.assertion(roles=[pair(role, provider)])))
    tampered = text.replace(">alice<", ">admin<")
    assert tampered != text
    refused(srv, role, provider, encode(tampered), message=SIG_INVALID)


def test_wrong_certificate(srv, idp, provider):
    role = saml_role(srv, provider)
    r = idp.response(idp.assertion(roles=[pair(role, provider)]), key=SigningKey("attacker"))
    refused(srv, role, provider, encode(r), message=SIG_INVALID)


def test_unsigned_assertion(srv, idp, provider):
    role = saml_role(srv, provider)
    r = idp.response(idp.assertion(roles=[pair(role, provider)]), sign_assertion=False)
    refused(srv, role, provider, encode(r), message=SIG_INVALID)


def test_expired(srv, idp, provider):
    role = saml_role(srv, provider)
    a = idp.assertion(roles=[pair(role, provider)], not_on_or_after=dt.timedelta(minutes=-10))
    refused(srv, role, provider, encode(idp.response(a)), code="ExpiredTokenException")


@pytest.mark.parametrize("field", ["audience", "recipient", "issuer"])
def test_wrong_audience_recipient_issuer(srv, idp, provider, field):
    role = saml_role(srv, provider)
    kw = {field: "https://evil.example.com/saml"}
    messages = {
        "audience": "Response does not contain the required audience.",
        "recipient": "Invalid Recipient in SubjectConfirmationData",
        "issuer": "Issuer not present in specified provider",
    }
    a = idp.assertion(roles=[pair(role, provider)], **kw)
    refused(srv, role, provider, encode(idp.response(a)), message=messages[field])


def test_role_pair_missing(srv, idp, provider):
    role = saml_role(srv, provider)
    other = saml_role(srv, provider)
    a = idp.assertion(roles=[pair(other, provider)])
    refused(srv, role, provider, encode(idp.response(a)), code="AccessDenied", status=403,
            message="Not authorized to perform sts:AssumeRoleWithSAML")


def test_session_name_required_and_checked(srv, idp, provider):
    role = saml_role(srv, provider)
    a = idp.assertion(roles=[pair(role, provider)], session_name=None)
    refused(srv, role, provider, encode(idp.response(a)),
            message="RoleSessionName is required in AuthnResponse")
    a = idp.assertion(roles=[pair(role, provider)], session_name="bad name!")
    refused(srv, role, provider, encode(idp.response(a)),
            message="RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")


def test_another_providers_response(srv, provider):
    # A response signed by a different IdP, presented for this provider.
    stranger = Idp()
    role = saml_role(srv, provider)
    refused(srv, role, provider,
            encode(stranger.response(stranger.assertion(roles=[pair(role, provider)]))),
            message=SIG_INVALID)


def test_signature_wrapping(srv, idp, provider):
    """XSW: a validly signed assertion for a harmless role kept in the document while the
    server is meant to read an unsigned, forged one."""
    low = saml_role(srv, provider)
    high = saml_role(srv, provider)
    signed = idp.key.sign(idp.assertion(roles=[pair(low, provider)], session_name="intern"))
    evil = idp.assertion(roles=[pair(high, provider)], session_name="root")

    # 1. Forged assertion first, the signed original hidden in Extensions.
    r = idp.response(evil, sign_assertion=False)
    ext = etree.Element(f"{{{SAMLP}}}Extensions")
    ext.append(copy.deepcopy(signed))
    r.insert(1, ext)
    refused(srv, high, provider, encode(r))

    # 2. The forged assertion takes the original's ID and carries its signature.
    forged = copy.deepcopy(evil)
    forged.set("ID", signed.get("ID"))
    forged.append(copy.deepcopy(signed.find("{http://www.w3.org/2000/09/xmldsig#}Signature")))
    r = idp.response(forged, sign_assertion=False)
    refused(srv, high, provider, encode(r), message=SIG_INVALID)

    # 3. Two assertions side by side, the signed one second.
    r = idp.response(evil, sign_assertion=False)
    r.append(copy.deepcopy(signed))
    refused(srv, high, provider, encode(r))

    # 4. A signed Response whose assertion is swapped after signing.
    r = idp.response(idp.assertion(roles=[pair(low, provider)]), sign_assertion=False,
                     sign_response=True)
    old = r.find(f"{{{SAML}}}Assertion")
    r.replace(old, copy.deepcopy(evil))
    refused(srv, high, provider, encode(r), message=SIG_INVALID)

    # The honest response still works for the low role.
    ok = idp.response(idp.assertion(roles=[pair(low, provider)], session_name="intern"))
    assert assume(srv, low["Arn"], provider, encode(ok))["AssumedRoleUser"]["Arn"].endswith("/intern")


def test_garbage_and_unknown_provider(srv, idp, provider):
    role = saml_role(srv, provider)
    refused(srv, role, provider, "!!!! not base64 !!!!")
    refused(srv, role, provider, encode(b"<not-saml/>"))
    refused(srv, role, provider, encode(b"\xff\xfe garbage"))
    a = encode(idp.response(idp.assertion(roles=[pair(role, provider)])))
    missing = f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/{unique('none')}"
    refused(srv, role, missing, a)
    # A DTD (entity expansion) is refused before anything else.
    bomb = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            f'<samlp:Response xmlns:samlp="{SAMLP}">&b;</samlp:Response>')
    refused(srv, role, provider, encode(bomb))
