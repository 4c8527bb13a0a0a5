"""Helpers for the Hourglass end-to-end suite.

Everything here drives the real `hourglass` binary over HTTP with real clients (boto3,
botocore's SigV4 signer, the aws CLI). Nothing is mocked.
"""

from __future__ import annotations

import atexit
import configparser
import contextlib
import datetime as dt
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from unittest import mock
from urllib.parse import urlencode

import boto3
import botocore.auth
import botocore.credentials
import requests
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
ACCOUNT_ID = "123456789012"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT_ID}:root"
ROOT_AKID = "AKIAROOT0000EXAMPLE0"
ROOT_SECRET = "hgRootSecret/0000000000000000+EXAMPLEKEY"
assert len(ROOT_AKID) == 20 and len(ROOT_SECRET) == 40

IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
IAM_VERSION = "2010-05-08"
STS_VERSION = "2011-06-15"

READY_RE = re.compile(r"^hourglass listening on (http://127\.0\.0\.1:(\d+))$")
START_TIMEOUT = float(os.environ.get("HOURGLASS_E2E_START_TIMEOUT", "20"))

# PostgreSQL tests run against this server and skip with NO_DB_REASON when it is unset.
DB_URL = os.environ.get("HOURGLASS_TEST_DATABASE_URL")
NO_DB_REASON = "HOURGLASS_TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)"

AKID_RE = re.compile(r"^AKIA[A-Z0-9]{16}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9/+]{40}$")
USER_ID_RE = re.compile(r"^AIDA[A-Z0-9]{17}$")

INVALID_TOKEN_RE = re.compile(r"^The security token included in the request is invalid\.?$")
SIGNATURE_MISMATCH_MSG = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
TS = r"(\d{8}T\d{6}Z)"
SIG_EXPIRED_RE = re.compile(
    rf"^Signature expired: {TS} is now earlier than {TS} \({TS} - 15 min\.\)$"
)
SIG_NOT_YET_RE = re.compile(
    rf"^Signature not yet current: {TS} is still later than {TS} \({TS} \+ 15 min\.\)$"
)


def binary_path() -> Path:
    env = os.environ.get("HOURGLASS_BIN")
    return Path(env) if env else REPO / "target" / "debug" / "hourglass"


def unique(prefix: str = "u") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def clean_env() -> dict[str, str]:
    """Environment for child processes: no AWS_* and no HOURGLASS_* leaking in from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HOURGLASS_"))}
    env["AWS_CONFIG_FILE"] = "/dev/null"
    env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env


# ---------------------------------------------------------------------------------------------
# Credentials and clients
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Creds:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    @classmethod
    def from_access_key(cls, ak: dict) -> "Creds":
        return cls(ak["AccessKeyId"], ak["SecretAccessKey"])

    def botocore(self) -> botocore.credentials.Credentials:
        return botocore.credentials.Credentials(
            self.access_key_id, self.secret_access_key, self.session_token
        )

    def env(self) -> dict[str, str]:
        env = {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
        }
        if self.session_token:
            env["AWS_SESSION_TOKEN"] = self.session_token
        return env


ROOT = Creds(ROOT_AKID, ROOT_SECRET)


_SESSION_LOCK = threading.Lock()
_SESSION: boto3.session.Session | None = None


def _session() -> boto3.session.Session:
    """One boto3 session for the whole run: service models are loaded once, which keeps
    client creation cheap. Credentials are always passed explicitly to each client."""
    global _SESSION
    if _SESSION is None:
        _SESSION = boto3.session.Session()
    return _SESSION


def client(
    service: str,
    endpoint: str,
    creds: Creds,
    *,
    region: str = "us-east-1",
    validate: bool = True,
):
    cfg = Config(
        retries={"total_max_attempts": 1},
        connect_timeout=5,
        read_timeout=60,
        parameter_validation=validate,
    )
    with _SESSION_LOCK:
        return _session().client(
            service,
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=creds.access_key_id,
            aws_secret_access_key=creds.secret_access_key,
            aws_session_token=creds.session_token,
            config=cfg,
        )


def expect_error(
    fn,
    *args,
    code: str,
    status: int,
    message: str | None = None,
    match: str | re.Pattern | None = None,
    **kwargs,
) -> ClientError:
    """Call fn(*args, **kwargs), require a ClientError with the given code/status/message."""
    try:
        result = fn(*args, **kwargs)
    except ClientError as e:
        err = e.response.get("Error", {})
        got_status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        assert (err.get("Code"), got_status) == (code, status), (
            f"expected {code}/{status}, got {err.get('Code')}/{got_status}: {err}"
        )
        if message is not None:
            assert err.get("Message") == message, err
        if match is not None:
            pat = match if isinstance(match, re.Pattern) else re.compile(match)
            assert pat.search(err.get("Message", "")), err
        return e
    raise AssertionError(f"expected {code}/{status}, call succeeded: {result!r}")


def user_not_found(name: str) -> str:
    return f"The user with name {name} cannot be found."


def create_user(iam, name: str | None = None, **kwargs) -> dict:
    name = name or unique()
    return iam.create_user(UserName=name, **kwargs)["User"]


def create_user_with_key(iam, name: str | None = None, **kwargs) -> tuple[str, Creds, dict]:
    user = create_user(iam, name, **kwargs)
    ak = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
    return user["UserName"], Creds.from_access_key(ak), ak


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@contextlib.contextmanager
def skewed_clock(offset: dt.timedelta):
    """Make botocore's SigV4 signer believe the time is now + offset."""

    def fake_now(remove_tzinfo: bool = True):
        now = dt.datetime.now(dt.timezone.utc) + offset
        return now.replace(tzinfo=None) if remove_tzinfo else now

    with mock.patch.object(botocore.auth, "get_current_datetime", fake_now):
        yield


# ---------------------------------------------------------------------------------------------
# Raw, manually signed Query requests
# ---------------------------------------------------------------------------------------------

FORM_CT = "application/x-www-form-urlencoded; charset=utf-8"


def form(params: dict | list | None) -> bytes:
    if params is None:
        return b""
    return urlencode(params).encode()


def signed_request(
    endpoint: str,
    creds: Creds | None,
    body: bytes | dict | list | None = None,
    *,
    service: str = "iam",
    region: str = "us-east-1",
    method: str = "POST",
    path: str = "/",
    query: dict | None = None,
    headers: dict | None = None,
    when: dt.datetime | None = None,
) -> tuple[str, dict[str, str], bytes]:
    """Build and SigV4-sign a request with botocore; returns (url, headers, body)."""
    if isinstance(body, (dict, list)):
        body = form(body)
    body = body or b""
    url = endpoint.rstrip("/") + path
    if query:
        url += "?" + urlencode(query)
    hdrs = {}
    if method == "POST":
        hdrs["Content-Type"] = FORM_CT
    hdrs.update(headers or {})
    req = AWSRequest(method=method, url=url, data=body, headers=hdrs)
    if creds is not None:
        signer = botocore.auth.SigV4Auth(creds.botocore(), service, region)
        if when is None:
            signer.add_auth(req)
        else:
            naive = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
            with mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: naive):
                signer.add_auth(req)
    return url, dict(req.headers.items()), body


def send(method: str, url: str, headers: dict, body: bytes, timeout: float = 30) -> requests.Response:
    return requests.request(method, url, headers=headers, data=body, timeout=timeout)


def raw_query(endpoint: str, creds: Creds | None, params, **kw) -> requests.Response:
    method = kw.get("method", "POST")
    url, headers, body = signed_request(endpoint, creds, params, **kw)
    return send(method, url, headers, body)


def tamper_signature(headers: dict) -> dict:
    """Flip one hex character of the Signature in the Authorization header."""
    auth = headers["Authorization"]
    m = re.search(r"Signature=([0-9a-f]{64})", auth)
    assert m, auth
    sig = m.group(1)
    flipped = ("1" if sig[-1] != "1" else "2")
    new = sig[:-1] + flipped
    out = dict(headers)
    out["Authorization"] = auth.replace(sig, new)
    return out


def xml_root(resp: requests.Response) -> ET.Element:
    return ET.fromstring(resp.content)


def ns_of(el: ET.Element) -> str:
    m = re.match(r"^\{([^}]*)\}", el.tag)
    return m.group(1) if m else ""


def local(tag: str) -> str:
    return tag.split("}", 1)[-1]


def child(el: ET.Element, name: str) -> ET.Element | None:
    for c in el:
        if local(c.tag) == name:
            return c
    return None


def path_find(el: ET.Element, *names: str) -> ET.Element | None:
    cur: ET.Element | None = el
    for n in names:
        if cur is None:
            return None
        cur = child(cur, n)
    return cur


@dataclass
class QueryError:
    status: int
    type: str | None
    code: str | None
    message: str | None
    request_id: str | None
    namespace: str
    root_tag: str
    header_request_id: str | None
    content_type: str


def parse_error(resp: requests.Response) -> QueryError:
    assert resp.content, f"empty error body, status {resp.status_code}"
    try:
        root = xml_root(resp)
    except ET.ParseError as e:
        raise AssertionError(
            f"error body is not XML ({e}); status {resp.status_code}: {resp.content[:300]!r}"
        ) from None
    err = child(root, "Error")

    def text(parent, n):
        if parent is None:
            return None
        c = child(parent, n)
        return c.text if c is not None else None

    return QueryError(
        status=resp.status_code,
        type=text(err, "Type"),
        code=text(err, "Code"),
        message=text(err, "Message"),
        request_id=text(root, "RequestId"),
        namespace=ns_of(root),
        root_tag=local(root.tag),
        header_request_id=resp.headers.get("x-amzn-RequestId"),
        content_type=resp.headers.get("Content-Type", ""),
    )


def assert_query_error(
    resp: requests.Response,
    code: str,
    status: int,
    message: str | None = None,
    match: str | re.Pattern | None = None,
) -> QueryError:
    e = parse_error(resp)
    assert (e.code, e.status) == (code, status), (e, resp.text)
    assert e.root_tag == "ErrorResponse", resp.text
    assert e.type == ("Sender" if status < 500 else "Receiver"), resp.text
    if message is not None:
        assert e.message == message, resp.text
    if match is not None:
        pat = match if isinstance(match, re.Pattern) else re.compile(match)
        assert e.message and pat.search(e.message), resp.text
    return e


# ---------------------------------------------------------------------------------------------
# The server process
# ---------------------------------------------------------------------------------------------


class ServerDied(AssertionError):
    pass


_LIVE: list["HourglassServer"] = []

# Process groups of every server this run started. Servers run in their own session (so a
# terminal's Ctrl-C reaches pytest, which then stops them in order), and a wrapper such as
# `faketime` forks the real server instead of exec'ing it and does not forward signals: only
# signalling the whole group reaches the server behind the wrapper.
STARTED_GROUPS: set[int] = set()

PR_SET_PDEATHSIG = 1
try:
    import ctypes

    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux: no parent-death signal
    _prctl = None


def _die_with_parent() -> None:
    """preexec_fn: the kernel SIGKILLs the server if pytest dies without cleaning up (SIGKILL,
    OOM). Resolved before fork; the child only makes the one call."""
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group."""
    out = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        # No /proc: fall back to "does the group still exist at all".
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    for e in entries:
        if not e.isdigit():
            continue
        try:
            with open(f"/proc/{e}/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) >= 3 and fields[0] != "Z" and int(fields[2]) == pgid:
            out.append(int(e))
    return out


def signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def wait_group_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while group_members(pgid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def kill_group(pgid: int, timeout: float = 10) -> bool:
    """SIGKILL every process of the group and wait until none is left."""
    signal_group(pgid, signal.SIGKILL)
    return wait_group_gone(pgid, timeout)


def leftover_processes() -> dict[int, str]:
    """Processes of groups this run started that are still alive: pid -> command line."""
    out = {}
    for pgid in sorted(STARTED_GROUPS):
        for pid in group_members(pgid):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
            except OSError:
                cmd = "?"
            out[pid] = cmd
    return out


def processes_mentioning(text: str) -> dict[int, str]:
    """Live hourglass processes whose command line contains `text` (a data dir under this
    run's temporary directory): catches servers a test started without HourglassServer."""
    out = {}
    text = text.rstrip("/") + "/"  # pytest-1/ must not match pytest-12/
    try:
        entries = os.listdir("/proc")
    except OSError:
        return out
    for e in entries:
        if not e.isdigit() or int(e) == os.getpid():
            continue
        try:
            with open(f"/proc/{e}/cmdline", "rb") as f:
                argv = [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
            with open(f"/proc/{e}/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
        except OSError:
            continue
        if stat[stat.rfind(")") + 2 :].split()[:1] == ["Z"]:
            continue
        if any(Path(a).name == "hourglass" for a in argv) and any(text in a for a in argv):
            out[int(e)] = " ".join(argv)
    return out


@atexit.register
def _kill_all_started() -> None:
    # Last resort when the interpreter exits with servers still running (an interrupted
    # run, a fixture that never got to its finalizer).
    for pgid in list(STARTED_GROUPS):
        kill_group(pgid, timeout=5)


class HourglassServer:
    """One `hourglass serve` process on a data dir. restart() keeps the data dir."""

    def __init__(
        self,
        data_dir: Path,
        *,
        log_dir: Path,
        root: Creds | None = ROOT,
        account_id: str | None = None,
        extra_args: Iterable[str] = (),
        extra_env: dict[str, str] | None = None,
        listen: str | None = "127.0.0.1:0",
    ):
        self.listen = listen
        self.data_dir = Path(data_dir)
        self.log_dir = Path(log_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env_root = root
        self.account_id = account_id
        self.extra_args = list(extra_args)
        self.extra_env = dict(extra_env or {})
        self.proc: subprocess.Popen | None = None
        self.endpoint: str | None = None
        self.port: int | None = None
        self.stdout_lines: list[str] = []
        self.starts = 0
        self.startup_seconds: float | None = None
        self.stderr_path: Path | None = None
        self.pgid: int | None = None
        self._stopped_rcs: list[int] = []

    # -- lifecycle -------------------------------------------------------------------------

    def command(self) -> list[str]:
        cmd = [str(binary_path()), "serve", "--data-dir", str(self.data_dir)]
        if self.listen is not None:
            cmd += ["--listen", self.listen]
        if self.account_id:
            cmd += ["--account-id", self.account_id]
        return cmd + self.extra_args

    def environment(self) -> dict[str, str]:
        env = clean_env()
        if self.env_root is not None:
            env["HOURGLASS_ROOT_ACCESS_KEY_ID"] = self.env_root.access_key_id
            env["HOURGLASS_ROOT_SECRET_ACCESS_KEY"] = self.env_root.secret_access_key
        env.setdefault("RUST_BACKTRACE", "1")
        env.update(self.extra_env)
        return env

    def start(self) -> "HourglassServer":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.kill()  # reap an earlier run that exited on its own, and its group
        binp = binary_path()
        if not binp.exists():
            raise FileNotFoundError(
                f"hourglass binary not found at {binp}; run `cargo build -p hourglass` "
                "or set HOURGLASS_BIN"
            )
        self.starts += 1
        self.stderr_path = self.log_dir / f"hourglass-{id(self):x}-{self.starts}.stderr.log"
        stderr_f = open(self.stderr_path, "wb")
        t0 = time.monotonic()
        main_thread = threading.current_thread() is threading.main_thread()
        try:
            self.proc = subprocess.Popen(
                self.command(),
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr_f,
                start_new_session=True,
                # The parent-death signal fires when the *thread* that forked exits: only
                # servers started from pytest's main thread may have it.
                preexec_fn=_die_with_parent if main_thread else None,
            )
        finally:
            stderr_f.close()
        # Registered before anything else can fail, so no failure path leaks the process.
        self.pgid = self.proc.pid
        STARTED_GROUPS.add(self.pgid)
        if self not in _LIVE:
            _LIVE.append(self)
        lines: queue.Queue = queue.Queue()
        run_lines: list[str] = []
        self.stdout_lines.append(f"--- start #{self.starts}")

        def pump(stream, q, sink):
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                sink.append(line)
                q.put(line)
            q.put(None)

        threading.Thread(
            target=pump, args=(self.proc.stdout, lines, run_lines), daemon=True
        ).start()
        self._run_lines = run_lines
        deadline = t0 + START_TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise ServerDied(
                    f"hourglass did not print its listening line within {START_TIMEOUT}s\n"
                    + self.diagnostics()
                )
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                rc = self.proc.wait(timeout=5)
                self.kill()
                raise ServerDied(
                    f"hourglass exited (rc={rc}) before it was ready\n" + self.diagnostics()
                )
            self.stdout_lines.append(line)
            m = READY_RE.match(line)
            if m:
                self.endpoint, self.port = m.group(1), int(m.group(2))
                self.startup_seconds = time.monotonic() - t0
                break
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int | None:
        """Stop gracefully; returns the exit code. Raises ServerDied if it had crashed.

        The signal goes to the server's whole process group (a wrapper like `faketime` does
        not forward it), and stop returns only once no process of the group is left."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            rc = self.proc.returncode
            self.kill()
            raise ServerDied(f"hourglass had already exited (rc={rc})\n" + self.diagnostics())
        signal_group(self.pgid, sig)
        deadline = time.monotonic() + timeout
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ServerDied(f"hourglass did not stop within {timeout}s of signal {sig}")
        if not wait_group_gone(self.pgid, max(0.0, deadline - time.monotonic())):
            left = group_members(self.pgid)
            self.kill()
            raise ServerDied(
                f"processes {left} of the server's group outlived it by {timeout}s (signal {sig})"
            )
        self.proc = None
        STARTED_GROUPS.discard(self.pgid)
        self._stopped_rcs.append(rc)
        if self in _LIVE:
            _LIVE.remove(self)
        return rc

    def kill(self) -> None:
        """SIGKILL the server (and anything else in its process group) and wait for it: a
        crash as far as the data directory is concerned."""
        if self.proc is not None:
            if not kill_group(self.pgid):
                raise ServerDied(f"process group {self.pgid} survived SIGKILL for 10 s")
            self.proc.wait(timeout=10)
            STARTED_GROUPS.discard(self.pgid)
        self.proc = None
        if self in _LIVE:
            _LIVE.remove(self)

    def restart(self) -> "HourglassServer":
        rc = self.stop()
        assert rc == 0, f"hourglass exited with {rc} on SIGTERM\n{self.diagnostics()}"
        return self.start()

    def close(self) -> None:
        """Teardown: stop, and fail if the process died or panicked along the way."""
        try:
            if self.proc is not None:
                self.stop()
        finally:
            self.kill()
        panics = self.panics()
        if panics:
            raise ServerDied("hourglass panicked:\n" + panics + "\n" + self.diagnostics())

    # -- diagnostics ------------------------------------------------------------------------

    def stderr_text(self) -> str:
        texts = []
        for p in sorted(self.log_dir.glob(f"hourglass-{id(self):x}-*.stderr.log")):
            try:
                texts.append(p.read_text("utf-8", "replace"))
            except OSError:
                pass
        return "\n".join(texts)

    def panics(self) -> str:
        return "\n".join(l for l in self.stderr_text().splitlines() if "panicked" in l)

    def diagnostics(self, tail: int = 200) -> str:
        err = self.stderr_text().splitlines()[-tail:]
        return (
            f"command: {' '.join(self.command())}\n"
            f"stdout:\n  " + "\n  ".join(self.stdout_lines[-50:]) + "\n"
            f"stderr (last {tail} lines):\n  " + "\n  ".join(err)
        )

    # -- convenience ------------------------------------------------------------------------

    @property
    def root(self) -> Creds:
        if self.env_root is not None:
            return self.env_root
        return read_credentials_file(self.data_dir / "root-credentials")

    def iam(self, creds: Creds | None = None, **kw):
        return client("iam", self.endpoint, creds or self.root, **kw)

    def sts(self, creds: Creds | None = None, **kw):
        return client("sts", self.endpoint, creds or self.root, **kw)

    def query(self, creds: Creds | None, params, **kw) -> requests.Response:
        return raw_query(self.endpoint, creds, params, **kw)

    def get(self, path: str, **kw) -> requests.Response:
        return requests.get(self.endpoint + path, timeout=10, **kw)

    def cli(self, args: list[str], creds: Creds | None = None, **kw) -> "CliResult":
        if creds is None and "extra_env" not in kw:
            creds = self.root
        return run_aws_cli(args, endpoint=self.endpoint, creds=creds, **kw)


def read_credentials_file(path: Path, profile: str = "default") -> Creds:
    cp = configparser.ConfigParser()
    with open(path) as f:
        cp.read_file(f)
    sec = cp[profile]
    return Creds(sec["aws_access_key_id"].strip(), sec["aws_secret_access_key"].strip())


# ---------------------------------------------------------------------------------------------
# The aws CLI
# ---------------------------------------------------------------------------------------------


@dataclass
class CliResult:
    rc: int
    stdout: str
    stderr: str
    json: Any = None
    args: list[str] = field(default_factory=list)

    def ok(self) -> Any:
        assert self.rc == 0, f"aws {' '.join(self.args)} -> rc {self.rc}\n{self.stderr}"
        return self.json


def run_aws_cli(
    args: list[str],
    *,
    endpoint: str | None,
    creds: Creds | None = None,
    region: str = "us-east-1",
    extra_env: dict[str, str] | None = None,
    timeout: float = 60,
) -> CliResult:
    env = clean_env()
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    env["AWS_DEFAULT_REGION"] = region
    env["AWS_MAX_ATTEMPTS"] = "1"
    env["AWS_PAGER"] = ""
    if creds is not None:
        env.update(creds.env())
    env.update(extra_env or {})
    cmd = [sys.executable, "-m", "awscli", *args, "--output", "json"]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    parsed = None
    if p.stdout.strip():
        try:
            parsed = json.loads(p.stdout)
        except ValueError:
            parsed = None
    return CliResult(p.returncode, p.stdout, p.stderr, parsed, list(args))


def all_user_names(iam, path_prefix: str = "/") -> set[str]:
    pages = iam.get_paginator("list_users").paginate(PathPrefix=path_prefix)
    return {u["UserName"] for p in pages for u in p["Users"]}


def drop_pg_schemas(*schemas: str) -> None:
    """Drops the tests' PostgreSQL schemas; best effort, so a missing psql only leaves them."""
    psql = shutil.which("psql")
    if not psql or not DB_URL:
        return
    for schema in schemas:
        subprocess.run(
            [psql, DB_URL, "-q", "-c", f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'],
            capture_output=True,
            timeout=30,
        )


def json_call(
    endpoint: str,
    creds: Creds | None,
    target: str,
    body: bytes | dict | None = None,
    *,
    service: str,
    version: str = "1.1",
) -> requests.Response:
    """A JSON-protocol call (`X-Amz-Target`), SigV4-signed for `service` unless `creds` is None."""
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    headers = {"X-Amz-Target": target, "Content-Type": f"application/x-amz-json-{version}"}
    url, hdrs, data = signed_request(endpoint, creds, body or b"{}", service=service, headers=headers)
    return send("POST", url, hdrs, data)
