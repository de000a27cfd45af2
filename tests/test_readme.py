"""The README's examples work as shown: the policy sketch validates, and the five-minute
tour runs command by command against a copy of the example policy."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
TOUR = README[README.index("## A five-minute tour") : README.index("## The command line")]


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def commands(block: str) -> list[tuple[str, str]]:
    """(command line, trailing comment) for each `sayso ...` line, continuations joined."""
    joined = re.sub(r"\\\n\s*", "", block)
    out = []
    for line in joined.splitlines():
        line = line.removeprefix("$ ").strip()
        if line.startswith("sayso "):
            command, _, comment = line.partition("  #")
            out.append((command.strip(), comment.strip()))
    return out


@pytest.fixture
def tour(tmp_path, monkeypatch):
    """A copy of policies/ with the tour's step-1 topic added, and a runner in tmp_path."""
    policy = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policy)
    step1 = blocks(TOUR, "yaml")[0]
    topics = policy / "topics.yaml"
    topics.write_text(topics.read_text() + step1)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(line: str):
        args = shlex.split(line)[1:]
        return runner.invoke(cli, ["--policy", str(policy), "--db", "sqlite:///sayso.db", *args])

    return run


def test_policy_sketch_validates(tmp_path):
    sketch = next(b for b in blocks(README, "yaml") if b.startswith("version: 1"))
    (tmp_path / "policy.yaml").write_text(sketch)
    result = CliRunner().invoke(cli, ["--policy", str(tmp_path), "validate"])
    assert result.exit_code == 0, result.output


def test_the_tour_runs_as_written(tour):
    assert tour("sayso validate").exit_code == 0
    assert tour("sayso test").exit_code == 0

    [console] = blocks(TOUR, "console")
    [(check, _)] = commands(console)
    result = tour(check)
    assert result.exit_code == 3, result.output
    shown = [line for line in console.splitlines()[2:] if line.strip() and line.strip() != "..."]
    for line in shown:
        assert line.rstrip() in result.output, line

    version = None
    for block in blocks(TOUR, "sh"):
        for line, comment in commands(block):
            if line.startswith("sayso policy show"):
                line = f"sayso policy show {version[:12]}"
            result = tour(line)
            expected = 1 if "refused" in comment else 0
            assert result.exit_code == expected, (line, result.output)
            if line.startswith("sayso submit"):
                version = re.search(r"Policy version: ([0-9a-f]{64})", result.output).group(1)
            if line.startswith("sayso approve 1 --as fran"):
                assert "submission 1: published" in result.output
            if "own post" in comment or "refused" in comment:
                assert "own post" in result.output or "not pending" in result.output
    assert Path("audit.csv").read_text().count("\n") > 5
