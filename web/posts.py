"""Author pages: compose with a live answer, submit, my posts, revise and withdraw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from engine.errors import SaysoError, WorkflowError
from engine.model import Effect, Kind, Status
from engine.posttext import check_post_text

from .access import local_time, query_int
from .auth import login_required, sayso

bp = Blueprint("posts", __name__, url_prefix="/posts")
PAGE = 25
PAST_GRACE = timedelta(minutes=1)  # the time it takes to press Submit


def index():
    """The home page sends each person to where they work."""
    if g.user is None:
        return redirect(url_for("auth.login"))
    return redirect(url_for("posts.compose"))


def channel_choices(user: str) -> list[dict]:
    """Every channel, with whether the user may post or reply there."""
    engine = sayso().engine
    out = []
    for cid, channel in sorted(engine.policy.channels.items()):
        kinds = [k.value for k in Kind if engine.may_post(user, cid, k.value)[0]]
        out.append({"id": cid, "platform": channel.platform, "kinds": kinds})
    out.sort(key=lambda c: (not c["kinds"], c["id"]))
    return out


def publish_time(form) -> datetime | None:
    """The publish time typed in the viewer's zone; a time already past is refused."""
    moment = local_time(form, "publish_at", "publish time")
    if moment is not None and moment < datetime.now(UTC) - PAST_GRACE:
        raise SaysoError("the publish time is in the past: leave it empty to publish on approval")
    return moment


def outcome_flash(sub, what: str) -> None:
    """A denied post is reported as denied (an error), never as a green success."""
    if sub.status is Status.DENIED:
        why = "; ".join(r.message for r in sub.decision.reasons if r.effect is Effect.DENY)
        flash(f"{what} is denied: {why or 'the policy does not allow it'}.", "error")
    else:
        flash(f"{what}: {sub.status.value.replace('_', ' ')}.", "info")


@bp.route("/new", methods=("GET", "POST"))
@login_required
def compose():
    form = {"channel": "", "kind": "", "text": "", "publish_at": "", "tz": ""}
    channels = channel_choices(g.user)
    if request.method == "POST":
        form.update({k: request.form.get(k, "") for k in form})
        try:
            text = check_post_text(form["text"])
            publish_at = publish_time(form)
            if form["channel"] not in sayso().engine.policy.channels:
                raise SaysoError("choose a channel")
            sub = sayso().workflow.submit(
                g.user,
                form["channel"],
                text,
                kind=form["kind"] or Kind.POST.value,
                publish_at=publish_at,
            )
        except SaysoError as err:
            flash(str(err).splitlines()[0], "error")
            return render_template("posts/compose.html", form=form, channels=channels), 400
        outcome_flash(sub, f"Submission {sub.id}")
        return redirect(url_for("approvals.detail", sid=sub.id))
    return render_template("posts/compose.html", form=form, channels=channels)


@bp.route("/mine")
@login_required
def mine():
    wf = sayso().workflow
    status = request.args.get("status") or None
    page = query_int(request.args, "page", 1, 1, 10**6)
    try:
        total = wf.count(author=g.user, status=status)
        subs = wf.submissions(author=g.user, status=status, limit=PAGE, offset=(page - 1) * PAGE)
    except SaysoError as err:
        flash(str(err), "error")
        status, total, subs = None, 0, []
    return render_template(
        "posts/mine.html", subs=subs, status=status, page=page, pages=max(1, -(-total // PAGE))
    )


@bp.route("/<id:sid>/revise", methods=("GET", "POST"))
@login_required
def revise(sid: int):
    wf = sayso().workflow
    sub = wf.get(sid)
    if sub.author != g.user:
        return render_template("error.html", status=403, message="only the author may revise"), 403
    text = sub.text
    if request.method == "POST":
        text = request.form.get("text", "")
        try:
            sub = wf.revise(sid, g.user, check_post_text(text))
        except SaysoError as err:
            flash(str(err).splitlines()[0], "error")
            return render_template("posts/revise.html", sub=sub, text=text), 400
        outcome_flash(sub, f"Revision {sub.revision} of submission {sub.id}")
        return redirect(url_for("approvals.detail", sid=sub.id))
    return render_template("posts/revise.html", sub=sub, text=text)


@bp.route("/<id:sid>/withdraw", methods=("POST",))
@login_required
def withdraw(sid: int):
    wf = sayso().workflow
    if wf.get(sid).author != g.user:
        return render_template(
            "error.html", status=403, message="only the author may withdraw"
        ), 403
    try:
        wf.withdraw(sid, g.user)
        flash(f"Submission {sid} withdrawn.", "info")
    except WorkflowError as err:
        flash(str(err).splitlines()[0], "error")
    return redirect(url_for("approvals.detail", sid=sid))
