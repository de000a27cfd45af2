"""The sayso web app: approval UI and JSON API over the engine.

`create_app(config)` builds the app the way Flask's tutorial does: configuration,
the shared engine in `app.extensions["sayso"]`, one blueprint per area, and the
security headers every response carries.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Flask, g, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

from engine import origin
from engine.errors import SaysoError

from . import api, approvals, audit, auth, errors, filters, policy, posts
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
        "SAYSO_ENV": os.environ.get("SAYSO_ENV", ""),
        # A fixed key (SAYSO_SECRET_KEY) is needed when several workers serve one site.
        "SECRET_KEY": os.environ.get("SAYSO_SECRET_KEY") or secrets.token_hex(32),
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


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(default_config())
    if config:
        app.config.update(config)
    refuse_demo_in_production(app.config)

    state = Sayso.open(app.config["SAYSO_POLICY"], app.config["SAYSO_DB"])
    app.extensions["sayso"] = state

    app.url_map.converters["id"] = IdConverter
    csrf.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
    for module in (auth, posts, approvals, audit, policy, api):
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)
    app.add_url_rule("/", endpoint="index", view_func=posts.index)

    @app.before_request
    def record_origin():
        """Audit events caused by this request say whether it came through the API."""
        g.origin_token = origin.set_origin("api" if request.blueprint == "api" else "web")

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
        return response

    return app
