"""IAM server certificates (issue 12 item 5): upload with the certificate, its private key
and chain checked as AWS checks them, get/list/update/delete, tags, the account quota,
GetAccountSummary, the aws CLI; the private key is never returned and is sealed at rest."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

import hg
from hg import ACCOUNT_ID, expect_error, unique

MALFORMED = "Unable to parse certificate. Please ensure the certificate is in PEM format."


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_cert(
    cn: str, key, issuer_cn: str | None = None, issuer_key=None, days: int = 90, ca: bool = False, start_days: int = 0
):
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=start_days)
    not_after = now + dt.timedelta(days=days)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(issuer_cn or cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    cert = builder.sign(issuer_key or key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), not_after


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_pem(key, fmt=serialization.PrivateFormat.PKCS8) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def chain_setup():
    """root CA → intermediate → leaf: (leaf pem, leaf key pem, chain pem, not_after)."""
    root_key, inter_key, leaf_key = rsa_key(), rsa_key(), rsa_key()
    root_pem, _ = make_cert("Test Root", root_key, ca=True, days=3650)
    inter_pem, _ = make_cert("Test Intermediate", inter_key, "Test Root", root_key, ca=True, days=1000)
    leaf_pem, not_after = make_cert("www.example.com", leaf_key, "Test Intermediate", inter_key)
    return leaf_pem, key_pem(leaf_key), inter_pem + root_pem, not_after, (inter_pem, root_pem)


def test_upload_get_list_update_delete(server):
    iam = server.iam()
    leaf, key, chain, not_after, _ = chain_setup()
    name = unique("cert")
    out = iam.upload_server_certificate(
        Path="/cloudfront/", ServerCertificateName=name, CertificateBody=leaf, PrivateKey=key,
        CertificateChain=chain, Tags=[{"Key": "env", "Value": "test"}],
    )
    md = out["ServerCertificateMetadata"]
    assert md["Path"] == "/cloudfront/" and md["ServerCertificateName"] == name
    assert md["ServerCertificateId"].startswith("ASCA") and len(md["ServerCertificateId"]) == 21
    assert md["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/cloudfront/{name}"
    assert md["Expiration"] == not_after
    assert out["Tags"] == [{"Key": "env", "Value": "test"}]

    got = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
    assert got["ServerCertificateMetadata"] == md
    assert got["CertificateBody"] == leaf and got["CertificateChain"] == chain
    assert got["Tags"] == [{"Key": "env", "Value": "test"}]
    assert "PrivateKey" not in json.dumps(got, default=str) and "PRIVATE KEY" not in json.dumps(got, default=str)

    listed = iam.list_server_certificates()["ServerCertificateMetadataList"]
    assert md in listed
    assert md in iam.list_server_certificates(PathPrefix="/cloudfront/")["ServerCertificateMetadataList"]
    assert md not in iam.list_server_certificates(PathPrefix="/elb/")["ServerCertificateMetadataList"]

    # Rename and move: the ARN follows.
    new = unique("renamed")
    iam.update_server_certificate(ServerCertificateName=name, NewServerCertificateName=new, NewPath="/elb/")
    moved = iam.get_server_certificate(ServerCertificateName=new)["ServerCertificate"]["ServerCertificateMetadata"]
    assert moved["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/elb/{new}"
    assert moved["ServerCertificateId"] == md["ServerCertificateId"]
    expect_error(iam.get_server_certificate, ServerCertificateName=name, code="NoSuchEntity", status=404,
                 message=f"The Server Certificate with name {name} cannot be found.")

    # Tags.
    iam.tag_server_certificate(ServerCertificateName=new, Tags=[{"Key": "team", "Value": "web"}])
    tags = iam.list_server_certificate_tags(ServerCertificateName=new)
    assert tags["Tags"] == [{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "web"}]
    assert tags["IsTruncated"] is False
    iam.untag_server_certificate(ServerCertificateName=new, TagKeys=["env"])
    assert iam.list_server_certificate_tags(ServerCertificateName=new)["Tags"] == [{"Key": "team", "Value": "web"}]

    # Duplicate names (case-insensitive).
    expect_error(iam.upload_server_certificate, ServerCertificateName=new.upper(), CertificateBody=leaf,
                 PrivateKey=key, code="EntityAlreadyExists", status=409)

    iam.delete_server_certificate(ServerCertificateName=new)
    expect_error(iam.delete_server_certificate, ServerCertificateName=new, code="NoSuchEntity", status=404)
    expect_error(iam.list_server_certificate_tags, ServerCertificateName=new, code="NoSuchEntity", status=404)


def test_keys_and_formats(server):
    iam = server.iam()
    # RSA PKCS#1 ("RSA PRIVATE KEY") works as well as PKCS#8.
    k = rsa_key()
    cert, _ = make_cert("pkcs1.example.com", k)
    name = unique("pk1")
    iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=cert,
                                  PrivateKey=key_pem(k, serialization.PrivateFormat.TraditionalOpenSSL))
    iam.delete_server_certificate(ServerCertificateName=name)
    # EC P-256 and P-384, PKCS#8 and SEC1 ("EC PRIVATE KEY").
    for curve in (ec.SECP256R1(), ec.SECP384R1()):
        ek = ec.generate_private_key(curve)
        ecert, _ = make_cert("ec.example.com", ek)
        for fmt in (serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL):
            name = unique("ec")
            iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=ecert, PrivateKey=key_pem(ek, fmt))
            iam.delete_server_certificate(ServerCertificateName=name)
        # An EC key that is not the certificate's.
        other = key_pem(ec.generate_private_key(curve))
        expect_error(iam.upload_server_certificate, ServerCertificateName=unique("ec"), CertificateBody=ecert,
                     PrivateKey=other, code="KeyPairMismatch", status=400)


def test_what_is_refused(server):
    iam = server.iam()
    leaf, key, chain, _, (inter, root) = chain_setup()

    def refused(code, status, message=None, match=None, **kw):
        args = {"ServerCertificateName": unique("bad"), "CertificateBody": leaf, "PrivateKey": key, **kw}
        expect_error(iam.upload_server_certificate, code=code, status=status, message=message, match=match, **args)

    refused("MalformedCertificate", 400, MALFORMED, CertificateBody="not a certificate")
    refused("MalformedCertificate", 400, MALFORMED,
            CertificateBody="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    # Another key.
    refused("KeyPairMismatch", 400, PrivateKey=key_pem(rsa_key()))
    refused("MalformedCertificate", 400, PrivateKey="-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    # The chain in the wrong order, or a garbage chain.
    refused("MalformedCertificate", 400, match="^Unable to validate certificate chain", CertificateChain=root + inter)
    refused("MalformedCertificate", 400, match="^Unable to validate certificate chain", CertificateChain="garbage")
    # Outside its validity period: expired, or not valid yet (a clock running ahead).
    leaf_key = rsa_key()
    expired, _ = make_cert("old.example.com", leaf_key, start_days=-30, days=10)
    refused("MalformedCertificate", 400, MALFORMED, CertificateBody=expired, PrivateKey=key_pem(leaf_key))
    future, _ = make_cert("new.example.com", leaf_key, start_days=2)
    refused("MalformedCertificate", 400, MALFORMED, CertificateBody=future, PrivateKey=key_pem(leaf_key))
    # Names and paths.
    refused("ValidationError", 400, ServerCertificateName="has space")
    refused("ValidationError", 400, ServerCertificateName="x" * 129)
    refused("ValidationError", 400, Path="no-slashes")
    # Nothing was stored.
    names = [m["ServerCertificateName"] for m in iam.list_server_certificates()["ServerCertificateMetadataList"]]
    assert not any(n.startswith("bad") for n in names)
    # Missing certificate.
    expect_error(iam.get_server_certificate, ServerCertificateName="nope", code="NoSuchEntity", status=404,
                 message="The Server Certificate with name nope cannot be found.")


def test_authorization(server):
    iam = server.iam()
    uname, creds, _ = hg.create_user_with_key(iam)
    leaf, key, chain, _, _ = chain_setup()
    expect_error(server.iam(creds).upload_server_certificate, ServerCertificateName="c1", CertificateBody=leaf,
                 PrivateKey=key, code="AccessDenied", status=403,
                 match=f"iam:UploadServerCertificate on resource: arn:aws:iam::{ACCOUNT_ID}:server-certificate/c1")
    expect_error(server.iam(creds).list_server_certificates, code="AccessDenied", status=403)
    iam.put_user_policy(UserName=uname, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:*ServerCertificate*"], "Resource": "*"}]}))
    name = unique("authz")
    server.iam(creds).upload_server_certificate(ServerCertificateName=name, CertificateBody=leaf, PrivateKey=key)
    server.iam(creds).delete_server_certificate(ServerCertificateName=name)


def test_quota_and_account_summary(fresh_server):
    iam = fresh_server.iam()
    assert iam.get_account_summary()["SummaryMap"]["ServerCertificates"] == 0
    k = rsa_key()
    pem = key_pem(k)
    cert, _ = make_cert("q.example.com", k)
    for i in range(20):
        iam.upload_server_certificate(ServerCertificateName=f"q{i}", CertificateBody=cert, PrivateKey=pem)
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["ServerCertificates"] == 20 and summary["ServerCertificatesQuota"] == 20
    expect_error(iam.upload_server_certificate, ServerCertificateName="q20", CertificateBody=cert, PrivateKey=pem,
                 code="LimitExceeded", status=409, message="Cannot exceed quota for ServerCertificatesPerAccount: 20")
    # Paging.
    page = iam.list_server_certificates(MaxItems=15)
    assert len(page["ServerCertificateMetadataList"]) == 15 and page["IsTruncated"] is True
    rest = iam.list_server_certificates(Marker=page["Marker"])
    assert len(rest["ServerCertificateMetadataList"]) == 5 and rest["IsTruncated"] is False

    # The private key is sealed at rest: not in the database file in clear.
    body = "".join(pem.strip().splitlines()[1:-1])[:64]
    db = fresh_server.data_dir / "hourglass.db"
    if db.exists():
        raw = db.read_bytes()
        assert body.encode() not in raw
        conn = sqlite3.connect(db)
        sealed = [r[0] for r in conn.execute("SELECT private_key_sealed FROM server_certificates")]
        conn.close()
        assert sealed and all(s.startswith("v1.") for s in sealed), sealed[:1]


def test_cli(server, aws_cli, tmp_path):
    leaf, key, chain, _, _ = chain_setup()
    (tmp_path / "cert.pem").write_text(leaf)
    (tmp_path / "key.pem").write_text(key)
    (tmp_path / "chain.pem").write_text(chain)
    name = unique("cli")
    out = aws_cli([
        "iam", "upload-server-certificate", "--server-certificate-name", name,
        "--certificate-body", f"file://{tmp_path / 'cert.pem'}",
        "--private-key", f"file://{tmp_path / 'key.pem'}",
        "--certificate-chain", f"file://{tmp_path / 'chain.pem'}",
    ]).ok()
    assert out["ServerCertificateMetadata"]["ServerCertificateName"] == name
    got = aws_cli(["iam", "get-server-certificate", "--server-certificate-name", name]).ok()
    assert got["ServerCertificate"]["CertificateBody"].strip() == leaf.strip()
    listed = aws_cli(["iam", "list-server-certificates"]).ok()
    assert name in [m["ServerCertificateName"] for m in listed["ServerCertificateMetadataList"]]
    aws_cli(["iam", "delete-server-certificate", "--server-certificate-name", name]).ok()
    res = aws_cli(["iam", "get-server-certificate", "--server-certificate-name", name])
    assert res.rc != 0 and "NoSuchEntity" in res.stderr
