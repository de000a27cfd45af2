"""`sayso validate`: load and compile a policy, collecting every error and warning.

Kept apart from engine.validate (the semantic checks, which need RE2 and the JSON
Schema) so that a command answered from the policy cache does not import them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from .model import Loc

_LOCATED = re.compile(r"^(.+?):(\d+):(\d+): (.*)$", re.S)


@dataclass(frozen=True, slots=True)
class Validation:
    """What `sayso validate` reports about a policy directory."""

    valid: bool
    errors: tuple[tuple[Loc, str], ...]
    warnings: tuple[tuple[Loc, str], ...]
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
        def row(loc: Loc, message: str) -> dict[str, Any]:
            return {"file": loc.file, "line": loc.line, "col": loc.col, "message": message}

        return {
            "valid": self.valid,
            "errors": [row(*e) for e in self.errors],
            "warnings": [row(*w) for w in self.warnings],
            "version": self.version,
            "counts": self.counts(),
        }


def parse_located(text: str) -> tuple[Loc, str]:
    """ "FILE:LINE:COL: message" (as in Policy.warnings) back into (Loc, message)."""
    match = _LOCATED.match(text)
    if match is None:
        return Loc("<policy>", 0, 0), text
    file, line, col, message = match.groups()
    return Loc(file, int(line), int(col)), message


def validate_policy(
    policy_dir: Any, pm: Any = None, *, today: date | None = None, use_cache: bool = False
) -> Validation:
    """Load and compile a policy directory, collecting every error and warning
    (`use_cache`: a policy unchanged since it last loaded comes from engine.policycache)."""
    from .compiler import compile_policy
    from .errors import PolicyError
    from .policycache import load_policy_cached

    try:
        policy = load_policy_cached(policy_dir, pm, today=today, use_cache=use_cache)
        compile_policy(policy, pm)
    except PolicyError as err:
        errors = tuple((p.loc, p.message) for p in err.problems)
        warnings = tuple(parse_located(w) for w in getattr(err, "warnings", ()))
        return Validation(False, errors, warnings)
    return Validation(True, (), tuple(parse_located(w) for w in policy.warnings), policy)
