"""JSON API for inbound messages, `/api/v1/inbound` (nested in the `api` blueprint, so
it shares its authentication): delivery by integrations, inboxes, closing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, jsonify, request

from engine.errors import SaysoError
from engine.inbound.importer import message_from
from engine.inbound.inbox import COUNT_CAP, VIEWS, count, inbox
from engine.inbound.items import InboundStatus
from engine.model import Role

from .auth import sayso

bp = Blueprint("inbound", __name__, url_prefix="/inbound")
MAX_BATCH = 1000


def _body(schema: str) -> Any:
    from .api import json_body

    return json_body(schema)


@bp.post("")
def deliver():
    """One message (an object) or a batch (an array); duplicates are ignored."""
    state = sayso()
    if not state.engine.has_role(g.user, Role.INTEGRATIONS):
        abort(403, "delivering messages needs the integrations role")
    data = _body("InboundDelivery")
    batch = isinstance(data, list)
    if batch and len(data) > MAX_BATCH:
        abort(413, f"a batch holds at most {MAX_BATCH} messages")
    messages, results = [], []
    for index, record in enumerate(data if batch else [data]):
        try:
            messages.append((index, message_from(record)))
        except SaysoError as err:
            results.append({"index": index, "error": str(err)})
    box = state.workflow.inbound
    stored = box.receive_many([m for _, m in messages], source="api", actor=g.user)
    for (index, _), (item, error) in zip(messages, stored, strict=True):
        if error is not None:
            results.append({"index": index, "error": str(error)})
        else:
            results.append({"index": index, **_summary(item)})
            if not batch:
                return jsonify(item.to_dict()), 200 if item.duplicate else 201
    results.sort(key=lambda r: r["index"])
    if not batch:
        abort(400, results[0]["error"])
    tally = {
        "added": sum(1 for r in results if "id" in r and not r["duplicate"]),
        "duplicate": sum(1 for r in results if r.get("duplicate")),
        "invalid": sum(1 for r in results if "error" in r),
    }
    return jsonify(**tally, results=results), 200


def _summary(item) -> dict[str, Any]:
    return {
        "id": item.id,
        "status": item.status.value,
        "route": item.route,
        "topics": list(item.topics),
        "owners": list(item.owners),
        "due_at": item.to_dict()["due_at"],
        "duplicate": item.duplicate,
    }


def _int(name: str, default: int, low: int, high: int) -> int:
    from .api import query_int

    return query_int(name, default, low, high)


@bp.get("")
def listing():
    """The caller's inbox (`view`); with `status`, every message (admins and auditors)."""
    state = sayso()
    limit = _int("limit", 100, 1, 500)
    offset = _int("offset", 0, 0, 10**9)
    status = request.args.get("status")
    if status:
        if status not in {s.value for s in InboundStatus}:
            abort(400, "status must be one of: " + ", ".join(s.value for s in InboundStatus))
        if not state.workflow.inbound.oversees(g.user):
            abort(403, "only admins and auditors may list every message")
        items = state.workflow.inbound.items(status=status, limit=limit, offset=offset)
        return jsonify(total=None, items=[i.to_dict() for i in items])
    view = request.args.get("view", "all")
    if view not in VIEWS:
        abort(400, "view must be one of: " + ", ".join(VIEWS))
    box = state.workflow.inbound
    items = inbox(box, g.user, view=view, limit=limit, offset=offset)
    total = count(box, g.user, view)
    return jsonify(total=total, total_capped=total >= COUNT_CAP, items=[i.to_dict() for i in items])


def visible(item_id: int):
    """Owners, admins and auditors see a message; to anyone else it does not exist
    (the same 404 as for a missing one: no existence oracle)."""
    box = sayso().workflow.inbound
    try:
        item = box.get(item_id)
    except SaysoError:
        abort(404, f"no inbound item {item_id}")
    if not box.may_view(item, g.user):
        abort(404, f"no inbound item {item_id}")
    return item


def reply_target(data: dict[str, Any]) -> int | None:
    """`in_reply_to` of a check or submission request: a message the caller may see."""
    item_id = data.get("in_reply_to")
    return None if item_id is None else visible(item_id).id


@bp.get("/<id:item_id>")
def one(item_id: int):
    box = sayso().workflow.inbound
    item = visible(item_id)
    return jsonify(item.thread_dict(box.earlier_from_sender(item), box.replies(item.id)))


@bp.post("/<id:item_id>/close")
def close(item_id: int):
    """404 for someone who may not see it, 403 for one who sees but does not own it
    (an auditor), 409 when it is no longer open (the error's type, web/errors.py)."""
    data = _body("CloseRequest")
    item = visible(item_id)
    return jsonify(
        sayso().workflow.inbound.close(item.id, g.user, data["reason"].strip()).to_dict()
    )
