"""`sayso stats`: the dashboard's figures on the command line, with --since, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def sayso(tmp_path):
    db = f"sqlite:///{tmp_path / 'stats.db'}"

    def run(*args: str):
        result = CliRunner().invoke(cli, ["--policy", str(ROOT / "policies"), "--db", db, *args])
        assert "Traceback" not in result.output
        return result

    reply = ["submit", "--author", "dana", "--channel", "twitter/nmtw_help", "--kind", "reply"]
    assert (
        run(*reply, "--text", "A refund is on its way", "--at", "2026-11-01T09:00:00Z").exit_code
        == 0
    )
    assert (
        run(*reply, "--text", "Your complaint is noted", "--at", "2026-11-02T09:00:00Z").exit_code
        == 0
    )
    assert run("approve", "1", "--as", "fran", "--at", "2026-11-01T12:00:00Z").exit_code == 0
    assert run("tick", "--at", "2026-11-02T12:00:00Z").exit_code == 0
    return run


def test_json_has_the_dashboard_figures(sayso):
    figures = json.loads(sayso("stats", "--json", "--at", "2026-11-03T00:00:00Z").output)
    assert figures["time_to_approval_by_topic"] == {
        "complaints": {"count": 1, "median_hours": 3.0, "p90_hours": 3.0}
    }
    assert figures["pending_by_escalation_level"] == {"1": 1}
    assert figures["sla_breaches_by_owner"] == {"group:support-leads": 1}
    assert figures["since"] is None


def test_since_leaves_out_older_submissions(sayso):
    figures = json.loads(sayso("stats", "--json", "--since", "2026-11-02T10:00:00+01:00").output)
    assert figures["time_to_approval_by_topic"] == {}  # post 1 was submitted on the 1st
    assert figures["pending_by_escalation_level"] == {"1": 1}
    assert figures["since"] == "2026-11-02T09:00:00.000000Z"
    later = json.loads(sayso("stats", "--json", "--since", "2026-11-02T09:00:01Z").output)
    assert later["pending_by_escalation_level"] == {}


def test_csv_rows(sayso):
    rows = list(csv.DictReader(io.StringIO(sayso("stats", "--csv").output)))
    assert {
        "figure": "time_to_approval_by_owner",
        "key": "group:support-leads",
        "count": "1",
        "median_hours": "3.0",
        "p90_hours": "3.0",
        "value": "",
    } in rows
    assert {
        "figure": "pending_by_escalation_level",
        "key": "1",
        "count": "",
        "median_hours": "",
        "p90_hours": "",
        "value": "1",
    } in rows


def test_text(sayso):
    out = sayso("stats").output
    assert "complaints: median 3.0, p90 3.0 (1 post)" in out
    assert "Pending, by escalation level reached:\n  level 1: 1" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "yesterday"], "--since: 'yesterday' is not an ISO 8601 time"),
        (["--csv", "--json"], "at most one of --csv and --json"),
    ],
)
def test_bad_input(sayso, args, message):
    result = sayso("stats", *args)
    assert result.exit_code == 2
    assert message in result.output
