"""Fixtures for the Hourglass end-to-end suite.

The binary is `$HOURGLASS_BIN` or `<repo>/target/debug/hourglass` (build it first with
`cargo build -p hourglass`; this suite never builds). Each server listens on 127.0.0.1:0 and
announces its port on stdout. Server stderr is kept in a log file and attached to the report of
any failing test; a server that crashed or panicked fails the test that owned it.
"""

from __future__ import annotations

import os

import pytest

import hg

# Nothing from the caller's AWS configuration may leak into boto3 in this process.
for _k in list(os.environ):
    if _k.startswith("AWS_"):
        del os.environ[_k]
os.environ["AWS_CONFIG_FILE"] = "/dev/null"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs HOURGLASS_TEST_DATABASE_URL")


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
