"""The leaked-key response (`hourglass respond-to-leaked-key`): on a chain user key → role A
→ role B, the key is deactivated, exactly the sessions derived from it are revoked (not the
sessions of the same roles made from another key), and the blast radius lists every action of
the key and of those sessions from the audit log (issue 15)."""

from __future__ import annotations

import json
import subprocess

from botocore.exceptions import ClientError

import hg

ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def trust(principal: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]})


def creds_of(c: dict) -> hg.Creds:
    return hg.Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def refused(call) -> str:
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("call succeeded")


def respond(srv, key_id: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(hg.binary_path()), "respond-to-leaked-key", "--access-key-id", key_id, "--data-dir", str(srv.data_dir), *extra],
        env=hg.clean_env(), capture_output=True, text=True, timeout=60,
    )


def test_chain_user_key_role_a_role_b(fresh_server):
    srv = fresh_server
    iam = srv.iam()
    _, leaked, _ = hg.create_user_with_key(iam, "alice")
    other = hg.Creds.from_access_key(iam.create_access_key(UserName="alice")["AccessKey"])
    iam.put_user_policy(UserName="alice", PolicyName="all", PolicyDocument=ALL)
    role_a = iam.create_role(RoleName="role-a", AssumeRolePolicyDocument=trust("arn:aws:iam::123456789012:root"))["Role"]
    iam.put_role_policy(RoleName="role-a", PolicyName="all", PolicyDocument=ALL)
    role_b = iam.create_role(RoleName="role-b", AssumeRolePolicyDocument=trust(role_a["Arn"]))["Role"]
    iam.put_role_policy(RoleName="role-b", PolicyName="all", PolicyDocument=ALL)

    sess_a = creds_of(srv.sts(leaked).assume_role(RoleArn=role_a["Arn"], RoleSessionName="sa")["Credentials"])
    sess_b = creds_of(srv.sts(sess_a).assume_role(RoleArn=role_b["Arn"], RoleSessionName="sb")["Credentials"])
    # The same roles, reached from the user's other key: not derived from the leaked key.
    other_a = creds_of(srv.sts(other).assume_role(RoleArn=role_a["Arn"], RoleSessionName="a2")["Credentials"])
    other_b = creds_of(srv.sts(other_a).assume_role(RoleArn=role_b["Arn"], RoleSessionName="b2")["Credentials"])

    srv.iam(leaked).list_roles()
    srv.iam(sess_a).list_users()
    s3 = hg.client("s3", srv.endpoint, sess_b)
    s3.create_bucket(Bucket="exfil")
    s3.put_object(Bucket="exfil", Key="dump.csv", Body=b"x")
    hg.expect_error(s3.get_object, Bucket="exfil", Key="missing", code="NoSuchKey", status=404)
    srv.iam(other_b).list_users()
    # LookupEvents commits the audit queue: every call above is in the log.
    hg.client("cloudtrail", srv.endpoint, hg.ROOT).lookup_events(MaxResults=1)

    p = respond(srv, leaked.access_key_id, "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["access_key_id"] == leaked.access_key_id
    assert out["owner_arn"] == "arn:aws:iam::123456789012:user/alice"
    assert out["deactivated"] is True

    # The key is inactive; both derived sessions are refused at once by the running server.
    keys = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]}
    assert keys == {leaked.access_key_id: "Inactive", other.access_key_id: "Active"}
    assert refused(srv.iam(leaked).list_roles) == "InvalidClientTokenId"
    assert refused(srv.iam(sess_a).list_users) == "InvalidClientTokenId"
    assert refused(srv.sts(sess_b).get_caller_identity) == "InvalidClientTokenId"
    assert refused(lambda: s3.list_objects_v2(Bucket="exfil")) in ("InvalidAccessKeyId", "InvalidToken", "InvalidClientTokenId")
    # Exactly those: the other key's sessions of the same roles still work.
    srv.iam(other_a).list_users()
    srv.sts(other_b).get_caller_identity()
    srv.iam(other).list_roles()

    b = out["blast_radius"]
    assert set(b["session_keys"]) == {sess_a.access_key_id, sess_b.access_key_id}
    # By the key: AssumeRole, ListRoles. By session A: AssumeRole, ListUsers. By B: 3 S3 calls.
    assert (b["by_key"], b["by_sessions"], b["events"]) == (2, 5, 7)
    s3_events = b["services"]["s3.amazonaws.com"]
    assert s3_events["exfil"]["CreateBucket ok"] == 1
    assert s3_events["arn:aws:s3:::exfil/dump.csv"]["PutObject ok"] == 1
    assert s3_events["arn:aws:s3:::exfil/missing"]["GetObject NoSuchKey"] == 1
    assert b["services"]["sts.amazonaws.com"][role_b["Arn"]]["AssumeRole ok"] == 1
    assert b["services"]["iam.amazonaws.com"]["(no resource)"] == {"ListRoles ok": 1, "ListUsers ok": 1}
    # Nothing of the other key's chain.
    assert other_b.access_key_id not in p.stdout and other_a.access_key_id not in p.stdout

    # The text report names the same things; running it again is harmless.
    p = respond(srv, leaked.access_key_id)
    assert p.returncode == 0, p.stderr
    assert "was already inactive" in p.stdout
    assert "PutObject ok x1" in p.stdout and sess_b.access_key_id in p.stdout
    for secret in (leaked.secret_access_key, sess_a.secret_access_key, sess_a.session_token, sess_b.session_token):
        assert secret not in p.stdout and secret not in p.stderr

    # Re-enabling the key later does not bring the revoked sessions back.
    iam.update_access_key(UserName="alice", AccessKeyId=leaked.access_key_id, Status="Active")
    assert refused(srv.iam(sess_a).list_users) == "InvalidClientTokenId"
    fresh = creds_of(srv.sts(leaked).assume_role(RoleArn=role_a["Arn"], RoleSessionName="new")["Credentials"])
    srv.iam(fresh).list_users()


def test_unknown_key_is_a_clear_failure(fresh_server):
    p = respond(fresh_server, "AKIANOSUCHKEY0000000")
    assert p.returncode != 0
    assert "cannot be found" in p.stderr


TARGET = "HourglassAdmin_20261201.RespondToLeakedKey"


def api(srv, creds, body):
    return hg.json_call(srv.endpoint, creds, TARGET, body, service="hourglass")


def chain(srv, iam, user: str):
    """user key → role A → role B, each with every permission; returns the key and sessions."""
    _, key, _ = hg.create_user_with_key(iam, user)
    iam.put_user_policy(UserName=user, PolicyName="all", PolicyDocument=ALL)
    role_a = iam.create_role(RoleName=f"{user}-a", AssumeRolePolicyDocument=trust("arn:aws:iam::123456789012:root"))["Role"]
    iam.put_role_policy(RoleName=f"{user}-a", PolicyName="all", PolicyDocument=ALL)
    role_b = iam.create_role(RoleName=f"{user}-b", AssumeRolePolicyDocument=trust(role_a["Arn"]))["Role"]
    iam.put_role_policy(RoleName=f"{user}-b", PolicyName="all", PolicyDocument=ALL)
    sess_a = creds_of(srv.sts(key).assume_role(RoleArn=role_a["Arn"], RoleSessionName="sa")["Credentials"])
    sess_b = creds_of(srv.sts(sess_a).assume_role(RoleArn=role_b["Arn"], RoleSessionName="sb")["Credentials"])
    return key, sess_a, sess_b


def test_api_on_a_chain(fresh_server):
    """The API the console will use: JSON 1.1, authorized by hourglass:RespondToLeakedKey on the
    key's owner; the same response as the command, and the command drives it with --endpoint-url."""
    srv = fresh_server
    iam = srv.iam()
    key, sess_a, sess_b = chain(srv, iam, "bob")
    hg.client("s3", srv.endpoint, sess_b).create_bucket(Bucket="loot")

    # A responder allowed only this action on bob; a bystander allowed nothing.
    _, responder, _ = hg.create_user_with_key(iam, "responder")
    iam.put_user_policy(UserName="responder", PolicyName="respond", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "hourglass:RespondToLeakedKey",
                                                "Resource": "arn:aws:iam::123456789012:user/bob"}]}))
    _, bystander, _ = hg.create_user_with_key(iam, "bystander")
    r = api(srv, bystander, {"AccessKeyId": key.access_key_id})
    assert r.status_code == 400 and r.json()["__type"].endswith("AccessDeniedException"), r.text
    body = r.json()
    assert "hourglass:RespondToLeakedKey" in body.get("Message", body.get("message", "")), body
    # Refused before anything changed.
    srv.sts(sess_b).get_caller_identity()
    # The responder may not act on another user's key (its own, here).
    r = api(srv, responder, {"AccessKeyId": bystander.access_key_id})
    assert r.status_code == 400 and r.json()["__type"].endswith("AccessDeniedException"), r.text

    # Bad input.
    r = api(srv, responder, {})
    assert r.status_code == 400 and r.json()["__type"].endswith("ValidationException"), r.text
    r = api(srv, responder, {"AccessKeyId": 5})
    assert r.status_code == 400 and r.json()["__type"].endswith("SerializationException"), r.text
    r = api(srv, responder, {"AccessKeyId": "AKIANOSUCHKEY0000000"})
    assert r.status_code == 400 and r.json()["__type"].endswith("NoSuchEntityException"), r.text
    r = hg.json_call(srv.endpoint, responder, "HourglassAdmin_20261201.Nope", {}, service="hourglass")
    assert r.status_code == 400 and r.json()["__type"].endswith("UnknownOperationException"), r.text

    hg.client("cloudtrail", srv.endpoint, hg.ROOT).lookup_events(MaxResults=1)
    r = api(srv, responder, {"AccessKeyId": key.access_key_id})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["access_key_id"] == key.access_key_id and out["deactivated"] is True
    assert out["owner_arn"] == "arn:aws:iam::123456789012:user/bob"
    b = out["blast_radius"]
    assert set(b["session_keys"]) == {sess_a.access_key_id, sess_b.access_key_id}
    assert b["services"]["s3.amazonaws.com"]["loot"]["CreateBucket ok"] == 1
    assert refused(srv.iam(key).list_roles) == "InvalidClientTokenId"
    assert refused(srv.sts(sess_a).get_caller_identity) == "InvalidClientTokenId"
    assert refused(srv.sts(sess_b).get_caller_identity) == "InvalidClientTokenId"
    for secret in (key.secret_access_key, sess_a.session_token, sess_b.session_token):
        assert secret not in r.text

    # The command through the API (root's credentials from the environment), on a second chain.
    key2, s2a, s2b = chain(srv, iam, "carol")
    srv.iam(s2b).list_users()
    hg.client("cloudtrail", srv.endpoint, hg.ROOT).lookup_events(MaxResults=1)
    p = subprocess.run(
        [str(hg.binary_path()), "respond-to-leaked-key", "--access-key-id", key2.access_key_id,
         "--endpoint-url", srv.endpoint, "--json"],
        env=hg.clean_env() | hg.ROOT.env(), capture_output=True, text=True, timeout=60,
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["deactivated"] is True
    assert set(out["blast_radius"]["session_keys"]) == {s2a.access_key_id, s2b.access_key_id}
    assert refused(srv.sts(s2b).get_caller_identity) == "InvalidClientTokenId"
    # Keys that do not descend from it are untouched.
    srv.sts(responder).get_caller_identity()
    # Errors from the API reach the operator.
    p = subprocess.run(
        [str(hg.binary_path()), "respond-to-leaked-key", "--access-key-id", key2.access_key_id,
         "--endpoint-url", srv.endpoint],
        env=hg.clean_env() | bystander.env(), capture_output=True, text=True, timeout=60,
    )
    assert p.returncode != 0 and "AccessDeniedException" in p.stderr, p.stderr
