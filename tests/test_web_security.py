"""Attacks on sign-in, redirects, caching, query parsing, replay paths and demo mode."""

from __future__ import annotations

import os
import threading
from urllib.parse import urljoin, urlsplit

import pytest
from click.testing import CliRunner

from engine import accounts
from engine.errors import SaysoError
from engine.store import Store
from tests.webhelpers import PASSWORD, POLICY, WebClient, write_policy

# Each of these, read by a browser as a Location, would leave the site if let through.
REDIRECT_BYPASSES = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "\x00//evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "/ /evil.example",
    "http:evil.example",
    "https:/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "///evil.example",
    "////evil.example",
    "/%09/evil.example",
    "evil.example",
    "@evil.example",
    "/\x0b/evil.example",
]


def _browser_target(location: str) -> str:
    """What a browser makes of a Location value (WHATWG: strip, drop tab/newline, \\ is /)."""
    cleaned = location.strip("".join(map(chr, range(0x21))))
    for ch in "\t\n\r":
        cleaned = cleaned.replace(ch, "")
    return cleaned.replace("\\", "/")


@pytest.mark.parametrize("target", REDIRECT_BYPASSES)
def test_sign_in_never_redirects_off_site(client, target):
    response = client.form(
        "/auth/login", {"user": "dana", "password": PASSWORD}, query_string={"next": target}
    )
    assert response.status_code == 302
    seen = _browser_target(response.headers["Location"])
    assert seen.startswith("/") and not seen.startswith("//"), (target, seen)
    landed = urlsplit(urljoin("https://sayso.example/auth/login", seen))
    assert (landed.scheme, landed.netloc) == ("https", "sayso.example"), (target, seen)


def test_a_local_next_is_kept(client):
    response = client.form(
        "/auth/login",
        {"user": "dana", "password": PASSWORD},
        query_string={"next": "/queue?page=2"},
    )
    assert response.headers["Location"] == "/queue?page=2"


def test_unknown_user_and_wrong_password_get_one_answer_after_the_same_work(client, monkeypatch):
    calls = []
    real = accounts._verify_argon2
    monkeypatch.setattr(accounts, "_verify_argon2", lambda *a: calls.append(1) or real(*a))
    pages = {}
    for user, password in (("dana", "wrong password"), ("nobody", PASSWORD), ("dana", "")):
        calls.clear()
        response = client.form("/auth/login", {"user": user, "password": password})
        assert response.status_code == 400
        pages[user, password] = response.get_data(as_text=True)
        assert "Wrong user or password." in pages[user, password]
        assert len(calls) == 1, (user, password)  # one password hash, user or not
    assert "Unknown user" not in "".join(pages.values())


def test_every_page_download_and_api_answer_is_not_stored(as_user, token_for, pending_sid):
    auditor = as_user("audrey")
    for url in ("/audit/", "/audit/export.csv", "/audit/export.jsonl"):
        response = auditor.get(url)
        response.get_data()  # a streamed download: read it to the end
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    page = as_user("fran").get(f"/submissions/{pending_sid}")
    assert page.headers["Cache-Control"] == "no-store"
    api = as_user("fran").get("/api/v1/queue", headers=token_for("fran"))
    assert api.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/submissions?limit=²",
        "/api/v1/submissions?offset=٣",
        "/api/v1/queue?limit=99999999999999999999999",
        "/audit/?submission=²",
        "/audit/?after=²",
        "/audit/?after=99999999999999999999999",
        "/queue?page=²",
        "/queue?page=99999999999999999999999",
        "/posts/mine?page=-1",
        "/audit/?since=yesterday",
        "/audit/export.csv?submission=²",
    ],
)
def test_bad_query_values_are_400_not_500(as_user, token_for, url):
    user = "audrey" if url.startswith("/audit") else "fran"
    response = as_user(user).get(url, headers=token_for(user))
    assert response.status_code == 400, url


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file::memory:?cache=shared",
        "sqlite:///file:x?mode=memory&uri=true",
    ],
)
def test_an_in_memory_database_is_refused(url):
    with pytest.raises(SaysoError, match="in-memory"):
        Store(url)


def test_replay_reads_only_under_the_policy_roots(as_user, tmp_path, make_app):
    admin = as_user("adam")
    outside = write_policy(tmp_path.parent / f"{tmp_path.name}-outside")
    refused = admin.form("/policy/replay", {"path": str(outside)})
    assert refused.status_code == 400
    assert "not under a policy root" in refused.get_data(as_text=True)
    escape = tmp_path / "escape"
    escape.symlink_to(outside)  # a link under the root to a directory outside it
    assert "not under a policy root" in admin.form(
        "/policy/replay", {"path": str(escape)}
    ).get_data(as_text=True)
    for path in ("/etc", "/", str(tmp_path / ".." / "..")):
        assert admin.form("/policy/replay", {"path": path}).status_code == 400, path


def test_replay_roots_come_from_the_configuration(make_app, tmp_path):
    roots = tmp_path / "roots"
    allowed = write_policy(roots / "next")
    app = make_app(SAYSO_POLICY_ROOTS=str(roots))
    accounts.set_password(app.extensions["sayso"].store, "adam", PASSWORD)
    admin = WebClient(app.test_client()).login("adam")
    assert admin.form("/policy/replay", {"path": str(allowed)}).status_code == 200
    sibling = write_policy(tmp_path / "sibling")
    assert admin.form("/policy/replay", {"path": str(sibling)}).status_code == 400


def test_a_fifo_in_a_policy_directory_does_not_hang_replay(as_user, tmp_path):
    policy = write_policy(tmp_path / "with-fifo", POLICY)
    os.mkfifo(policy / "trap.yaml")
    answer = {}
    worker = threading.Thread(
        target=lambda: answer.update(
            r=as_user("adam").form("/policy/replay", {"path": str(policy)})
        )
    )
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "replay blocked on a FIFO"
    response = answer["r"]
    assert response.status_code == 400
    assert "not a regular file" in response.get_data(as_text=True)


def test_demo_refuses_a_database_with_credentials(make_app, tmp_path):
    app = make_app()
    accounts.create_token(app.extensions["sayso"].store, "dana", "ci")
    with pytest.raises(SaysoError, match="passwords or API tokens"):
        make_app(SAYSO_DEMO=True)


def test_demo_is_served_on_loopback_only(web_policy, tmp_path):
    from cli import cli

    db = f"sqlite:///{tmp_path / 'demo.db'}"
    for host in ("0.0.0.0", "192.0.2.7", "::", "example.org"):
        result = CliRunner().invoke(
            cli, ["--policy", str(web_policy), "--db", db, "serve", "--demo", "--host", host]
        )
        assert result.exit_code != 0, host
        assert "loopback only" in result.output, host
        assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        '{"author": "dana", "channel": "facebook/nmtw", "text": ' + "[" * 5000 + "]" * 5000 + "}",
    ],
)
def test_deeply_nested_json_is_400(client, token_for, body):
    for url in ("/api/v1/check", "/api/v1/submissions"):
        response = client.post(
            url, data=body, headers={**token_for("dana"), "Content-Type": "application/json"}
        )
        assert response.status_code == 400, url
        assert response.json["error"]


FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("formula", FORMULAS)
def test_csv_exports_never_start_a_cell_with_a_formula(web_state, as_user, formula):
    import csv
    import io

    sub = web_state.workflow.submit("dana", "facebook/nmtw", formula + " Hello members")
    auditor = as_user("audrey")
    for url in ("/audit/export.csv", f"/audit/export.csv?submission={sub.id}"):
        text = auditor.get(url).get_data(as_text=True)
        cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
        assert cells, url
        assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")], url
        assert not [c for c in cells if c.startswith("-") and not c[1:].replace(".", "").isdigit()]
    jsonl = auditor.get(f"/audit/export.jsonl?submission={sub.id}").get_data(as_text=True)
    assert formula.replace("\t", "\\t").replace("\r", "\\r")[:2] in jsonl  # JSONL stays exact


def test_a_spreadsheet_cell_keeps_numbers_and_quotes_formula_text():
    from engine import csvcells

    assert csvcells.row([None, 7, -3, "=1+1", "plain", "-x", "@me"]) == [
        "",
        7,
        -3,
        "'=1+1",
        "plain",
        "'-x",
        "'@me",
    ]
