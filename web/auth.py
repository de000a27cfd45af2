"""Who is signed in: local passwords, a trusted proxy header, or demo mode's user switcher."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from urllib.parse import urlsplit

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

from engine import sessions
from engine.model import Role

bp = Blueprint("auth", __name__, url_prefix="/auth")
THROTTLE = sessions.Throttle()


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
        g.user = known(session_user())
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


def session_user() -> str | None:
    """The user of the browser's server-side session, if it is still live."""
    secret = session.get("sid")
    return (
        sessions.user_of(sayso().store, secret, current_app.config["SAYSO_SESSION_LIFETIME"])
        if secret
        else None
    )


def begin_session(user: str) -> None:
    session.clear()
    session["sid"] = sessions.start(sayso().store, user)


def end_session() -> None:
    sessions.end(sayso().store, session.get("sid"))
    session.clear()


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


_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))


def safe_next(target: str | None) -> str:
    """Only a path on this site: never redirect to another host after signing in.

    The target is first normalized the way a browser's URL parser does (WHATWG:
    leading/trailing controls and spaces dropped, tabs and newlines removed
    anywhere, backslash read as slash), so `/%09/evil.example` cannot become
    `//evil.example` in the browser after passing the check here.
    """
    if not isinstance(target, str) or len(target) > 2000:
        return url_for("index")
    path = _TAB_OR_NEWLINE.sub("", target).strip(_C0_AND_SPACE)
    path = path.replace("\\", "/")
    parts = urlsplit(path)
    if (
        not path.startswith("/")
        or path.startswith("//")
        or parts.scheme
        or parts.netloc
        or _CONTROL.search(path)
    ):
        return url_for("index")
    return path


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
        if demo:
            if known(user):
                begin_session(user)
                return redirect(safe_next(request.args.get("next")))
            flash("Unknown user.", "error")
            return render_template("auth/login.html"), 400
        if "\x00" in user or "\x00" in password:  # no account has one; nothing to count
            flash("Wrong user or password.", "error")
            return render_template("auth/login.html"), 400
        throttle, store, address = THROTTLE, sayso().store, request.remote_addr
        wait = throttle.wait(store, user, address)
        if wait is not None:
            minutes = max(1, round(wait.total_seconds() / 60))
            flash(f"Too many failed sign-ins: try again in {minutes} min.", "error")
            return render_template("auth/login.html"), 429
        # One answer, after the same password work, whether or not the user exists.
        if not check_password(user if known(user) else "", password):
            throttle.failed(store, user, address)
            flash("Wrong user or password.", "error")
            return render_template("auth/login.html"), 400
        throttle.succeeded(store, user)
        begin_session(user)
        return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html")


@bp.route("/logout", methods=("POST",))
def logout():
    end_session()
    return redirect(url_for("auth.login"))
