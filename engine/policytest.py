"""Policy tests (SPEC "Policy tests"): example posts with the decision they must get.

A test file is YAML with one `tests:` list (and optionally `version: 1` and `x-`
anchor keys). Each case:

    - name: support may reply on twitter           # required
      post: {author: dana, channel: twitter/nmtw_help, kind: reply, text: Hi!}
      expect: approved                              # approved | denied | needs_signoff
      reasons_include: [support-replies]            # ids that must be among the reasons
      reasons_exclude: [complaints]                 # ids that must not be
      requires: [complaints]                        # the exact set of requirement ids
      warnings_include: [competitor-mentions]       # ids that must be among the warnings
      at: 2027-06-01T09:00:00Z                      # decide as of this time (default now)

Unknown keys, bad values and ids that name nothing in the policy are `PolicyError`
problems at their FILE:LINE:COL. Coverage counts the rules, topics and checks that
no case exercised: a rule matched the post, a topic was found in it (in force on the
channel), a check produced a finding; being waived or reported as advisory counts too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .model import Decision, Outcome
from .policycases import TestCase, case_files, load_cases  # noqa: F401  (importable from here)

if TYPE_CHECKING:
    from .compiler import Engine

COVERED_KINDS = ("rule", "topic", "check")


@dataclass(frozen=True, slots=True)
class CaseResult:
    name: str
    file: str
    line: int
    passed: bool
    expected: Outcome
    actual: Outcome
    reasons: tuple[tuple[str, str], ...]  # (id, message) of the actual reasons
    missing_reasons: tuple[str, ...] = ()
    unexpected_reasons: tuple[str, ...] = ()
    expected_requires: tuple[str, ...] | None = None
    actual_requires: tuple[str, ...] = ()
    missing_warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file,
            "line": self.line,
            "passed": self.passed,
            "expected": self.expected.value,
            "actual": self.actual.value,
            "reasons": [{"id": i, "message": m} for i, m in self.reasons],
            "missing_reasons": list(self.missing_reasons),
            "unexpected_reasons": list(self.unexpected_reasons),
            "expected_requires": (
                None if self.expected_requires is None else list(self.expected_requires)
            ),
            "actual_requires": list(self.actual_requires),
            "missing_warnings": list(self.missing_warnings),
        }


@dataclass(frozen=True, slots=True)
class Coverage:
    total: int
    exercised: int
    uncovered: tuple[tuple[str, str], ...]  # (kind, id), in policy order

    @property
    def percent(self) -> float:
        return 100.0 if self.total == 0 else 100.0 * self.exercised / self.total

    def to_dict(self) -> dict[str, Any]:
        return {
            "percent": round(self.percent, 1),
            "exercised": self.exercised,
            "total": self.total,
            "uncovered": [{"kind": k, "id": i} for k, i in self.uncovered],
        }


@dataclass(frozen=True, slots=True)
class TestReport:
    __test__ = False  # not a pytest class

    cases: tuple[CaseResult, ...]
    coverage: Coverage

    @property
    def passed(self) -> int:
        return sum(1 for c in self.cases if c.passed)

    @property
    def failed(self) -> int:
        return len(self.cases) - self.passed

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failed": self.failed,
            "cases": [c.to_dict() for c in self.cases],
            "coverage": self.coverage.to_dict(),
        }


# ---- running -------------------------------------------------------------------


def run_policy_tests(engine: Engine, tests_dir: str | os.PathLike) -> TestReport:
    """Load every test file of `tests_dir` and decide each case (raises PolicyError)."""
    cases = load_cases(tests_dir, known_ids=policy_ids(engine))
    results = []
    exercised: set[tuple[str, str]] = set()
    for case in cases:
        decision = engine.decide(case.post, now=case.at, history=case.history_source())
        exercised |= exercised_by(engine, decision)
        results.append(judge(case, decision))
    return TestReport(tuple(results), coverage(engine, exercised))


def judge(case: TestCase, decision: Decision) -> CaseResult:
    reason_ids = {r.id for r in decision.reasons}
    warning_ids = {w.id for w in decision.warnings}
    actual_requires = tuple(q.id for q in decision.requirements)
    missing = tuple(i for i in case.reasons_include if i not in reason_ids)
    unexpected = tuple(i for i in case.reasons_exclude if i in reason_ids)
    missing_warnings = tuple(i for i in case.warnings_include if i not in warning_ids)
    requires_ok = case.requires is None or set(case.requires) == set(actual_requires)
    passed = (
        decision.decision == case.expect
        and not missing
        and not unexpected
        and not missing_warnings
        and requires_ok
    )
    return CaseResult(
        name=case.name,
        file=case.file,
        line=case.line,
        passed=passed,
        expected=case.expect,
        actual=decision.decision,
        reasons=tuple((r.id, r.message) for r in decision.reasons),
        missing_reasons=missing,
        unexpected_reasons=unexpected,
        expected_requires=case.requires,
        actual_requires=actual_requires,
        missing_warnings=missing_warnings,
    )


def policy_ids(engine: Engine) -> dict[str, tuple[str, ...]]:
    """Rule, topic and check ids of the policy, by kind, in policy order."""
    policy = engine.policy
    return {
        "rule": tuple(r.id for r in policy.rules),
        "topic": tuple(policy.topics),
        "check": tuple(c.id for c in policy.checks),
    }


def exercised_by(engine: Engine, decision: Decision) -> set[tuple[str, str]]:
    """(kind, id) of every rule, topic and check that took part in the decision."""
    ids = policy_ids(engine)
    found = {(s.stage, s.id) for s in decision.trace if s.matched and s.stage in COVERED_KINDS}
    for warning in decision.warnings:
        if warning.kind in COVERED_KINDS:
            found.add((warning.kind, warning.id))
        elif warning.kind == "waiver":  # id is the waived rule, topic or check
            found.update((kind, warning.id) for kind in COVERED_KINDS if warning.id in ids[kind])
    return {(kind, i) for kind, i in found if i in ids[kind]}


def coverage(engine: Engine, exercised: set[tuple[str, str]]) -> Coverage:
    every = [(kind, i) for kind, ids in policy_ids(engine).items() for i in ids]
    uncovered = tuple(item for item in every if item not in exercised)
    return Coverage(len(every), len(every) - len(uncovered), uncovered)


# ---- text output ---------------------------------------------------------------


def format_failure(case: CaseResult) -> str:
    """A failed case, readably: where, what was expected, what happened."""
    lines = [f"FAIL {case.file}:{case.line}: {case.name}"]
    lines.append(f"  expected: {case.expected.value}")
    lines.append(f"  actual:   {case.actual.value}")
    if case.missing_reasons:
        lines.append(f"  missing reasons: {', '.join(case.missing_reasons)}")
    if case.unexpected_reasons:
        lines.append(f"  unexpected reasons: {', '.join(case.unexpected_reasons)}")
    if case.expected_requires is not None and set(case.expected_requires) != set(
        case.actual_requires
    ):
        want = ", ".join(case.expected_requires) or "none"
        got = ", ".join(case.actual_requires) or "none"
        lines.append(f"  requirements: expected {want}; actual {got}")
    if case.missing_warnings:
        lines.append(f"  missing warnings: {', '.join(case.missing_warnings)}")
    for ident, message in case.reasons:
        lines.append(f"  reason [{ident}] {message}")
    return "\n".join(lines)


def format_coverage(cov: Coverage) -> str:
    lines = [f"not exercised: {kind} {ident}" for kind, ident in cov.uncovered]
    lines.append(f"coverage: {cov.percent:.1f}% ({cov.exercised}/{cov.total})")
    return "\n".join(lines)
