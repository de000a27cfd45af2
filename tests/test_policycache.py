"""The policy cache: the same Policy as a fresh load, rebuilt whenever anything it
depends on changes, and never trusted when it cannot be read back."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from engine.hookspecs import DirectorySpec, hookimpl
from engine.loader import load_policy
from engine.plugins import get_plugin_manager
from engine.policycache import cache_dir, load_policy_cached

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 12, 1)


@pytest.fixture
def policy(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SAYSO_CACHE_DIR", str(tmp_path / "cache"))
    target = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", target)
    return target


def entries() -> list[Path]:
    folder = cache_dir()
    return sorted(folder.glob("*.pickle")) if folder.exists() else []


def load(policy: Path, **kw):
    return load_policy_cached(str(policy), today=kw.pop("today", TODAY), **kw)


def test_warm_load_is_the_same_policy(policy):
    cold = load(policy)
    [entry] = entries()
    assert entry.stat().st_mode & 0o077 == 0  # only its owner reads it
    warm = load(policy)
    assert warm == cold == load_policy(str(policy), today=TODAY)
    assert entries() == [entry]


def test_an_edit_gives_the_edited_policy(policy):
    load(policy)
    topics = policy / "topics.yaml"
    topics.write_text(topics.read_text().replace("[APR, APY,", "[APR, APY, overdraft fee,"))
    assert "overdraft fee" in load(policy).topics["rates"].keywords
    assert len(entries()) == 2


def test_a_broken_edit_is_still_refused(policy):
    from engine.errors import PolicyError

    load(policy)
    (policy / "rules.yaml").write_text("rules: [{id: x, allow: [group:ghost], channels: ['*']}]\n")
    with pytest.raises(PolicyError, match="ghost"):
        load(policy)


@pytest.mark.parametrize(
    "damage",
    [b"", b"not a pickle", b"\x80\x05\x95garbage"],
    ids=["empty", "text", "truncated"],
)
def test_corrupt_entry_is_rebuilt(policy, damage):
    fresh = load(policy)
    [entry] = entries()
    entry.write_bytes(damage)
    assert load(policy) == fresh
    assert entry.read_bytes() != damage  # written again


def test_entry_of_another_key_is_not_trusted(policy, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(policy, other)
    (other / "groups.yaml").write_text("groups: {late: {members: [dana]}}\n")
    load(other)
    [foreign] = entries()
    load(policy)
    mine = next(e for e in entries() if e != foreign)
    mine.write_bytes(foreign.read_bytes())  # a stale or swapped entry under my name
    assert "late" not in load(policy).groups


def test_the_directory_as_given_is_part_of_the_key(policy, monkeypatch):
    by_path = load(policy)
    monkeypatch.chdir(policy.parent)
    relative = load_policy_cached("policies", today=TODAY)
    assert relative.users["dana"].loc.file == "policies/people.yaml"
    assert by_path.users["dana"].loc.file == str(policy / "people.yaml")


def test_a_new_day_is_a_new_entry(policy):
    load(policy)
    load(policy, today=date(2026, 12, 2))
    assert len(entries()) == 2


def test_a_csv_of_a_directory_source_is_part_of_the_key(policy):
    (policy / "staff.csv").write_text("id,name,email,groups\ntess,Tess,,support\n")
    (policy / "staff.yaml").write_text("directory: [{use: csv, path: staff.csv}]\n")
    assert "tess" in load(policy).users
    (policy / "staff.csv").write_text("id,name,email,groups\numa,Uma,,support\n")
    users = load(policy).users
    assert "uma" in users and "tess" not in users


class RemotePeople:
    """A directory source that reads nothing inside the policy directory."""

    @hookimpl
    def register_directory_sources(self):
        people = {"users": {"dee": {"name": "Dee"}}, "groups": {}}
        return [DirectorySpec("remote", lambda options, policy_dir: people)]


def test_a_source_outside_the_directory_is_never_cached(policy):
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(RemotePeople(), name="remote-people")
    (policy / "remote.yaml").write_text("directory: [{use: remote}]\n")
    assert "dee" in load(policy, pm=pm).users
    assert entries() == []


def test_no_cache_writes_nothing(policy):
    load(policy, use_cache=False)
    assert entries() == []


def test_an_unwritable_cache_only_costs_time(policy, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("SAYSO_CACHE_DIR", str(blocker))
    assert load(policy) == load_policy(str(policy), today=TODAY)


def test_commands_use_the_cache_unless_told_not_to(policy, monkeypatch):
    from click.testing import CliRunner

    from cli import cli

    def run(*args: str):
        return CliRunner().invoke(cli, [*args, "--policy", str(policy), "validate"])

    assert run("--no-cache").exit_code == 0
    assert entries() == []
    monkeypatch.setenv("SAYSO_NO_CACHE", "1")
    assert run().exit_code == 0
    assert entries() == []
    monkeypatch.delenv("SAYSO_NO_CACHE")
    first = run()
    assert first.exit_code == 0 and len(entries()) == 1
    again = run()
    assert again.output == first.output and len(entries()) == 1


def test_a_fifo_in_the_policy_never_hangs(policy):
    from engine.errors import PolicyError

    os.mkfifo(policy / "pipe.yaml")
    with pytest.raises(PolicyError, match="not a regular file"):
        load(policy)
    assert entries() == []
