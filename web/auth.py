"""Who is signed in: local passwords, a trusted proxy header, or demo mode's user switcher."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from engine.model import Role

bp = Blueprint("auth", __name__, url_prefix="/auth")


def sayso():
    return current_app.extensions["sayso"]


def known(user: str | None) -> str | None:
    """The user id if the policy names such a user, else None."""
    if isinstance(user, str) and user in sayso().engine.policy.users:
        return user
    return None


def init_app(app) -> None:
    @app.before_request
    def load_user() -> None:
        g.user = None
        g.via = None
        header = current_app.config.get("SAYSO_TRUSTED_HEADER")
        if header:
            g.user = known(request.headers.get(header, "").strip())
            g.via = "header" if g.user else None
            return
        g.user = known(session.get("user"))
        g.via = "session" if g.user else None

    @app.context_processor
    def roles():
        user = g.get("user")
        engine = sayso().engine
        return {
            "is_auditor": bool(user) and engine.has_role(user, Role.AUDITORS),
            "is_admin": bool(user) and engine.has_role(user, Role.ADMINS),
            "demo": current_app.config.get("SAYSO_DEMO", False),
            "trusted_header": bool(current_app.config.get("SAYSO_TRUSTED_HEADER")),
            "policy_users": sorted(engine.policy.users.values(), key=lambda u: u.id),
        }


def login_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(**kwargs)

    return wrapped


def role_required(role: str) -> Callable:
    """Signed in and holding `role` (policy `roles:`), else 403."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        @login_required
        def wrapped(**kwargs):
            if not sayso().engine.has_role(g.user, role):
                abort(403, f"this page is for {role}")
            return view(**kwargs)

        return wrapped

    return decorate


def safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect to another host after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("index")


def check_password(user: str, password: str) -> bool:
    from engine import accounts

    return accounts.check_password(sayso().store, user, password)


@bp.route("/login", methods=("GET", "POST"))
def login():
    """Password sign-in, or in demo mode a choice of any policy user."""
    if current_app.config.get("SAYSO_TRUSTED_HEADER"):
        if g.user:
            return redirect(url_for("index"))
        abort(401, "sign-in is handled by the proxy in front of sayso")
    demo = current_app.config.get("SAYSO_DEMO", False)
    if request.method == "POST":
        user = request.form.get("user", "").strip()
        password = request.form.get("password", "")
        error = None
        if known(user) is None:
            error = "Unknown user."
        elif not demo and not (password and check_password(user, password)):
            error = "Wrong user or password."
        if error is None:
            session.clear()
            session["user"] = user
            return redirect(safe_next(request.args.get("next")))
        flash(error, "error")
        return render_template("auth/login.html"), 400
    return render_template("auth/login.html")


@bp.route("/logout", methods=("POST",))
def logout():
    session.clear()
    return redirect(url_for("auth.login"))
