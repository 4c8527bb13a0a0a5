"""STS parameter validation before any authorization (issue 12 item 7): every member's
model constraints are checked first and reported together in AWS's form
(`N validation error(s) detected: Value '…' at '…' failed to satisfy constraint: …; …`),
for root and for callers without any permission alike."""

from __future__ import annotations

import hg
from hg import ACCOUNT_ID, expect_error

ARN_PATTERN = (
    "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+"
)
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/does-not-matter"


def one(value, member, constraint):
    return f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"


def callers(server):
    """Root, and a user with no permission at all."""
    _, nobody, _ = hg.create_user_with_key(server.iam())
    return [server.sts(validate=False), server.sts(nobody, validate=False)]


def test_role_arn_before_anything(server):
    for sts in callers(server):
        expect_error(
            sts.assume_role,
            RoleArn="bad",
            RoleSessionName="ok",
            code="ValidationError",
            status=400,
            message=one("bad", "roleArn", "Member must have length greater than or equal to 20"),
        )
        expect_error(
            sts.assume_role,
            RoleArn="bad-arn-xxxxxxxxxxxxxxxx",
            RoleSessionName="ok",
            code="ValidationError",
            status=400,
            message="bad-arn-xxxxxxxxxxxxxxxx is invalid",
        )
    # A well-formed ARN from root reaches the root rule.
    expect_error(
        server.sts().assume_role,
        RoleArn=ROLE,
        RoleSessionName="ok",
        code="AccessDenied",
        status=403,
        message="Roles may not be assumed by root accounts.",
    )


def test_every_failure_is_reported_together(server):
    sts = server.sts(validate=False)
    expect_error(
        sts.assume_role,
        RoleArn="bad",
        RoleSessionName="a",
        code="ValidationError",
        status=400,
        message="2 validation errors detected: "
        "Value 'bad' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20; "
        "Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
    )
    expect_error(
        sts.assume_role,
        RoleArn="",
        RoleSessionName="has space",
        DurationSeconds=899,
        code="ValidationError",
        status=400,
        message="4 validation errors detected: "
        f"Value '' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: {ARN_PATTERN}; "
        "Value '' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20; "
        "Value 'has space' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*; "
        "Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    )
    expect_error(
        sts.assume_role,
        RoleArn=ROLE,
        RoleSessionName="ok",
        PolicyArns=[{"arn": f"arn:aws:iam::{ACCOUNT_ID}:policy/p{i}"} for i in range(11)],
        ExternalId="a",
        TokenCode="12ab",
        code="ValidationError",
        status=400,
        message="4 validation errors detected: "
        "Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10; "
        "Value 'a' at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2; "
        "Value '12ab' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]*; "
        "Value '12ab' at 'tokenCode' failed to satisfy constraint: Member must have length greater than or equal to 6",
    )


def test_one_member_at_a_time(server):
    sts = server.sts(validate=False)

    def bad(message, **kw):
        args = {"RoleArn": ROLE, "RoleSessionName": "ok", **kw}
        expect_error(sts.assume_role, code="ValidationError", status=400, message=message, **args)

    bad(one("43201", "durationSeconds", "Member must have value less than or equal to 43200"), DurationSeconds=43201)
    bad(one("x" * 65, "roleSessionName", "Member must have length less than or equal to 64"), RoleSessionName="x" * 65)
    bad(
        one("a b", "sourceIdentity", "Member must satisfy regular expression pattern: [\\w+=,.@-]*"),
        SourceIdentity="a b",
    )
    bad(
        one("a b", "externalId", "Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*"),
        ExternalId="a b",
    )
    bad(
        one("short", "serialNumber", "Member must have length greater than or equal to 9"),
        SerialNumber="short",
    )
    bad(
        "1 validation error detected: Value at 'policy' failed to satisfy constraint: "
        "Member must have length less than or equal to 2048",
        Policy="x" * 2049,
    )
    bad(
        "1 validation error detected: Value at 'tags' failed to satisfy constraint: "
        "Member must have length less than or equal to 50",
        Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)],
    )


def test_get_session_token_and_other_calls(server):
    for sts in callers(server):
        expect_error(
            sts.get_session_token,
            DurationSeconds=100,
            TokenCode="12",
            code="ValidationError",
            status=400,
            message="2 validation errors detected: "
            "Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900; "
            "Value '12' at 'tokenCode' failed to satisfy constraint: Member must have length greater than or equal to 6",
        )
        expect_error(
            sts.get_federation_token,
            Name="a",
            DurationSeconds=129601,
            code="ValidationError",
            status=400,
            message="2 validation errors detected: "
            "Value 'a' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 2; "
            "Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600",
        )
        expect_error(sts.get_access_key_info, AccessKeyId="AK", code="ValidationError", status=400)
        expect_error(sts.decode_authorization_message, EncodedMessage="", code="ValidationError", status=400)
