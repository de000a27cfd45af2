"""Auditor pages: the filtered, paged log, streamed exports, chain verification, full records."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    render_template,
    request,
    stream_with_context,
)

from engine import integrity
from engine.auditevent import EVENTS
from engine.auditlog import EXPORT_FORMATS
from engine.checkpoint import current_head, parse_head
from engine.errors import SaysoError
from engine.model import Role
from engine.records import communication
from engine.tables import audit_head

from .access import query_int
from .auditview import FILTERS, audit_filters, export_name
from .auth import role_required, sayso

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE = 100


def chain_status():
    """The chain's verification, recomputed only when a new event has been appended."""
    from sqlalchemy import select

    state = sayso()
    with state.store.read() as conn:
        head = tuple(conn.execute(select(audit_head.c.seq, audit_head.c.hash)).one())
    cache = current_app.extensions.setdefault("sayso_chain_status", {})
    if cache.get("head") != head:
        cache.update(head=head, result=state.audit.verify())
    return cache["result"]


def page_of_events(log, filters: dict, order: str, cursor: int | None, end: bool):
    """One page (newest or oldest first), the cursor of the next page, and whether it is the end."""
    newest = order == "newest"
    if end:  # the last page: the oldest events when newest first, and the other way round
        events = list(log.events(limit=PAGE, newest_first=not newest, **filters))
        return events[::-1], None
    if newest:
        events = list(log.events(before_seq=cursor, limit=PAGE + 1, newest_first=True, **filters))
    else:
        events = list(log.events(after_seq=cursor or 0, limit=PAGE + 1, **filters))
    more = len(events) > PAGE
    events = events[:PAGE]
    return events, (events[-1].seq if more else None)


@bp.route("/")
@role_required(Role.AUDITORS)
def log():
    log = sayso().audit
    args = {k: request.args.get(k, "") for k in FILTERS}
    order = "oldest" if request.args.get("order") == "oldest" else "newest"
    base = {"args": args, "event_names": EVENTS, "order": order, "chain": chain_status()}
    try:
        cursor = query_int(request.args, "cursor", 0, 0, 2**62) or None
        end = request.args.get("end") == "1"
        filters = audit_filters(request.args)
    except SaysoError as err:
        # Keep the form as typed and show no events: an unfiltered log is not what was asked.
        flash(str(err), "error")
        page = render_template("audit/log.html", events=[], total=0, next_cursor=None, **base)
        return page, 400
    events, next_cursor = page_of_events(log, filters, order, cursor, end)
    return render_template(
        "audit/log.html",
        events=events,
        total=log.count(**filters),
        next_cursor=next_cursor,
        at_start=cursor is None and not end,
        at_end=end or next_cursor is None,
        **base,
    )


@bp.route("/export.<fmt>")
@role_required(Role.AUDITORS)
def export(fmt: str):
    if fmt not in EXPORT_FORMATS:
        abort(404)
    filters = audit_filters(request.args)
    chunks = sayso().audit.export_chunks(fmt, **filters)
    return Response(
        stream_with_context(chunks),
        mimetype=EXPORT_FORMATS[fmt],
        headers={"Content-Disposition": f"attachment; filename={export_name(filters, fmt)}"},
    )


@bp.route("/verify")
@role_required(Role.AUDITORS)
def verify():
    """The chain, the stored records against it, and any heads given as `?head=SEQ:HASH`."""
    store = sayso().store
    heads = []
    for text in request.args.getlist("head")[:20]:
        try:
            heads.append(parse_head(text[:200]))
        except SaysoError as err:
            flash(str(err), "error")
    result = integrity.verify(store, heads=heads)
    return render_template(
        "audit/verify.html", result=result, head=current_head(store), checked=heads
    )


@bp.route("/submissions/<id:sid>")
@role_required(Role.AUDITORS)
def record(sid: int):
    state = sayso()
    full = state.workflow.record(sid)
    comm, _ = communication(state.workflow, full)
    return render_template("audit/record.html", record=full, comm=comm)
