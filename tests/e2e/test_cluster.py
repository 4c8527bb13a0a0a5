"""Two nodes on one PostgreSQL schema: what one node changes, the other enforces.

Each node answers from its in-memory authorization snapshot (docs/performance.md, "Fast
path"). A change committed on one node reaches the other through a PostgreSQL notification
(milliseconds), with a poll of the change counter as the backstop; a node whose last check
was sent more than STALE_AFTER ago answers from the store instead, so after that bound a node
can no longer act on a view older than the change, however loaded it is or whether a
notification was lost. The tests wait out that documented bound (not a tuning guess) before
asserting on the other node.

Needs HOURGLASS_TEST_DATABASE_URL.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.parse
import uuid

import pytest
from botocore.exceptions import ClientError

import hg
from hg import ACCOUNT_ID, expect_error, unique

DB_URL = hg.DB_URL

# hourglass_store::generation::STALE_AFTER, plus scheduling slack for the test process.
STALE_AFTER = 1.0
SETTLE = STALE_AFTER + 0.3

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not DB_URL, reason=hg.NO_DB_REASON),
]


def settle() -> None:
    """Waits out the documented propagation bound between nodes."""
    time.sleep(SETTLE)


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(*actions, resource="*") -> dict:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource}


TRUST = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"})


@pytest.fixture
def cluster(server_factory):
    """cluster(db_url=DB_URL) -> (a, b): two started nodes on one fresh schema, sharing the
    server key ring (sessions sealed by one open on the other)."""
    schemas: list[str] = []
    nodes: list = []

    def make(url_b: str | None = None):
        schema = f"hg_e2e_cl_{uuid.uuid4().hex[:12]}"
        schemas.append(schema)
        a = server_factory(extra_args=["--database-url", DB_URL, "--database-schema", schema]).start()
        b = server_factory(
            extra_args=[
                "--database-url", url_b or DB_URL,
                "--database-schema", schema,
                "--server-key-file", str(a.data_dir / "server-keys"),
            ]
        ).start()
        nodes.extend((a, b))
        return a, b

    yield make
    # The nodes go first: a node's open transaction would hold the locks DROP SCHEMA waits for.
    try:
        for node in nodes:
            node.close()
    finally:
        hg.drop_pg_schemas(*schemas)


def user_with_policy(iam, *statements):
    name, creds, _ = hg.create_user_with_key(iam)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(*statements))
    return name, creds


def test_key_deactivated_or_deleted_on_one_node_is_refused_on_the_other(cluster):
    a, b = cluster()
    name, creds = user_with_policy(a.iam())
    # b has the key in its snapshot.
    for _ in range(3):
        assert b.sts(creds).get_caller_identity()["Arn"].endswith(f":user/{name}")
    a.iam().update_access_key(UserName=name, AccessKeyId=creds.access_key_id, Status="Inactive")
    # Refused at once on the writing node, and on the other within the bound.
    expect_error(a.sts(creds).get_caller_identity, code="InvalidClientTokenId", status=403)
    settle()
    expect_error(b.sts(creds).get_caller_identity, code="InvalidClientTokenId", status=403)
    # Reactivated on b: accepted on a.
    b.iam().update_access_key(UserName=name, AccessKeyId=creds.access_key_id, Status="Active")
    settle()
    assert a.sts(creds).get_caller_identity()["Arn"].endswith(f":user/{name}")
    assert b.sts(creds).get_caller_identity()["Arn"].endswith(f":user/{name}")
    a.iam().delete_access_key(UserName=name, AccessKeyId=creds.access_key_id)
    settle()
    expect_error(b.sts(creds).get_caller_identity, code="InvalidClientTokenId", status=403)


def test_policy_changed_on_one_node_applies_on_the_other(cluster):
    a, b = cluster()
    name, creds = user_with_policy(a.iam(), allow("iam:ListUsers"))
    b.iam(creds).list_users()
    b.iam(creds).list_users()
    # Replaced by a policy that no longer allows it.
    a.iam().put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(allow("iam:GetUser")))
    expect_error(a.iam(creds).list_users, code="AccessDenied", status=403)
    settle()
    expect_error(b.iam(creds).list_users, code="AccessDenied", status=403)
    # A managed policy attached on b is applied on a, and its new default version too.
    arn = b.iam().create_policy(PolicyName=unique("pol"), PolicyDocument=doc(allow("iam:ListUsers")))["Policy"]["Arn"]
    b.iam().attach_user_policy(UserName=name, PolicyArn=arn)
    settle()
    a.iam(creds).list_users()
    b.iam().create_policy_version(
        PolicyArn=arn, PolicyDocument=doc(allow("iam:ListRoles")), SetAsDefault=True
    )
    settle()
    expect_error(a.iam(creds).list_users, code="AccessDenied", status=403)
    a.iam(creds).list_roles()
    # An explicit deny through a group, added on a, applies on b.
    group = unique("g")
    a.iam().create_group(GroupName=group)
    a.iam().put_group_policy(
        GroupName=group, PolicyName="deny",
        PolicyDocument=doc({"Effect": "Deny", "Action": "iam:ListRoles", "Resource": "*"}),
    )
    b.iam(creds).list_roles()
    a.iam().add_user_to_group(GroupName=group, UserName=name)
    settle()
    e = expect_error(b.iam(creds).list_roles, code="AccessDenied", status=403)
    assert "explicit deny" in e.response["Error"]["Message"]


def test_service_control_policy_attached_on_one_node_applies_on_the_other(cluster):
    """The organization's view of an account (SCP levels) sits in each node's snapshot:
    attached or detached on one node, it binds or frees the member on the other."""
    a, b = cluster()
    orgs_a = hg.client("organizations", a.endpoint, a.root)
    orgs_a.create_organization(FeatureSet="ALL")
    status = orgs_a.create_account(Email=f"{unique('m')}@example.com", AccountName="member")["CreateAccountStatus"]
    member = orgs_a.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"][
        "AccountId"
    ]
    operator, creds = user_with_policy(a.iam(), allow("sts:AssumeRole"))
    resp = b.sts(creds).assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="admin"
    )
    c = resp["Credentials"]
    admin = hg.Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    # Allowed and cached on b.
    b.iam(admin).list_users()
    scp = orgs_a.create_policy(
        Content=doc({"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"}),
        Description="deny",
        Name=unique("deny"),
        Type="SERVICE_CONTROL_POLICY",
    )["Policy"]["PolicySummary"]
    orgs_a.attach_policy(PolicyId=scp["Id"], TargetId=member)
    expect_error(a.iam(admin).list_users, code="AccessDenied", status=403)
    settle()
    e = expect_error(b.iam(admin).list_users, code="AccessDenied", status=403)
    assert e.response["Error"]["Message"].endswith(
        f"with an explicit deny in a service control policy: {scp['Arn']}"
    )
    hg.client("organizations", b.endpoint, b.root).detach_policy(PolicyId=scp["Id"], TargetId=member)
    b.iam(admin).list_users()
    settle()
    a.iam(admin).list_users()


def test_two_key_limit_under_concurrent_creates_on_both_nodes(cluster):
    a, b = cluster()
    name = hg.create_user(a.iam())["UserName"]
    clients = [(a if i % 2 == 0 else b).iam() for i in range(10)]
    barrier = threading.Barrier(len(clients))
    results: list = [None] * len(clients)

    def worker(i):
        barrier.wait()
        try:
            results[i] = clients[i].create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
        except ClientError as e:
            results[i] = (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ok = [r for r in results if isinstance(r, str)]
    assert len(ok) == 2, results
    assert sorted(r for r in results if not isinstance(r, str)) == [("LimitExceeded", 409)] * 8, results
    for node in (a, b):
        listed = node.iam().list_access_keys(UserName=name)["AccessKeyMetadata"]
        assert sorted(m["AccessKeyId"] for m in listed) == sorted(ok)


def test_session_issued_by_one_node_is_accepted_and_revoked_on_the_other(cluster):
    a, b = cluster()
    iam = a.iam()
    role_name = unique("role")
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=TRUST)["Role"]
    iam.put_role_policy(RoleName=role_name, PolicyName="perms", PolicyDocument=doc(allow("iam:ListRoles")))
    _, ucreds = user_with_policy(iam, allow("sts:AssumeRole", resource=role["Arn"]))
    out = a.sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    c = out["Credentials"]
    session = hg.Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    ident = b.sts(session).get_caller_identity()
    assert ident["Arn"] == out["AssumedRoleUser"]["Arn"]
    b.iam(session).list_roles()
    # AWS's "revoke active sessions": an inline deny on sessions issued before now, written
    # through the operator command against node a's database.
    p = subprocess.run(
        [
            str(hg.binary_path()), "revoke-sessions", "--role", role_name,
            "--data-dir", str(a.data_dir), "--database-url", DB_URL,
            "--database-schema", a.extra_args[a.extra_args.index("--database-schema") + 1],
        ],
        env=hg.clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert p.returncode == 0, p.stderr
    settle()
    for node in (a, b):
        e = expect_error(node.iam(session).list_roles, code="AccessDenied", status=403)
        assert e.response["Error"]["Message"].endswith("with an explicit deny in an identity-based policy")
    # Deleting the role on b kills its sessions on a.
    time.sleep(1.1)  # the revocation cutoff has second precision
    c = a.sts(ucreds).assume_role(RoleArn=role["Arn"], RoleSessionName="s2")["Credentials"]
    fresh = hg.Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    a.iam(fresh).list_roles()
    b.iam().delete_role_policy(RoleName=role_name, PolicyName="perms")
    b.iam().delete_role_policy(RoleName=role_name, PolicyName="AWSRevokeOlderSessions")
    b.iam().delete_role(RoleName=role_name)
    settle()
    expect_error(a.sts(fresh).get_caller_identity, code="InvalidClientTokenId", status=403)


class Proxy:
    """A TCP forwarder to PostgreSQL that the test can cut and restore: node b's database."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        self.up = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                if not self.up:
                    client.close()
                    continue
                try:
                    server = socket.create_connection(self.target)
                except OSError:
                    client.close()
                    continue
                self.conns += [client, server]
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self):
        with self.lock:
            self.up = False
            for s in self.conns:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.conns.clear()

    def restore(self):
        with self.lock:
            self.up = True

    def close(self):
        self.cut()
        self.listener.close()


def test_node_that_loses_the_database_stops_answering_from_its_cache(cluster):
    u = urllib.parse.urlsplit(DB_URL)
    proxy = Proxy((u.hostname or "127.0.0.1", u.port or 5432))
    try:
        via_proxy = urllib.parse.urlunsplit(u._replace(netloc=f"{u.username or 'postgres'}@127.0.0.1:{proxy.port}"))
        a, b = cluster(url_b=via_proxy)
        name, creds = user_with_policy(a.iam(), allow("iam:ListUsers"))
        b.iam(creds).list_users()
        b.sts(creds).get_caller_identity()
        proxy.cut()
        # The key is deactivated while b cannot hear about it.
        a.iam().update_access_key(UserName=name, AccessKeyId=creds.access_key_id, Status="Inactive")
        settle()
        with pytest.raises(ClientError) as e:
            b.sts(creds).get_caller_identity()
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] in (403, 500, 503)
        proxy.restore()
        settle()
        settle()
        expect_error(b.sts(creds).get_caller_identity, code="InvalidClientTokenId", status=403)
        a.iam().update_access_key(UserName=name, AccessKeyId=creds.access_key_id, Status="Active")
        settle()
        assert b.sts(creds).get_caller_identity()["Arn"].endswith(f":user/{name}")
    finally:
        proxy.close()
