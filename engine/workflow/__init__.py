"""The publishing workflow: submissions, approvals, escalation, delegation, publishing.

`Workflow` (core.py) is the entry point; the modules beside it each own one part
(see docs/ARCHITECTURE.md). `Workflow` is imported on first use, so the pure parts
(`rules`, `clock`, `views`) load without the database layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .views import (
    Delegation,
    RequirementState,
    Revision,
    Submission,
    SubmissionRecord,
    TickReport,
    Verdict,
)

if TYPE_CHECKING:
    from .core import Workflow

__all__ = [
    "Delegation",
    "RequirementState",
    "Revision",
    "Submission",
    "SubmissionRecord",
    "TickReport",
    "Verdict",
    "Workflow",
]


def __getattr__(name: str) -> Any:
    if name == "Workflow":
        from .core import Workflow

        return Workflow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
