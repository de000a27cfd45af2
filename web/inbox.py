"""Owner pages for inbound messages: the inbox (with counts in the navigation), one
message with its conversation, a reply composer (sent with in-reply-to), and Close."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from engine.errors import SaysoError
from engine.inbound.inbox import COUNT_CAP, VIEWS, counts, inbox
from engine.model import Kind

from .access import clean_text
from .auth import login_required, sayso

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
PAGE = 50
VIEW_LABELS = {
    "all": "All mine now",
    "mine": "Mine",
    "groups": "My groups'",
    "escalated": "Escalated to me",
    "overdue": "Overdue",
}


@bp.route("")
@login_required
def index():
    view = request.args.get("view", "all")
    if view not in VIEWS:
        abort(400, "view must be one of: " + ", ".join(VIEWS))
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    box = sayso().workflow.inbound
    items = inbox(box, g.user, view=view, limit=PAGE + 1, offset=(page - 1) * PAGE)
    view_counts = counts(box, g.user)
    g.inbox_count = view_counts["all"]  # the navigation shows the same number: no second count
    return render_template(
        "inbox/index.html",
        items=items[:PAGE],
        view=view,
        views=VIEW_LABELS,
        counts=view_counts,
        cap=COUNT_CAP,
        page=page,
        more=len(items) > PAGE,
    )


def _visible(item_id: int):
    state = sayso()
    box = state.workflow.inbound
    item = box.get(item_id)
    owner = box.is_owner(item, g.user)
    if not (owner or box.oversees(g.user)):
        abort(403, "you may not see this message")
    return item, owner


def _owned(item_id: int):
    item, owner = _visible(item_id)
    if not owner:
        abort(403, "only its owners may reply to or close this message")
    return item


@bp.route("/<id:item_id>")
@login_required
def detail(item_id: int):
    item, owner = _visible(item_id)
    box = sayso().workflow.inbound
    may_reply = sayso().engine.may_post(g.user, item.channel, Kind.REPLY.value)[0]
    return render_template(
        "inbox/detail.html",
        item=item,
        owner=owner,
        may_reply=may_reply,
        earlier=box.earlier_from_sender(item),
        replies=box.replies(item.id),
        draft=request.args.get("draft", ""),
    )


@bp.route("/<id:item_id>/reply", methods=("POST",))
@login_required
def reply(item_id: int):
    item = _owned(item_id)
    try:
        text = clean_text(request.form.get("text", ""), "the reply text")
        sub = sayso().workflow.submit(g.user, item.channel, text, in_reply_to=item.id)
    except SaysoError as err:
        flash(str(err).splitlines()[0], "error")
        return redirect(url_for("inbox.detail", item_id=item.id))
    flash(f"Reply {sub.id}: {sub.status.value}.", "info")
    return redirect(url_for("inbox.detail", item_id=item.id))


@bp.route("/<id:item_id>/close", methods=("POST",))
@login_required
def close(item_id: int):
    item = _owned(item_id)
    try:
        reason = clean_text(request.form.get("reason", ""), "the reason", limit=2000)
        sayso().workflow.inbound.close(item.id, g.user, reason)
        flash(f"Message {item.id} is closed.", "info")
    except SaysoError as err:
        flash(str(err).splitlines()[0], "error")
    return redirect(url_for("inbox.detail", item_id=item.id))
