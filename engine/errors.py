"""Typed errors. Every error a user can cause is a SaysoError with a one-line message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only an annotation here: `sayso --help` need not load the model
    from .model import Loc


class SaysoError(Exception):
    """Base of every error meant for a person: `str(err)` is one clear line."""


def first_line(err: BaseException) -> str:
    """The first line of an error's message (a driver's own error when wrapped), for
    recording a failure in one line; the error's type when it has no message."""
    orig = getattr(err, "orig", None) or err
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__


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


class StaleRevision(WorkflowError):
    """An approval or rejection of a revision that is no longer the current one."""


class NotFound(SaysoError):
    """An id (submission, user, version...) that does not exist."""
