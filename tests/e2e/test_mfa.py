"""MFA for real: virtual MFA devices (Create/Enable/Resync/Deactivate/Delete, GetMFADevice,
ListMFADevices, ListVirtualMFADevices, Tag/Untag/ListMFADeviceTags) verified with RFC 6238
TOTP computed here, and GetSessionToken / AssumeRole with SerialNumber + TokenCode setting
aws:MultiFactorAuthPresent and aws:MultiFactorAuthAge; wrong, replayed and stale codes are
refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
import time

import hg
from hg import ACCOUNT_ID, expect_error, unique

INVALID_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."


def totp(seed_b32: bytes | str, step: int) -> str:
    """RFC 6238 (SHA-1, 6 digits) at time step `step`."""
    if isinstance(seed_b32, bytes):
        seed_b32 = seed_b32.decode()
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    n = (struct.unpack(">I", mac[off : off + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{n:06d}"


def now_step() -> int:
    return int(time.time()) // 30


def enabled_user(c):
    """A user with a key and an enabled virtual device; returns (name, creds, serial, seed, step)
    where `step` is the newest step the device has accepted."""
    name, creds, _ = hg.create_user_with_key(c)
    dev = c.create_virtual_mfa_device(VirtualMFADeviceName=unique("dev"))["VirtualMFADevice"]
    seed = dev["Base32StringSeed"]
    t = now_step()
    c.enable_mfa_device(
        UserName=name,
        SerialNumber=dev["SerialNumber"],
        AuthenticationCode1=totp(seed, t - 1),
        AuthenticationCode2=totp(seed, t),
    )
    return name, creds, dev["SerialNumber"], seed, t


def allow(*actions, condition=None) -> str:
    stmt = {"Effect": "Allow", "Action": list(actions), "Resource": "*"}
    if condition:
        stmt["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt]})


def test_create_returns_seed_and_qr(iam):
    c = iam()
    name = unique("dev")
    dev = c.create_virtual_mfa_device(VirtualMFADeviceName=name, Path="/team/")["VirtualMFADevice"]
    assert dev["SerialNumber"] == f"arn:aws:iam::{ACCOUNT_ID}:mfa/team/{name}"
    seed = dev["Base32StringSeed"].decode()
    assert len(seed) == 32 and set(seed) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), seed
    assert dev["QRCodePNG"].startswith(b"\x89PNG\r\n\x1a\n")
    expect_error(
        c.create_virtual_mfa_device,
        VirtualMFADeviceName=name,
        Path="/team/",
        code="EntityAlreadyExists",
        status=409,
        message="MFADevice entity at the same path and name already exists.",
    )
    unassigned = c.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert dev["SerialNumber"] in [d["SerialNumber"] for d in unassigned]
    # The seed is never shown again.
    listed = next(d for d in unassigned if d["SerialNumber"] == dev["SerialNumber"])
    assert "Base32StringSeed" not in listed and "QRCodePNG" not in listed
    c.delete_virtual_mfa_device(SerialNumber=dev["SerialNumber"])
    expect_error(c.delete_virtual_mfa_device, SerialNumber=dev["SerialNumber"], code="NoSuchEntity", status=404)


def test_enable_requires_two_consecutive_valid_codes(iam):
    c = iam()
    name, _, _ = hg.create_user_with_key(c)
    dev = c.create_virtual_mfa_device(VirtualMFADeviceName=unique("dev"))["VirtualMFADevice"]
    seed, serial, t = dev["Base32StringSeed"], dev["SerialNumber"], now_step()
    bad = f"{(int(totp(seed, t)) + 1) % 1_000_000:06d}"
    for c1, c2 in [(totp(seed, t), totp(seed, t - 1)), (totp(seed, t - 1), bad), (totp(seed, t - 40), totp(seed, t - 39))]:
        expect_error(
            c.enable_mfa_device,
            UserName=name,
            SerialNumber=serial,
            AuthenticationCode1=c1,
            AuthenticationCode2=c2,
            code="InvalidAuthenticationCode",
            status=403,
            message="Authentication code for device is not valid.",
        )
    assert c.list_mfa_devices(UserName=name)["MFADevices"] == []
    c.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1=totp(seed, t - 1), AuthenticationCode2=totp(seed, t))
    devices = c.list_mfa_devices(UserName=name)["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in devices] == [(name, serial)]
    assigned = c.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    mine = next(d for d in assigned if d["SerialNumber"] == serial)
    assert mine["User"]["UserName"] == name and "EnableDate" in mine
    # Already in use: cannot be enabled for anyone else.
    other, _, _ = hg.create_user_with_key(c)
    expect_error(
        c.enable_mfa_device,
        UserName=other,
        SerialNumber=serial,
        AuthenticationCode1=totp(seed, t),
        AuthenticationCode2=totp(seed, t + 1),
        code="EntityAlreadyExists",
        status=409,
    )


def test_bad_codes_are_validation_errors(server, iam):
    raw = server.iam(validate=False)
    name, _, _ = hg.create_user_with_key(iam())
    serial = f"arn:aws:iam::{ACCOUNT_ID}:mfa/x-device"
    for c1 in ["12345", "1234567", "abcdef"]:
        expect_error(
            raw.enable_mfa_device,
            UserName=name,
            SerialNumber=serial,
            AuthenticationCode1=c1,
            AuthenticationCode2="123456",
            code="ValidationError",
            status=400,
        )


def test_session_token_with_mfa_and_replay(iam, sts):
    c = iam()
    name, creds, serial, seed, t = enabled_user(c)
    c.put_user_policy(
        UserName=name,
        PolicyName="mfa-only",
        PolicyDocument=allow("iam:GetUser", condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}),
    )
    # Long-term keys carry no MFA age: denied.
    expect_error(iam(creds).get_user, UserName=name, code="AccessDenied", status=403)
    # A wrong code, and codes of steps the device already accepted, are refused.
    wrong = f"{(int(totp(seed, t + 1)) + 7) % 1_000_000:06d}"
    for code in [wrong, totp(seed, t), totp(seed, t - 1)]:
        expect_error(
            sts(creds).get_session_token,
            SerialNumber=serial,
            TokenCode=code,
            code="AccessDenied",
            status=403,
            message=INVALID_CODE,
        )
    good = totp(seed, t + 1)
    got = sts(creds).get_session_token(SerialNumber=serial, TokenCode=good)["Credentials"]
    session = hg.Creds(got["AccessKeyId"], got["SecretAccessKey"], got["SessionToken"])
    assert iam(session).get_user(UserName=name)["User"]["UserName"] == name
    # The same code again is a replay.
    expect_error(
        sts(creds).get_session_token, SerialNumber=serial, TokenCode=good, code="AccessDenied", status=403, message=INVALID_CODE
    )


def test_wrong_device_or_owner_refused(iam, sts):
    c = iam()
    name, creds, serial, seed, t = enabled_user(c)
    _, other_creds, _ = hg.create_user_with_key(c)
    expect_error(
        sts(other_creds).get_session_token,
        SerialNumber=serial,
        TokenCode=totp(seed, t + 1),
        code="AccessDenied",
        status=403,
        match="unable to validate MFA code",
    )
    expect_error(
        sts(creds).get_session_token,
        SerialNumber=f"arn:aws:iam::{ACCOUNT_ID}:mfa/{unique('nodev')}",
        TokenCode=totp(seed, t + 1),
        code="AccessDenied",
        status=403,
        match="unable to validate MFA code",
    )
    # Neither refusal spent the code: the owner can still use it.
    sts(creds).get_session_token(SerialNumber=serial, TokenCode=totp(seed, t + 1))


def test_trust_policy_requiring_mfa(iam, sts):
    c = iam()
    name, creds, serial, seed, t = enabled_user(c)
    c.put_user_policy(UserName=name, PolicyName="assume", PolicyDocument=allow("sts:AssumeRole"))
    role = unique("mfarole")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"},
                "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ],
    }
    arn = c.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    c.put_role_policy(
        RoleName=role,
        PolicyName="p",
        PolicyDocument=allow("iam:ListRoles", condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
    )
    expect_error(sts(creds).assume_role, RoleArn=arn, RoleSessionName="sess", code="AccessDenied", status=403)
    out = sts(creds).assume_role(RoleArn=arn, RoleSessionName="sess", SerialNumber=serial, TokenCode=totp(seed, t + 1))
    cr = out["Credentials"]
    session = hg.Creds(cr["AccessKeyId"], cr["SecretAccessKey"], cr["SessionToken"])
    # The role session carries MFA: the MFA-conditioned role policy allows it.
    iam(session).list_roles(MaxItems=1)
    expect_error(
        sts(creds).assume_role,
        RoleArn=arn,
        RoleSessionName="sess",
        SerialNumber=serial,
        TokenCode=totp(seed, t + 1),
        code="AccessDenied",
        status=403,
        message=INVALID_CODE,
    )


def test_resync_deactivate_delete_and_user_conflict(iam):
    c = iam()
    name, _, serial, seed, t = enabled_user(c)
    # Resync must move forward: the pair enable used is refused.
    expect_error(
        c.resync_mfa_device,
        UserName=name,
        SerialNumber=serial,
        AuthenticationCode1=totp(seed, t - 1),
        AuthenticationCode2=totp(seed, t),
        code="InvalidAuthenticationCode",
        status=403,
    )
    c.resync_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1=totp(seed, t), AuthenticationCode2=totp(seed, t + 1))
    expect_error(
        c.delete_virtual_mfa_device,
        SerialNumber=serial,
        code="DeleteConflict",
        status=409,
    )
    keys = c.list_access_keys(UserName=name)["AccessKeyMetadata"]
    for k in keys:
        c.delete_access_key(UserName=name, AccessKeyId=k["AccessKeyId"])
    expect_error(
        c.delete_user,
        UserName=name,
        code="DeleteConflict",
        status=409,
        message="Cannot delete entity, must delete MFA device first.",
    )
    other, _, _ = hg.create_user_with_key(c)
    expect_error(c.deactivate_mfa_device, UserName=other, SerialNumber=serial, code="NoSuchEntity", status=404)
    c.deactivate_mfa_device(UserName=name, SerialNumber=serial)
    assert c.list_mfa_devices(UserName=name)["MFADevices"] == []
    c.delete_user(UserName=name)
    c.delete_virtual_mfa_device(SerialNumber=serial)


def test_summary_counts(iam):
    c = iam()
    before = c.get_account_summary()["SummaryMap"]
    enabled_user(c)
    c.create_virtual_mfa_device(VirtualMFADeviceName=unique("dev"))
    after = c.get_account_summary()["SummaryMap"]
    assert after["MFADevices"] == before["MFADevices"] + 2
    assert after["MFADevicesInUse"] == before["MFADevicesInUse"] + 1


def test_permissions(iam):
    c = iam()
    _, creds, _ = hg.create_user_with_key(c)
    expect_error(iam(creds).create_virtual_mfa_device, VirtualMFADeviceName=unique("dev"), code="AccessDenied", status=403)
    expect_error(iam(creds).list_virtual_mfa_devices, code="AccessDenied", status=403)


def test_aws_cli(server, iam, tmp_path):
    name, creds, _ = hg.create_user_with_key(iam())
    dev_name = unique("clidev")
    png = tmp_path / "qr.png"
    out = server.cli(
        ["iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", dev_name,
         "--outfile", str(png), "--bootstrap-method", "Base32StringSeed"]
    ).ok()
    serial = out["VirtualMFADevice"]["SerialNumber"]
    seed = png.read_text()
    t = now_step()
    server.cli(
        ["iam", "enable-mfa-device", "--user-name", name, "--serial-number", serial,
         "--authentication-code1", totp(seed, t - 1), "--authentication-code2", totp(seed, t)]
    ).ok()
    listed = server.cli(["iam", "list-mfa-devices", "--user-name", name]).ok()
    assert [d["SerialNumber"] for d in listed["MFADevices"]] == [serial]
    got = server.cli(["sts", "get-session-token", "--serial-number", serial, "--token-code", totp(seed, t + 1)], creds=creds).ok()
    assert got["Credentials"]["AccessKeyId"].startswith("ASIA")
    res = server.cli(["sts", "get-session-token", "--serial-number", serial, "--token-code", totp(seed, t + 1)], creds=creds)
    assert res.rc != 0 and "AccessDenied" in res.stderr


def no_such_device(serial: str) -> str:
    return f"VirtualMFADevice with serial number {serial} doesn't exist."


def tags_of(c, serial):
    return [(t["Key"], t["Value"]) for t in c.list_mfa_device_tags(SerialNumber=serial)["Tags"]]


def virtual_device(c, serial):
    devices = c.get_paginator("list_virtual_mfa_devices").paginate(AssignmentStatus="Any")
    return next((d for page in devices for d in page["VirtualMFADevices"] if d["SerialNumber"] == serial), None)


def test_tags_from_create_to_delete(iam):
    c = iam()
    created = c.create_virtual_mfa_device(
        VirtualMFADeviceName=unique("dev"), Tags=[{"Key": "team", "Value": "a"}]
    )["VirtualMFADevice"]
    serial = created["SerialNumber"]
    assert created["Tags"] == [{"Key": "team", "Value": "a"}]
    assert tags_of(c, serial) == [("team", "a")]
    # Keys are case-insensitive: the new key's case and value win.
    c.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "Team", "Value": "b"}, {"Key": "env", "Value": "dev"}])
    assert tags_of(c, serial) == [("env", "dev"), ("Team", "b")]
    assert virtual_device(c, serial)["Tags"] == [{"Key": "env", "Value": "dev"}, {"Key": "Team", "Value": "b"}]
    c.untag_mfa_device(SerialNumber=serial, TagKeys=["TEAM", "not-there"])
    assert tags_of(c, serial) == [("env", "dev")]
    c.untag_mfa_device(SerialNumber=serial, TagKeys=["env"])
    listed = c.list_mfa_device_tags(SerialNumber=serial)
    assert listed["Tags"] == [] and listed["IsTruncated"] is False
    assert "Tags" not in virtual_device(c, serial)
    # Deleting the device deletes its tags: a new device of the same serial starts bare.
    c.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "left", "Value": "over"}])
    c.delete_virtual_mfa_device(SerialNumber=serial)
    expect_error(c.list_mfa_device_tags, SerialNumber=serial, code="NoSuchEntity", status=404, message=no_such_device(serial))
    again = c.create_virtual_mfa_device(VirtualMFADeviceName=serial.rsplit("/", 1)[1])["VirtualMFADevice"]
    assert "Tags" not in again
    assert tags_of(c, serial) == []


def test_list_tags_pages(iam):
    c = iam()
    serial = c.create_virtual_mfa_device(VirtualMFADeviceName=unique("dev"))["VirtualMFADevice"]["SerialNumber"]
    keys = [f"k{i:02d}" for i in range(5)]
    c.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": k, "Value": "v"} for k in reversed(keys)])
    first = c.list_mfa_device_tags(SerialNumber=serial, MaxItems=2)
    assert [t["Key"] for t in first["Tags"]] == keys[:2] and first["IsTruncated"] is True
    second = c.list_mfa_device_tags(SerialNumber=serial, MaxItems=2, Marker=first["Marker"])
    assert [t["Key"] for t in second["Tags"]] == keys[2:4]
    pages = c.get_paginator("list_mfa_device_tags").paginate(SerialNumber=serial, PaginationConfig={"PageSize": 2})
    assert [t["Key"] for page in pages for t in page["Tags"]] == keys
    raw = iam(validate=False)
    for bad in [0, 1001]:
        expect_error(raw.list_mfa_device_tags, SerialNumber=serial, MaxItems=bad, code="ValidationError", status=400)


def test_bad_tag_requests_change_nothing(iam):
    c = iam()
    raw = iam(validate=False)
    serial = c.create_virtual_mfa_device(
        VirtualMFADeviceName=unique("dev"), Tags=[{"Key": "keep", "Value": "1"}]
    )["VirtualMFADevice"]["SerialNumber"]
    fifty = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    expect_error(
        c.tag_mfa_device,
        SerialNumber=serial,
        Tags=fifty,
        code="LimitExceeded",
        status=409,
        message="Cannot exceed quota for TagsPerMFADevice: 50",
    )
    expect_error(
        raw.tag_mfa_device,
        SerialNumber=serial,
        Tags=fifty + [{"Key": "one-more", "Value": "v"}],
        code="LimitExceeded",
        status=409,
        message="Cannot exceed quota for TagsPerMFADevice: 50",
    )
    expect_error(
        c.tag_mfa_device,
        SerialNumber=serial,
        Tags=[{"Key": "aws:x", "Value": "1"}],
        code="InvalidInput",
        status=400,
        message="User-defined tags can't start with 'aws:'. This prefix is reserved for AWS-generated tags.",
    )
    expect_error(
        c.tag_mfa_device,
        SerialNumber=serial,
        Tags=[{"Key": "env", "Value": "a"}, {"Key": "ENV", "Value": "b"}],
        code="InvalidInput",
        status=400,
        message="Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    )
    expect_error(raw.tag_mfa_device, SerialNumber=serial, Tags=[], code="ValidationError", status=400)
    expect_error(raw.untag_mfa_device, SerialNumber=serial, TagKeys=[f"k{i}" for i in range(51)], code="ValidationError", status=400)
    for bad_serial in ["short", "arn:aws:iam::1:mfa/a b"]:
        expect_error(raw.tag_mfa_device, SerialNumber=bad_serial, Tags=[{"Key": "a", "Value": "b"}], code="ValidationError", status=400)
        expect_error(raw.list_mfa_device_tags, SerialNumber=bad_serial, code="ValidationError", status=400)
    assert tags_of(c, serial) == [("keep", "1")]

    ghost = f"arn:aws:iam::{ACCOUNT_ID}:mfa/{unique('ghost')}"
    for call, kw in [
        (c.tag_mfa_device, {"Tags": [{"Key": "a", "Value": "b"}]}),
        (c.untag_mfa_device, {"TagKeys": ["a"]}),
        (c.list_mfa_device_tags, {}),
    ]:
        expect_error(call, SerialNumber=ghost, **kw, code="NoSuchEntity", status=404, message=no_such_device(ghost))

    # Too many or bad tags at creation: no device is created.
    name = unique("dev")
    expect_error(
        raw.create_virtual_mfa_device,
        VirtualMFADeviceName=name,
        Tags=fifty + [{"Key": "one-more", "Value": "v"}],
        code="LimitExceeded",
        status=409,
    )
    expect_error(
        c.create_virtual_mfa_device,
        VirtualMFADeviceName=name,
        Tags=[{"Key": "aws:x", "Value": "1"}],
        code="InvalidInput",
        status=400,
    )
    assert virtual_device(c, f"arn:aws:iam::{ACCOUNT_ID}:mfa/{name}") is None


def test_tag_permissions(iam):
    c = iam()
    name, creds, _ = hg.create_user_with_key(c)
    mine = c.create_virtual_mfa_device(VirtualMFADeviceName=unique("mine"))["VirtualMFADevice"]["SerialNumber"]
    theirs = c.create_virtual_mfa_device(VirtualMFADeviceName=unique("theirs"))["VirtualMFADevice"]["SerialNumber"]
    u = iam(creds)
    team = [{"Key": "team", "Value": "a"}]
    for call, kw in [(u.tag_mfa_device, {"Tags": team}), (u.untag_mfa_device, {"TagKeys": ["team"]}), (u.list_mfa_device_tags, {})]:
        expect_error(call, SerialNumber=mine, **kw, code="AccessDenied", status=403)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iam:TagMFADevice", "iam:UntagMFADevice"],
                "Resource": mine,
                "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}},
            },
            {"Effect": "Allow", "Action": "iam:ListMFADeviceTags", "Resource": mine},
            {"Effect": "Allow", "Action": "iam:CreateVirtualMFADevice", "Resource": "*"},
        ],
    }
    c.put_user_policy(UserName=name, PolicyName="mfa-tags", PolicyDocument=json.dumps(policy))
    u.tag_mfa_device(SerialNumber=mine, Tags=team)
    assert tags_of(u, mine) == [("team", "a")]
    # Another device, or a key the condition does not allow: denied, and nothing changes.
    expect_error(u.tag_mfa_device, SerialNumber=theirs, Tags=team, code="AccessDenied", status=403)
    expect_error(u.list_mfa_device_tags, SerialNumber=theirs, code="AccessDenied", status=403)
    expect_error(u.tag_mfa_device, SerialNumber=mine, Tags=[{"Key": "cost", "Value": "1"}], code="AccessDenied", status=403)
    expect_error(u.untag_mfa_device, SerialNumber=mine, TagKeys=["cost"], code="AccessDenied", status=403)
    assert tags_of(c, theirs) == []
    u.untag_mfa_device(SerialNumber=mine, TagKeys=["team"])
    assert tags_of(c, mine) == []
    # Creating with tags also needs iam:TagMFADevice on the new device.
    dev = unique("new")
    expect_error(u.create_virtual_mfa_device, VirtualMFADeviceName=dev, Tags=team, code="AccessDenied", status=403)
    assert virtual_device(c, f"arn:aws:iam::{ACCOUNT_ID}:mfa/{dev}") is None
    u.create_virtual_mfa_device(VirtualMFADeviceName=dev)


def test_get_mfa_device(iam):
    c = iam()
    name, creds, serial, _, _ = enabled_user(c)
    got = c.get_mfa_device(SerialNumber=serial, UserName=name)
    assert (got["UserName"], got["SerialNumber"]) == (name, serial)
    assert "EnableDate" in got and "Certifications" not in got
    listed = c.list_mfa_devices(UserName=name)["MFADevices"][0]
    assert got["EnableDate"] == listed["EnableDate"]
    # A user reads its own device without naming itself, with permission on itself.
    u = iam(creds)
    expect_error(u.get_mfa_device, SerialNumber=serial, code="AccessDenied", status=403)
    c.put_user_policy(
        UserName=name,
        PolicyName="own-mfa",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": {
                    "Effect": "Allow",
                    "Action": "iam:GetMFADevice",
                    "Resource": f"arn:aws:iam::{ACCOUNT_ID}:user/${{aws:username}}",
                },
            }
        ),
    )
    assert u.get_mfa_device(SerialNumber=serial)["UserName"] == name
    # Someone else's device, an unassigned one and a missing one all look the same.
    other, _, _ = hg.create_user_with_key(c)
    expect_error(c.get_mfa_device, SerialNumber=serial, UserName=other, code="NoSuchEntity", status=404, message=no_such_device(serial))
    free = c.create_virtual_mfa_device(VirtualMFADeviceName=unique("free"))["VirtualMFADevice"]["SerialNumber"]
    expect_error(c.get_mfa_device, SerialNumber=free, UserName=name, code="NoSuchEntity", status=404, message=no_such_device(free))
    ghost = f"arn:aws:iam::{ACCOUNT_ID}:mfa/{unique('ghost')}"
    expect_error(u.get_mfa_device, SerialNumber=ghost, code="NoSuchEntity", status=404, message=no_such_device(ghost))
    # Root has no devices here.
    expect_error(c.get_mfa_device, SerialNumber=serial, code="NoSuchEntity", status=404, message=no_such_device(serial))
    nobody = unique("nobody")
    expect_error(c.get_mfa_device, SerialNumber=serial, UserName=nobody, code="NoSuchEntity", status=404, message=hg.user_not_found(nobody))
    # Another user's device needs permission on that user.
    expect_error(u.get_mfa_device, SerialNumber=serial, UserName=other, code="AccessDenied", status=403)
    raw = iam(validate=False)
    expect_error(raw.get_mfa_device, SerialNumber="short", code="ValidationError", status=400)
    expect_error(raw.get_mfa_device, SerialNumber=serial, UserName="u" * 65, code="ValidationError", status=400)


def test_tags_and_get_with_the_aws_cli(server, iam):
    c = iam()
    name, _, serial, _, _ = enabled_user(c)
    server.cli(["iam", "tag-mfa-device", "--serial-number", serial, "--tags", "Key=env,Value=prod"]).ok()
    out = server.cli(["iam", "list-mfa-device-tags", "--serial-number", serial]).ok()
    assert out["Tags"] == [{"Key": "env", "Value": "prod"}]
    server.cli(["iam", "untag-mfa-device", "--serial-number", serial, "--tag-keys", "env"]).ok()
    assert tags_of(c, serial) == []
    got = server.cli(["iam", "get-mfa-device", "--serial-number", serial, "--user-name", name]).ok()
    assert got["SerialNumber"] == serial and got["UserName"] == name
