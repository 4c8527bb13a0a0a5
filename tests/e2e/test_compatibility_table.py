"""docs/compatibility.md's operation coverage is what the server serves: the generated
section matches botocore's IAM/STS models and the server's operation tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_operation_table_is_up_to_date():
    r = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "operation-table.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_iam_operation_is_listed():
    page = (ROOT / "docs" / "compatibility.md").read_text()
    section = page[page.index("## Operation coverage") :]
    import botocore.session

    model = botocore.session.get_session().get_service_model("iam")
    for op in model.operation_names:
        assert f"| {op} | " in section, op
