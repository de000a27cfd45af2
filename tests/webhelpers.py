"""Fixtures for the web tests: a small policy, an app per test, and signed-in clients.

Roles in the policy below: dana (author, support), fran (approver: member-services
and support-leads), audrey (auditors only), adam (admins only), tess (treasury).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from engine import accounts
from engine.store import Store

POLICY = """\
version: 1
users:
  dana: {name: Dana Diaz}
  eli: {name: Eli Ek}
  fran: {name: Fran Fox}
  tess: {name: Tess Tan}
  audrey: {name: Audrey Auditor}
  adam: {name: Adam Admin}
  vp: {name: Val Park}
groups:
  support: {members: [dana, eli], includes: [support-leads]}
  support-leads: {members: [fran]}
  member-services: {members: [fran]}
  treasury: {members: [tess]}
  interns: {members: []}
  audit-team: {members: [audrey]}
  compliance: {members: [adam]}
channels:
  twitter/nmtw_help: {platform: twitter, max_length: 280}
  facebook/nmtw: {platform: facebook}
  linkedin/nmtw: {platform: linkedin}
rules:
  - id: support-replies
    allow: [group:support]
    channels: ["twitter/*", facebook/nmtw]
    kinds: [reply]
  - id: support-posts
    allow: [group:support]
    channels: [facebook/nmtw]
  - id: treasury-anywhere
    allow: [group:treasury]
    channels: ["*"]
  - id: no-interns-on-linkedin
    deny: [group:interns]
    channels: ["linkedin/*"]
topics:
  account-closure:
    keywords: ["close your account", closure]
    patterns: ['\\bacct\\s*#?\\d{6,}\\b']
    requires: {signoff: [group:member-services], approvals: 1}
    escalation: complaint-chain
  rates:
    keywords: [APR, interest rate]
    action: deny
    message: Rate quotes are posted by Treasury only.
    except: [group:treasury]
escalations:
  complaint-chain:
    - {after: 2h, to: [group:support-leads]}
    - {after: 4h, to: [user:vp]}
waivers:
  - id: tess-linkedin
    principals: [user:tess]
    rules: [no-interns-on-linkedin]
    reason: Trial.
    expires: 2099-01-01
roles:
  auditors: [group:audit-team]
  admins: [group:compliance]
"""

USERS = ("dana", "eli", "fran", "tess", "audrey", "adam", "vp")
PASSWORD = "correct horse battery"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
CLOSURE = "We can close your account today."


def write_policy(directory: Path, text: str = POLICY) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "policy.yaml").write_text(text, encoding="utf-8")
    return directory


class WebClient:
    """A Flask test client that signs in and posts forms with their CSRF token."""

    def __init__(self, client):
        self.client = client
        self.user: str | None = None

    def __getattr__(self, name):
        return getattr(self.client, name)

    def csrf(self) -> str:
        page = self.client.get("/auth/login").get_data(as_text=True)
        match = CSRF_META.search(page)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def form(self, url: str, data: dict | None = None, **kwargs):
        return self.client.post(url, data={"csrf_token": self.csrf(), **(data or {})}, **kwargs)

    def login(self, user: str, password: str = PASSWORD):
        response = self.form("/auth/login", {"user": user, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        self.user = user
        return self


@functools.cache
def password_hash() -> str:
    """PASSWORD hashed once per test process (argon2id is slow on purpose)."""
    return accounts.hash_password(PASSWORD)


def load_passwords(store: Store, users: Iterable[str]) -> None:
    """Accounts with a pre-hashed password (each stored with its audit event)."""
    for user in users:
        accounts.store_password_hash(store, user, password_hash())


@pytest.fixture
def web_policy(tmp_path: Path) -> Path:
    return write_policy(tmp_path / "policy")


@pytest.fixture
def make_app(tmp_path: Path, web_policy: Path, monkeypatch):
    """Build an app (extra config overrides); every app built is closed afterwards."""
    from web import create_app

    monkeypatch.chdir(tmp_path)  # the outbox publisher writes outbox.jsonl here

    built = []

    def make(**config):
        settings = {
            "SAYSO_POLICY": str(web_policy),
            "SAYSO_DB": f"sqlite:///{tmp_path / 'web.db'}",
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "SAYSO_ENV": "",
            "SAYSO_TRUSTED_HEADER": None,
        }
        settings.update(config)
        app = create_app(settings)
        built.append(app)
        return app

    yield make
    for app in built:
        app.extensions["sayso"].close()


@pytest.fixture
def app(make_app):
    app = make_app()
    load_passwords(app.extensions["sayso"].store, USERS)
    return app


@pytest.fixture
def web_state(app):
    return app.extensions["sayso"]


@pytest.fixture
def client(app) -> WebClient:
    return WebClient(app.test_client())


@pytest.fixture
def as_user(app):
    """`as_user("dana")`: a fresh client signed in as dana."""

    def sign_in(user: str) -> WebClient:
        return WebClient(app.test_client()).login(user)

    return sign_in


@pytest.fixture
def token_for(web_state):
    """`token_for("dana")`: headers carrying a new bearer token for dana."""

    def make(user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {accounts.create_token(web_state.store, user, 'test')}"}

    return make


@pytest.fixture
def pending_sid(web_state) -> int:
    """A pending submission by dana that fran may approve."""
    sub = web_state.workflow.submit("dana", "facebook/nmtw", CLOSURE)
    assert sub.status.value == "pending"
    return sub.id
