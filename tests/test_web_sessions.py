"""Sessions that end for real, sign-in throttling across workers, TLS cookies, proxies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from engine import accounts, sessions
from engine.errors import SaysoError
from tests.webhelpers import CSRF_META, PASSWORD, WebClient


def session_cookie(client) -> str:
    cookie = client.client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def clone(app, cookie: str) -> WebClient:
    """Another browser holding a copy of the cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return WebClient(thief)


def signed_in(client) -> bool:
    return client.get("/posts/new").status_code == 200


def test_a_copied_cookie_stops_working_after_sign_out(app, as_user):
    dana = as_user("dana")
    copy = clone(app, session_cookie(dana))
    assert signed_in(copy)
    assert dana.form("/auth/logout").status_code == 302
    assert not signed_in(dana)
    assert not signed_in(copy)


def test_a_password_change_ends_every_session(app, as_user, web_state):
    dana = as_user("dana")
    copy = clone(app, session_cookie(dana))
    accounts.set_password(web_state.store, "dana", "a new password")
    assert not signed_in(dana) and not signed_in(copy)
    assert signed_in(WebClient(app.test_client()).login("dana", "a new password"))


def test_an_admin_ends_all_sessions_of_a_user(app, as_user, web_policy, tmp_path):
    from cli import cli

    first, second = as_user("dana"), as_user("dana")
    fran = as_user("fran")
    result = CliRunner().invoke(
        cli,
        [
            "--policy",
            str(web_policy),
            "--db",
            f"sqlite:///{tmp_path / 'web.db'}",
            "user",
            "end-sessions",
            "dana",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2 sessions of dana ended" in result.output
    assert not signed_in(first) and not signed_in(second)
    assert signed_in(fran)


def test_the_session_cookie_holds_no_user_id(app, as_user):
    cookie = session_cookie(as_user("dana"))
    payload = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert set(payload) <= {"sid", "csrf_token"} and "sid" in payload
    assert "dana" not in str(payload)


def test_forging_the_old_style_session_is_useless(app):
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = "adam"
        session["sid"] = "x" * 43
    assert client.get("/policy/").status_code == 302


def test_idle_and_absolute_lifetimes(web_state):
    store, life = web_state.store, sessions.Lifetime(timedelta(hours=1), timedelta(hours=3))
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    secret = sessions.start(store, "dana", now=start)
    assert sessions.user_of(store, secret, life, now=start + timedelta(minutes=59)) == "dana"
    later = start + timedelta(minutes=59)
    for _ in range(2):  # kept busy: each request within the idle time
        later += timedelta(minutes=50)
        assert sessions.user_of(store, secret, life, now=later) == "dana"
    assert sessions.user_of(store, secret, life, now=start + timedelta(hours=3, minutes=1)) is None
    idle = sessions.start(store, "dana", now=start)
    assert sessions.user_of(store, idle, life, now=start + timedelta(minutes=61)) is None
    # ended for good: coming back within the lifetime does not revive it
    assert sessions.user_of(store, idle, life, now=start + timedelta(minutes=1)) is None


def test_bad_lifetime_settings_are_refused(make_app):
    with pytest.raises(SaysoError, match="session lifetime"):
        make_app(SAYSO_SESSION_IDLE="soon")
    with pytest.raises(SaysoError, match="SAYSO_PROXY_FIX"):
        make_app(SAYSO_PROXY_FIX="all")


def test_failed_sign_ins_are_throttled_per_account_across_workers(app, make_app):
    other_worker = make_app()  # a second app on the same database, like a second gunicorn worker
    clients = [WebClient(app.test_client()), WebClient(other_worker.test_client())]
    for attempt in range(5):
        response = clients[attempt % 2].form(
            "/auth/login",
            {"user": "dana", "password": "wrong guess"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{attempt}"},
        )
        assert response.status_code == 400
    locked = clients[0].form(
        "/auth/login",
        {"user": "dana", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.get_data(as_text=True)
    # another account is not locked out by dana's failures
    assert clients[1].form("/auth/login", {"user": "fran", "password": PASSWORD}).status_code == 302


def test_failed_sign_ins_are_throttled_per_address(app):
    client = WebClient(app.test_client())
    env = {"REMOTE_ADDR": "198.51.100.7"}
    users = ["dana", "eli", "fran", "tess", "audrey", "adam", "vp"]
    for attempt in range(20):  # spread over accounts, so no single account reaches its limit
        response = client.form(
            "/auth/login",
            {"user": users[attempt % len(users)], "password": "nope-nope"},
            environ_base=env,
        )
        assert response.status_code == 400, attempt
    blocked = client.form("/auth/login", {"user": "vp", "password": PASSWORD}, environ_base=env)
    assert blocked.status_code == 429
    elsewhere = WebClient(app.test_client()).form(
        "/auth/login",
        {"user": "vp", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.1"},
    )
    assert elsewhere.status_code == 302


def test_the_throttle_window_ends(web_state):
    throttle, store = sessions.Throttle(per_account=2), web_state.store
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    for _ in range(2):
        throttle.failed(store, "dana", "10.1.1.1", now=now)
    assert throttle.wait(store, "dana", "10.1.1.1", now=now + timedelta(minutes=1)) is not None
    assert throttle.wait(store, "dana", None, now=now + timedelta(minutes=16)) is None
    throttle.failed(store, "dana", None, now=now + timedelta(minutes=16))  # a new window
    assert throttle.wait(store, "dana", None, now=now + timedelta(minutes=17)) is None


def test_cookies_are_secure_over_tls_and_proxies_trusted_only_when_configured(make_app):
    plain = make_app()
    accounts.set_password(plain.extensions["sayso"].store, "dana", PASSWORD)
    referer = {"Referer": "https://localhost/auth/login"}  # CSRF checks it over TLS
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9", **referer}

    def sign_in(app, **kwargs):
        client = WebClient(app.test_client())
        page = client.client.get("/auth/login", **kwargs).get_data(as_text=True)
        token = CSRF_META.search(page).group(1)
        response = client.client.post(
            "/auth/login",
            data={"user": "dana", "password": PASSWORD, "csrf_token": token},
            **kwargs,
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    over_tls = sign_in(plain, base_url="https://localhost", headers=referer)
    assert "Secure" in over_tls.headers["Set-Cookie"]
    spoofed = sign_in(plain, headers=forwarded)  # no proxy configured: the header is ignored
    assert "Secure" not in spoofed.headers["Set-Cookie"]
    behind_proxy = sign_in(make_app(SAYSO_PROXY_FIX="1"), headers=forwarded)
    assert "Secure" in behind_proxy.headers["Set-Cookie"]
