"""engine.validate: the semantic checks a schema cannot do."""

from __future__ import annotations

import os
import textwrap
from datetime import date

import pytest

from engine.errors import PolicyError
from engine.loader import load_policy
from engine.policies import validate_policy
from engine.validate import re2_problem

PEOPLE = """\
users: {dana: {}, eli: {}, fran: {}}
groups:
  support: {members: [dana, eli]}
  leads: {members: [fran]}
channels: {twitter/help: {}, facebook/nmtw: {}}
"""


def run(tmp_path, text: str, today=date(2026, 5, 4)):
    """(errors, warnings) of PEOPLE plus `text`, as 'LINE:COL: message' of the second file."""
    (tmp_path / "people.yaml").write_text(PEOPLE, encoding="utf-8")
    (tmp_path / "policy.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    prefix = str(tmp_path / "policy.yaml") + ":"
    try:
        policy = load_policy(tmp_path, today=today)
    except PolicyError as err:
        errors = [str(p).replace(prefix, "") for p in err.problems]
        return errors, [str(w).replace(prefix, "") for w in err.warnings]
    return [], [str(w).replace(prefix, "") for w in policy.warnings]


def test_a_clean_policy_has_no_problems(tmp_path):
    assert run(
        tmp_path, "rules:\n  - {id: r, allow: [group:support], channels: ['twitter/*']}\n"
    ) == ([], [])


def test_unknown_principals_everywhere(tmp_path):
    errors, _ = run(
        tmp_path,
        """\
        rules:
          - {id: r, deny: [user:zed], channels: ['*']}
        topics:
          t: {keywords: [x], requires: {signoff: [group:ghosts]}, except: [user:nobody]}
        escalations:
          e: [{after: 1h, to: [group:leadz]}]
        checks:
          - {use: links, signoff: [user:who]}
        roles:
          auditors: [group:auditors]
        waivers:
          - {id: w, principals: [user:ghost], rules: [r], reason: x, expires: 2030-01-01}
        """,
    )
    assert errors == [
        "2:20: unknown user 'zed' in 'deny' of rule 'r'",
        "4:43: unknown group 'ghosts' in 'requires.signoff' of topic 't'",
        "4:68: unknown user 'nobody' in 'except' of topic 't'",
        "6:24: unknown group 'leadz' in 'to' of level 1 of escalation 'e' (did you mean 'leads'?)",
        "8:28: unknown user 'who' in 'signoff' of check 'links'",
        "10:14: unknown group 'auditors' in role 'auditors'",
        "12:26: unknown user 'ghost' in 'principals' of waiver 'w'",
    ]


def test_group_members_and_includes(tmp_path):
    errors, _ = run(tmp_path, "groups:\n  g: {members: [dana, support], includes: [lead]}\n")
    assert errors == [
        "2:23: unknown user 'support' in members of group 'g' (there is a group 'support': list it under includes)",
        "2:44: unknown group 'lead' in includes of group 'g' (did you mean 'leads'?)",
    ]


@pytest.mark.parametrize(
    ("groups", "cycle"),
    [
        ("a: {includes: [a]}", "a -> a"),
        ("a: {includes: [b]}\n  b: {includes: [a]}", "a -> b -> a"),
        ("z: {includes: [x]}\n  x: {includes: [y]}\n  y: {includes: [z]}", "x -> y -> z -> x"),
    ],
)
def test_include_cycles_are_named(tmp_path, groups, cycle):
    errors, _ = run(tmp_path, f"groups:\n  {groups}\n")
    assert [e.split(": ", 1)[1] for e in errors] == [f"group includes cycle: {cycle}"]


def test_diamond_includes_are_not_a_cycle(tmp_path):
    text = "groups:\n  top: {includes: [l, r]}\n  l: {includes: [base]}\n  r: {includes: [base]}\n  base: {members: [dana]}\n"
    assert run(tmp_path, text) == ([], [])


def test_channels_ids_must_exist_and_globs_should_match(tmp_path):
    errors, warnings = run(
        tmp_path,
        """\
        rules:
          - {id: r, allow: ['*'], channels: [twitter/halp, 'linkedin/*', 'twitter/*']}
        topics:
          t: {keywords: [x], channels: [facebook/nmtw, 'x/[ab]']}
        checks:
          - {use: max-length, channels: [facebook/nope]}
        """,
    )
    assert errors == [
        "2:38: unknown channel 'twitter/halp' in rule 'r' (did you mean 'twitter/help'?)",
        "6:34: unknown channel 'facebook/nope' in check 'max-length' (did you mean 'facebook/nmtw'?)",
    ]
    assert warnings == [
        "2:52: channel glob 'linkedin/*' in rule 'r' matches no channel",
        "4:48: channel glob 'x/[ab]' in topic 't' matches no channel",
    ]


def test_escalation_references(tmp_path):
    errors, _ = run(
        tmp_path,
        """\
        escalations:
          chain: [{after: 1h, to: [group:leads]}]
        topics:
          t: {keywords: [x], requires: {signoff: [group:leads]}, escalation: chian}
        checks:
          - {use: links, signoff: [group:leads], escalation: other}
        """,
    )
    assert errors == [
        "4:70: unknown escalation 'chian' in topic 't' (did you mean 'chain'?); escalations: chain",
        "6:54: unknown escalation 'other' in check 'links'; escalations: chain",
    ]


def test_escalation_levels_must_increase(tmp_path):
    errors, _ = run(
        tmp_path,
        """\
        escalations:
          e:
            - {after: 2h, to: [user:dana]}
            - {after: 120m, to: [user:eli]}
            - {after: 1d, to: [user:fran]}
            - {after: 1h30m1h, to: [user:fran]}
        """,
    )
    assert errors == [
        "4:15: level 2 of escalation 'e' comes after 2h, not later than level 1 (2h): each level's 'after' must be larger",
        "6:15: 'after' of level 4 of escalation 'e': '1h30m1h': write the units once each, largest first (e.g. 1h30m, not 30m1h)",
    ]


def test_approvals_cannot_exceed_who_could_approve(tmp_path):
    errors, _ = run(
        tmp_path,
        """\
        escalations:
          e: [{after: 1h, to: [user:fran]}]
        topics:
          ok: {keywords: [a], requires: {signoff: [group:support], approvals: 2}}
          with-chain: {keywords: [b], requires: {signoff: [group:support], approvals: 3}, escalation: e}
          too-many: {keywords: [c], requires: {signoff: [group:support, user:dana], approvals: 3}}
          everyone: {keywords: [d], requires: {signoff: ['*'], approvals: 3}}
        checks:
          - {use: links, signoff: [user:dana], approvals: 2}
        """,
    )
    assert errors == [
        "6:88: topic 'too-many' needs 3 approvals but only 2 people could ever approve",
        "9:51: check 'links' needs 2 approvals but only 1 person could ever approve",
    ]


def test_signoff_nobody_can_give(tmp_path):
    errors, warnings = run(
        tmp_path,
        """\
        escalations:
          e: [{after: 1h, to: [user:fran]}]
        topics:
          bad: {keywords: [a], action: signoff}
          chain-only: {keywords: [b], action: signoff, escalation: e}
          ignored: {keywords: [c], action: warn, requires: {signoff: [user:dana]}}
        checks:
          - {use: max-length, action: signoff}
        """,
    )
    assert errors == [
        "4:32: topic 'bad' requires a sign-off but names no one: give requires: {signoff: [...]} or an escalation",
        "8:31: check 'max-length' requires a sign-off but names no one: give signoff: [...] or an escalation",
    ]
    assert warnings == ["6:42: 'requires' of topic 'ignored' is ignored: its action is warn"]


def test_patterns_are_compiled_with_re2_only(tmp_path):
    errors, _ = run(
        tmp_path,
        r"""
        topics:
          t: {patterns: ['ok\d+', '(?P<n>x)(?P=n)', '(?=look)ahead', 'a**']}
        """,
    )
    assert len(errors) == 3 and all("invalid RE2 pattern in topic 't'" in e for e in errors)
    assert re2_problem(r"\bacct\s*#?\d{6,}\b") is None
    # valid for Python's re, refused by RE2: a policy pattern must run in linear time
    assert re2_problem(r"(a+)+\1") is not None


def test_blank_keywords_and_empty_topics(tmp_path):
    errors, warnings = run(tmp_path, "topics:\n  t: {keywords: ['  ', ok]}\n  empty: {}\n")
    assert errors == ["2:18: blank keyword in topic 't'"]
    assert warnings == [
        "3:3: topic 'empty' has no keywords or patterns: only a detector plugin can match it"
    ]


def test_waiver_targets_must_exist(tmp_path):
    errors, warnings = run(
        tmp_path,
        """\
        rules:
          - {id: r, allow: ['*'], channels: ['*']}
        topics:
          t: {keywords: [x]}
        checks:
          - {use: links, action: warn}
        waivers:
          - {id: ok, principals: [user:dana], rules: [r], topics: [t], checks: [links], reason: x, expires: 2026-05-04}
          - {id: bad, principals: [user:dana], rules: [t], checks: [link], reason: x, expires: 2026-05-03}
        """,
    )
    assert errors == [
        "9:48: waiver 'bad' names unknown rule 't'",
        "9:61: waiver 'bad' names unknown check 'link' (did you mean 'links'?)",
    ]
    assert warnings == ["9:88: waiver 'bad' expired on 2026-05-03"]


def test_roles_other_than_auditors_and_admins_are_errors(tmp_path):
    errors, _ = run(tmp_path, "roles:\n  auditor: [group:leads]\n")
    assert errors == ["2:3: unknown key 'auditor' in section 'roles' (did you mean 'auditors'?)"]


def test_channel_platform_unlike_its_id_warns(tmp_path):
    (tmp_path / "p.yaml").write_text("channels:\n  twitter/x: {platform: facebook}\n")
    policy = load_policy(tmp_path)
    assert tuple(map(str, policy.warnings)) == (
        f"{tmp_path / 'p.yaml'}:2:25: channel 'twitter/x' has platform 'facebook' but its id says 'twitter'",
    )


def test_validate_policy_collects_errors_and_warnings(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "users: {dana: {}}\nrules:\n  - {id: r, allow: [user:dan], channels: ['x/*']}\n"
    )
    result = validate_policy(tmp_path)
    assert not result.valid and result.version is None
    data = result.to_dict()
    assert data["errors"] == [
        {
            "file": os.path.join(str(tmp_path), "p.yaml"),
            "line": 3,
            "col": 21,
            "message": "unknown user 'dan' in 'allow' of rule 'r' (did you mean 'dana'?)",
        }
    ]
    assert [w["message"] for w in data["warnings"]] == [
        "channel glob 'x/*' in rule 'r' matches no channel"
    ]


def test_warnings_are_located_problems_not_strings(tmp_path):
    """A Windows-style path with colons stays whole: nothing is parsed back from text."""
    odd = tmp_path / "C:" / "p"
    odd.mkdir(parents=True)
    (odd / "a.yaml").write_text("channels:\n  twitter/x: {platform: facebook}\n")
    [warning] = load_policy(odd).warnings
    assert warning.loc.file == str(odd / "a.yaml") and (warning.loc.line, warning.loc.col) == (
        2,
        25,
    )
    assert warning.message.startswith("channel 'twitter/x' has platform 'facebook'")


def test_requires_on_a_deny_topic_applies_to_its_except(tmp_path):
    with_except = "topics:\n  t: {keywords: [x], action: deny, except: [group:leads], requires: {signoff: [user:dana]}}\n"
    assert run(tmp_path, with_except) == ([], [])
    _, warnings = run(
        tmp_path, "topics:\n  t: {keywords: [x], action: deny, requires: {signoff: [user:dana]}}\n"
    )
    assert len(warnings) == 1 and "ignored" in warnings[0] and "no 'except'" in warnings[0]
