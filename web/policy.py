"""Compliance officer pages: the active policy read-only, replay, and the dashboard."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, current_app, flash, render_template, request

from engine.errors import PolicyError, SaysoError
from engine.model import Role, Status
from engine.permissions import group_matrix
from engine.times import parse_time

from .access import clean_text
from .auth import role_required, sayso

bp = Blueprint("policy", __name__, url_prefix="/policy")


@bp.route("/")
@role_required(Role.ADMINS)
def show():
    state = sayso()
    policy = state.engine.policy
    return render_template(
        "policy/show.html",
        policy=policy,
        version=state.engine.version,
        channels=sorted(policy.channels),
        rows=group_matrix(state.engine),
        versions=state.workflow.policy_versions(),
        today=datetime.now(UTC).date(),
    )


def policy_roots() -> list[Path]:
    """Where the replay page may read policies: `SAYSO_POLICY_ROOTS` (paths separated by
    the OS path separator), by default the directory holding the active policy."""
    configured = current_app.config.get("SAYSO_POLICY_ROOTS") or os.environ.get(
        "SAYSO_POLICY_ROOTS", ""
    )
    if isinstance(configured, str):
        configured = [p for p in configured.split(os.pathsep) if p.strip()]
    roots = configured or [Path(sayso().policy_dir).resolve().parent]
    return [Path(root).resolve() for root in roots]


def replay_directory(raw: str) -> str:
    """A policy directory under one of the roots, symbolic links resolved; else an error."""
    path = raw.strip()
    if not path:
        raise SaysoError("give a policy directory")
    resolved = Path(path).resolve()
    roots = policy_roots()
    if not any(resolved == root or root in resolved.parents for root in roots):
        shown = ", ".join(str(root) for root in roots)
        raise SaysoError(f"'{path[:200]}' is not under a policy root ({shown}; SAYSO_POLICY_ROOTS)")
    if not resolved.is_dir():
        raise SaysoError(f"'{path[:200]}' is not a directory on the server")
    return str(resolved)


@bp.route("/replay", methods=("GET", "POST"))
@role_required(Role.ADMINS)
def replay():
    from engine.compiler import load_engine
    from engine.replay import replay as run_replay

    report, problems, status = None, [], 200
    form = {"path": "", "since": ""}
    if request.method == "POST":
        form.update({k: request.form.get(k, "") for k in form})
        try:
            path = replay_directory(clean_text(form["path"], "policy directory", limit=1000))
            since = parse_time(form["since"], "since")
            report = run_replay(sayso().store, load_engine(path), since=since)
        except PolicyError as err:
            problems, status = [str(p) for p in err.problems], 400
            flash("That policy is invalid.", "error")
        except SaysoError as err:
            flash(str(err).splitlines()[0], "error")
            status = 400
    return render_template(
        "policy/replay.html", form=form, report=report, problems=problems
    ), status


@bp.route("/dashboard")
@role_required(Role.ADMINS)
def dashboard():
    wf = sayso().workflow
    counts = {status.value: wf.count(status=status.value) for status in Status}
    from engine.inbound.dashboard import stats as inbound_stats

    return render_template(
        "policy/dashboard.html",
        stats=wf.stats(),
        counts=counts,
        inbound=inbound_stats(wf.inbound),
    )
