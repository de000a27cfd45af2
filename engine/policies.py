"""A policy directory made usable: the one entry point for loading and validating.

`load_engine` (read, validate, compile) and `validate_policy` (every error and
warning, for `sayso validate`) sit above the loader, the validator and the
compiler, so none of those three imports another lazily to get here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .compiler import compile_policy, load_engine
from .errors import PolicyError
from .model import PolicyProblem

__all__ = ["Validation", "load_engine", "validate_policy"]


@dataclass(frozen=True, slots=True)
class Validation:
    """What `sayso validate` reports about a policy directory."""

    valid: bool
    errors: tuple[PolicyProblem, ...]
    warnings: tuple[PolicyProblem, ...]
    policy: Any = None  # the loaded Policy when valid

    @property
    def version(self) -> str | None:
        return self.policy.version if self.policy is not None else None

    def counts(self) -> dict[str, int]:
        p = self.policy
        if p is None:
            return {}
        return {
            "users": len(p.users),
            "groups": len(p.groups),
            "channels": len(p.channels),
            "rules": len(p.rules),
            "topics": len(p.topics),
        }

    def to_dict(self) -> dict[str, Any]:
        def row(p: PolicyProblem) -> dict[str, Any]:
            return {"file": p.loc.file, "line": p.loc.line, "col": p.loc.col, "message": p.message}

        return {
            "valid": self.valid,
            "errors": [row(e) for e in self.errors],
            "warnings": [row(w) for w in self.warnings],
            "version": self.version,
            "counts": self.counts(),
        }


def validate_policy(
    policy_dir: Any, pm: Any = None, *, today: date | None = None, use_cache: bool = False
) -> Validation:
    """Load and compile a policy directory, collecting every error and warning
    (`use_cache`: a policy unchanged since it last loaded comes from engine.policycache,
    without importing the semantic checks)."""
    from .policycache import load_policy_cached

    try:
        policy = load_policy_cached(policy_dir, pm, today=today, use_cache=use_cache)
        compile_policy(policy, pm)
    except PolicyError as err:
        return Validation(False, tuple(err.problems), tuple(err.warnings))
    return Validation(True, (), tuple(policy.warnings), policy)
