"""GetFederationToken end to end (issue 12 item 7): federated-user sessions of an IAM user
or root, their identity (`arn:aws:sts::ACCT:federated-user/NAME`), the intersection of the
parent's policies with the session policies (none passed: no permissions), what such a
session may not call, validation, the aws CLI, and the audit record."""

from __future__ import annotations

import datetime as dt
import json

import hg
from hg import ACCOUNT_ID, Creds, expect_error, unique

INVALID_TOKEN = "The security token included in the request is invalid"
SESSION_CREDS = "Cannot call GetFederationToken with session credentials"


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(*actions, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource, **extra}


def creds_of(c: dict) -> Creds:
    return Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def federating_user(server, *actions) -> tuple[str, Creds]:
    """A user allowed sts:GetFederationToken plus `actions`."""
    root = server.iam()
    name, creds, _ = hg.create_user_with_key(root)
    root.put_user_policy(
        UserName=name, PolicyName="p", PolicyDocument=doc(allow("sts:GetFederationToken", *actions))
    )
    return name, creds


def s3(server, creds: Creds):
    return hg.client("s3", server.endpoint, creds)


def test_identity_and_shape(server):
    uname, ucreds = federating_user(server, "s3:ListAllMyBuckets")
    now = hg.utcnow()
    out = server.sts(ucreds).get_federation_token(
        Name="Bob", Policy=doc(allow("s3:ListAllMyBuckets"))
    )
    fed = out["FederatedUser"]
    assert fed == {
        "FederatedUserId": f"{ACCOUNT_ID}:Bob",
        "Arn": f"arn:aws:sts::{ACCOUNT_ID}:federated-user/Bob",
    }
    assert isinstance(out["PackedPolicySize"], int) and 0 < out["PackedPolicySize"] <= 100
    c = out["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA") and len(c["SecretAccessKey"]) == 40
    # Default: 12 hours.
    expected = now + dt.timedelta(hours=12)
    assert expected - dt.timedelta(seconds=10) <= c["Expiration"] <= hg.utcnow() + dt.timedelta(hours=12, seconds=10)
    ident = server.sts(creds_of(c)).get_caller_identity()
    assert ident["Arn"] == fed["Arn"]
    assert ident["UserId"] == f"{ACCOUNT_ID}:Bob"
    assert ident["Account"] == ACCOUNT_ID
    # 36 hours at most for users.
    long = server.sts(ucreds).get_federation_token(Name="Bob", DurationSeconds=129600)
    assert long["Credentials"]["Expiration"] >= now + dt.timedelta(hours=36) - dt.timedelta(seconds=10)
    # Without policies or tags, no PackedPolicySize.
    assert "PackedPolicySize" not in long


def test_permissions_are_the_intersection(server):
    root = server.iam()
    bucket = unique("fedb")
    s3(server, server.root).create_bucket(Bucket=bucket)
    s3(server, server.root).put_object(Bucket=bucket, Key="k", Body=b"v")
    uname, ucreds = federating_user(server, "s3:ListAllMyBuckets", "s3:GetObject")
    sts = server.sts(ucreds)

    # No session policy: no permissions at all, though the user has some.
    bare = creds_of(sts.get_federation_token(Name="bare")["Credentials"])
    e = expect_error(s3(server, bare).list_buckets, code="AccessDenied", status=403)
    assert "federated-user/bare" in e.response["Error"]["Message"] or e.response["Error"]["Message"]

    # Session policy allows s3:* but the user only ListAllMyBuckets and GetObject.
    wide = creds_of(sts.get_federation_token(Name="wide", Policy=doc(allow("s3:*")))["Credentials"])
    names = [b["Name"] for b in s3(server, wide).list_buckets()["Buckets"]]
    assert bucket in names
    assert s3(server, wide).get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    expect_error(s3(server, wide).put_object, Bucket=bucket, Key="x", Body=b"1", code="AccessDenied", status=403)

    # Session policy narrower than the user's: only what both allow.
    narrow = creds_of(
        sts.get_federation_token(Name="narrow", Policy=doc(allow("s3:ListAllMyBuckets")))["Credentials"]
    )
    s3(server, narrow).list_buckets()
    expect_error(s3(server, narrow).get_object, Bucket=bucket, Key="k", code="AccessDenied", status=403)

    # A managed session policy works like the inline one.
    parn = root.create_policy(PolicyName=unique("fedp"), PolicyDocument=doc(allow("s3:GetObject")))["Policy"]["Arn"]
    managed = creds_of(sts.get_federation_token(Name="managed", PolicyArns=[{"arn": parn}])["Credentials"])
    s3(server, managed).get_object(Bucket=bucket, Key="k")
    expect_error(s3(server, managed).list_buckets, code="AccessDenied", status=403)

    # A policy change on the user applies to live sessions at once.
    root.delete_user_policy(UserName=uname, PolicyName="p")
    expect_error(s3(server, wide).list_buckets, code="AccessDenied", status=403)

    # A bucket policy naming the federated user grants it without session policies.
    s3(server, server.root).put_bucket_policy(
        Bucket=bucket,
        Policy=doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:sts::{ACCOUNT_ID}:federated-user/bare"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ),
    )
    assert s3(server, bare).get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


def test_session_tags_are_principal_tags(server):
    uname, ucreds = federating_user(server, "s3:ListAllMyBuckets")
    server.iam().tag_user(UserName=uname, Tags=[{"Key": "team", "Value": "red"}])
    cond = {"Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}
    policy = doc(allow("s3:ListAllMyBuckets", **cond))
    sts = server.sts(ucreds)
    # The user's own tag (red) does not match.
    plain = creds_of(sts.get_federation_token(Name="t1", Policy=policy)["Credentials"])
    expect_error(s3(server, plain).list_buckets, code="AccessDenied", status=403)
    # A session tag overrides it.
    out = sts.get_federation_token(Name="t2", Policy=policy, Tags=[{"Key": "team", "Value": "blue"}])
    assert "PackedPolicySize" in out
    s3(server, creds_of(out["Credentials"])).list_buckets()
    expect_error(
        sts.get_federation_token,
        Name="t3",
        Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}],
        code="ValidationError",
        status=400,
    )


def test_what_a_federated_user_cannot_call(server):
    uname, ucreds = federating_user(server, "iam:*", "sts:*")
    fed = creds_of(
        server.sts(ucreds).get_federation_token(Name="fed", Policy=doc(allow("iam:*", "sts:*")))["Credentials"]
    )
    # IAM: never, whatever the policies say.
    e = expect_error(server.iam(fed).list_users, code="InvalidClientTokenId", status=403)
    assert e.response["Error"]["Message"].rstrip(".") == INVALID_TOKEN
    # STS: only GetCallerIdentity.
    expect_error(
        server.sts(fed).get_federation_token, Name="again", code="AccessDenied", status=403, message=SESSION_CREDS
    )
    expect_error(server.sts(fed).get_session_token, code="AccessDenied", status=403)
    expect_error(
        server.sts(fed).get_access_key_info, AccessKeyId=ucreds.access_key_id, code="AccessDenied", status=403
    )
    role = server.iam().create_role(
        RoleName=unique("fedrole"),
        AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}
        ),
    )["Role"]
    expect_error(
        server.sts(fed).assume_role, RoleArn=role["Arn"], RoleSessionName="xx", code="AccessDenied", status=403
    )
    server.sts(fed).get_caller_identity()


def test_who_may_call_it(server):
    root = server.iam()
    # A user without sts:GetFederationToken.
    name, creds, _ = hg.create_user_with_key(root)
    expect_error(
        server.sts(creds).get_federation_token,
        Name="Bob",
        code="AccessDenied",
        status=403,
        match=f"^User: arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized to perform: "
        f"sts:GetFederationToken on resource: arn:aws:sts::{ACCOUNT_ID}:federated-user/Bob",
    )
    # Allowed for one name only: the resource is the federated-user ARN.
    root.put_user_policy(
        UserName=name,
        PolicyName="p",
        PolicyDocument=doc(
            allow("sts:GetFederationToken", resource=f"arn:aws:sts::{ACCOUNT_ID}:federated-user/app-*")
        ),
    )
    server.sts(creds).get_federation_token(Name="app-1")
    expect_error(server.sts(creds).get_federation_token, Name="other", code="AccessDenied", status=403)

    # GetSessionToken and role sessions cannot call it.
    root.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(allow("sts:*")))
    st = creds_of(server.sts(creds).get_session_token()["Credentials"])
    expect_error(
        server.sts(st).get_federation_token, Name="Bob", code="AccessDenied", status=403, message=SESSION_CREDS
    )

    # Root may, for an hour at most; its session has exactly the session policy's rights.
    now = hg.utcnow()
    out = server.sts().get_federation_token(Name="rootfed", DurationSeconds=7200, Policy=doc(allow("s3:ListAllMyBuckets")))
    exp = out["Credentials"]["Expiration"]
    assert now + dt.timedelta(seconds=3590) <= exp <= hg.utcnow() + dt.timedelta(seconds=3610)
    rf = creds_of(out["Credentials"])
    assert server.sts(rf).get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/rootfed"
    s3(server, rf).list_buckets()
    expect_error(s3(server, rf).create_bucket, Bucket=unique("rfb"), code="AccessDenied", status=403)
    bare = creds_of(server.sts().get_federation_token(Name="rootbare")["Credentials"])
    expect_error(s3(server, bare).list_buckets, code="AccessDenied", status=403)


def test_validation(server):
    uname, ucreds = federating_user(server)
    sts = server.sts(ucreds, validate=False)

    def bad(message=None, **kw):
        return expect_error(sts.get_federation_token, code="ValidationError", status=400, message=message, **kw)

    bad(
        Name="B",
        message="1 validation error detected: Value 'B' at 'name' failed to satisfy constraint: "
        "Member must have length greater than or equal to 2",
    )
    bad(
        Name="x" * 33,
        message=f"1 validation error detected: Value '{'x' * 33}' at 'name' failed to satisfy constraint: "
        "Member must have length less than or equal to 32",
    )
    bad(
        Name="has space",
        message="1 validation error detected: Value 'has space' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    )
    bad(Name="Bob", DurationSeconds=899)
    bad(Name="Bob", DurationSeconds=129601)
    bad(Name="Bob", PolicyArns=[{"arn": f"arn:aws:iam::{ACCOUNT_ID}:policy/p{i}"} for i in range(11)])
    bad(Name="Bob", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    bad(Name="Bob", Policy="x" * 2049)
    expect_error(
        sts.get_federation_token, Name="Bob", Policy="{not json", code="MalformedPolicyDocument", status=400
    )
    # Validation comes before authorization: a user without permission still gets it.
    _, nobody, _ = hg.create_user_with_key(server.iam())
    expect_error(server.sts(nobody, validate=False).get_federation_token, Name="B", code="ValidationError", status=400)
    # Name is required.
    r = server.query(ucreds, {"Action": "GetFederationToken", "Version": "2011-06-15"}, service="sts")
    assert r.status_code == 400 and "ValidationError" in r.text, r.text


def test_parent_deleted_ends_sessions(server):
    root = server.iam()
    uname, ucreds = federating_user(server, "s3:ListAllMyBuckets")
    fed = creds_of(
        server.sts(ucreds).get_federation_token(Name="gone", Policy=doc(allow("s3:ListAllMyBuckets")))["Credentials"]
    )
    server.sts(fed).get_caller_identity()
    root.delete_user_policy(UserName=uname, PolicyName="p")
    root.delete_access_key(UserName=uname, AccessKeyId=ucreds.access_key_id)
    root.delete_user(UserName=uname)
    expect_error(server.sts(fed).get_caller_identity, code="InvalidClientTokenId", status=403)


def test_cli_and_audit(server, aws_cli):
    uname, ucreds = federating_user(server, "s3:ListAllMyBuckets")
    out = aws_cli(
        [
            "sts",
            "get-federation-token",
            "--name",
            "cli-fed",
            "--duration-seconds",
            "900",
            "--policy",
            doc(allow("s3:ListAllMyBuckets")),
        ],
        creds=ucreds,
    ).ok()
    assert out["FederatedUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/cli-fed"
    fed = creds_of(out["Credentials"])
    ident = aws_cli(["sts", "get-caller-identity"], creds=fed).ok()
    assert ident["UserId"] == f"{ACCOUNT_ID}:cli-fed"
    res = aws_cli(["sts", "get-federation-token", "--name", "has space"], creds=ucreds)
    assert res.rc != 0 and "ValidationError" in res.stderr, res.stderr

    # CloudTrail: the session's calls name the federated user and its issuer.
    s3(server, fed).list_buckets()
    ct = hg.client("cloudtrail", server.endpoint, server.root)
    got = ct.lookup_events(LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": fed.access_key_id}])[
        "Events"
    ]
    assert got, "no events for the federated session"
    for e in got:
        ui = json.loads(e["CloudTrailEvent"])["userIdentity"]
        assert ui["type"] == "FederatedUser"
        assert ui["arn"] == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/cli-fed"
        assert ui["principalId"] == f"{ACCOUNT_ID}:cli-fed"
        issuer = ui["sessionContext"]["sessionIssuer"]
        assert issuer["type"] == "IAMUser"
        assert issuer["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{uname}"
        assert issuer["userName"] == uname


def test_aws_managed_policy_as_session_policy(fresh_server):
    """An AWS managed policy nothing has named yet (on a fresh server) is a valid session
    policy: it enters the store when GetFederationToken first names it."""
    uname, ucreds = federating_user(fresh_server, "iam:ListUsers", "s3:ListAllMyBuckets")
    out = fresh_server.sts(ucreds).get_federation_token(
        Name="reader", PolicyArns=[{"arn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}]
    )
    fed = creds_of(out["Credentials"])
    # Allowed by both the parent and the managed session policy.
    s3(fresh_server, fed).list_buckets()
    expect_error(
        fresh_server.iam().get_policy,
        PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicyForSure",
        code="NoSuchEntity",
        status=404,
    )
