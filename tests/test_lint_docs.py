"""docs/lint.md documents every lint rule with a bad and a good example, and they do
what the page says: the bad one gives exactly that rule's finding, the good one none."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from engine.lint import lint_policy, rule_ids

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "lint.md").read_text(encoding="utf-8")
TODAY = date(2027, 1, 1)  # the day docs/lint.md says the examples are linted on


def sections() -> dict[str, str]:
    parts = re.split(r"^### ([a-z-]+)\n", DOC, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def examples(rule_id: str) -> tuple[str, str]:
    body = sections()[rule_id]
    bad = re.search(r"^Bad[^\n]*\n\n```yaml\n(.*?)```", body, flags=re.S | re.M)
    good = re.search(r"^Good[^\n]*\n\n```yaml\n(.*?)```", body, flags=re.S | re.M)
    assert bad and good, f"{rule_id}: needs a Bad and a Good yaml example"
    return bad.group(1), good.group(1)


def write_policy(directory: Path, text: str) -> Path:
    """The example as a policy directory; `# file: NAME` starts another file."""
    name, files = "policy.yaml", {}
    for line in text.splitlines(keepends=True):
        found = re.match(r"# file: (\S+)\n", line)
        if found:
            name = found.group(1)
            continue
        files[name] = files.get(name, "") + line
    for rel, content in files.items():
        (directory / rel).parent.mkdir(parents=True, exist_ok=True)
        (directory / rel).write_text(content, encoding="utf-8")
    return directory


def test_every_rule_is_documented_once():
    assert sorted(sections()) == rule_ids()


@pytest.mark.parametrize("rule_id", rule_ids())
def test_bad_example_gives_exactly_that_finding(rule_id, tmp_path):
    bad, _ = examples(rule_id)
    report = lint_policy(write_policy(tmp_path, bad), today=TODAY)
    assert {f.id for f in report.findings} == {rule_id}, [str(f) for f in report.findings]


@pytest.mark.parametrize("rule_id", rule_ids())
def test_good_example_gives_no_finding(rule_id, tmp_path):
    _, good = examples(rule_id)
    report = lint_policy(write_policy(tmp_path, good), today=TODAY)
    assert report.findings == (), [str(f) for f in report.findings]


def test_schema_lists_every_ignorable_rule():
    schema = json.loads((ROOT / "engine" / "schema.json").read_text())
    listed = schema["$defs"]["lintIgnore"]["properties"]["rule"]["enum"]
    assert listed == [i for i in rule_ids() if i not in ("invalid-policy", "unused-lint-ignore")]
