"""The usual S3 tools, unchanged, with temporary credentials from AssumeRole: the aws CLI
(`s3 cp/sync/ls/rm/presign`, `s3api`), rclone and s3cmd."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

import hg
from hg import unique
from s3util import MIB, full_access, s3_client


@pytest.fixture(scope="module")
def creds(server):
    return full_access(server)


@pytest.fixture(scope="module")
def s3(server, creds):
    return s3_client(server.endpoint, creds)


def make_tree(root: Path) -> dict[str, bytes]:
    files = {
        "a.txt": b"alpha",
        "sub/b.bin": os.urandom(3000),
        "sub/deeper/c with space.txt": b"gamma",
        "big.bin": os.urandom(9 * MIB),  # over the CLI's 8 MiB multipart threshold
    }
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return files


# --- aws CLI ------------------------------------------------------------------------------------


def test_aws_cli_cp_sync_ls_rm_presign(server, creds, s3, tmp_path):
    bucket = unique("cli")
    cli = lambda *args: server.cli(list(args), creds)  # noqa: E731
    cli("s3", "mb", f"s3://{bucket}").ok()
    src = tmp_path / "src"
    files = make_tree(src)

    cli("s3", "cp", str(src / "a.txt"), f"s3://{bucket}/single/a.txt").ok()
    cli("s3", "cp", f"s3://{bucket}/single/a.txt", str(tmp_path / "a-back.txt")).ok()
    assert (tmp_path / "a-back.txt").read_bytes() == b"alpha"

    cli("s3", "sync", str(src), f"s3://{bucket}/tree").ok()
    out = cli("s3", "ls", "--recursive", f"s3://{bucket}/tree/")
    out.ok()
    listed = sorted(line.split(maxsplit=3)[3] for line in out.stdout.splitlines() if line.strip())
    assert listed == sorted(f"tree/{k}" for k in files)
    # A second sync has nothing to do.
    again = cli("s3", "sync", str(src), f"s3://{bucket}/tree")
    again.ok()
    assert "upload:" not in again.stdout
    down = tmp_path / "down"
    cli("s3", "sync", f"s3://{bucket}/tree", str(down)).ok()
    for rel, data in files.items():
        assert (down / rel).read_bytes() == data

    url = cli("s3", "presign", f"s3://{bucket}/single/a.txt", "--expires-in", "300")
    url.ok()
    presigned = url.stdout.strip()
    assert "AWSAccessKeyId=" in presigned and "x-amz-security-token=" in presigned
    assert requests.get(presigned, timeout=10).content == b"alpha"

    head = cli("s3api", "head-object", "--bucket", bucket, "--key", "tree/big.bin").ok()
    assert head["ContentLength"] == 9 * MIB and head["ETag"].endswith('-2"')

    cli("s3", "rm", "--recursive", f"s3://{bucket}/").ok()
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    cli("s3", "rb", f"s3://{bucket}").ok()


# --- rclone -------------------------------------------------------------------------------------


def rclone(server, creds: hg.Creds, *args, check=True) -> subprocess.CompletedProcess:
    env = rclone_env(server, creds)
    p = subprocess.run(["rclone", "--retries", "1", "--low-level-retries", "1", *args],
                       env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert p.returncode == 0, f"rclone {' '.join(args)}: {p.stderr}"
    return p


@pytest.mark.skipif(shutil.which("rclone") is None, reason="rclone is not installed")
def test_rclone(server, creds, s3, tmp_path):
    bucket = unique("rc")
    rclone(server, creds, "mkdir", f"hg:{bucket}")
    src = tmp_path / "src"
    files = make_tree(src)
    rclone(server, creds, "copy", str(src), f"hg:{bucket}/tree")
    ls = rclone(server, creds, "ls", f"hg:{bucket}")
    assert sorted(line.split(maxsplit=1)[1] for line in ls.stdout.splitlines()) == sorted(f"tree/{k}" for k in files)
    rclone(server, creds, "check", str(src), f"hg:{bucket}/tree")
    assert rclone(server, creds, "cat", f"hg:{bucket}/tree/a.txt").stdout == "alpha"
    rclone(server, creds, "copyto", f"hg:{bucket}/tree/sub/b.bin", str(tmp_path / "b.bin"))
    assert (tmp_path / "b.bin").read_bytes() == files["sub/b.bin"]
    rclone(server, creds, "purge", f"hg:{bucket}")
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


# --- s3cmd --------------------------------------------------------------------------------------


def s3cmd(server, creds: hg.Creds, cfg: Path, *args) -> subprocess.CompletedProcess:
    hostport = server.endpoint.split("://", 1)[1]
    cfg.write_text(
        "[default]\n"
        f"access_key = {creds.access_key_id}\n"
        f"secret_key = {creds.secret_access_key}\n"
        f"access_token = {creds.session_token or ''}\n"
        f"host_base = {hostport}\n"
        f"host_bucket = {hostport}\n"
        "bucket_location = us-east-1\n"
        "use_https = False\n"
        "signature_v2 = False\n"
        "check_ssl_certificate = False\n"
    )
    p = subprocess.run(["s3cmd", "-c", str(cfg), *args], env=hg.clean_env(),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"s3cmd {' '.join(args)}: {p.stdout}\n{p.stderr}"
    return p


@pytest.mark.skipif(shutil.which("s3cmd") is None, reason="s3cmd is not installed")
def test_s3cmd(server, creds, s3, tmp_path):
    bucket = unique("sc")
    cfg = tmp_path / "s3cfg"
    s3cmd(server, creds, cfg, "mb", f"s3://{bucket}")
    small = tmp_path / "small.txt"
    small.write_bytes(b"s3cmd small")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(16 * MIB))  # multipart with s3cmd's 15 MiB chunks
    s3cmd(server, creds, cfg, "put", str(small), f"s3://{bucket}/dir/small.txt")
    s3cmd(server, creds, cfg, "put", str(big), f"s3://{bucket}/dir/big.bin")
    ls = s3cmd(server, creds, cfg, "ls", "--recursive", f"s3://{bucket}")
    assert f"s3://{bucket}/dir/small.txt" in ls.stdout and f"s3://{bucket}/dir/big.bin" in ls.stdout
    s3cmd(server, creds, cfg, "get", f"s3://{bucket}/dir/big.bin", str(tmp_path / "big.back"))
    assert (tmp_path / "big.back").read_bytes() == big.read_bytes()
    assert s3.get_object(Bucket=bucket, Key="dir/small.txt")["Body"].read() == b"s3cmd small"
    s3cmd(server, creds, cfg, "del", "--recursive", "--force", f"s3://{bucket}")
    s3cmd(server, creds, cfg, "rb", f"s3://{bucket}")


@pytest.mark.skipif(shutil.which("rclone") is None, reason="rclone is not installed")
def test_rclone_versions(server, creds, s3):
    """rclone's versioning support: enabling it, every overwrite kept as a version that
    `--s3-versions` lists, and a delete that leaves a delete marker."""
    bucket = unique("rcv")
    s3.create_bucket(Bucket=bucket)
    out = rclone(server, creds, "backend", "versioning", f"hg:{bucket}", "Enabled").stdout
    assert "Enabled" in out
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    for body in ("first", "second"):
        p = subprocess.run(["rclone", "rcat", f"hg:{bucket}/f.txt"], input=body, text=True,
                           env=rclone_env(server, creds), capture_output=True, timeout=120)
        assert p.returncode == 0, p.stderr
    assert rclone(server, creds, "cat", f"hg:{bucket}/f.txt").stdout == "second"
    names = [line.split(maxsplit=1)[1] for line in
             rclone(server, creds, "ls", "--s3-versions", f"hg:{bucket}").stdout.splitlines()]
    assert "f.txt" in names and len(names) == 2, names
    old = next(n for n in names if n != "f.txt")
    assert old.startswith("f-v") and old.endswith(".txt")
    assert rclone(server, creds, "cat", "--s3-versions", f"hg:{bucket}/{old}").stdout == "first"
    rclone(server, creds, "deletefile", f"hg:{bucket}/f.txt")
    listed = s3.list_object_versions(Bucket=bucket)
    assert len(listed["Versions"]) == 2 and len(listed["DeleteMarkers"]) == 1
    assert rclone(server, creds, "ls", f"hg:{bucket}").stdout == ""


def rclone_env(server, creds: hg.Creds) -> dict[str, str]:
    env = hg.clean_env()
    env.update({
        "RCLONE_CONFIG_HG_TYPE": "s3",
        "RCLONE_CONFIG_HG_PROVIDER": "Other",
        "RCLONE_CONFIG_HG_ACCESS_KEY_ID": creds.access_key_id,
        "RCLONE_CONFIG_HG_SECRET_ACCESS_KEY": creds.secret_access_key,
        "RCLONE_CONFIG_HG_SESSION_TOKEN": creds.session_token or "",
        "RCLONE_CONFIG_HG_ENDPOINT": server.endpoint,
        "RCLONE_CONFIG_HG_REGION": "us-east-1",
        "RCLONE_CONFIG_HG_FORCE_PATH_STYLE": "true",
        "RCLONE_CONFIG": "/dev/null",
    })
    return env


@pytest.mark.skipif(shutil.which("s3cmd") is None, reason="s3cmd is not installed")
def test_s3cmd_acls_and_info(server, creds, s3, tmp_path):
    """s3cmd's setacl reads the object's ACL and puts back an edited AccessControlPolicy."""
    bucket = unique("sca")
    s3.create_bucket(Bucket=bucket, ObjectOwnership="ObjectWriter")
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"shared")
    cfg = tmp_path / "s3cfg"
    url = f"{server.endpoint}/{bucket}/k.txt"
    assert requests.get(url, timeout=10).status_code == 403
    s3cmd(server, creds, cfg, "setacl", "--acl-public", f"s3://{bucket}/k.txt")
    assert requests.get(url, timeout=10).content == b"shared"
    info = s3cmd(server, creds, cfg, "info", f"s3://{bucket}/k.txt").stdout
    assert "*anon*: READ" in info, info
    s3cmd(server, creds, cfg, "setacl", "--acl-private", f"s3://{bucket}/k.txt")
    assert requests.get(url, timeout=10).status_code == 403
