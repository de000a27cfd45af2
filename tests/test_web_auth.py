"""Signing in: local passwords, the trusted proxy header, demo mode; CSRF on every form."""

from __future__ import annotations

import re

from tests.webhelpers import PASSWORD, WebClient


def signed_in_as(client) -> str | None:
    html = client.get("/posts/new").get_data(as_text=True)
    marker = '<span id="signed-in-as">'
    return html.split(marker, 1)[1].split("<", 1)[0] if marker in html else None


def test_password_sign_in_and_out(client):
    assert client.get("/posts/new").status_code == 302
    response = client.form("/auth/login", {"user": "dana", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_as(client) == "dana"
    assert client.form("/auth/logout").status_code == 302
    assert client.get("/posts/new").status_code == 302


def test_wrong_password_and_unknown_user_are_refused(client):
    for user, password in (("dana", "wrong password"), ("nobody", PASSWORD), ("dana", "")):
        response = client.form("/auth/login", {"user": user, "password": password})
        assert response.status_code == 400
        assert "Wrong user or password" in response.get_data(as_text=True)
    assert signed_in_as(client) is None


def test_a_nul_in_the_sign_in_form_is_refused_on_postgres(make_app, postgres_db):
    """PostgreSQL cannot store a NUL: the failure count must not be where it shows."""
    from engine.store import Store
    from tests.webhelpers import load_passwords

    Store.create(postgres_db).close()
    app = make_app(SAYSO_DB=postgres_db)
    load_passwords(app.extensions["sayso"].store, ["dana"])
    client = WebClient(app.test_client())
    for user, password in (("da\x00na", PASSWORD), ("dana", PASSWORD + "\x00")):
        response = client.form("/auth/login", {"user": user, "password": password})
        assert response.status_code == 400
        assert "Wrong user or password" in response.get_data(as_text=True)
    assert signed_in_as(client) is None
    assert client.form("/auth/login", {"user": "dana", "password": PASSWORD}).status_code == 302


def test_user_without_a_password_cannot_sign_in(make_app):
    client = WebClient(make_app().test_client())  # no passwords set
    assert client.form("/auth/login", {"user": "dana", "password": PASSWORD}).status_code == 400


def test_next_only_redirects_within_the_site(client):
    data = {"user": "dana", "password": PASSWORD}
    ok = client.form("/auth/login?next=/queue", data)
    assert ok.headers["Location"].endswith("/queue")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.form(f"/auth/login?next={target}", data)
        assert "evil" not in response.headers["Location"]


def test_form_post_without_csrf_token_is_400(as_user, pending_sid):
    client = as_user("fran")
    for url, data in (
        ("/auth/login", {"user": "dana", "password": PASSWORD}),
        ("/posts/new", {"channel": "facebook/nmtw", "text": "Hello"}),
        (f"/submissions/{pending_sid}/approve", {}),
        ("/auth/logout", {}),
    ):
        response = client.post(url, data=data)
        assert response.status_code == 400, url
    page = client.get(f"/submissions/{pending_sid}").get_data(as_text=True)
    assert 'id="sub-status">pending<' in page


def test_trusted_header_names_the_user(make_app):
    client = make_app(SAYSO_TRUSTED_HEADER="X-Remote-User").test_client()
    page = client.get("/posts/new", headers={"X-Remote-User": "fran"})
    assert page.status_code == 200
    assert '<span id="signed-in-as">fran</span>' in page.get_data(as_text=True)
    assert client.get("/posts/new", headers={"X-Remote-User": "mallory"}).status_code == 302
    assert client.get("/posts/new").status_code == 302
    assert client.get("/auth/login").status_code == 401
    api = client.get("/api/v1/queue", headers={"X-Remote-User": "fran"})
    assert api.status_code == 200 and api.json == []


def test_trusted_header_ignores_a_session(make_app):
    app = make_app(SAYSO_TRUSTED_HEADER="X-Remote-User")
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = "adam"
    assert client.get("/policy/").status_code == 302


def test_demo_switcher_needs_no_password(make_app):
    client = WebClient(make_app(SAYSO_DEMO=True).test_client())
    client.form("/auth/login", {"user": "audrey"})
    assert signed_in_as(client) == "audrey"
    client.form("/auth/login", {"user": "adam"})
    assert signed_in_as(client) == "adam"
    assert client.form("/auth/login", {"user": "nobody"}).status_code == 400


def test_roles_decide_the_navigation(as_user):
    nav = {
        u: as_user(u).get("/posts/new").get_data(as_text=True) for u in ("dana", "audrey", "adam")
    }
    assert 'id="nav-audit"' not in nav["dana"] and 'id="nav-policy"' not in nav["dana"]
    assert 'id="nav-audit"' in nav["audrey"] and 'id="nav-policy"' not in nav["audrey"]
    assert 'id="nav-policy"' in nav["adam"] and 'id="nav-audit"' not in nav["adam"]


def test_trusted_header_api_post_needs_the_page_csrf_token(make_app, pending_sid, web_state):
    """A browser sends the proxy's credentials with a forged cross-site POST too."""
    client = make_app(SAYSO_TRUSTED_HEADER="X-Remote-User").test_client()
    fran = {"X-Remote-User": "fran"}
    forged = client.post(f"/api/v1/submissions/{pending_sid}/approve", headers=fran)
    assert forged.status_code == 401
    assert web_state.workflow.get(pending_sid).status.value == "pending"
    page = client.get("/posts/new", headers=fran).get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    done = client.post(
        f"/api/v1/submissions/{pending_sid}/approve",
        headers={**fran, "X-CSRFToken": token},
        json={"revision": 1},
    )
    assert done.status_code == 200 and done.json["status"] == "published"
