"""engine.yamlpos read fast (values and shallow positions, the rest on demand) gives the
same values, positions and problems as reading every position at once."""

from __future__ import annotations

import math
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import PolicyError
from engine.loader import load_policy
from engine.yamlpos import Positions, YamlProblem, read_yaml
from tests.profiles import examples

VARIED = """\
# a policy written every way YAML allows
version: 1
users:
  dana: {name: Dana Ünal, email: dana@cu.example}
  "eli":
    name: 'Eli'
    attrs: {desk: 3, remote: yes, badge: ~, since: 2026-05-01}
  ü-ser:
  fran: {}
groups:
  support:
    members: [dana, eli]
    includes:
      - leads
  leads: {members: [fran]}
rules:
  - id: r1
    allow: ["group:support"]
    channels: ['twitter/*']
  - {id: r2, deny: [user:eli], channels: [facebook/nmtw]}
  - - nested
    - [deep, {x: 1, "y z": [2, 3.5, -.inf, 0x1F, 0o17, 1_000]}]
  -
  - plain
  - id: 日本語
topics:
  closure:
    message: |
      Multi-line
        text
    keywords: [close your account, "APR", '']
    requires:
      signoff:
      - group:leads
      approvals: 1
empty: []
also: {}
text: >-
  folded
  text
"tab\\tkey": null
? complex key
: value
"""

SPECIAL = """\
base: &base {name: Base, email: b@cu.example}
users:
  dana:
    <<: *base
    name: Dana
  eli: *base
  dana: {}
"""


def all_paths(doc: Any) -> list[tuple]:
    """Every path the complete tables know, and paths below them that do not exist."""
    found = {
        path
        for path in (*doc.positions.values, *doc.positions.keys)
        if all(isinstance(part, str | int) for part in path)  # not a dropped duplicate's
    }
    extra = (
        {p + ("nope",) for p in found} | {p + (99,) for p in found} | {p + (0, "x") for p in found}
    )
    return sorted(found | extra | {("nope",), (0,), ("rules", 99, "id")}, key=repr)


def same_positions(data: bytes) -> None:
    eager = read_yaml(data, all_positions=True)
    assert eager.positions.complete
    assert read_yaml(data).data == eager.data
    for path in all_paths(eager):
        lazy = read_yaml(data)  # a fresh one: its shallow tables answer before any re-read
        assert lazy.positions.value(path) == eager.positions.value(path), path
        lazy = read_yaml(data)
        assert lazy.positions.key(path) == eager.positions.key(path), path


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_lazy_positions_equal_eager_ones_everywhere(newline):
    data = VARIED.replace("\n", newline).encode()
    doc = read_yaml(data)
    assert not doc.positions.complete  # read the fast way
    same_positions(data)


def test_shallow_positions_need_no_second_reading():
    doc = read_yaml(VARIED.encode())
    assert doc.positions.key(("users", "eli")) == (5, 3)
    assert doc.positions.value(("rules", 1)) == (20, 5)
    assert doc.positions.value(("rules", 5, "id")) == (25, 9)
    assert doc.positions.value(("version",)) == (2, 10)
    assert not doc.positions.complete
    assert doc.positions.value(("users", "eli", "attrs", "remote")) == (7, 30)
    assert doc.positions.complete


def test_the_places_of_all_keys_of_a_section_at_once():
    doc = read_yaml(VARIED.encode())
    eager = read_yaml(VARIED.encode(), all_positions=True)
    for section in ("users", "groups", "topics", ""):
        places = doc.positions.key_places((section,), lambda line, col: (line, col))
        block = eager.data.get(section)
        expected = {k: eager.positions.key((section, k)) for k in block} if block else None
        assert places == expected, section
    assert doc.positions.key_places((), lambda line, col: line)["users"] == 3
    assert doc.positions.key_places(("users", "eli"), lambda line, col: line) is None  # deep
    assert eager.positions.key_places(("users",), lambda line, col: line) is None  # complete
    assert not doc.positions.complete


def test_anchors_merges_and_duplicates_are_read_the_full_way():
    doc = read_yaml(SPECIAL.encode())
    assert doc.positions.complete
    assert doc.data["users"]["dana"] == {"name": "Dana", "email": "b@cu.example"}
    (dup,) = doc.problems
    assert (dup.message, dup.line, dup.col) == (
        "duplicate key 'dana' (first at line 3, column 3)",
        7,
        3,
    )
    same_positions(SPECIAL.encode())


SCALARS = [
    "yes", "No", "on", "OFF", "true", "~", "null", "", "0x1F", "0o17", "017", "1_000",
    "1e3", "1.5", ".inf", "-.Inf", ".nan", "2026-05-01", "2026-05-01 10:00:00", "'yes'",
    '"1"', "=", "<<", "!!str 1", "!!int x", "!!bool maybe", "!!python/object:os.system x",
    "&a x", "*a", "|\n  block", "Tom", "nobody", "1:20", "+12", "-", "- x", "{a: 1}",
    "[1, {b: [c]}]", "? x", "@bad", "`bad", "a: b: c", "\t", "\x85", "\u2028x",
]  # fmt: skip


def outcome(data: bytes, **how: Any) -> Any:
    try:
        doc = read_yaml(data, **how)
    except YamlProblem as err:
        return ("problem", err.message, err.line, err.col)
    problems = [(p.message, p.line, p.col) for p in doc.problems]
    return ("read", repr(doc.data), problems)


@pytest.mark.parametrize("scalar", SCALARS)
def test_each_scalar_reads_the_same_either_way(scalar):
    deep = (f"a:\n  b: {{c: [x, {scalar}, y]}}\n", f"a:\n  b:\n    c: {{x: {scalar}, y: z}}\n")
    keyed = (f"a:\n  b:\n    c: {{{scalar}: x, y: z}}\n", f"a: {{b: {{c: {{{scalar}: [x]}}}}}}\n")
    for text in (f"k: {scalar}\n", f"- {scalar}\n", f"{scalar}\n", *deep, *keyed):
        data = text.encode()
        assert outcome(data) == outcome(data, all_positions=True), text


def test_the_values_the_fast_way_resolves():
    doc = read_yaml(b"[yes, no, ~, '', 0x1F, 1_000, 1.5, .nan, 2026-05-01, Tom, nobody, '1']")
    assert doc.data[:8] == [True, False, None, "", 31, 1000, 1.5, doc.data[7]]
    assert math.isnan(doc.data[7])
    assert doc.data[8:] == ["2026-05-01", "Tom", "nobody", "1"]
    assert not doc.positions.complete


def test_limits_are_still_refused_at_their_place():
    deep = ("[" * 70 + "]" * 70).encode()
    assert outcome(deep)[0:1] == ("problem",)
    assert outcome(deep) == outcome(deep, all_positions=True)
    wide = ("[" + ", ".join(["x"] * 200_001) + "]").encode()
    assert outcome(wide)[1].startswith("too many nodes")
    assert outcome(wide) == outcome(wide, all_positions=True)
    two = b"a: 1\n---\nb: 2\n"
    assert outcome(two) == outcome(two, all_positions=True)
    broken = b"a: [1, 2\nb: {\n"
    assert outcome(broken)[0] == "problem"
    assert outcome(broken) == outcome(broken, all_positions=True)


KEY = st.text(string.ascii_letters + "üé日 -_.:#'\"", min_size=1, max_size=8)
LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, width=32),
    st.text(string.printable + "üé日\u2028", max_size=12),
)
TREE = st.recursive(
    LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEY, inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=examples(300), deadline=None)
@given(
    tree=st.dictionaries(KEY, TREE, max_size=5),
    flow=st.sampled_from([None, True, False]),
    width=st.sampled_from([20, 80, 1000]),
)
def test_any_document_reads_the_same_either_way(tree, flow, width):
    text = yaml.safe_dump(tree, default_flow_style=flow, width=width, allow_unicode=True)
    data = text.encode()
    assert outcome(data) == outcome(data, all_positions=True)
    if outcome(data)[0] == "read":
        same_positions(data)


def big_directory(tmp_path: Path, users: int = 30_000) -> tuple[Path, int, int]:
    """A policy with `users` users in one file and a team whose last member is unknown;
    the line and column of that member."""
    lines = ["users:"] + [
        f"  u{i:06d}: {{name: User {i}, email: u{i}@cu.example}}" for i in range(users)
    ]
    (tmp_path / "users.yaml").write_text("\n".join(lines) + "\n")
    members = ", ".join(f"u{i:06d}" for i in range(0, users, 7))
    text = f"groups:\n  team:\n    description: many\n    members: [{members}, u999999]\n"
    (tmp_path / "teams.yaml").write_text(text)
    return tmp_path, 4, len(f"    members: [{members}, ") + 1


def test_a_problem_deep_in_a_big_file_is_at_its_exact_place(tmp_path):
    policy_dir, line, col = big_directory(tmp_path)
    with pytest.raises(PolicyError) as caught:
        load_policy(policy_dir)
    shown = [str(p) for p in caught.value.problems]
    where = f"{policy_dir / 'teams.yaml'}:{line}:{col}: unknown user 'u999999'"
    assert any(s.startswith(where) for s in shown), shown


def test_every_user_of_a_big_file_is_at_its_key(tmp_path):
    policy_dir, _, _ = big_directory(tmp_path, users=3_000)
    (policy_dir / "teams.yaml").write_text("groups: {team: {members: [u000000]}}\n")
    policy = load_policy(policy_dir)
    name = str(policy_dir / "users.yaml")
    assert [(u.loc.file, u.loc.line, u.loc.col) for u in policy.users.values()] == [
        (name, i + 2, 3) for i in range(3_000)
    ]


def test_the_shallow_tables_stand_in_when_the_file_cannot_be_read_again():
    packed = {(): 1 << 24 | 1, ("users",): 2 << 24 | 3}
    positions = Positions.shallow(b"\xff", packed, {(): {"users": 1 << 24 | 1}})
    assert positions.value(("users", "dana", "name")) == (2, 3)  # completed: as near as known
    assert positions.complete
    assert positions.key(("users",)) == (1, 1)
    assert positions.key(("users", "dana")) == (2, 3)
