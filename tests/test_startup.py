"""Fast start: what `sayso --help` and a `sayso check` answered from the policy cache
import (nothing heavy), and bench/cli.py prints its table. Times live in bench/cli.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = (
    "jsonschema",
    "cerberus",
    "yaml",
    "sqlalchemy",
    "flask",
    "rapidfuzz",
    "smtplib",
    "urllib.request",
    "ruamel",
    "alembic",
)
PROBE = """
import json, runpy, sys
sys.argv = ["cli.py", *json.loads(sys.argv[1])]
try:
    runpy.run_path("cli.py", run_name="__main__")
except SystemExit:
    pass
print("\\nLOADED " + json.dumps(sorted(m for m in sys.modules if m in HEAVY)))
"""


def loaded(args: list[str], cache: Path, watch: tuple[str, ...] = HEAVY) -> list[str]:
    code = f"HEAVY = {watch!r}\n" + PROBE
    env = {**os.environ, "SAYSO_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    return json.loads(out.rsplit("LOADED ", 1)[1])


def test_help_imports_nothing_heavy(tmp_path):
    assert loaded(["--help"], tmp_path) == []


def test_help_does_not_build_the_model(tmp_path):
    """The model's dataclasses are most of the start-up; --help needs only the commands."""
    assert loaded(["--help"], tmp_path, ("engine.model", "engine.compiler")) == []
    assert loaded(["audit", "--help"], tmp_path, ("engine.model",)) == []


def test_warm_check_imports_nothing_heavy(tmp_path):
    check = [
        "--policy",
        "policies",
        "check",
        "--author",
        "dana",
        "--channel",
        "twitter/nmtw_help",
        "--kind",
        "reply",
        "--text",
        "Sorry, a refund is coming.",
    ]
    cold = loaded(check, tmp_path)
    assert "jsonschema" in cold and "yaml" in cold  # the first run validates the files
    assert loaded(check, tmp_path) == []


@pytest.mark.slow
def test_bench_cli_prints_its_table():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "cli.py"), "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "command",
        "cold",
        "wall",
        "cold",
        "CPU",
        "warm",
        "wall",
        "warm",
        "CPU",
    ]
    assert [line.split("  ")[0] for line in lines[1:]] == [
        "python -c pass",
        "sayso --help",
        "sayso validate",
        "sayso check",
        "sayso test",
    ]
