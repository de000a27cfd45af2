"""Fuzzing the loader: whatever the bytes, load_policy returns a Policy or raises PolicyError."""

from __future__ import annotations

import copy
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import PolicyError
from engine.loader import load_policy
from engine.model import Policy
from tests.profiles import examples

FUZZ = settings(
    max_examples=examples(200),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

BASE = {
    "version": 1,
    "users": {"dana": {"name": "Dana", "email": "dana@cu.example"}, "eli": {}, "fran": {}},
    "groups": {
        "support": {"members": ["dana", "eli"], "includes": ["leads"]},
        "leads": {"members": ["fran"]},
    },
    "channels": {"twitter/help": {"platform": "twitter", "max_length": 280}, "facebook/nmtw": {}},
    "rules": [
        {
            "id": "support",
            "allow": ["group:support"],
            "channels": ["twitter/*"],
            "kinds": ["reply"],
        },
        {"id": "no-fb", "deny": ["user:eli"], "channels": ["facebook/nmtw"]},
    ],
    "topics": {
        "closure": {
            "keywords": ["close your account"],
            "patterns": [r"\bacct\d{6}\b"],
            "requires": {"signoff": ["group:leads"], "approvals": 1},
            "escalation": "chain",
        },
        "rates": {"keywords": ["APR"], "action": "deny", "except": ["user:fran"]},
    },
    "escalations": {
        "chain": [{"after": "2h", "to": ["group:leads"]}, {"after": "1d", "to": ["user:dana"]}]
    },
    "checks": [{"use": "max-length"}, {"use": "links", "allow_domains": ["cu.example"]}],
    "roles": {"auditors": ["group:leads"], "admins": ["user:fran"]},
    "waivers": [
        {
            "id": "w",
            "principals": ["user:eli"],
            "rules": ["no-fb"],
            "reason": "trial",
            "expires": "2030-01-01",
        }
    ],
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["user:dana", "group:support", "*", "twitter/*", "2h", "2030-01-01", "deny", "use"]
    ),
)
keys = st.one_of(
    st.text(max_size=10),
    st.sampled_from(
        ["users", "groups", "rules", "topics", "checks", "id", "use", "allow", "keywords"]
    ),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=30,
)


def typo(word: str, data: st.DataObject) -> str:
    if not word:
        return "x"
    i = data.draw(st.integers(0, len(word) - 1))
    how = data.draw(st.sampled_from(["drop", "swap", "add", "case"]))
    if how == "drop":
        return word[:i] + word[i + 1 :]
    if how == "swap" and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if how == "case":
        return word[:i] + word[i].swapcase() + word[i + 1 :]
    return word[:i] + data.draw(st.sampled_from(string.ascii_lowercase)) + word[i:]


def mutate(node, data: st.DataObject, depth: int = 0):
    """Walk to a random node and change it: typo a key, replace or drop a value."""
    if isinstance(node, dict) and node:
        key = data.draw(st.sampled_from(sorted(node, key=str)))
        choice = data.draw(st.integers(0, 3)) if depth < 6 else 0
        if choice == 0:
            node[typo(str(key), data)] = node.pop(key)
        elif choice == 1:
            node[key] = data.draw(documents)
        elif choice == 2:
            del node[key]
        else:
            mutate(node[key], data, depth + 1)
    elif isinstance(node, list) and node:
        i = data.draw(st.integers(0, len(node) - 1))
        choice = data.draw(st.integers(0, 2))
        if choice == 0:
            node[i] = data.draw(documents)
        elif choice == 1:
            node.append(copy.deepcopy(node[i]))
        else:
            mutate(node[i], data, depth + 1)


def load(tmp_path: Path, name: str, data: bytes):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "policy.yaml").write_bytes(data)
    try:
        result = load_policy(folder)
    except PolicyError as err:
        assert err.problems, "a PolicyError must carry problems"
        for problem in err.problems:
            assert "internal error" not in problem.message, problem
            assert problem.loc.line >= 1 and problem.loc.col >= 1, problem
        return err
    assert isinstance(result, Policy)
    return result


_counter = iter(range(10**9))


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes(tmp_path, data):
    load(tmp_path, f"b{next(_counter)}", data)


@FUZZ
@given(doc=documents)
def test_random_documents(tmp_path, doc):
    text = yaml.safe_dump(doc, allow_unicode=True)
    load(tmp_path, f"d{next(_counter)}", text.encode("utf-8"))


@FUZZ
@given(data=st.data())
def test_near_valid_policies(tmp_path, data):
    policy = copy.deepcopy(BASE)
    for _ in range(data.draw(st.integers(1, 4))):
        mutate(policy, data)
    text = yaml.safe_dump(policy, allow_unicode=True, sort_keys=False)
    load(tmp_path, f"n{next(_counter)}", text.encode("utf-8"))


yaml_tokens = st.sampled_from(
    [
        "a",
        "users",
        ":",
        " ",
        "  ",
        "\n",
        "- ",
        "[",
        "]",
        "{",
        "}",
        ",",
        "&x ",
        "*x",
        "!!str ",
        "!!python/object:os.system ",
        "<<: ",
        "'q'",
        '"\\u00e9"',
        "#c",
        "---\n",
        "? ",
        "|\n  b",
        "1",
        "~",
    ]
)


@FUZZ
@given(parts=st.lists(yaml_tokens, max_size=40))
def test_yaml_token_soup(tmp_path, parts):
    load(tmp_path, f"t{next(_counter)}", "".join(parts).encode("utf-8"))


def test_the_base_policy_is_valid(tmp_path):
    text = yaml.safe_dump(BASE, sort_keys=False)
    assert isinstance(load(tmp_path, "base", text.encode()), Policy)


@pytest.mark.parametrize("count", [1, 2])
def test_several_fuzzed_files_together(tmp_path, count):
    folder = tmp_path / "multi"
    folder.mkdir()
    for i in range(count):
        (folder / f"f{i}.yaml").write_text(yaml.safe_dump(BASE), encoding="utf-8")
    with pytest.raises(PolicyError) if count > 1 else _nothing():
        load_policy(folder)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
