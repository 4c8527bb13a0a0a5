"""Helpers for the Secrets Manager end-to-end tests."""

from __future__ import annotations

import time

import hg

BUILTIN_ROTATOR = "hourglass-rotate-iam-access-key"


def sm(server, creds=None):
    return hg.client("secretsmanager", server.endpoint, creds or server.root)


def lambda_arn(name: str, account: str = hg.ACCOUNT_ID, region: str = "us-east-1") -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


def stages(client, secret_id: str) -> dict[str, list[str]]:
    return client.describe_secret(SecretId=secret_id).get("VersionIdsToStages", {})


def wait_for(predicate, *, timeout: float = 60, what: str = "condition"):
    """Polls until predicate() is truthy (returns it). Not a timed assertion: the deadline
    only bounds a hang; the tests assert on states, never on durations."""
    deadline = time.monotonic() + timeout
    while True:
        got = predicate()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def wait_current(client, secret_id: str, version_id: str, timeout: float = 60):
    return wait_for(
        lambda: "AWSCURRENT" in stages(client, secret_id).get(version_id, []),
        timeout=timeout,
        what=f"AWSCURRENT on {version_id}",
    )


def wait_rotation_done(client, secret_id: str, timeout: float = 60) -> dict:
    """Until no version carries AWSPENDING (the rotation finished, or failed and cleaned up)."""
    def done():
        d = client.describe_secret(SecretId=secret_id)
        if any("AWSPENDING" in s for s in d.get("VersionIdsToStages", {}).values()):
            return None
        return d
    return wait_for(done, timeout=timeout, what="the rotation to finish")


def write_config(path, text: str) -> str:
    path.write_text(text)
    return str(path)
