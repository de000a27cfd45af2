"""Auditor pages: the filtered, paged log, streamed exports, chain verification, full records."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, render_template, request, stream_with_context

from engine.audit import EVENTS, EXPORT_FORMATS
from engine.errors import SaysoError
from engine.model import Role

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
    return render_template("audit/verify.html", result=sayso().audit.verify())


@bp.route("/submissions/<id:sid>")
@role_required(Role.AUDITORS)
def record(sid: int):
    return render_template("audit/record.html", record=sayso().workflow.record(sid))
