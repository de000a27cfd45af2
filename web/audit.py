"""Auditor pages: the filtered, paged log, streamed exports, chain verification, full records."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, render_template, request, stream_with_context

from engine import integrity
from engine.audit import EVENTS, EXPORT_FORMATS
from engine.checkpoint import current_head, parse_head
from engine.errors import SaysoError
from engine.model import Role
from engine.records import communication

from .access import query_int
from .auditview import FILTERS, audit_filters
from .auth import role_required, sayso

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE = 100


@bp.route("/")
@role_required(Role.AUDITORS)
def log():
    log = sayso().audit
    args = {k: request.args.get(k, "") for k in FILTERS}
    try:
        after = query_int(request.args, "after", 0, 0, 2**62)
        filters = audit_filters(request.args)
    except SaysoError as err:
        # Keep the form as typed and show no events: an unfiltered log is not what was asked.
        flash(str(err), "error")
        page = render_template(
            "audit/log.html", events=[], total=0, args=args, event_names=EVENTS, next_after=None
        )
        return page, 400
    events = list(log.events(after_seq=after, limit=PAGE, **filters))
    return render_template(
        "audit/log.html",
        events=events,
        total=log.count(**filters),
        args=args,
        event_names=EVENTS,
        next_after=events[-1].seq if len(events) == PAGE else None,
    )


@bp.route("/export.<fmt>")
@role_required(Role.AUDITORS)
def export(fmt: str):
    if fmt not in EXPORT_FORMATS:
        abort(404)
    chunks = sayso().audit.export_chunks(fmt, **audit_filters(request.args))
    return Response(
        stream_with_context(chunks),
        mimetype=EXPORT_FORMATS[fmt],
        headers={"Content-Disposition": f"attachment; filename=sayso-audit.{fmt}"},
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
