"""Key age (issue 15 item 6): with `audit.max_key_age_days`, long-term keys older than that are
flagged (metric `hourglass_access_keys_over_max_age`, an `AwsServiceEvent` in the audit log)
or, with `key_age_action = "deactivate"`, deactivated — IAM users' keys; root keys are only
flagged. The server and the clients share a clock moved two days on with libfaketime; the pass
runs at start, before the server answers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import requests

import hg

FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
TWO_DAYS = dt.timedelta(days=2)


def start(server_factory, tmp_path_factory, action: str | None) -> tuple[hg.HourglassServer, Path]:
    base = tmp_path_factory.mktemp("keyage")
    clock = base / "faketime"
    clock.write_text("+0\n")
    config = base / "hourglass.toml"
    config.write_text("[audit]\nmax_key_age_days = 1\n")
    fake = {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME_TIMESTAMP_FILE": str(clock),
            "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    # The action through its environment variable, the age through the file.
    env = fake | ({"HOURGLASS_KEY_AGE_ACTION": action} if action else {})
    srv = server_factory(extra_args=["--config", str(config)], extra_env=env)
    return srv.start(), clock


def gauge(srv, name: str) -> float | None:
    text = requests.get(srv.endpoint + "/_hourglass/metrics", timeout=30).text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def age_events(srv) -> list[dict]:
    ct = hg.client("cloudtrail", srv.endpoint, hg.ROOT)
    events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AccessKeyOverMaxAge"}])["Events"]
    return [json.loads(e["CloudTrailEvent"]) for e in events]


def setup_keys(srv):
    iam = srv.iam()
    _, old, _ = hg.create_user_with_key(iam, "alice")
    root_keys = [k["AccessKeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]]
    assert gauge(srv, "hourglass_access_keys_over_max_age") == 0
    return old, root_keys


@pytest.mark.skipif(not Path(FAKETIME_LIB).exists(), reason="libfaketime is not installed")
def test_old_keys_are_flagged(server_factory, tmp_path_factory):
    srv, clock = start(server_factory, tmp_path_factory, None)
    old, root_keys = setup_keys(srv)
    clock.write_text("+2d\n")
    srv.restart()
    with hg.skewed_clock(TWO_DAYS):
        assert gauge(srv, "hourglass_access_keys_over_max_age") == 1 + len(root_keys)
        iam = srv.iam()
        # Flagged, not deactivated: the key keeps working.
        assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"] == "Active"
        srv.sts(old).get_caller_identity()
        fresh = hg.Creds.from_access_key(iam.create_access_key(UserName="alice")["AccessKey"])
        events = age_events(srv)
        by_key = {e["serviceEventDetails"]["accessKeyId"]: e for e in events}
        assert set(by_key) == {old.access_key_id, *root_keys}
        e = by_key[old.access_key_id]
        assert e["eventType"] == "AwsServiceEvent" and e["eventSource"] == "iam.amazonaws.com"
        assert e["userIdentity"] == {"accountId": hg.ACCOUNT_ID, "invokedBy": "iam.amazonaws.com"}
        d = e["serviceEventDetails"]
        assert (d["userName"], d["action"], d["maxKeyAgeDays"], d["ageDays"]) == ("alice", "flagged", 1, 2)
        assert fresh.access_key_id not in by_key
        # Found by the key as a resource; not attributed to the key as a caller.
        ct = hg.client("cloudtrail", srv.endpoint, hg.ROOT)
        named = ct.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": old.access_key_id}])["Events"]
        assert "AccessKeyOverMaxAge" in [x["EventName"] for x in named]
        signed = ct.lookup_events(LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": old.access_key_id}])["Events"]
        assert "AccessKeyOverMaxAge" not in [x["EventName"] for x in signed]


@pytest.mark.skipif(not Path(FAKETIME_LIB).exists(), reason="libfaketime is not installed")
def test_old_user_keys_are_deactivated(server_factory, tmp_path_factory):
    srv, clock = start(server_factory, tmp_path_factory, "deactivate")
    old, root_keys = setup_keys(srv)
    clock.write_text("+2d\n")
    srv.restart()
    with hg.skewed_clock(TWO_DAYS):
        iam = srv.iam()  # root keys are flagged only: the operator keeps access
        assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"] == "Inactive"
        assert {k["Status"] for k in iam.list_access_keys()["AccessKeyMetadata"]} <= {"Active"}
        with pytest.raises(Exception) as e:
            srv.sts(old).get_caller_identity()
        assert "InvalidClientTokenId" in str(e.value)
        assert gauge(srv, "hourglass_access_keys_deactivated_for_age_total") == 1
        by_key = {e["serviceEventDetails"]["accessKeyId"]: e for e in age_events(srv)}
        assert by_key[old.access_key_id]["serviceEventDetails"]["action"] == "deactivated"
        assert by_key[old.access_key_id]["readOnly"] is False
        for k in root_keys:
            assert by_key[k]["serviceEventDetails"]["action"] == "flagged"
