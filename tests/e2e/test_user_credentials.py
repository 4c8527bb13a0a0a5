"""The other credentials users keep on IAM: SSH public keys, signing certificates and
service-specific credentials, with AWS's limits, status changes and listings."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

import hg
from hg import expect_error, unique


def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ssh_public(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def cert_pem(key) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, unique("cn"))])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def keys():
    return [rsa_key() for _ in range(7)]


def test_ssh_keys(iam, keys):
    c = iam()
    user = hg.create_user(c)["UserName"]
    body = ssh_public(keys[0])
    k = c.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=body)["SSHPublicKey"]
    assert k["UserName"] == user and k["Status"] == "Active" and k["SSHPublicKeyBody"] == body
    assert k["SSHPublicKeyId"].startswith("APKA")
    blob = base64.b64decode(body.split()[1])
    assert k["Fingerprint"] == ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest())
    expect_error(
        c.upload_ssh_public_key,
        UserName=user,
        SSHPublicKeyBody=body,
        code="DuplicateSSHPublicKey",
        status=400,
        message="The specified SSH public key is already associated with the user.",
    )
    got = c.get_ssh_public_key(UserName=user, SSHPublicKeyId=k["SSHPublicKeyId"], Encoding="SSH")["SSHPublicKey"]
    assert got["SSHPublicKeyBody"] == body
    pem = c.get_ssh_public_key(UserName=user, SSHPublicKeyId=k["SSHPublicKeyId"], Encoding="PEM")["SSHPublicKey"]
    loaded = serialization.load_pem_public_key(pem["SSHPublicKeyBody"].encode())
    assert loaded.public_numbers() == keys[0].public_key().public_numbers()

    c.update_ssh_public_key(UserName=user, SSHPublicKeyId=k["SSHPublicKeyId"], Status="Inactive")
    listed = c.list_ssh_public_keys(UserName=user)["SSHPublicKeys"]
    assert [(x["SSHPublicKeyId"], x["Status"]) for x in listed] == [(k["SSHPublicKeyId"], "Inactive")]
    for key in keys[1:5]:
        c.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=ssh_public(key))
    expect_error(
        c.upload_ssh_public_key,
        UserName=user,
        SSHPublicKeyBody=ssh_public(keys[5]),
        code="LimitExceeded",
        status=409,
        message="Cannot exceed quota for SSHPublicKeysPerUser: 5",
    )
    expect_error(
        c.delete_user, UserName=user, code="DeleteConflict", status=409, message="Cannot delete entity, must delete SSH public keys first."
    )
    for x in c.list_ssh_public_keys(UserName=user)["SSHPublicKeys"]:
        c.delete_ssh_public_key(UserName=user, SSHPublicKeyId=x["SSHPublicKeyId"])
    expect_error(c.delete_ssh_public_key, UserName=user, SSHPublicKeyId=k["SSHPublicKeyId"], code="NoSuchEntity", status=404)
    c.delete_user(UserName=user)


def test_bad_ssh_keys(iam):
    c = iam()
    user = hg.create_user(c)["UserName"]
    weak = ssh_public(rsa_key(1024))
    for body in ["not a key", "ssh-rsa AAAA", weak, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"]:
        expect_error(c.upload_ssh_public_key, UserName=user, SSHPublicKeyBody=body, code="InvalidPublicKey", status=400)
    assert c.list_ssh_public_keys(UserName=user)["SSHPublicKeys"] == []
    expect_error(
        c.get_ssh_public_key, UserName=user, SSHPublicKeyId="APKAEXAMPLEEXAMPLE123", Encoding="DER", code="UnrecognizedPublicKeyEncoding", status=400
    )


def test_signing_certificates(iam, keys):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    body = cert_pem(keys[0])
    cert = c.upload_signing_certificate(UserName=name, CertificateBody=body)["Certificate"]
    assert cert["Status"] == "Active" and cert["UserName"] == name and cert["CertificateBody"] == body
    expect_error(c.upload_signing_certificate, UserName=name, CertificateBody=body, code="DuplicateCertificate", status=409)
    expect_error(
        c.upload_signing_certificate,
        UserName=name,
        CertificateBody="-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
        code="MalformedCertificate",
        status=400,
    )
    c.upload_signing_certificate(UserName=name, CertificateBody=cert_pem(keys[1]))
    expect_error(
        c.upload_signing_certificate,
        UserName=name,
        CertificateBody=cert_pem(keys[2]),
        code="LimitExceeded",
        status=409,
        message="Cannot exceed quota for SigningCertificatesPerUser: 2",
    )
    c.update_signing_certificate(UserName=name, CertificateId=cert["CertificateId"], Status="Inactive")
    listed = {x["CertificateId"]: x["Status"] for x in c.list_signing_certificates(UserName=name)["Certificates"]}
    assert listed[cert["CertificateId"]] == "Inactive" and len(listed) == 2
    # Without UserName, a user manages its own (given the permission).
    c.put_user_policy(
        UserName=name,
        PolicyName="self",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*SigningCertificate*","Resource":"*"}]}',
    )
    mine = iam(creds).list_signing_certificates()["Certificates"]
    assert {x["CertificateId"] for x in mine} == set(listed)
    for cid in listed:
        iam(creds).delete_signing_certificate(CertificateId=cid)
    assert c.list_signing_certificates(UserName=name)["Certificates"] == []


def test_service_specific_credentials(iam):
    c = iam()
    user = hg.create_user(c)["UserName"]
    cred = c.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com")["ServiceSpecificCredential"]
    assert cred["ServiceUserName"] == f"{user}-at-{hg.ACCOUNT_ID}"
    assert cred["Status"] == "Active" and len(cred["ServicePassword"]) >= 40
    listed = c.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
    assert [x["ServiceSpecificCredentialId"] for x in listed] == [cred["ServiceSpecificCredentialId"]]
    assert "ServicePassword" not in listed[0]
    reset = c.reset_service_specific_credential(UserName=user, ServiceSpecificCredentialId=cred["ServiceSpecificCredentialId"])
    assert reset["ServiceSpecificCredential"]["ServicePassword"] != cred["ServicePassword"]
    c.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com")
    expect_error(
        c.create_service_specific_credential,
        UserName=user,
        ServiceName="codecommit.amazonaws.com",
        code="LimitExceeded",
        status=409,
        message="Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2",
    )
    # The quota is per service.
    c.create_service_specific_credential(UserName=user, ServiceName="cassandra.amazonaws.com")
    assert len(c.list_service_specific_credentials(UserName=user, ServiceName="cassandra.amazonaws.com")["ServiceSpecificCredentials"]) == 1
    expect_error(c.create_service_specific_credential, UserName=user, ServiceName="s3.amazonaws.com", code="NotSupportedService", status=404)
    c.update_service_specific_credential(UserName=user, ServiceSpecificCredentialId=cred["ServiceSpecificCredentialId"], Status="Inactive")
    expect_error(
        c.delete_user,
        UserName=user,
        code="DeleteConflict",
        status=409,
        message="Cannot delete entity, must delete service specific credentials first.",
    )
    for x in c.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]:
        c.delete_service_specific_credential(UserName=user, ServiceSpecificCredentialId=x["ServiceSpecificCredentialId"])
    c.delete_user(UserName=user)


def test_service_password_not_stored_in_clear(server, iam):
    c = iam()
    user = hg.create_user(c)["UserName"]
    pw = c.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com")["ServiceSpecificCredential"][
        "ServicePassword"
    ]
    db = server.data_dir / "hourglass.db"
    for f in [db, db.with_name(db.name + "-wal")]:
        if f.exists():
            assert pw.encode() not in f.read_bytes()


def test_aws_cli(server, iam, keys):
    user = hg.create_user(iam())["UserName"]
    out = server.cli(["iam", "upload-ssh-public-key", "--user-name", user, "--ssh-public-key-body", ssh_public(keys[6])]).ok()
    kid = out["SSHPublicKey"]["SSHPublicKeyId"]
    listed = server.cli(["iam", "list-ssh-public-keys", "--user-name", user]).ok()
    assert [k["SSHPublicKeyId"] for k in listed["SSHPublicKeys"]] == [kid]
    server.cli(["iam", "delete-ssh-public-key", "--user-name", user, "--ssh-public-key-id", kid]).ok()
