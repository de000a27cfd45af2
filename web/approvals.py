"""Approver pages: the queue, one submission in full, approve / reject, delegations."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from engine.errors import NotAuthor, SaysoError, WorkflowError, WrongState
from engine.workflow.inqueue import QueueFilter

from .access import clean_text, local_time, may_view, query_int
from .auth import login_required, sayso

bp = Blueprint("approvals", __name__)
PAGE = 50


QUEUE_FIELDS = ("topic", "channel", "author", "escalated", "overdue")


def queue_filter(args) -> QueueFilter:
    """The queue's filters from the query string; unknown names are a clear error."""
    policy = sayso().engine.policy
    text = {k: clean_text(args.get(k) or "", k, limit=200).strip() for k in QUEUE_FIELDS[:3]}
    if text["channel"] and text["channel"] not in policy.channels:
        raise SaysoError(f"no channel '{text['channel'][:60]}'")
    if text["author"] and text["author"] not in policy.users:
        raise SaysoError(f"no user '{text['author'][:60]}'")
    return QueueFilter(
        topic=text["topic"] or None,
        channel=text["channel"] or None,
        author=text["author"] or None,
        escalated=args.get("escalated") in ("1", "on", "yes"),
        overdue=args.get("overdue") in ("1", "on", "yes"),
    )


@bp.route("/queue")
@login_required
def queue():
    engine = sayso().engine
    args = {k: request.args.get(k, "") for k in QUEUE_FIELDS}
    choices = {
        "topics": sorted({*engine.policy.topics, *(c.id for c in engine.policy.checks)}),
        "channels": sorted(engine.policy.channels),
        "users": sorted(engine.policy.users.values(), key=lambda u: u.name or u.id),
    }
    try:
        page = query_int(request.args, "page", 1, 1, 10**6)
        flt = queue_filter(request.args)
    except SaysoError as err:
        flash(str(err), "error")
        page_html = render_template(
            "approvals/queue.html", items=[], total=0, page=1, pages=1, args=args, **choices
        )
        return page_html, 400
    items, total = sayso().workflow.queue_page(g.user, flt, limit=PAGE, offset=(page - 1) * PAGE)
    if flt == QueueFilter():
        g.queue_count = total  # the navigation shows the same number: no second count
    return render_template(
        "approvals/queue.html",
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE)),
        args=args,
        **choices,
    )


@bp.route("/submissions/<id:sid>")
@login_required
def detail(sid: int):
    state = sayso()
    sub = state.workflow.get(sid)
    if not may_view(state, sub, g.user):
        abort(403, "you may not see this submission")
    record = state.workflow.record(sid)
    can_act, why_not = state.workflow.can_act(sid, g.user)
    return render_template(
        "approvals/detail.html", sub=sub, record=record, can_act=can_act, why_not=why_not
    )


def act(sid: int, action):
    """Run an approve/reject; a refusal is shown on the submission page."""
    state = sayso()
    sub = state.workflow.get(sid)
    if not may_view(state, sub, g.user):
        abort(403, "you may not act on this submission")
    try:
        done = action()
        flash(f"Submission {sid} is now {done.status.value}.", "info")
    except WorkflowError as err:
        flash(str(err).splitlines()[0], "error")
    return redirect(url_for("approvals.detail", sid=sid))


def form_revision() -> int:
    """The revision the page showed (the form's hidden field): the engine refuses the
    verdict if the post was revised since."""
    value = request.form.get("revision", "")
    if not (value.isascii() and value.isdigit() and 0 < len(value) < 10):
        raise WorkflowError("the form did not say which revision you read; reload the page")
    return int(value)


@bp.route("/submissions/<id:sid>/approve", methods=("POST",))
@login_required
def approve(sid: int):
    comment = clean_text(request.form.get("comment", ""), "comment", limit=2000).strip() or None
    return act(
        sid,
        lambda: sayso().workflow.approve(sid, g.user, comment=comment, revision=form_revision()),
    )


@bp.route("/submissions/<id:sid>/reject", methods=("POST",))
@login_required
def reject(sid: int):
    reason = clean_text(request.form.get("reason", ""), "reason", limit=2000).strip()
    if not reason:
        flash("A rejection needs a reason.", "error")
        return redirect(url_for("approvals.detail", sid=sid))
    return act(sid, lambda: sayso().workflow.reject(sid, g.user, reason, revision=form_revision()))


@bp.route("/delegations", methods=("GET", "POST"))
@login_required
def delegations():
    state = sayso()
    status = 200
    if request.method == "POST":
        try:
            until = local_time(request.form, "until")
            if until is None:
                raise SaysoError("give the time the delegation ends")
            reason = clean_text(request.form.get("reason", ""), "reason", limit=2000).strip()
            to_user = request.form.get("to_user", "")
            state.workflow.delegate(g.user, to_user, until, reason=reason or None)
            flash(
                f"Delegated to {to_user} until {until.astimezone(UTC):%Y-%m-%d %H:%M} UTC.", "info"
            )
            return redirect(url_for("approvals.delegations"))
        except SaysoError as err:
            flash(str(err).splitlines()[0], "error")
            status = 400
    return render_template(
        "approvals/delegations.html", delegations=state.workflow.delegations(g.user)
    ), status


@bp.route("/delegations/<id:did>/revoke", methods=("POST",))
@login_required
def revoke(did: int):
    try:
        sayso().workflow.revoke_delegation(did, g.user)
        flash(f"Delegation {did} revoked.", "info")
    except (NotAuthor, WrongState) as err:  # an unknown delegation is a 404
        flash(str(err).splitlines()[0], "error")
    return redirect(url_for("approvals.delegations"))
