"""Several accounts on one server (issue 14), end to end with boto3, the aws CLI and the
`hourglass member-root-credentials` command: Organizations over the JSON protocol, member
accounts administered through OrganizationAccountAccessRole, service control policies,
cross-account AssumeRole (ExternalId) and cross-account bucket access, and isolation
between accounts."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

import hg
from hg import ACCOUNT_ID, Creds, expect_error, unique
from s3util import s3_client

MGMT = ACCOUNT_ID
OAAR = "OrganizationAccountAccessRole"
NO_PERMISSION = "You don't have permissions to access this resource."


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(*actions, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource, **extra}


def deny(*actions, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": list(actions), "Resource": resource, **extra}


def session_creds(resp) -> Creds:
    c = resp["Credentials"]
    return Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


class Org:
    """The module server's organization: the management account, two members created
    through CreateAccount, and an operator (IAM user of the management account) allowed to
    assume any role."""

    def __init__(self, server):
        self.server = server
        self.orgs = hg.client("organizations", server.endpoint, server.root)
        self.org = self.orgs.create_organization(FeatureSet="ALL")["Organization"]
        self.root_id = self.orgs.list_roots()["Roots"][0]["Id"]
        self.members = {}
        for name in ("alpha", "beta", "gamma"):
            self.members[name] = self.create_account(name)
        iam = server.iam()
        _, self.operator, _ = hg.create_user_with_key(iam, unique("operator"))
        iam.put_user_policy(
            UserName=self.last_user(iam),
            PolicyName="assume",
            PolicyDocument=doc(allow("sts:AssumeRole")),
        )

    @staticmethod
    def last_user(iam) -> str:
        users = sorted(iam.list_users()["Users"], key=lambda u: u["CreateDate"])
        return users[-1]["UserName"]

    def create_account(self, name: str) -> str:
        status = self.orgs.create_account(Email=f"{name}-{unique('m')}@example.com", AccountName=name)[
            "CreateAccountStatus"
        ]
        assert status["State"] == "IN_PROGRESS"
        final = self.orgs.describe_create_account_status(CreateAccountRequestId=status["Id"])[
            "CreateAccountStatus"
        ]
        assert final["State"] == "SUCCEEDED", final
        return final["AccountId"]

    def admin(self, account: str) -> Creds:
        """A session in `account` through its OrganizationAccountAccessRole."""
        sts = self.server.sts(self.operator)
        return session_creds(
            sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{OAAR}", RoleSessionName="admin")
        )


@pytest.fixture(scope="module")
def org(server) -> Org:
    return Org(server)


# --- Organizations ---------------------------------------------------------------------------


def test_organizations_need_an_organization(fresh_server):
    orgs = hg.client("organizations", fresh_server.endpoint, fresh_server.root)
    expect_error(
        orgs.describe_organization,
        code="AWSOrganizationsNotInUseException",
        status=400,
        message="Your account is not a member of an organization.",
    )
    expect_error(
        orgs.create_account,
        Email="a@example.com",
        AccountName="a",
        code="AWSOrganizationsNotInUseException",
        status=400,
    )
    org = orgs.create_organization()["Organization"]
    assert org["FeatureSet"] == "ALL"
    assert org["MasterAccountId"] == MGMT
    assert re.fullmatch(r"o-[a-z0-9]{10}", org["Id"])
    assert org["Arn"] == f"arn:aws:organizations::{MGMT}:organization/{org['Id']}"
    assert org["AvailablePolicyTypes"] == [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]
    expect_error(
        orgs.create_organization,
        code="AlreadyInOrganizationException",
        status=400,
        message="The provided account is already a member of an organization.",
    )
    roots = orgs.list_roots()["Roots"]
    assert len(roots) == 1 and roots[0]["Name"] == "Root"
    assert re.fullmatch(r"r-[a-z0-9]{4}", roots[0]["Id"])
    policies = orgs.list_policies_for_target(TargetId=roots[0]["Id"], Filter="SERVICE_CONTROL_POLICY")
    assert [p["Name"] for p in policies["Policies"]] == ["FullAWSAccess"]
    assert policies["Policies"][0]["AwsManaged"] is True
    accounts = orgs.list_accounts()["Accounts"]
    assert [a["Id"] for a in accounts] == [MGMT]


def test_create_account_and_describe(org):
    orgs = org.orgs
    alpha = org.members["alpha"]
    accounts = orgs.list_accounts()["Accounts"]
    ids = [a["Id"] for a in accounts]
    assert ids[0] == MGMT and set(org.members.values()) <= set(ids)
    assert len(set(ids)) == len(ids)
    a = orgs.describe_account(AccountId=alpha)["Account"]
    assert a["Name"] == "alpha" and a["Status"] == "ACTIVE" and a["JoinedMethod"] == "CREATED"
    assert a["Arn"] == f"arn:aws:organizations::{MGMT}:account/{org.org['Id']}/{alpha}"
    # An e-mail already used is a FAILED request, not an error (spec 2 §0.5).
    status = orgs.create_account(Email=a["Email"], AccountName="again")["CreateAccountStatus"]
    final = orgs.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
    assert final["State"] == "FAILED" and final["FailureReason"] == "EMAIL_ALREADY_EXISTS"
    assert "AccountId" not in final
    failed = orgs.list_create_account_status(States=["FAILED"])["CreateAccountStatuses"]
    assert [s["Id"] for s in failed] == [status["Id"]]
    # Paginated with changing tokens (the CLI refuses a repeated token).
    pages = list(orgs.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 1}))
    assert [p["Accounts"][0]["Id"] for p in pages] == ids


def test_organizations_bad_input(org):
    orgs = org.orgs
    e = expect_error(orgs.describe_account, AccountId="12345", code="InvalidInputException", status=400)
    assert e.response["Reason"] == "INVALID_PATTERN"
    expect_error(
        orgs.describe_account,
        AccountId="999999999999",
        code="AccountNotFoundException",
        status=400,
        message="You specified an account that doesn't exist.",
    )
    expect_error(
        orgs.describe_create_account_status,
        CreateAccountRequestId="car-0123456789abcdef",
        code="CreateAccountStatusNotFoundException",
        status=400,
    )
    expect_error(
        orgs.create_account, Email="not-an-email", AccountName="x", code="InvalidInputException", status=400
    )
    expect_error(
        orgs.create_policy,
        Content='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}',
        Description="d",
        Name=unique("bad"),
        Type="SERVICE_CONTROL_POLICY",
        code="MalformedPolicyDocumentException",
        status=400,
    )
    expect_error(
        orgs.attach_policy,
        PolicyId="p-abcdefgh",
        TargetId=org.root_id,
        code="PolicyNotFoundException",
        status=400,
    )
    e = expect_error(
        orgs.detach_policy,
        PolicyId="p-FullAWSAccess",
        TargetId=org.members["gamma"],
        code="ConstraintViolationException",
        status=400,
    )
    assert e.response["Reason"] == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
    expect_error(
        orgs.move_account,
        AccountId=org.members["gamma"],
        SourceParentId=org.root_id,
        DestinationParentId=org.root_id,
        code="DuplicateAccountException",
        status=400,
    )
    name = unique("ou")
    orgs.create_organizational_unit(ParentId=org.root_id, Name=name)
    expect_error(
        orgs.create_organizational_unit,
        ParentId=org.root_id,
        Name=name,
        code="DuplicateOrganizationalUnitException",
        status=400,
    )
    expect_error(
        orgs.list_accounts, NextToken="bogus", code="InvalidInputException", status=400
    )
    # Nothing above created anything.
    assert orgs.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"][0]["Name"] == "FullAWSAccess"


def test_management_administers_members_through_the_access_role(org, server):
    alpha = org.members["alpha"]
    role = server.iam().get_role  # management's own IAM
    expect_error(role, RoleName=OAAR, code="NoSuchEntity", status=404)
    admin = org.admin(alpha)
    assert server.sts(admin).get_caller_identity()["Account"] == alpha
    iam = server.iam(admin)
    r = iam.get_role(RoleName=OAAR)["Role"]
    assert r["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": f"arn:aws:iam::{MGMT}:root"
    }
    attached = iam.list_attached_role_policies(RoleName=OAAR)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    name = unique("member-user")
    user = iam.create_user(UserName=name)["User"]
    assert user["Arn"] == f"arn:aws:iam::{alpha}:user/{name}"
    assert re.fullmatch(r"AIDA[A-Z0-9]{17}", user["UserId"])
    # The management account does not see it, and the member does not see management's users.
    expect_error(server.iam().get_user, UserName=name, code="NoSuchEntity", status=404)
    assert name not in hg.all_user_names(server.iam())
    assert hg.all_user_names(iam) == {name}
    # Without its own sts:AssumeRole allow, a management user cannot use the role.
    _, plain, _ = hg.create_user_with_key(server.iam())
    expect_error(
        server.sts(plain).assume_role,
        RoleArn=f"arn:aws:iam::{alpha}:role/{OAAR}",
        RoleSessionName="xx",
        code="AccessDenied",
        status=403,
    )
    # Nor can the management account's root (roots may not assume roles).
    expect_error(
        server.sts().assume_role,
        RoleArn=f"arn:aws:iam::{alpha}:role/{OAAR}",
        RoleSessionName="xx",
        code="AccessDenied",
        status=403,
        message="Roles may not be assumed by root accounts.",
    )


def member_root(server, account: str, tmp_path) -> Creds:
    out = tmp_path / f"root-{account}"
    p = subprocess.run(
        [
            str(hg.binary_path()),
            "member-root-credentials",
            "--data-dir",
            str(server.data_dir),
            "--member",
            account,
            "--output",
            str(out),
        ],
        env=hg.clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    creds = hg.read_credentials_file(out)
    # Only the key id is printed; the secret is in the 0600 file alone.
    assert creds.access_key_id in p.stdout and creds.secret_access_key not in p.stdout + p.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    return creds


def test_member_root_credentials_and_isolation(org, server, tmp_path):
    beta = org.members["beta"]
    root = member_root(server, beta, tmp_path)
    assert server.sts(root).get_caller_identity()["Arn"] == f"arn:aws:iam::{beta}:root"
    orgs = hg.client("organizations", server.endpoint, root)
    # Members may describe the organization, nothing else.
    assert orgs.describe_organization()["Organization"]["Id"] == org.org["Id"]
    for call, kw in [
        (orgs.list_accounts, {}),
        (orgs.list_roots, {}),
        (orgs.create_account, {"Email": "x@example.com", "AccountName": "x"}),
        (orgs.describe_account, {"AccountId": MGMT}),
    ]:
        expect_error(call, **kw, code="AccessDeniedException", status=400, message=NO_PERMISSION)
    expect_error(orgs.create_organization, code="AlreadyInOrganizationException", status=400)
    # The member's root sees its own account only.
    iam = server.iam(root)
    mgmt_user = unique("mgmt-only")
    server.iam().create_user(UserName=mgmt_user)
    expect_error(iam.get_user, UserName=mgmt_user, code="NoSuchEntity", status=404)
    assert mgmt_user not in hg.all_user_names(iam)
    expect_error(
        iam.delete_user, UserName=mgmt_user, code="NoSuchEntity", status=404
    )
    server.iam().get_user(UserName=mgmt_user)
    # The operator command refuses the management account and strangers.
    p = subprocess.run(
        [str(hg.binary_path()), "member-root-credentials", "--data-dir", str(server.data_dir), "--member", MGMT],
        env=hg.clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode != 0 and "management account" in p.stderr


# --- Service control policies ----------------------------------------------------------------


def test_scp_on_an_ou_stops_a_member_root(org, server, tmp_path):
    orgs = org.orgs
    gamma = org.members["gamma"]
    ou = orgs.create_organizational_unit(ParentId=org.root_id, Name=unique("guarded"))["OrganizationalUnit"]
    orgs.move_account(AccountId=gamma, SourceParentId=org.root_id, DestinationParentId=ou["Id"])
    assert orgs.list_parents(ChildId=gamma)["Parents"] == [{"Id": ou["Id"], "Type": "ORGANIZATIONAL_UNIT"}]
    children = orgs.list_children(ParentId=ou["Id"], ChildType="ACCOUNT")["Children"]
    assert children == [{"Id": gamma, "Type": "ACCOUNT"}]
    assert orgs.list_policies_for_target(TargetId=ou["Id"], Filter="SERVICE_CONTROL_POLICY")["Policies"][0][
        "Name"
    ] == "FullAWSAccess"
    scp = orgs.create_policy(
        Content=doc(deny("s3:DeleteBucket"), deny("iam:CreateUser")),
        Description="no bucket deletion",
        Name=unique("no-delete"),
        Type="SERVICE_CONTROL_POLICY",
    )["Policy"]["PolicySummary"]
    assert scp["Arn"] == (
        f"arn:aws:organizations::{MGMT}:policy/{org.org['Id']}/service_control_policy/{scp['Id']}"
    )
    orgs.attach_policy(PolicyId=scp["Id"], TargetId=ou["Id"])
    expect_error(
        orgs.attach_policy,
        PolicyId=scp["Id"],
        TargetId=ou["Id"],
        code="DuplicatePolicyAttachmentException",
        status=400,
    )
    targets = orgs.list_targets_for_policy(PolicyId=scp["Id"])["Targets"]
    assert [(t["TargetId"], t["Type"]) for t in targets] == [(ou["Id"], "ORGANIZATIONAL_UNIT")]

    root = member_root(server, gamma, tmp_path)
    s3 = s3_client(server.endpoint, root)
    bucket = unique("guarded")
    s3.create_bucket(Bucket=bucket)
    expect_error(s3.delete_bucket, Bucket=bucket, code="AccessDenied", status=403)
    # IAM names the SCP in its message.
    e = expect_error(server.iam(root).create_user, UserName=unique("u"), code="AccessDenied", status=403)
    assert e.response["Error"]["Message"].startswith(f"User: arn:aws:iam::{gamma}:root is not authorized")
    assert e.response["Error"]["Message"].endswith(
        f"with an explicit deny in a service control policy: {scp['Arn']}"
    )
    # The role the management account administers with is bound as well.
    admin = org.admin(gamma)
    expect_error(s3_client(server.endpoint, admin).delete_bucket, Bucket=bucket, code="AccessDenied", status=403)
    # The management account is never restricted, even by a deny on the root.
    orgs.attach_policy(PolicyId=scp["Id"], TargetId=org.root_id)
    mgmt_bucket = unique("mgmt")
    mgmt_s3 = s3_client(server.endpoint, server.root)
    mgmt_s3.create_bucket(Bucket=mgmt_bucket)
    mgmt_s3.delete_bucket(Bucket=mgmt_bucket)
    orgs.detach_policy(PolicyId=scp["Id"], TargetId=org.root_id)
    # Detached from the OU, the member's root may delete again.
    orgs.detach_policy(PolicyId=scp["Id"], TargetId=ou["Id"])
    s3.delete_bucket(Bucket=bucket)
    expect_error(orgs.delete_policy, PolicyId="p-FullAWSAccess", code="AccessDeniedException", status=400)
    orgs.delete_policy(PolicyId=scp["Id"])


def test_scp_allow_list_needs_every_level(org, server, tmp_path):
    """An allow-list SCP on the account: only what every level allows is possible."""
    orgs = org.orgs
    alpha = org.members["alpha"]
    only_s3 = orgs.create_policy(
        Content=doc(allow("s3:*")),
        Description="s3 only",
        Name=unique("s3-only"),
        Type="SERVICE_CONTROL_POLICY",
    )["Policy"]["PolicySummary"]
    orgs.attach_policy(PolicyId=only_s3["Id"], TargetId=alpha)
    orgs.detach_policy(PolicyId="p-FullAWSAccess", TargetId=alpha)
    try:
        admin = org.admin(alpha)
        s3 = s3_client(server.endpoint, admin)
        bucket = unique("allowed")
        s3.create_bucket(Bucket=bucket)
        s3.delete_bucket(Bucket=bucket)
        e = expect_error(server.iam(admin).list_users, code="AccessDenied", status=403)
        assert e.response["Error"]["Message"].endswith(
            "because no service control policy allows the iam:ListUsers action"
        )
    finally:
        orgs.attach_policy(PolicyId="p-FullAWSAccess", TargetId=alpha)
        orgs.detach_policy(PolicyId=only_s3["Id"], TargetId=alpha)
    server.iam(org.admin(alpha)).list_users()


# --- Cross-account AssumeRole ----------------------------------------------------------------


def test_cross_account_assume_role_with_external_id(org, server):
    alpha, beta = org.members["alpha"], org.members["beta"]
    b_iam = server.iam(org.admin(beta))
    role_name = unique("third-party")
    b_iam.create_role(
        RoleName=role_name,
        AssumeRolePolicyDocument=doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{alpha}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "shared-secret-42"}},
            }
        ),
    )
    role_arn = f"arn:aws:iam::{beta}:role/{role_name}"
    a_iam = server.iam(org.admin(alpha))
    user = unique("caller")
    a_iam.create_user(UserName=user)
    key = a_iam.create_access_key(UserName=user)["AccessKey"]
    caller = Creds.from_access_key(key)
    sts = server.sts(caller)
    # No identity permission in A yet.
    e = expect_error(
        sts.assume_role,
        RoleArn=role_arn,
        RoleSessionName="ss",
        ExternalId="shared-secret-42",
        code="AccessDenied",
        status=403,
    )
    assert f"arn:aws:iam::{alpha}:user/{user}" in e.response["Error"]["Message"]
    a_iam.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", resource=role_arn)))
    expect_error(sts.assume_role, RoleArn=role_arn, RoleSessionName="ss", code="AccessDenied", status=403)
    expect_error(
        sts.assume_role,
        RoleArn=role_arn,
        RoleSessionName="ss",
        ExternalId="wrong-secret",
        code="AccessDenied",
        status=403,
    )
    resp = sts.assume_role(RoleArn=role_arn, RoleSessionName="ss", ExternalId="shared-secret-42")
    assert resp["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{beta}:assumed-role/{role_name}/ss"
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", resp["Credentials"]["AccessKeyId"])
    assert server.sts(session_creds(resp)).get_caller_identity()["Account"] == beta
    # The temporary key belongs to the role's account, as GetAccessKeyInfo tells.
    info = server.sts(org.admin(alpha)).get_access_key_info(AccessKeyId=resp["Credentials"]["AccessKeyId"])
    assert info["Account"] == beta
    # A trust naming another account admits nobody from A.
    other = unique("other-trust")
    b_iam.create_role(
        RoleName=other,
        AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"AWS": org.members["gamma"]}, "Action": "sts:AssumeRole"}
        ),
    )
    a_iam.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole")))
    expect_error(
        sts.assume_role,
        RoleArn=f"arn:aws:iam::{beta}:role/{other}",
        RoleSessionName="ss",
        code="AccessDenied",
        status=403,
    )


def test_principal_org_id_in_trust(org, server):
    """A trust admitting any principal of the organization (aws:PrincipalOrgID)."""
    alpha, beta = org.members["alpha"], org.members["beta"]
    b_iam = server.iam(org.admin(beta))
    name = unique("org-wide")
    b_iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:PrincipalOrgID": org.org["Id"]},
                    "StringLike": {"aws:PrincipalOrgPaths": [f"{org.org['Id']}/{org.root_id}/*"]},
                },
            }
        ),
    )
    admin_a = org.admin(alpha)
    resp = server.sts(admin_a).assume_role(RoleArn=f"arn:aws:iam::{beta}:role/{name}", RoleSessionName="oo")
    assert resp["AssumedRoleUser"]["Arn"].startswith(f"arn:aws:sts::{beta}:assumed-role/{name}/")


# --- Cross-account S3 ------------------------------------------------------------------------


def test_cross_account_bucket(org, server):
    alpha, beta, gamma = org.members["alpha"], org.members["beta"], org.members["gamma"]
    # B's bucket grants A's role a read.
    a_iam = server.iam(org.admin(alpha))
    reader = unique("reader")
    a_iam.create_role(
        RoleName=reader,
        AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MGMT}:root"}, "Action": "sts:AssumeRole"}
        ),
    )
    reader_arn = f"arn:aws:iam::{alpha}:role/{reader}"
    b_s3 = s3_client(server.endpoint, org.admin(beta))
    bucket = unique("shared")
    b_s3.create_bucket(Bucket=bucket)
    b_s3.put_object(Bucket=bucket, Key="report.txt", Body=b"quarterly")
    b_s3.put_bucket_policy(
        Bucket=bucket,
        Policy=doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": reader_arn},
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ),
    )
    sts = server.sts(org.operator)
    reader_creds = session_creds(sts.assume_role(RoleArn=reader_arn, RoleSessionName="rr"))
    reader_s3 = s3_client(server.endpoint, reader_creds)
    # Bucket policy alone: A's identity policy does not allow yet.
    expect_error(reader_s3.get_object, Bucket=bucket, Key="report.txt", code="AccessDenied", status=403)
    # A's own policy admits resources of its organization only (aws:ResourceOrgID).
    def read_policy(org_id):
        a_iam.put_role_policy(
            RoleName=reader,
            PolicyName="read",
            PolicyDocument=doc(
                allow("s3:GetObject", "s3:PutObject", Condition={"StringEquals": {"aws:ResourceOrgID": org_id}})
            ),
        )

    read_policy("o-aaaaaaaaaa")
    expect_error(reader_s3.get_object, Bucket=bucket, Key="report.txt", code="AccessDenied", status=403)
    read_policy(org.org["Id"])
    assert reader_s3.get_object(Bucket=bucket, Key="report.txt")["Body"].read() == b"quarterly"
    # Written cross-account, the object still belongs to B (BucketOwnerEnforced).
    reader_s3.put_object(Bucket=bucket, Key="from-a.txt", Body=b"hi")
    listing = b_s3.list_objects_v2(Bucket=bucket, FetchOwner=True)["Contents"]
    owners = {o["Key"]: o["Owner"]["ID"] for o in listing}
    assert owners["from-a.txt"] == owners["report.txt"]
    # Identity allow alone, without a bucket grant: A's admin (AdministratorAccess) is refused.
    expect_error(
        s3_client(server.endpoint, org.admin(alpha)).get_object,
        Bucket=bucket,
        Key="report.txt",
        code="AccessDenied",
        status=403,
    )
    # A third account cannot read, whatever its own policies say.
    expect_error(
        s3_client(server.endpoint, org.admin(gamma)).get_object,
        Bucket=bucket,
        Key="report.txt",
        code="AccessDenied",
        status=403,
    )
    # B's buckets are not listed to A.
    names = {b["Name"] for b in s3_client(server.endpoint, org.admin(alpha)).list_buckets()["Buckets"]}
    assert bucket not in names


def test_bucket_policy_naming_an_account(org, server):
    """`"AWS": "<account id>"` delegates to that account, whose own policies then decide."""
    alpha, beta = org.members["alpha"], org.members["beta"]
    b_s3 = s3_client(server.endpoint, org.admin(beta))
    bucket = unique("acct-grant")
    b_s3.create_bucket(Bucket=bucket)
    b_s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    b_s3.put_bucket_policy(
        Bucket=bucket,
        Policy=doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": alpha},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ),
    )
    a_s3 = s3_client(server.endpoint, org.admin(alpha))
    assert a_s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    # The account's S3 canonical user id names it as well.
    canonical = a_s3.list_buckets()["Owner"]["ID"]
    assert re.fullmatch(r"[0-9a-f]{64}", canonical)
    b_s3.put_bucket_policy(
        Bucket=bucket,
        Policy=doc(
            {
                "Effect": "Allow",
                "Principal": {"CanonicalUser": canonical},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/k",
            }
        ),
    )
    assert a_s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    expect_error(
        s3_client(server.endpoint, org.admin(org.members["gamma"])).get_object,
        Bucket=bucket,
        Key="k",
        code="AccessDenied",
        status=403,
    )


# --- The aws CLI -----------------------------------------------------------------------------


def test_aws_cli(org, server):
    out = server.cli(["organizations", "list-accounts"]).ok()
    assert {a["Id"] for a in out["Accounts"]} >= set(org.members.values())
    ou = server.cli(
        ["organizations", "create-organizational-unit", "--parent-id", org.root_id, "--name", unique("cli")]
    ).ok()["OrganizationalUnit"]
    assert ou["Id"].startswith(f"ou-{org.root_id[2:]}-")
    listed = server.cli(["organizations", "list-organizational-units-for-parent", "--parent-id", org.root_id]).ok()
    assert ou["Id"] in {u["Id"] for u in listed["OrganizationalUnits"]}
    alpha = org.members["alpha"]
    arn = f"arn:aws:iam::{alpha}:role/{OAAR}"
    assumed = server.cli(["sts", "assume-role", "--role-arn", arn, "--role-session-name", "cli"], org.operator).ok()
    creds = Creds(
        assumed["Credentials"]["AccessKeyId"],
        assumed["Credentials"]["SecretAccessKey"],
        assumed["Credentials"]["SessionToken"],
    )
    ident = server.cli(["sts", "get-caller-identity"], creds).ok()
    assert ident["Account"] == alpha
    denied = server.cli(["organizations", "list-accounts"], creds)
    assert denied.rc != 0 and "AccessDeniedException" in denied.stderr
