"""The policy simulator: SimulateCustomPolicy and SimulatePrincipalPolicy answer with the
real policy engine (checked against the engine's own decision corpus), with context
entries, permissions boundaries, matched statements and their positions;
GetContextKeysForCustomPolicy / ForPrincipalPolicy."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import pytest

import hg
from hg import ACCOUNT_ID, expect_error, unique

CORPUS = Path(__file__).resolve().parents[2] / "crates" / "policy" / "tests" / "corpus"
DECISIONS = {"Allow": "allowed", "ExplicitDeny": "explicitDeny", "ImplicitDeny": "implicitDeny"}


def corpus_cases():
    """The corpus's identity-only cases for IAM users (no resource, session or SCP policies)."""
    out = []
    for f in sorted(glob.glob(str(CORPUS / "*.json"))):
        d = json.loads(Path(f).read_text())
        defaults = d.get("defaults", {})
        for case in d["cases"]:
            c = {**defaults, **case}
            if "expect" not in c or "trust" in c or "parse" in c:
                continue
            if not str(c.get("principal", "")).startswith("user:"):
                continue
            if any(k in c for k in ("resource_policy", "session", "scp", "resource_account")):
                continue
            # The corpus names principals by synthetic unique ids; a simulated caller has its own.
            if "userid" in json.dumps(c) or "AIDA" in json.dumps(c):
                continue
            out.append(pytest.param(c, id=f"{Path(f).stem}:{c['name']}"))
    return out


def user_arn(spec: str) -> str:
    parts = spec.split(":")
    acct, rest = parts[1], parts[2:]
    path = rest[0] if len(rest) == 2 else "/"
    return f"arn:aws:iam::{acct}:user{path}{rest[-1]}"


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def doc(v) -> str:
    if isinstance(v, dict) and "document" in v:  # {"id", "document"}: a labelled policy
        v = v["document"]
    return v if isinstance(v, str) else json.dumps(v)


def context_entries(ctx: dict) -> list[dict]:
    out = []
    for k, v in (ctx or {}).items():
        values = [json.dumps(x) if not isinstance(x, str) else x for x in as_list(v)]
        values = [x.lower() if x in ("True", "False") else x for x in values]
        entry = {"ContextKeyName": k, "ContextKeyValues": values, "ContextKeyType": "stringList" if isinstance(v, list) else "string"}
        out.append(entry)
    return out


@pytest.fixture(scope="module")
def sim(server):
    return server.iam(validate=False)


@pytest.mark.parametrize("case", corpus_cases())
def test_simulator_agrees_with_engine_corpus(sim, case):
    policies = [doc(p) for p in as_list(case.get("identity"))]
    kw = {
        "PolicyInputList": policies,
        "ActionNames": [case["action"]],
        "CallerArn": user_arn(case["principal"]),
        "ContextEntries": context_entries(case.get("context")),
    }
    if case.get("resource"):
        kw["ResourceArns"] = [case["resource"]]
    if case.get("boundary"):
        kw["PermissionsBoundaryPolicyInputList"] = [doc(case["boundary"])]
    if not policies:
        pytest.skip("no identity policy (SimulateCustomPolicy needs one)")
    result = sim.simulate_custom_policy(**kw)["EvaluationResults"][0]
    assert result["EvalDecision"] == DECISIONS[case["expect"]["effect"]], result


def test_matched_statements_and_positions(iam):
    c = iam()
    policy = (
        "{\n"
        '  "Version": "2012-10-17",\n'
        '  "Statement": [\n'
        '    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},\n'
        '    {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}\n'
        "  ]\n"
        "}"
    )
    out = c.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:GetObject", "s3:DeleteBucket", "ec2:RunInstances"])
    by_action = {r["EvalActionName"]: r for r in out["EvaluationResults"]}
    get = by_action["s3:GetObject"]
    assert get["EvalDecision"] == "allowed" and get["EvalResourceName"] == "*"
    assert get["MatchedStatements"] == [
        {
            "SourcePolicyId": "PolicyInputList.1",
            "SourcePolicyType": "IAM Policy",
            "StartPosition": {"Line": 4, "Column": 5},
            "EndPosition": {"Line": 4, "Column": 58},
        }
    ]
    deny = by_action["s3:DeleteBucket"]
    assert deny["EvalDecision"] == "explicitDeny"
    assert [m["StartPosition"]["Line"] for m in deny["MatchedStatements"]] == [5]
    assert by_action["ec2:RunInstances"]["EvalDecision"] == "implicitDeny"
    assert by_action["ec2:RunInstances"]["MatchedStatements"] == []


def test_context_entries_and_missing_keys(iam):
    c = iam()
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
            ],
        }
    )
    r = c.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:GetObject"])["EvaluationResults"][0]
    assert r["EvalDecision"] == "implicitDeny" and r["MissingContextValues"] == ["aws:SourceIp"]
    ok = c.simulate_custom_policy(
        PolicyInputList=[policy],
        ActionNames=["s3:GetObject"],
        ContextEntries=[{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.2.3"], "ContextKeyType": "ip"}],
    )["EvaluationResults"][0]
    assert ok["EvalDecision"] == "allowed" and ok["MissingContextValues"] == []
    keys = c.get_context_keys_for_custom_policy(PolicyInputList=[policy])["ContextKeyNames"]
    assert keys == ["aws:SourceIp"]


def test_permissions_boundary(iam):
    c = iam()
    allow_all = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    s3_only = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    out = c.simulate_custom_policy(
        PolicyInputList=[allow_all], PermissionsBoundaryPolicyInputList=[s3_only], ActionNames=["s3:GetObject", "iam:CreateUser"]
    )["EvaluationResults"]
    by = {r["EvalActionName"]: r for r in out}
    assert by["s3:GetObject"]["EvalDecision"] == "allowed"
    assert by["s3:GetObject"]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"] is True
    assert by["iam:CreateUser"]["EvalDecision"] == "implicitDeny"
    assert by["iam:CreateUser"]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"] is False


def test_principal_policy_uses_stored_policies(iam):
    c = iam()
    name = hg.create_user(c)["UserName"]
    group = unique("g")
    c.create_group(GroupName=group)
    c.add_user_to_group(GroupName=group, UserName=name)
    c.put_group_policy(
        GroupName=group,
        PolicyName="grp",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}),
    )
    c.put_user_policy(
        UserName=name,
        PolicyName="own",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}]}
        ),
    )
    c.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    out = c.simulate_principal_policy(
        PolicySourceArn=arn,
        ActionNames=["s3:GetObject", "sqs:SendMessage", "iam:GetUser", "iam:CreateUser"],
        ResourceArns=[f"arn:aws:s3:::b/{name}/x"],
    )["EvaluationResults"]
    by = {r["EvalActionName"]: r for r in out}
    assert by["s3:GetObject"]["EvalDecision"] == "allowed"
    assert by["s3:GetObject"]["MatchedStatements"][0]["SourcePolicyId"] == "own"
    assert by["s3:GetObject"]["MatchedStatements"][0]["SourcePolicyType"] == "user"
    assert by["sqs:SendMessage"]["MatchedStatements"][0]["SourcePolicyType"] == "group"
    assert by["iam:GetUser"]["EvalDecision"] == "allowed"
    assert by["iam:GetUser"]["MatchedStatements"][0]["SourcePolicyType"] == "aws-managed"
    assert by["iam:CreateUser"]["EvalDecision"] == "implicitDeny"
    # Another user's prefix is not theirs.
    other = c.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["s3:GetObject"], ResourceArns=["arn:aws:s3:::b/else/x"])
    assert other["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    keys = c.get_context_keys_for_principal_policy(PolicySourceArn=arn)["ContextKeyNames"]
    assert keys == []
    expect_error(
        c.simulate_principal_policy,
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT_ID}:user/{unique('ghost')}",
        ActionNames=["s3:GetObject"],
        code="NoSuchEntity",
        status=404,
    )


def test_group_as_policy_source(iam):
    c = iam()
    group = unique("g")
    c.create_group(GroupName=group)
    c.put_group_policy(
        GroupName=group,
        PolicyName="queues",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}),
    )
    c.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/job-function/ViewOnlyAccess")
    mine = c.create_policy(
        PolicyName=unique("deny-purge"),
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sqs:PurgeQueue", "Resource": "*"}]}),
    )["Policy"]["Arn"]
    c.attach_group_policy(GroupName=group, PolicyArn=mine)
    arn = f"arn:aws:iam::{ACCOUNT_ID}:group/{group}"
    out = c.simulate_principal_policy(
        PolicySourceArn=arn,
        ActionNames=["sqs:SendMessage", "sqs:PurgeQueue", "iam:ListUsers", "iam:CreateUser"],
    )["EvaluationResults"]
    by = {r["EvalActionName"]: r for r in out}
    assert by["sqs:SendMessage"]["EvalDecision"] == "allowed"
    assert by["sqs:SendMessage"]["MatchedStatements"][0]["SourcePolicyId"] == "queues"
    assert by["sqs:SendMessage"]["MatchedStatements"][0]["SourcePolicyType"] == "group"
    assert by["sqs:PurgeQueue"]["EvalDecision"] == "explicitDeny"
    assert by["sqs:PurgeQueue"]["MatchedStatements"][0]["SourcePolicyType"] == "user-managed"
    assert by["iam:ListUsers"]["EvalDecision"] == "allowed"
    assert by["iam:ListUsers"]["MatchedStatements"][0]["SourcePolicyId"] == "ViewOnlyAccess"
    assert by["iam:ListUsers"]["MatchedStatements"][0]["SourcePolicyType"] == "aws-managed"
    assert by["iam:CreateUser"]["EvalDecision"] == "implicitDeny"
    # Extra policies passed in are evaluated with the group's.
    extra = c.simulate_principal_policy(
        PolicySourceArn=arn,
        ActionNames=["iam:CreateUser"],
        PolicyInputList=[json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"}]})],
    )["EvaluationResults"]
    assert extra[0]["EvalDecision"] == "allowed"
    keys = c.get_context_keys_for_principal_policy(PolicySourceArn=arn)["ContextKeyNames"]
    assert keys == []
    expect_error(
        c.simulate_principal_policy,
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT_ID}:group/{unique('ghost')}",
        ActionNames=["s3:GetObject"],
        code="NoSuchEntity",
        status=404,
    )


def test_bad_input(server, iam):
    c = iam()
    raw = server.iam(validate=False)
    expect_error(
        c.simulate_custom_policy, PolicyInputList=["{not json"], ActionNames=["s3:GetObject"], code="MalformedPolicyDocument", status=400
    )
    expect_error(raw.simulate_custom_policy, PolicyInputList=[], ActionNames=["s3:GetObject"], code="ValidationError", status=400)
    _, creds, _ = hg.create_user_with_key(c)
    allow = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    expect_error(iam(creds).simulate_custom_policy, PolicyInputList=[allow], ActionNames=["s3:GetObject"], code="AccessDenied", status=403)


def test_aws_cli(server):
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]})
    out = server.cli(["iam", "simulate-custom-policy", "--policy-input-list", policy, "--action-names", "s3:ListBucket", "s3:PutObject"]).ok()
    assert [r["EvalDecision"] for r in out["EvaluationResults"]] == ["allowed", "implicitDeny"]


def test_assume_role_includes_trust_policy(iam, sts):
    """Hourglass's extension: sts:AssumeRole on a role is decided with the role's trust policy,
    and the answer matches what AssumeRole itself does."""
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    user_arn_ = f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    c.put_user_policy(
        UserName=name,
        PolicyName="assume",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}),
    )

    def role(principal):
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}
        return c.create_role(RoleName=unique("simr"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]

    trusted = role({"AWS": user_arn_})
    untrusted = role({"Service": "ec2.amazonaws.com"})
    out = c.simulate_principal_policy(PolicySourceArn=user_arn_, ActionNames=["sts:AssumeRole"], ResourceArns=[trusted, untrusted])
    by = {r["EvalResourceName"]: r["EvalDecision"] for r in out["EvaluationResults"]}
    assert by == {trusted: "allowed", untrusted: "implicitDeny"}
    # The same answers as AssumeRole itself.
    sts(creds).assume_role(RoleArn=trusted, RoleSessionName="sim")
    expect_error(sts(creds).assume_role, RoleArn=untrusted, RoleSessionName="sim", code="AccessDenied", status=403)
