"""Secrets Manager authorization: identity policies, resource policies on secrets (grant
and deny across principals), the secretsmanager condition keys, and policy validation."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

import hg
from smutil import sm


def code_of(e: ClientError) -> tuple[str, int]:
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def user_with_policy(iam, policy: dict | None):
    name, creds, _ = hg.create_user_with_key(iam)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    return name, creds


def allow(action, resource="*", condition=None):
    st = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        st["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [st]}


def test_resource_policy_grants_and_denies_across_principals(server):
    iam = server.iam()
    admin = sm(server)
    alice, alice_creds = user_with_policy(iam, None)
    bob, bob_creds = user_with_policy(iam, allow("secretsmanager:GetSecretValue"))
    name = hg.unique("shared")
    arn = admin.create_secret(Name=name, SecretString="s3cr3t")["ARN"]

    with pytest.raises(ClientError) as e:
        sm(server, alice_creds).get_secret_value(SecretId=name)
    assert code_of(e) == ("AccessDeniedException", 400)
    msg = e.value.response["Error"]["Message"]
    assert f"user/{alice} is not authorized to perform: secretsmanager:GetSecretValue" in msg
    assert "s3cr3t" not in msg
    # Without permission, a missing secret is AccessDenied too: nothing leaks.
    with pytest.raises(ClientError) as e:
        sm(server, alice_creds).get_secret_value(SecretId=hg.unique("absent"))
    assert code_of(e) == ("AccessDeniedException", 400)
    assert sm(server, bob_creds).get_secret_value(SecretId=name)["SecretString"] == "s3cr3t"

    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{hg.ACCOUNT_ID}:user/{alice}"},
             "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
            {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{hg.ACCOUNT_ID}:user/{bob}"},
             "Action": "secretsmanager:*", "Resource": "*"},
        ],
    }
    admin.put_resource_policy(SecretId=name, ResourcePolicy=json.dumps(policy))
    assert json.loads(admin.get_resource_policy(SecretId=arn)["ResourcePolicy"]) == policy
    # The resource policy alone grants alice (same account).
    assert sm(server, alice_creds).get_secret_value(SecretId=name)["SecretString"] == "s3cr3t"
    # Its explicit deny beats bob's identity allow.
    with pytest.raises(ClientError) as e:
        sm(server, bob_creds).get_secret_value(SecretId=name)
    assert code_of(e) == ("AccessDeniedException", 400)
    # alice may read, not write.
    with pytest.raises(ClientError) as e:
        sm(server, alice_creds).put_secret_value(SecretId=name, SecretString="x")
    assert code_of(e) == ("AccessDeniedException", 400)

    admin.delete_resource_policy(SecretId=name)
    assert "ResourcePolicy" not in admin.get_resource_policy(SecretId=name)
    with pytest.raises(ClientError) as e:
        sm(server, alice_creds).get_secret_value(SecretId=name)
    assert code_of(e) == ("AccessDeniedException", 400)
    assert sm(server, bob_creds).get_secret_value(SecretId=name)["SecretString"] == "s3cr3t"


def test_resource_policy_validation_and_public_block(server):
    admin = sm(server)
    name = hg.unique("pol")
    admin.create_secret(Name=name, SecretString="x")
    with pytest.raises(ClientError) as e:
        admin.put_resource_policy(SecretId=name, ResourcePolicy='{"Version": "2012-10-17", "Statement": [')
    assert code_of(e) == ("MalformedPolicyDocumentException", 400)
    public = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    with pytest.raises(ClientError) as e:
        admin.put_resource_policy(SecretId=name, ResourcePolicy=public, BlockPublicPolicy=True)
    assert code_of(e) == ("PublicPolicyException", 400)
    assert "ResourcePolicy" not in admin.get_resource_policy(SecretId=name)
    ok = admin.validate_resource_policy(SecretId=name, ResourcePolicy=public)
    assert ok["PolicyValidationPassed"] is True
    bad = admin.validate_resource_policy(ResourcePolicy='{"Statement": 5}')
    assert bad["PolicyValidationPassed"] is False
    assert bad["ValidationErrors"][0]["CheckName"] == "SYNTAX_CHECK"


def test_version_stage_condition_only_when_sent(server):
    iam = server.iam()
    admin = sm(server)
    name = hg.unique("stagecond")
    admin.create_secret(Name=name, SecretString="cur")
    admin.put_secret_value(SecretId=name, SecretString="pend", VersionStages=["AWSPENDING"])
    _, creds = user_with_policy(iam, allow(
        "secretsmanager:GetSecretValue", condition={"StringEquals": {"secretsmanager:VersionStage": "AWSCURRENT"}}))
    c = sm(server, creds)
    # The key is in the context only when the caller passes VersionStage.
    with pytest.raises(ClientError) as e:
        c.get_secret_value(SecretId=name)
    assert code_of(e) == ("AccessDeniedException", 400)
    assert c.get_secret_value(SecretId=name, VersionStage="AWSCURRENT")["SecretString"] == "cur"
    with pytest.raises(ClientError) as e:
        c.get_secret_value(SecretId=name, VersionStage="AWSPENDING")
    assert code_of(e) == ("AccessDeniedException", 400)


def test_resource_tag_and_secret_id_conditions(server):
    iam = server.iam()
    admin = sm(server)
    red, blue = hg.unique("red"), hg.unique("blue")
    red_arn = admin.create_secret(Name=red, SecretString="r", Tags=[{"Key": "team", "Value": "red"}])["ARN"]
    admin.create_secret(Name=blue, SecretString="b", Tags=[{"Key": "team", "Value": "blue"}])
    _, creds = user_with_policy(iam, allow(
        "secretsmanager:GetSecretValue", condition={"StringEquals": {"secretsmanager:ResourceTag/team": "red"}}))
    c = sm(server, creds)
    assert c.get_secret_value(SecretId=red)["SecretString"] == "r"
    with pytest.raises(ClientError) as e:
        c.get_secret_value(SecretId=blue)
    assert code_of(e) == ("AccessDeniedException", 400)
    _, creds2 = user_with_policy(iam, allow(
        "secretsmanager:DescribeSecret", condition={"StringEquals": {"secretsmanager:SecretId": red_arn}}))
    assert sm(server, creds2).describe_secret(SecretId=red)["ARN"] == red_arn
    with pytest.raises(ClientError) as e:
        sm(server, creds2).describe_secret(SecretId=blue)
    assert code_of(e) == ("AccessDeniedException", 400)
    # Resource ARNs with the ?????? suffix wildcard, as AWS documents.
    _, creds3 = user_with_policy(iam, allow(
        "secretsmanager:GetSecretValue",
        f"arn:aws:secretsmanager:us-east-1:{hg.ACCOUNT_ID}:secret:{red}-??????"))
    assert sm(server, creds3).get_secret_value(SecretId=red)["SecretString"] == "r"
    with pytest.raises(ClientError) as e:
        sm(server, creds3).get_secret_value(SecretId=blue)
    assert code_of(e) == ("AccessDeniedException", 400)


def test_create_with_tags_needs_tag_permission(server):
    iam = server.iam()
    _, creds = user_with_policy(iam, allow("secretsmanager:CreateSecret"))
    c = sm(server, creds)
    c.create_secret(Name=hg.unique("notags"), SecretString="x")
    with pytest.raises(ClientError) as e:
        c.create_secret(Name=hg.unique("tags"), SecretString="x", Tags=[{"Key": "a", "Value": "b"}])
    assert code_of(e) == ("AccessDeniedException", 400)


def test_tag_change_that_removes_own_access_is_refused(server):
    iam = server.iam()
    admin = sm(server)
    name = hg.unique("tagself")
    admin.create_secret(Name=name, SecretString="x", Tags=[{"Key": "team", "Value": "red"}])
    _, creds = user_with_policy(iam, allow(
        ["secretsmanager:TagResource", "secretsmanager:UntagResource"],
        condition={"StringEquals": {"secretsmanager:ResourceTag/team": "red"}}))
    c = sm(server, creds)
    c.tag_resource(SecretId=name, Tags=[{"Key": "env", "Value": "dev"}])
    with pytest.raises(ClientError) as e:
        c.tag_resource(SecretId=name, Tags=[{"Key": "team", "Value": "blue"}])
    assert code_of(e) == ("AccessDeniedException", 400)
    with pytest.raises(ClientError) as e:
        c.untag_resource(SecretId=name, TagKeys=["team"])
    assert code_of(e) == ("AccessDeniedException", 400)
    assert {t["Key"]: t["Value"] for t in admin.describe_secret(SecretId=name)["Tags"]} == {"team": "red", "env": "dev"}
