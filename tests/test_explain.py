"""Output for a person: a decision explained, and the reports of tick, replay and inbound."""

from __future__ import annotations

import json
from pathlib import Path

from engine.explain import format_decision, format_trace, quote
from engine.model import Post, Span


def test_quote_marks_the_match_with_context():
    text = "We can close your account today"
    assert (
        quote(text, Span(7, 25, "close your account", "k")) == "We can »close your account« today"
    )
    long = "x" * 50 + " APR " + "y" * 50
    shown = quote(long, Span(51, 54, "APR", "APR"))
    assert shown.startswith("…") and shown.endswith("…") and "»APR«" in shown


def test_quote_flattens_line_breaks():
    assert quote("one\nAPR\ntwo", Span(4, 7, "APR", "APR")) == "one »APR« two"


def test_denied_topic_explains_reason_where_and_what_to_change(engine):
    text = "Good news: our APR is 3.9% this month."
    out = format_decision(engine.decide(Post("dana", "facebook/nmtw", text)))
    assert out.startswith("DENIED: dana may not publish this post on facebook/nmtw.")
    assert "[topic rates] Rate quotes are posted by Treasury only." in out
    assert "rates: Good news: our »APR« is 3.9% this month. (characters 15-18)" in out
    assert "remove or rephrase 'APR' (topic rates), or ask group:treasury to post it" in out
    assert "Policy version: v-test" in out


def test_needs_signoff_names_who_and_how_many(engine):
    out = format_decision(
        engine.decide(Post("dana", "facebook/nmtw", "We can close your account today."))
    )
    assert out.startswith("NEEDS SIGN-OFF")
    assert "account-closure: 1 approval from group:member-services" in out
    assert "We can »close your account« today." in out


def test_no_rule_says_who_may(engine):
    out = format_decision(engine.decide(Post("dana", "linkedin/acme", "hello")))
    assert "no rule lets dana post to linkedin/acme" in out
    assert "ask group:treasury, group:marketing to post it" in out


def test_approved_names_the_allowing_rule_and_no_hints(engine):
    out = format_decision(engine.decide(Post("eli", "facebook/nmtw", "Thanks!", "reply")))
    assert out.startswith("APPROVED: eli may publish this reply on facebook/nmtw.")
    assert "support-replies" in out
    assert "To get approved" not in out


def test_warnings_listed(engine):
    from datetime import UTC, datetime

    d = engine.decide(
        Post("gus", "linkedin/acme", "APR news"), now=datetime(2026, 5, 1, tzinfo=UTC)
    )
    out = format_decision(d)
    assert "Warnings:" in out and "waived by gus-rates" in out


def test_trace_lists_every_step(engine):
    d = engine.decide(Post("dana", "linkedin/acme", "hello"), explain=True)
    lines = format_trace(d).splitlines()
    assert "  - rule marketing-linkedin: group:marketing do not include dana" in lines
    assert "  + rule default-deny: no rule lets dana post to linkedin/acme" in lines


def test_show_prints_the_whole_record_for_a_person(tmp_path, monkeypatch):
    """`sayso show` prints engine.explain.format_record: every revision, verdict, event."""
    from click.testing import CliRunner

    from cli import cli

    monkeypatch.chdir(tmp_path)
    policy = Path(__file__).parent / "fixtures" / "policies" / "workflow"
    base = ["--policy", str(policy), "--db", f"sqlite:///{tmp_path / 'sayso.db'}"]
    runner = CliRunner()
    at = ["--at", "2026-05-04T09:00:00Z"]
    submitted = runner.invoke(
        cli, [*base, "submit", "--author", "ann", "--channel", "twitter/help", "--text",
              "We regret the closure.", *at, "--json"],
    )  # fmt: skip
    sid = json.loads(submitted.output)["id"]
    runner.invoke(cli, [*base, "approve", str(sid), "--as", "cat", "--comment", "fine", *at])
    shown = runner.invoke(cli, [*base, "show", str(sid)])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == f"submission {sid}: published (revision 1)"
    assert lines[1] == "  ann on twitter/help (post), submitted 2026-05-04T09:00:00Z"
    assert "  [met] closure: 1 approval(s) from group:member-services (approved by: cat)" in lines
    revision = lines[lines.index("revisions:") + 1]
    assert revision.startswith("  1  2026-05-04T09:00:00Z  sha256 ")
    assert revision.split()[4] == "needs_signoff"
    assert "  2026-05-04T09:00:00Z  approve revision 1 by cat — fine" in lines
    events = [line.split()[2] for line in lines[lines.index("audit events:") + 1 :]]
    assert events == ["submitted", "decided", "approved", "published"]


# ---- the reports of tick, replay and inbound, as the CLI prints them ---------------


def test_tick_report_lists_each_item_then_the_totals():
    from engine.explain import format_tick
    from engine.workflow.views import TickReport

    report = TickReport(escalated=[(4, "complaint-chain", 1)], failed=[(7, "timeout")])
    assert format_tick(report).splitlines() == [
        "submission 4: escalated to level 1 of complaint-chain",
        "submission 7: publishing failed: timeout",
        "1 escalated, 0 published, 0 overdue, 1 failed",
    ]
    report = TickReport(inbound_escalated=[(2, "complaint-chain", 2)], inbound_overdue=[3])
    assert format_tick(report).splitlines()[-1] == "inbound: 1 escalated, 1 overdue"


def test_replay_report_marks_reasons_gained_and_lost():
    from collections import Counter

    from engine.explain import format_replay
    from engine.replay import Change, ReplayReport

    change = Change(5, "ann", "twitter/help", "approved", "denied", ("rates: no",), ("ok: yes",))
    report = ReplayReport("v2", 3, [change], Counter({"approved -> denied": 1}))
    assert format_replay(report).splitlines() == [
        "submission 5 (ann on twitter/help): approved -> denied",
        "    + rates: no",
        "    - ok: yes",
        "3 replayed, 1 changed (approved -> denied: 1)",
    ]
    assert format_replay(ReplayReport("v2")) == "0 replayed, 0 changed (none)"


def test_inbound_message_shows_its_clock_and_cuts_long_text():
    from datetime import UTC, datetime

    from engine.explain import format_inbound
    from engine.inbound.items import InboundItem, InboundStatus

    at = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    item = InboundItem(
        1, "twitter/help", "m1", "@zed", "Zed", "x" * 250, "0" * 64, None, None, "cli", at,
        InboundStatus.OPEN, "complaints", ("complaints",), "complaint-chain", 1,
        ("group:leads",), at, None, True, "v1", at,
    )  # fmt: skip
    lines = format_inbound(item).splitlines()
    assert lines[:4] == [
        "inbound 1: open (route complaints; topics complaints)",
        "  from @zed (Zed) on twitter/help, received 2026-05-04T09:30:00Z",
        "  owners: group:leads; level 1",
        "  due: 2026-05-04T09:30:00Z OVERDUE",
    ]
    assert lines[4] == "  > " + "x" * 200 + "..."
    assert format_inbound(item, full=True).splitlines()[4] == "  > " + "x" * 250
