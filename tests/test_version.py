"""engine.version: the policy version is a content hash, the same everywhere."""

from __future__ import annotations

import hashlib

from engine.version import policy_version, short_version

FILES = {"rules.yaml": b"rules: []\n", "team/users.yaml": b"users: {dana: {}}\n"}


def test_is_64_hex_characters():
    version = policy_version(FILES)
    assert len(version) == 64 and int(version, 16) >= 0


def test_does_not_depend_on_the_order_files_were_read():
    assert policy_version(FILES) == policy_version(dict(reversed(list(FILES.items()))))


def test_is_the_documented_encoding():
    """Pinned: any machine, any Python, any day gives this value for these files."""
    digest = hashlib.sha256(b"sayso-policy-v1\n")
    digest.update((2).to_bytes(8, "big"))
    for path, data in sorted((p.encode(), d) for p, d in FILES.items()):
        for part in (path, data):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    assert policy_version(FILES) == digest.hexdigest()
    assert (
        policy_version(FILES) == "a17e0267ab685e9489e88e0a3ef63cae3b4df5af3074532f2b8b0ea36b3cec46"
    )


def test_changes_with_any_byte_path_or_file():
    base = policy_version(FILES)
    assert policy_version({**FILES, "rules.yaml": b"rules: [] \n"}) != base
    assert (
        policy_version(
            {"rules2.yaml": FILES["rules.yaml"], "team/users.yaml": FILES["team/users.yaml"]}
        )
        != base
    )
    assert policy_version({**FILES, "extra.yaml": b""}) != base
    assert policy_version({"rules.yaml": FILES["rules.yaml"]}) != base


def test_field_boundaries_are_unambiguous():
    assert policy_version({"a": b"bc"}) != policy_version({"ab": b"c"})
    assert policy_version({"a": b"", "b": b""}) != policy_version({"a": b"b"})


def test_windows_separators_are_the_same_path():
    assert policy_version({"team\\users.yaml": b"x"}) == policy_version({"team/users.yaml": b"x"})


def test_empty_policy_has_a_version():
    assert len(policy_version({})) == 64


def test_short_version():
    assert short_version(policy_version(FILES)) == policy_version(FILES)[:12]
