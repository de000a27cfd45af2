"""Checks on the project itself: layering, plugin hooks, CLI help, README, packaging."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from importlib.metadata import entry_points
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

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


LAYERS = ("loader", "validate", "compiler", "permissions", "decide")


def engine_imports(name: str) -> tuple[set[str], set[str]]:
    """(engine modules imported at the top of engine/NAME.py, those imported inside functions)."""
    tree = ast.parse((ROOT / "engine" / f"{name}.py").read_text(encoding="utf-8"))

    def relative(nodes) -> set[str]:
        return {
            n.module.split(".")[0]
            for n in nodes
            if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module
        }

    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    nested = relative(n for f in functions for n in ast.walk(f))
    return relative(tree.body), nested  # TYPE_CHECKING imports are neither


def test_loading_validating_and_compiling_have_no_import_cycle():
    """`engine.policies` is the facade; below it nothing imports its way back up lazily."""
    graph = {}
    for name in LAYERS:
        top, nested = engine_imports(name)
        assert not nested & set(LAYERS), f"engine/{name}.py imports {nested} inside a function"
        graph[name] = top & set(LAYERS)
    assert graph["validate"].isdisjoint({"loader", "compiler"})
    assert "compiler" not in graph["loader"]
    top, _ = engine_imports("policies")
    assert "compiler" in top  # the loader is reached through the policy cache (policycache)


PURE_CORE = [
    "engine.model",
    "engine.errors",
    "engine.times",
    "engine.posttext",
    "engine.durations",
    "engine.permissions",
    "engine.compiler",
    "engine.decide",
    "engine.explain",
    "engine.policies",
    "engine.workflow.rules",
    "engine.workflow.clock",
    "engine.workflow.views",
]


def test_pure_core_imports_no_framework_and_no_database():
    """Deciding, permissions and the workflow's rules run without flask, click or sqlalchemy."""
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, json.dumps(PURE_CORE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = {m.split(".")[0] for m in json.loads(out.stdout)}
    assert "engine" in loaded
    assert loaded.isdisjoint({"flask", "click", "werkzeug", "sqlalchemy", "alembic"})


def test_version_comes_from_package_metadata():
    result = CliRunner().invoke(cli.cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"sayso, version {metadata.version('sayso')}"


def test_the_code_type_checks():
    """`mypy` (the settings in pyproject.toml) finds nothing in the engine, the built-in
    plugins, the web app and the command line."""
    pytest.importorskip("mypy")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "engine", "plugins", "web", "commands", "cli.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
    assert "no issues found" in result.stdout


# ---- (b) every hook is documented, implemented and tested ------------------------


def test_there_are_hooks():
    assert "register_checks" in HOOKS and len(HOOKS) >= 5


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook):
    """A docstring, and a row of docs/plugins.md with the spec's own signature."""
    spec = getattr(hookspecs, hook)
    assert (spec.__doc__ or "").strip(), f"hook {hook} has no docstring"
    signature = inspect.signature(spec)
    returns = signature.return_annotation  # a string: hookspecs uses postponed annotations
    doc = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert f"| `{hook}` | `{returns}` |" in doc, f"docs/plugins.md: no row `{hook}` -> {returns}"
    if not signature.parameters:
        assert "Every hook takes no arguments" in doc
    else:  # a hook with arguments shows them, as it is called
        shown = ", ".join(f"{name}=" for name in signature.parameters)
        assert f"{hook}({shown}" in doc, f"docs/plugins.md does not show {hook}'s arguments"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_builtin_implementation(hook):
    implementers = [
        name
        for name in DEFAULT_PLUGINS
        if hasattr(getattr(importlib.import_module(name), hook, None), "sayso_impl")
    ]
    assert implementers, f"no built-in plugin implements {hook}"


def test_plugin_hooks_have_tests():
    """Every hook is implemented by a plugin that a test registers, so the engine calls
    it during the test (datasette's check, made stricter than a mention)."""
    texts = [
        p.read_text(encoding="utf-8")
        for p in (ROOT / "tests").glob("test_*.py")
        if p.name != Path(__file__).name
    ]
    untested = [
        hook
        for hook in HOOKS
        if not any(re.search(rf"def {hook}\(", t) and "register(" in t for t in texts)
    ]
    assert untested == [], f"hooks no test implements and registers: {', '.join(untested)}"


# ---- (c) every command has help; every top-level command is in the README --------


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # the top level imports its commands lazily
        command = group.get_command(ctx, name)
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
        for name in cli.cli.list_commands(click.Context(cli.cli))
        if not re.search(rf"sayso\s+{re.escape(name)}\b|`{re.escape(name)}`", readme)
    ]
    assert missing == [], f"commands README.md does not mention: {', '.join(missing)}"


# ---- (d) packaging -----------------------------------------------------------------


def test_every_package_is_packaged():
    """A wheel holds every top-level package the code imports (cli needs commands/)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert {"engine", "plugins", "web", "commands"} <= packages
    assert sorted(p for p in packages if f"{p}*" not in include) == []


def test_commands_live_in_the_commands_package():
    """cli.py only registers commands; each is defined in a module of commands/."""
    homes = {name: command.callback.__module__ for name, command in COMMANDS}
    assert sorted(n for n, home in homes.items() if not home.startswith("commands.")) == []


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
