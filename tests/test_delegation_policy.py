"""The policy's `delegation:` section: validated at its lines, enforced by `delegate`;
escalation and overdue notices reach the owners' active delegates."""

from __future__ import annotations

import shutil
import sys
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine.compiler import load_engine
from engine.errors import PolicyError, WorkflowError
from engine.hookspecs import NotifierSpec, hookimpl
from engine.plugins import get_plugin_manager
from engine.store import Store
from engine.workflow import Workflow

POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
LIMITS = """\
delegation:
  max_duration: 14d
  allow:
    - {from: [group:legal], to: same-group}
    - {from: [user:cat], to: [group:leads]}
"""


def policy_with(tmp_path: Path, extra: str) -> Path:
    target = tmp_path / "policy"
    shutil.copytree(POLICY, target)
    (target / "delegation.yaml").write_text(extra)
    return target


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    policy = policy_with(tmp_path, LIMITS)
    db = f"sqlite:///{tmp_path / 'sayso.db'}"

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--policy", str(policy), "--db", db, *args])

    return invoke


def delegate(run, src, dst, until="2026-05-10T00:00:00Z"):
    return run(
        "delegate", "--from", src, "--to", dst, "--until", until, "--at", "2026-05-04T09:00:00Z"
    )


# ---- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        (
            "delegation:\n  allow:\n    - {from: [group:legl], to: same-group}\n",
            "3:15",
            "unknown group 'legl'",
        ),
        (
            "delegation:\n  allow:\n    - {from: [user:cat], to: same-group}\n",
            "3:30",
            "same-group needs a group",
        ),
        (
            "delegation:\n  allow:\n    - {from: [user:cat], to: [user:nobody]}\n",
            "3:31",
            "unknown user 'nobody'",
        ),
        ("delegation:\n  max_duration: 400d\n", "2:17", "366 days"),
        ("delegation:\n  max_duration: 99999999999999999999d\n", "2:17", "366 days"),
        ("delegation:\n  max_days: 3\n", "2:3", "unknown key 'max_days'"),
        ("delegation:\n  allow:\n    - {from: [user:cat], too: [user:dan]}\n", "3:7", "'to'"),
        (
            "escalations:\n  slow:\n    - {after: 99999999999999999999d, to: [user:ceo]}\n",
            "3:15",
            "366 days",
        ),
    ],
)
def test_bad_delegation_sections_are_errors_at_their_line(tmp_path, text, where, says):
    target = policy_with(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_engine(str(target))
    messages = [str(p) for p in info.value.problems]
    assert any(
        m.startswith(f"{target / 'delegation.yaml'}:{where}:") and says in m for m in messages
    ), messages


def test_the_schema_describes_the_section():
    schema = CliRunner().invoke(cli, ["schema"]).output
    assert '"delegation"' in schema and "same-group" in schema and "max_duration" in schema


# ---- enforcement --------------------------------------------------------------------------


def test_delegation_within_the_same_group_is_allowed(run):
    result = delegate(run, "eve", "fay")
    assert result.exit_code == 0, result.output


def test_delegation_outside_the_group_is_refused(run):
    result = delegate(run, "eve", "zed")
    assert result.exit_code == 1
    assert "does not let eve delegate to zed" in result.output
    assert "Traceback" not in result.output


def test_named_group_entry(run):
    assert delegate(run, "cat", "dan").exit_code == 0
    assert delegate(run, "cat", "zed").exit_code == 1
    assert delegate(run, "dan", "cat").exit_code == 1  # no entry lets dan delegate at all


def test_longer_than_max_duration_is_refused(run):
    result = delegate(run, "eve", "fay", until="2026-06-04T09:00:00Z")
    assert result.exit_code == 1
    assert "at most 2w" in result.output


def test_without_the_section_anyone_may_delegate(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wf = Workflow(load_engine(str(POLICY)), Store.create(f"sqlite:///{tmp_path / 's.db'}"))
    assert wf.delegate("dan", "zed", T0 + timedelta(days=300), now=T0).active
    assert wf.delegate("dan", "zed", T0 + timedelta(days=3000), now=T0).active
    wf.store.close()


def test_same_group_does_not_open_other_groups(tmp_path, monkeypatch):
    # ann is in legal and in support: she may delegate to fay (legal), not to bob (support)
    monkeypatch.chdir(tmp_path)
    wf = Workflow(
        load_engine(str(policy_with(tmp_path, LIMITS))),
        Store.create(f"sqlite:///{tmp_path / 's.db'}"),
    )
    wf.delegate("ann", "fay", T0 + timedelta(days=1), now=T0)
    with pytest.raises(WorkflowError, match="does not let ann delegate to bob"):
        wf.delegate("ann", "bob", T0 + timedelta(days=1), now=T0)
    wf.store.close()


# ---- notices reach delegates ------------------------------------------------------------


@pytest.fixture
def noted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sent: list[tuple[str, list[str]]] = []
    plugin = types.ModuleType("sayso_notes_plugin")

    class Notes:
        def notify(self, notification):
            sent.append((notification.event, [r.id for r in notification.recipients]))

    plugin.register_notifiers = hookimpl(lambda: [NotifierSpec("notes", lambda o: Notes())])
    monkeypatch.setitem(sys.modules, plugin.__name__, plugin)
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(plugin, name=plugin.__name__)
    target = policy_with(tmp_path, "notifiers:\n  - {use: notes}\n")
    wf = Workflow(load_engine(str(target), pm), Store.create(f"sqlite:///{tmp_path / 's.db'}"), pm)
    yield wf, sent
    wf.store.close()


def test_escalation_notice_reaches_the_owners_active_delegate(noted):
    wf, sent = noted
    wf.delegate("dan", "zed", T0 + timedelta(days=2), now=T0)
    wf.delegate("vp", "eve", T0 + timedelta(hours=1), now=T0)  # ended before the escalation
    wf.submit("bob", "twitter/help", "We regret the closure.", now=T0)
    wf.tick(now=T0 + timedelta(hours=4))
    escalated = [who for event, who in sent if event == "escalated"]
    assert escalated == [["dan", "zed"], ["vp"]]


def test_delegate_who_is_the_author_is_not_told(noted):
    wf, sent = noted
    wf.delegate("dan", "bob", T0 + timedelta(days=2), now=T0)
    wf.submit("bob", "twitter/help", "We regret the closure.", now=T0)
    wf.tick(now=T0 + timedelta(hours=2))
    assert [who for event, who in sent if event == "escalated"] == [["dan"]]


def test_overdue_notice_reaches_delegates(noted):
    wf, sent = noted
    wf.delegate("cat", "zed", T0 + timedelta(days=2), now=T0)
    wf.submit("ann", "twitter/help", "Sad closure.", publish_at=T0 + timedelta(minutes=30), now=T0)
    wf.tick(now=T0 + timedelta(hours=1))
    [overdue] = [who for event, who in sent if event == "overdue"]
    assert "zed" in overdue and "cat" in overdue


def test_an_entry_applies_only_to_the_people_it_names(run):
    # dan is in group:leads, but only cat's entry may delegate to the leads
    result = delegate(run, "bob", "dan")
    assert result.exit_code == 1
    assert "does not let bob delegate to dan" in result.output
