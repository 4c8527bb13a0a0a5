"""Credentials delivered to processes: the container credential endpoint, a per-workload
IMDSv2 listener and `hourglass credentials` as a credential_process, each consumed by
unmodified boto3 and aws CLI default chains; refresh across expiry under faketime."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests

import hg
from hg import ACCOUNT_ID

FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


class Setup:
    def __init__(self, base: Path):
        self.base = base
        self.token = "ctr-" + os.urandom(16).hex()
        self.bad_token = "bad-" + os.urandom(16).hex()
        self.token_file = base / "token"
        self.token_file.write_text(self.token)
        self.imds_port = free_port()
        self.config = base / "hourglass.toml"
        self.config.write_text(textwrap.dedent(f"""
            [[workload]]
            name = "ctr"
            role_arn = "arn:aws:iam::{ACCOUNT_ID}:role/ctr-role"
            token_sha256 = "{hashlib.sha256(self.token.encode()).hexdigest()}"

            [[workload]]
            name = "vm"
            role_arn = "arn:aws:iam::{ACCOUNT_ID}:role/vm-role"
            imds_listen = "127.0.0.1:{self.imds_port}"

            [[workload]]
            name = "untrusted"
            role_arn = "arn:aws:iam::{ACCOUNT_ID}:role/vm-role"
            token_sha256 = "{hashlib.sha256(self.bad_token.encode()).hexdigest()}"
        """))
        self.imds = f"http://127.0.0.1:{self.imds_port}"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    return Setup(tmp_path_factory.mktemp("workloads"))


@pytest.fixture(scope="module")
def srv(tmp_path_factory, request, setup):
    base = tmp_path_factory.mktemp("hg-cred")
    s = hg.HourglassServer(base / "data", log_dir=base / "logs",
                           extra_args=["--config", str(setup.config)])
    request.node._hg_servers = [s]
    s.start()
    iam = s.iam()
    iam.create_role(RoleName="ctr-role", AssumeRolePolicyDocument=trust("ecs-tasks.amazonaws.com"))
    iam.create_role(RoleName="vm-role", AssumeRolePolicyDocument=trust("ec2.amazonaws.com"))
    yield s
    s.close()


def client_env(srv, home: Path, **extra) -> dict:
    env = hg.clean_env()
    env.pop("AWS_EC2_METADATA_DISABLED", None)
    env.update({"AWS_ENDPOINT_URL": srv.endpoint, "AWS_DEFAULT_REGION": "us-east-1",
                "HOME": str(home)})
    env.update(extra)
    return env


WHOAMI = 'import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])'


def run_py(env, prog=WHOAMI):
    p = subprocess.run([sys.executable, "-c", prog], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def run_cli(env, *args):
    p = subprocess.run([sys.executable, "-m", "awscli", *args, "--output", "json"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def container_env(srv, setup, home):
    return client_env(srv, home,
                      AWS_CONTAINER_CREDENTIALS_FULL_URI=srv.endpoint + "/_hourglass/credentials",
                      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(setup.token_file))


def test_container_endpoint_with_boto3_and_cli(srv, setup, tmp_path):
    env = container_env(srv, setup, tmp_path)
    expected = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/ctr-role/ctr"
    assert run_py(env) == expected
    assert run_cli(env, "sts", "get-caller-identity")["Arn"] == expected


def test_container_endpoint_refusals(srv, setup):
    url = srv.endpoint + "/_hourglass/credentials"
    for headers in ({}, {"Authorization": "nope"}, {"Authorization": ""}):
        r = requests.get(url, headers=headers, timeout=10)
        assert r.status_code == 401, r.text
        assert r.json()["Code"] == "AccessDenied"
    # A workload whose role does not trust the container service gets nothing.
    r = requests.get(url, headers={"Authorization": setup.bad_token}, timeout=10)
    assert r.status_code == 403
    assert r.json()["Code"] == "AssumeRoleUnauthorizedAccess"
    r = requests.get(url, headers={"Authorization": setup.token}, timeout=10)
    assert r.status_code == 200
    doc = r.json()
    assert set(doc) >= {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn",
                        "AccountId"}
    assert doc["RoleArn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/ctr-role"
    # The same credentials until they near expiry, also as `Bearer`.
    again = requests.get(url, headers={"Authorization": "Bearer " + setup.token}, timeout=10)
    assert again.json()["AccessKeyId"] == doc["AccessKeyId"]


def test_imds_with_boto3_and_cli(srv, setup, tmp_path):
    env = client_env(srv, tmp_path, AWS_EC2_METADATA_SERVICE_ENDPOINT=setup.imds + "/",
                     AWS_EC2_METADATA_V1_DISABLED="true")
    expected = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/vm-role/vm"
    assert run_py(env) == expected
    assert run_cli(env, "sts", "get-caller-identity")["Arn"] == expected


def test_imds_protocol(srv, setup):
    base = setup.imds
    assert requests.put(base + "/latest/api/token", timeout=10).status_code == 400
    bad_ttl = {"x-aws-ec2-metadata-token-ttl-seconds": "21601"}
    assert requests.put(base + "/latest/api/token", headers=bad_ttl, timeout=10).status_code == 400
    proxied = {"x-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "10.0.0.1"}
    assert requests.put(base + "/latest/api/token", headers=proxied, timeout=10).status_code == 403
    r = requests.put(base + "/latest/api/token",
                     headers={"x-aws-ec2-metadata-token-ttl-seconds": "60"}, timeout=10)
    assert r.status_code == 200
    assert r.headers["x-aws-ec2-metadata-token-ttl-seconds"] == "60"
    tok = {"x-aws-ec2-metadata-token": r.text}
    path = base + "/latest/meta-data/iam/security-credentials/"
    assert requests.get(path, timeout=10).status_code == 401
    assert requests.get(path, headers={"x-aws-ec2-metadata-token": "forged"},
                        timeout=10).status_code == 401
    listing = requests.get(path, headers=tok, timeout=10)
    assert listing.text == "vm-role"
    doc = requests.get(path + "vm-role", headers=tok, timeout=10).json()
    assert doc["Code"] == "Success" and doc["Type"] == "AWS-HMAC"
    assert doc["Expiration"].endswith("Z") and "." not in doc["Expiration"]
    assert requests.get(path + "other", headers=tok, timeout=10).status_code == 404
    ext = base + "/latest/meta-data/iam/security-credentials-extended/"
    assert requests.get(ext, headers=tok, timeout=10).status_code == 404
    region = requests.get(base + "/latest/meta-data/placement/region", headers=tok, timeout=10)
    assert region.text == "us-east-1"


def test_credential_process(srv, setup, tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text(textwrap.dedent(f"""
        [profile work]
        credential_process = {hg.binary_path()} credentials --url {srv.endpoint}/_hourglass/credentials --token-file {setup.token_file}
    """))
    env = client_env(srv, tmp_path, AWS_CONFIG_FILE=str(cfg), AWS_PROFILE="work")
    expected = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/ctr-role/ctr"
    assert run_py(env) == expected
    assert run_cli(env, "sts", "get-caller-identity")["Arn"] == expected
    # A wrong token makes the process fail, and the SDK with it.
    bad = tmp_path / "bad-token"
    bad.write_text("wrong")
    p = subprocess.run([str(hg.binary_path()), "credentials", "--url",
                        srv.endpoint + "/_hourglass/credentials", "--token-file", str(bad)],
                       capture_output=True, text=True, timeout=30, env=hg.clean_env())
    assert p.returncode != 0 and "401" in p.stderr


REFRESH_PROG = textwrap.dedent("""
    import sys, boto3
    session = boto3.session.Session()
    sts = session.client("sts")
    for line in sys.stdin:
        arn = sts.get_caller_identity()["Arn"]
        key = session.get_credentials().get_frozen_credentials().access_key
        print(key, arn, flush=True)
""")


@pytest.mark.skipif(not Path(FAKETIME_LIB).exists(), reason="libfaketime is not installed")
def test_credentials_refresh_across_expiry(tmp_path_factory, request, tmp_path):
    """Server and client share a fake clock; the clock jumps past the credentials' expiry and
    the unmodified SDK fetches new credentials on its own, for the container and IMDS paths."""
    clock = tmp_path / "faketime"
    clock.write_text("+0\n")
    fake = {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME_TIMESTAMP_FILE": str(clock),
            "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    setup = Setup(tmp_path_factory.mktemp("refresh"))
    text = setup.config.read_text().replace('name = "ctr"', 'name = "ctr"\nduration_seconds = 3600')
    text = text.replace('name = "vm"', 'name = "vm"\nduration_seconds = 3600')
    setup.config.write_text(text)
    base = tmp_path_factory.mktemp("hg-refresh")
    s = hg.HourglassServer(base / "data", log_dir=base / "logs",
                           extra_args=["--config", str(setup.config)], extra_env=fake)
    request.node._hg_servers = [s]
    s.start()
    try:
        iam = s.iam()
        iam.create_role(RoleName="ctr-role",
                        AssumeRolePolicyDocument=trust("ecs-tasks.amazonaws.com"))
        iam.create_role(RoleName="vm-role", AssumeRolePolicyDocument=trust("ec2.amazonaws.com"))
        envs = {
            "container": container_env(s, setup, tmp_path),
            "imds": client_env(s, tmp_path, AWS_EC2_METADATA_SERVICE_ENDPOINT=setup.imds + "/"),
        }
        for label, env in envs.items():
            clock.write_text("+0\n")
            env.update(fake)
            p = subprocess.Popen([sys.executable, "-c", REFRESH_PROG], env=env, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            try:
                p.stdin.write("go\n")
                p.stdin.flush()
                first = p.stdout.readline().split()
                assert len(first) == 2, (label, p.stderr.read() if p.poll() is not None else "")
                # Two hours later: the one-hour credentials are expired for both sides.
                clock.write_text("+2h\n")
                p.stdin.write("go\n")
                p.stdin.flush()
                second = p.stdout.readline().split()
                p.stdin.close()
                assert p.wait(timeout=60) == 0, (label, p.stderr.read())
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            assert len(second) == 2, label
            assert second[0] != first[0], f"{label}: credentials were not refreshed"
            assert second[1] == first[1], label
    finally:
        clock.write_text("+0\n")
        s.close()
