"""Block Public Access at bucket level (boto3, aws CLI s3api) and account level (boto3's
s3control client), GetBucketPolicyStatus, and enforcement: BlockPublicPolicy refuses a
public bucket policy, RestrictPublicBuckets makes an existing one grant nothing to
anonymous and cross-account callers."""

from __future__ import annotations

import json

import requests
from botocore.config import Config
import boto3

from hg import ACCOUNT_ID, expect_error, unique
from s3util import allow, assume_role, doc, full_access, s3_client


BUCKET_PREFIX = "pab"


ALL = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def public_read(bucket):
    return doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"})


def test_bucket_block_crud_and_block_public_policy(s3, bucket):
    expect_error(s3.get_public_access_block, Bucket=bucket, code="NoSuchPublicAccessBlockConfiguration", status=404)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
    got = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert got == {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": False}
    expect_error(s3.put_bucket_policy, Bucket=bucket, Policy=public_read(bucket), code="AccessDenied", status=403)
    expect_error(s3.get_bucket_policy, Bucket=bucket, code="NoSuchBucketPolicy", status=404)
    # A policy restricted to a fixed source is not public and is accepted.
    restricted = doc({
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT_ID}},
    })
    s3.put_bucket_policy(Bucket=bucket, Policy=restricted)
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    s3.delete_public_access_block(Bucket=bucket)
    expect_error(s3.get_public_access_block, Bucket=bucket, code="NoSuchPublicAccessBlockConfiguration", status=404)
    s3.put_bucket_policy(Bucket=bucket, Policy=public_read(bucket))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True


def test_policy_status_needs_a_policy(s3, bucket):
    expect_error(s3.get_bucket_policy_status, Bucket=bucket, code="NoSuchBucketPolicy", status=404)
    expect_error(s3.get_public_access_block, Bucket=unique("none"), code="NoSuchBucket", status=404)


def test_restrict_public_buckets_ignores_a_public_policy(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"public")
    s3.put_bucket_policy(Bucket=bucket, Policy=public_read(bucket))
    url = f"{server.endpoint}/{bucket}/k"
    assert requests.get(url, timeout=10).content == b"public"
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    r = requests.get(url, timeout=10)
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text
    # Callers of the owner's account are not affected (their identity policy allows them).
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"public"
    s3.delete_public_access_block(Bucket=bucket)
    assert requests.get(url, timeout=10).status_code == 200


def test_bad_documents_and_authorization(server, s3, bucket):
    from hg import send, signed_request
    import hashlib

    for body in [b"<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls></PublicAccessBlockConfiguration>", b"<Nope/>"]:
        url, headers, data = signed_request(
            server.endpoint, server.root, body, service="s3", method="PUT", path=f"/{bucket}",
            query={"publicAccessBlock": ""}, headers={"x-amz-content-sha256": hashlib.sha256(body).hexdigest()},
        )
        r = send("PUT", url, headers, data)
        assert r.status_code == 400 and b"MalformedXML" in r.content, r.content
    expect_error(s3.get_public_access_block, Bucket=bucket, code="NoSuchPublicAccessBlockConfiguration", status=404)
    arn = f"arn:aws:s3:::{bucket}"
    reader, _ = assume_role(server, allow("s3:GetBucketPublicAccessBlock", "s3:GetBucketPolicyStatus", resource=arn))
    c = s3_client(server.endpoint, reader)
    expect_error(c.put_public_access_block, Bucket=bucket, PublicAccessBlockConfiguration=ALL, code="AccessDenied", status=403)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=ALL)
    assert c.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == ALL
    expect_error(c.delete_public_access_block, Bucket=bucket, code="AccessDenied", status=403)


def test_aws_cli_bucket_block(server, creds, bucket):
    cli = lambda *args: server.cli(list(args), creds)  # noqa: E731
    cli("s3api", "put-public-access-block", "--bucket", bucket, "--public-access-block-configuration",
        json.dumps(ALL)).ok()
    assert cli("s3api", "get-public-access-block", "--bucket", bucket).ok()["PublicAccessBlockConfiguration"] == ALL
    cli("s3api", "delete-public-access-block", "--bucket", bucket).ok()


def s3control(server, creds):
    """boto3's s3control client against a local endpoint: its endpoint rules put the account
    id in front of the host, which an IP address cannot take, so the prefix is taken off
    before signing (the server reads the account from x-amz-account-id, as AWS does)."""
    client = boto3.session.Session().client(
        "s3control", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key,
        aws_session_token=creds.session_token,
        config=Config(inject_host_prefix=False, retries={"total_max_attempts": 1}),
    )

    def strip_prefix(request, **_):
        request.url = request.url.replace(f"//{ACCOUNT_ID}.", "//", 1).replace("//999999999999.", "//", 1)

    client.meta.events.register("before-sign.s3-control", strip_prefix)
    return client


def test_account_level_block(server_factory):
    srv = server_factory().start()
    creds = full_access(srv)
    s3 = s3_client(srv.endpoint, creds)
    ctl = s3control(srv, creds)
    bucket = unique("acct")
    s3.create_bucket(Bucket=bucket)
    expect_error(ctl.get_public_access_block, AccountId=ACCOUNT_ID, code="NoSuchPublicAccessBlockConfiguration", status=404)
    ctl.put_public_access_block(AccountId=ACCOUNT_ID, PublicAccessBlockConfiguration={"BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    got = ctl.get_public_access_block(AccountId=ACCOUNT_ID)["PublicAccessBlockConfiguration"]
    assert got["BlockPublicPolicy"] is True and got["BlockPublicAcls"] is False
    # The bucket has no setting of its own: the account's applies.
    expect_error(s3.put_bucket_policy, Bucket=bucket, Policy=public_read(bucket), code="AccessDenied", status=403)
    # Another account's setting cannot be read or written.
    expect_error(ctl.get_public_access_block, AccountId="999999999999", code="AccessDenied", status=403)
    ctl.delete_public_access_block(AccountId=ACCOUNT_ID)
    expect_error(ctl.get_public_access_block, AccountId=ACCOUNT_ID, code="NoSuchPublicAccessBlockConfiguration", status=404)
    s3.put_bucket_policy(Bucket=bucket, Policy=public_read(bucket))
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert requests.get(f"{srv.endpoint}/{bucket}/k", timeout=10).status_code == 200
    # Turning RestrictPublicBuckets on at account level closes it again.
    ctl.put_public_access_block(AccountId=ACCOUNT_ID, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    assert requests.get(f"{srv.endpoint}/{bucket}/k", timeout=10).status_code == 403
    # A role without the account-level permission is refused.
    limited, _ = assume_role(srv, allow("s3:GetObject"))
    expect_error(s3control(srv, limited).get_public_access_block, AccountId=ACCOUNT_ID, code="AccessDenied", status=403)
