"""The binary itself: startup, settings (flags and HOURGLASS_* env), the account and its root
credentials, storage at rest, health and signals."""

from __future__ import annotations

import os
import re
import signal
import stat
import time

import pytest
import requests

import hg
from hg import ACCOUNT_ID, ROOT_ARN, expect_error, unique


def test_ready_well_under_a_second_on_empty_data_dir(server_factory):
    # best of three fresh starts, so a busy CI machine does not make this flaky
    times = []
    for _ in range(3):
        srv = server_factory().start()
        times.append(srv.startup_seconds)
        if srv.startup_seconds < 1.0:
            break
        srv.stop()
    assert min(times) < 1.0, f"took {times} s to print the listening line on an empty data dir"
    t0 = time.monotonic()
    assert srv.get("/_hourglass/health").status_code == 200
    assert srv.sts().get_caller_identity()["Arn"] == ROOT_ARN
    assert time.monotonic() - t0 < 1.0


def test_prints_exactly_one_stdout_line(server_factory):
    srv = server_factory().start()
    srv.sts().get_caller_identity()
    assert srv.stop() == 0
    lines = [l for l in srv.stdout_lines if not l.startswith("--- start")]
    assert len(lines) == 1 and hg.READY_RE.match(lines[0]), srv.stdout_lines


def test_listens_on_loopback_only(server_factory):
    srv = server_factory().start()
    assert srv.endpoint.startswith("http://127.0.0.1:")
    assert srv.port and srv.port > 0


def test_listen_address_from_env(server_factory):
    srv = server_factory(listen=None, extra_env={"HOURGLASS_LISTEN": "127.0.0.1:0"}).start()
    assert srv.endpoint.startswith("http://127.0.0.1:")
    assert srv.sts().get_caller_identity()["Arn"] == ROOT_ARN


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stops_cleanly_on_signal(server_factory, sig):
    srv = server_factory().start()
    assert srv.get("/_hourglass/health").status_code == 200
    t0 = time.monotonic()
    assert srv.stop(sig) == 0
    assert time.monotonic() - t0 < 5
    with pytest.raises(requests.ConnectionError):
        requests.get(srv.endpoint + "/_hourglass/health", timeout=2)


def test_signal_right_after_the_ready_line_stops_cleanly(server_factory):
    # The ready line promises a server that stops cleanly on SIGTERM: the signal handlers
    # must be in place before it is printed, or an early SIGTERM kills the process (rc -15).
    rcs = []
    for _ in range(10):
        srv = server_factory().start()
        rcs.append(srv.stop(signal.SIGTERM))
    assert rcs == [0] * 10, rcs


def test_health_needs_no_credentials(server_factory):
    srv = server_factory().start()
    resp = requests.get(srv.endpoint + "/_hourglass/health", timeout=5)
    assert resp.status_code == 200


# --- the account and its root ----------------------------------------------------------------


def test_default_account_id(server_factory):
    srv = server_factory().start()
    ident = srv.sts().get_caller_identity()
    assert ident == {"UserId": ACCOUNT_ID, "Account": ACCOUNT_ID, "Arn": ROOT_ARN,
                     "ResponseMetadata": ident["ResponseMetadata"]}


def test_account_id_flag(server_factory):
    srv = server_factory(account_id="210987654321").start()
    ident = srv.sts().get_caller_identity()
    assert (ident["Account"], ident["Arn"], ident["UserId"]) == (
        "210987654321", "arn:aws:iam::210987654321:root", "210987654321")
    name = unique("acct")
    user = srv.iam().create_user(UserName=name)["User"]
    assert user["Arn"] == f"arn:aws:iam::210987654321:user/{name}"


def test_account_id_env(server_factory):
    srv = server_factory(extra_env={"HOURGLASS_ACCOUNT_ID": "333344445555"}).start()
    assert srv.sts().get_caller_identity()["Account"] == "333344445555"


def test_account_id_flag_wins_over_env(server_factory):
    srv = server_factory(
        account_id="666677778888", extra_env={"HOURGLASS_ACCOUNT_ID": "333344445555"}
    ).start()
    assert srv.sts().get_caller_identity()["Account"] == "666677778888"


@pytest.mark.parametrize("bad", ["12345", "1234567890123", "12345678901a"])
def test_invalid_account_id_refuses_to_start(server_factory, bad):
    srv = server_factory(account_id=bad)
    with pytest.raises(hg.ServerDied, match=r"exited \(rc=[1-9]"):
        srv.start()


def test_root_from_env(server_factory):
    creds = hg.Creds("AKIAENVROOT000000001", "envRootSecret/000000000000000000EXAMPLE0")
    srv = server_factory(root=creds).start()
    assert srv.sts(creds).get_caller_identity()["Arn"] == ROOT_ARN
    expect_error(srv.sts(hg.ROOT).get_caller_identity, code="InvalidClientTokenId", status=403)
    # a known root is not written to disk in clear
    for p in srv.data_dir.rglob("*"):
        if p.is_file():
            assert creds.secret_access_key.encode() not in p.read_bytes(), p


def test_generated_root_credentials(server_factory):
    srv = server_factory(root=None).start()
    path = srv.data_dir / "root-credentials"
    assert path.is_file(), sorted(os.listdir(srv.data_dir))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, oct(path.stat().st_mode)
    text = path.read_text()
    assert re.search(r"^\[default\]\s*$", text, re.M), text
    creds = hg.read_credentials_file(path)
    assert hg.AKID_RE.match(creds.access_key_id), creds
    assert hg.SECRET_RE.match(creds.secret_access_key)
    ident = srv.sts(creds).get_caller_identity()
    assert (ident["Arn"], ident["UserId"], ident["Account"]) == (ROOT_ARN, ACCOUNT_ID, ACCOUNT_ID)
    srv.iam(creds).create_user(UserName=unique("gen"))
    # Logs end up in collectors: the secret stays in the 0600 file; the output says where it
    # is and which access key id it belongs to.
    assert creds.secret_access_key not in "\n".join(srv.stdout_lines)
    err = srv.stderr_text()
    assert creds.secret_access_key not in err, "the generated secret was printed"
    assert creds.access_key_id in err and str(path) in err, err


def test_generated_root_secret_is_in_no_output_even_with_debug_logs(server_factory):
    srv = server_factory(root=None, extra_args=["--log", "debug"]).start()
    creds = srv.root
    assert srv.sts(creds).get_caller_identity()["Arn"] == ROOT_ARN
    srv.iam(creds).create_user(UserName=unique("dbg"))
    assert srv.stop() == 0
    out = srv.stderr_text() + "\n".join(srv.stdout_lines)
    assert creds.secret_access_key not in out


def test_generated_root_credentials_are_kept_across_restarts(server_factory):
    srv = server_factory(root=None).start()
    path = srv.data_dir / "root-credentials"
    first = path.read_bytes()
    creds = hg.read_credentials_file(path)
    srv.restart()
    assert path.read_bytes() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert srv.sts(creds).get_caller_identity()["Arn"] == ROOT_ARN
    out = srv.stderr_text() + "\n".join(srv.stdout_lines)
    assert creds.secret_access_key not in out, "the generated secret was printed"
    assert out.count("created root credentials") == 1, "announced again on restart"


def test_each_data_dir_gets_its_own_generated_root(server_factory):
    a = server_factory(root=None).start()
    b = server_factory(root=None).start()
    ca, cb = a.root, b.root
    assert ca.access_key_id != cb.access_key_id
    assert ca.secret_access_key != cb.secret_access_key
    expect_error(b.sts(ca).get_caller_identity, code="InvalidClientTokenId", status=403)


# --- storage -----------------------------------------------------------------------------------


def test_sqlite_is_the_default_store(server_factory):
    srv = server_factory().start()
    srv.iam().create_user(UserName=unique("sq"))
    files = [p for p in srv.data_dir.rglob("*") if p.is_file()]
    assert any(p.read_bytes()[:16] == b"SQLite format 3\x00" for p in files), files


def test_secrets_are_encrypted_at_rest(server_factory):
    srv = server_factory().start()
    c = srv.iam()
    secrets = []
    for _ in range(3):
        _, creds, _ = hg.create_user_with_key(c)
        secrets.append(creds.secret_access_key)
    secrets.append(c.create_access_key()["AccessKey"]["SecretAccessKey"])
    for _ in range(3):  # give WAL/journal writers no excuse
        srv.sts().get_caller_identity()
    assert srv.stop() == 0
    files = [p for p in srv.data_dir.rglob("*") if p.is_file()]
    assert files
    for p in files:
        data = p.read_bytes()
        for s in secrets:
            assert s.encode() not in data, f"secret access key stored in clear in {p}"
    # the server key ring lives in the data dir, private to the server (docs/configuration.md)
    keys = srv.data_dir / "server-keys"
    assert keys.is_file(), sorted(p.name for p in files)
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600, oct(keys.stat().st_mode)



def test_data_dir_is_created_private(server_factory):
    srv = server_factory()
    srv.data_dir = srv.data_dir / "new" / "dir"
    srv.start()
    assert srv.sts().get_caller_identity()["Arn"] == ROOT_ARN
    assert stat.S_IMODE(srv.data_dir.stat().st_mode) == 0o700, oct(srv.data_dir.stat().st_mode)


def test_only_one_root_env_var_refuses_to_start(server_factory):
    srv = server_factory(root=None, extra_env={"HOURGLASS_ROOT_ACCESS_KEY_ID": hg.ROOT_AKID})
    with pytest.raises(hg.ServerDied, match=r"exited \(rc=[1-9]"):
        srv.start()


# --- settings from a TOML file -----------------------------------------------------------------


def write_toml(tmp_path, text: str):
    p = tmp_path / "hourglass.toml"
    p.write_text(text)
    return p


def test_toml_config_file(server_factory, tmp_path):
    cfg = write_toml(tmp_path, 'account_id = "111122223333"\nlog = "info"\n')
    srv = server_factory(extra_args=["--config", str(cfg)]).start()
    assert srv.sts().get_caller_identity()["Account"] == "111122223333"


def test_toml_config_file_from_env(server_factory, tmp_path):
    cfg = write_toml(tmp_path, 'account_id = "111122223333"\n')
    srv = server_factory(extra_env={"HOURGLASS_CONFIG": str(cfg)}).start()
    assert srv.sts().get_caller_identity()["Account"] == "111122223333"


def test_env_wins_over_toml_and_flag_wins_over_both(server_factory, tmp_path):
    cfg = write_toml(tmp_path, 'account_id = "111122223333"\n')
    srv = server_factory(
        extra_args=["--config", str(cfg)], extra_env={"HOURGLASS_ACCOUNT_ID": "444455556666"}
    ).start()
    assert srv.sts().get_caller_identity()["Account"] == "444455556666"
    srv2 = server_factory(
        account_id="777788889999",
        extra_args=["--config", str(cfg)],
        extra_env={"HOURGLASS_ACCOUNT_ID": "444455556666"},
    ).start()
    assert srv2.sts().get_caller_identity()["Account"] == "777788889999"


def test_toml_unknown_key_refuses_to_start(server_factory, tmp_path):
    cfg = write_toml(tmp_path, 'acount_id = "111122223333"\n')
    srv = server_factory(extra_args=["--config", str(cfg)])
    with pytest.raises(hg.ServerDied, match=r"exited \(rc=[1-9]"):
        srv.start()


def test_toml_body_limit(server_factory, tmp_path):
    cfg = write_toml(tmp_path, "max_query_body_bytes = 2048\n")
    srv = server_factory(extra_args=["--config", str(cfg)]).start()
    name = unique("lim")
    small = srv.query(hg.ROOT, {"Action": "CreateUser", "Version": hg.IAM_VERSION, "UserName": name})
    assert small.status_code == 200, small.text
    big = srv.query(
        hg.ROOT,
        {"Action": "TagUser", "Version": hg.IAM_VERSION, "UserName": name,
         "Tags.member.1.Key": "k", "Tags.member.1.Value": "v" * 256, "Pad": "x" * 4096},
    )
    assert big.status_code == 413, (big.status_code, big.text)
    assert srv.iam().list_user_tags(UserName=name)["Tags"] == []
