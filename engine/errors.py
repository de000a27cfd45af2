"""Typed errors. Every error a user can cause is a SaysoError with a one-line message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import PolicyProblem

__all__ = [
    "NotAuthor",
    "NotEligible",
    "NotFound",
    "PolicyError",
    "PolicyProblem",
    "SaysoError",
    "StaleRevision",
    "WorkflowError",
    "WrongState",
    "first_line",
]


def __getattr__(name: str) -> Any:
    """`PolicyProblem` is re-exported lazily: the model's dataclasses take most of
    the start-up of `sayso --help`, which needs only the error classes."""
    if name == "PolicyProblem":
        from .model import PolicyProblem

        return PolicyProblem
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class SaysoError(Exception):
    """Base of every error meant for a person: `str(err)` is one clear line."""


def first_line(err: BaseException) -> str:
    """The first line of an error's message (a driver's own error when wrapped), for
    recording a failure in one line; the error's type when it has no message."""
    orig = getattr(err, "orig", None) or err
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__


class PolicyError(SaysoError):
    """A policy directory is invalid; carries every problem found, each with its location."""

    def __init__(self, problems: list[PolicyProblem], warnings: tuple[PolicyProblem, ...] = ()):
        self.problems = sorted(problems, key=lambda p: (p.loc.file, p.loc.line, p.loc.col))
        self.warnings = warnings  # found alongside the problems, for `validate`
        super().__init__("\n".join(str(p) for p in self.problems))


class WorkflowError(SaysoError):
    """A workflow action was refused. The subclasses say why; CLI exit codes and HTTP
    statuses are chosen from the type (cli.EXIT_CODES, web/errors.STATUSES)."""


class StaleRevision(WorkflowError):
    """An approval or rejection of a revision that is no longer the current one."""


class NotFound(WorkflowError):
    """An id (submission, user, version...) that does not exist."""


class NotAuthor(WorkflowError):
    """Only the author (or the delegation's giver) may do this."""


class NotEligible(WorkflowError):
    """The user may not act on this submission: not an owner, the author, or done already."""


class WrongState(WorkflowError):
    """The submission (or delegation) is not in a state that allows the action."""
