"""The record a regulator asks for, per communication, and taking a post down.

FINRA 2210(b)(4)(A) and 3110(b)(4) ask, for each communication: the exact text
approved, who prepared it and each approving principal (by name) with the date
of approval, the dates of first and last use, and every change with who and
when; SEC 17a-4(f) asks that the records be kept unalterable. `communications`
derives all of it from the audit events alone (the same function serves `show`,
the export and the offline archive), so the record is as trustworthy as the
verified chain. `retire` records the last use of a published post.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import update

from .auditevent import AuditEvent
from .errors import SaysoError, WorkflowError
from .model import Role
from .posttext import check_note
from .tables import submissions

Names = Callable[[str], str | None]


def person(user: str | None, names: Names) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user, "name": names(user) or user}


def communications(events: Iterable[AuditEvent], names: Names) -> dict[int, dict[str, Any]]:
    """One record per submission, built from its events in sequence order."""
    out: dict[int, dict[str, Any]] = {}
    for e in events:
        if e.submission_id is None:
            continue
        if e.event == "submitted":
            out[e.submission_id] = _new(e, as_recorded(e, names))
        record = out.get(e.submission_id)
        step = _STEPS.get(e.event)
        if record is not None and step is not None:
            step(record, e, as_recorded(e, names))
    return out


def as_recorded(e: AuditEvent, names: Names) -> Names:
    """Names as the event recorded them when it happened (`details.names`), else `names`."""
    recorded = e.details.get("names") if isinstance(e.details, dict) else None
    if not isinstance(recorded, dict) or not recorded:
        return names
    return lambda user: recorded.get(user) or names(user)


def _new(e: AuditEvent, names: Names) -> dict[str, Any]:
    return {
        "id": e.submission_id,
        "channel": e.channel,
        "kind": e.details.get("kind"),
        "preparer": person(e.author, names),
        "status": None,
        "approved_revision": None,
        "approved_text": None,
        "approved_text_sha256": None,
        "approvals": [],
        "rejections": [],
        "first_use": None,
        "last_use": None,
        "retired_by": None,
        "retire_reason": None,
        "modifications": [],
        "decisions": [],
        "policy_versions": [],
    }


def _when(e: AuditEvent) -> dict[str, Any]:
    return {"at": e.ts, "recorded_at": e.recorded_at, "manual_clock": e.manual_clock}


def _modified(record, e, names) -> None:
    record["modifications"].append(
        {
            "revision": e.details.get("revision"),
            "by": person(e.actor, names),
            **_when(e),
            "text": e.details.get("text"),
            "text_sha256": e.text_sha256,
        }
    )


def _decided(record, e, names) -> None:
    record["decisions"].append(
        {
            "revision": e.details.get("revision"),
            "outcome": e.details.get("decision"),
            "reasons": [r.get("id") for r in e.details.get("reasons", [])],
            "policy_version": e.policy_version,
            "at": e.ts,
        }
    )
    if e.policy_version and e.policy_version not in record["policy_versions"]:
        record["policy_versions"].append(e.policy_version)
    outcome = e.details.get("decision")
    record["status"] = {"approved": "approved", "needs_signoff": "pending"}.get(outcome, outcome)
    if outcome == "approved":  # approved by the policy itself, no principal needed
        _approve_text(record, e.details.get("revision"))


def _approve_text(record, revision) -> None:
    text = next((m for m in record["modifications"] if m["revision"] == revision), None)
    record["approved_revision"] = revision
    record["approved_text"] = text and text["text"]
    record["approved_text_sha256"] = text and text["text_sha256"]


def _approved(record, e, names) -> None:
    record["approvals"].append(
        {
            "by": person(e.actor, names),
            "on_behalf_of": person(e.on_behalf_of, names),
            "revision": e.details.get("revision"),
            **_when(e),
            "comment": e.details.get("comment"),
        }
    )
    record["status"] = e.details.get("status", record["status"])
    if record["status"] == "approved":
        _approve_text(record, e.details.get("revision"))


def _rejected(record, e, names) -> None:
    record["rejections"].append(
        {
            "by": person(e.actor, names),
            "on_behalf_of": person(e.on_behalf_of, names),
            "revision": e.details.get("revision"),
            **_when(e),
            "reason": e.details.get("reason"),
        }
    )
    record["status"] = "rejected"


def _published(record, e, names) -> None:
    record["status"] = "published"
    if record["first_use"] is None:
        record["first_use"] = e.ts


def _retired(record, e, names) -> None:
    record["last_use"] = e.ts
    record["retired_by"] = person(e.actor, names)
    record["retire_reason"] = e.details.get("reason")


def _withdrawn(record, e, names) -> None:
    record["status"] = "withdrawn"


_STEPS = {
    "submitted": _modified,
    "revised": _modified,
    "decided": _decided,
    "approved": _approved,
    "rejected": _rejected,
    "published": _published,
    "retired": _retired,
    "withdrawn": _withdrawn,
}


def retire(
    workflow, sid: int, actor: str, *, reason: str | None = None, now: datetime | None = None
):
    """Record that a published post was taken down or superseded (its last use).
    The author or an admin may; the post stays published in the record."""
    from .workflow.records import event, named
    from .workflow.rows import SubmissionRows
    from .workflow.rules import known_user, moment

    now = moment(now)
    known_user(workflow.engine, actor)
    if reason is not None:
        check_note(reason)
    rows = SubmissionRows(workflow.engine, workflow.store)
    with workflow.store.write() as conn:
        row = rows.lock(conn, sid)
        if actor != row.author and not workflow.engine.has_role(actor, Role.ADMINS):
            raise WorkflowError(f"only the author ({row.author}) or an admin may retire {row.id}")
        if row.status != "published":
            raise WorkflowError(f"submission {row.id} is {row.status}; only published posts retire")
        if row.retired_at is not None:
            raise WorkflowError(f"submission {row.id} is already retired")
        conn.execute(update(submissions).where(submissions.c.id == row.id).values(retired_at=now))
        sub = rows.view(conn, row)
        details = named(workflow.engine, {"revision": row.revision, "reason": reason}, actor)
        event(workflow.store, conn, "retired", actor, now, sub, details=details)
    return rows.get(row.id)


def names_of(engine) -> Names:
    """User names from the policy in force, for events that recorded none (the id when
    a user has since left)."""
    users = engine.policy.users
    return lambda user: users[user].name if user in users and users[user].name else None


def communication(workflow, record) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """`show`'s regulator record for a `SubmissionRecord`, and the policy files
    behind each of its decisions (version -> path -> text)."""
    built = communications(record.events, names_of(workflow.engine))
    comm = built.get(record.submission.id) or {}
    snapshots = {v: workflow.policy_snapshot(v) for v in comm.get("policy_versions", [])}
    return comm, snapshots


RECORD_COLUMNS = (
    "id",
    "channel",
    "kind",
    "status",
    "preparer",
    "approved_revision",
    "approved_text",
    "approved_text_sha256",
    "approvals",
    "rejections",
    "first_use",
    "last_use",
    "modifications",
    "policy_versions",
)


def _flat(value) -> str:
    """One CSV cell: people as `Name (id)`, lists joined with `; `."""
    if value is None:
        return ""
    if isinstance(value, dict) and "id" in value and "name" in value:
        return f"{value['name']} ({value['id']})"
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict):
                who = _flat(item.get("by"))
                behalf = f" for {_flat(item['on_behalf_of'])}" if item.get("on_behalf_of") else ""
                parts.append(f"revision {item.get('revision')} by {who}{behalf} at {item['at']}")
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return str(value)


def export_records(events: Iterable[AuditEvent], names: Names, out, fmt: str = "jsonl") -> int:
    """Write one regulator record per communication as JSONL or CSV; returns how many."""
    import csv

    import orjson

    from . import csvcells

    built = communications(events, names)
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(RECORD_COLUMNS)
        for sid in sorted(built):
            writer.writerow(csvcells.row(_flat(built[sid].get(c)) for c in RECORD_COLUMNS))
    elif fmt == "jsonl":
        for sid in sorted(built):
            out.write(orjson.dumps(built[sid], option=orjson.OPT_SORT_KEYS).decode() + "\n")
    else:
        raise SaysoError(f"unknown export format '{fmt[:20]}' (jsonl or csv)")
    return len(built)
