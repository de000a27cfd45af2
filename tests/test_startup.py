"""Fast start: what `sayso --help` and a `sayso check` answered from the policy cache
import (nothing heavy), and bench/cli.py prints its table. Times live in bench/cli.py."""

from __future__ import annotations

import importlib
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
AREAS = tuple(
    f"commands.{p.stem}"
    for p in sorted((ROOT / "commands").glob("*.py"))
    if "\nCOMMANDS = " in p.read_text(encoding="utf-8")
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
    # nor what a decision on a cached policy never uses: other commands' modules, the
    # entry-point machinery (no third-party plugin is installed here), the specs of
    # publishers and sources, inbound routing, OpenSSL, sockets, CSV
    later = (
        "importlib.metadata",
        "email",
        "zipfile",
        "csv",
        "socket",
        "_hashlib",
        "fcntl",
        "engine.version",
        "engine.deliveryspecs",
        "engine.inbound.routing",
        *(area for area in AREAS if area != "commands.policy"),
    )
    assert loaded(check, tmp_path, later) == []


def test_the_lazy_table_describes_every_command():
    """`sayso --help` lists commands from commands.lazy.COMMANDS without importing
    them: the table names each command's module and its help's first paragraph."""
    from commands.lazy import COMMANDS

    found = {}
    for area in AREAS:
        for command in importlib.import_module(area).COMMANDS:
            first = " ".join(command.help.partition("\n\n")[0].split())
            found[command.name] = (area.removeprefix("commands."), first)
    assert len(AREAS) >= 7
    assert found == COMMANDS


@pytest.mark.parametrize("columns", ["60", "80", "132"])
def test_help_is_the_same_as_with_every_command_imported(columns):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": columns}

    def run(code: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )

    lazy = run("import cli; cli.main(['--help'])")
    eager = run(
        "import click, cli\n"
        "ctx = click.Context(cli.cli)\n"
        "for name in cli.cli.list_commands(ctx): cli.cli.get_command(ctx, name)\n"
        "assert len(cli.cli.commands) > 30\n"
        "cli.main(['--help'])"
    )
    assert eager.returncode == lazy.returncode == 0, eager.stderr
    assert "withdraw  The author withdraws a pending post." in lazy.stdout
    assert lazy.stdout == eager.stdout


def test_a_mistyped_command_gets_suggestions_from_every_command():
    out = subprocess.run(
        [sys.executable, "cli.py", "chek"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert out.stderr == (
        "error: No such command 'chek'. (Did you mean one of: 'check', 'schema'?) "
        "(see sayso --help)\n"
    )


def test_a_command_imports_only_its_own_area(tmp_path):
    assert loaded(["--help"], tmp_path, AREAS) == []
    assert loaded(["--policy", "policies", "validate"], tmp_path, AREAS) == ["commands.policy"]
    assert loaded(["audit", "--help"], tmp_path, AREAS) == ["commands.audit"]


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
