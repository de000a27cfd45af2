"""Large organisations: what makes a big directory cheap must not change any answer.

Principals computed per user on first use (by scanning groups, then by an index),
the cache's column form of users, and the JSON Schema fast path for plainly valid
users and groups each give exactly what the plain way gives.
"""

from __future__ import annotations

import dataclasses
import gc
import pickle
import threading
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from engine import gcpause, membership, plainentries
from engine.compiler import compile_policy
from engine.loader import load_policy
from engine.model import Group, Loc, Policy, User
from engine.permissions import group_members
from engine.policycache import load_policy_cached
from engine.policypack import pack, unpack
from engine.schema import schema_problems

TODAY = date(2026, 12, 1)


def directory_policy(tmp_path: Path, users: int = 300) -> Path:
    """`users` people from a CSV in 30 teams (some in two), teams nested in departments."""
    rows = ["id,name,email,groups"]
    for i in range(users):
        teams = f"team{i % 30}" + (f";team{(i * 7) % 30}" if i % 4 == 0 else "")
        rows.append(f"u{i},User {i},u{i}@cu.example,{teams}")
    (tmp_path / "people.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "policy.yaml").write_text(
        "directory: [{use: csv, path: people.csv}]\n"
        "users: {boss: {name: Boss}}\n"
        "groups:\n"
        "  north: {includes: [team1, team2], members: [boss]}\n"
        "  all: {includes: [north, team3]}\n"
        "channels: {twitter/a: {platform: twitter}}\n"
        "rules:\n"
        "  - {id: north, allow: [group:north], channels: ['*']}\n"
        "  - {id: no3, deny: [group:team3], channels: ['*']}\n"
    )
    return tmp_path


def eager_principals(policy: Policy) -> dict[str, frozenset[str]]:
    """Every user's principals computed up front, the plain way."""
    members = group_members(policy)
    return {
        u: frozenset({"*", f"user:{u}", *(f"group:{g}" for g, us in members.items() if u in us)})
        for u in policy.users
    }


@pytest.mark.parametrize("scan_limit", [10_000, 0, 5])
def test_principals_on_first_use_are_the_plain_ones(tmp_path, monkeypatch, scan_limit):
    # 10,000: every user found by scanning groups; 0: by the index; 5: both in one run
    monkeypatch.setattr(membership, "SCAN_LIMIT", scan_limit)
    policy = load_policy(directory_policy(tmp_path), today=TODAY)
    engine = compile_policy(policy)
    expected = eager_principals(policy)
    for user in policy.users:
        assert engine.principals_of(user) == expected[user]
        groups = {p[6:] for p in expected[user] if p.startswith("group:")}
        assert engine.groups_of(user) == groups
        assert engine.is_member(user, f"user:{user}")
    assert "group:all" in engine.principals_of("u1") and "group:north" in engine.principals_of(
        "boss"
    )
    assert engine.principals_of("nobody") == frozenset() == engine.groups_of("nobody")
    assert not engine.covers("nobody", ["*"])
    assert engine.members("*") == frozenset(policy.users)


def test_users_in_the_same_groups_share_one_group_set(tmp_path):
    engine = compile_policy(load_policy(directory_policy(tmp_path), today=TODAY))
    assert engine.groups_of("u5") is engine.groups_of("u35")  # both only in team5


def test_decisions_on_a_directory_follow_the_rules(tmp_path):
    engine = compile_policy(load_policy(directory_policy(tmp_path), today=TODAY))
    assert engine.may_post("u1", "twitter/a")[0]  # team1, in north
    assert not engine.may_post("u3", "twitter/a")[0]  # team3: denied
    assert not engine.may_post("u4", "twitter/a")[0]  # team4 and team28: no allow rule
    assert engine.may_post("boss", "twitter/a")[0]
    assert not engine.may_post("nobody", "twitter/a")[0]


def test_the_cache_gives_back_the_same_policy(tmp_path, monkeypatch):
    monkeypatch.setenv("SAYSO_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "p").mkdir()
    folder = directory_policy(tmp_path / "p")
    fresh = load_policy(folder, today=TODAY)
    cold = load_policy_cached(folder, today=TODAY)
    warm = load_policy_cached(folder, today=TODAY)
    assert warm == cold == fresh
    assert [u.loc for u in warm.users.values()] == [u.loc for u in fresh.users.values()]
    assert warm.users["boss"].loc.line == 2  # a YAML user keeps its own place


def test_packed_users_round_trip_through_pickle():
    here, there = Loc("a.yaml", 3, 5), Loc("people.csv", 1, 1)
    users = {
        "dana": User("dana", "Dana", "d@x", (("title", "lead"),), here),
        "eli": User("eli", loc=there),
        "fran": User("fran", "Fran", loc=there),
    }
    policy = Policy("v", users=users, groups={"g": Group("g", ("dana",))})
    back = unpack(*pickle.loads(pickle.dumps(pack(policy))))
    assert back == policy and list(back.users) == list(users)
    assert back.users["dana"].attrs == (("title", "lead"),)
    odd = replace(policy, users={"alias": users["dana"]})  # filed under another id
    assert pack(odd) == (odd, None) and unpack(*pack(odd)) == odd


def test_packed_columns_keep_any_text_and_shared_places():
    there = Loc("people.csv", 1, 1)
    users = {
        "a": User("a", "A\x00B", "a@x", (), there),  # a NUL: that column stays a list
        "b": User("b", "", "", (), there),
        "c": User("c", "C", "c@x", (), Loc("c.yaml", 7, 3)),
        "d": User("d", "D", "d@x", (), there),
    }
    policy = Policy("v", users=users)
    packed, columns = pack(policy)
    ids, names, emails, _, rows, (files, lines, cols) = columns
    assert ids == "a\x00b\x00c\x00d" and emails == "a@x\x00\x00c@x\x00d@x"
    assert names == ["A\x00B", "", "C", "D"]
    assert rows == [0, 0, 1, 2] and files == ["people.csv", "c.yaml", "people.csv"]
    back = unpack(*pickle.loads(pickle.dumps((packed, columns))))
    assert back == policy and list(back.users) == list(users)
    assert back.users["a"].loc is back.users["b"].loc  # one place, as before
    assert hash(back.users["c"]) == hash(users["c"]) and hash(back.users["c"].loc) == hash(
        users["c"].loc
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        back.users["c"].name = "changed"  # type: ignore[misc]
    short = (*columns[:4], rows[:-1], columns[5])  # a damaged entry: refused, not half-read
    with pytest.raises(ValueError):
        unpack(packed, short)
    empty = Policy("v", users={"e": User("e")})
    assert unpack(*pickle.loads(pickle.dumps(pack(empty)))) == empty


def schema_messages(data: dict, monkeypatch, fast: bool) -> list[tuple]:
    """(path, message) of each problem, in order (the loader shows them sorted by place)."""
    monkeypatch.setattr(plainentries, "MIN_ENTRIES", 0 if fast else 10**9)
    return sorted((repr(p.path), p.message) for p in schema_problems(data))


def test_plain_users_and_groups_skip_the_schema_but_problems_are_the_same(monkeypatch):
    users = {f"u{i}": {"name": f"U {i}", "email": f"u{i}@x"} for i in range(60)}
    users.update(
        {
            "bad key!": {"name": "x"},
            "typo": {"nmae": "x"},
            "number": {"name": 5},
            "listy": ["x"],
            "empty": None,
            "attrs": {"attrs": {"a": 1}, "description": "d"},
            "badattrs": {"attrs": [1]},
            "x" * 201: {},
            "trailing\n": {},
        }
    )
    groups = {f"g{i}": {"members": ["u1", "u2"], "includes": []} for i in range(60)}
    groups.update(
        {
            "badmember": {"members": ["u1", "not valid"]},
            "notalist": {"members": "u1"},
            "extra": {"members": [], "owner": "u1"},
            "numbers": {"includes": [3]},
        }
    )
    data = {"version": 1, "users": users, "groups": groups}
    fast = schema_messages(data, monkeypatch, fast=True)
    assert fast == schema_messages(data, monkeypatch, fast=False)
    assert len(fast) >= 9
    valid = {repr(("users", f"u{i}")) for i in range(60)} | {
        repr(("groups", f"g{i}")) for i in range(60)
    }
    assert not any(path.startswith(tuple(v[:-1] for v in valid)) for path, _ in fast)


@pytest.mark.parametrize("joined", [True, False], ids=["ids-joined", "id-by-id"])
def test_plain_ids_with_odd_values_still_report_the_same(monkeypatch, request, joined):
    # every id plainly valid: only the values are looked at, each as before
    if not joined:  # as for an id pattern the module does not know
        monkeypatch.setattr(plainentries, "_ID_PATTERN", "^other$")
    plainentries._id_rule.cache_clear()
    request.addfinalizer(plainentries._id_rule.cache_clear)
    users = {f"u{i}": {"name": f"U {i}", "email": f"u{i}@x"} for i in range(60)}
    users.update({"typo": {"nmae": "x"}, "number": {"name": 5}, "listy": ["x"], "nil": None})
    groups = {f"g{i}": {"members": ["u1", "u2"]} for i in range(60)}
    groups.update(
        {
            "badmember": {"members": ["u1", "not valid"]},
            "long": {"members": ["x" * 201]},
            "numbers": {"includes": [3, None]},
            "nested": {"members": [["u1"]]},
            "newline": {"members": ["u1\nu2", "u3\n"]},
        }
    )
    data = {"version": 1, "users": users, "groups": groups}
    fast = schema_messages(data, monkeypatch, fast=True)
    assert fast == schema_messages(data, monkeypatch, fast=False)
    assert {path for path, _ in fast} >= {
        repr(("users", "typo", "nmae")),
        repr(("users", "number", "name")),
        repr(("groups", "long", "members", 0)),
        repr(("groups", "nested", "members", 0)),
        repr(("groups", "newline", "members", 0)),
    }


def test_the_fast_path_knows_the_schema_it_stands_for():
    # if the schema of a user, a group or an id gains a constraint, the fast path in
    # engine.plainentries must learn it too: this test then fails on purpose
    from engine.schema import policy_schema

    defs = policy_schema()["$defs"]
    assert set(defs["id"]) == {"type", "pattern", "maxLength", "description"}
    user, group = defs["user"], defs["group"]
    assert set(user) == set(group) == {"type", "description", "additionalProperties", "properties"}
    assert user["additionalProperties"] is False and group["additionalProperties"] is False
    assert {k: v["type"] for k, v in user["properties"].items()} == {
        "name": "string",
        "email": "string",
        "attrs": "object",
        "description": "string",
    }
    assert all(set(v) == {"type", "description"} for v in user["properties"].values())
    assert {k: v["type"] for k, v in group["properties"].items()} == {
        "members": "array",
        "includes": "array",
        "description": "string",
    }
    for key in ("members", "includes"):
        assert group["properties"][key]["items"] == {"$ref": "#/$defs/id"}
    schema = policy_schema()["properties"]
    for section, ref in (("users", "user"), ("groups", "group")):
        assert schema[section]["propertyNames"] == {"$ref": "#/$defs/id"}
        assert schema[section]["additionalProperties"] == {"$ref": f"#/$defs/{ref}"}


def test_loading_leaves_the_garbage_collector_as_it_was(tmp_path):
    folder = directory_policy(tmp_path, users=20)
    assert gc.isenabled()
    compile_policy(load_policy(folder, today=TODAY))
    assert gc.isenabled()
    gc.disable()
    try:
        compile_policy(load_policy(folder, today=TODAY))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_loads_leave_the_garbage_collector_on(monkeypatch):
    """Two threads pausing the collector at once: the second begins while the first is
    inside and the first ends while the second is beginning (the moment it would read
    the collector as off, then switch it off after the first switched it back on)."""
    first_in, second_beginning, first_out = (threading.Event() for _ in range(3))

    def isenabled():
        state = gc.isenabled()
        if threading.current_thread().name == "second":
            second_beginning.set()
            first_out.wait(5)
        return state

    fake = SimpleNamespace(isenabled=isenabled, disable=gc.disable, enable=gc.enable)
    monkeypatch.setattr(gcpause, "gc", fake)

    def first():
        with gcpause.paused_gc():
            first_in.set()
            second_beginning.wait(5)
        first_out.set()

    def second():
        first_in.wait(5)
        with gcpause.paused_gc():
            second_beginning.set()
            first_out.wait(5)

    assert gc.isenabled()
    threads = [threading.Thread(target=first), threading.Thread(target=second, name="second")]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert gc.isenabled()
    finally:
        gc.enable()
