"""The app factory: configuration, security headers, demo-mode refusal, highlighting."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import cli
from engine.errors import SaysoError
from engine.model import Span, TopicMatch
from tests.webhelpers import WebClient
from web import DemoRefused, create_app
from web.highlight import Segment, segments


def test_engine_lives_in_extensions(app):
    state = app.extensions["sayso"]
    assert {"engine", "store", "workflow", "audit"} <= set(vars(state))
    assert "dana" in state.engine.policy.users


def test_security_headers_on_every_page(client):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_httponly_and_samesite_lax(client):
    response = client.form("/auth/login", {"user": "dana", "password": "correct horse battery"})
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_pages_use_no_inline_script_or_external_assets(as_user, pending_sid):
    client = as_user("dana")
    for url in ("/posts/new", f"/submissions/{pending_sid}", "/posts/mine", "/queue"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and "onclick" not in html
        assert "http://" not in html and "https://" not in html


@pytest.mark.parametrize(
    "config",
    [
        {"SAYSO_TRUSTED_HEADER": "X-Remote-User"},
        {"SAYSO_DB": "postgresql+psycopg://sayso@localhost/sayso"},
        {"SAYSO_ENV": "production"},
    ],
)
def test_demo_refuses_production_settings(web_policy, tmp_path, config):
    settings = {"SAYSO_POLICY": str(web_policy), "SAYSO_DB": f"sqlite:///{tmp_path}/d.db"}
    settings.update(config, SAYSO_DEMO=True)
    with pytest.raises(DemoRefused, match="demo mode cannot run"):
        create_app(settings)


def test_serve_demo_refusal_is_one_line(web_policy, tmp_path, monkeypatch):
    monkeypatch.setenv("SAYSO_ENV", "production")
    result = CliRunner().invoke(
        cli,
        ["--policy", str(web_policy), "--db", f"sqlite:///{tmp_path}/d.db", "serve", "--demo"],
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: demo mode cannot run with SAYSO_ENV=production"
    ]


def test_demo_mode_has_banner_and_switcher(make_app):
    client = make_app(SAYSO_DEMO=True).test_client()
    html = client.get("/auth/login").get_data(as_text=True)
    assert 'id="demo-banner"' in html and "DEMO" in html
    for user in ("dana", "fran", "audrey"):
        assert f'<option value="{user}"' in html


def test_demo_mode_on_a_fresh_database(make_app, tmp_path):
    app = make_app(SAYSO_DEMO=True, SAYSO_DB=f"sqlite:///{tmp_path / 'fresh.db'}")
    client = WebClient(app.test_client())
    assert client.form("/auth/login", {"user": "fran"}).status_code == 302  # no password
    page = client.get("/posts/new")
    assert page.status_code == 200
    assert '<span id="signed-in-as">fran</span>' in page.get_data(as_text=True)


def span(start, end, text="x"):
    return Span(start, end, text, "k")


def test_segments_split_at_every_span_boundary():
    text = "close your account today"
    topics = [TopicMatch("closure", (span(0, 18),)), TopicMatch("acct", (span(6, 18),))]
    assert segments(text, topics) == [
        Segment("close ", ("closure",)),
        Segment("your account", ("acct", "closure")),
        Segment(" today", ()),
    ]


def test_segments_without_topics_and_with_spans_outside_the_text():
    assert segments("hi", []) == [Segment("hi", ())]
    assert segments("hi", [TopicMatch("t", (span(1, 99),))]) == [
        Segment("h", ()),
        Segment("i", ("t",)),
    ]
    assert segments("", []) == []


def test_a_missing_secret_key_is_an_error_outside_demo_mode(web_policy, tmp_path, monkeypatch):
    monkeypatch.delenv("SAYSO_SECRET_KEY", raising=False)
    settings = {"SAYSO_POLICY": str(web_policy), "SAYSO_DB": f"sqlite:///{tmp_path}/d.db"}
    with pytest.raises(SaysoError, match="set SAYSO_SECRET_KEY"):
        create_app(settings)
    result = CliRunner().invoke(
        cli, ["--policy", str(web_policy), "--db", f"sqlite:///{tmp_path}/d.db", "serve"]
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[0].startswith("error: set SAYSO_SECRET_KEY")
    demo = create_app({**settings, "SAYSO_DEMO": True})  # demo mode makes up its own key
    assert len(demo.config["SECRET_KEY"]) == 64
    demo.extensions["sayso"].close()
