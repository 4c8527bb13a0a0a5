"""Object Ownership and ACLs as AWS has them since 2023 (boto3 and the aws CLI):
BucketOwnerEnforced by default (ACLs refused), ownership controls CRUD, and with
ObjectWriter canned ACLs on buckets and objects that grant access, subject to Block
Public Access (BlockPublicAcls refuses public ACLs, IgnorePublicAcls ignores them)."""

from __future__ import annotations

import pytest
import requests

from hg import expect_error, unique
from s3util import full_access, s3_client

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


@pytest.fixture(scope="module")
def creds(server):
    return full_access(server)


@pytest.fixture(scope="module")
def s3(server, creds):
    return s3_client(server.endpoint, creds)


def owned(s3, ownership=None, **kw):
    name = unique("own")
    if ownership:
        kw["ObjectOwnership"] = ownership
    s3.create_bucket(Bucket=name, **kw)
    return name


def rule(s3, bucket):
    return s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"][0]["ObjectOwnership"]


def test_enforced_by_default_refuses_acls(s3):
    b = owned(s3)
    assert rule(s3, b) == "BucketOwnerEnforced"
    expect_error(s3.put_object, Bucket=b, Key="k", Body=b"x", ACL="public-read",
                 code="AccessControlListNotSupported", status=400)
    s3.put_object(Bucket=b, Key="k", Body=b"x", ACL="bucket-owner-full-control")
    expect_error(s3.put_object_acl, Bucket=b, Key="k", ACL="public-read",
                 code="AccessControlListNotSupported", status=400)
    expect_error(s3.put_bucket_acl, Bucket=b, ACL="public-read", code="AccessControlListNotSupported", status=400)
    grants = s3.get_object_acl(Bucket=b, Key="k")["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
    expect_error(s3.create_bucket, Bucket=unique("own"), ACL="public-read",
                 code="InvalidBucketAclWithObjectOwnership", status=400)


def test_ownership_controls_crud(s3):
    b = owned(s3, "BucketOwnerPreferred")
    assert rule(s3, b) == "BucketOwnerPreferred"
    s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    assert rule(s3, b) == "ObjectWriter"
    s3.delete_bucket_ownership_controls(Bucket=b)
    expect_error(s3.get_bucket_ownership_controls, Bucket=b, code="OwnershipControlsNotFoundError", status=404)
    s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    assert rule(s3, b) == "BucketOwnerEnforced"
    expect_error(s3.create_bucket, Bucket=unique("own"), ObjectOwnership="Everyone",
                 code="InvalidArgument", status=400)


def test_object_writer_canned_acls_grant_access(server, s3):
    b = owned(s3, "ObjectWriter")
    s3.put_object(Bucket=b, Key="pub", Body=b"open", ACL="public-read")
    s3.put_object(Bucket=b, Key="priv", Body=b"closed")
    assert requests.get(f"{server.endpoint}/{b}/pub", timeout=10).content == b"open"
    assert requests.get(f"{server.endpoint}/{b}/priv", timeout=10).status_code == 403
    grants = s3.get_object_acl(Bucket=b, Key="pub")["Grants"]
    assert {"Type": "Group", "URI": ALL_USERS} in [g["Grantee"] for g in grants]
    # Making it private again removes the grant.
    s3.put_object_acl(Bucket=b, Key="pub", ACL="private")
    assert requests.get(f"{server.endpoint}/{b}/pub", timeout=10).status_code == 403
    s3.put_object_acl(Bucket=b, Key="priv", ACL="public-read")
    assert requests.get(f"{server.endpoint}/{b}/priv", timeout=10).content == b"closed"
    # A public-read bucket ACL lets anyone list it.
    assert requests.get(f"{server.endpoint}/{b}", timeout=10).status_code == 403
    s3.put_bucket_acl(Bucket=b, ACL="public-read")
    r = requests.get(f"{server.endpoint}/{b}", timeout=10)
    assert r.status_code == 200 and "<Key>pub</Key>" in r.text
    assert ALL_USERS in str(s3.get_bucket_acl(Bucket=b)["Grants"])
    # Disabling ACLs while the bucket ACL grants more than the owner is refused.
    expect_error(s3.put_bucket_ownership_controls, Bucket=b,
                 OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                 code="InvalidBucketAclWithObjectOwnership", status=400)
    s3.put_bucket_acl(Bucket=b, ACL="private")
    s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    # With ACLs disabled the object's stored ACL no longer grants anything.
    assert requests.get(f"{server.endpoint}/{b}/priv", timeout=10).status_code == 403
    expect_error(s3.put_object, Bucket=b, Key="x", Body=b"", ACL="everyone-ish", code="InvalidArgument", status=400)


def test_block_public_acls_and_ignore_public_acls(server, s3):
    b = owned(s3, "ObjectWriter")
    s3.put_object(Bucket=b, Key="k", Body=b"v", ACL="public-read")
    assert requests.get(f"{server.endpoint}/{b}/k", timeout=10).status_code == 200
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    assert requests.get(f"{server.endpoint}/{b}/k", timeout=10).status_code == 403
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    assert requests.get(f"{server.endpoint}/{b}/k", timeout=10).status_code == 200
    expect_error(s3.put_object, Bucket=b, Key="k2", Body=b"v", ACL="public-read", code="AccessDenied", status=403)
    expect_error(s3.put_object_acl, Bucket=b, Key="k", ACL="public-read-write", code="AccessDenied", status=403)
    expect_error(s3.put_bucket_acl, Bucket=b, ACL="public-read", code="AccessDenied", status=403)
    s3.put_object(Bucket=b, Key="k3", Body=b"v", ACL="private")


def test_aws_cli_ownership_and_acl(server, creds, s3):
    cli = lambda *args: server.cli(list(args), creds)  # noqa: E731
    b = unique("ownc")
    cli("s3api", "create-bucket", "--bucket", b, "--object-ownership", "ObjectWriter").ok()
    out = cli("s3api", "get-bucket-ownership-controls", "--bucket", b).ok()
    assert out["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "ObjectWriter"
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    cli("s3api", "put-object-acl", "--bucket", b, "--key", "k", "--acl", "public-read").ok()
    grants = cli("s3api", "get-object-acl", "--bucket", b, "--key", "k").ok()["Grants"]
    assert any(g["Grantee"].get("URI") == ALL_USERS for g in grants)


def test_grant_headers_and_policy_documents(server, s3):
    """Explicit grants are taken when they amount to a canned ACL: the Get-edit-Put round trip
    of the aws CLI, Terraform and s3cmd; other grants are refused, never stored wrongly."""
    b = owned(s3, "ObjectWriter")
    owner_id = s3.get_bucket_acl(Bucket=b)["Owner"]["ID"]
    s3.put_object(Bucket=b, Key="k", Body=b"data")
    assert requests.get(f"{server.endpoint}/{b}/k", timeout=10).status_code == 403
    # Grant headers: owner full control plus AllUsers READ is public-read.
    s3.put_object_acl(Bucket=b, Key="k", GrantFullControl=f'id="{owner_id}"', GrantRead=f'uri="{ALL_USERS}"')
    assert requests.get(f"{server.endpoint}/{b}/k", timeout=10).content == b"data"
    # The document GetObjectAcl returns, with the public grant removed, makes it private again.
    acl = s3.get_object_acl(Bucket=b, Key="k")
    policy = {"Owner": acl["Owner"], "Grants": [g for g in acl["Grants"] if g["Grantee"].get("URI") != ALL_USERS]}
    s3.put_object_acl(Bucket=b, Key="k", AccessControlPolicy=policy)
    assert requests.get(f"{server.endpoint}/{b}/k", timeout=10).status_code == 403
    assert [g["Permission"] for g in s3.get_object_acl(Bucket=b, Key="k")["Grants"]] == ["FULL_CONTROL"]
    # A bucket document with AllUsers READ lets anyone list it.
    policy = {"Owner": acl["Owner"], "Grants": policy["Grants"] + [
        {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
    ]}
    s3.put_bucket_acl(Bucket=b, AccessControlPolicy=policy)
    assert requests.get(f"{server.endpoint}/{b}", timeout=10).status_code == 200
    s3.put_bucket_acl(Bucket=b, ACL="private")
    # Grants to another account cannot be honoured: refused, and nothing changes.
    other = "a" * 64
    expect_error(s3.put_object_acl, Bucket=b, Key="k", GrantRead=f'id="{other}"', code="NotImplemented", status=501)
    expect_error(
        s3.put_object_acl, Bucket=b, Key="k", ACL="public-read", GrantRead=f'uri="{ALL_USERS}"',
        code="InvalidRequest", status=400,
    )
    expect_error(s3.put_object_acl, Bucket=b, Key="k", GrantRead='uri="http://example.com/x"',
                 code="InvalidArgument", status=400)
    assert requests.get(f"{server.endpoint}/{b}/k", timeout=10).status_code == 403
    # On PutObject and CreateBucket too.
    s3.put_object(Bucket=b, Key="pub", Body=b"p", GrantFullControl=f'id="{owner_id}"', GrantRead=f'uri="{ALL_USERS}"')
    assert requests.get(f"{server.endpoint}/{b}/pub", timeout=10).content == b"p"
    nb = unique("own")
    s3.create_bucket(Bucket=nb, ObjectOwnership="ObjectWriter",
                     GrantFullControl=f'id="{owner_id}"', GrantRead=f'uri="{ALL_USERS}"')
    assert requests.get(f"{server.endpoint}/{nb}", timeout=10).status_code == 200
    nb2 = unique("own")
    expect_error(s3.create_bucket, Bucket=nb2, ObjectOwnership="ObjectWriter", GrantRead=f'id="{other}"',
                 code="NotImplemented", status=501)
    expect_error(s3.head_bucket, Bucket=nb2, code="404", status=404)
    # With ACLs disabled, the owner-only grant (bucket-owner-full-control's equivalent) is accepted.
    e = owned(s3)
    s3.put_object(Bucket=e, Key="k", Body=b"x", GrantFullControl=f'id="{owner_id}"')
    expect_error(s3.put_object, Bucket=e, Key="k2", Body=b"x", GrantRead=f'uri="{ALL_USERS}"',
                 code="AccessControlListNotSupported", status=400)
