"""`sayso diff OLD NEW` and engine/diff.py: what a policy change does, for its reviewer."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine.compiler import KINDS, load_engine
from engine.diff import (
    ADDED,
    CHANGED,
    GAINS,
    LOSES,
    REMOVED,
    SECTIONS,
    PermissionChange,
    allowed_users,
    diff_policies,
    format_diff,
    summarise,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "diff"
BASE = FIXTURES / "base"
TODAY = date(2026, 5, 4)


def engine(name: str):
    return load_engine(str(FIXTURES / name))


def diff_with(name: str, today: date = TODAY):
    return diff_policies(engine("base"), engine(name), today=today)


def fields(item) -> dict:
    return {f.field: f for f in item.fields}


def item(diff, section: str, item_id: str):
    (found,) = [i for i in diff.section(section) if i.id == item_id]
    return found


def run(*args: str):
    return CliRunner().invoke(cli, ["diff", *args])


# ---- who may post ------------------------------------------------------------


def test_permission_changes_are_summarised_per_group_and_user():
    diff = diff_with("permissions")
    assert set(diff.permissions) == {
        PermissionChange("group:marketing", GAINS, "linkedin/nmtw", "post"),
        PermissionChange("group:marketing", GAINS, "linkedin/nmtw", "reply"),
        PermissionChange("user:pat", LOSES, "twitter/nmtw_help", "reply"),
    }
    text = format_diff(diff)
    assert "group:marketing gains post, reply on linkedin/nmtw" in text
    assert "user:pat loses reply on twitter/nmtw_help" in text
    assert fields(item(diff, "rules", "marketing-brand"))["channels"].added == ("linkedin/nmtw",)
    assert fields(item(diff, "groups", "support"))["members"].removed == ("pat",)


@pytest.mark.parametrize(
    "policy_dir",
    [*(p for p in sorted(FIXTURES.iterdir()) if p.name != "broken"), ROOT / "policies"],
    ids=lambda p: p.name,
)
@pytest.mark.parametrize("today", [TODAY, date(2100, 1, 1)], ids=["today", "after-expiry"])
def test_allowed_users_agrees_with_may_post_everywhere(policy_dir, today):
    compiled = load_engine(str(policy_dir))
    for channel in compiled.policy.channels:
        for kind in KINDS:
            expected = {
                user
                for user in compiled.policy.users
                if compiled.may_post(user, channel, kind, today=today)[0]
            }
            assert allowed_users(compiled, channel, kind, today) == expected, (channel, kind)


def test_every_user_change_is_covered_exactly_by_the_summary():
    old, new = engine("base"), engine("waivers")
    diff = diff_policies(old, new, today=TODAY)
    for channel in new.policy.channels:
        for kind in KINDS:
            gained = allowed_users(new, channel, kind, TODAY) - allowed_users(
                old, channel, kind, TODAY
            )
            named = [
                p.principal
                for p in diff.permissions
                if (p.channel, p.kind, p.change) == (channel, kind, GAINS)
            ]
            covered = set().union(*(new.members(p) for p in named)) if named else set()
            assert covered == gained


def test_a_waiver_on_a_deny_rule_counts_only_while_in_force():
    diff = diff_with("waivers")
    gains = {(p.principal, p.channel) for p in diff.permissions if p.change == GAINS}
    assert ("user:quin", "linkedin/nmtw") in gains
    later = diff_with("waivers", today=date(2100, 1, 1))
    assert all(p.principal != "user:quin" for p in later.permissions)


def test_summarise_names_everyone_whole_groups_then_users():
    compiled = engine("base")
    everyone = frozenset(compiled.policy.users)
    assert summarise(compiled, everyone) == ["*"]
    # support includes support-leads: only the larger group is named
    assert summarise(compiled, frozenset({"cat", "pat", "dan"})) == ["group:support"]
    assert summarise(compiled, frozenset({"ann", "bob", "cat"})) == [
        "group:marketing",
        "user:cat",
    ]
    assert summarise(compiled, frozenset()) == []


def test_a_new_channel_and_rule_for_everyone_is_a_gain_for_everyone(tmp_path):
    people = "version: 1\nusers: {ann: {name: Ann}, bob: {name: Bob}}\n"
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "policy.yaml").write_text(
        people + "channels: {facebook/nmtw: {platform: facebook}}\n"
    )
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "policy.yaml").write_text(
        people
        + textwrap.dedent(
            """\
            channels: {facebook/nmtw: {platform: facebook}, x/nmtw: {platform: x}}
            rules:
              - {id: all, allow: ["*"], channels: ["*"], kinds: [post]}
            """
        )
    )
    old, new = load_engine(str(tmp_path / "old")), load_engine(str(tmp_path / "new"))
    diff = diff_policies(old, new)
    assert set(diff.permissions) == {
        PermissionChange("*", GAINS, "facebook/nmtw", "post"),
        PermissionChange("*", GAINS, "x/nmtw", "post"),
    }
    assert "everyone gains post on x/nmtw" in format_diff(diff)
    assert [(i.id, i.change) for i in diff.section("channels")] == [("x/nmtw", ADDED)]
    back = diff_policies(new, old)
    assert {(p.principal, p.change) for p in back.permissions} == {("*", LOSES)}
    assert [(i.id, i.change) for i in back.section("channels")] == [("x/nmtw", REMOVED)]


# ---- items, field by field -------------------------------------------------------


def test_topics_added_removed_and_changed_field_by_field():
    diff = diff_with("topics")
    changes = {i.id: i.change for i in diff.section("topics")}
    assert changes == {
        "complaints": CHANGED,
        "crisis": ADDED,
        "legal": REMOVED,
        "rates": CHANGED,
    }
    complaints = fields(item(diff, "topics", "complaints"))
    assert complaints["signoff"].added == ("group:support", "group:legal")
    assert complaints["signoff"].removed == ("group:support-leads",)
    assert (complaints["approvals"].old, complaints["approvals"].new) == (1, 2)
    assert complaints["keywords"].added == ("unacceptable",)
    assert (complaints["enforcement"].old, complaints["enforcement"].new) == (
        "enforced",
        "advisory",
    )
    assert complaints["escalation"].new == "legal-chain"
    rates = fields(item(diff, "topics", "rates"))
    assert (rates["action"].old, rates["action"].new) == ("deny", "signoff")
    assert rates["keywords"].added == ("APY",)
    assert rates["keywords"].removed == ("interest rate",)
    assert rates["except"].added == ("group:legal",)
    assert rates["except"].removed == ("group:marketing",)
    assert len(rates["patterns"].added) == 1
    assert "message" not in rates
    assert diff.permissions == ()
    text = format_diff(diff)
    assert 'keywords: +APY  -"interest rate"' in text
    assert "  + crisis (added)" in text and "  - legal (removed)" in text


def test_escalation_levels_durations_and_owners():
    diff = diff_with("escalations")
    chain = fields(item(diff, "escalations", "complaint-chain"))
    assert (chain["levels"].old, chain["levels"].new) == (2, 3)
    assert (chain["level 1 after"].old, chain["level 1 after"].new) == ("2h", "30m")
    assert chain["level 2 to"].added == ("group:legal",)
    assert "level 2 after" not in chain
    assert chain["level 3 to"].added == ("group:compliance",)
    assert item(diff, "escalations", "legal-chain").change == ADDED


def test_checks_added_removed_and_options_changed():
    diff = diff_with("checks")
    assert {i.id: i.change for i in diff.section("checks")} == {
        "links": CHANGED,
        "links-strict": ADDED,
        "max-length": REMOVED,
    }
    links = fields(item(diff, "checks", "links"))
    assert links["option allow_domains"].added == ("partner.example",)
    assert links["signoff"].added == ("group:compliance",)
    assert links["approvals"].new == 2


def test_waivers_added_removed_and_expiry():
    diff = diff_with("waivers")
    assert {i.id: i.change for i in diff.section("waivers")} == {
        "ann-links": CHANGED,
        "bob-links": REMOVED,
        "quin-linkedin": ADDED,
    }
    expires = fields(item(diff, "waivers", "ann-links"))["expires"]
    assert (expires.old, expires.new) == (date(2099, 12, 31), date(2098, 6, 30))
    assert "expires: 2099-12-31 -> 2098-06-30" in format_diff(diff)


def test_roles_changed():
    diff = diff_with("roles")
    admins = fields(item(diff, "roles", "admins"))["principals"]
    assert admins.added == ("user:dan", "user:ann") and admins.removed == ("group:compliance",)
    assert fields(item(diff, "roles", "auditors"))["principals"].added == ("group:legal",)
    assert diff.permissions == ()


def test_reformatting_or_reordering_is_no_change():
    diff = diff_with("cosmetic")
    assert diff.old_version != diff.new_version
    assert not diff.changed
    assert format_diff(diff).endswith("no changes")


# ---- the command ---------------------------------------------------------------


def test_identical_directories_exit_0_with_no_changes():
    result = run(str(BASE), str(BASE))
    assert result.exit_code == 0, result.output
    assert "no changes" in result.stdout


def test_cosmetic_change_exits_0():
    assert run(str(BASE), str(FIXTURES / "cosmetic")).exit_code == 0


@pytest.mark.parametrize(
    "name,expected",
    [
        ("permissions", "group:marketing gains post, reply on linkedin/nmtw"),
        ("topics", "~ complaints"),
        ("escalations", "level 1 after: 2h -> 30m"),
        ("checks", "- max-length (removed)"),
        ("waivers", "+ quin-linkedin (added)"),
        ("roles", "principals: +group:legal"),
    ],
)
def test_changes_exit_1_with_a_grouped_report(name, expected):
    result = run(str(BASE), str(FIXTURES / name))
    assert result.exit_code == 1
    assert expected in result.stdout
    assert result.stderr == ""
    assert result.stdout.rstrip().splitlines()[-1].endswith((" change", " changes"))


def test_json_shape():
    result = run(str(BASE), str(FIXTURES / "permissions"), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert set(data) == {"old_version", "new_version", "changed", "permissions", *SECTIONS}
    assert data["changed"] is True
    assert len(data["old_version"]) == 64 and data["old_version"] != data["new_version"]
    assert {"principal": "user:pat", "change": "loses", "channel": "twitter/nmtw_help",
            "kind": "reply"} in data["permissions"]  # fmt: skip
    (support,) = data["groups"]
    assert support == {
        "id": "support",
        "change": "changed",
        "fields": [
            {
                "field": "members",
                "old": ["cat", "pat"],
                "new": ["cat"],
                "added": [],
                "removed": ["pat"],
            }
        ],
    }


def test_json_with_no_changes():
    result = run(str(BASE), str(BASE), "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["changed"] is False and data["permissions"] == []
    assert all(data[s] == [] for s in SECTIONS)


def test_json_waiver_dates_are_iso():
    data = json.loads(run(str(BASE), str(FIXTURES / "waivers"), "--json").stdout)
    ann = next(w for w in data["waivers"] if w["id"] == "ann-links")
    assert ann["fields"] == [{"field": "expires", "old": "2099-12-31", "new": "2098-06-30"}]


@pytest.mark.parametrize("order", ["old", "new"])
def test_a_directory_that_does_not_load_exits_2_with_one_line_per_problem(order):
    broken, good = str(FIXTURES / "broken"), str(BASE)
    args = (broken, good) if order == "old" else (good, broken)
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("error: ") for line in lines)
    assert "policy.yaml:4:25: unknown key 'emial'" in lines[0]
    assert "unknown group 'nobody'" in lines[1]
    assert "Traceback" not in result.output


def test_both_directories_missing_reports_both(tmp_path):
    result = run(str(tmp_path / "a"), str(tmp_path / "b"))
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 2
    assert "Traceback" not in result.output
