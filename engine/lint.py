"""`sayso lint`: static analysis of a valid policy, beyond what `validate` refuses.

Each lint rule is one function in `engine.lintrules`, `engine.linttopics` or
`engine.lintinventory`, registered with a stable id, a severity and a one-line
summary (`RULES`). `lint_policy(policy_dir)` loads the
policy (a policy that does not validate gives one `invalid-policy` error per
problem), runs every rule, drops the findings a policy's `lint: {ignore: [...]}`
silences (each ignore names a rule, an item and a reason; an ignore that silences
nothing is itself a warning) and returns the findings sorted by position.

Findings print as text (`FILE:LINE:COL: SEVERITY ID: message`), JSON or SARIF 2.1.0.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from .model import Loc, Policy


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    id: str  # the lint rule
    severity: Severity
    loc: Loc
    message: str
    item: str = ""  # what the finding is about (a rule, topic, user... id): for ignores

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity.value,
            "file": self.loc.file,
            "line": self.loc.line,
            "col": self.loc.col,
            "message": self.message,
            "item": self.item,
        }

    def __str__(self) -> str:
        return f"{self.loc}: {self.severity.value} {self.id}: {self.message}"


@dataclass(frozen=True, slots=True)
class LintRule:
    id: str
    severity: Severity
    summary: str
    check: Callable[[LintContext], Iterable[Finding]]


RULES: dict[str, LintRule] = {}

# Findings that are not made by a registered rule function.
INVALID = "invalid-policy"
UNUSED_IGNORE = "unused-lint-ignore"
META_RULES = {
    INVALID: (Severity.ERROR, "The policy does not validate (`sayso validate` says why)."),
    UNUSED_IGNORE: (Severity.WARNING, "A `lint: ignore` entry silences no finding."),
}


def rule(rule_id: str, severity: Severity, summary: str):
    """Register a lint rule function: `fn(ctx) -> Iterable[(Loc, message, item)]`."""

    def register(fn: Callable[[LintContext], Iterable[tuple[Loc, str, str]]]):
        def check(ctx: LintContext) -> Iterator[Finding]:
            for loc, message, item in fn(ctx):
                yield Finding(rule_id, severity, loc, message, item)

        RULES[rule_id] = LintRule(rule_id, severity, summary, check)
        return fn

    return register


def rule_ids() -> list[str]:
    """Every lint id, registered rules and the two meta ones."""
    _load_rules()
    return sorted({*RULES, *META_RULES})


def _load_rules() -> None:
    from . import lintinventory, lintrules, linttopics  # noqa: F401 - they register the rules


# ---------------------------------------------------------------- positions


@dataclass(slots=True)
class _Where:
    name: str  # the file as shown
    positions: Any  # engine.yamlpos.Positions
    path: tuple


class Positions:
    """Where each section entry was written, to point findings at the exact node."""

    def __init__(self, policy_dir: str, policy: Policy):
        from .yamlpos import YamlProblem, read_yaml

        self.items: dict[tuple[str, str], _Where] = {}
        self.ignores: list[tuple[dict[str, Any], Loc]] = []
        self.documents: list[Any] = []
        for rel, data in policy.files.items():
            if not rel.endswith((".yaml", ".yml")):
                continue
            try:
                doc = read_yaml(data)
            except YamlProblem:
                continue
            if not isinstance(doc.data, dict):
                continue
            self.documents.append(doc.data)
            name = os.path.join(policy_dir, *rel.split("/"))
            self._index(name, doc)

    def _index(self, name: str, doc: Any) -> None:
        for section, block in doc.data.items():
            if isinstance(block, dict):
                for key in block:
                    self.items[(section, str(key))] = _Where(name, doc.positions, (section, key))
            elif isinstance(block, list):
                for index, value in enumerate(block):
                    if isinstance(value, dict):
                        ident = value.get("id") or value.get("use")
                        if isinstance(ident, str):
                            where = _Where(name, doc.positions, (section, index))
                            self.items.setdefault((section, ident), where)
        lint = doc.data.get("lint")
        ignores = lint.get("ignore") if isinstance(lint, dict) else None
        for index, entry in enumerate(ignores if isinstance(ignores, list) else ()):
            line, col = doc.positions.value(("lint", "ignore", index))
            self.ignores.append((entry, Loc(name, line, col)))

    def at(self, section: str, ident: str, *sub: Any, fallback: Loc | None = None) -> Loc:
        """The node `sub` inside entry `ident` of `section` (the entry itself without `sub`)."""
        where = self.items.get((section, ident))
        if where is None:
            return fallback or Loc("<policy>", 1, 1)
        path = where.path + sub
        if sub and isinstance(sub[-1], str) or not sub and isinstance(where.path[-1], str):
            line, col = where.positions.key(path)
        else:
            line, col = where.positions.value(path)
        return Loc(where.name, line, col)


# ---------------------------------------------------------------- running


@dataclass
class LintContext:
    """What every lint rule may look at."""

    policy_dir: str
    engine: Any  # engine.compiler.Engine
    where: Positions
    today: date
    tests_dir: str
    _cache: dict[str, Any] = field(default_factory=dict)
    memo: dict[tuple, Any] = field(default_factory=dict)  # helpers' results, by arguments

    @property
    def policy(self) -> Policy:
        return self.engine.policy

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]


@dataclass(frozen=True, slots=True)
class LintReport:
    findings: tuple[Finding, ...]
    ignored: int = 0

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def reaches(self, fail_on: Severity) -> bool:
        """Whether a finding is at least as severe as `fail_on`."""
        if fail_on == Severity.WARNING:
            return bool(self.findings)
        return self.count(Severity.ERROR) > 0


def lint_policy(
    policy_dir: str | os.PathLike,
    pm: Any = None,
    *,
    today: date | None = None,
    tests_dir: str | None = None,
) -> LintReport:
    """Every lint finding of a policy directory (raises nothing for a bad policy)."""
    from .compiler import compile_policy
    from .errors import PolicyError
    from .loader import load_policy

    _load_rules()
    shown = os.fspath(policy_dir)
    today = today or datetime.now(UTC).date()
    try:
        policy = load_policy(shown, pm, today=today)
        engine = compile_policy(policy, pm)
    except PolicyError as err:
        severity, _ = META_RULES[INVALID]
        found = [Finding(INVALID, severity, p.loc, p.message) for p in err.problems]
        return LintReport(tuple(found))
    where = Positions(shown, policy)
    ctx = LintContext(shown, engine, where, today, tests_dir or os.path.join(shown, "tests"))
    found = [f for lint_rule in RULES.values() for f in lint_rule.check(ctx)]
    kept, ignored = _apply_ignores(found, where.ignores)
    return LintReport(tuple(sorted(kept, key=_order)), ignored)


def _order(f: Finding) -> tuple:
    return (f.loc.file, f.loc.line, f.loc.col, f.id, f.message)


def _apply_ignores(
    found: list[Finding], ignores: list[tuple[dict[str, Any], Loc]]
) -> tuple[list[Finding], int]:
    """The findings no ignore silences (plus one for each unused ignore), and how many were."""
    used = [False] * len(ignores)
    kept = []
    for finding in found:
        hits = [
            index
            for index, (entry, _) in enumerate(ignores)
            if entry.get("rule") == finding.id and entry.get("item") == finding.item
        ]
        for index in hits:
            used[index] = True
        if not hits:
            kept.append(finding)
    ignored = len(found) - len(kept)
    severity, _ = META_RULES[UNUSED_IGNORE]
    for (entry, loc), was_used in zip(ignores, used, strict=True):
        if not was_used:
            item = str(entry.get("item"))
            message = f"lint ignore of {entry.get('rule')} for '{item}' silences nothing: remove it"
            kept.append(Finding(UNUSED_IGNORE, severity, loc, message, item))
    return kept, ignored


# ---------------------------------------------------------------- output


def format_text(report: LintReport) -> str:
    """One `FILE:LINE:COL: SEVERITY ID: message` line per finding."""
    return "\n".join(str(f) for f in report.findings)


def summary(report: LintReport) -> str:
    """`N errors, N warnings (N ignored)`."""
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    return (
        f"{errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''}"
        + (f" ({report.ignored} ignored)" if report.ignored else "")
    )


def to_json(report: LintReport) -> list[dict[str, Any]]:
    return [f.to_dict() for f in report.findings]


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def to_sarif(report: LintReport) -> dict[str, Any]:
    """The findings as a SARIF 2.1.0 log (one run), for code-scanning UIs."""
    ids = rule_ids()
    index = {rule_id: i for i, rule_id in enumerate(ids)}
    rules = []
    for rule_id in ids:
        severity, summary = _describe(rule_id)
        rules.append(
            {
                "id": rule_id,
                "name": rule_id,
                "shortDescription": {"text": summary},
                "help": {"text": f"docs/lint.md#{rule_id}"},
                "defaultConfiguration": {"level": severity.value},
            }
        )
    results = [
        {
            "ruleId": f.id,
            "ruleIndex": index[f.id],
            "level": f.severity.value,
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.loc.file)},
                        "region": {
                            "startLine": max(f.loc.line, 1),
                            "startColumn": max(f.loc.col, 1),
                        },
                    }
                }
            ],
        }
        for f in report.findings
    ]
    driver = {"name": "sayso lint", "rules": rules}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }


def _describe(rule_id: str) -> tuple[Severity, str]:
    if rule_id in RULES:
        return RULES[rule_id].severity, RULES[rule_id].summary
    return META_RULES[rule_id]


def _uri(file: str) -> str:
    """A relative path stays relative (to the repository root); an absolute one is a file URI."""
    from pathlib import Path

    path = Path(file)
    return path.as_uri() if path.is_absolute() else path.as_posix()
