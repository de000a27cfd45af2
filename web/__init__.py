"""The sayso web app: approval UI and JSON API over the engine.

`create_app(config)` builds the app the way Flask's tutorial does: configuration,
the shared engine in `app.extensions["sayso"]`, one blueprint per area, and the
security headers every response carries.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, g, has_request_context, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from engine import origin, sessions
from engine.durations import parse_duration
from engine.errors import SaysoError

from . import (
    api,
    approvals,
    audit,
    auth,
    charts,
    errors,
    filters,
    inbox,
    nav,
    people,
    policy,
    posts,
    sentences,
)
from .state import Sayso

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)

csrf = CSRFProtect()


class IdConverter(IntegerConverter):
    """`<id:sid>`: a database id (1 .. 2**63-1); anything else is a 404, not a database error."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=2**63 - 1)


class DemoRefused(SaysoError):
    """Demo mode (no passwords) asked for together with a production setting."""


def default_config() -> dict[str, Any]:
    return {
        "SAYSO_POLICY": os.environ.get("SAYSO_POLICY", "policies"),
        "SAYSO_DB": os.environ.get("SAYSO_DB", "sqlite:///sayso.db"),
        "SAYSO_DEMO": False,
        "SAYSO_TRUSTED_HEADER": os.environ.get("SAYSO_TRUSTED_HEADER") or None,
        "SAYSO_PROXY_FIX": os.environ.get("SAYSO_PROXY_FIX", "0"),
        "SAYSO_SESSION_IDLE": os.environ.get("SAYSO_SESSION_IDLE", "2h"),
        "SAYSO_SESSION_ABSOLUTE": os.environ.get("SAYSO_SESSION_ABSOLUTE", "12h"),
        "SAYSO_ENV": os.environ.get("SAYSO_ENV", ""),
        # Required outside demo mode: every worker must sign sessions with the same key.
        "SECRET_KEY": os.environ.get("SAYSO_SECRET_KEY") or None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "JSON_SORT_KEYS": False,
    }


def refuse_demo_in_production(config: dict[str, Any]) -> None:
    """Demo mode has no passwords, so it must never run with a production setting."""
    if not config.get("SAYSO_DEMO"):
        return
    if config.get("SAYSO_TRUSTED_HEADER"):
        raise DemoRefused("demo mode cannot run with a trusted header (SAYSO_TRUSTED_HEADER)")
    if str(config.get("SAYSO_DB", "")).startswith("postgresql"):
        raise DemoRefused("demo mode cannot run against a PostgreSQL database")
    if str(config.get("SAYSO_ENV", "")).lower() == "production":
        raise DemoRefused("demo mode cannot run with SAYSO_ENV=production")


def require_secret_key(config: dict[str, Any]) -> None:
    """A session key from SAYSO_SECRET_KEY; only demo mode may make up a random one."""
    if config.get("SECRET_KEY"):
        return
    if not config.get("SAYSO_DEMO"):
        raise SaysoError(
            "set SAYSO_SECRET_KEY to a long random string (the same for every worker) "
            "to serve outside demo mode"
        )
    config["SECRET_KEY"] = secrets.token_hex(32)


class BoundedJSON(DefaultJSONProvider):
    """Request bodies parsed by orjson, which refuses nesting deeper than 1,024 levels
    with a ValueError (so a 400), where the standard parser overflows the stack."""

    def loads(self, s, **kwargs):
        import orjson

        return orjson.loads(s)


class TlsAwareSessions(SecureCookieSessionInterface):
    """The session cookie is `Secure` whenever the request came over TLS."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (
            has_request_context() and request.is_secure
        )


def session_lifetime(config: dict[str, Any]) -> sessions.Lifetime:
    """Idle and absolute session lifetimes (`SAYSO_SESSION_IDLE`, `SAYSO_SESSION_ABSOLUTE`)."""
    try:
        idle = parse_duration(str(config.get("SAYSO_SESSION_IDLE") or "2h"))
        absolute = parse_duration(str(config.get("SAYSO_SESSION_ABSOLUTE") or "12h"))
    except ValueError as err:
        raise SaysoError(f"session lifetime: {err}") from None
    return sessions.Lifetime(idle=timedelta(seconds=idle), absolute=timedelta(seconds=absolute))


def proxy_count(value: Any) -> int:
    """`SAYSO_PROXY_FIX`: how many proxies in front of sayso set X-Forwarded-* (0: none)."""
    text = str(value or "0").strip().lower()
    if text in ("true", "yes", "on"):
        return 1
    if not text.isdigit() or int(text) > 10:
        raise SaysoError(f"SAYSO_PROXY_FIX must be the number of proxies (0-10), not '{text}'")
    return int(text)


def has_credentials(store) -> bool:
    """Whether any local password or API token is stored (a real site, not a demo)."""
    from sqlalchemy import func, select

    from engine.tables import accounts, api_tokens

    with store.read() as conn:
        return any(
            conn.execute(select(func.count()).select_from(t)).scalar()
            for t in (accounts, api_tokens)
        )


def refuse_demo_off_loopback(host: str) -> None:
    """Demo mode lets anyone be anyone: only this machine may reach it."""
    import ipaddress

    try:
        loopback = host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise DemoRefused(f"demo mode listens on loopback only (127.0.0.1, ::1), not '{host}'")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.json = BoundedJSON(app)
    app.config.update(default_config())
    if config:
        app.config.update(config)
    refuse_demo_in_production(app.config)
    require_secret_key(app.config)
    app.config["SAYSO_SESSION_LIFETIME"] = session_lifetime(app.config)
    app.session_interface = TlsAwareSessions()
    proxies = proxy_count(app.config.get("SAYSO_PROXY_FIX"))
    if proxies:
        # Only when configured: otherwise a client could claim https or another address.
        # (Replacing wsgi_app is Flask's documented way to add WSGI middleware.)
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )

    state = Sayso.open(app.config["SAYSO_POLICY"], app.config["SAYSO_DB"])
    if app.config.get("SAYSO_DEMO") and has_credentials(state.store):
        state.close()
        raise DemoRefused(
            "demo mode (no passwords) refuses a database that holds passwords or API tokens"
        )
    app.extensions["sayso"] = state

    app.url_map.converters["id"] = IdConverter
    csrf.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
    people.init_app(app)
    sentences.init_app(app)
    nav.init_app(app)
    charts.init_app(app)
    for module in (auth, posts, approvals, inbox, audit, policy, api):
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)
    csrf.exempt(api.inbound_bp)
    app.add_url_rule("/", endpoint="index", view_func=posts.index)

    @app.before_request
    def record_origin():
        """Audit events caused by this request say whether it came through the API
        (its nested blueprints, such as /api/v1/inbound, included)."""
        g.origin_token = origin.set_origin("api" if "api" in request.blueprints else "web")

    @app.teardown_request
    def forget_origin(_exc):
        token = g.pop("origin_token", None)
        if token is not None:
            origin.reset(token)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.path.startswith("/static/"):
            # Pages and downloads carry a person's data: no browser or proxy keeps a copy.
            response.headers["Cache-Control"] = "no-store"
        return response

    return app
