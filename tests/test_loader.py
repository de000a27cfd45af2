"""engine.loader and engine.yamlpos: reading, merging and building a policy directory."""

from __future__ import annotations

import os
import shutil
import textwrap
import time
from datetime import date
from pathlib import Path

import pytest

from engine.errors import PolicyError
from engine.loader import load_policy, policy_files
from engine.model import Effect, Enforcement, Kind, Policy
from engine.version import policy_version
from engine.yamlpos import MAX_FILE_BYTES, MAX_NODES, YamlProblem, read_yaml

FIXTURES = Path(__file__).parent / "fixtures" / "policies"
GOOD = sorted(p.name for p in (FIXTURES / "good").iterdir())
BAD = sorted(p.name for p in (FIXTURES / "bad").iterdir())
TODAY = date(2026, 5, 4)


def write(folder: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return folder


def problems(folder: Path, **kwargs) -> list[str]:
    """Every problem of an invalid policy as 'FILE:LINE:COL: message', paths relative."""
    with pytest.raises(PolicyError) as caught:
        load_policy(folder, today=TODAY, **kwargs)
    prefix = str(folder) + os.sep
    return [str(p).replace(prefix, "") for p in caught.value.problems]


# ------------------------------------------------------------ fixtures


@pytest.mark.parametrize("name", GOOD)
def test_good_fixtures_load(name):
    policy = load_policy(FIXTURES / "good" / name, today=TODAY)
    assert isinstance(policy, Policy)
    assert len(policy.version) == 64


@pytest.mark.parametrize("name", BAD)
def test_bad_fixtures_report_exactly_the_expected_problems(name):
    folder = FIXTURES / "bad" / name
    with pytest.raises(PolicyError) as caught:
        load_policy(folder, today=TODAY)
    prefix = str(folder) + os.sep
    got = [str(p).replace(prefix, "") for p in caught.value.problems]
    for warning in caught.value.warnings:
        got.append(f"{warning.loc}: warning: {warning.message}".replace(prefix, ""))
    expected = (folder / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert got == expected


def test_spec_example_builds_the_model():
    policy = load_policy(FIXTURES / "good" / "spec", today=TODAY)
    assert set(policy.users) >= {"dana", "eli", "president"}
    assert policy.users["dana"].name == "Dana Diaz"
    assert policy.users["dana"].email == "dana@cu.example"
    assert policy.groups["support"].members == ("dana", "eli")
    assert policy.groups["support"].includes == ("support-leads",)
    assert policy.channels["twitter/nmtw_help"].max_length == 280
    assert policy.channels["facebook/nmtw"].publisher == "outbox"
    allow, deny = policy.rules
    assert (allow.id, allow.effect, allow.principals) == (
        "support-replies",
        Effect.ALLOW,
        ("group:support",),
    )
    assert allow.channels == ("twitter/*", "facebook/nmtw")
    assert allow.kinds == (Kind.REPLY,)
    assert deny.effect == Effect.DENY and deny.kinds == (Kind.POST, Kind.REPLY)
    closure = policy.topics["account-closure"]
    assert closure.action == Effect.SIGNOFF  # default when `requires` is given
    assert closure.requires.principals == ("group:member-services",)
    assert closure.requires.approvals == 1
    assert closure.escalation == "complaint-chain"
    assert closure.patterns == (r"\bacct\s*#?\d{6,}\b",)
    assert closure.channels == ("*",)
    rates = policy.topics["rates"]
    assert rates.action == Effect.DENY and rates.except_ == ("group:treasury",)
    assert rates.message == "Rate quotes are posted by Treasury only."
    chain = policy.escalations["complaint-chain"]
    assert [lvl.after_seconds for lvl in chain.levels] == [7200, 14400, 86400]
    assert chain.levels[1].to == ("user:vp-member-services",)
    max_length, links = policy.checks
    assert (max_length.id, max_length.use, max_length.action, max_length.requires) == (
        "max-length",
        "max-length",
        None,
        None,
    )
    assert links.options == (("allow_domains", ["nmtw.example"]),)
    assert links.action == Effect.SIGNOFF
    assert links.requires.principals == ("group:web-team",)
    assert policy.roles == {"auditors": ("group:compliance",), "admins": ("group:compliance",)}
    assert policy.warnings == ()


def test_locations_point_at_the_entries():
    folder = FIXTURES / "good" / "spec"
    policy = load_policy(folder, today=TODAY)
    name = os.path.join(str(folder), "policy.yaml")
    assert str(policy.users["dana"].loc) == f"{name}:4:3"
    assert str(policy.rules[0].loc) == f"{name}:24:5"
    assert policy.topics["rates"].loc.line == 37


def test_split_policy_merges_files_and_skips_tests_and_hidden():
    folder = FIXTURES / "good" / "split"
    assert policy_files(str(folder)) == [
        "channels.yaml",
        "people.yaml",
        "team/leads.yml",
        "topics.yaml",
    ]
    policy = load_policy(folder, today=TODAY)
    assert set(policy.files) == {"channels.yaml", "people.yaml", "team/leads.yml", "topics.yaml"}
    assert policy.files["team/leads.yml"] == (folder / "team" / "leads.yml").read_bytes()
    assert policy.version == policy_version(policy.files)
    assert set(policy.groups) == {"support", "leads"}
    assert policy.users["fran"].name == ""  # `fran:` with no attributes
    assert policy.users["eli"].attrs == (("department", "support"),)
    assert policy.channels["twitter/nmtw_help"].platform == "twitter"  # from the id
    topic = policy.topics["rates"]
    assert topic.action == Effect.WARN  # no `requires`: default warn
    closure = policy.topics["closure"]
    assert closure.enforcement == Enforcement.ADVISORY and closure.channels == ("facebook/nmtw",)
    (check,) = policy.checks
    assert (check.id, check.use, check.options, check.action) == (
        "short",
        "max-length",
        (("limit", 200),),
        Effect.WARN,
    )
    (waiver,) = policy.waivers
    assert waiver.targets == ("rates",) and waiver.expires == date(2030, 12, 31)
    assert waiver.reason == "Treasury secondment"
    assert policy.rules[1].description == "Leads may post anywhere."


def test_anchors_aliases_and_merge_keys():
    policy = load_policy(FIXTURES / "good" / "anchors", today=TODAY)
    a, b = policy.rules
    assert a.principals == b.principals == ("user:dana", "user:eli")
    assert b.kinds == (Kind.REPLY,) and b.channels == ("twitter/b",)
    assert policy.roles["auditors"] == ("user:dana", "user:eli")


def test_version_ignores_directory_name_and_mtime(tmp_path):
    source = FIXTURES / "good" / "split"
    first = load_policy(source, today=TODAY).version
    copy = tmp_path / "elsewhere"
    shutil.copytree(source, copy)
    for path in copy.rglob("*.yaml"):
        os.utime(path, (1_000_000, 1_000_000))
    assert load_policy(copy, today=TODAY).version == first
    (copy / "tests" / "cases.yaml").write_text("tests: []\n")  # tests are not the policy
    assert load_policy(copy, today=TODAY).version == first
    with (copy / "people.yaml").open("a") as handle:
        handle.write("# a comment is a change\n")
    assert load_policy(copy, today=TODAY).version != first


# ------------------------------------------------------------ whole-directory problems


def test_missing_directory(tmp_path):
    (line,) = problems(tmp_path / "nope")
    assert "no policy directory" in line


def test_a_file_instead_of_a_directory(tmp_path):
    (tmp_path / "policy.yaml").write_text("users: {}\n")
    with pytest.raises(PolicyError, match="is not a directory"):
        load_policy(tmp_path / "policy.yaml")


def test_empty_directory(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "t.yaml").write_text("tests: []\n")
    with pytest.raises(PolicyError, match=r"no policy files \(\*\.yaml\)"):
        load_policy(tmp_path)


def test_empty_and_comment_only_files_are_fine(tmp_path):
    write(tmp_path, {"a.yaml": "", "b.yaml": "# nothing yet\n", "c.yaml": "users: {dana: {}}\n"})
    assert set(load_policy(tmp_path).users) == {"dana"}


def test_null_sections_are_empty(tmp_path):
    write(tmp_path, {"a.yaml": "users:\nrules:\ntopics:\n"})
    policy = load_policy(tmp_path)
    assert policy.users == {} and policy.rules == ()


def test_every_problem_of_every_file_at_once(tmp_path):
    write(
        tmp_path,
        {
            "a.yaml": "users: {dana: {nmae: D}}\n",
            "b.yaml": "groups:\n  g: {members: [ghost]}\n",
            "c.yaml": "rules: [\n",
        },
    )
    found = problems(tmp_path)
    assert found[0] == "a.yaml:1:16: unknown key 'nmae' in user 'dana' (did you mean 'name'?)"
    assert found[1].startswith("c.yaml:2:1: invalid YAML")
    # c.yaml could not be read, so whether `ghost` exists is unknown: not reported
    assert len(found) == 2


def test_errors_locate_with_the_directory_as_given(tmp_path, monkeypatch):
    write(
        tmp_path / "policies",
        {"rules.yaml": "rules:\n  - id: r\n    allow: [user:x]\n    channels: ['*']\n"},
    )
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PolicyError) as caught:
        load_policy("policies")
    assert str(caught.value.problems[0]).startswith("policies/rules.yaml:3:13: unknown user 'x'")


# ------------------------------------------------------------ hostile files


def test_oversized_file(tmp_path):
    write(tmp_path, {"big.yaml": b"# " + b"x" * MAX_FILE_BYTES + b"\n"})
    (line,) = problems(tmp_path)
    assert line.startswith("big.yaml:1:1: file is too large")


def test_non_utf8_bytes(tmp_path):
    write(tmp_path, {"p.yaml": b"users:\n  dana: {name: \xff}\n"})
    assert problems(tmp_path) == ["p.yaml:2:16: not UTF-8: byte 0xff cannot be decoded"]


def test_utf8_bom_and_unicode_are_fine(tmp_path):
    write(tmp_path, {"p.yaml": "\ufeffusers:\n  dana: {name: Dána Díaz}\n".encode()})
    assert load_policy(tmp_path).users["dana"].name == "Dána Díaz"


def test_billion_laughs_is_refused_quickly(tmp_path):
    started = time.perf_counter()
    found = problems(FIXTURES / "bad" / "alias-bomb")
    assert "alias bomb" in found[0]
    # a guard against expanding the bomb, not a speed target: expansion would take minutes
    assert time.perf_counter() - started < 10


def test_python_tags_are_refused(tmp_path):
    marker = tmp_path / "pwned"
    write(tmp_path, {"p.yaml": f"users: !!python/object/apply:os.system ['touch {marker}']\n"})
    (line,) = problems(tmp_path)
    assert "unsupported tag !!python/object/apply:os.system" in line
    assert not marker.exists()


@pytest.mark.parametrize("opener", ["[", "- ", "{a: "])
def test_deep_nesting_is_refused_not_crashing(tmp_path, opener):
    depth = 100_000
    closer = {"[": "]", "- ": "", "{a: ": "}"}[opener]
    write(tmp_path, {"p.yaml": "x-deep: " + opener * depth + "1" + closer * depth + "\n"})
    (line,) = problems(tmp_path)
    assert "nested more than" in line or "invalid YAML" in line


def test_many_nodes_are_refused(tmp_path):
    write(tmp_path, {"p.yaml": "x-many: [" + "1," * (MAX_NODES + 10) + "1]\n"})
    (line,) = problems(tmp_path)
    assert "too many nodes" in line


def test_duplicate_keys_in_one_mapping(tmp_path):
    write(tmp_path, {"p.yaml": "users:\n  dana: {}\ngroups: {}\nusers:\n  eli: {}\n"})
    assert problems(tmp_path) == ["p.yaml:4:1: duplicate key 'users' (first at line 1, column 1)"]


def test_non_mapping_file(tmp_path):
    write(tmp_path, {"p.yaml": "just text\n"})
    (line,) = problems(tmp_path)
    assert line.startswith("p.yaml:1:1: a policy file must be a mapping of sections")


def test_unreadable_file_is_a_problem(tmp_path):
    write(tmp_path, {"ok.yaml": "users: {}\n"})
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "missing-target")
    (line,) = problems(tmp_path)
    assert line.startswith("dangling.yaml:1:1: cannot read the file")


# ------------------------------------------------------------ yamlpos


def test_read_yaml_positions_of_values_and_keys():
    doc = read_yaml(b"a:\n  b: [x, {c: 1}]\n  'd': >\n    folded\n")
    assert doc.data == {"a": {"b": ["x", {"c": 1}], "d": "folded\n"}}
    assert doc.positions.value(("a", "b", 1, "c")) == (2, 14)
    assert doc.positions.key(("a", "b", 1, "c")) == (2, 11)
    assert doc.positions.key(("a", "d")) == (3, 3)
    assert doc.positions.value(("a", "b", 0)) == (2, 7)
    # a path that does not exist falls back to the nearest ancestor
    assert doc.positions.value(("a", "b", 7, "zz")) == (2, 6)


def test_read_yaml_keeps_dates_as_text_and_keys_as_written():
    doc = read_yaml(b"1: 2026-05-04\nyes: no\nnull: ~\n")
    assert doc.data == {"1": "2026-05-04", "yes": False, "null": None}


def test_read_yaml_multiple_documents():
    with pytest.raises(YamlProblem) as caught:
        read_yaml(b"a: 1\n---\nb: 2\n")
    assert (caught.value.line, caught.value.col) == (2, 1)


def test_read_yaml_undefined_alias():
    with pytest.raises(YamlProblem, match=r"alias \*nope"):
        read_yaml(b"a: *nope\n")


# ------------------------------------------------------------ plugins and warnings


def test_expired_waiver_is_a_warning_not_an_error(tmp_path):
    write(
        tmp_path,
        {
            "p.yaml": """\
            users: {dana: {}}
            channels: {twitter/x: {}}
            rules:
              - {id: r, allow: [user:dana], channels: [twitter/x]}
            waivers:
              - {id: w, principals: [user:dana], rules: [r], reason: pilot, expires: 2026-05-03}
            """
        },
    )
    assert load_policy(tmp_path, today=date(2026, 5, 3)).warnings == ()
    policy = load_policy(tmp_path, today=date(2026, 5, 4))
    assert tuple(map(str, policy.warnings)) == (
        f"{tmp_path}/p.yaml:6:74: waiver 'w' expired on 2026-05-03",
    )
    assert policy.waivers[0].expires == date(2026, 5, 3)


def test_plugin_option_defaults_are_filled_in(tmp_path):
    import pluggy

    from engine.hookspecs import CheckSpec, Finding, hookimpl
    from engine.plugins import get_plugin_manager

    class Plugin:
        @hookimpl
        def register_checks(self):
            schema = {"level": {"type": "integer", "default": 3}, "name": {"type": "string"}}
            return [CheckSpec("shout", lambda options: lambda given: [Finding("x")], schema)]

    pm: pluggy.PluginManager = get_plugin_manager(load_entrypoints=False)
    pm.register(Plugin())
    write(tmp_path, {"p.yaml": "checks:\n  - {use: shout, name: loud, action: warn}\n"})
    (check,) = load_policy(tmp_path, pm).checks
    assert dict(check.options) == {"name": "loud", "level": 3}


def test_a_plugin_that_raises_is_reported_not_crashing(tmp_path):
    from engine.hookspecs import DirectorySpec, hookimpl
    from engine.plugins import get_plugin_manager

    class Broken:
        @hookimpl
        def register_directory_sources(self):
            def build(options, policy_dir):
                raise RuntimeError("LDAP is down")

            return [DirectorySpec("ldap", build)]

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(Broken())
    write(tmp_path, {"p.yaml": "directory:\n  - {use: ldap}\n"})
    assert problems(tmp_path, pm=pm) == ["p.yaml:2:5: directory source 'ldap' failed: LDAP is down"]


def test_directory_without_files_still_changes_the_version(tmp_path):
    from engine.hookspecs import DirectorySpec, hookimpl
    from engine.plugins import get_plugin_manager

    people = {"users": {"ana": {"name": "Ana"}}, "groups": {"g": {"members": ["ana"]}}}

    class Static:
        @hookimpl
        def register_directory_sources(self):
            return [DirectorySpec("static", lambda options, policy_dir: people)]

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(Static())
    write(tmp_path, {"p.yaml": "directory:\n  - {use: static}\n"})
    first = load_policy(tmp_path, pm)
    assert first.users["ana"].name == "Ana" and first.groups["g"].members == ("ana",)
    people["users"]["bo"] = {}
    assert load_policy(tmp_path, pm).version != first.version


def test_outbox_publisher_is_accepted_with_options(tmp_path):
    write(
        tmp_path,
        {"p.yaml": "channels:\n  x/y: {publisher: outbox, publisher_options: {path: out.jsonl}}\n"},
    )
    channel = load_policy(tmp_path).channels["x/y"]
    assert channel.publisher == "outbox" and dict(channel.publisher_options) == {
        "path": "out.jsonl"
    }


def test_unknown_publisher_option_is_reported_at_its_line(tmp_path):
    write(
        tmp_path,
        {"p.yaml": "channels:\n  x/y: {publisher: outbox, publisher_options: {dir: out}}\n"},
    )
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path)
    assert "p.yaml:2:" in str(info.value) and "unknown option 'dir'" in str(info.value)


# ------------------------------------------------------------ speed


def generated_policy(
    folder: Path, users=2000, groups=100, channels=60, rules=320, topics=300, keywords=5000
):
    """A large policy over a few files, like a real organisation's."""
    import random

    import yaml

    rng = random.Random(3)
    user_ids = [f"u{i:04d}" for i in range(users)]
    group_ids = [f"g{i:03d}" for i in range(groups)]
    channel_ids = [
        f"{('twitter', 'facebook', 'linkedin')[i % 3]}/acct{i:02d}" for i in range(channels)
    ]
    people = {
        "users": {u: {"name": f"User {u}", "email": f"{u}@cu.example"} for u in user_ids},
        "groups": {
            g: {"members": rng.sample(user_ids, 20), "includes": group_ids[i + 1 : i + 2]}
            for i, g in enumerate(group_ids)
        },
    }
    rule_list = [
        {
            "id": f"r{i}",
            ("deny" if i % 8 == 7 else "allow"): [
                f"group:{rng.choice(group_ids)}",
                f"user:{rng.choice(user_ids)}",
            ],
            "channels": rng.sample(channel_ids, 3) + ["twitter/*"],
            "kinds": ["post"],
        }
        for i in range(rules)
    ]
    per_topic = keywords // topics + 1
    words = [f"kw{i}" + (" phrase" if i % 4 == 0 else "") for i in range(keywords)]
    topic_map = {
        f"t{i}": {
            "keywords": words[i * per_topic : (i + 1) * per_topic],
            "requires": {"signoff": [f"group:{rng.choice(group_ids)}"], "approvals": 1},
            "escalation": "chain",
        }
        for i in range(topics)
    }
    rest = {
        "channels": {c: {"max_length": 280} for c in channel_ids},
        "rules": rule_list,
        "escalations": {
            "chain": [{"after": "2h", "to": ["group:g000"]}, {"after": "1d", "to": ["user:u0000"]}]
        },
        "checks": [{"use": "max-length"}, {"use": "links", "allow_domains": ["cu.example"]}],
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, doc in (
        ("people.yaml", people),
        ("rules.yaml", rest),
        ("topics.yaml", {"topics": topic_map}),
    ):
        (folder / name).write_text(
            yaml.safe_dump({"version": 1, **doc}, sort_keys=False), encoding="utf-8"
        )
    return folder


def test_a_large_policy_loads_whole(tmp_path):
    """The benchmark-sized policy (timings live in bench/decide.py) loads completely."""
    folder = generated_policy(tmp_path / "big")
    policy = load_policy(folder)
    assert (
        len(policy.users) == 2000 and sum(len(t.keywords) for t in policy.topics.values()) == 5000
    )
