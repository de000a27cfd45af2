"""`sayso audit verify` as one engine call: the chain, the heads kept elsewhere,
the checkpoint files, and the stored records re-derived from the events."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from .auditevent import VerifyResult
from .auditlog import AuditLog
from .checkpoint import Head, check_checkpoints, check_heads
from .evidence import check_records
from .store import Store


def verify(
    store: Store,
    *,
    heads: Iterable[Head] = (),
    checkpoints: Iterable[str | Path] = (),
    records: bool = True,
    progress: Callable[[int], None] | None = None,
) -> VerifyResult:
    """Everything `audit verify` checks, stopping at the first failure."""
    result = AuditLog(store).verify(progress=progress)
    if not result.ok:
        return result
    heads = list(heads)
    checkpoints = list(checkpoints)
    problem = check_heads(store, heads)
    for path in checkpoints:
        problem = problem or check_checkpoints(store, path)
    if not problem and records:
        problem = check_records(store)
    if problem:
        return VerifyResult(False, result.count, None, problem)
    extra = []
    if heads:
        extra.append(f"{len(heads)} head(s) held")
    if checkpoints:
        extra.append(f"{len(checkpoints)} checkpoint file(s) held")
    if records:
        extra.append("stored records agree with the log")
    message = result.message + ("; " + "; ".join(extra) if extra else "")
    return replace(result, message=message)
