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


def console_steps(text: str) -> list[tuple[str, str, list[str]]]:
    """(command, trailing comment, output lines shown) for each `$ sayso ...` of the
    console blocks, in order; continuation lines joined."""
    steps: list[tuple[str, str, list[str]]] = []
    for block in blocks(text, "console"):
        for line in re.sub(r"\\\n\s*", "", block).splitlines():
            if line.startswith("$ "):
                command, _, comment = line[2:].partition("  #")
                steps.append((command.strip(), comment.strip(), []))
            elif steps:
                steps[-1][2].append(line)
    return steps


def expected_exit(comment: str) -> int:
    found = re.search(r"\bexit (\d)", comment)
    if "refused" in comment:
        return 1
    return int(found.group(1)) if found else 0


def test_the_tour_runs_as_written(tour):
    """Every command of the tour, in order, exits as its comment says and prints every
    line the README shows for it ('...' stands for lines left out)."""
    assert tour("sayso validate").exit_code == 0
    assert tour("sayso test").exit_code == 0
    steps = console_steps(TOUR)
    assert [c.split()[1] for c, _, _ in steps] == [
        "check",
        "submit",
        "queue",
        "approve",
        "approve",
        "submit",
        "tick",
        "queue",
        "audit",
        "audit",
        "show",
        "policy",
        "policy",
    ]
    for command, comment, shown in steps:
        result = tour(command)
        assert result.exit_code == expected_exit(comment), (command, result.output)
        for line in shown:
            if line.strip() and line.strip() != "...":
                assert line.rstrip() in result.output, (command, line, result.output)
    assert Path("audit.csv").read_text().count("\n") > 5
