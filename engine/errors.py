"""Typed errors. Every error a user can cause is a SaysoError with a one-line message."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Loc


class SaysoError(Exception):
    """Base of every error meant for a person: `str(err)` is one clear line."""


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    loc: Loc
    message: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.message}"


class PolicyError(SaysoError):
    """A policy directory is invalid; carries every problem found, each with its location."""

    def __init__(self, problems: list[PolicyProblem]):
        self.problems = sorted(problems, key=lambda p: (p.loc.file, p.loc.line, p.loc.col))
        super().__init__("\n".join(str(p) for p in self.problems))


class WorkflowError(SaysoError):
    """A workflow action was refused (not eligible, wrong state, self-approval...)."""


class NotFound(SaysoError):
    """An id (submission, user, version...) that does not exist."""
