"""CLI commands that serve the web app: `serve`, `token create/revoke`, `user set-password`."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cli import cli
from engine import accounts
from engine.store import Store


def run(web_policy, db, *args, input=None):
    return CliRunner().invoke(cli, ["--policy", str(web_policy), "--db", db, *args], input=input)


def test_token_create_list_and_revoke(web_policy, tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    created = run(web_policy, db, "token", "create", "--as", "dana", "--name", "ci")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert created.stderr.startswith("token 1 for dana (ci)")
    store = Store.create(db)
    try:
        assert accounts.user_for_token(store, token) == "dana"
        [record] = accounts.tokens(store, "dana")
        listed = run(web_policy, db, "token", "list", "--json")
        assert json.loads(listed.stdout)[0]["state"] == "active"
        assert json.loads(listed.stdout)[0]["last_used_at"] is not None
        assert token not in listed.output
        assert run(web_policy, db, "token", "revoke", str(record.id)).exit_code == 0
        assert accounts.user_for_token(store, token) is None
        expiring = run(
            web_policy,
            db,
            "token",
            "create",
            "--as",
            "dana",
            "--name",
            "bot",
            "--expires",
            "90d",
            "--json",
        )
        made = json.loads(expiring.stdout)
        assert made["id"] == 2 and made["expires_at"].startswith("20")
        by_name = run(web_policy, db, "token", "revoke", "--name", "bot", "--as", "dana")
        assert by_name.exit_code == 0 and "1 token named 'bot' revoked" in by_name.output
        assert accounts.user_for_token(store, made["token"]) is None
    finally:
        store.close()
    again = run(web_policy, db, "token", "revoke", str(record.id))
    assert again.exit_code == 1 and again.output.startswith("error: ")
    unknown = run(web_policy, db, "token", "create", "--as", "mallory")
    assert unknown.exit_code == 2 and "unknown user 'mallory'" in unknown.output
    past = run(
        web_policy, db, "token", "create", "--as", "dana", "--expires", "2001-01-01T00:00:00Z"
    )
    assert past.exit_code == 1 and "future" in past.output
    bad = run(web_policy, db, "token", "create", "--as", "dana", "--expires", "someday")
    assert bad.exit_code != 0 and "Traceback" not in bad.output


def test_user_set_password(web_policy, tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    done = run(
        web_policy, db, "user", "set-password", "fran", "--password-stdin", input="s3cret-pass\n"
    )
    assert done.exit_code == 0, done.output
    store = Store.create(db)
    try:
        assert accounts.check_password(store, "fran", "s3cret-pass")
    finally:
        store.close()
    short = run(web_policy, db, "user", "set-password", "fran", "--password-stdin", input="x\n")
    assert short.exit_code == 1 and "at least 8 characters" in short.output


def test_serve_help_mentions_demo():
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0 and "--demo" in result.output
