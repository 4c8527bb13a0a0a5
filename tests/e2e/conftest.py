"""Fixtures for the Hourglass end-to-end suite.

The binary is `$HOURGLASS_BIN` or `<repo>/target/debug/hourglass` (build it first with
`cargo build -p hourglass`; this suite never builds). Each server listens on 127.0.0.1:0 and
announces its port on stdout. Server stderr is kept in a log file and attached to the report of
any failing test; a server that crashed or panicked fails the test that owned it.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import hg
import s3util

# Nothing from the caller's AWS configuration may leak into boto3 in this process.
for _k in list(os.environ):
    if _k.startswith("AWS_"):
        del os.environ[_k]
os.environ["AWS_CONFIG_FILE"] = "/dev/null"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def _interrupt(signum, frame):
    # SIGTERM/SIGHUP (a CI timeout, a closed terminal) unwind like Ctrl-C: fixture
    # finalizers run and stop every server. Without this the interpreter dies at once.
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs HOURGLASS_TEST_DATABASE_URL")
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, _interrupt)


_BASETEMP: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def _run_basetemp(tmp_path_factory):
    """This run's temporary directory: every data dir lives under it, so a leftover server
    of this run (and only of this run) names it on its command line."""
    _BASETEMP.append(str(tmp_path_factory.getbasetemp()))
    yield


@pytest.hookimpl(wrapper=True)
def pytest_sessionfinish(session, exitstatus):
    """Fail the run if any hourglass process it started is still alive once every fixture
    has been torn down; kill it so that it does not outlive the run either."""
    result = yield
    left = hg.leftover_processes()
    for base in _BASETEMP:
        left.update(hg.processes_mentioning(base))
    if left:
        for pgid in list(hg.STARTED_GROUPS):
            hg.kill_group(pgid, timeout=5)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.1)
        lines = "\n".join(f"  pid {pid}: {cmd}" for pid, cmd in sorted(left.items()))
        msg = f"hourglass processes left running after the session (now killed):\n{lines}"
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_sep("!", "leftover hourglass processes", red=True)
            reporter.write_line(msg)
        else:
            print(msg)
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    return result


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        seen: list = []
        for srv in list(getattr(item, "_hg_servers", [])) + list(hg._LIVE):
            if any(srv is s for s in seen):
                continue
            seen.append(srv)
            rep.sections.append((f"hourglass server {srv.endpoint}", srv.diagnostics()))


def _new_server(tmp_path_factory, request, **kw) -> hg.HourglassServer:
    base = tmp_path_factory.mktemp("hg")
    srv = hg.HourglassServer(base / "data", log_dir=base / "logs", **kw)
    node = request.node
    servers = getattr(node, "_hg_servers", None)
    if servers is None:
        servers = []
        setattr(node, "_hg_servers", servers)
    servers.append(srv)
    return srv


@pytest.fixture(scope="module")
def server(tmp_path_factory, request):
    """A server shared by the tests of one module (known root keys). Tests isolate themselves
    with unique names; use `fresh_server` when a test needs an empty account."""
    srv = _new_server(tmp_path_factory, request).start()
    yield srv
    srv.close()


@pytest.fixture
def fresh_server(tmp_path_factory, request):
    """A server of its own for one test, on a new data dir, with known root keys."""
    srv = _new_server(tmp_path_factory, request).start()
    yield srv
    srv.close()


@pytest.fixture
def server_factory(tmp_path_factory, request):
    """Make (not start) servers with custom settings: server_factory(root=None, extra_args=[...])."""
    made: list[hg.HourglassServer] = []

    def make(**kw) -> hg.HourglassServer:
        srv = _new_server(tmp_path_factory, request, **kw)
        made.append(srv)
        return srv

    yield make
    errors = []
    for srv in made:
        try:
            srv.close()
        except AssertionError as e:  # keep tearing down the others
            errors.append(e)
    if errors:
        raise errors[0]


@pytest.fixture
def iam(server):
    """iam(creds=None, **client_kw): a boto3 IAM client on the module server (root by default)."""
    return lambda creds=None, **kw: server.iam(creds, **kw)


@pytest.fixture
def sts(server):
    """sts(creds=None, **client_kw): a boto3 STS client on the module server (root by default)."""
    return lambda creds=None, **kw: server.sts(creds, **kw)


@pytest.fixture
def aws_cli(server):
    """aws_cli(args, creds=None, **kw) -> CliResult(rc, stdout, stderr, json) on the module server."""
    return lambda args, creds=None, **kw: server.cli(args, creds, **kw)


# The S3 suites' common callers: a module defining its own `creds`, `s3` or `bucket` keeps
# it; `BUCKET_PREFIX` in a module names its buckets.
@pytest.fixture(scope="module")
def creds(server):
    """Keys of an IAM user allowed everything on the module server."""
    return s3util.full_access(server)


@pytest.fixture(scope="module")
def s3(server, creds):
    """A boto3 S3 client signed with `creds`."""
    return s3util.s3_client(server.endpoint, creds)


@pytest.fixture
def bucket(s3, request):
    """A new bucket, named from the module's `BUCKET_PREFIX` (default `b`)."""
    name = hg.unique(getattr(request.module, "BUCKET_PREFIX", "b"))
    s3.create_bucket(Bucket=name)
    return name
