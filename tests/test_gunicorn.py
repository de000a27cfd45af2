"""Production shape: the app under gunicorn with 2 workers on PostgreSQL, a submit and
approve round trip through the JSON API with bearer tokens."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from engine import accounts
from engine.store import Store

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base: str, method: str, path: str, token: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


@pytest.fixture
def gunicorn(postgres_db, tmp_path):
    store = Store.create(postgres_db)
    tokens = {u: accounts.create_token(store, u) for u in ("dana", "fran")}
    store.close()
    port = free_port()
    env = dict(
        os.environ,
        SAYSO_POLICY=str(ROOT / "policies"),
        SAYSO_DB=postgres_db,
        SAYSO_SECRET_KEY="gunicorn-test",
        PYTHONPATH=str(ROOT),
    )
    log = (tmp_path / "gunicorn.log").open("w")
    proc = subprocess.Popen(
        [str(GUNICORN), "-w", "2", "-b", f"127.0.0.1:{port}", "web:create_app()"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=2):
                break
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    yield base, tokens, proc
    proc.terminate()
    proc.wait(timeout=30)
    log.close()
    assert proc.returncode == 0, (tmp_path / "gunicorn.log").read_text()


def test_submit_and_approve_round_trip_under_gunicorn(gunicorn, tmp_path):
    base, tokens, proc = gunicorn
    assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
    text = "So sorry about the terrible service; a refund is on its way."
    status, sub = call(
        base,
        "POST",
        "/api/v1/submissions",
        tokens["dana"],
        {"channel": "twitter/nmtw_help", "kind": "reply", "text": text},
    )
    assert status == 201 and sub["status"] == "pending"
    refused, body = call(
        base, "POST", f"/api/v1/submissions/{sub['id']}/approve", tokens["dana"], {"revision": 1}
    )
    assert refused == 403 and "own post" in body["error"]
    # Several requests so both workers take part; every one sees the same store.
    for _ in range(6):
        status, queue = call(base, "GET", "/api/v1/queue", tokens["fran"])
        assert status == 200 and [q["id"] for q in queue] == [sub["id"]]
    status, done = call(
        base,
        "POST",
        f"/api/v1/submissions/{sub['id']}/approve",
        tokens["fran"],
        {"comment": "ok", "revision": 1},
    )
    assert status == 200 and done["status"] == "published"
    status, again = call(base, "GET", f"/api/v1/submissions/{sub['id']}", tokens["dana"])
    assert again["status"] == "published" and again["text"] == text
    [line] = (tmp_path / "outbox.jsonl").read_text().splitlines()
    assert json.loads(line)["text"] == text
