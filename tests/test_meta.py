"""Checks on the project itself: layering, plugin hooks, CLI help, README, packaging."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import click
import pytest

import cli
from engine import hookspecs
from engine.plugins import DEFAULT_PLUGINS

ROOT = Path(__file__).resolve().parent.parent


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


ENGINE_MODULES = sorted(
    module_name(p) for p in (ROOT / "engine").rglob("*.py") if "migrations" not in p.parts
)
HOOKS = sorted(name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "sayso_spec"))


# ---- (a) the engine is pure -----------------------------------------------------

IMPORT_ALL = """
import importlib, json, sys
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
from engine.compiler import load_engine
from engine.model import Post
engine = load_engine("policies")
engine.decide(Post("dana", "twitter/nmtw_help", "Sorry to hear that!", "reply"))
print(json.dumps(sorted(sys.modules)))
"""


def test_engine_imports_neither_flask_nor_click():
    assert "engine.compiler" in ENGINE_MODULES and "engine.workflow.clock" in ENGINE_MODULES
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, json.dumps(ENGINE_MODULES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(out.stdout)
    assert "engine.diff" in loaded
    offenders = [m for m in loaded if m.split(".")[0] in {"flask", "click", "werkzeug"}]
    assert offenders == []


# ---- (b) every hook is documented, implemented and tested ------------------------


def test_there_are_hooks():
    assert "register_checks" in HOOKS and len(HOOKS) >= 5


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook):
    doc = getattr(hookspecs, hook).__doc__ or ""
    assert doc.strip(), f"hook {hook} has no docstring"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_builtin_implementation(hook):
    implementers = [
        name
        for name in DEFAULT_PLUGINS
        if hasattr(getattr(importlib.import_module(name), hook, None), "sayso_impl")
    ]
    assert implementers, f"no built-in plugin implements {hook}"


def test_plugin_hooks_have_tests():
    """Every hook is named in a test other than this one (datasette's check)."""
    texts = [
        p.read_text(encoding="utf-8")
        for p in (ROOT / "tests").glob("*.py")
        if p.name != Path(__file__).name
    ]
    untested = [hook for hook in HOOKS if not any(hook in text for text in texts)]
    assert untested == [], f"hooks no test mentions: {', '.join(untested)}"


# ---- (c) every command has help; every top-level command is in the README --------


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, command in sorted(group.commands.items()):
        out.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            out.extend(_commands(command, f"{prefix}{name} "))
    return out


COMMANDS = _commands(cli.cli)


def test_the_cli_has_its_commands():
    names = {name for name, _ in COMMANDS}
    assert {"validate", "check", "test", "diff", "audit export", "audit verify"} <= names


def test_every_command_has_help():
    missing = [name for name, command in COMMANDS if not (command.help or "").strip()]
    assert missing == [], f"commands without help text: {', '.join(missing)}"


def test_every_top_level_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [
        name
        for name in sorted(cli.cli.commands)
        if not re.search(rf"sayso\s+{re.escape(name)}\b|`{re.escape(name)}`", readme)
    ]
    assert missing == [], f"commands README.md does not mention: {', '.join(missing)}"


# ---- (d) packaging -----------------------------------------------------------------


def test_console_script_resolves_to_cli_main():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"]["sayso"] == "cli:main"
    module, _, attr = pyproject["project"]["scripts"]["sayso"].partition(":")
    assert getattr(importlib.import_module(module), attr) is cli.main
    installed = entry_points(group="console_scripts", name="sayso")
    assert [ep.value for ep in installed] == ["cli:main"]


def test_console_script_runs():
    script = Path(sys.executable).parent / "sayso"
    if not script.exists():
        pytest.skip("sayso is not installed in this environment")
    out = subprocess.run([str(script), "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "diff" in out.stdout and "validate" in out.stdout
