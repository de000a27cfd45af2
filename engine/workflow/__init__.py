"""The publishing workflow: submissions, approvals, escalation, delegation, publishing.

`Workflow` (core.py) is the entry point; the modules beside it each own one part
(see docs/ARCHITECTURE.md).
"""

from .core import Workflow
from .views import (
    Delegation,
    RequirementState,
    Revision,
    Submission,
    SubmissionRecord,
    TickReport,
    Verdict,
)

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
