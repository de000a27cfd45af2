"""Approver pages: the queue, one submission in full, approve / reject, delegations."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from engine.errors import NotAuthor, SaysoError, WorkflowError, WrongState
from engine.times import parse_time

from .access import clean_text, may_view, query_int
from .auth import login_required, sayso

bp = Blueprint("approvals", __name__)
PAGE = 50


@bp.route("/queue")
@login_required
def queue():
    page = query_int(request.args, "page", 1, 1, 10**6)
    subs = sayso().workflow.queue(g.user, limit=PAGE + 1, offset=(page - 1) * PAGE)
    return render_template(
        "approvals/queue.html", subs=subs[:PAGE], page=page, more=len(subs) > PAGE
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
            until = parse_time(request.form.get("until"), "until")
            if until is None:
                raise SaysoError("give the time the delegation ends")
            reason = clean_text(request.form.get("reason", ""), "reason", limit=2000).strip()
            to_user = request.form.get("to_user", "")
            state.workflow.delegate(g.user, to_user, until, reason=reason or None)
            flash(f"Delegated to {to_user} until {until:%Y-%m-%d %H:%M} UTC.", "info")
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
